import type { DatabaseConfig, ServiceConfig, TourniquetConfig } from '../core/config.js';
import type { CandidateParams } from '../core/model.js';
import { type ArnFormatter, type Mitigation, MitigationNotExecutableError, type MitigationPermissions, type StatementSpec } from './mitigation.js';

// The adapter is imported only as a type: loading it would load the RDS and CloudWatch clients with the catalogue.

function databaseOf(service: ServiceConfig): DatabaseConfig {
  const database = service.resources.database;
  if (!database) throw new MitigationNotExecutableError(`Service ${service.name} has no database resources configured`);
  return database;
}

/** The replica (instance ID) or secondary cluster (ARN) the config promotes. */
const targetOf = (d: DatabaseConfig): string => (d.mode === 'cluster' ? (d.targetInstanceId ?? '') : (d.targetClusterArn ?? ''));

/** "Aurora cluster orders-db → orders-db-2" */
export const describeDatabase = (d: DatabaseConfig): string =>
  d.mode === 'cluster' ? `Aurora cluster ${d.clusterId} → ${d.targetInstanceId ?? '?'}` : `Aurora global database ${d.globalClusterId ?? '?'} → ${d.targetClusterArn ?? '?'}`;

/** The config, after checking that the candidate's parameters still name its database and target. */
function configuredDatabase(service: ServiceConfig, params: CandidateParams): DatabaseConfig {
  const database = databaseOf(service);
  if (params.clusterId !== database.clusterId || params.target !== targetOf(database) || params.mode !== database.mode) {
    throw new MitigationNotExecutableError(
      `The candidate names ${String(params.mode)} failover of ${String(params.clusterId)} to ${String(params.target)}, but ${service.name}'s config now names ` +
        `${database.mode} failover of ${database.clusterId} to ${targetOf(database)}; not acting on a plan the config no longer supports`,
    );
  }
  return database;
}

/** The adapter's refusals (target unhealthy, already under way, not a member) are "cannot run here", not failures to retry. By name: see above. */
function asNotExecutable(error: unknown): unknown {
  const name = (error as Error | undefined)?.name;
  return name === 'DatabaseFailoverRefusedError' || name === 'DatabaseSetupError' ? new MitigationNotExecutableError((error as Error).message, { cause: error }) : error;
}

/**
 * Database failover (seed 000's matrix row "database lock / corruption → failover to replica"): when
 * the database symptom alarms show the writer failing, Aurora promotes the configured healthy replica
 * (FailoverDBCluster), or a global database's secondary cluster (SwitchoverGlobalCluster, or
 * FailoverGlobalCluster with AllowDataLoss when so configured). Only a replica that is available and
 * within `maxReplicaLagSeconds` is promoted; verification waits for the new writer and the alarm.
 * Every connection to the old writer is cut, and a global failover can lose writes: a human approves
 * it at every severity by default.
 */
