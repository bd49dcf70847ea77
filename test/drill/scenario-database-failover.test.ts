import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: database-failover. The writer of checkout-db locks up; after approval Tourniquet checks
 * the configured replica (available, lag within the bound), fails over once, and verification waits
 * for the new writer on an available cluster and for the alarm. Undo fails back to the recorded writer.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

const rdsCalls = (run: ScenarioRun) => run.account.calls().filter((c) => c.origin === 'drill' && c.service === 'rds');

describe('drill: database-failover', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('database-failover'), session);
  });

  it('is restored by the database failover after approval, without paging anyone', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ restored: true, escalated: false, passed: true });
    expect(run.result.actions).toEqual([expect.objectContaining({ type: 'db-failover', status: 'applied' })]);
    expect(run.result.incidents[0]!.status).toBe('RESOLVED');
  });

  it('reads the replica’s lag and fails over exactly once, to the configured replica', () => {
    const writes = rdsCalls(run).filter((c) => c.command === 'FailoverDBCluster');
    expect(writes.map((c) => [c.input, c.error])).toEqual([[{ DBClusterIdentifier: 'checkout-db', TargetDBInstanceIdentifier: 'checkout-db-2' }, undefined]]);
    expect(run.result.mutations).toBe(1);
    expect(run.result.duplicateMutations).toBe(0);
    // Triage also reads the alarm's own metric (impact start); the lag reads are the AuroraReplicaLag ones.
    const lagReads = run.account
      .calls()
      .filter((c) => c.origin === 'drill' && c.command === 'GetMetricData' && JSON.stringify(c.input).includes('"MetricName":"AuroraReplicaLag"'));
    expect(lagReads.length).toBeGreaterThan(0);
    expect(run.account.rds.observable()).toEqual({ 'checkout-db': { writer: 'checkout-db-2', status: 'available' } });
  });

  it('verification names the new writer as well as the alarm', () => {
    const verified = run.result.incidents[0]!.timeline.find((e) => e.kind === 'verification' && e.message.startsWith('Verified:'))!;
    expect(verified.message).toContain('Aurora: cluster checkout-db is available with writer checkout-db-2');
  });

  it('undo fails back to the recorded writer, bringing the account back to its pre-incident state', async () => {
    const undone = await runScenario(loadScenario('database-failover'), session, { undo: true });
    expect(undone.result.undo!.restoredToBefore).toBe(true);
    const writes = rdsCalls(undone).filter((c) => c.command === 'FailoverDBCluster');
    expect(writes.map((c) => c.input)).toEqual([
      { DBClusterIdentifier: 'checkout-db', TargetDBInstanceIdentifier: 'checkout-db-2' },
      { DBClusterIdentifier: 'checkout-db', TargetDBInstanceIdentifier: 'checkout-db-1' },
    ]);
  });
});
