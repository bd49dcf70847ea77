import { CloudWatchClient, type Dimension, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  type DBCluster,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverDBClusterCommand,
  FailoverGlobalClusterCommand,
  type GlobalCluster,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import * as z from 'zod';

import type { DatabaseConfig } from '../core/config.js';
import { awsErrorName, AwsResourceNotFoundError, classifyAwsError, TransientAwsError } from './errors.js';

/**
 * Aurora failover (seed 000: database lock or corruption → fail over to a replica), and failing back.
 *
 * Three setups (see `DatabaseConfigSchema`):
 * - **cluster**: `FailoverDBCluster` with `TargetDBInstanceIdentifier` promotes one reader of the
 *   cluster to writer. The cluster reads `failing-over` meanwhile and `available` once the new writer
 *   serves; the cluster (writer) endpoint follows the new writer.
 * - **global-switchover**: `SwitchoverGlobalCluster` makes a secondary cluster of an Aurora global
 *   database the primary, without data loss; it needs a healthy primary to hand over from.
 * - **global-failover**: `FailoverGlobalCluster` with `AllowDataLoss` promotes the secondary even when
 *   the primary Region is down; writes the secondary had not received yet are lost.
 *
 * A replica is promoted only when it is healthy: the cluster (or global database) is `available`
 * and not already failing over, the target is `available`, and its replication lag is within
 * `maxReplicaLagSeconds`. Lag is read from CloudWatch: `AuroraReplicaLag` (milliseconds, per reader
 * instance, dimension `DBInstanceIdentifier`) for a cluster, `AuroraGlobalDBReplicationLag`
 * (milliseconds, published in the secondary's Region, dimension `DBClusterIdentifier`) for a global
 * database. A missing datapoint is an unknown lag and refuses the failover, except with
 * global-failover: when the primary Region is down the metric may stop, and that mode accepts data
 * loss by definition, so the missing lag is reported and not held against it.
 *
 * Every failover is idempotent: when the target already is the writer, nothing is called and the
 * status is `already-applied`. While a failover is under way (ours, retried after a crash, or
 * anyone's), a new one is refused with a retryable {@link TransientAwsError} naming the state.
 */

/** Aurora typically completes a cluster failover within 30 s; clients on the cluster endpoint reconnect after its 5 s DNS TTL. */
export const CLUSTER_FAILOVER_SECONDS = 60;
/**
 * A global switchover first lets the secondary catch up, then moves the writer and the global
 * writer endpoint: minutes rather than seconds. Verification keeps checking after this anyway.
 */
export const GLOBAL_FAILOVER_SECONDS = 300;
/** How far back the lag metric is read; Aurora publishes it every minute. */
export const LAG_LOOKBACK_SECONDS = 300;
const LAG_PERIOD_SECONDS = 60;

/** One instance of the cluster, as DescribeDBClusters lists it. */
export const ClusterMemberSchema = z.object({
  instanceId: z.string(),
  writer: z.boolean(),
  /** 0–15: Aurora's own automatic failover promotes the lowest tier first. */
  promotionTier: z.number().int().optional(),
});

/** A cluster's writer and members: the before-state of a failover is the input of its undo. */
export const ClusterStateSchema = z.object({
  scope: z.literal('cluster'),
  clusterId: z.string(),
  /** DBCluster.Status: available, failing-over, … */
  status: z.string(),
  /** The writer instance, or null while the cluster has none (mid-failover, or no instances). */
  writer: z.string().nullable(),
  members: z.array(ClusterMemberSchema),
});
export type ClusterState = z.infer<typeof ClusterStateSchema>;

/** One cluster of a global database. */
export const GlobalMemberSchema = z.object({
  clusterArn: z.string(),
  writer: z.boolean(),
  /** connected | pending-resync, when Aurora reports it. */
  synchronization: z.string().optional(),
});

/** A global database's writer cluster and members. */
export const GlobalStateSchema = z.object({
  scope: z.literal('global'),
  globalClusterId: z.string(),
  status: z.string(),
  /** ARN of the primary (writer) cluster, or null while there is none. */
  writer: z.string().nullable(),
  members: z.array(GlobalMemberSchema),
  /** FailoverState.Status while a switchover or failover is pending or under way. */
  failoverInProgress: z.string().optional(),
});
export type GlobalState = z.infer<typeof GlobalStateSchema>;

export const DatabaseStateSchema = z.discriminatedUnion('scope', [ClusterStateSchema, GlobalStateSchema]);
export type DatabaseState = z.infer<typeof DatabaseStateSchema>;

/** One health check of the failover target (readiness lists them; preview and failover refuse on a failing one). */
export interface DatabaseCheck {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What `failover` would do (dry run, and the before-state). */
export interface AuroraFailoverPreview {
  readonly before: DatabaseState;
  /** False when the target already is the writer. */
  readonly wouldChange: boolean;
  readonly detail: string;
  /** Why the failover cannot run now (target unhealthy, lag over the bound, a failover under way, already in place). */
  readonly notExecutable?: string;
  readonly settleSeconds: number;
}

/** What `failover` and `restore` did. */
export interface AuroraFailoverResult {
  readonly status: 'applied' | 'already-applied';
  /** The state found; pass it to `restore` to undo (from the first, `applied` run). */
  readonly before: DatabaseState;
  /** The state the call leads to: the target as writer (Aurora still reports `failing-over` for a while). */
  readonly after: DatabaseState;
  readonly detail: string;
  /** Seconds before verifying makes sense. */
  readonly settleSeconds: number;
}

/** Readiness of the configured failover. */
export interface AuroraReadiness {
  /** "Aurora cluster orders-db → orders-db-2" */
  readonly target: string;
  readonly checks: readonly DatabaseCheck[];
}

/** The RDS and CloudWatch clients of one Region. */
export interface AuroraRegionClients {
  readonly rds: RDSClient;
  readonly cloudwatch: CloudWatchClient;
}

export interface AuroraFailoverOptions {
  /**
   * Clients in another Region. Global modes call the secondary cluster's Region (where its lag is
   * published, and where a failover still answers when the primary Region is down).
   * @default the constructor's clients, whatever the Region
   */
  readonly clientsIn?: (region: string) => Promise<AuroraRegionClients>;
  /** The clock the lag window is read against; the drill passes its virtual clock. @default Date.now */
  readonly now?: () => number;
}

/** The failover target is not healthy enough to promote, or the failover is already in place: nothing was called. Not retried. */
export class DatabaseFailoverRefusedError extends Error {
  override readonly name = 'DatabaseFailoverRefusedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The database does not match the config, or a recorded state does not belong to it. */
export class DatabaseSetupError extends Error {
  override readonly name = 'DatabaseSetupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

type Operation = 'cluster' | 'switchover' | 'failover';

interface Assessment {
  readonly state: DatabaseState;
  /** Instance ID (cluster) or cluster ARN (global) that would become the writer. */
  readonly target: string;
  readonly alreadyWriter: boolean;
  /** A failover is under way: retry later rather than refuse. */
  readonly inProgress?: string;
  readonly checks: DatabaseCheck[];
  /** What a human reads about the target ("lag 0.02 s, promotion tier 1"). */
  readonly facts: string;
}

/** Aurora failover and fail-back over `@aws-sdk/client-rds`, with lag from `@aws-sdk/client-cloudwatch`. */
export class AuroraFailoverAdapter {
  readonly #rds: RDSClient;
  readonly #cloudwatch: CloudWatchClient;
  readonly #options: AuroraFailoverOptions;

  constructor(rds: RDSClient = new RDSClient({}), cloudwatch: CloudWatchClient = new CloudWatchClient({}), options: AuroraFailoverOptions = {}) {
    this.#rds = rds;
    this.#cloudwatch = cloudwatch;
    this.#options = options;
  }

  /** What `failover` would do, without changing anything. */
  async preview(config: DatabaseConfig): Promise<AuroraFailoverPreview> {
    const a = await this.#assess(config, failoverTarget(config), operationOf(config));
    return this.#previewOf(config, a, 'fail over');
  }

  /**
   * Promotes the configured target: FailoverDBCluster (cluster), SwitchoverGlobalCluster
   * (global-switchover) or FailoverGlobalCluster with AllowDataLoss (global-failover).
   * Idempotent: when the target already is the writer, nothing is called (`already-applied`).
   *
   * @throws TransientAwsError while a failover is under way (InvalidDBClusterStateFault and the like), or on throttling
   * @throws DatabaseFailoverRefusedError when the target is not available, lags too much, or the cluster is not available
   * @throws AwsResourceNotFoundError when the cluster, instance or global database does not exist
   * @throws DatabaseSetupError when the target is not a member of the cluster or global database
   */
  async failover(config: DatabaseConfig): Promise<AuroraFailoverResult> {
    return this.#promote(config, failoverTarget(config), operationOf(config), 'fail over');
  }

  /** What `restore` would do, without changing anything. */
  async previewRestore(config: DatabaseConfig, before: unknown): Promise<AuroraFailoverPreview> {
    const previous = this.#recordedWriter(config, before);
    const a = await this.#assess(config, previous, config.mode === 'cluster' ? 'cluster' : 'switchover');
    return this.#previewOf(config, a, 'fail back');
  }

  /**
   * Undoes a failover: fails back to the writer recorded in `before`, with the same health checks
   * (the previous writer must now be an available replica within the lag bound). A global database
   * fails back with a switchover, never with data loss: undo is a planned change. Idempotent.
   *
   * @throws DatabaseSetupError when `before` does not belong to this config or names no writer
   * @throws DatabaseFailoverRefusedError / TransientAwsError as for `failover`
   */
  async restore(config: DatabaseConfig, before: unknown): Promise<AuroraFailoverResult> {
    const previous = this.#recordedWriter(config, before);
    return this.#promote(config, previous, config.mode === 'cluster' ? 'cluster' : 'switchover', 'fail back');
  }

  /**
   * Whether the failover has settled: the target is the writer and the cluster (or global database)
   * is `available` again. An OK alarm while the cluster still reads `failing-over` may flip back.
   */
  async settled(config: DatabaseConfig): Promise<{ settled: boolean; detail: string }> {
    const target = failoverTarget(config);
    if (config.mode === 'cluster') {
      const state = await this.#readCluster(config.clusterId);
      const settled = state.writer !== null && sameId(state.writer, target) && state.status === 'available';
      return {
        settled,
        detail: `cluster ${state.clusterId} is ${state.status} with writer ${state.writer ?? '(none)'}${settled ? '' : `; waiting for ${target} to be the writer of an available cluster`}`,
      };
    }
    const state = await this.#readGlobal(globalIdOf(config));
    const settled = state.writer === target && state.status === 'available' && state.failoverInProgress === undefined;
    return {
      settled,
      detail: `global database ${state.globalClusterId} is ${state.status}${state.failoverInProgress ? ` (failover ${state.failoverInProgress})` : ''} with primary ${state.writer ?? '(none)'}${settled ? '' : `; waiting for ${target} to be the primary of an available global database`}`,
    };
  }

  /** Read-only proof that the configured failover could run now: one check per condition, and the promotion tier. */
  async readiness(config: DatabaseConfig): Promise<AuroraReadiness> {
    const target = failoverTarget(config);
    const a = await this.#assess(config, target, operationOf(config));
    const checks = [...a.checks];
    if (a.alreadyWriter) {
      checks.push({
        check: `${target} is not already the writer`,
        ok: false,
        detail: `${target} already is the writer: failing over to it would change nothing (fail back, or point database.${config.mode === 'cluster' ? 'targetInstanceId' : 'targetClusterArn'} at the replica)`,
      });
    }
    if (a.state.scope === 'cluster') {
      const member = a.state.members.find((m) => sameId(m.instanceId, target));
      const readers = a.state.members.filter((m) => !m.writer && m.promotionTier !== undefined);
      const lowest = Math.min(...readers.map((m) => m.promotionTier!));
      if (member?.promotionTier !== undefined) {
        const first = readers.filter((m) => m.promotionTier === lowest).map((m) => m.instanceId);
        checks.push({
          check: 'promotion tier (note)',
          ok: true,
          detail:
            member.promotionTier <= lowest
              ? `${target} has promotion tier ${member.promotionTier}: an automatic failover by Aurora would also pick it`
              : `${target} has promotion tier ${member.promotionTier}; an automatic failover by Aurora would promote ${first.join(' or ')} (tier ${lowest}) instead`,
        });
      }
    }
    return { target: describeTarget(config), checks };
  }

  // ---- internals ----

  #previewOf(config: DatabaseConfig, a: Assessment, verb: 'fail over' | 'fail back'): AuroraFailoverPreview {
    const settleSeconds = settleOf(config);
    const where = whereOf(a.state);
    if (a.alreadyWriter) {
      const detail = `${a.target} already is the writer of ${where}: already in place, nothing to do.`;
      return { before: a.state, wouldChange: false, detail, notExecutable: detail, settleSeconds };
    }
    const problems = a.checks.filter((c) => !c.ok).map((c) => c.detail);
    const plan = `${verb === 'fail over' ? 'Would fail over' : 'Would fail back'} ${where} from ${a.state.writer ?? '(no writer)'} to ${a.target} (${a.facts}) with ${callOf(a.state.scope === 'cluster' ? 'cluster' : verb === 'fail back' ? 'switchover' : operationOf(config))}; allow ${settleSeconds} s.`;
    if (problems.length === 0) return { before: a.state, wouldChange: true, detail: plan, settleSeconds };
    const reason = `Not ready to ${verb} ${where} to ${a.target}: ${problems.join('; ')}.`;
    return { before: a.state, wouldChange: true, detail: `${plan} ${reason}`, notExecutable: reason, settleSeconds };
  }

  async #promote(config: DatabaseConfig, target: string, operation: Operation, verb: 'fail over' | 'fail back'): Promise<AuroraFailoverResult> {
    const settleSeconds = settleOf(config);
    const a = await this.#assess(config, target, operation);
    const where = whereOf(a.state);
    if (a.alreadyWriter) {
      return {
        status: 'already-applied',
        before: a.state,
        after: a.state,
        settleSeconds,
        detail: `${a.target} already is the writer of ${where} (${a.state.status}): nothing called.`,
      };
    }
    if (a.inProgress) {
      throw new TransientAwsError(`${where} is ${a.inProgress}: a failover is already under way; not starting another. The step retries once it is available`);
    }
    const problems = a.checks.filter((c) => !c.ok).map((c) => c.detail);
    if (problems.length > 0)
      throw new DatabaseFailoverRefusedError(`Not ${verb === 'fail over' ? 'failing over' : 'failing back'} ${where} to ${a.target}: ${problems.join('; ')}`);

    let status: string | undefined;
    if (a.state.scope === 'cluster') {
      const clusterId = a.state.clusterId;
      const out = await this.#rdsCall(this.#rds, 'FailoverDBCluster', `cluster ${clusterId}`, config, () =>
        this.#rds.send(new FailoverDBClusterCommand({ DBClusterIdentifier: clusterId, TargetDBInstanceIdentifier: a.target })),
      );
      status = out.DBCluster?.Status;
    } else {
      const { rds } = await this.#clientsFor(regionOf(target));
      const input = { GlobalClusterIdentifier: a.state.globalClusterId, TargetDbClusterIdentifier: target };
      const out =
        operation === 'failover'
          ? await this.#rdsCall(rds, 'FailoverGlobalCluster', `global database ${a.state.globalClusterId}`, config, () =>
              rds.send(new FailoverGlobalClusterCommand({ ...input, AllowDataLoss: true })),
            )
          : await this.#rdsCall(rds, 'SwitchoverGlobalCluster', `global database ${a.state.globalClusterId}`, config, () => rds.send(new SwitchoverGlobalClusterCommand(input)));
      status = out.GlobalCluster?.Status;
    }
    const after = withWriter(a.state, target, status);
    const how = callOf(operation);
    const loss = operation === 'failover' ? ' Writes the secondary had not received are lost (AllowDataLoss).' : '';
    return {
      status: 'applied',
      before: a.state,
      after,
      settleSeconds,
      detail: `${verb === 'fail over' ? 'Failing over' : 'Failing back'} ${where} from ${a.state.writer ?? '(no writer)'} to ${a.target} (${a.facts}) with ${how}; ${a.state.scope === 'cluster' ? 'Aurora typically completes it within 30 s' : 'the global writer endpoint follows the new primary'}, allow ${settleSeconds} s before verifying.${loss}`,
    };
  }

  async #assess(config: DatabaseConfig, target: string, operation: Operation): Promise<Assessment> {
    return config.mode === 'cluster' ? this.#assessCluster(config, target) : this.#assessGlobal(config, target, operation);
  }

  async #assessCluster(config: DatabaseConfig, target: string): Promise<Assessment> {
    const state = await this.#readCluster(config.clusterId);
    const member = state.members.find((m) => sameId(m.instanceId, target));
    if (!member) {
      throw new DatabaseSetupError(
        `${target} is not an instance of cluster ${state.clusterId} (members: ${state.members.map((m) => m.instanceId).join(', ') || 'none'}); check database.targetInstanceId`,
      );
    }
    const inProgress = state.status === 'failing-over' ? state.status : undefined;
    const checks: DatabaseCheck[] = [
      {
        check: `cluster ${state.clusterId} is available`,
        ok: state.status === 'available',
        detail: `cluster ${state.clusterId} is ${state.status}${inProgress ? ' (a failover is already under way)' : ''}`,
      },
    ];
    if (member.writer) return { state, target: member.instanceId, alreadyWriter: true, checks, facts: 'the writer' };
    const status = await this.#instanceStatus(member.instanceId, config);
    checks.push({ check: `replica ${member.instanceId} is available`, ok: status === 'available', detail: `replica ${member.instanceId} is ${status}` });
    const lag = await this.#latest(this.#cloudwatch, 'AuroraReplicaLag', [{ Name: 'DBInstanceIdentifier', Value: member.instanceId }]);
    checks.push(lagCheck(`replica ${member.instanceId}`, 'AuroraReplicaLag', lag, config.maxReplicaLagSeconds, true));
    const facts = [lag !== undefined ? `lag ${seconds(lag)} s` : 'lag unknown', member.promotionTier !== undefined ? `promotion tier ${member.promotionTier}` : '']
      .filter(Boolean)
      .join(', ');
    return { state, target: member.instanceId, alreadyWriter: false, ...(inProgress ? { inProgress } : {}), checks, facts };
  }

  async #assessGlobal(config: DatabaseConfig, target: string, operation: Operation): Promise<Assessment> {
    const state = await this.#readGlobal(globalIdOf(config));
    const member = state.members.find((m) => m.clusterArn === target);
    if (!member) {
      throw new DatabaseSetupError(
        `${target} is not a cluster of global database ${state.globalClusterId} (members: ${state.members.map((m) => m.clusterArn).join(', ') || 'none'}); check database.targetClusterArn`,
      );
    }
    const inProgress = state.failoverInProgress ?? (/^(failing-over|switching-over)$/.test(state.status) ? state.status : undefined);
    const checks: DatabaseCheck[] = [
      {
        check: `global database ${state.globalClusterId} is available`,
        ok: state.status === 'available' && inProgress === undefined,
        detail: `global database ${state.globalClusterId} is ${state.status}${state.failoverInProgress ? ` with a switchover or failover ${state.failoverInProgress}` : ''}`,
      },
    ];
    if (member.writer) return { state, target, alreadyWriter: true, checks, facts: 'the primary' };
    const { rds, cloudwatch } = await this.#clientsFor(regionOf(target));
    const cluster = await this.#describeCluster(rds, target, config);
    checks.push({
      check: `secondary cluster ${clusterIdOf(target)} is available`,
      ok: cluster.Status === 'available',
      detail: `secondary cluster ${clusterIdOf(target)} is ${cluster.Status ?? 'unknown'}`,
    });
    if (operation === 'switchover' && member.synchronization !== undefined) {
      checks.push({
        check: `secondary cluster ${clusterIdOf(target)} is connected`,
        ok: member.synchronization === 'connected',
        detail: `secondary cluster ${clusterIdOf(target)} replication is ${member.synchronization}`,
      });
    }
    const lag = await this.#latest(cloudwatch, 'AuroraGlobalDBReplicationLag', [{ Name: 'DBClusterIdentifier', Value: clusterIdOf(target) }]);
    checks.push(lagCheck(`secondary cluster ${clusterIdOf(target)}`, 'AuroraGlobalDBReplicationLag', lag, config.maxReplicaLagSeconds, operation !== 'failover'));
    const facts = lag !== undefined ? `replication lag ${seconds(lag)} s` : 'replication lag unknown';
    return { state, target, alreadyWriter: false, ...(inProgress ? { inProgress } : {}), checks, facts };
  }

  #recordedWriter(config: DatabaseConfig, before: unknown): string {
    const parsed = DatabaseStateSchema.safeParse(before);
    if (!parsed.success) throw new DatabaseSetupError(`the recorded database state is not one this adapter wrote: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const recorded = parsed.data;
    const mine =
      recorded.scope === 'cluster'
        ? config.mode === 'cluster' && sameId(recorded.clusterId, config.clusterId)
        : config.mode !== 'cluster' && sameId(recorded.globalClusterId, globalIdOf(config));
    if (!mine)
      throw new DatabaseSetupError(`the recorded state (${whereOf(recorded)}) does not belong to the configured database (${describeTarget(config)}); refusing to fail back`);
    if (recorded.writer === null) throw new DatabaseSetupError(`the recorded state of ${whereOf(recorded)} names no writer to fail back to`);
    return recorded.writer;
  }

  async #readCluster(clusterId: string, rds: RDSClient = this.#rds): Promise<ClusterState> {
    const c = await this.#describeCluster(rds, clusterId);
    const members = (c.DBClusterMembers ?? []).map((m) => ({
      instanceId: m.DBInstanceIdentifier ?? '(unnamed)',
      writer: m.IsClusterWriter === true,
      ...(m.PromotionTier !== undefined ? { promotionTier: m.PromotionTier } : {}),
    }));
    return ClusterStateSchema.parse({
      scope: 'cluster',
      clusterId: c.DBClusterIdentifier ?? clusterId,
      status: c.Status ?? 'unknown',
      writer: members.find((m) => m.writer)?.instanceId ?? null,
      members,
    });
  }

  async #describeCluster(rds: RDSClient, clusterId: string, config?: DatabaseConfig): Promise<DBCluster> {
    const out = await this.#rdsCall(rds, 'DescribeDBClusters', `cluster ${clusterId}`, config, () => rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId })));
    const c = out.DBClusters?.[0];
    if (!c) throw new AwsResourceNotFoundError(`RDS DescribeDBClusters on cluster ${clusterId} returned no cluster`);
    return c;
  }

  async #readGlobal(globalClusterId: string): Promise<GlobalState> {
    const out = await this.#rdsCall(this.#rds, 'DescribeGlobalClusters', `global database ${globalClusterId}`, undefined, () =>
      this.#rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalClusterId })),
    );
    const g: GlobalCluster | undefined = out.GlobalClusters?.[0];
    if (!g) throw new AwsResourceNotFoundError(`RDS DescribeGlobalClusters on ${globalClusterId} returned no global database`);
    const members = (g.GlobalClusterMembers ?? []).map((m) => ({
      clusterArn: m.DBClusterArn ?? '(unnamed)',
      writer: m.IsWriter === true,
      ...(m.SynchronizationStatus !== undefined ? { synchronization: m.SynchronizationStatus } : {}),
    }));
    return GlobalStateSchema.parse({
      scope: 'global',
      globalClusterId: g.GlobalClusterIdentifier ?? globalClusterId,
      status: g.Status ?? 'unknown',
      writer: members.find((m) => m.writer)?.clusterArn ?? null,
      members,
      ...(g.FailoverState?.Status !== undefined ? { failoverInProgress: g.FailoverState.Status } : {}),
    });
  }

  async #instanceStatus(instanceId: string, config: DatabaseConfig): Promise<string> {
    const out = await this.#rdsCall(this.#rds, 'DescribeDBInstances', `instance ${instanceId}`, config, () =>
      this.#rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId })),
    );
    return out.DBInstances?.[0]?.DBInstanceStatus ?? 'unknown';
  }

  /** The newest datapoint (Maximum per minute, milliseconds) of an AWS/RDS lag metric in the lookback window, in seconds. */
  async #latest(cloudwatch: CloudWatchClient, metricName: string, dimensions: Dimension[]): Promise<number | undefined> {
    const end = new Date((this.#options.now ?? Date.now)());
    const start = new Date(end.getTime() - LAG_LOOKBACK_SECONDS * 1000);
    const what = `${metricName} of ${dimensions.map((d) => `${d.Name}=${d.Value}`).join(', ')}`;
    let out;
    try {
      out = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampDescending',
          MetricDataQueries: [
            {
              Id: 'lag',
              ReturnData: true,
              MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: metricName, Dimensions: dimensions }, Period: LAG_PERIOD_SECONDS, Stat: 'Maximum' },
            },
          ],
        }),
      );
    } catch (err) {
      throw classifyAwsError(err, 'CloudWatch GetMetricData', what);
    }
    const result = out.MetricDataResults?.find((r) => r.Id === 'lag');
    const points = (result?.Timestamps ?? [])
      .map((t, i) => ({ t: new Date(t).getTime(), v: result?.Values?.[i] }))
      .filter((p): p is { t: number; v: number } => typeof p.v === 'number');
    if (points.length === 0) return undefined;
    const newest = points.reduce((a, b) => (b.t > a.t ? b : a));
    return newest.v / 1000;
  }

  async #clientsFor(region: string): Promise<AuroraRegionClients> {
    const home = { rds: this.#rds, cloudwatch: this.#cloudwatch };
    if (!this.#options.clientsIn) return home;
    const homeRegion = await this.#rds.config.region();
    return region === homeRegion ? home : this.#options.clientsIn(region);
  }

  /** One RDS call with RDS's errors explained in the config's terms; a state fault names the state it found. */
  async #rdsCall<T>(rds: RDSClient, operation: string, resource: string, config: DatabaseConfig | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const name = awsErrorName(err);
      const message = err instanceof Error ? err.message : String(err);
      const where = `RDS ${operation} on ${resource}`;
      switch (name) {
        case 'DBClusterNotFoundFault':
          throw new AwsResourceNotFoundError(`${where}: the cluster does not exist; check database.clusterId / database.targetClusterArn in the config (${message})`, {
            cause: err,
          });
        case 'DBInstanceNotFoundFault':
          throw new AwsResourceNotFoundError(`${where}: the instance does not exist; check database.targetInstanceId in the config (${message})`, { cause: err });
        case 'GlobalClusterNotFoundFault':
          throw new AwsResourceNotFoundError(`${where}: the global database does not exist; check database.globalClusterId in the config (${message})`, { cause: err });
        case 'InvalidDBClusterStateFault':
        case 'InvalidGlobalClusterStateFault':
        case 'InvalidDBInstanceStateFault': {
          const state = config ? await this.#stateNow(rds, config, name) : undefined;
          throw new TransientAwsError(
            `${where}: ${state ?? 'the database is not in a state that allows it'} (${name}: ${message}); a failover or maintenance is under way. The step retries once it is available`,
            { cause: err },
          );
        }
        default:
          throw classifyAwsError(err, `RDS ${operation}`, resource);
      }
    }
  }

  /** "cluster orders-db is failing-over" for an error message; undefined when even that cannot be read. */
  async #stateNow(rds: RDSClient, config: DatabaseConfig, fault: string): Promise<string | undefined> {
    try {
      if (fault === 'InvalidGlobalClusterStateFault' && config.mode !== 'cluster') {
        const g = await this.#readGlobal(globalIdOf(config));
        return `global database ${g.globalClusterId} is ${g.failoverInProgress ?? g.status}`;
      }
      const c = await this.#readCluster(config.clusterId, rds);
      return `cluster ${c.clusterId} is ${c.status}`;
    } catch {
      return undefined;
    }
  }
}

// ---- helpers ----

/** The instance ID (cluster) or cluster ARN (global) the config promotes. */
export function failoverTarget(config: DatabaseConfig): string {
  const target = config.mode === 'cluster' ? config.targetInstanceId : config.targetClusterArn;
  if (target === undefined) throw new DatabaseSetupError(`database.${config.mode === 'cluster' ? 'targetInstanceId' : 'targetClusterArn'} is required in ${config.mode} mode`);
  return target;
}

/** "Aurora cluster orders-db → orders-db-2" / "Aurora global database orders-global → arn:…:cluster:orders-west" */
export function describeTarget(config: DatabaseConfig): string {
  return config.mode === 'cluster'
    ? `Aurora cluster ${config.clusterId} → ${config.targetInstanceId ?? '(no target)'}`
    : `Aurora global database ${config.globalClusterId ?? '(none)'} → ${config.targetClusterArn ?? '(no target)'}`;
}

/** Seconds to allow before verifying a failover of this setup. */
export function settleOf(config: Pick<DatabaseConfig, 'mode'>): number {
  return config.mode === 'cluster' ? CLUSTER_FAILOVER_SECONDS : GLOBAL_FAILOVER_SECONDS;
}

/** The Region of an RDS ARN (`arn:aws:rds:<region>:<account>:cluster:<id>`). */
export function regionOf(arn: string): string {
  const region = arn.split(':')[3];
  if (!region) throw new DatabaseSetupError(`${arn} is not a regional RDS ARN`);
  return region;
}

/** The DB cluster identifier at the end of a cluster ARN. */
export function clusterIdOf(arn: string): string {
  return arn.startsWith('arn:') ? arn.slice(arn.lastIndexOf(':') + 1) : arn;
}

function globalIdOf(config: DatabaseConfig): string {
  if (config.globalClusterId === undefined) throw new DatabaseSetupError(`database.globalClusterId is required in ${config.mode} mode`);
  return config.globalClusterId;
}

const operationOf = (config: DatabaseConfig): Operation => (config.mode === 'cluster' ? 'cluster' : config.mode === 'global-failover' ? 'failover' : 'switchover');

const callOf = (operation: Operation): string =>
  operation === 'cluster' ? 'FailoverDBCluster' : operation === 'failover' ? 'FailoverGlobalCluster (AllowDataLoss)' : 'SwitchoverGlobalCluster';

const whereOf = (state: DatabaseState): string => (state.scope === 'cluster' ? `cluster ${state.clusterId}` : `global database ${state.globalClusterId}`);

/** RDS identifiers are case-insensitive (stored lower case). */
const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

const seconds = (value: number): string => (Math.round(value * 1000) / 1000).toString();

function lagCheck(what: string, metric: string, lag: number | undefined, bound: number, missingBlocks: boolean): DatabaseCheck {
  const check = `${what} lags at most ${bound} s`;
  if (lag === undefined) {
    return missingBlocks
      ? { check, ok: false, detail: `no ${metric} datapoint for ${what} in the last ${LAG_LOOKBACK_SECONDS / 60} minutes: its lag is unknown` }
      : {
          check,
          ok: true,
          detail: `no ${metric} datapoint for ${what} in the last ${LAG_LOOKBACK_SECONDS / 60} minutes (expected while the primary Region is down); a failover with AllowDataLoss goes ahead and loses what was not replicated`,
        };
  }
  return { check, ok: lag <= bound, detail: `${what} lags ${seconds(lag)} s (${metric}; at most ${bound} s allowed)` };
}

/** The state once the target is the writer; `status` is what the failover call answered. */
function withWriter(state: DatabaseState, target: string, status: string | undefined): DatabaseState {
  if (state.scope === 'cluster') {
    return { ...state, status: status ?? 'failing-over', writer: target, members: state.members.map((m) => ({ ...m, writer: sameId(m.instanceId, target) })) };
  }
  return { ...state, status: status ?? 'failing-over', writer: target, members: state.members.map((m) => ({ ...m, writer: m.clusterArn === target })) };
}
