import {
  BadRequestException,
  ConflictException,
  type CreateHostedConfigurationVersionCommandInput,
  type CreateHostedConfigurationVersionCommandOutput,
  type Deployment,
  type DeploymentEvent,
  type DeploymentState,
  type DeploymentStrategy,
  type DeploymentSummary,
  type GetConfigurationProfileCommandInput,
  type GetConfigurationProfileCommandOutput,
  type GetDeploymentCommandInput,
  type GetDeploymentCommandOutput,
  type GetDeploymentStrategyCommandInput,
  type GetDeploymentStrategyCommandOutput,
  type GetEnvironmentCommandInput,
  type GetEnvironmentCommandOutput,
  type GetHostedConfigurationVersionCommandInput,
  type GetHostedConfigurationVersionCommandOutput,
  type GrowthType,
  type ListDeploymentsCommandInput,
  type ListDeploymentsCommandOutput,
  type ListDeploymentStrategiesCommandInput,
  type ListDeploymentStrategiesCommandOutput,
  type ListHostedConfigurationVersionsCommandInput,
  type ListHostedConfigurationVersionsCommandOutput,
  PayloadTooLargeException,
  ResourceNotFoundException,
  type StartDeploymentCommandInput,
  type StartDeploymentCommandOutput,
  type StopDeploymentCommandInput,
  type StopDeploymentCommandOutput,
} from '@aws-sdk/client-appconfig';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';

import type { VirtualClock } from './clock.js';
import { checkFlagDocument, flagStates } from './flags.js';
import { type CommandHandler, decodeToken, errorMetadata, type Out, paginate, type SimService } from './wire.js';

/**
 * Simulated AWS AppConfig: applications, environments, feature-flag profiles with hosted
 * versions, deployment strategies and deployments whose state follows the virtual clock.
 * What the application *sees* is modelled too ({@link SimAppConfig.flagExposure}), because
 * the health model needs it: a flag turned on hurts only once the app's agent has fetched it.
 */

/** The configuration profile type AppConfig uses for feature flags. */
export const FEATURE_FLAGS_TYPE = 'AWS.AppConfig.FeatureFlags';

/** Hosted configuration data is limited to 2 MB by default. */
const MAX_HOSTED_BYTES = 2 * 1024 * 1024;
/** AppConfig allows a revert only within 72 hours of completion. */
const REVERT_WINDOW_MS = 72 * 3600 * 1000;

/** A deployment strategy as the simulation stores it. */
export interface StrategySpec {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly durationMinutes: number;
  readonly growthType: GrowthType;
  readonly growthFactor: number;
  readonly bakeMinutes: number;
}

/** The strategies every AWS account has, under their real IDs. */
export const PREDEFINED_STRATEGIES: readonly StrategySpec[] = [
  { id: 'AppConfig.AllAtOnce', name: 'AppConfig.AllAtOnce', description: 'Quick', durationMinutes: 0, growthType: 'LINEAR', growthFactor: 100, bakeMinutes: 10 },
  {
    id: 'AppConfig.Linear50PercentEvery30Seconds',
    name: 'AppConfig.Linear50PercentEvery30Seconds',
    description: 'Test/Demo',
    durationMinutes: 1,
    growthType: 'LINEAR',
    growthFactor: 50,
    bakeMinutes: 1,
  },
  {
    id: 'AppConfig.Canary10Percent20Minutes',
    name: 'AppConfig.Canary10Percent20Minutes',
    description: 'AWS Recommended',
    durationMinutes: 20,
    growthType: 'EXPONENTIAL',
    growthFactor: 10,
    bakeMinutes: 10,
  },
  {
    id: 'AppConfig.Linear20PercentEvery6Minutes',
    name: 'AppConfig.Linear20PercentEvery6Minutes',
    description: 'AWS Recommended',
    durationMinutes: 30,
    growthType: 'LINEAR',
    growthFactor: 20,
    bakeMinutes: 30,
  },
];

interface Application {
  readonly id: string;
  readonly name: string;
}
interface Environment {
  readonly applicationId: string;
  readonly id: string;
  readonly name: string;
}
interface Profile {
  readonly applicationId: string;
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly propagationSeconds: number;
}
interface HostedVersion {
  readonly applicationId: string;
  readonly profileId: string;
  readonly number: number;
  readonly content: Uint8Array;
  readonly contentType: string;
  readonly description?: string;
  readonly label?: string;
}
interface DeploymentRecord {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly number: number;
  readonly version: number;
  readonly strategy: StrategySpec;
  readonly description?: string;
  readonly startedAt: number;
  stopped?: { readonly at: number; readonly revert: boolean };
}

