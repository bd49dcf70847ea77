import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, FailoverDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from '@jest/globals';

import { checkScenario } from '../../../drill/scenario.js';
import { VirtualClock } from '../../../drill/sim/clock.js';
import { type RdsScenarioInput, RdsScenarioSchema, SimRds } from '../../../drill/sim/rds.js';
import { CallRecorder, wireClient } from '../../../drill/sim/wire.js';
import { AuroraFailoverAdapter } from '../../../lambdas/adapters/aurora-failover.js';
import { TransientAwsError } from '../../../lambdas/adapters/errors.js';
import type { DatabaseConfig } from '../../../lambdas/core/config.js';
import { at, fixtureAccount, scenarioInput, START } from './fixture.js';

const section = (edit?: (s: RdsScenarioInput) => void): RdsScenarioInput => {
  const s: RdsScenarioInput = {
    cluster: {
      id: 'orders-db',
      instances: [
        { id: 'orders-db-1', role: 'writer', promotionTier: 0 },
        { id: 'orders-db-2', role: 'reader', promotionTier: 1, lagSeconds: 0.02, lag: [{ at: '+00:05', seconds: 0.5 }] },
        { id: 'orders-db-3', role: 'reader', promotionTier: 1, lagSeconds: 120 },
      ],
    },
    failoverSeconds: 40,
  };
  edit?.(s);
  return s;
};

function simulation(edit?: (s: RdsScenarioInput) => void) {
  const clock = new VirtualClock(new Date(START));
  const rds = SimRds.fromScenario(section(edit), { clock, startsAt: START });
  const client = wireClient(new RDSClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
    service: rds,
    clock,
    recorder: new CallRecorder(),
    origin: 'drill',
  });
  return { clock, rds, client };
}

const config: DatabaseConfig = { mode: 'cluster', clusterId: 'orders-db', targetInstanceId: 'orders-db-2', maxReplicaLagSeconds: 30 };

describe('RdsScenarioSchema', () => {
  it('needs exactly one writer, unique instances and lag in time order', () => {
    const problems = (edit: (s: RdsScenarioInput) => void) => {
      const r = RdsScenarioSchema.safeParse(section(edit));
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(problems(() => undefined)).toEqual([]);
    expect(problems((s) => (s.cluster.instances[1]!.role = 'writer'))).toEqual(['a cluster has exactly one writer (found 2)']);
    expect(problems((s) => (s.cluster.instances[2]!.id = 'ORDERS-DB-2'))).toEqual(['duplicate instance id ORDERS-DB-2']);
    expect(
      problems(
        (s) =>
          (s.cluster.instances[1]!.lag = [
            { at: '+00:05', seconds: 1 },
            { at: '+00:01', seconds: 2 },
          ]),
      ),
    ).toEqual(['lag entries must be in time order']);
  });
});

describe('SimRds', () => {
  it('describes the cluster with its writer and promotion tiers, and each instance’s status', async () => {
    const { client } = simulation((s) => (s.cluster.instances[2]!.statusChanges = [{ at: '+00:00', status: 'rebooting' }]));
    const { DBClusters } = await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'orders-db' }));
    expect(DBClusters?.[0]).toMatchObject({
      DBClusterIdentifier: 'orders-db',
      Status: 'available',
      DBClusterMembers: [
        { DBInstanceIdentifier: 'orders-db-1', IsClusterWriter: true, PromotionTier: 0 },
        { DBInstanceIdentifier: 'orders-db-2', IsClusterWriter: false, PromotionTier: 1 },
        { DBInstanceIdentifier: 'orders-db-3', IsClusterWriter: false, PromotionTier: 1 },
      ],
    });
    expect((await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db-3' }))).DBInstances?.[0]?.DBInstanceStatus).toBe('rebooting');
    await expect(client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'nope' }))).rejects.toMatchObject({ name: 'DBClusterNotFoundFault' });
    await expect(client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
  });

  it('fails over in simulated time: failing-over with the old writer, then the target writes on an available cluster', async () => {
    const { clock, rds, client } = simulation();
    clock.advanceTo(at(600));
    const out = await client.send(new FailoverDBClusterCommand({ DBClusterIdentifier: 'orders-db', TargetDBInstanceIdentifier: 'orders-db-2' }));
    expect(out.DBCluster?.Status).toBe('failing-over');
    expect(rds.writerAt('orders-db', at(639))).toBe('orders-db-1');
    expect(rds.clusterStatusAt('orders-db', at(639))).toBe('failing-over');
    expect(rds.writerAt('orders-db', at(640))).toBe('orders-db-2');
    expect(rds.clusterStatusAt('orders-db', at(640))).toBe('available');
    expect(rds.isWriter('orders-db-1', at(640))).toBe(false);
    // Written before, read after: the history is kept.
    expect(rds.writerAt('orders-db', at(599))).toBe('orders-db-1');

    clock.advanceTo(at(620));
    await expect(client.send(new FailoverDBClusterCommand({ DBClusterIdentifier: 'orders-db', TargetDBInstanceIdentifier: 'orders-db-3' }))).rejects.toMatchObject({
      name: 'InvalidDBClusterStateFault',
    });
    clock.advanceTo(at(700));
    expect(rds.snapshot().clusters[0]).toMatchObject({ status: 'available', writer: 'orders-db-2', failovers: [{ from: 'orders-db-1', to: 'orders-db-2' }] });
    expect(rds.observable()).toEqual({ 'orders-db': { writer: 'orders-db-2', status: 'available' } });
  });

  it('refuses a target that is the writer, not a member, or not available; without a target, picks the lowest tier', async () => {
    const { rds, client } = simulation((s) => (s.cluster.instances[1]!.statusChanges = [{ at: '+00:00', status: 'rebooting' }]));
    const failover = (target?: string) =>
      client.send(new FailoverDBClusterCommand({ DBClusterIdentifier: 'orders-db', ...(target ? { TargetDBInstanceIdentifier: target } : {}) }));
    await expect(failover('orders-db-1')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(failover('other-db-1')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(failover('orders-db-2')).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    await expect(failover()).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    expect(rds.snapshot().clusters[0]!.failovers).toEqual([]);
  });

  it('publishes AuroraReplicaLag (ms) for readers only, following each series', () => {
    const { rds } = simulation();
    const lag = (id: string, seconds: number) => rds.metric({ namespace: 'AWS/RDS', metricName: 'AuroraReplicaLag', dimensions: { DBInstanceIdentifier: id }, at: at(seconds) });
    expect(lag('orders-db-2', 60)).toBe(20);
    expect(lag('orders-db-2', 300)).toBe(500);
    expect(lag('orders-db-3', 60)).toBe(120_000);
    expect(lag('orders-db-1', 60)).toBeUndefined();
    expect(rds.metric({ namespace: 'AWS/RDS', metricName: 'CPUUtilization', dimensions: { DBInstanceIdentifier: 'orders-db-2' }, at: at(60) })).toBeUndefined();
  });
});

