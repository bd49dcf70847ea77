import { AppConfigClient, StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { WAFV2Client } from '@aws-sdk/client-wafv2';

import { atOffset, type HistoryEntry, type Scenario } from '../scenario.js';
import { type AppConfigSnapshot, SimAppConfig } from './appconfig.js';
import { type ArcSnapshot, SimArc } from './arc.js';
import { VirtualClock } from './clock.js';
import { type AlarmSpec, type CloudWatchSnapshot, SimCloudWatch } from './cloudwatch.js';
import { type EcsSnapshot, SimEcs } from './ecs.js';
import { FaultInjector, type FaultReport } from './faults.js';
import { buildFlagDocument } from './flags.js';
import { type Fault, HealthModel, type ServiceHealth } from './health.js';
import { SIM_REGION } from './ids.js';
import { type RdsSnapshot, SimRds } from './rds.js';
import { SimRoute53 } from './route53.js';
import { type PublishedMessage, SimSns } from './sns.js';
import { SimIdentity, SimSts } from './sts.js';
import { SimWafv2 } from './wafv2.js';
import { type CallOrigin, CallRecorder, type SimCall, type SimCallers, wireClient, type WireOptions } from './wire.js';

/**
 * The simulated AWS account a drill runs against: AppConfig, ECS, CloudWatch and SNS over one
 * virtual clock and one health model, reachable through real SDK v3 clients.
 */

/** Real SDK clients whose requests the simulated account answers. */
export interface SimClients {
  readonly appconfig: AppConfigClient;
  readonly ecs: ECSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly route53: Route53Client;
  readonly wafv2: WAFV2Client;
  /** The ARC data plane of one cluster endpoint (one client per endpoint, as in production). */
  readonly arcCluster: (endpoint: string, region: string) => Route53RecoveryClusterClient;
  /** Aurora (`account.database`); the simulated account answers every region. */
  readonly rds: RDSClient;
  /** STS: AssumeRole into a workload account's member role (drills with several accounts). */
  readonly sts: STSClient;
}

/** Credentials and region of a set of clients (lambdas/runtime/clients.ts `ClientSettings`). */
export interface SimClientSettings {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | (() => Promise<{ accessKeyId: string; secretAccessKey: string }>);
}

/**
 * The account as a workload account of a central Tourniquet account (drill/sim/sts.ts): its services
 * answer only calls signed with its member role's sessions; SNS (Tourniquet's topics) and STS are the central account's.
 */
export interface WorkloadAccess {
  /** Who is behind each access key. */
  readonly callers: SimCallers;
  /** The central account's STS, which issues the member role's sessions. */
  readonly sts: SimSts;
  /** Refuses a call not made with the member role. */
  readonly guard: NonNullable<WireOptions['guard']>;
}

/** Options for {@link SimulatedAccount}. */
export interface SimulatedAccountOptions {
  /** A loaded scenario (see loadScenario): its `account` section is the initial state. */
  readonly scenario: Scenario;
  /** ARNs of the SNS topics the code under drill publishes to. */
  readonly topicArns: readonly string[];
  /** The drill's clock; default a new clock at the scenario's startsAt. Must not be past startsAt. */
  readonly clock?: VirtualClock;
  /**
   * How a slow call (a `slow` fault) and the SDK's retry backoff wait, in simulated seconds. The drill
   * passes its scheduler's sleep so other actors run meanwhile; by default the clock simply moves.
   */
  readonly sleep?: (seconds: number) => Promise<void>;
  /** The account and region its resources and alarms are in (ARNs, alarm events). @default SIM_ACCOUNT in SIM_REGION */
  readonly location?: { readonly account: string; readonly region: string };
  /** The account is a workload account reached through a member role. @default every call is answered (one account) */
  readonly access?: WorkloadAccess;
}

/** Plain JSON of every mutable part of the account, for before/after comparisons. */
export interface AccountSnapshot {
  at: string;
  appconfig: AppConfigSnapshot;
  ecs: EcsSnapshot;
  cloudwatch: CloudWatchSnapshot;
  sns: { topics: string[]; published: PublishedMessage[] };
  route53: unknown;
  wafv2: unknown;
  arc: ArcSnapshot;
  rds: RdsSnapshot;
  health: Record<string, { errorRatePercent: number; activeFaults: { description: string; share: number }[] }>;
}

/** One applied history entry, for the drill report. */
export interface AppliedChange {
  /** Virtual time of the change (ISO-8601). */
  readonly at: string;
  readonly action: 'startDeployment' | 'updateService';
  /** What changed, in one line ("AppConfig deployment #2 of version 2 (imm0str)"). */
  readonly message: string;
}

/** Raised when a scenario's history cannot be applied (a call failed, or time went backwards). */
export class HistoryApplyError extends Error {
  override readonly name = 'HistoryApplyError';
  constructor(
    readonly index: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`history[${index}]: ${message}`, options);
  }
}