export const dbFailover: Mitigation = {
  type: 'db-failover',
  title: 'database failover',
  risk: 'high',
  defaultPolicy: { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
  // Not reverted when the alarm stays red: failing back means a second failover (another connection cut)
  // onto the writer that was just failing, and with a global failover the old primary has to be rebuilt
  // as a secondary first. Failing back is a human's decision (`tourniquet undo`), once the old writer is healthy.
  revertWhenIneffective: false,
  writesPerChange: 1,
  evidence: 'database-failure',
  matrixCase: 'database-failure',
  configured: (service) => service.resources.database !== undefined,
  propose({ triage, service }) {
    const database = service.resources.database;
    if (!triage.symptoms.databaseFailure || !database) return { proposals: [] };
    const target = targetOf(database);
    return {
      proposals: [
        {
          target: describeDatabase(database),
          params: { mode: database.mode, clusterId: database.clusterId, target, maxReplicaLagSeconds: database.maxReplicaLagSeconds },
          rationale:
            database.mode === 'cluster'
              ? `The database alarms show the writer of ${database.clusterId} failing (locks, corruption or down); failing over promotes the replica ${target}, if it is available and lags at most ${database.maxReplicaLagSeconds} s.`
              : `The database alarms show the primary of global database ${database.globalClusterId} failing; ${database.mode === 'global-failover' ? 'failing over (accepting the loss of unreplicated writes)' : 'switching over'} promotes the secondary cluster ${target}, if it is available and lags at most ${database.maxReplicaLagSeconds} s.`,
        },
      ],
    };
  },
  async preview(ctx, params) {
    const database = configuredDatabase(ctx.service, params);
    try {
      const p = await (await ctx.adapters.aurora()).preview(database);
      return { before: p.before, wouldChange: p.wouldChange, detail: p.detail, ...(p.notExecutable !== undefined ? { notExecutable: p.notExecutable } : {}) };
    } catch (error) {
      if ((error as Error).name === 'DatabaseSetupError')
        return { before: undefined, wouldChange: false, detail: (error as Error).message, notExecutable: (error as Error).message };
      throw error;
    }
  },
  async apply(ctx, params) {
    const database = configuredDatabase(ctx.service, params);
    try {
      const result = await (await ctx.adapters.aurora()).failover(database);
      return { status: result.status, before: result.before, after: result.after, detail: result.detail, takesEffectSeconds: result.settleSeconds };
    } catch (error) {
      throw asNotExecutable(error);
    }
  },
  async undo(ctx, action) {
    const database = databaseOf(ctx.service);
    const adapter = await ctx.adapters.aurora();
    try {
      if (action.dryRun) return { status: 'would-undo', detail: (await adapter.previewRestore(database, action.before)).detail };
      // The adapter checks that the recorded state belongs to this database and that the old writer is a healthy replica again.
      const result = await adapter.restore(database, action.before);
      return { status: 'undone', detail: `${describeDatabase(database)} failed back: ${result.detail}` };
    } catch (error) {
      throw asNotExecutable(error);
    }
  },
  async readiness(ctx) {
    const database = ctx.service.resources.database;
    if (!database) return [];
    try {
      const r = await (await ctx.adapters.aurora()).readiness(database);
      return [{ type: 'db-failover', target: r.target, ready: r.checks.every((c) => c.ok), checks: r.checks }];
    } catch (error) {
      return [
        {
          type: 'db-failover',
          target: describeDatabase(database),
          ready: false,
          checks: [{ check: 'database and failover target readable', ok: false, detail: (error as Error).message }],
        },
      ];
    }
  },
  async settled(ctx) {
    const s = await (await ctx.adapters.aurora()).settled(databaseOf(ctx.service));
    return { settled: s.settled, detail: `Aurora: ${s.detail}` };
  },
  permissions: databasePermissions,
};

/**
 * Read: the configured clusters (DescribeDBClusters), their instances' status (DescribeDBInstances),
 * global databases (DescribeGlobalClusters) and the replicas' lag (GetMetricData). Write: FailoverDBCluster
 * on the configured clusters; SwitchoverGlobalCluster / FailoverGlobalCluster on the configured global
 * database and its two clusters (both actions require the global-cluster and cluster resources; undo
 * always fails back with a switchover). Settle (verify): the writer, from the cluster or the global database.
 * RDS global-cluster ARNs have no region.
 */
export function databasePermissions(config: TourniquetConfig, arns: ArnFormatter): MitigationPermissions {
  const all = config.services.flatMap((s) => (s.resources.database ? [s.resources.database] : []));
  if (all.length === 0) return { read: [], write: [] };
  const unique = (values: string[]) => [...new Set(values)];
  const cluster = (id: string) => arns.arn({ service: 'rds', resource: 'cluster', resourceName: id, separator: ':' });
  const globalCluster = (id: string) => arns.arn({ service: 'rds', region: '', resource: 'global-cluster', resourceName: id, separator: ':' });
  const clusters = all.filter((d) => d.mode === 'cluster');
  const globals = all.filter((d) => d.mode !== 'cluster' && d.globalClusterId !== undefined && d.targetClusterArn !== undefined);
  const globalResources = (ds: DatabaseConfig[]) => unique(ds.flatMap((d) => [globalCluster(d.globalClusterId!), cluster(d.clusterId), d.targetClusterArn!]));
  const describeClusters: StatementSpec = {
    sid: 'RdsDescribeDBClusters',
    actions: ['rds:DescribeDBClusters'],
    resources: unique(all.flatMap((d) => [cluster(d.clusterId), ...(d.mode !== 'cluster' && d.targetClusterArn ? [d.targetClusterArn] : [])])),
  };
  const describeGlobals: StatementSpec[] =
    globals.length === 0
      ? []
      : [{ sid: 'RdsDescribeGlobalClusters', actions: ['rds:DescribeGlobalClusters'], resources: unique(globals.map((d) => globalCluster(d.globalClusterId!))) }];
  const read: StatementSpec[] = [
    describeClusters,
    ...(clusters.length === 0
      ? []
      : [
          {
            sid: 'RdsDescribeDBInstances',
            actions: ['rds:DescribeDBInstances'],
            resources: [arns.arn({ service: 'rds', resource: 'db', resourceName: '*', separator: ':' })],
            wildcardReason:
              'Read-only status of DB instances in the stack’s region: an undo fails back to whichever instance was the writer before the failover, which the config does not name.',
          },
        ]),
    ...describeGlobals,
    {
      sid: 'CloudWatchGetReplicaLag',
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
      wildcardReason: 'cloudwatch:GetMetricData supports no resource-level permissions; it reads the replicas’ AuroraReplicaLag / AuroraGlobalDBReplicationLag before a failover.',
    },
  ];
  const failingOver = globals.filter((d) => d.mode === 'global-failover');
  const write: StatementSpec[] = [
    ...(clusters.length === 0 ? [] : [{ sid: 'RdsFailoverDBCluster', actions: ['rds:FailoverDBCluster'], resources: unique(clusters.map((d) => cluster(d.clusterId))) }]),
    ...(globals.length === 0 ? [] : [{ sid: 'RdsSwitchoverGlobalCluster', actions: ['rds:SwitchoverGlobalCluster'], resources: globalResources(globals) }]),
    ...(failingOver.length === 0 ? [] : [{ sid: 'RdsFailoverGlobalCluster', actions: ['rds:FailoverGlobalCluster'], resources: globalResources(failingOver) }]),
  ];
  // Verify's settle check reads the writer: the cluster (cluster mode) or the global database (global modes).
  const settle: StatementSpec[] = [...(clusters.length > 0 ? [describeClusters] : []), ...describeGlobals];
  return { read, write, settle };
}