describe('SimRds in the simulated account', () => {
  const withDatabase = (s: ReturnType<typeof scenarioInput>) => {
    s.account.database = section();
    s.account.alarms.push({ name: 'orders-db-writer-health', service: 'orders-db', threshold: 50, periodSeconds: 60, evaluationPeriods: 1 });
    s.account.health['orders-db'] = { faults: [{ description: 'orders-db-1 locks up', errorRatePercent: 100, when: { databaseWriter: 'orders-db-1' }, from: '+00:05' }] };
    s.account.health['checkout']!.faults!.push({ description: 'writes time out', errorRatePercent: 30, when: { databaseWriter: 'orders-db-1' }, from: '+00:05' });
  };

  it('checks that a databaseWriter fault names an instance of account.database', () => {
    const input = scenarioInput();
    withDatabase(input);
    input.account.health['orders-db']!.faults![0]!.when = { databaseWriter: 'orders-db-9' };
    const checked = checkScenario(input);
    expect(checked.ok ? [] : checked.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'account.health.orders-db.faults[0].when.databaseWriter: "orders-db-9" is not an instance of account.database.cluster',
    ]);
  });

  it('the writer fault hurts until the healthy replica writes; the real adapter reads the lag from GetMetricData and fails over', async () => {
    const account = fixtureAccount(withDatabase);
    const clients = account.clients();
    const adapter = new AuroraFailoverAdapter(clients.rds, clients.cloudwatch, { now: () => account.clock.nowMs() });
    account.clock.advanceTo(at(600));
    expect(account.health.errorRate('orders-db', at(600))).toBe(100);
    expect(account.health.errorRate('checkout', at(600))).toBeCloseTo(30.5);

    const preview = await adapter.preview(config);
    expect(preview).toMatchObject({ wouldChange: true, before: { writer: 'orders-db-1' } });
    expect(preview.notExecutable).toBeUndefined();
    expect(preview.detail).toContain('lag 0.5 s');

    const applied = await adapter.failover(config);
    expect(applied.status).toBe('applied');
    await expect(adapter.failover(config)).rejects.toBeInstanceOf(TransientAwsError);
    expect((await adapter.settled(config)).settled).toBe(false);

    account.clock.advanceTo(at(645));
    expect((await adapter.settled(config)).settled).toBe(true);
    expect(account.health.errorRate('orders-db', at(645))).toBe(0);
    expect(account.health.errorRate('checkout', at(645))).toBeCloseTo(0.5);
    expect(account.observable()['database']).toEqual({ 'orders-db': { writer: 'orders-db-2', status: 'available' } });
    expect((await adapter.failover(config)).status).toBe('already-applied');
    expect(account.calls().filter((c) => c.command === 'FailoverDBCluster' && !c.error)).toHaveLength(1);
  });

  it('GetMetricData answers one datapoint per complete period, newest first', async () => {
    const account = fixtureAccount(withDatabase);
    account.clock.advanceTo(at(400));
    const out = await account.clients().cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: at(0),
        EndTime: at(600),
        MetricDataQueries: [
          {
            Id: 'lag',
            MetricStat: {
              Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-db-2' }] },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    const r = out.MetricDataResults?.[0];
    // [300, 360) is the newest complete period: the lag stepped to 0.5 s at +00:05; [360, 420) is not over yet.
    expect(r?.Timestamps?.map((t) => t.toISOString())).toEqual([300, 240, 180, 120, 60, 0].map((s) => at(s).toISOString()));
    expect(r?.Values).toEqual([500, 20, 20, 20, 20, 20]);
    const unknown = await account.clients().cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: at(0),
        EndTime: at(300),
        MetricDataQueries: [
          {
            Id: 'x',
            MetricStat: {
              Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-db-1' }] },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    expect(unknown.MetricDataResults?.[0]?.Values).toEqual([]);
  });
});
