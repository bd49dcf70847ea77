import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  type DBCluster,
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverDBClusterCommand,
  FailoverGlobalClusterCommand,
  InvalidDBClusterStateFault,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import {
  AuroraFailoverAdapter,
  type AuroraRegionClients,
  DatabaseFailoverRefusedError,
  DatabaseSetupError,
  DatabaseStateSchema,
} from '../../../lambdas/adapters/aurora-failover.js';
import { AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import type { DatabaseConfig } from '../../../lambdas/core/config.js';
import { sdkError } from './sdk-errors.js';

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);
const NOW = Date.parse('2026-11-23T10:00:00Z');
const meta = { $metadata: { httpStatusCode: 400 } };

const clusterConfig: DatabaseConfig = { mode: 'cluster', clusterId: 'orders-db', targetInstanceId: 'orders-db-2', maxReplicaLagSeconds: 30 };
const WEST = 'arn:aws:rds:us-west-2:123456789012:cluster:orders-west';
const EAST = 'arn:aws:rds:us-east-1:123456789012:cluster:orders-db';
const globalConfig = (mode: 'global-switchover' | 'global-failover'): DatabaseConfig => ({
  mode,
  clusterId: 'orders-db',
  globalClusterId: 'orders-global',
  targetClusterArn: WEST,
  maxReplicaLagSeconds: 30,
});

const regions: string[] = [];
const adapter = () =>
  new AuroraFailoverAdapter(new RDSClient({ region: 'us-east-1' }), new CloudWatchClient({ region: 'us-east-1' }), {
    now: () => NOW,
    clientsIn: async (region): Promise<AuroraRegionClients> => {
      regions.push(region);
      return { rds: new RDSClient({ region }), cloudwatch: new CloudWatchClient({ region }) };
    },
  });

function cluster(writer: string, status = 'available'): DBCluster {
  return {
    DBClusterIdentifier: 'orders-db',
    Status: status,
    DBClusterMembers: [
      { DBInstanceIdentifier: 'orders-db-1', IsClusterWriter: writer === 'orders-db-1', PromotionTier: 1 },
      { DBInstanceIdentifier: 'orders-db-2', IsClusterWriter: writer === 'orders-db-2', PromotionTier: 1 },
      { DBInstanceIdentifier: 'orders-db-3', IsClusterWriter: writer === 'orders-db-3', PromotionTier: 0 },
    ],
  };
}

function givenCluster(writer = 'orders-db-1', status = 'available'): void {
  rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-db' }).resolves({ DBClusters: [cluster(writer, status)] });
}

function givenInstance(id: string, status = 'available'): void {
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id }).resolves({ DBInstances: [{ DBInstanceIdentifier: id, DBInstanceStatus: status }] });
}

/** Lag datapoints in milliseconds, newest first (ScanBy TimestampDescending). */
function givenLag(...millis: number[]): void {
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'lag', StatusCode: 'Complete', Timestamps: millis.map((_, i) => new Date(NOW - (i + 1) * 60_000)), Values: millis }],
  });
}

beforeEach(() => {
  rds.reset();
  cloudwatch.reset();
  regions.length = 0;
});