/** Options for {@link SimAppConfig}. */
export interface SimAppConfigOptions {
  readonly clock: VirtualClock;
  /** Default seconds for an application to pick up a deployed configuration (agent poll interval). */
  readonly propagationSeconds?: number;
}

/** Plain-JSON view of the AppConfig state, for snapshots. */
export interface AppConfigSnapshot {
  applications: { id: string; name: string }[];
  environments: { applicationId: string; id: string; name: string }[];
  profiles: { applicationId: string; id: string; name: string; type: string; propagationSeconds: number }[];
  strategies: StrategySpec[];
  versions: { applicationId: string; profileId: string; number: number; description?: string; label?: string; content: string }[];
  deployments: {
    applicationId: string;
    environmentId: string;
    profileId: string;
    number: number;
    configurationVersion: string;
    strategyId: string;
    state: string;
    percentageComplete: number;
    startedAt: string;
    completedAt?: string;
    description?: string;
  }[];
}

const IN_PROGRESS: ReadonlySet<DeploymentState> = new Set<DeploymentState>(['DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK']);

function notFound(what: string, id: string | undefined): ResourceNotFoundException {
  const message = `${what} ${id ?? '(missing)'} not found`;
  return new ResourceNotFoundException({ message, Message: message, ResourceName: what, $metadata: errorMetadata(404) });
}

function badRequest(message: string, extra: Partial<Pick<BadRequestException, 'Reason' | 'Details'>> = {}): BadRequestException {
  return new BadRequestException({ message, Message: message, ...extra, $metadata: errorMetadata(400) });
}

