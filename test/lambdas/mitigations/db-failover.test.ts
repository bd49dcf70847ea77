import { describe, expect, it } from '@jest/globals';

import type { AuroraFailoverAdapter } from '../../../lambdas/adapters/aurora-failover.js';
import { type DatabaseConfig, type ServiceConfig, ServiceConfigSchema, TourniquetConfigSchema } from '../../../lambdas/core/config.js';
import type { Triage } from '../../../lambdas/core/model.js';
import { dbFailover } from '../../../lambdas/mitigations/db-failover.js';
import { type ArnFormatter, type MitigationContext, MitigationNotExecutableError } from '../../../lambdas/mitigations/mitigation.js';
import type { MitigationAdapters } from '../../../lambdas/mitigations/ports.js';

const WEST = 'arn:aws:rds:us-west-2:123456789012:cluster:orders-west';

const service = (database?: Partial<DatabaseConfig>): ServiceConfig =>
  ServiceConfigSchema.parse({
    name: 'orders',
    alarms: [{ name: 'orders-5xx-rate' }],
    resources: database ? { database: { clusterId: 'orders-db', targetInstanceId: 'orders-db-2', ...database } } : {},
    symptomAlarms: { databaseFailure: ['orders-db-writer-health'] },
  });

const triage = (databaseFailure: boolean): Triage => ({
  severity: 'SEV2',
  window: { from: '2026-11-23T09:30:00Z', to: '2026-11-23T10:00:00Z' },
  alarm: { name: 'orders-5xx-rate', state: 'ALARM', periodSeconds: 60, evaluationPeriods: 3 },
  alarms: ['orders-5xx-rate'],
  flagChanges: [],
  ecsDeployments: [],
  symptoms: { downstreamFailure: false, regionalFailure: false, trafficFlood: false, saturation: false, databaseFailure },
  gaps: [],
});

const before = { scope: 'cluster', clusterId: 'orders-db', status: 'available', writer: 'orders-db-1', members: [] };
const params = { mode: 'cluster', clusterId: 'orders-db', target: 'orders-db-2', maxReplicaLagSeconds: 30 };

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

/** A fake Aurora adapter: each method answers what the test says, and records the config it got. */
function contextWith(aurora: Partial<Record<keyof AuroraFailoverAdapter, (...args: never[]) => unknown>>, svc: ServiceConfig = service({})): MitigationContext {
  const adapters = { aurora: async () => aurora as unknown as AuroraFailoverAdapter } as unknown as MitigationAdapters;
  return { service: svc, adapters, incidentId: 'inc-1', reason: 'Tourniquet inc-1', deploymentStrategyId: 'imm0str', clock: () => new Date('2026-11-23T10:00:00Z') };
}

