import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: the built-in fault scenarios (drill/sim/faults.ts) through the synthesized state
 * machine, the real handlers, DynamoDB Local and the simulated account.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

describe('fault scenarios', () => {
  it('throttled-appconfig: StartDeployment throttled twice, the SDK retries, the kill switch lands once', async () => {
    const { result } = await runScenario(loadScenario('throttled-appconfig'), session);
    expect(result).toMatchObject({ passed: true, mismatches: [], restored: true, escalated: false, duplicateMutations: 0 });
    expect(result.actions.map((a) => [a.type, a.status])).toEqual([['feature-flag-off', 'applied']]);
    expect(result.faults).toMatchObject([{ kind: 'throttle', service: 'appconfig', operation: 'StartDeployment', fired: 2 }]);
    // One flag change: a hosted version and one accepted deployment; the throttled attempts changed nothing.
    expect(result.mutations).toBe(2);
    expect(result.mutatingCalls.map((c) => [c.command, c.error?.split(':')[0], c.fault])).toEqual([
      ['CreateHostedConfigurationVersion', undefined, undefined],
      ['StartDeployment', 'ThrottlingException', 'throttle'],
      ['StartDeployment', 'ThrottlingException', 'throttle'],
      ['StartDeployment', undefined, undefined],
    ]);
  });

  it('access-denied-ecs: nothing changes, a human is paged, and the page names ecs:UpdateService', async () => {
    const { result } = await runScenario(loadScenario('access-denied-ecs'), session);
    expect(result).toMatchObject({ passed: true, mismatches: [], restored: false, escalated: true, mutations: 0, duplicateMutations: 0 });
    expect(result.faults).toMatchObject([{ kind: 'accessDenied', service: 'ecs', operation: 'UpdateService', fired: 1 }]);
    expect(result.mutatingCalls).toHaveLength(1);
    expect(result.mutatingCalls[0]).toMatchObject({ command: 'UpdateService', fault: 'accessDenied' });
    const pages = result.notifications.filter((n) => n.topic === 'escalation');
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages[0]?.body).toContain('not authorized to perform: ecs:UpdateService');
    expect(result.actions.map((a) => a.status)).not.toContain('applied');
  });
});