describe('AuroraFailoverAdapter, cluster mode', () => {
  it('previews a failover to a healthy replica: before-state, lag from AuroraReplicaLag (ms), nothing changed', async () => {
    givenCluster();
    givenInstance('orders-db-2');
    givenLag(20, 5000);

    const preview = await adapter().preview(clusterConfig);

    expect(preview).toMatchObject({ wouldChange: true, settleSeconds: 60 });
    expect(preview.notExecutable).toBeUndefined();
    expect(DatabaseStateSchema.parse(preview.before)).toEqual({
      scope: 'cluster',
      clusterId: 'orders-db',
      status: 'available',
      writer: 'orders-db-1',
      members: [
        { instanceId: 'orders-db-1', writer: true, promotionTier: 1 },
        { instanceId: 'orders-db-2', writer: false, promotionTier: 1 },
        { instanceId: 'orders-db-3', writer: false, promotionTier: 0 },
      ],
    });
    expect(preview.detail).toBe('Would fail over cluster orders-db from orders-db-1 to orders-db-2 (lag 0.02 s, promotion tier 1) with FailoverDBCluster; allow 60 s.');
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
      StartTime: new Date(NOW - 300_000),
      EndTime: new Date(NOW),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'lag',
          ReturnData: true,
          MetricStat: {
            Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-db-2' }] },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(0);
  });

  it('says "already in place" when the target already is the writer', async () => {
    givenCluster('orders-db-2');
    const preview = await adapter().preview(clusterConfig);
    expect(preview.wouldChange).toBe(false);
    expect(preview.notExecutable).toMatch(/orders-db-2 already is the writer of cluster orders-db: already in place/);
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it('is not executable when the replica lags past the bound, its lag is unknown, it is not available, or the cluster is failing over', async () => {
    givenCluster();
    givenInstance('orders-db-2');
    givenLag(45_000);
    expect((await adapter().preview(clusterConfig)).notExecutable).toBe(
      'Not ready to fail over cluster orders-db to orders-db-2: replica orders-db-2 lags 45 s (AuroraReplicaLag; at most 30 s allowed).',
    );

    givenLag();
    expect((await adapter().preview(clusterConfig)).notExecutable).toContain('no AuroraReplicaLag datapoint for replica orders-db-2 in the last 5 minutes: its lag is unknown');

    givenLag(10);
    givenInstance('orders-db-2', 'rebooting');
    expect((await adapter().preview(clusterConfig)).notExecutable).toContain('replica orders-db-2 is rebooting');

    givenInstance('orders-db-2');
    givenCluster('orders-db-1', 'failing-over');
    expect((await adapter().preview(clusterConfig)).notExecutable).toContain('cluster orders-db is failing-over (a failover is already under way)');
  });

  it('fails over with FailoverDBCluster to exactly the configured replica', async () => {
    givenCluster();
    givenInstance('orders-db-2');
    givenLag(15);
    rds.on(FailoverDBClusterCommand).resolves({ DBCluster: cluster('orders-db-1', 'failing-over') });

    const result = await adapter().failover(clusterConfig);

    expect(rds.commandCalls(FailoverDBClusterCommand).map((c) => c.args[0].input)).toEqual([{ DBClusterIdentifier: 'orders-db', TargetDBInstanceIdentifier: 'orders-db-2' }]);
    expect(result).toMatchObject({
      status: 'applied',
      settleSeconds: 60,
      before: { writer: 'orders-db-1', status: 'available' },
      after: { writer: 'orders-db-2', status: 'failing-over' },
    });
    expect(result.after).toMatchObject({
      members: [
        { instanceId: 'orders-db-1', writer: false },
        { instanceId: 'orders-db-2', writer: true },
        { instanceId: 'orders-db-3', writer: false },
      ],
    });
    expect(result.detail).toMatch(/^Failing over cluster orders-db from orders-db-1 to orders-db-2 \(lag 0\.015 s, promotion tier 1\) with FailoverDBCluster/);
  });

  it('is idempotent: a target that already is the writer is already-applied and nothing is called', async () => {
    givenCluster('orders-db-2');
    const result = await adapter().failover(clusterConfig);
    expect(result).toMatchObject({ status: 'already-applied', before: { writer: 'orders-db-2' }, after: { writer: 'orders-db-2' } });
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(0);
  });

  it('does not start a failover while one is under way: a retryable error naming the state', async () => {
    givenCluster('orders-db-1', 'failing-over');
    givenInstance('orders-db-2');
    givenLag(15);
    const attempt = adapter().failover(clusterConfig);
    await expect(attempt).rejects.toBeInstanceOf(TransientAwsError);
    await expect(attempt).rejects.toThrow(/cluster orders-db is failing-over: a failover is already under way/);
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(0);
  });

  it('turns InvalidDBClusterStateFault into a retryable error naming the state found', async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolvesOnce({ DBClusters: [cluster('orders-db-1')] })
      .resolves({ DBClusters: [cluster('orders-db-1', 'failing-over')] });
    givenInstance('orders-db-2');
    givenLag(15);
    rds.on(FailoverDBClusterCommand).rejects(new InvalidDBClusterStateFault({ message: 'DbCluster orders-db is not in a valid state.', ...meta }));
    const err = await adapter()
      .failover(clusterConfig)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientAwsError);
    expect((err as Error).message).toMatch(
      /^RDS FailoverDBCluster on cluster orders-db: cluster orders-db is failing-over \(InvalidDBClusterStateFault: DbCluster orders-db is not in a valid state\.\)/,
    );
  });

  it('refuses (not retried) to promote a replica that lags too much, and calls nothing', async () => {
    givenCluster();
    givenInstance('orders-db-2');
    givenLag(31_000);
    const err = await adapter()
      .failover(clusterConfig)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseFailoverRefusedError);
    expect((err as Error).message).toBe('Not failing over cluster orders-db to orders-db-2: replica orders-db-2 lags 31 s (AuroraReplicaLag; at most 30 s allowed)');
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(0);
  });

  it('explains a missing cluster and a target that is not a member in terms of the config', async () => {
    rds.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ message: 'DBCluster orders-db not found.', $metadata: { httpStatusCode: 404 } }));
    const missing = await adapter()
      .preview(clusterConfig)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AwsResourceNotFoundError);
    expect((missing as Error).message).toContain('check database.clusterId');

    rds.reset();
    givenCluster();
    await expect(adapter().preview({ ...clusterConfig, targetInstanceId: 'orders-db-9' })).rejects.toThrow(DatabaseSetupError);
  });

  it('classifies throttling of the lag read as transient', async () => {
    givenCluster();
    givenInstance('orders-db-2');
    cloudwatch.on(GetMetricDataCommand).rejects(sdkError('Throttling', 'Rate exceeded'));
    await expect(adapter().preview(clusterConfig)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('is settled once the target is the writer of an available cluster', async () => {
    givenCluster('orders-db-2', 'failing-over');
    expect(await adapter().settled(clusterConfig)).toEqual({
      settled: false,
      detail: 'cluster orders-db is failing-over with writer orders-db-2; waiting for orders-db-2 to be the writer of an available cluster',
    });
    givenCluster('orders-db-2');
    expect(await adapter().settled(clusterConfig)).toEqual({ settled: true, detail: 'cluster orders-db is available with writer orders-db-2' });
  });

  it('restores by failing back to the recorded writer, with the same checks on it', async () => {
    givenCluster('orders-db-1');
    givenInstance('orders-db-2');
    givenLag(10);
    const before = (await adapter().preview(clusterConfig)).before;
    rds.reset();
    cloudwatch.reset();
    givenCluster('orders-db-2');
    givenInstance('orders-db-1');
    givenLag(30);
    rds.on(FailoverDBClusterCommand).resolves({ DBCluster: cluster('orders-db-2', 'failing-over') });

    expect((await adapter().previewRestore(clusterConfig, before)).detail).toMatch(/^Would fail back cluster orders-db from orders-db-2 to orders-db-1/);
    const result = await adapter().restore(clusterConfig, before);

    expect(rds.commandCalls(FailoverDBClusterCommand).map((c) => c.args[0].input)).toEqual([{ DBClusterIdentifier: 'orders-db', TargetDBInstanceIdentifier: 'orders-db-1' }]);
    expect(result).toMatchObject({ status: 'applied', before: { writer: 'orders-db-2' }, after: { writer: 'orders-db-1' } });

    givenCluster('orders-db-1');
    expect((await adapter().restore(clusterConfig, before)).status).toBe('already-applied');
  });

  it('refuses to restore a recorded state of another database', async () => {
    const other = { scope: 'cluster', clusterId: 'billing-db', status: 'available', writer: 'billing-db-1', members: [] };
    await expect(adapter().restore(clusterConfig, other)).rejects.toThrow(DatabaseSetupError);
    await expect(adapter().restore(clusterConfig, { nonsense: true })).rejects.toThrow(DatabaseSetupError);
    expect(rds.calls()).toHaveLength(0);
  });

  it('readiness lists each check and notes the promotion tier Aurora itself would pick', async () => {
    givenCluster();
    givenInstance('orders-db-2');
    givenLag(10);
    const readiness = await adapter().readiness(clusterConfig);
    expect(readiness.target).toBe('Aurora cluster orders-db → orders-db-2');
    expect(readiness.checks.map((c) => [c.ok, c.detail])).toEqual([
      [true, 'cluster orders-db is available'],
      [true, 'replica orders-db-2 is available'],
      [true, 'replica orders-db-2 lags 0.01 s (AuroraReplicaLag; at most 30 s allowed)'],
      [true, 'orders-db-2 has promotion tier 1; an automatic failover by Aurora would promote orders-db-3 (tier 0) instead'],
    ]);
  });
});

describe('AuroraFailoverAdapter, global modes', () => {
  function givenGlobal(writer: string, options: { status?: string; failover?: string; sync?: string } = {}): void {
    rds.on(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: 'orders-global' }).resolves({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'orders-global',
          Status: options.status ?? 'available',
          GlobalClusterMembers: [
            { DBClusterArn: EAST, IsWriter: writer === EAST },
            { DBClusterArn: WEST, IsWriter: writer === WEST, SynchronizationStatus: (options.sync ?? 'connected') as 'connected' },
          ],
          ...(options.failover ? { FailoverState: { Status: options.failover as 'pending' } } : {}),
        },
      ],
    });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: WEST }).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-west', Status: 'available' }] });
  }

  it('switches over to the secondary in its own Region after checking AuroraGlobalDBReplicationLag', async () => {
    givenGlobal(EAST);
    givenLag(800);
    rds.on(SwitchoverGlobalClusterCommand).resolves({ GlobalCluster: { GlobalClusterIdentifier: 'orders-global', Status: 'switching-over' } });

    const result = await adapter().failover(globalConfig('global-switchover'));

    expect(regions).toContain('us-west-2');
    expect(rds.commandCalls(SwitchoverGlobalClusterCommand).map((c) => c.args[0].input)).toEqual([{ GlobalClusterIdentifier: 'orders-global', TargetDbClusterIdentifier: WEST }]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric).toEqual({
      Namespace: 'AWS/RDS',
      MetricName: 'AuroraGlobalDBReplicationLag',
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-west' }],
    });
    expect(result).toMatchObject({ status: 'applied', settleSeconds: 300, before: { scope: 'global', writer: EAST }, after: { writer: WEST, status: 'switching-over' } });
  });

  it('fails over with AllowDataLoss, and an unknown lag (primary Region down) does not block it', async () => {
    givenGlobal(EAST);
    givenLag();
    rds.on(FailoverGlobalClusterCommand).resolves({ GlobalCluster: { GlobalClusterIdentifier: 'orders-global', Status: 'failing-over' } });
    const result = await adapter().failover(globalConfig('global-failover'));
    expect(rds.commandCalls(FailoverGlobalClusterCommand).map((c) => c.args[0].input)).toEqual([
      { GlobalClusterIdentifier: 'orders-global', TargetDbClusterIdentifier: WEST, AllowDataLoss: true },
    ]);
    expect(result.detail).toContain('Writes the secondary had not received are lost (AllowDataLoss).');
  });

  it('a switchover needs a connected secondary with a known lag', async () => {
    givenGlobal(EAST, { sync: 'pending-resync' });
    givenLag();
    const preview = await adapter().preview(globalConfig('global-switchover'));
    expect(preview.notExecutable).toContain('secondary cluster orders-west replication is pending-resync');
    expect(preview.notExecutable).toContain('its lag is unknown');
  });

  it('retries rather than starts a second failover while FailoverState says one is pending; idempotent once the secondary is primary', async () => {
    givenGlobal(EAST, { failover: 'pending' });
    givenLag(100);
    await expect(adapter().failover(globalConfig('global-switchover'))).rejects.toBeInstanceOf(TransientAwsError);
    givenGlobal(WEST);
    expect((await adapter().failover(globalConfig('global-switchover'))).status).toBe('already-applied');
    expect(rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(await adapter().settled(globalConfig('global-switchover'))).toMatchObject({ settled: true });
  });

  it('fails back with a switchover, never with data loss', async () => {
    givenGlobal(EAST);
    givenLag(100);
    const before = (await adapter().preview(globalConfig('global-failover'))).before;
    givenGlobal(WEST);
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: EAST }).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-db', Status: 'available' }] });
    rds.on(SwitchoverGlobalClusterCommand).resolves({ GlobalCluster: { Status: 'switching-over' } });
    await adapter().restore(globalConfig('global-failover'), before);
    expect(rds.commandCalls(SwitchoverGlobalClusterCommand).map((c) => c.args[0].input)).toEqual([{ GlobalClusterIdentifier: 'orders-global', TargetDbClusterIdentifier: EAST }]);
    expect(rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
  });
});
