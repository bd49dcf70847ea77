import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: crash-mid-mitigation. AppConfig accepts the kill switch's StartDeployment, then the
 * mitigate invocation dies (crashAfterMutation → Lambda.Unknown) before it records anything. The
 * workflow's retry must wait out the crashed attempt's claim, read the flag, and record the change as
 * applied and reconciled without sending it again.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

describe('drill: crash-mid-mitigation', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('crash-mid-mitigation'), session);
  });

  it('is restored by the kill switch without paging anyone', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ passed: true, restored: true, escalated: false, executionsStarted: 1 });
    expect(run.result.executions).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    expect(run.result.notifications.map((n) => n.topic)).not.toContain('escalation');
    expect(run.result.notifications.filter((n) => n.topic === 'status').map((n) => n.status)).toEqual(['Investigating', 'Identified', 'Mitigated', 'Resolved']);
  });

  it('the crash hit the accepted StartDeployment once, and nothing was sent again: one flag change, no duplicate', () => {
    expect(run.result.faults).toMatchObject([{ kind: 'crashAfterMutation', service: 'appconfig', operation: 'StartDeployment', fired: 1 }]);
    expect(run.result.mutatingCalls.map((c) => [c.command, c.fault])).toEqual([
      ['CreateHostedConfigurationVersion', undefined],
      ['StartDeployment', 'crashAfterMutation'],
    ]);
    expect(run.result.mutations).toBe(2);
    expect(run.result.duplicateMutations).toBe(0);
  });

  it('the ledger and the timeline say the action was reconciled after the interrupted attempt', async () => {
    const actions = await run.store.listActions(run.result.incidentId!);
    expect(actions).toEqual([expect.objectContaining({ type: 'feature-flag-off', status: 'applied', reconciled: true })]);
    expect(actions[0]!.detail).toMatch(/^Reconciled after an interrupted attempt \(attempt \d+\): the change is in place, so nothing was sent again\./);
    // The claim kept the before-state the crashed attempt wrote: the flag was on.
    expect(JSON.stringify(actions[0]!.before)).toContain('new-checkout-flow');

    const applied = run.result.timeline.filter((e) => e.kind === 'mitigation' && e.message.startsWith('Applied:'));
    expect(applied).toHaveLength(1);
    expect(applied[0]!.message).toContain('Reconciled after an interrupted attempt');
    expect(applied[0]!.data).toMatchObject({ reconciled: true });
    // Taken over only after the crashed attempt's claim lease (90 s) ran out, never alongside it.
    const crashAt = Date.parse(run.result.faults[0]!.calls[0]!.at);
    expect(Date.parse(applied[0]!.at) - crashAt).toBeGreaterThanOrEqual(90_000);
  });

  it('undo puts the flag back on, bringing the account back to its pre-incident state', async () => {
    const undone = await runScenario(loadScenario('crash-mid-mitigation'), session, { undo: true });
    expect(undone.result.mismatches).toEqual([]);
    expect(undone.result.undo!.restoredToBefore).toBe(true);
    expect(undone.result.undo!.steps).toEqual([expect.objectContaining({ type: 'feature-flag-off', status: 'undone' })]);
  });
});