/** The strategy the stack owns: no rollout time and no bake, so a kill switch lands at once and blocks nothing. */
const IMMEDIATE = { durationMinutes: 0, growthType: 'LINEAR', growthFactor: 100, bakeMinutes: 0 } as const;
/** Fake credentials: the middleware answers before signing, but the clients still want some. */
const CLIENT_CONFIG = { region: SIM_REGION, credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } } as const;

/** A simulated AWS account built from a scenario. */
export class SimulatedAccount {
  readonly clock: VirtualClock;
  readonly startsAt: Date;
  readonly appconfig: SimAppConfig;
  readonly ecs: SimEcs;
  readonly health: HealthModel;
  readonly cloudwatch: SimCloudWatch;
  readonly sns: SimSns;
  readonly route53: SimRoute53;
  readonly wafv2: SimWafv2;
  /** ARC routing controls (`account.arc`): the cluster's endpoints, routing controls and safety rules. */
  readonly arc: SimArc;
  /** Aurora clusters (`account.database`): writer, replicas and their lag, failovers that take time. */
  readonly rds: SimRds;
  /** The scenario's `faults`, applied to the automation's calls (drill/sim/faults.ts). */
  readonly faults: FaultInjector;
  readonly #scenario: Scenario;
  readonly #sleep: ((seconds: number) => Promise<void>) | undefined;
  readonly #recorder = new CallRecorder();
  readonly #clients = new Map<CallOrigin, SimClients>();
  readonly #access: WorkloadAccess | undefined;
  /** The central account's STS (drills with several accounts); alone, an STS that knows no role. */
  readonly sts: SimSts;
  #historyApplied = false;

