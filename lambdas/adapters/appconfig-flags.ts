import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  type DeploymentSummary,
} from '@aws-sdk/client-appconfig';
import * as z from 'zod';
import type { FlagChange } from '../core/model.js';
import { AwsOperationError, awsErrorName, callAws, TransientAwsError } from './errors.js';

/**
 * Feature flags in an AppConfig hosted configuration profile of type `AWS.AppConfig.FeatureFlags`:
 * what changed recently (triage), and the kill / degrade switch (mitigation) with its undo.
 *
 * A flag's value lives in immutable hosted configuration versions; what applications see is the
 * version most recently *deployed* to the environment. Every decision here is therefore based on
 * deployments, never on the newest hosted version alone, which may be a draft nobody deployed.
 */

/** The flag profile in one environment. All three are AppConfig IDs, not names. */
export const FlagTargetSchema = z.object({
  applicationId: z.string().min(1),
  environmentId: z.string().min(1),
  configurationProfileId: z.string().min(1),
});
export type FlagTarget = z.infer<typeof FlagTargetSchema>;

/** What `setFlag` did. `before` is exactly what an undo needs: redeploy `before.deployedVersion`. */
export const FlagSetResultSchema = z.object({
  status: z.enum(['applied', 'already-applied']),
  flag: z.string(),
  enabled: z.boolean(),
  before: z.object({
    /** Hosted configuration version in effect (or being deployed) when the switch was made. */
    deployedVersion: z.string(),
    /** The flag's value in that version; null when the flag had no value entry. */
    enabled: z.boolean().nullable(),
    /** The deployment that put `deployedVersion` in place. */
    deploymentNumber: z.number().int().optional(),
  }),
  /** The version written and the deployment started; null when nothing had to change. */
  after: z.object({ version: z.string(), deploymentNumber: z.number().int() }).nullable(),
  /** Human-readable account of what was found and done, including anything surprising. */
  detail: z.string(),
});
export type FlagSetResult = z.infer<typeof FlagSetResultSchema>;

/** What `setFlag` would do, without doing it (dry run). */
export const FlagPreviewSchema = z.object({
  flag: z.string(),
  enabled: z.boolean(),
  /** False when the live configuration already has the wanted value. */
  wouldChange: z.boolean(),
  before: FlagSetResultSchema.shape.before,
  detail: z.string(),
});
export type FlagPreview = z.infer<typeof FlagPreviewSchema>;

/** Progress of one deployment, as GetDeployment reports it. */
export const FlagDeploymentStatusSchema = z.object({
  deploymentNumber: z.number().int(),
  /** BAKING, COMPLETE, DEPLOYING, REVERTED, ROLLED_BACK, ROLLING_BACK or VALIDATING. */
  state: z.string(),
  percentageComplete: z.number(),
  configurationVersion: z.string().optional(),
  completedAt: z.iso.datetime({ offset: true }).optional(),
});
export type FlagDeploymentStatus = z.infer<typeof FlagDeploymentStatusSchema>;

/** Options of `setFlag`. */
export interface SetFlagRequest {
  /** Flag key as it appears under `flags` in the profile. */
  readonly flag: string;
  /** false: kill switch; true: degrade switch. */
  readonly enabled: boolean;
  /** Strategy for the deployment; the stack's own fast strategy (no bake) in practice. */
  readonly deploymentStrategyId: string;
  /** Goes on the new hosted version and on the deployment (ASCII only: AppConfig sends it in a header). */
  readonly description: string;
}

/** Options of `deployVersion`. */
export interface DeployVersionRequest {
  readonly version: string;
  readonly deploymentStrategyId: string;
  readonly description: string;
}

/** The flag key is not defined in the profile; Tourniquet never creates flags. */
export class FlagNotInProfileError extends Error {
  override readonly name = 'FlagNotInProfileError';
  constructor(
    readonly flag: string,
    readonly version: string,
    readonly knownFlags: readonly string[],
  ) {
    super(
      `flag "${flag}" is not defined in configuration version ${version} of the profile ` +
        `(flags there: ${knownFlags.length > 0 ? knownFlags.join(', ') : 'none'}); refusing to create it`,
    );
  }
}

/** The flag cannot be switched safely by setting `enabled` (multi-variant flags). */
export class FlagNotSwitchableError extends Error {
  override readonly name = 'FlagNotSwitchableError';
  constructor(
    readonly flag: string,
    reason: string,
  ) {
    super(`flag "${flag}" cannot be switched automatically: ${reason}`);
  }
}