describe('dbFailover', () => {
  it('is high risk, needs approval at every severity, one write, and is not reverted when ineffective', () => {
    expect(dbFailover).toMatchObject({
      type: 'db-failover',
      risk: 'high',
      defaultPolicy: { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
      revertWhenIneffective: false,
      writesPerChange: 1,
      evidence: 'database-failure',
      matrixCase: 'database-failure',
    });
    expect(dbFailover.configured(service({}))).toBe(true);
    expect(dbFailover.configured(service())).toBe(false);
  });

  it('proposes the configured replica only when the database symptom is confirmed and a database is configured', () => {
    const input = { service: service({}), alarmAt: '2026-11-23T10:00:00Z', changeExplains: false };
    expect(dbFailover.propose({ ...input, triage: triage(false) }).proposals).toEqual([]);
    expect(dbFailover.propose({ ...input, service: service(), triage: triage(true) }).proposals).toEqual([]);
    const [proposal, ...more] = dbFailover.propose({ ...input, triage: triage(true) }).proposals;
    expect(more).toEqual([]);
    expect(proposal).toEqual({
      target: 'Aurora cluster orders-db → orders-db-2',
      params,
      rationale:
        'The database alarms show the writer of orders-db failing (locks, corruption or down); failing over promotes the replica orders-db-2, if it is available and lags at most 30 s.',
    });
    const global = dbFailover.propose({ ...input, service: service({ mode: 'global-failover', globalClusterId: 'orders-global', targetClusterArn: WEST }), triage: triage(true) })
      .proposals[0]!;
    expect(global.params).toEqual({ mode: 'global-failover', clusterId: 'orders-db', target: WEST, maxReplicaLagSeconds: 30 });
    expect(global.rationale).toContain('accepting the loss of unreplicated writes');
  });

  it('previews through the adapter and passes "cannot act now" on; a target that is not a member is not executable either', async () => {
    const preview = await dbFailover.preview(
      contextWith({ preview: () => ({ before, wouldChange: true, detail: 'Would fail over', notExecutable: 'lags 45 s', settleSeconds: 60 }) }),
      params,
    );
    expect(preview).toEqual({ before, wouldChange: true, detail: 'Would fail over', notExecutable: 'lags 45 s' });
    const setup = await dbFailover.preview(
      contextWith({ preview: () => Promise.reject(named('DatabaseSetupError', 'orders-db-2 is not an instance of cluster orders-db')) }),
      params,
    );
    expect(setup).toMatchObject({ wouldChange: false, notExecutable: 'orders-db-2 is not an instance of cluster orders-db' });
  });

  it('refuses a candidate whose parameters the config no longer supports', async () => {
    await expect(dbFailover.preview(contextWith({}), { ...params, target: 'orders-db-3' })).rejects.toThrow(MitigationNotExecutableError);
    await expect(dbFailover.apply(contextWith({}, service()), params)).rejects.toThrow(/has no database resources configured/);
  });

  it('applies with the adapter’s settle time, and turns its refusals into MitigationNotExecutableError', async () => {
    const calls: DatabaseConfig[] = [];
    const applied = await dbFailover.apply(
      contextWith({
        failover: ((config: DatabaseConfig) => {
          calls.push(config);
          return { status: 'applied', before, after: { ...before, writer: 'orders-db-2' }, detail: 'Failing over', settleSeconds: 60 };
        }) as never,
      }),
      params,
    );
    expect(calls.map((c) => c.targetInstanceId)).toEqual(['orders-db-2']);
    expect(applied).toEqual({ status: 'applied', before, after: { ...before, writer: 'orders-db-2' }, detail: 'Failing over', takesEffectSeconds: 60 });

    const refused = await dbFailover
      .apply(contextWith({ failover: () => Promise.reject(named('DatabaseFailoverRefusedError', 'Not failing over: lags 31 s')) }), params)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MitigationNotExecutableError);
    expect((refused as Error).message).toBe('Not failing over: lags 31 s');
    const transient = named('TransientAwsError', 'cluster orders-db is failing-over');
    await expect(dbFailover.apply(contextWith({ failover: () => Promise.reject(transient) }), params)).rejects.toBe(transient);
  });

  it('undoes by failing back to the recorded writer; a dry run only previews it', async () => {
    const ctx = contextWith({
      previewRestore: () => ({ before, wouldChange: true, detail: 'Would fail back cluster orders-db from orders-db-2 to orders-db-1', settleSeconds: 60 }),
      restore: ((_config: DatabaseConfig, recorded: unknown) => ({
        status: 'applied',
        before: recorded,
        after: recorded,
        detail: 'Failing back to orders-db-1',
        settleSeconds: 60,
      })) as never,
    });
    const undo = { params, before, after: undefined, by: 'alice', dryRun: false };
    expect(await dbFailover.undo(ctx, { ...undo, dryRun: true })).toEqual({ status: 'would-undo', detail: 'Would fail back cluster orders-db from orders-db-2 to orders-db-1' });
    expect(await dbFailover.undo(ctx, undo)).toEqual({ status: 'undone', detail: 'Aurora cluster orders-db → orders-db-2 failed back: Failing back to orders-db-1' });
  });

  it('is settled when the adapter says the new writer serves an available cluster', async () => {
    expect(await dbFailover.settled!(contextWith({ settled: () => ({ settled: false, detail: 'cluster orders-db is failing-over with writer orders-db-1' }) }))).toEqual({
      settled: false,
      detail: 'Aurora: cluster orders-db is failing-over with writer orders-db-1',
    });
  });

  it('reports readiness from the adapter’s checks, and an unreadable database as not ready', async () => {
    const ok = await dbFailover.readiness(
      contextWith({ readiness: () => ({ target: 'Aurora cluster orders-db → orders-db-2', checks: [{ check: 'a', ok: true, detail: 'fine' }] }) }),
    );
    expect(ok).toEqual([{ type: 'db-failover', target: 'Aurora cluster orders-db → orders-db-2', ready: true, checks: [{ check: 'a', ok: true, detail: 'fine' }] }]);
    const broken = await dbFailover.readiness(contextWith({ readiness: () => Promise.reject(new Error('DBClusterNotFoundFault')) }));
    expect(broken[0]).toMatchObject({ ready: false, checks: [{ ok: false, detail: 'DBClusterNotFoundFault' }] });
    expect(await dbFailover.readiness(contextWith({}, service()))).toEqual([]);
  });
});