  constructor(options: SimulatedAccountOptions) {
    const { scenario } = options;
    this.#scenario = scenario;
    this.startsAt = new Date(scenario.startsAt);
    this.clock = options.clock ?? new VirtualClock(this.startsAt);
    if (this.clock.nowMs() > this.startsAt.getTime()) {
      throw new RangeError(`the clock (${this.clock.now().toISOString()}) is already past the scenario start ${this.startsAt.toISOString()}`);
    }
    const at = (offset: string) => atOffset(scenario.startsAt, offset);
    const { appconfig: ac, ecs, alarms, health } = scenario.account;
    this.#sleep = options.sleep;
    this.#access = options.access;
    // One account alone never assumes a role: its STS knows no role and no key.
    this.sts = options.access?.sts ?? new SimSts({ clock: this.clock, identity: new SimIdentity() });
    this.faults = new FaultInjector(
      (scenario.faults ?? []).map((spec) => ({
        spec,
        ...(spec.from !== undefined ? { from: at(spec.from) } : {}),
        ...(spec.until !== undefined ? { until: at(spec.until) } : {}),
      })),
    );

    this.appconfig = new SimAppConfig({ clock: this.clock, propagationSeconds: ac.propagationSeconds ?? 45 });
    this.appconfig.addApplication(ac.application);
    this.appconfig.addEnvironment({ applicationId: ac.application.id, ...ac.environment });
    this.appconfig.addProfile({ applicationId: ac.application.id, ...ac.profile });
    this.appconfig.addStrategy({ id: ac.immediateStrategy.id, name: ac.immediateStrategy.name, description: 'Tourniquet kill switch: all at once, no bake', ...IMMEDIATE });
    for (const v of ac.versions) {
      this.appconfig.addVersion({
        applicationId: ac.application.id,
        profileId: ac.profile.id,
        // A flag deleted from the profile in this version is neither defined nor set in its document.
        content: JSON.stringify(buildFlagDocument(Object.fromEntries(Object.entries(ac.flags).filter(([key]) => !v.withoutFlags?.includes(key))), v.values)),
        ...(v.description !== undefined ? { description: v.description } : {}),
        ...(v.label !== undefined ? { label: v.label } : {}),
      });
    }
    const seeded: { version: number; at: string; strategy: string; description?: string | undefined }[] = [...ac.earlierDeployments, ac.deployed];
    for (const d of seeded) {
      this.appconfig.seedDeployment({
        applicationId: ac.application.id,
        environmentId: ac.environment.id,
        profileId: ac.profile.id,
        version: d.version,
        strategyId: d.strategy,
        startedAt: at(d.at),
        ...(d.description !== undefined ? { description: d.description } : {}),
      });
    }

    this.ecs = new SimEcs({ clock: this.clock, deploymentSeconds: ecs.deploymentSeconds });
    this.ecs.addCluster(ecs.cluster);
    const earliest = Math.min(...ecs.services.map((s) => at(s.since).getTime()));
    // Registration dates only need to precede every use; a week before the oldest service will do.
    for (const td of ecs.taskDefinitions) this.ecs.registerTaskDefinition(td, new Date(earliest - 7 * 86_400_000));
    for (const s of ecs.services) {
      this.ecs.addService({ cluster: ecs.cluster, name: s.name, taskDefinition: s.taskDefinition, desiredCount: s.desiredCount, createdAt: at(s.since) });
    }

    // Route 53 and WAF come before the health model: faults read which record DNS serves and what the ACL blocks.
    this.route53 = scenario.account.route53
      ? SimRoute53.fromScenario(scenario.account.route53, { clock: this.clock, startsAt: scenario.startsAt })
      : new SimRoute53({ clock: this.clock });
    this.wafv2 = scenario.account.wafv2 ? SimWafv2.fromScenario(scenario.account.wafv2, { clock: this.clock }) : new SimWafv2({ clock: this.clock });
    this.arc = scenario.account.arc ? SimArc.fromScenario(scenario.account.arc, { clock: this.clock, startsAt: scenario.startsAt }) : new SimArc({ clock: this.clock });
    // Faults read which instance is the Aurora writer.
    this.rds = scenario.account.database ? SimRds.fromScenario(scenario.account.database, { clock: this.clock, startsAt: scenario.startsAt }) : new SimRds({ clock: this.clock });
    const zoneId = scenario.account.route53?.hostedZone.id ?? '';

    const models: Record<string, ServiceHealth> = {};
    for (const [service, h] of Object.entries(health)) {
      models[service] = {
        baselineErrorRatePercent: h.baselineErrorRatePercent,
        faults: h.faults.map((f): Fault => ({
          ...(f.description !== undefined ? { description: f.description } : {}),
          errorRatePercent: f.errorRatePercent,
          when:
            f.when.flagEnabled !== undefined
              ? { flagEnabled: { applicationId: ac.application.id, environmentId: ac.environment.id, configurationProfileId: ac.profile.id, flag: f.when.flagEnabled } }
              : f.when.flagDisabled !== undefined
                ? { flagDisabled: { applicationId: ac.application.id, environmentId: ac.environment.id, configurationProfileId: ac.profile.id, flag: f.when.flagDisabled } }
                : f.when.taskDefinitionRunning !== undefined
                  ? { taskDefinitionRunning: { cluster: ecs.cluster, service, taskDefinition: f.when.taskDefinitionRunning } }
                  : f.when.servedBy !== undefined
                    ? { servedBy: { hostedZoneId: zoneId, ...f.when.servedBy } }
                    : f.when.servedByCell !== undefined
                      ? { servedByCell: { routingControlArn: this.arc.routingControlArn(f.when.servedByCell) } }
                      : f.when.databaseWriter !== undefined
                        ? { databaseWriter: { instanceId: f.when.databaseWriter } }
                        : f.when.trafficUnblocked !== undefined
                          ? { trafficUnblocked: { webAclId: this.wafv2.webAclId(f.when.trafficUnblocked.webAcl), traffic: f.when.trafficUnblocked.traffic } }
                          : f.when.capacityBelow !== undefined
                            ? { capacityBelow: { cluster: ecs.cluster, service, tasks: f.when.capacityBelow } }
                            : { always: true },
          ...(f.from !== undefined ? { from: at(f.from) } : {}),
          ...(f.until !== undefined ? { until: at(f.until) } : {}),
          ...(f.pulse !== undefined ? { pulse: { ...f.pulse, anchor: f.from !== undefined ? at(f.from) : this.startsAt } } : {}),
        })),
      };
    }
    this.health = new HealthModel(models, { appconfig: this.appconfig, ecs: this.ecs, route53: this.route53, wafv2: this.wafv2, arc: this.arc, rds: this.rds });

    this.cloudwatch = new SimCloudWatch({
      clock: this.clock,
      health: this.health,
      createdAt: this.startsAt,
      ...(options.location ? { location: options.location } : {}),
      alarms: alarms.map((a): AlarmSpec => ({
        name: a.name,
        ...(a.description !== undefined ? { description: a.description } : {}),
        service: a.service,
        threshold: a.threshold,
        comparisonOperator: a.comparisonOperator,
        periodSeconds: a.periodSeconds,
        evaluationPeriods: a.evaluationPeriods,
        datapointsToAlarm: a.datapointsToAlarm ?? a.evaluationPeriods,
        namespace: a.namespace,
        metricName: a.metricName,
        statistic: a.statistic,
        dimensions: a.dimensions ?? { Service: a.service },
        unit: 'Percent',
      })),
      compositeAlarms: scenario.account.compositeAlarms.map((c) => ({
        name: c.name,
        rule: c.rule,
        ...(c.description !== undefined ? { description: c.description } : {}),
      })),
      // Aurora's AuroraReplicaLag, which the failover reads before promoting a replica.
      metrics: (query) => this.rds.metric(query),
    });

    this.sns = new SimSns({ clock: this.clock, topicArns: options.topicArns });
  }