/** Nothing of this profile is deployed to the environment, so there is no live value to switch. */
export class NoDeployedConfigurationError extends Error {
  override readonly name = 'NoDeployedConfigurationError';
  constructor(readonly target: FlagTarget) {
    super(
      `no deployment of configuration profile ${target.configurationProfileId} is in effect in environment ` +
        `${target.environmentId} of application ${target.applicationId}`,
    );
  }
}

/** A hosted version's content is not a feature flag document Tourniquet can read. */
export class FlagContentInvalidError extends Error {
  override readonly name = 'FlagContentInvalidError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const FlagDocumentSchema = z.looseObject({
  version: z.string().optional(),
  flags: z.record(z.string(), z.looseObject({})).optional(),
  values: z.record(z.string(), z.looseObject({ enabled: z.unknown().optional() })).optional(),
});
type FlagDocument = z.infer<typeof FlagDocumentSchema>;

/** Deployments that never took effect or were undone: they say nothing about the live value. */
const UNDONE_STATES: ReadonlySet<string> = new Set(['ROLLING_BACK', 'ROLLED_BACK', 'REVERTED']);
/** Deployments that are not finished; AppConfig runs one at a time per environment. */
const IN_PROGRESS_STATES: ReadonlySet<string> = new Set(['VALIDATING', 'DEPLOYING', 'BAKING']);
/** Deployments whose configuration reached (some) applications. VALIDATING has not yet. */
const EFFECTIVE_STATES: ReadonlySet<string> = new Set(['DEPLOYING', 'BAKING', 'COMPLETE']);

const MAX_PAGE = 50;

const describeTarget = (t: FlagTarget): string =>
  `application ${t.applicationId}, environment ${t.environmentId}, profile ${t.configurationProfileId}`;

/** Feature-flag reads and switches over `@aws-sdk/client-appconfig`. */
export class AppConfigFlagsAdapter {
  constructor(private readonly client: AppConfigClient = new AppConfigClient({})) {}

  /**
   * Flags whose `enabled` value changed through a deployment of the profile that started inside
   * `window` (inclusive) and was not rolled back. Each deployed version is compared with the version
   * of the previous effective deployment of the same profile; with none, flags count as previously
   * absent (`from: null`). Sorted by deployment number, then flag key.
   */
  async recentFlagChanges(target: FlagTarget, window: { from: Date; to: Date }): Promise<FlagChange[]> {
    const deployments = await this.listDeployments(target);
    const profiles = new ProfileLookup(this.client, target);
    const documents = new Map<string, Promise<FlagDocument>>();
    const read = (version: string): Promise<FlagDocument> => {
      let doc = documents.get(version);
      if (!doc) {
        doc = this.readVersion(target, version);
        documents.set(version, doc);
      }
      return doc;
    };

    const from = window.from.getTime();
    const to = window.to.getTime();
    const changes: FlagChange[] = [];
    // `deployments` is sorted newest first; walk oldest first so the output reads chronologically.
    for (let i = deployments.length - 1; i >= 0; i--) {
      const d = deployments[i]!;
      const started = d.StartedAt?.getTime();
      if (started === undefined || started < from || started > to) continue;
      if (!EFFECTIVE_STATES.has(d.State ?? '') || d.ConfigurationVersion === undefined) continue;
      if (!(await profiles.matches(d))) continue;

      let previous: DeploymentSummary | undefined;
      for (let j = i + 1; j < deployments.length; j++) {
        const older = deployments[j]!;
        if (!EFFECTIVE_STATES.has(older.State ?? '') || older.ConfigurationVersion === undefined) continue;
        if (await profiles.matches(older)) {
          previous = older;
          break;
        }
      }

      const after = await read(d.ConfigurationVersion);
      const before = previous?.ConfigurationVersion !== undefined ? await read(previous.ConfigurationVersion) : undefined;
      for (const flag of Object.keys(after.values ?? {}).sort()) {
        const now = enabledOf(after, flag);
        if (now === null) continue;
        const was = before ? enabledOf(before, flag) : null;
        if (was === now) continue;
        changes.push({
          flag,
          from: was,
          to: now,
          deploymentNumber: d.DeploymentNumber!,
          configurationVersion: d.ConfigurationVersion,
          changedAt: new Date(started).toISOString(),
        });
      }
    }
    return changes;
  }

