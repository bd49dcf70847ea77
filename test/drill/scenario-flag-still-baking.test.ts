import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: flag-still-baking. The flag was switched on with AppConfig.AllAtOnce (10-minute bake), so
 * the alarm fires while that deployment is BAKING and AppConfig refuses any new deployment: the kill
 * switch must stop the suspect deployment instead, and say so in words.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

describe('drill: flag-still-baking', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('flag-still-baking'), session);
  });

  it('is restored by stopping the baking deployment, without paging anyone', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ restored: true, escalated: false, passed: true });
    expect(run.result.actions).toEqual([expect.objectContaining({ type: 'feature-flag-off', status: 'applied' })]);
    expect(run.result.notifications.filter((n) => n.topic === 'status').map((n) => n.status)).toEqual(['Investigating', 'Identified', 'Mitigated', 'Resolved']);
  });

  it('made exactly one change: StopDeployment of the suspect, no new version, no refused StartDeployment', () => {
    const appconfig = run.account.calls().filter((c) => c.origin === 'drill' && c.service === 'appconfig' && /^(Create|Start|Stop)/.test(c.command));
    expect(appconfig.map((c) => [c.command, c.error?.name])).toEqual([['StopDeployment', undefined]]);
    expect(run.result.mutations).toBe(1);
    expect(run.result.duplicateMutations).toBe(0);
  });

  it('names the deployment and what was done in words on the timeline', () => {
    const applied = run.result.incidents[0]!.timeline.find((e) => e.kind === 'mitigation' && e.message.startsWith('Applied:'))!;
    expect(applied.message).toContain('flag deployment #2 (version 2, strategy AppConfig.AllAtOnce) was still baking (bake ends 03:15 UTC)');
    expect(applied.message).toContain('stopped it: AppConfig rolls back to version 1');
    expect(applied.message).not.toMatch(/Error\b/);
  });

  it('undo redeploys the stopped version (no new version written), bringing the account back to its pre-incident state', async () => {
    const undone = await runScenario(loadScenario('flag-still-baking'), session, { undo: true });
    expect(undone.result.undo!.restoredToBefore).toBe(true);
    expect(undone.result.undo!.steps).toEqual([expect.objectContaining({ status: 'undone', detail: expect.stringContaining('reused hosted version 2') })]);
    expect(undone.account.calls().filter((c) => c.origin === 'drill' && c.command === 'CreateHostedConfigurationVersion')).toEqual([]);
  });
});
