import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario, type Scenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: arc-failover. us-east-1 fails and the ARC cluster's us-east-1 endpoint goes down with
 * it. After approval Tourniquet reads the routing controls through the next endpoint, turns the
 * us-west-2 cell On and the us-east-1 cell Off in one call, and the alarm clears. A variant with a
 * safety rule that keeps the us-east-1 cell On shows the rule honoured: nothing changes, a human is paged.
 */

const PANEL = 'arn:aws:route53-recovery-control::123456789012:controlpanel/9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const EAST = `${PANEL}/routingcontrol/1a2b3c4d5e6f47a8`;
const WEST = `${PANEL}/routingcontrol/8a7f6e5d4c3b2a19`;
const E1 = 'https://a1b2c3d4.route53-recovery-cluster.us-east-1.amazonaws.com/v1';
const E2 = 'https://b2c3d4e5.route53-recovery-cluster.us-west-2.amazonaws.com/v1';

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

const arcCalls = (run: ScenarioRun) => run.account.calls().filter((c) => c.origin === 'drill' && c.service === 'route53-recovery-cluster');

describe('drill: arc-failover', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('arc-failover'), session);
  });

  it('is restored by the ARC failover after approval, without paging anyone', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ restored: true, escalated: false, passed: true });
    expect(run.result.actions).toEqual([expect.objectContaining({ type: 'arc-routing-control', status: 'applied' })]);
  });

  it('falls back from the unavailable us-east-1 endpoint and makes exactly one change through us-west-2', () => {
    const calls = arcCalls(run);
    expect(calls[0]).toMatchObject({ endpoint: E1, command: 'GetRoutingControlState', error: { name: 'EndpointTemporarilyUnavailableException' } });
    expect(calls.slice(1).every((c) => c.endpoint === E2 && c.error === undefined)).toBe(true);
    const writes = calls.filter((c) => c.command === 'UpdateRoutingControlStates');
    expect(writes.map((c) => c.input)).toEqual([
      {
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: WEST, RoutingControlState: 'On' },
          { RoutingControlArn: EAST, RoutingControlState: 'Off' },
        ],
      },
    ]);
    expect(run.result.mutations).toBe(1);
    expect(run.result.duplicateMutations).toBe(0);
    expect(run.account.arc.snapshot().routingControls.map((c) => [c.name, c.state])).toEqual([
      ['checkout-us-east-1', 'Off'],
      ['checkout-us-west-2', 'On'],
    ]);
  });

  it('says on the timeline which routing controls changed and which endpoint answered', () => {
    const applied = run.result.incidents[0]!.timeline.find((e) => e.kind === 'mitigation' && e.message.startsWith('Applied:'))!;
    expect(applied.message).toContain('checkout-us-west-2 (8a7f6e5d4c3b2a19) On (was Off) and checkout-us-east-1 (1a2b3c4d5e6f47a8) Off (was On)');
    expect(applied.message).toContain(`via ${E2}`);
  });

  it('undo sets both routing controls back in one call, bringing the account back to its pre-incident state', async () => {
    const undone = await runScenario(loadScenario('arc-failover'), session, { undo: true });
    expect(undone.result.undo!.restoredToBefore).toBe(true);
    const writes = arcCalls(undone).filter((c) => c.command === 'UpdateRoutingControlStates');
    expect(writes.at(-1)!.input).toEqual({
      UpdateRoutingControlStateEntries: [
        { RoutingControlArn: WEST, RoutingControlState: 'Off' },
        { RoutingControlArn: EAST, RoutingControlState: 'On' },
      ],
    });
  });
});

describe('drill: arc-failover refused by a safety rule', () => {
  it('honours the rule: no routing control changes, the refusal names the rule, a human is paged', async () => {
    const base = loadScenario('arc-failover');
    const scenario: Scenario = {
      ...base,
      account: {
        ...base.account,
        arc: {
          ...base.account.arc!,
          // A rule written for planned maintenance: the us-east-1 cell must stay On.
          safetyRules: [{ id: 'a0b1c2d3e4f5a6b7', name: 'us-east-1-stays-on', assertedControls: ['checkout-us-east-1'], type: 'ATLEAST', threshold: 1, inverted: false }],
        },
      },
      expect: { ...base.expect, restored: false, actions: [], escalated: true },
    };
    const run = await runScenario(scenario, session);
    expect(run.result).toMatchObject({ restored: false, escalated: true });
    expect(run.result.mutations).toBe(0);
    const refused = arcCalls(run).filter((c) => c.command === 'UpdateRoutingControlStates');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((c) => c.error?.name === 'ConflictException')).toBe(true);
    const timeline = run.result.incidents[0]!.timeline.map((e) => e.message).join('\n');
    expect(timeline).toContain(`${PANEL}/safetyrule/a0b1c2d3e4f5a6b7`);
    expect(run.account.arc.state(EAST)).toBe('On');
  });
});
