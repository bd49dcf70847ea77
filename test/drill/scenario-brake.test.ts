import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: the brake on automation in whole episodes. mutation-budget-exhausted spends the default
 * hourly budget (5) on five rollbacks and holds the sixth for a human; concurrent-incidents-one-service
 * folds two close alarms of one service (with redeliveries) into one incident, and the round a re-fire
 * inside the watch opens meets the service's cooldown.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

const SERVICES = ['cart', 'catalog', 'search', 'payments', 'shipping', 'reviews'];

describe('drill: mutation-budget-exhausted', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('mutation-budget-exhausted'), session);
  });

  it('six incidents, each rolled back once and resolved, nobody paged for an error, no duplicate change', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result.passed).toBe(true);
    expect(run.result.incidents.map((i) => [i.service, i.status, i.actions.map((a) => [a.type, a.status]), i.escalated])).toEqual(
      SERVICES.map((s) => [s, 'RESOLVED', [['ecs-rollback', 'applied']], false]),
    );
    expect(run.result.executionsStarted).toBe(6);
    expect(run.result.mutations).toBe(6);
    expect(run.result.duplicateMutations).toBe(0);
  });

  it('the first five are changed on their own; the sixth asks for approval, naming the spent budget, and changes nothing until alice approves', () => {
    const reviews = run.result.incidents.find((i) => i.service === 'reviews')!;
    for (const other of run.result.incidents.filter((i) => i.service !== 'reviews')) {
      expect(other.timeline.map((e) => e.message).join('\n')).not.toMatch(/brake|approv/i);
      expect(other.pages).toBe(0);
    }

    const asked = run.result.notifications.filter((n) => n.topic === 'approvers');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ incidentId: reviews.incidentId, subject: expect.stringContaining('APPROVAL NEEDED: ecs-rollback for reviews') });
    expect(asked[0]!.body).toContain('Held by the brake: the automation budget is spent: 5 automated change(s) in the last hour (limit 5');
    // The only message on the escalation topic is the "waiting for approval" one for reviews.
    expect(run.result.notifications.filter((n) => n.topic === 'escalation').map((n) => [n.incidentId, n.subject])).toEqual([
      [reviews.incidentId, expect.stringContaining('Waiting for approval: ecs-rollback for reviews')],
    ]);

    const messages = reviews.timeline.map((e) => e.message);
    const stopped = messages.findIndex((m) => m.startsWith('The brake on automation stopped ecs-rollback') && m.includes('the automation budget is spent'));
    const approved = messages.findIndex((m) => m.startsWith('Approved ecs-rollback') && m.includes('alice'));
    const pastBrake = messages.findIndex((m) => m.startsWith('Going ahead with ecs-rollback') && m.includes('past the brake'));
    const applied = messages.findIndex((m) => m.startsWith('Applied: ecs-rollback'));
    expect([stopped, approved, pastBrake, applied].every((i) => i >= 0)).toBe(true);
    expect(stopped).toBeLessThan(approved);
    expect(approved).toBeLessThan(pastBrake);
    expect(pastBrake).toBeLessThan(applied);
    // The brake speaks once: after the approval the timeline says the change went past it, not that it stopped it.
    expect(messages.filter((m) => m.startsWith('The brake on automation stopped'))).toHaveLength(1);

    // Reviews' UpdateService is the sixth and last write, and it came after the approval.
    const approvedAt = reviews.timeline[approved]!.at;
    const updates = run.result.mutatingCalls.filter((c) => c.command === 'UpdateService');
    expect(updates).toHaveLength(6);
    expect(updates.slice(0, 5).every((c) => c.at < reviews.openedAt)).toBe(true);
    expect(updates[5]!.at > approvedAt).toBe(true);
  });
});

describe('drill: concurrent-incidents-one-service', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('concurrent-incidents-one-service'), session);
  });

  it('one incident with both alarms: the latency alarm 20 s later and every redelivery join it', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result.passed).toBe(true);
    expect(run.result.incidents).toHaveLength(1);
    const [incident] = run.result.incidents;
    expect(incident).toMatchObject({ service: 'checkout', status: 'RESOLVED', restored: true, escalated: false });
    expect(incident!.alarms).toEqual(expect.arrayContaining(['checkout-5xx-rate', 'checkout-p99-latency']));
    const firstAlarms = run.result.alarmTransitions.filter((t) => t.state === 'ALARM').slice(0, 2);
    expect(firstAlarms.map((t) => [t.alarm, t.at.slice(11, 19), t.deliveries.length])).toEqual([
      ['checkout-5xx-rate', '03:09:00', 3],
      ['checkout-p99-latency', '03:09:20', 3],
    ]);
    expect(incident!.timeline.filter((e) => e.message.startsWith('joined: checkout-p99-latency'))).toHaveLength(2);
  });

  it('two executions race (the re-fire inside the watch starts a continuation); the first stops without acting, neither fails', () => {
    expect(run.result.executions).toEqual([expect.objectContaining({ status: 'SUCCEEDED' }), expect.objectContaining({ status: 'SUCCEEDED' })]);
    const messages = run.result.incidents[0]!.timeline.map((e) => e.message);
    expect(messages).toContainEqual(expect.stringMatching(/^reopened: checkout-5xx-rate entered ALARM again .* inside the watch period/));
    expect(messages).toContainEqual(expect.stringMatching(/^Execution checkout-5xx-rate-\S+ stops: the incident is MITIGATING in round 1/));
  });

  it('one change at a time, each once: the flag off, then (after approval) the rollback; no duplicate', () => {
    expect(run.result.incidents[0]!.actions.map((a) => [a.type, a.status])).toEqual([
      ['feature-flag-off', 'applied'],
      ['ecs-rollback', 'applied'],
    ]);
    expect(run.result.mutatingCalls.map((c) => [c.at.slice(11, 19), c.command])).toEqual([
      ['03:09:07', 'CreateHostedConfigurationVersion'],
      ['03:09:07', 'StartDeployment'],
      ['03:18:09', 'UpdateService'],
    ]);
    expect(run.result.mutations).toBe(3);
    expect(run.result.duplicateMutations).toBe(0);
  });

  it('the service cooldown holds round 1 rollback for a human; no error page', () => {
    const messages = run.result.incidents[0]!.timeline.map((e) => e.message);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^The brake on automation stopped ecs-rollback .*: service checkout is cooling down: round 0 of this incident changed it \(feature-flag-off\) at 03:09 UTC/,
      ),
    );
    expect(messages).toContainEqual(expect.stringMatching(/^Going ahead with ecs-rollback .* past the brake \(service checkout is cooling down.*approved by .*alice/));
    const asked = run.result.notifications.filter((n) => n.topic === 'approvers');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.body).toContain('Held by the brake: service checkout is cooling down');
    // Escalation topic: only the "waiting for approval" notice, no page for an error.
    expect(run.result.notifications.filter((n) => n.topic === 'escalation').map((n) => n.subject)).toEqual([
      expect.stringContaining('Waiting for approval: ecs-rollback for checkout'),
    ]);
  });
});