  /**
   * Sets one flag's `enabled` in the configuration that is live in the environment, as a new hosted
   * version, and deploys it. Idempotent: when the live configuration already has the wanted value,
   * nothing is written. A version left behind by an earlier attempt whose deployment failed is
   * reused rather than duplicated.
   *
   * @throws FlagNotInProfileError when the key is not a flag of the profile
   * @throws NoDeployedConfigurationError when nothing of the profile is deployed
   * @throws TransientAwsError on throttling, a concurrent version write, or a deployment in progress
   */
  async setFlag(target: FlagTarget, request: SetFlagRequest): Promise<FlagSetResult> {
    const { flag, enabled } = request;
    const { document, baseVersion, latestHosted, current, before, notes } = await this.inspect(target, flag, enabled);

    if (current === enabled) {
      notes.unshift(`flag ${flag} is already ${enabled ? 'enabled' : 'disabled'}; nothing written`);
      return FlagSetResultSchema.parse({ status: 'already-applied', flag, enabled, before, after: null, detail: notes.join('; ') });
    }

    const updated = withFlagEnabled(document, flag, enabled);
    const content = JSON.stringify(updated);

    let version: string | undefined;
    if (latestHosted !== undefined && latestHosted > Number(baseVersion)) {
      // A retry after a failed StartDeployment finds its own version as the newest draft; deploying
      // it instead of writing a copy keeps the version history readable.
      const draft = await this.readVersion(target, String(latestHosted));
      if (canonicalJson(draft) === canonicalJson(updated)) {
        version = String(latestHosted);
        notes.push(`reused hosted version ${latestHosted}, which already holds this change`);
      }
    }
    if (version === undefined) {
      version = await this.createVersion(target, content, request.description, latestHosted);
      notes.push(`created hosted version ${version}`);
    }

    const deploymentNumber = await this.startDeployment(target, version, request.deploymentStrategyId, request.description);
    notes.unshift(`set ${flag} to ${enabled ? 'enabled' : 'disabled'} (was ${current === null ? 'unset' : current ? 'enabled' : 'disabled'})`);
    notes.push(`started deployment #${deploymentNumber}`);
    return FlagSetResultSchema.parse({
      status: 'applied',
      flag,
      enabled,
      before,
      after: { version, deploymentNumber },
      detail: notes.join('; '),
    });
  }

  /**
   * The read-only half of `setFlag`, for dry runs: finds the live configuration and tells whether
   * setting the flag would change anything. Throws the same errors as `setFlag` for a flag that is
   * not in the profile or cannot be switched.
   */
  async previewFlag(target: FlagTarget, request: Pick<SetFlagRequest, 'flag' | 'enabled'>): Promise<FlagPreview> {
    const { flag, enabled } = request;
    const { current, before, notes } = await this.inspect(target, flag, enabled);
    const wouldChange = current !== enabled;
    notes.unshift(
      wouldChange
        ? `would set ${flag} to ${enabled ? 'enabled' : 'disabled'} (now ${current === null ? 'unset' : current ? 'enabled' : 'disabled'})`
        : `flag ${flag} is already ${enabled ? 'enabled' : 'disabled'}; nothing would be written`,
    );
    return FlagPreviewSchema.parse({ flag, enabled, wouldChange, before, detail: notes.join('; ') });
  }

  /** Deploys an existing hosted version again; the undo of `setFlag` passes `before.deployedVersion`. */
  async deployVersion(target: FlagTarget, request: DeployVersionRequest): Promise<{ deploymentNumber: number }> {
    const deploymentNumber = await this.startDeployment(target, request.version, request.deploymentStrategyId, request.description);
    return { deploymentNumber };
  }

  /** Where one deployment stands (verify waits for COMPLETE before trusting the alarm). */
  async deploymentState(target: FlagTarget, deploymentNumber: number): Promise<FlagDeploymentStatus> {
    const d = await callAws('AppConfig GetDeployment', `deployment #${deploymentNumber} in ${describeTarget(target)}`, () =>
      this.client.send(
        new GetDeploymentCommand({
          ApplicationId: target.applicationId,
          EnvironmentId: target.environmentId,
          DeploymentNumber: deploymentNumber,
        }),
      ),
    );
    return FlagDeploymentStatusSchema.parse({
      deploymentNumber: d.DeploymentNumber ?? deploymentNumber,
      state: d.State ?? 'UNKNOWN',
      percentageComplete: d.PercentageComplete ?? 0,
      configurationVersion: d.ConfigurationVersion,
      completedAt: d.CompletedAt?.toISOString(),
    });
  }

