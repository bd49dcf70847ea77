import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  type Deployment,
  type DeploymentSummary,
  GetDeploymentCommand,
  GetDeploymentStrategyCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListDeploymentStrategiesCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import * as z from 'zod';

import type { FlagChange } from '../core/model.js';
import { awsErrorName, AwsOperationError, callAws, TransientAwsError } from './errors.js';

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

/** What `setFlag` did. `before` is what an undo needs: `before.enabled`, set back with `setFlag`. */
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
  /**
   * The change made; null when nothing had to change. Usually the version written and the deployment
   * started (wait for it to be COMPLETE). With `stopped`, no version was written: `deploymentNumber` is
   * the in-flight deployment that turned the flag on, stopped with StopDeployment (wait for it to be
   * ROLLED_BACK, or REVERTED if it completed just before the stop), and `version` is the version
   * AppConfig rolls back to.
   */
  after: z
    .object({
      version: z.string(),
      deploymentNumber: z.number().int(),
      stopped: z
        .object({
          /** The version that deployment was rolling out (the one with the flag on). */
          version: z.string(),
          /** Its state when it was stopped: VALIDATING, DEPLOYING or BAKING. */
          state: z.string(),
          percentageComplete: z.number(),
          strategyId: z.string().optional(),
          /** What StopDeployment answered: ROLLING_BACK, ROLLED_BACK or REVERTED. */
          stateAfterStop: z.string(),
        })
        .optional(),
    })
    .nullable(),
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

/** What `deploymentStrategy` found: the strategy's timing, and whether it deploys at once with no bake. */
export const DeploymentStrategyReportSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  durationMinutes: z.number().min(0),
  finalBakeMinutes: z.number().min(0),
  growthFactor: z.number(),
  /** Rollout and bake both 0: a change lands at once and blocks nothing after it. */
  immediate: z.boolean(),
  detail: z.string(),
});
export type DeploymentStrategyReport = z.infer<typeof DeploymentStrategyReportSchema>;

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
  /**
   * The deployment triage blamed for turning the flag on. When it is still in flight, it is stopped
   * (in either direction of the switch). Without it, a kill switch (`enabled: false`) finds the suspect
   * itself: the in-flight deployment of the profile whose version turned this flag on.
   */
  readonly suspectDeploymentNumber?: number;
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
      `no deployment of configuration profile ${target.configurationProfileId} is in effect in environment ` + `${target.environmentId} of application ${target.applicationId}`,
    );
  }
}

/** A deployment in flight in the environment, as the errors and details describe it. */
export interface InFlightDeployment {
  readonly deploymentNumber: number;
  readonly configurationProfileId?: string;
  readonly configurationVersion?: string;
  /** VALIDATING, DEPLOYING, BAKING or ROLLING_BACK. */
  readonly state: string;
  readonly percentageComplete: number;
  readonly strategyId?: string;
  /** When its final bake ends, for a BAKING deployment (ISO time). */
  readonly bakeEndsAt?: string;
}

/**
 * Another deployment holds the environment (AppConfig runs one at a time, so StartDeployment would
 * answer ConflictException) and it is not the one to stop. Named like TransientAwsError on purpose:
 * the workflow retries it, and the message, which names the deployment, ends up on the page if it is
 * still in flight after the retries.
 */
