import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { DrillResultSchema } from '../../drill/report.js';
import { type DrillSession, openDrillSession, runScenario } from '../../drill/runner.js';
import { checkScenario, loadScenario, type Scenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: whole episodes (several alarms, redeliveries, humans, days of simulated time) through
 * the synthesized state machine, the real handlers, DynamoDB Local and the simulated account.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

/** A built-in scenario edited into a new one (validated, as a file would be). */
function variant(name: string, edit: (raw: Record<string, any>) => void): Scenario {
  const raw = JSON.parse(JSON.stringify(loadScenario(name))) as Record<string, any>;
  edit(raw);
  const checked = checkScenario(raw);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.scenario;
}

const hms = (iso: string) => iso.slice(11, 19);

describe('episodes', () => {
  it('two-alarms-one-service: the second alarm joins the incident; one execution, one change', async () => {
    const { result } = await runScenario(loadScenario('two-alarms-one-service'), session);
    expect(result.mismatches).toEqual([]);
    expect(DrillResultSchema.parse(result).incidents).toEqual([
      expect.objectContaining({ service: 'checkout', status: 'RESOLVED', alarms: ['checkout-5xx-rate', 'checkout-p99-latency'], restored: true, escalated: false, pages: 0 }),
    ]);
    expect(result).toMatchObject({ executionsStarted: 1, mutations: 2, duplicateMutations: 0 });
    expect(result.alarmTransitions.map((t) => `${hms(t.at)} ${t.alarm} ${t.state}`)).toEqual([
      '03:09:00 checkout-5xx-rate ALARM',
      '03:09:30 checkout-p99-latency ALARM',
      '03:10:30 checkout-p99-latency OK',
      '03:11:00 checkout-5xx-rate OK',
    ]);
    expect(result.timeline.map((e) => e.message)).toContain('joined: checkout-p99-latency entered ALARM at 2026-11-23 03:09 UTC');
  });

  it('alert-storm: one incident and one rollback per service through flapping alarms delivered three times', async () => {
    const { result } = await runScenario(loadScenario('alert-storm'), session);
    expect(result.mismatches).toEqual([]);
    expect(result.incidents).toHaveLength(20);
    expect(new Set(result.incidents.map((i) => i.service)).size).toBe(20);
    expect(result.incidents.every((i) => i.status === 'RESOLVED' && i.actions.length === 1 && i.actions[0]!.type === 'ecs-rollback')).toBe(true);
    expect(result).toMatchObject({ executionsStarted: 20, mutations: 20, duplicateMutations: 0 });
    // Flapping before the fix: every alarm went to ALARM, and at least one went back and forth.
    const transitions = result.alarmTransitions;
    expect(new Set(transitions.filter((t) => t.state === 'ALARM').map((t) => t.alarm)).size).toBe(40);
    expect(transitions.filter((t) => t.alarm === 'svc-01-5xx' && t.state === 'ALARM').length).toBeGreaterThan(1);
    expect(transitions.every((t) => t.deliveries.length === 3 && t.deliveries.every((d) => d.error === undefined))).toBe(true);
  }, 120_000);

  it('redelivered events change nothing twice: the same story with every event delivered three times', async () => {
    const once = await runScenario(loadScenario('feature-regression'), session);
    const thrice = await runScenario(
      variant('feature-regression', (raw) => {
        raw.name = 'feature-regression-thrice';
        raw.delivery = { deliveries: 3, delaySeconds: 2, redeliveryIntervalSeconds: 1 };
      }),
      session,
    );
    expect(thrice.result.mismatches).toEqual([]);
    expect(thrice.result.executionsStarted).toBe(1);
    expect(thrice.result.mutatingCalls).toEqual(once.result.mutatingCalls);
    expect(thrice.result.notifications.map((n) => n.subject)).toEqual(once.result.notifications.map((n) => n.subject));
    expect(thrice.result.alarmTransitions[0]!.deliveries.map((d) => hms(d.at))).toEqual(['03:09:02', '03:09:03', '03:09:04']);
  });

  it('humans act at offsets through the CLI code: the page repeats until alice acknowledges, then she resolves', async () => {
    const scenario = variant('no-recent-change', (raw) => {
      raw.name = 'ack-then-resolve';
      raw.operator = {
        actions: [
          { at: '+02:00', ack: { service: 'checkout', by: 'alice', reason: 'looking at the payment provider' } },
          { at: '+02:30', resolve: { service: 'checkout', by: 'alice', reason: 'provider recovered' } },
        ],
      };
      raw.expect = { ...raw.expect, incidents: [{ service: 'checkout', status: 'RESOLVED', escalated: true, minPages: 3 }] };
    });
    const { result } = await runScenario(scenario, session);
    expect(result.mismatches).toEqual([]);
    expect(result.operatorActions.map((a) => [hms(a.at), a.action, a.by, a.incidentId, a.result])).toEqual([
      ['16:00:00', 'ack', 'alice', result.incidentId, `${result.incidentId} acknowledged by alice`],
      ['16:30:00', 'resolve', 'alice', result.incidentId, `${result.incidentId} resolved by alice`],
    ]);
    const kinds = result.timeline.map((e) => e.kind);
    expect(kinds.indexOf('acknowledged')).toBeLessThan(kinds.indexOf('resolved'));
    // Re-pages came from the scheduled function while nobody had acknowledged; none after alice did.
    const pages = result.notifications.filter((n) => n.topic === 'escalation' && n.incidentId === result.incidentId);
    expect(pages.length).toBe(result.incidents[0]!.pages);
    // Escalated at 14:45 (SEV2: re-paged every 30 minutes) and acknowledged at 16:00.
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((p) => p.at < '2026-11-23T16:00:00.000Z')).toBe(true);
  });

  it('finds a fault that begins a day later, and stops at until', async () => {
    const scenario = variant('no-recent-change', (raw) => {
      raw.name = 'a-day-later';
      for (const fault of raw.account.health.checkout.faults) fault.from = '+30:00';
      raw.until = '+31:00';
      delete raw.expect.alarmAt;
    });
    const { result } = await runScenario(scenario, session);
    expect(result.mismatches).toEqual([]);
    expect(result.alarm!.firedAt).toBe('2026-11-24T20:03:00.000Z');
    expect(result.incidents).toHaveLength(1);
    expect(result.ended).toEqual({ at: '2026-11-24T21:00:00.000Z', reason: 'until' });
  }, 120_000);
});