  /** Reads the live configuration and the flag in it; shared by `setFlag` and `previewFlag`. */
  private async inspect(target: FlagTarget, flag: string, enabled: boolean) {
    const deployments = await this.listDeployments(target);
    const base = await this.findLiveDeployment(target, deployments);
    const latestHosted = await this.latestHostedVersion(target);
    const baseVersion = base.deployment.ConfigurationVersion!;
    const document = await this.readVersion(target, baseVersion);

    const definitions = document.flags ?? {};
    if (!Object.hasOwn(definitions, flag)) {
      throw new FlagNotInProfileError(flag, baseVersion, Object.keys(definitions).sort());
    }
    const value = document.values?.[flag];
    if (value && Object.hasOwn(value, '_variants')) {
      throw new FlagNotSwitchableError(flag, `it has variants, whose own values would still apply after setting enabled=${enabled}`);
    }
    const current = enabledOf(document, flag);
    const before: FlagSetResult['before'] = {
      deployedVersion: baseVersion,
      enabled: current,
      deploymentNumber: base.deployment.DeploymentNumber,
    };

    const notes: string[] = [
      base.inProgress
        ? `deployment #${base.deployment.DeploymentNumber} of version ${baseVersion} is still ${base.deployment.State}; that version is the base`
        : `live configuration is version ${baseVersion} (deployment #${base.deployment.DeploymentNumber})`,
    ];
    if (latestHosted !== undefined && String(latestHosted) !== baseVersion) {
      notes.push(`latest hosted version ${latestHosted} differs from the deployed version ${baseVersion} and was not used as the base`);
    }
    return { document, baseVersion, latestHosted, current, before, notes };
  }