function conflict(message: string): ConflictException {
  return new ConflictException({ message, Message: message, $metadata: errorMetadata(409) });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Simulated AppConfig control plane, plus what the application sees. */
export class SimAppConfig implements SimService {
  readonly service = 'appconfig' as const;
  readonly #clock: VirtualClock;
  readonly #defaultPropagation: number;
  readonly #applications = new Map<string, Application>();
  readonly #environments = new Map<string, Environment>();
  readonly #profiles = new Map<string, Profile>();
  readonly #strategies = new Map<string, StrategySpec>();
  readonly #versions = new Map<string, HostedVersion[]>();
  readonly #deployments = new Map<string, DeploymentRecord[]>();
  readonly #flagCache = new Map<HostedVersion, Record<string, boolean>>();

  constructor(options: SimAppConfigOptions) {
    this.#clock = options.clock;
    this.#defaultPropagation = options.propagationSeconds ?? 45;
    for (const s of PREDEFINED_STRATEGIES) this.#strategies.set(s.id, s);
  }

  // ---- seeding (initial state; not AWS API) ----

  addApplication(app: { id: string; name: string }): void {
    this.#applications.set(app.id, { ...app });
  }

  addEnvironment(env: { applicationId: string; id: string; name: string }): void {
    this.#requireApp(env.applicationId);
    this.#environments.set(key(env.applicationId, env.id), { ...env });
    this.#deployments.set(key(env.applicationId, env.id), []);
  }

  addProfile(profile: { applicationId: string; id: string; name: string; type?: string; propagationSeconds?: number }): void {
    this.#requireApp(profile.applicationId);
    this.#profiles.set(key(profile.applicationId, profile.id), {
      applicationId: profile.applicationId,
      id: profile.id,
      name: profile.name,
      type: profile.type ?? FEATURE_FLAGS_TYPE,
      propagationSeconds: profile.propagationSeconds ?? this.#defaultPropagation,
    });
    this.#versions.set(key(profile.applicationId, profile.id), []);
  }

  addStrategy(strategy: StrategySpec): void {
    if (!(strategy.growthFactor >= 1 && strategy.growthFactor <= 100)) {
      throw new RangeError(`deployment strategy ${strategy.id}: growthFactor must be between 1 and 100`);
    }
    if (strategy.durationMinutes < 0 || strategy.bakeMinutes < 0) {
      throw new RangeError(`deployment strategy ${strategy.id}: durations must not be negative`);
    }
    this.#strategies.set(strategy.id, { ...strategy });
  }

  /** Stores a hosted version as initial state (validated like CreateHostedConfigurationVersion); returns its number. */
  addVersion(v: { applicationId: string; profileId: string; content: string; description?: string; label?: string }): number {
    const out = this.createHostedConfigurationVersion({
      ApplicationId: v.applicationId,
      ConfigurationProfileId: v.profileId,
      Content: encoder.encode(v.content),
      ContentType: 'application/json',
      Description: v.description,
      VersionLabel: v.label,
    });
    return out.VersionNumber!;
  }

  /**
   * Records a deployment that started at `startedAt` (possibly before the drill began). It
   * bypasses the in-progress check, because it describes the past, not a request made now.
   */
  seedDeployment(d: { applicationId: string; environmentId: string; profileId: string; version: number; strategyId: string; startedAt: Date; description?: string }): number {
    const list = this.#deploymentsOf(d.applicationId, d.environmentId);
    this.#requireProfile(d.applicationId, d.profileId);
    this.#requireVersion(d.applicationId, d.profileId, d.version);
    const strategy = this.#strategies.get(d.strategyId);
    if (!strategy) throw notFound('DeploymentStrategy', d.strategyId);
    const record: DeploymentRecord = {
      applicationId: d.applicationId,
      environmentId: d.environmentId,
      profileId: d.profileId,
      number: list.length + 1,
      version: d.version,
      strategy,
      description: d.description,
      startedAt: d.startedAt.getTime(),
    };
    list.push(record);
    return record.number;
  }

  // ---- what the application sees ----

  /**
   * The flag values an application polling this profile sees at `at`: the version of the latest
   * deployment that had reached 100% of targets at or before `at − propagationSeconds` and was
   * not rolled back or reverted by then. Empty when nothing was ever deployed.
   */
  effectiveFlags(applicationId: string, environmentId: string, profileId: string, at: Date): Record<string, boolean> {
    const mix = this.#mix(applicationId, environmentId, profileId, at.getTime());
    return mix.full ? { ...this.#flags(mix.full) } : {};
  }

  /**
   * Share (0..1) of the application's targets that see `flag` enabled at `at`. Unlike
   * {@link effectiveFlags} it counts a deployment still rolling out, in proportion to its
   * PercentageComplete, so gradual strategies ramp the impact up gradually.
   */
  flagExposure(applicationId: string, environmentId: string, profileId: string, flag: string, at: Date): number {
    const mix = this.#mix(applicationId, environmentId, profileId, at.getTime());
    const fullOn = mix.full && this.#flags(mix.full)[flag] ? 1 : 0;
    if (!mix.partial) return fullOn;
    const partialOn = this.#flags(mix.partial.version)[flag] ? 1 : 0;
    return (1 - mix.partial.fraction) * fullOn + mix.partial.fraction * partialOn;
  }

  /** The propagation delay of a profile, in seconds. */
  propagationSeconds(applicationId: string, profileId: string): number {
    return this.#requireProfile(applicationId, profileId).propagationSeconds;
  }

  // ---- AWS API ----

  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      ListDeployments: (i: ListDeploymentsCommandInput) => this.listDeployments(i),
      GetDeployment: (i: GetDeploymentCommandInput) => this.getDeployment(i),
      StartDeployment: (i: StartDeploymentCommandInput) => this.startDeployment(i),
      StopDeployment: (i: StopDeploymentCommandInput) => this.stopDeployment(i),
      ListHostedConfigurationVersions: (i: ListHostedConfigurationVersionsCommandInput) => this.listHostedConfigurationVersions(i),
      GetHostedConfigurationVersion: (i: GetHostedConfigurationVersionCommandInput) => this.getHostedConfigurationVersion(i),
      CreateHostedConfigurationVersion: (i: CreateHostedConfigurationVersionCommandInput) => this.createHostedConfigurationVersion(i),
      GetConfigurationProfile: (i: GetConfigurationProfileCommandInput) => this.getConfigurationProfile(i),
      ListDeploymentStrategies: (i: ListDeploymentStrategiesCommandInput) => this.listDeploymentStrategies(i),
      GetDeploymentStrategy: (i: GetDeploymentStrategyCommandInput) => this.getDeploymentStrategy(i),
      GetEnvironment: (i: GetEnvironmentCommandInput) => this.getEnvironment(i),
    };
  }

  /** Deployments of an environment in descending deployment-number order, as AWS documents. */
  listDeployments(input: ListDeploymentsCommandInput): Out<ListDeploymentsCommandOutput> {
    const list = this.#deploymentsOf(input.ApplicationId, input.EnvironmentId);
    const pageSize = pageSizeOf(input.MaxResults, 50);
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw badRequest('The NextToken is invalid');
    const now = this.#clock.nowMs();
    const sorted = [...list].reverse();
    const { page, nextToken } = paginate(sorted, offset, pageSize);
    return { Items: page.map((d) => this.#summary(d, now)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  getDeployment(input: GetDeploymentCommandInput): Out<GetDeploymentCommandOutput> {
    const d = this.#requireDeployment(input.ApplicationId, input.EnvironmentId, input.DeploymentNumber);
    return this.#deployment(d, this.#clock.nowMs());
  }

  startDeployment(input: StartDeploymentCommandInput): Out<StartDeploymentCommandOutput> {
    const list = this.#deploymentsOf(input.ApplicationId, input.EnvironmentId);
    const profile = this.#requireProfile(input.ApplicationId!, input.ConfigurationProfileId);
    const strategy = this.#strategies.get(input.DeploymentStrategyId ?? '');
    if (!strategy) throw notFound('DeploymentStrategy', input.DeploymentStrategyId);
    const version = this.#resolveVersion(profile, input.ConfigurationVersion);
    if (input.Description !== undefined && input.Description.length > 1024) throw badRequest('Description must be at most 1024 characters');
    const now = this.#clock.nowMs();
    const latest = list.at(-1);
    if (input.LatestDeploymentNumber !== undefined && input.LatestDeploymentNumber !== (latest?.number ?? 0)) {
      throw conflict(`LatestDeploymentNumber ${input.LatestDeploymentNumber} does not match the latest deployment number ${latest?.number ?? 0}`);
    }
    // One deployment at a time per environment, whatever the profile: AppConfig answers ConflictException.
    const running = list.find((d) => IN_PROGRESS.has(this.#state(d, now)));
    if (running) {
      throw conflict(
        `Deployment #${running.number} is in progress in environment ${input.EnvironmentId} (state ${this.#state(running, now)}); ` +
          'wait for it to complete or stop it before starting another',
      );
    }
    const record: DeploymentRecord = {
      applicationId: input.ApplicationId!,
      environmentId: input.EnvironmentId!,
      profileId: profile.id,
      number: list.length + 1,
      version: version.number,
      strategy,
      description: input.Description,
      startedAt: now,
    };
    list.push(record);
    return this.#deployment(record, now);
  }

  stopDeployment(input: StopDeploymentCommandInput): Out<StopDeploymentCommandOutput> {
    const d = this.#requireDeployment(input.ApplicationId, input.EnvironmentId, input.DeploymentNumber);
    const now = this.#clock.nowMs();
    const state = this.#state(d, now);
    if (state === 'DEPLOYING' || (state === 'BAKING' && input.AllowRevert)) {
      d.stopped = { at: now, revert: false };
    } else if (state === 'BAKING') {
      throw badRequest(`Deployment #${d.number} is BAKING; only DEPLOYING deployments can be stopped without AllowRevert`);
    } else if (state === 'COMPLETE') {
      if (!input.AllowRevert) throw badRequest(`Deployment #${d.number} is COMPLETE; set AllowRevert to revert it`);
      const completedAt = this.#completedAt(d)!;
      if (now - completedAt > REVERT_WINDOW_MS) throw badRequest(`Deployment #${d.number} completed more than 72 hours ago and can no longer be reverted`);
      const list = this.#deploymentsOf(d.applicationId, d.environmentId);
      if (list.at(-1) !== d) throw badRequest(`Deployment #${d.number} is not the latest deployment in environment ${d.environmentId}; only the latest can be reverted`);
      d.stopped = { at: now, revert: true };
    } else {
      throw badRequest(`Deployment #${d.number} is already ${state}`);
    }
    return this.#deployment(d, now);
  }

  /** Hosted versions of a profile, newest first. */
  listHostedConfigurationVersions(input: ListHostedConfigurationVersionsCommandInput): Out<ListHostedConfigurationVersionsCommandOutput> {
    const profile = this.#requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    const pageSize = pageSizeOf(input.MaxResults, 50);
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw badRequest('The NextToken is invalid');
    let versions = [...this.#versionsOf(profile)].reverse();
    if (input.VersionLabel !== undefined) {
      const wanted = input.VersionLabel;
      versions = versions.filter((v) => (wanted.endsWith('*') ? (v.label ?? '').startsWith(wanted.slice(0, -1)) : v.label === wanted));
    }
    const { page, nextToken } = paginate(versions, offset, pageSize);
    return {
      Items: page.map((v) => ({
        ApplicationId: v.applicationId,
        ConfigurationProfileId: v.profileId,
        VersionNumber: v.number,
        ContentType: v.contentType,
        ...(v.description !== undefined ? { Description: v.description } : {}),
        ...(v.label !== undefined ? { VersionLabel: v.label } : {}),
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  getHostedConfigurationVersion(input: GetHostedConfigurationVersionCommandInput): Out<GetHostedConfigurationVersionCommandOutput> {
    const profile = this.#requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    const v = this.#versionsOf(profile).find((x) => x.number === input.VersionNumber);
    if (!v) throw notFound('HostedConfigurationVersion', String(input.VersionNumber));
    return this.#version(v);
  }

  createHostedConfigurationVersion(input: CreateHostedConfigurationVersionCommandInput): Out<CreateHostedConfigurationVersionCommandOutput> {
    const profile = this.#requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    const content = toBytes(input.Content);
    if (!input.ContentType) throw badRequest('ContentType is required');
    if (content.byteLength > MAX_HOSTED_BYTES) {
      const message = 'Configuration data is too large';
      throw new PayloadTooLargeException({
        message,
        Message: message,
        Measure: 'KILOBYTES',
        Limit: MAX_HOSTED_BYTES / 1024,
        Size: Math.ceil(content.byteLength / 1024),
        $metadata: errorMetadata(413),
      });
    }
    if (input.VersionLabel !== undefined && (/^\d+$/.test(input.VersionLabel) || input.VersionLabel.length > 64)) {
      throw badRequest('VersionLabel must contain at least one non-numeric character and be at most 64 characters');
    }
    if (input.Description !== undefined && (input.Description.length > 1024 || !/^[\x20-\x7E]*$/.test(input.Description))) {
      throw badRequest('Description must be ASCII and at most 1024 characters');
    }
    const versions = this.#versionsOf(profile);
    const latest = versions.at(-1)?.number ?? 0;
    // The optimistic lock: a writer that read version N must not overwrite a version N+1 it never saw.
    if (input.LatestVersionNumber !== undefined && input.LatestVersionNumber !== latest) {
      throw conflict(`LatestVersionNumber ${input.LatestVersionNumber} does not match the latest version number ${latest} of configuration profile ${profile.id}`);
    }
    if (input.VersionLabel !== undefined && versions.some((v) => v.label === input.VersionLabel)) {
      throw conflict(`VersionLabel ${input.VersionLabel} is already used by another version of configuration profile ${profile.id}`);
    }
    if (profile.type === FEATURE_FLAGS_TYPE) {
      if (!input.ContentType.startsWith('application/json')) throw badRequest(`Feature flag configurations must have ContentType application/json, got ${input.ContentType}`);
      const checked = checkFlagDocument(decoder.decode(content));
      if (!checked.ok) {
        throw badRequest('Configuration data is not valid for a feature flag configuration profile', {
          Reason: 'InvalidConfiguration',
          Details: { InvalidConfiguration: checked.problems.map((p) => ({ ...p })) },
        });
      }
    }
    const v: HostedVersion = {
      applicationId: profile.applicationId,
      profileId: profile.id,
      number: latest + 1,
      content,
      contentType: input.ContentType,
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      ...(input.VersionLabel !== undefined ? { label: input.VersionLabel } : {}),
    };
    versions.push(v);
    return this.#version(v);
  }

  getConfigurationProfile(input: GetConfigurationProfileCommandInput): Out<GetConfigurationProfileCommandOutput> {
    const p = this.#requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    return { ApplicationId: p.applicationId, Id: p.id, Name: p.name, LocationUri: 'hosted', Type: p.type, Validators: [] };
  }

  listDeploymentStrategies(input: ListDeploymentStrategiesCommandInput): Out<ListDeploymentStrategiesCommandOutput> {
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw badRequest('The NextToken is invalid');
    const { page, nextToken } = paginate([...this.#strategies.values()], offset, pageSizeOf(input.MaxResults, 50));
    return { Items: page.map(strategyOut), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  getDeploymentStrategy(input: GetDeploymentStrategyCommandInput): Out<GetDeploymentStrategyCommandOutput> {
    const s = this.#strategies.get(input.DeploymentStrategyId ?? '');
    if (!s) throw notFound('DeploymentStrategy', input.DeploymentStrategyId);
    return strategyOut(s);
  }

  getEnvironment(input: GetEnvironmentCommandInput): Out<GetEnvironmentCommandOutput> {
    this.#requireApp(input.ApplicationId);
    const env = this.#environments.get(key(input.ApplicationId, input.EnvironmentId));
    if (!env) throw notFound('Environment', input.EnvironmentId);
    const now = this.#clock.nowMs();
    const list = this.#deploymentsOf(env.applicationId, env.id);
    const last = list.at(-1);
    let state: GetEnvironmentCommandOutput['State'] = 'READY_FOR_DEPLOYMENT';
    if (last) {
      const s = this.#state(last, now);
      if (IN_PROGRESS.has(s)) state = 'DEPLOYING';
      else if (s === 'ROLLED_BACK') state = 'ROLLED_BACK';
      else if (s === 'REVERTED') state = 'REVERTED';
    }
    return { ApplicationId: env.applicationId, Id: env.id, Name: env.name, State: state, Monitors: [] };
  }

  // ---- snapshot ----

  /** Plain JSON of the whole AppConfig state at the current virtual time. */
  snapshot(): AppConfigSnapshot {
    const now = this.#clock.nowMs();
    return {
      applications: [...this.#applications.values()].map((a) => ({ ...a })),
      environments: [...this.#environments.values()].map((e) => ({ ...e })),
      profiles: [...this.#profiles.values()].map((p) => ({ ...p })),
      strategies: [...this.#strategies.values()].map((s) => ({ ...s })),
      versions: [...this.#versions.values()].flat().map((v) => ({
        applicationId: v.applicationId,
        profileId: v.profileId,
        number: v.number,
        ...(v.description !== undefined ? { description: v.description } : {}),
        ...(v.label !== undefined ? { label: v.label } : {}),
        content: decoder.decode(v.content),
      })),
      deployments: [...this.#deployments.values()].flat().map((d) => {
        const completedAt = this.#completedAt(d, now);
        return {
          applicationId: d.applicationId,
          environmentId: d.environmentId,
          profileId: d.profileId,
          number: d.number,
          configurationVersion: String(d.version),
          strategyId: d.strategy.id,
          state: this.#state(d, now),
          percentageComplete: this.#percent(d, now),
          startedAt: new Date(d.startedAt).toISOString(),
          ...(completedAt !== undefined ? { completedAt: new Date(completedAt).toISOString() } : {}),
          ...(d.description !== undefined ? { description: d.description } : {}),
        };
      }),
    };
  }

  // ---- internals ----

  #requireApp(id: string | undefined): Application {
    const app = this.#applications.get(id ?? '');
    if (!app) throw notFound('Application', id);
    return app;
  }

  #requireProfile(applicationId: string | undefined, profileId: string | undefined): Profile {
    this.#requireApp(applicationId);
    const p = this.#profiles.get(key(applicationId, profileId));
    if (!p) throw notFound('ConfigurationProfile', profileId);
    return p;
  }

  #requireVersion(applicationId: string, profileId: string, version: number): HostedVersion {
    const v = this.#versionsOf(this.#requireProfile(applicationId, profileId)).find((x) => x.number === version);
    if (!v) throw notFound('HostedConfigurationVersion', String(version));
    return v;
  }

  #deploymentsOf(applicationId: string | undefined, environmentId: string | undefined): DeploymentRecord[] {
    this.#requireApp(applicationId);
    const list = this.#deployments.get(key(applicationId, environmentId));
    if (!list) throw notFound('Environment', environmentId);
    return list;
  }

  #requireDeployment(applicationId: string | undefined, environmentId: string | undefined, number: number | undefined): DeploymentRecord {
    const d = this.#deploymentsOf(applicationId, environmentId).find((x) => x.number === number);
    if (!d) throw notFound('Deployment', String(number));
    return d;
  }

  #versionsOf(profile: Profile): HostedVersion[] {
    return this.#versions.get(key(profile.applicationId, profile.id))!;
  }

  /** ConfigurationVersion may be the version number or a version label (hosted store only). */
  #resolveVersion(profile: Profile, ref: string | undefined): HostedVersion {
    const versions = this.#versionsOf(profile);
    const v = /^\d+$/.test(ref ?? '') ? versions.find((x) => x.number === Number(ref)) : versions.find((x) => x.label === ref);
    if (!v) throw notFound('HostedConfigurationVersion', ref);
    return v;
  }

  #flags(v: HostedVersion): Record<string, boolean> {
    let flags = this.#flagCache.get(v);
    if (!flags) {
      const checked = checkFlagDocument(decoder.decode(v.content));
      flags = checked.ok ? flagStates(checked.doc) : {};
      this.#flagCache.set(v, flags);
    }
    return flags;
  }

  /**
   * What an application polling the profile has loaded at `atMs`: the last fully rolled-out
   * version, plus the share of targets already on a version still rolling out.
   */
  #mix(applicationId: string, environmentId: string, profileId: string, atMs: number): { full?: HostedVersion; partial?: { version: HostedVersion; fraction: number } } {
    const profile = this.#requireProfile(applicationId, profileId);
    const seenAt = atMs - profile.propagationSeconds * 1000;
    let full: HostedVersion | undefined;
    let partial: { version: HostedVersion; fraction: number } | undefined;
    for (const d of this.#deploymentsOf(applicationId, environmentId)) {
      if (d.profileId !== profileId || d.startedAt > seenAt) continue;
      // A rollback or revert restores what was there before the deployment.
      if (d.stopped && d.stopped.at <= seenAt) continue;
      const version = this.#versionsOf(profile).find((v) => v.number === d.version)!;
      const pct = this.#percent(d, seenAt);
      if (pct >= 100) {
        full = version;
        partial = undefined;
      } else {
        partial = { version, fraction: pct / 100 };
      }
    }
    return { ...(full ? { full } : {}), ...(partial ? { partial } : {}) };
  }

  #state(d: DeploymentRecord, atMs: number): DeploymentState {
    if (d.stopped && atMs >= d.stopped.at) return d.stopped.revert ? 'REVERTED' : 'ROLLED_BACK';
    const elapsed = atMs - d.startedAt;
    const deployMs = d.strategy.durationMinutes * 60_000;
    if (elapsed < deployMs) return 'DEPLOYING';
    if (elapsed < deployMs + d.strategy.bakeMinutes * 60_000) return 'BAKING';
    return 'COMPLETE';
  }

  /** PercentageComplete: the strategy's growth steps spread evenly over the deployment duration. */
  #percent(d: DeploymentRecord, atMs: number): number {
    const state = this.#state(d, atMs);
    if (state === 'ROLLED_BACK') return this.#percent({ ...d, stopped: undefined }, d.stopped!.at);
    if (state !== 'DEPLOYING') return 100;
    const steps = growthSteps(d.strategy);
    const interval = (d.strategy.durationMinutes * 60_000) / steps.length;
    const index = Math.min(steps.length - 1, Math.floor((atMs - d.startedAt) / interval));
    return steps[index]!;
  }

  #completedAt(d: DeploymentRecord, atMs = this.#clock.nowMs()): number | undefined {
    const state = this.#state(d, atMs);
    if (state === 'ROLLED_BACK') return d.stopped!.at;
    const natural = d.startedAt + (d.strategy.durationMinutes + d.strategy.bakeMinutes) * 60_000;
    if (state === 'COMPLETE' || state === 'REVERTED') return natural;
    return undefined;
  }

  #summary(d: DeploymentRecord, now: number): DeploymentSummary {
    const profile = this.#requireProfile(d.applicationId, d.profileId);
    const completedAt = this.#completedAt(d, now);
    const v = this.#requireVersion(d.applicationId, d.profileId, d.version);
    return {
      DeploymentNumber: d.number,
      ConfigurationProfileId: d.profileId,
      ConfigurationName: profile.name,
      ConfigurationVersion: String(d.version),
      DeploymentDurationInMinutes: d.strategy.durationMinutes,
      GrowthType: d.strategy.growthType,
      GrowthFactor: d.strategy.growthFactor,
      FinalBakeTimeInMinutes: d.strategy.bakeMinutes,
      State: this.#state(d, now),
      PercentageComplete: this.#percent(d, now),
      StartedAt: new Date(d.startedAt),
      ...(completedAt !== undefined ? { CompletedAt: new Date(completedAt) } : {}),
      ...(v.label !== undefined ? { VersionLabel: v.label } : {}),
    };
  }

  #deployment(d: DeploymentRecord, now: number): Deployment {
    return {
      ApplicationId: d.applicationId,
      EnvironmentId: d.environmentId,
      DeploymentStrategyId: d.strategy.id,
      ConfigurationLocationUri: 'hosted',
      ...(d.description !== undefined ? { Description: d.description } : {}),
      ...this.#summary(d, now),
      EventLog: this.#events(d, now),
      AppliedExtensions: [],
    };
  }

  /** The deployment's event log up to `now`, most recent first (as AppConfig lists it). */
  #events(d: DeploymentRecord, now: number): DeploymentEvent[] {
    const events: DeploymentEvent[] = [];
    const push = (at: number, EventType: DeploymentEvent['EventType'], TriggeredBy: DeploymentEvent['TriggeredBy'], Description: string) => {
      if (at <= now) events.push({ EventType, TriggeredBy, Description, OccurredAt: new Date(at) });
    };
    push(d.startedAt, 'DEPLOYMENT_STARTED', 'USER', 'Deployment started');
    const stoppedAt = d.stopped?.at ?? Infinity;
    const steps = growthSteps(d.strategy);
    const interval = (d.strategy.durationMinutes * 60_000) / steps.length;
    steps.forEach((pct, i) => {
      const at = d.startedAt + i * interval;
      if (at < stoppedAt) push(at, 'PERCENTAGE_UPDATED', 'APPCONFIG', `Configuration available to ${pct}% of clients`);
    });
    const deployedAt = d.startedAt + d.strategy.durationMinutes * 60_000;
    if (deployedAt < stoppedAt) push(deployedAt, 'BAKE_TIME_STARTED', 'APPCONFIG', 'Deployment bake time started');
    const natural = deployedAt + d.strategy.bakeMinutes * 60_000;
    if (natural <= stoppedAt || d.stopped?.revert) push(natural, 'DEPLOYMENT_COMPLETED', 'APPCONFIG', 'Deployment completed');
    if (d.stopped && !d.stopped.revert) {
      push(d.stopped.at, 'ROLLBACK_STARTED', 'USER', 'Rollback initiated by StopDeployment');
      push(d.stopped.at, 'ROLLBACK_COMPLETED', 'APPCONFIG', 'Rollback completed');
    }
    if (d.stopped?.revert) push(d.stopped.at, 'REVERT_COMPLETED', 'USER', 'Configuration reverted to the previous version');
    return events.reverse();
  }

  #version(v: HostedVersion): Out<GetHostedConfigurationVersionCommandOutput> {
    return {
      ApplicationId: v.applicationId,
      ConfigurationProfileId: v.profileId,
      VersionNumber: v.number,
      // A copy, typed like the SDK's own deserializer output (it has transformToString()).
      Content: Uint8ArrayBlobAdapter.mutate(new Uint8Array(v.content)),
      ContentType: v.contentType,
      ...(v.description !== undefined ? { Description: v.description } : {}),
      ...(v.label !== undefined ? { VersionLabel: v.label } : {}),
    };
  }
}