export class DeploymentInFlightError extends TransientAwsError {
  constructor(
    readonly deployment: InFlightDeployment,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
/** Deployments that are not finished; AppConfig runs one at a time per environment. StopDeployment (with AllowRevert) rolls them back. */
const IN_PROGRESS_STATES: ReadonlySet<string> = new Set(['VALIDATING', 'DEPLOYING', 'BAKING']);
/** Deployments that keep AppConfig from starting another one in the environment. */
const BUSY_STATES: ReadonlySet<string> = new Set([...IN_PROGRESS_STATES, 'ROLLING_BACK']);
/** Deployments whose configuration reached (some) applications. VALIDATING has not yet. */
const EFFECTIVE_STATES: ReadonlySet<string> = new Set(['DEPLOYING', 'BAKING', 'COMPLETE']);

const MAX_PAGE = 50;

const describeTarget = (t: FlagTarget): string => `application ${t.applicationId}, environment ${t.environmentId}, profile ${t.configurationProfileId}`;

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
   * A deployment still in flight in the environment (AppConfig refuses to start another) is handled
   * first: when it is the one that turned the flag on (see {@link SetFlagRequest.suspectDeploymentNumber}),
   * it is stopped with StopDeployment, which rolls it back to the previous version; this writes no
   * version and starts no deployment (`after.stopped`). Any other in-flight deployment is left alone.
   *
   * @throws FlagNotInProfileError when the key is not a flag of the profile
   * @throws NoDeployedConfigurationError when nothing of the profile is deployed
   * @throws DeploymentInFlightError (a TransientAwsError) when another deployment holds the environment
   * @throws TransientAwsError on throttling or a concurrent version write
   */
  async setFlag(target: FlagTarget, request: SetFlagRequest): Promise<FlagSetResult> {
    const { flag, enabled } = request;
    const deployments = await this.listDeployments(target);
    const { document, baseVersion, latestHosted, current, before, notes, base } = await this.inspect(target, flag, enabled, deployments);

    if (current === enabled) {
      notes.unshift(`flag ${flag} is already ${enabled ? 'enabled' : 'disabled'}; nothing written`);
      return FlagSetResultSchema.parse({ status: 'already-applied', flag, enabled, before, after: null, detail: notes.join('; ') });
    }

    const busy = await this.busyDeployment(target, deployments);
    if (busy) {
      const verdict = await this.judgeInFlight(target, request, busy, base.deployment, deployments, current);
      if (!verdict.stop) throw this.inFlightError(target, busy, verdict.reason);
      return this.stopSuspect(target, request, busy, verdict, before);
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
  async previewFlag(target: FlagTarget, request: Pick<SetFlagRequest, 'flag' | 'enabled' | 'suspectDeploymentNumber'>): Promise<FlagPreview> {
    const { flag, enabled } = request;
    const deployments = await this.listDeployments(target);
    const { current, before, notes, base } = await this.inspect(target, flag, enabled, deployments);
    const wouldChange = current !== enabled;
    const busy = wouldChange ? await this.busyDeployment(target, deployments) : undefined;
    if (busy) {
      const verdict = await this.judgeInFlight(target, request, busy, base.deployment, deployments, current);
      notes.unshift(
        verdict.stop
          ? `would stop ${describeInFlight(busy, target)} with StopDeployment: it switched ${flag} ${onOff(!enabled)}, and AppConfig rolls it back to version ${verdict.previousVersion}`
          : `${describeInFlight(busy, target)} holds the environment and would not be stopped (${verdict.reason}); switching ${flag} waits for it`,
      );
    } else {
      notes.unshift(
        wouldChange
          ? `would set ${flag} to ${enabled ? 'enabled' : 'disabled'} (now ${current === null ? 'unset' : current ? 'enabled' : 'disabled'})`
          : `flag ${flag} is already ${enabled ? 'enabled' : 'disabled'}; nothing would be written`,
      );
    }
    return FlagPreviewSchema.parse({ flag, enabled, wouldChange, before, detail: notes.join('; ') });
  }

  /** Where one deployment stands; `setFlag` asks when StopDeployment fails, to see whether someone stopped it first. */
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

  /**
   * The deployment strategy a flag change deploys with, and whether it is the zero-bake kind a
   * mitigation needs (readiness). A strategy with a rollout or bake time holds the environment for
   * that long: the change lands late, and nothing else (the undo included) can deploy meanwhile.
   *
   * @throws AwsResourceNotFoundError when no strategy has this ID
   */
  async deploymentStrategy(strategyId: string): Promise<DeploymentStrategyReport> {
    const s = await callAws('AppConfig GetDeploymentStrategy', `deployment strategy ${strategyId}`, () =>
      this.client.send(new GetDeploymentStrategyCommand({ DeploymentStrategyId: strategyId })),
    );
    const durationMinutes = s.DeploymentDurationInMinutes ?? 0;
    const finalBakeMinutes = s.FinalBakeTimeInMinutes ?? 0;
    const growthFactor = s.GrowthFactor ?? 100;
    const immediate = durationMinutes === 0 && finalBakeMinutes === 0;
    const name = s.Name ? `${s.Name} (${strategyId})` : strategyId;
    return DeploymentStrategyReportSchema.parse({
      id: s.Id ?? strategyId,
      ...(s.Name ? { name: s.Name } : {}),
      durationMinutes,
      finalBakeMinutes,
      growthFactor,
      immediate,
      detail: immediate
        ? `deployment strategy ${name} deploys at once with no bake (growth ${growthFactor}%)`
        : `deployment strategy ${name} takes ${durationMinutes} min to roll out and bakes ${finalBakeMinutes} min: a flag change would land late and hold the environment meanwhile`,
    });
  }

  /**
   * The IDs of the deployment strategies named `name` in this client's account and region, in the
   * order AppConfig lists them (names are not unique in AppConfig; IDs are). A workload account's
   * zero-bake strategy is created by its member stack, whose ID the central stack cannot know.
   */
  async deploymentStrategiesNamed(name: string): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await callAws('AppConfig ListDeploymentStrategies', `deployment strategies named ${name}`, () =>
        this.client.send(new ListDeploymentStrategiesCommand({ MaxResults: MAX_PAGE, ...(token ? { NextToken: token } : {}) })),
      );
      for (const s of page.Items ?? []) if (s.Name === name && s.Id) ids.push(s.Id);
      nextToken = page.NextToken;
    } while (nextToken);
    return ids;
  }

  /** Reads the live configuration and the flag in it; shared by `setFlag` and `previewFlag`. */
  private async inspect(target: FlagTarget, flag: string, enabled: boolean, deployments: readonly DeploymentSummary[]) {
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
    return { document, baseVersion, latestHosted, current, before, notes, base };
  }

  /**
   * The deployment holding the environment, if any, with the fields ListDeployments leaves out
   * (profile, strategy). Any profile counts: AppConfig runs one deployment at a time per environment.
   */
  private async busyDeployment(target: FlagTarget, deployments: readonly DeploymentSummary[]): Promise<InFlightDeployment | undefined> {
    const summary = deployments.find((d) => BUSY_STATES.has(d.State ?? ''));
    if (!summary) return undefined;
    const n = summary.DeploymentNumber!;
    const full: Deployment = await callAws('AppConfig GetDeployment', `deployment #${n} in ${describeTarget(target)}`, () =>
      this.client.send(new GetDeploymentCommand({ ApplicationId: target.applicationId, EnvironmentId: target.environmentId, DeploymentNumber: n })),
    );
    return inFlightOf(full, summary);
  }

  /**
   * Stop the in-flight deployment only when it is the suspect: it deploys this profile, is still
   * stoppable, and its version switched this flag away from the wanted value compared with the
   * previous deployment (which StopDeployment brings back). Anything else is someone else's change.
   */
  private async judgeInFlight(
    target: FlagTarget,
    request: Pick<SetFlagRequest, 'flag' | 'enabled' | 'suspectDeploymentNumber'>,
    busy: InFlightDeployment,
    base: DeploymentSummary,
    deployments: readonly DeploymentSummary[],
    current: boolean | null,
  ): Promise<{ stop: true; previousVersion: string; previousDeployment: number; previousValue: boolean | null; otherChanges: string[] } | { stop: false; reason: string }> {
    const { flag, enabled, suspectDeploymentNumber } = request;
    const n = busy.deploymentNumber;
    if (busy.configurationProfileId !== target.configurationProfileId) {
      return { stop: false, reason: `it deploys configuration profile ${busy.configurationProfileId ?? '(unknown)'}, not the flag profile ${target.configurationProfileId}` };
    }
    if (!IN_PROGRESS_STATES.has(busy.state)) return { stop: false, reason: `it is already ${busy.state}` };
    if (base.DeploymentNumber !== n) return { stop: false, reason: `the flag's live value comes from deployment #${base.DeploymentNumber}, not from it` };
    if (suspectDeploymentNumber !== undefined && suspectDeploymentNumber !== n) {
      return { stop: false, reason: `triage blamed deployment #${suspectDeploymentNumber}, not this one` };
    }
    if (suspectDeploymentNumber === undefined && enabled) {
      return { stop: false, reason: `only a kill switch stops a deployment it was not told to stop` };
    }
    const profiles = new ProfileLookup(this.client, target);
    let previous: DeploymentSummary | undefined;
    for (const d of deployments) {
      if (d.DeploymentNumber! >= n || d.State !== 'COMPLETE' || d.ConfigurationVersion === undefined) continue;
      if (await profiles.matches(d)) {
        previous = d;
        break;
      }
    }
    if (!previous) return { stop: false, reason: 'it is the first deployment of the profile, so stopping it would leave no configuration in effect' };
    const [before, inFlight] = await Promise.all([this.readVersion(target, previous.ConfigurationVersion!), this.readVersion(target, busy.configurationVersion!)]);
    const was = enabledOf(before, flag);
    if (was === current) {
      return { stop: false, reason: `it did not switch ${flag}: version ${previous.ConfigurationVersion} before it had the same value` };
    }
    const otherChanges = Object.keys({ ...(before.values ?? {}), ...(inFlight.values ?? {}) })
      .sort()
      .filter((k) => k !== flag && enabledOf(before, k) !== enabledOf(inFlight, k))
      .map((k) => `${k} ${onOff(enabledOf(inFlight, k))} → ${onOff(enabledOf(before, k))}`);
    return { stop: true, previousVersion: previous.ConfigurationVersion!, previousDeployment: previous.DeploymentNumber!, previousValue: was, otherChanges };
  }

  /** StopDeployment on the suspect: AppConfig rolls it back to the previous version; nothing is written. */
  private async stopSuspect(
    target: FlagTarget,
    request: SetFlagRequest,
    busy: InFlightDeployment,
    verdict: { previousVersion: string; previousDeployment: number; previousValue: boolean | null; otherChanges: string[] },
    before: FlagSetResult['before'],
  ): Promise<FlagSetResult> {
    const { flag, enabled } = request;
    const n = busy.deploymentNumber;
    const resource = `deployment #${n} in ${describeTarget(target)}`;
    let stateAfterStop: string;
    try {
      // Without AllowRevert only a DEPLOYING deployment can be stopped; with it a BAKING one is rolled
      // back too, and one that completed since we read it is reverted: either way the previous version returns.
      const out = await callAws('AppConfig StopDeployment', resource, () =>
        this.client.send(new StopDeploymentCommand({ ApplicationId: target.applicationId, EnvironmentId: target.environmentId, DeploymentNumber: n, AllowRevert: true })),
      );
      stateAfterStop = out.State ?? 'ROLLING_BACK';
    } catch (err) {
      // Someone (or AppConfig's own alarm rollback) may have stopped it first: then the work is done.
      const now = await this.deploymentState(target, n).catch(() => undefined);
      if (now && UNDONE_STATES.has(now.state)) {
        return FlagSetResultSchema.parse({
          status: 'already-applied',
          flag,
          enabled,
          before,
          after: null,
          detail: `${describeInFlight(busy, target, 'was')} and switched ${flag} ${onOff(!enabled)}; it was already ${now.state} when Tourniquet tried to stop it, so version ${verdict.previousVersion} is live again; nothing changed`,
        });
      }
      throw err;
    }
    const notes = [
      `${describeInFlight(busy, target, 'was')} and is the one that switched ${flag} ${onOff(!enabled)} (deployment #${verdict.previousDeployment}, version ${verdict.previousVersion}, had it ${onOff(verdict.previousValue)})`,
      `stopped it: AppConfig rolls back to version ${verdict.previousVersion} (deployment #${n} now ${stateAfterStop})`,
      'no new version written',
    ];
    if (verdict.otherChanges.length > 0) notes.push(`the rollback also undoes its other change${verdict.otherChanges.length > 1 ? 's' : ''}: ${verdict.otherChanges.join(', ')}`);
    return FlagSetResultSchema.parse({
      status: 'applied',
      flag,
      enabled,
      before,
      after: {
        version: verdict.previousVersion,
        deploymentNumber: n,
        stopped: {
          version: busy.configurationVersion!,
          state: busy.state,
          percentageComplete: busy.percentageComplete,
          ...(busy.strategyId !== undefined ? { strategyId: busy.strategyId } : {}),
          stateAfterStop,
        },
      },
      detail: notes.join('; '),
    });
  }

  private inFlightError(target: FlagTarget, busy: InFlightDeployment, reason: string, cause?: unknown): DeploymentInFlightError {
    return new DeploymentInFlightError(
      busy,
      `${describeInFlight(busy, target)} in environment ${target.environmentId}, and AppConfig starts no other deployment there until it ends; ` +
        `Tourniquet does not stop it because ${reason}. The step retries; if it is still in flight, a human is paged`,
      cause !== undefined ? { cause } : undefined,
    );
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
    return items.filter((d) => typeof d.DeploymentNumber === 'number').sort((a, b) => b.DeploymentNumber! - a.DeploymentNumber!);
  }

  /**
   * The deployment whose configuration is live: the newest one of this profile that is in progress
   * (it is about to be live) or COMPLETE. Rolled-back and reverted deployments are skipped because the
   * configuration before them is what applications run.
   */
  private async findLiveDeployment(target: FlagTarget, deployments: readonly DeploymentSummary[]): Promise<{ deployment: DeploymentSummary; inProgress: boolean }> {
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

  private async createVersion(target: FlagTarget, content: string, description: string, latestVersionNumber: number | undefined): Promise<string> {
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
    let started;
    try {
      started = await callAws('AppConfig StartDeployment', `version ${version} of ${describeTarget(target)}`, () =>
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
    } catch (err) {
      // ConflictException: a deployment started since we looked. Name it, so the page says which.
      if (err instanceof TransientAwsError && awsErrorName(err.cause) === 'ConflictException') {
        const busy = await this.busyDeployment(target, await this.listDeployments(target)).catch(() => undefined);
        if (busy) throw this.inFlightError(target, busy, 'it started after Tourniquet looked, so it is not known to be the suspect', err.cause);
      }
      throw err;
    }
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

function inFlightOf(full: Deployment, summary: DeploymentSummary): InFlightDeployment {
  const state = full.State ?? summary.State ?? 'UNKNOWN';
  const started = full.StartedAt ?? summary.StartedAt;
  const duration = full.DeploymentDurationInMinutes ?? summary.DeploymentDurationInMinutes;
  const bake = full.FinalBakeTimeInMinutes ?? summary.FinalBakeTimeInMinutes;
  const bakeStarted = full.EventLog?.find((e) => e.EventType === 'BAKE_TIME_STARTED')?.OccurredAt;
  const bakeFrom = bakeStarted ?? (started && duration !== undefined ? new Date(started.getTime() + duration * 60_000) : undefined);
  return {
    deploymentNumber: full.DeploymentNumber ?? summary.DeploymentNumber!,
    ...((full.ConfigurationProfileId ?? summary.ConfigurationProfileId) ? { configurationProfileId: (full.ConfigurationProfileId ?? summary.ConfigurationProfileId)! } : {}),
    ...((full.ConfigurationVersion ?? summary.ConfigurationVersion) ? { configurationVersion: (full.ConfigurationVersion ?? summary.ConfigurationVersion)! } : {}),
    state,
    percentageComplete: full.PercentageComplete ?? summary.PercentageComplete ?? 0,
    ...(full.DeploymentStrategyId ? { strategyId: full.DeploymentStrategyId } : {}),
    ...(state === 'BAKING' && bakeFrom && bake !== undefined ? { bakeEndsAt: new Date(bakeFrom.getTime() + bake * 60_000).toISOString() } : {}),
  };
}

/**
 * "flag deployment #2 (version 3, strategy AppConfig.AllAtOnce) is still baking (bake ends 03:15 UTC)":
 * pages and the timeline say what is in the way, not just an error class.
 */
function describeInFlight(d: InFlightDeployment, target: FlagTarget, verb: 'is' | 'was' = 'is'): string {
  const ours = d.configurationProfileId === target.configurationProfileId;
  const what = ours ? `flag deployment #${d.deploymentNumber}` : `deployment #${d.deploymentNumber} of configuration profile ${d.configurationProfileId ?? '(unknown)'}`;
  const facts = [d.configurationVersion !== undefined ? `version ${d.configurationVersion}` : '', d.strategyId ? `strategy ${d.strategyId}` : ''].filter(Boolean).join(', ');
  const bakeEnds = d.bakeEndsAt ? ` (bake ends ${d.bakeEndsAt.slice(11, 16)} UTC)` : '';
  const doing: Record<string, string> = {
    BAKING: `still baking${bakeEnds}`,
    DEPLOYING: `still deploying (${d.percentageComplete}% of targets)`,
    VALIDATING: 'still validating',
    ROLLING_BACK: 'rolling back',
  };
  return `${what}${facts ? ` (${facts})` : ''} ${verb} ${doing[d.state] ?? d.state}`;
}

const onOff = (v: boolean | null): string => (v === null ? 'unset' : v ? 'on' : 'off');

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