  /** The ID of the immediate deployment strategy (duration 0, bake 0) that the mitigate step must use. */
  immediateStrategyId(): string {
    return this.#scenario.account.appconfig.immediateStrategy.id;
  }

  /** Shorthand for `new SimulatedAccount({ scenario, ...options })`. */
  static fromScenario(scenario: Scenario, options: Omit<SimulatedAccountOptions, 'scenario'>): SimulatedAccount {
    return new SimulatedAccount({ scenario, ...options });
  }

  /**
   * Real SDK clients answered by this account. Calls are recorded with origin "drill"
   * (the scenario's own history uses separate clients recorded as "scenario").
   */
  clients(): SimClients {
    return this.#clientsFor('drill');
  }

  /** Every SDK call made against the account so far, in order. */
  calls(): SimCall[] {
    return this.#recorder.list();
  }

  /**
   * A counter that moves whenever the simulated state may have changed (a write to AppConfig, ECS,
   * Route 53 or WAF, from anyone). Between two equal readings every prediction the health model and
   * the alarms make still holds: they are pure functions of that state and the clock.
   */
  stateVersion(): number {
    return this.#recorder.writes();
  }

  /** What each of the scenario's faults did so far: the calls it hit. */
  faultReport(): FaultReport[] {
    return this.faults.report();
  }

  /** Every message published to the account's SNS topics so far. */
  published(): PublishedMessage[] {
    return this.sns.published();
  }