describe('dbFailover.permissions', () => {
  const arns: ArnFormatter = {
    arn: ({ service: s, resource, resourceName, region, account, separator }) =>
      `arn:aws:${s}:${region ?? 'us-east-1'}:${account ?? '123456789012'}:${resource}${separator ?? '/'}${resourceName}`,
  };
  const config = (...databases: Partial<DatabaseConfig>[]) =>
    TourniquetConfigSchema.parse({
      version: 1,
      services: databases.map((d, i) => ({ name: `svc-${i}`, alarms: [{ name: `alarm-${i}` }], resources: { database: { clusterId: 'orders-db', ...d } } })),
    });

  it('grants nothing without a database', () => {
    expect(dbFailover.permissions(TourniquetConfigSchema.parse({ version: 1, services: [{ name: 'x', alarms: [{ name: 'a' }] }] }), arns)).toEqual({ read: [], write: [] });
  });

  it('cluster mode: describe and fail over exactly the configured cluster; instances and lag by wildcard with reasons', () => {
    const p = dbFailover.permissions(config({ targetInstanceId: 'orders-db-2' }), arns);
    expect(p.read.map((s) => [s.sid, s.actions, s.resources])).toEqual([
      ['RdsDescribeDBClusters', ['rds:DescribeDBClusters'], ['arn:aws:rds:us-east-1:123456789012:cluster:orders-db']],
      ['RdsDescribeDBInstances', ['rds:DescribeDBInstances'], ['arn:aws:rds:us-east-1:123456789012:db:*']],
      ['CloudWatchGetReplicaLag', ['cloudwatch:GetMetricData'], ['*']],
    ]);
    expect(p.read.filter((s) => s.resources.some((r) => r.includes('*'))).every((s) => (s.wildcardReason ?? '').length > 0)).toBe(true);
    expect(p.write).toEqual([{ sid: 'RdsFailoverDBCluster', actions: ['rds:FailoverDBCluster'], resources: ['arn:aws:rds:us-east-1:123456789012:cluster:orders-db'] }]);
    expect(p.settle?.map((s) => s.sid)).toEqual(['RdsDescribeDBClusters']);
    expect(p.evidence).toBeUndefined();
  });

  it('global modes: the global-cluster ARN has no region; switchover (used by every undo) and failover on the global database and both clusters', () => {
    const p = dbFailover.permissions(config({ mode: 'global-failover', globalClusterId: 'orders-global', targetClusterArn: WEST }), arns);
    const globalResources = ['arn:aws:rds::123456789012:global-cluster:orders-global', 'arn:aws:rds:us-east-1:123456789012:cluster:orders-db', WEST];
    expect(p.read.find((s) => s.sid === 'RdsDescribeGlobalClusters')?.resources).toEqual(['arn:aws:rds::123456789012:global-cluster:orders-global']);
    expect(p.read.find((s) => s.sid === 'RdsDescribeDBClusters')?.resources).toEqual(['arn:aws:rds:us-east-1:123456789012:cluster:orders-db', WEST]);
    expect(p.read.some((s) => s.sid === 'RdsDescribeDBInstances')).toBe(false);
    expect(p.write).toEqual([
      { sid: 'RdsSwitchoverGlobalCluster', actions: ['rds:SwitchoverGlobalCluster'], resources: globalResources },
      { sid: 'RdsFailoverGlobalCluster', actions: ['rds:FailoverGlobalCluster'], resources: globalResources },
    ]);
    const switchover = dbFailover.permissions(config({ mode: 'global-switchover', globalClusterId: 'orders-global', targetClusterArn: WEST }), arns);
    expect(switchover.write.map((s) => s.sid)).toEqual(['RdsSwitchoverGlobalCluster']);
    expect(p.settle?.map((s) => s.sid)).toEqual(['RdsDescribeGlobalClusters']);
  });
});
