import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: the built-in lifecycle scenarios (composite alarms, a fix that does not hold, escalation
 * timers, a re-fire days later, a candidate that did not help) through the synthesized state machine,
 * the real handlers, DynamoDB Local and the simulated account.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

const hms = (iso: string) => iso.slice(11, 19);

describe('lifecycle scenarios', () => {
  it('composite-alarm: the composite and its child are one incident, paced by the child, verified and resolved', async () => {
    const { result } = await runScenario(loadScenario('composite-alarm'), session);
    expect(result.mismatches).toEqual([]);
    expect(result.incidents).toHaveLength(1);
    const incident = result.incidents[0]!;
    expect(incident).toMatchObject({ service: 'checkout', status: 'RESOLVED', pages: 0 });
    expect(incident.alarms).toEqual(expect.arrayContaining(['checkout-health', 'checkout-5xx-rate']));
    expect(result.executionsStarted).toBe(1);
    const messages = incident.timeline.map((e) => e.message);
    expect(messages.some((m) => m.startsWith('joined: checkout-health') || m.startsWith('joined: checkout-5xx-rate'))).toBe(true);
    expect(messages.find((m) => m.startsWith('Verified:'))).toMatch(/checkout-5xx-rate, checkout-health OK/);
    // The composite has no period of its own: its child's (60 s × 3) paces the check, so it lands a few minutes after the change.
    const applied = incident.timeline.find((e) => e.kind === 'mitigation')!.at;
    const verified = incident.timeline.find((e) => e.message.startsWith('Verified:'))!.at;
    expect((Date.parse(verified) - Date.parse(applied)) / 1000).toBeGreaterThanOrEqual(3 * 60);
  });

  it('flapping-after-fix: a re-fire inside the watch period re-opens the same incident, which escalates with nothing new to try', async () => {
    const { result } = await runScenario(loadScenario('flapping-after-fix'), session);
    expect(result.mismatches).toEqual([]);
    expect(result.incidents).toHaveLength(1);
    expect(result.executions).toHaveLength(2);
    const [first, continuation] = result.executions;
    // The first execution woke at the end of its watch, found the incident re-opened and stopped without acting.
    expect(first!.status).toBe('SUCCEEDED');
    expect(continuation!.status).toBe('SUCCEEDED');
    const timeline = result.incidents[0]!.timeline;
    const reopened = timeline.find((e) => e.kind === 'reopened')!;
    expect(hms(reopened.at)).toBe('03:16:00');
    expect(reopened.message).toMatch(/inside the watch period/);
    expect(timeline.find((e) => e.kind === 'decision' && e.at > reopened.at)!.message).toMatch(/already tried: feature-flag-off/);
    expect(timeline.some((e) => e.message.includes('stops: the incident is ESCALATED in round 1'))).toBe(true);
    // The kill switch was applied once: the continuation left it out rather than apply it again.
    expect(result.incidents[0]!.actions.map((a) => [a.type, a.status])).toEqual([['feature-flag-off', 'applied']]);
    expect(result.duplicateMutations).toBe(0);
  });

  it('escalation-timer: an unacknowledged SEV1 is re-paged every 15 minutes until alice acks, then not again', async () => {
    const { result } = await runScenario(loadScenario('escalation-timer'), session);
    expect(result.mismatches).toEqual([]);
    const incident = result.incidents[0]!;
    expect(incident.status).toBe('RESOLVED');
    const pages = result.notifications.filter((n) => n.topic === 'escalation' && n.incidentId === incident.incidentId);
    const ackAt = result.operatorActions.find((a) => a.action === 'ack')!.at;
    expect(hms(ackAt)).toBe('15:50:00');
    const before = pages.filter((p) => p.at < ackAt);
    // The escalation page at 14:43, then re-pages 15 minutes apart (the 5-minute schedule decides the minute).
    expect(before.length).toBeGreaterThanOrEqual(4);
    const repages = before.filter((p) => p.subject.includes('[Page]'));
    for (let i = 1; i < repages.length; i++) expect(Date.parse(repages[i]!.at) - Date.parse(repages[i - 1]!.at)).toBe(15 * 60_000);
    expect(repages[0]!.body).toMatch(/tourniquet ack/);
    expect(pages.filter((p) => p.at > ackAt)).toEqual([]);
  });

  it('refire-after-escalation: the same alarm eight days later pages at once with the history, never silently', async () => {
    const { result } = await runScenario(loadScenario('refire-after-escalation'), session);
    expect(result.mismatches).toEqual([]);
    expect(result.incidents).toHaveLength(1);
    expect(result.executionsStarted).toBe(1);
    const incident = result.incidents[0]!;
    expect(incident.status).toBe('ACKNOWLEDGED');
    const refire = result.alarmTransitions.filter((t) => t.state === 'ALARM').at(-1)!;
    expect(refire.at.slice(0, 10)).toBe('2026-12-01');
    const page = result.notifications.find((n) => n.topic === 'escalation' && n.at >= refire.at && n.subject.includes('alarm fired again'))!;
    expect(page).toBeDefined();
    expect(Date.parse(page.at) - Date.parse(refire.at)).toBeLessThan(60_000);
    expect(page.body).toMatch(/acknowledged by alice/);
    expect(page.body).toMatch(/Opened at 2026-11-23 14:43 UTC/);
    // Daily reminders kept the acknowledged incident from going silent in between.
    const reminders = result.notifications.filter((n) => n.topic === 'escalation' && n.subject.includes('reminder'));
    expect(reminders.length).toBeGreaterThanOrEqual(7);
  });

  it('ineffective-candidate-reverted: the rollback that did not help is rolled forward before the degrade flag restores service', async () => {
    const run = await runScenario(loadScenario('ineffective-candidate-reverted'), session);
    const { result } = run;
    expect(result.mismatches).toEqual([]);
    const actions = await run.store.listActions(result.incidentId!);
    expect(actions.map((a) => [a.type, a.status, a.effect])).toEqual([
      ['ecs-rollback', 'undone', 'no-effect'],
      ['degrade-flag-on', 'applied', 'restored'],
    ]);
    // The revert put checkout:42 back before the degrade flag was turned on.
    const revert = result.timeline.findIndex((e) => e.message.startsWith('Undo by Tourniquet (no measurable effect)'));
    const degrade = result.timeline.findIndex((e) => e.message.startsWith('Applied: degrade-flag-on'));
    expect(revert).toBeGreaterThan(-1);
    expect(revert).toBeLessThan(degrade);
    expect(run.account.observable()).toMatchObject({ ecs: { checkout: { taskDefinition: expect.stringContaining('checkout:42') } } });
    expect(result.postmortem).toMatch(/Service was restored by degrade-flag-on/);
    expect(result.postmortem).toMatch(/no measurable effect: ecs-rollback on ECS service shop-prod\/checkout \(reverted\)/);
  });
});