  /** Plain JSON of every mutable part of the account at the current virtual time (a deep copy). */
  snapshot(): AccountSnapshot {
    const now = this.clock.now();
    const health: AccountSnapshot['health'] = {};
    for (const service of this.health.services()) {
      health[service] = {
        errorRatePercent: Math.round(this.health.errorRate(service, now) * 1e6) / 1e6,
        activeFaults: this.health.activeFaults(service, now).map(({ fault, share }) => ({ description: fault.description ?? '(unnamed fault)', share })),
      };
    }
    return structuredClone({
      at: now.toISOString(),
      appconfig: this.appconfig.snapshot(),
      ecs: this.ecs.snapshot(),
      cloudwatch: this.cloudwatch.snapshot(),
      sns: { topics: this.sns.topicArns(), published: this.sns.published() },
      route53: this.route53.snapshot(),
      wafv2: this.wafv2.snapshot(),
      arc: this.arc.snapshot(),
      rds: this.rds.snapshot(),
      health,
    });
  }

  /**
   * What users of the account experience at `at`: the flag values applications see and the task
   * definition each ECS service runs. Undo is judged on this, not on raw state: undoing a flag
   * change adds versions and deployments, but must bring back what the application sees.
   */
  observable(at: Date = this.clock.now()): Record<string, unknown> {
    const ac = this.#scenario.account.appconfig;
    const ecs = this.#scenario.account.ecs;
    const r53 = this.#scenario.account.route53;
    const waf = this.wafv2.snapshot();
    return {
      flags: this.appconfig.effectiveFlags(ac.application.id, ac.environment.id, ac.profile.id, at),
      ecs: Object.fromEntries(
        ecs.services.map((s) => [s.name, { taskDefinition: this.ecs.runningTaskDefinition(ecs.cluster, s.name, at), tasks: this.ecs.capacity(ecs.cluster, s.name, at) }]),
      ),
      dns: r53 ? Object.fromEntries([...new Set(r53.records.map((r) => r.name))].map((name) => [name, this.route53.servingShares(r53.hostedZone.id, name, at)])) : {},
      // Rules, not lock tokens or write counts: undo adds writes but must bring back the same protection.
      waf: {
        webAcls: Object.fromEntries(waf.webAcls.map((a) => [a.name, a.rules.map((rule) => rule.Name)])),
      },
      // Routing control states, not write counts: undo must bring back the same routing.
      arc: this.arc.observable(at),
      // The writer of each cluster: undo (a fail-back) must bring back the same writer.
      database: this.rds.observable(at),
    };
  }