  /** Every deployment of the environment, newest first (sorted here, not trusted from the API). */
  private async listDeployments(target: FlagTarget): Promise<DeploymentSummary[]> {
    const items: DeploymentSummary[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await callAws('AppConfig ListDeployments', describeTarget(target), () =>
        this.client.send(
          new ListDeploymentsCommand({
            ApplicationId: target.applicationId,
            EnvironmentId: target.environmentId,
            MaxResults: MAX_PAGE,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return items
      .filter((d) => typeof d.DeploymentNumber === 'number')
      .sort((a, b) => b.DeploymentNumber! - a.DeploymentNumber!);
  }

  /**
   * The deployment whose configuration is live: the newest one of this profile that is in progress
   * (it is about to be live) or COMPLETE. Rolled-back and reverted deployments are skipped because the
   * configuration before them is what applications run.
   */
  private async findLiveDeployment(
    target: FlagTarget,
    deployments: readonly DeploymentSummary[],
  ): Promise<{ deployment: DeploymentSummary; inProgress: boolean }> {
    const profiles = new ProfileLookup(this.client, target);
    for (const d of deployments) {
      const state = d.State ?? '';
      if (UNDONE_STATES.has(state) || d.ConfigurationVersion === undefined) continue;
      if (state !== 'COMPLETE' && !IN_PROGRESS_STATES.has(state)) continue;
      if (await profiles.matches(d)) return { deployment: d, inProgress: IN_PROGRESS_STATES.has(state) };
    }
    throw new NoDeployedConfigurationError(target);
  }

  /** Highest hosted version number of the profile, or undefined when it has none. */
  private async latestHostedVersion(target: FlagTarget): Promise<number | undefined> {
    let latest: number | undefined;
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await callAws('AppConfig ListHostedConfigurationVersions', describeTarget(target), () =>
        this.client.send(
          new ListHostedConfigurationVersionsCommand({
            ApplicationId: target.applicationId,
            ConfigurationProfileId: target.configurationProfileId,
            MaxResults: MAX_PAGE,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.VersionNumber === 'number' && (latest === undefined || item.VersionNumber > latest)) latest = item.VersionNumber;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return latest;
  }

  private async readVersion(target: FlagTarget, version: string): Promise<FlagDocument> {
    const versionNumber = Number(version);
    if (!Number.isInteger(versionNumber) || versionNumber < 1) {
      throw new FlagContentInvalidError(`configuration version "${version}" is not a hosted configuration version number`);
    }
    const hosted = await callAws('AppConfig GetHostedConfigurationVersion', `version ${version} of ${describeTarget(target)}`, () =>
      this.client.send(
        new GetHostedConfigurationVersionCommand({
          ApplicationId: target.applicationId,
          ConfigurationProfileId: target.configurationProfileId,
          VersionNumber: versionNumber,
        }),
      ),
    );
    return parseFlagDocument(hosted.Content, `version ${version} of profile ${target.configurationProfileId}`);
  }

  private async createVersion(
    target: FlagTarget,
    content: string,
    description: string,
    latestVersionNumber: number | undefined,
  ): Promise<string> {
    const resource = describeTarget(target);
    try {
      const created = await callAws('AppConfig CreateHostedConfigurationVersion', resource, () =>
        this.client.send(
          new CreateHostedConfigurationVersionCommand({
            ApplicationId: target.applicationId,
            ConfigurationProfileId: target.configurationProfileId,
            Content: new TextEncoder().encode(content),
            ContentType: 'application/json',
            Description: asciiDescription(description),
            ...(latestVersionNumber !== undefined ? { LatestVersionNumber: latestVersionNumber } : {}),
          }),
        ),
      );
      if (typeof created.VersionNumber !== 'number') {
        throw new AwsOperationError(`AppConfig CreateHostedConfigurationVersion on ${resource} returned no version number`);
      }
      return String(created.VersionNumber);
    } catch (err) {
      // The lock token is the point of LatestVersionNumber: someone wrote a version since we read.
      // Retrying the whole step re-reads the live configuration, so it is a transient condition.
      if (err instanceof TransientAwsError && awsErrorName(err.cause) === 'ConflictException' && latestVersionNumber !== undefined) {
        throw new TransientAwsError(
          `${err.message} (written with LatestVersionNumber ${latestVersionNumber}: another version may have been created concurrently; the step re-reads and retries)`,
          { cause: err.cause },
        );
      }
      throw err;
    }
  }

  private async startDeployment(target: FlagTarget, version: string, strategyId: string, description: string): Promise<number> {
    const started = await callAws('AppConfig StartDeployment', `version ${version} of ${describeTarget(target)}`, () =>
      this.client.send(
        new StartDeploymentCommand({
          ApplicationId: target.applicationId,
          EnvironmentId: target.environmentId,
          ConfigurationProfileId: target.configurationProfileId,
          ConfigurationVersion: version,
          DeploymentStrategyId: strategyId,
          Description: asciiDescription(description),
        }),
      ),
    );
    if (typeof started.DeploymentNumber !== 'number') {
      throw new AwsOperationError(`AppConfig StartDeployment of version ${version} on ${describeTarget(target)} returned no deployment number`);
    }
    return started.DeploymentNumber;
  }
}

/**
 * Tells which profile a deployment belongs to. ListDeployments summaries are not documented to carry
 * the profile ID, so the deployment is fetched when the summary lacks it; answers are cached.
 */
class ProfileLookup {
  private readonly cache = new Map<number, Promise<string | undefined>>();

  constructor(
    private readonly client: AppConfigClient,
    private readonly target: FlagTarget,
  ) {}

  async matches(d: DeploymentSummary): Promise<boolean> {
    if (d.ConfigurationProfileId !== undefined) return d.ConfigurationProfileId === this.target.configurationProfileId;
    const n = d.DeploymentNumber!;
    let profile = this.cache.get(n);
    if (!profile) {
      profile = callAws('AppConfig GetDeployment', `deployment #${n} in ${describeTarget(this.target)}`, () =>
        this.client.send(
          new GetDeploymentCommand({
            ApplicationId: this.target.applicationId,
            EnvironmentId: this.target.environmentId,
            DeploymentNumber: n,
          }),
        ),
      ).then((full) => full.ConfigurationProfileId);
      this.cache.set(n, profile);
    }
    return (await profile) === this.target.configurationProfileId;
  }
}

function parseFlagDocument(content: Uint8Array | string | undefined, what: string): FlagDocument {
  if (content === undefined) throw new FlagContentInvalidError(`${what} has no content`);
  const text = typeof content === 'string' ? content : new TextDecoder().decode(content);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new FlagContentInvalidError(`${what} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = FlagDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new FlagContentInvalidError(`${what} is not a feature flag document: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The flag's boolean value, or null when it has no value entry (or a non-boolean one). */
function enabledOf(document: FlagDocument, flag: string): boolean | null {
  const enabled = document.values?.[flag]?.enabled;
  return typeof enabled === 'boolean' ? enabled : null;
}

/** A copy of the document with one flag's `enabled` set and everything else (attributes, metadata) kept. */
function withFlagEnabled(document: FlagDocument, flag: string, enabled: boolean): FlagDocument {
  const values = { ...(document.values ?? {}) };
  values[flag] = { ...(values[flag] ?? {}), enabled };
  return { ...document, values };
}

/**
 * Descriptions travel in an HTTP header for CreateHostedConfigurationVersion, so AppConfig accepts
 * ASCII only; both APIs cap them at 1024 characters.
 */
function asciiDescription(description: string): string {
  const ascii = description.replace(/[^\x20-\x7E]/g, '?');
  return ascii.length <= 1024 ? ascii : `${ascii.slice(0, 1021)}...`;
}

/** JSON with object keys sorted, so two documents compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