/**
 * The SDK accepts a string or any byte view as Content; streams cannot be read synchronously,
 * so the simulation refuses them loudly rather than storing something wrong.
 */
function toBytes(content: CreateHostedConfigurationVersionCommandInput['Content']): Uint8Array {
  if (typeof content === 'string') return encoder.encode(content);
  if (content instanceof Uint8Array) return new Uint8Array(content);
  if (content instanceof ArrayBuffer) return new Uint8Array(content.slice(0));
  if (ArrayBuffer.isView(content)) return new Uint8Array(content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength));
  if (content === undefined) throw badRequest('Content is required');
  throw badRequest('The simulated AppConfig accepts Content as a string or bytes, not a stream or Blob');
}

function key(a: string | undefined, b: string | undefined): string {
  return `${a ?? ''}/${b ?? ''}`;
}

function pageSizeOf(maxResults: number | undefined, max: number): number {
  if (maxResults === undefined) return max;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > max) throw badRequest(`MaxResults must be between 1 and ${max}`);
  return maxResults;
}

/** Percentages reached at each step: LINEAR adds the factor, EXPONENTIAL doubles it, capped at 100. */
function growthSteps(s: StrategySpec): number[] {
  if (s.durationMinutes === 0) return [100];
  const steps: number[] = [];
  for (let i = 0; steps.at(-1) !== 100; i++) {
    const pct = s.growthType === 'EXPONENTIAL' ? s.growthFactor * 2 ** i : s.growthFactor * (i + 1);
    steps.push(Math.min(100, Math.round(pct * 100) / 100));
  }
  return steps;
}

function strategyOut(s: StrategySpec): DeploymentStrategy {
  return {
    Id: s.id,
    Name: s.name,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    DeploymentDurationInMinutes: s.durationMinutes,
    GrowthType: s.growthType,
    GrowthFactor: s.growthFactor,
    FinalBakeTimeInMinutes: s.bakeMinutes,
    ReplicateTo: 'NONE',
  };
}