  /**
   * Applies the scenario's history through the simulated APIs: for each entry the clock moves
   * to startsAt + at and the change is made with a real SDK command, so it leaves the same
   * records (deployment numbers, event logs, ECS deployments) a real change would. Runs once.
   *
   * `options.waitUntil` is how time passes between entries; by default the clock simply moves.
   * The drill passes its scheduler's sleep, so alarms that fire between two entries fire on time.
   * `options.onApplied` hears of each entry as it is applied.
   */
  async applyHistory(options: { waitUntil?: (t: Date) => Promise<void>; onApplied?: (change: AppliedChange) => void } = {}): Promise<AppliedChange[]> {
    const waitUntil = options.waitUntil ?? (async (t: Date) => this.clock.advanceTo(t));
    if (this.#historyApplied) throw new HistoryApplyError(-1, 'the history was already applied');
    this.#historyApplied = true;
    const clients = this.#clientsFor('scenario');
    const applied: AppliedChange[] = [];
    const entries: readonly HistoryEntry[] = this.#scenario.history;
    for (const [index, entry] of entries.entries()) {
      const when = atOffset(this.#scenario.startsAt, entry.at);
      if (when.getTime() < this.clock.nowMs()) {
        throw new HistoryApplyError(index, `${entry.at} (${when.toISOString()}) is before the clock (${this.clock.now().toISOString()})`);
      }
      await waitUntil(when);
      try {
        const change = await this.#apply(entry, clients);
        applied.push(change);
        options.onApplied?.(change);
      } catch (cause) {
        throw new HistoryApplyError(index, `${(cause as Error).name}: ${(cause as Error).message}`, { cause });
      }
    }
    return applied;
  }

  async #apply(entry: HistoryEntry, clients: SimClients): Promise<AppliedChange> {
    const { appconfig: ac, ecs } = this.#scenario.account;
    const at = this.clock.now().toISOString();
    if (entry.startDeployment) {
      const d = entry.startDeployment;
      const out = await clients.appconfig.send(
        new StartDeploymentCommand({
          ApplicationId: ac.application.id,
          EnvironmentId: ac.environment.id,
          ConfigurationProfileId: ac.profile.id,
          DeploymentStrategyId: d.strategy ?? ac.immediateStrategy.id,
          ConfigurationVersion: String(d.configurationVersion),
          ...(d.description !== undefined ? { Description: d.description } : {}),
        }),
      );
      return { at, action: 'startDeployment', message: `AppConfig deployment #${out.DeploymentNumber} of version ${out.ConfigurationVersion} (${out.DeploymentStrategyId})` };
    }
    const u = entry.updateService!;
    const service = u.service ?? ecs.services[0]!.name;
    await clients.ecs.send(
      new UpdateServiceCommand({
        cluster: ecs.cluster,
        service,
        ...(u.taskDefinition !== undefined ? { taskDefinition: u.taskDefinition } : {}),
        ...(u.desiredCount !== undefined ? { desiredCount: u.desiredCount } : {}),
      }),
    );
    const what = [u.taskDefinition !== undefined ? `task definition ${u.taskDefinition}` : '', u.desiredCount !== undefined ? `desired count ${u.desiredCount}` : '']
      .filter(Boolean)
      .join(', ');
    return { at, action: 'updateService', message: `ECS ${ecs.cluster}/${service}: ${what}` };
  }

  /**
   * Real SDK clients with these credentials and region, answered by this account (origin "drill"):
   * what the code under drill builds for a service's location. In a workload account (`access`),
   * every call resolves its credentials first and is denied unless they are the member role's.
   */
  clientsWith(settings: SimClientSettings): SimClients {
    return this.#build('drill', {
      ...CLIENT_CONFIG,
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    });
  }

  #clientsFor(origin: CallOrigin): SimClients {
    let clients = this.#clients.get(origin);
    if (!clients) {
      clients = this.#build(origin, CLIENT_CONFIG);
      this.#clients.set(origin, clients);
    }
    return clients;
  }

  #build(origin: CallOrigin, config: { region: string; credentials: SimClientSettings['credentials'] }): SimClients {
    const wire = { clock: this.clock, recorder: this.#recorder, origin, faults: this.faults, ...(this.#sleep ? { sleep: this.#sleep } : {}) };
    // The scenario's history is the workload team's own pipeline: only the automation's calls go through the member role.
    const access = this.#access;
    const guarded = access && origin === 'drill' ? { ...wire, callers: access.callers, guard: access.guard } : wire;
    const central = access && origin === 'drill' ? { ...wire, callers: access.callers } : wire;
    const arcClients = new Map<string, Route53RecoveryClusterClient>();
    const arcCluster = (endpoint: string, region: string): Route53RecoveryClusterClient => {
      let client = arcClients.get(endpoint);
      if (!client) {
        // Each endpoint answers (or not) on its own: the client is wired to that endpoint's view of the cluster.
        client = wireClient(new Route53RecoveryClusterClient({ ...config, region, endpoint }), { ...guarded, service: this.arc.endpointService(endpoint), endpoint });
        arcClients.set(endpoint, client);
      }
      return client;
    };
    return {
      appconfig: wireClient(new AppConfigClient(config), { ...guarded, service: this.appconfig }),
      ecs: wireClient(new ECSClient(config), { ...guarded, service: this.ecs }),
      cloudwatch: wireClient(new CloudWatchClient(config), { ...guarded, service: this.cloudwatch }),
      // Tourniquet's topics are the central account's: reached with the functions' own credentials.
      sns: wireClient(new SNSClient(config), { ...central, service: this.sns }),
      route53: wireClient(new Route53Client(config), { ...guarded, service: this.route53 }),
      wafv2: wireClient(new WAFV2Client(config), { ...guarded, service: this.wafv2 }),
      arcCluster,
      rds: wireClient(new RDSClient(config), { ...guarded, service: this.rds }),
      sts: wireClient(new STSClient(config), { ...central, service: this.sts }),
    };
  }
}
