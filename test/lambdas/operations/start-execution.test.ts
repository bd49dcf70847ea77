import { readFileSync } from 'node:fs';

import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import { SnsPublisher } from '../../../lambdas/adapters/sns-publisher.js';
import { StepFunctionsExecutions } from '../../../lambdas/adapters/step-functions-executions.js';
import { parseAlarmEvent } from '../../../lambdas/core/alarm-event.js';
import { parseConfig, type TourniquetConfig } from '../../../lambdas/core/config.js';
import { incidentIdFor } from '../../../lambdas/core/identity.js';
import { admitSignals, type StartSummary } from '../../../lambdas/operations/start-execution.js';
import { IncidentStore } from '../../../lambdas/store/incident-store.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Tourniquet-prod';
const ESCALATION_TOPIC = 'arn:aws:sns:us-east-1:123456789012:escalation';
const T0 = Date.parse('2026-11-23T03:10:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/events/eventbridge-single-metric.json', import.meta.url), 'utf8'));

/** The EventBridge event of one alarm transition, `minute` minutes after T0. */
function alarmEvent(alarmName: string, state: 'ALARM' | 'OK' = 'ALARM', minute = 0) {
  return {
    ...fixture,
    time: at(minute),
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    detail: {
      ...fixture.detail,
      alarmName,
      previousState: { ...fixture.detail.previousState, value: state === 'ALARM' ? 'OK' : 'ALARM' },
      state: { ...fixture.detail.state, value: state, timestamp: at(minute) },
    },
  };
}

const sampleConfigText = readFileSync(new URL('../../../tourniquet.config.json', import.meta.url), 'utf8');

/** The sample config with a second service, so the cap and per-service episodes can be seen. */
const twoServices = (lifecycle: Record<string, unknown> = {}): TourniquetConfig => {
  const raw = JSON.parse(sampleConfigText) as { services: Record<string, unknown>[] };
  return parseConfig(
    JSON.stringify({ ...raw, lifecycle, services: [...raw.services, { name: 'payments', severity: 'SEV1', alarms: [{ name: 'payments-5xx-rate' }] }] }),
    'test config',
  );
};

async function setup(config: TourniquetConfig = twoServices(), options: { region?: string } = {}) {
  let now = T0 + 5_000;
  const clock = () => new Date(now);
  const store = new IncidentStore({ tableName: await db.newTable(), client: db.client, clock });
  const deps = {
    config,
    ...options,
    store,
    workflows: new StepFunctionsExecutions(STATE_MACHINE, sfn as unknown as SFNClient),
    stateMachineArn: STATE_MACHINE,
    publisher: new SnsPublisher(sns as unknown as SNSClient),
    escalationTopicArn: ESCALATION_TOPIC,
    metrics: new MemoryMetricsSink(clock),
    clock,
  };
  /** One alarm event admitted, as the starter's handler hands its signals over. */
  const admit = (event: unknown): Promise<StartSummary> => admitSignals(deps, parseAlarmEvent(event), event);
  const started = () => sfn.commandCalls(StartExecutionCommand).map((c) => ({ name: c.args[0].input.name!, input: JSON.parse(c.args[0].input.input!) }));
  const published = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
  return {
    store,
    admit,
    started,
    published,
    metrics: deps.metrics,
    /** Moves the clock to T0 + `minute` minutes (+5 s of delivery delay). */
    setMinute: (minute: number) => void (now = T0 + minute * 60_000 + 5_000),
  };
}

/** Opens the checkout incident with the 5xx alarm at T0 and returns its id. */
async function openCheckout(ctx: Awaited<ReturnType<typeof setup>>): Promise<string> {
  const summary = await ctx.admit(alarmEvent('checkout-5xx-rate'));
  expect(summary.started).toHaveLength(1);
  return incidentIdFor({ alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-rate', stateChangeTime: at(0) });
}

beforeEach(() => {
  sfn.reset();
  sns.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

describe('admitSignals: opening', () => {
  it('opens an incident for the service and starts one deterministically named execution with its id', async () => {
    const ctx = await setup();
    const summary = await ctx.admit(alarmEvent('checkout-5xx-rate'));
    const incidentId = incidentIdFor({ alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-rate', stateChangeTime: at(0) });

    expect(summary).toMatchObject({ started: [expect.stringMatching(/^checkout-5xx-rate-20261123T031000Z-[0-9a-f]{8}$/)], joined: [], duplicates: [] });
    const [execution] = ctx.started();
    expect(execution!.name).toBe(summary.started[0]);
    expect(execution!.input).toMatchObject({
      incidentId,
      signal: { alarmName: 'checkout-5xx-rate', state: 'ALARM' },
      service: { name: 'checkout' },
      settings: { changeWindowMinutes: 30, dryRun: false, lifecycle: { maxOpenIncidents: 10, flapCooldownMinutes: 30 } },
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(STATE_MACHINE);

    expect(await ctx.store.getIncident(incidentId)).toMatchObject({
      status: 'OPEN',
      service: 'checkout',
      severity: 'SEV2',
      alarms: ['checkout-5xx-rate'],
      execution: { name: execution!.name, id: `arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:${execution!.name}` },
    });
    expect(await ctx.store.getEpisode('checkout')).toMatchObject({ incidentId, status: 'OPEN', leaseUntil: new Date(T0 + 5_000 + 30 * 60_000).toISOString() });
    expect((await ctx.store.listTimeline(incidentId))[0]).toMatchObject({
      kind: 'incident-opened',
      message: expect.stringContaining('alarm checkout-5xx-rate entered ALARM at 2026-11-23 03:10 UTC'),
    });
  });

  it('joins a second alarm of the same service to the incident: a timeline entry, the alarm added, no execution', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);

    const summary = await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 1));
    expect(summary).toMatchObject({ started: [], joined: [`${incidentId}: checkout-p99-latency ALARM`] });
    expect(ctx.started()).toHaveLength(1);
    expect((await ctx.store.getIncident(incidentId)).alarms).toEqual(['checkout-5xx-rate', 'checkout-p99-latency']);
    expect((await ctx.store.listTimeline(incidentId)).at(-1)).toMatchObject({ kind: 'signal', message: 'joined: checkout-p99-latency entered ALARM at 2026-11-23 03:11 UTC' });
    expect((await ctx.store.listIncidents()).map((i) => i.incidentId)).toEqual([incidentId]);
  });

  it('two alarms of one service arriving at once open one incident; the other joins it', async () => {
    const ctx = await setup();
    const [a, b] = await Promise.all([ctx.admit(alarmEvent('checkout-5xx-rate')), ctx.admit(alarmEvent('checkout-p99-latency'))]);
    expect([...a.started, ...b.started]).toHaveLength(1);
    expect([...a.joined, ...b.joined]).toHaveLength(1);
    expect(ctx.started()).toHaveLength(1);
    const [incident] = await ctx.store.listIncidents();
    expect(incident!.alarms).toEqual(['checkout-5xx-rate', 'checkout-p99-latency']);
  });

  it('keeps episodes per service: another service opens its own incident', async () => {
    const ctx = await setup();
    await openCheckout(ctx);
    const summary = await ctx.admit(alarmEvent('payments-5xx-rate', 'ALARM', 1));
    expect(summary.started).toHaveLength(1);
    expect(ctx.started()[1]!.input).toMatchObject({ service: { name: 'payments' } });
    expect(await ctx.store.countActiveIncidents()).toBe(2);
  });

  it('opens past the cap with the reason recorded, and still starts the workflow (which pages instead of acting)', async () => {
    const ctx = await setup(twoServices({ maxOpenIncidents: 1 }));
    await openCheckout(ctx);
    const summary = await ctx.admit(alarmEvent('payments-5xx-rate', 'ALARM', 1));
    expect(summary.started).toHaveLength(1);
    const incidentId = ctx.started()[1]!.input.incidentId as string;
    const incident = await ctx.store.getIncident(incidentId);
    expect(incident.cappedReason).toBe('1 incidents are already open (lifecycle.maxOpenIncidents is 1): Tourniquet records and pages this one and does not act on it.');
    expect((await ctx.store.listTimeline(incidentId))[0]!.message).toContain('lifecycle.maxOpenIncidents is 1');
    // Under the cap, nothing is capped.
    expect((await ctx.store.listIncidents()).find((i) => i.service === 'checkout')).not.toHaveProperty('cappedReason');
  });

  it('a symptom alarm never opens an incident; with one open it is recorded as a symptom', async () => {
    const ctx = await setup();
    const quiet = await ctx.admit(alarmEvent('checkout-cpu-high'));
    expect(quiet.ignored).toEqual([expect.stringContaining('checkout-cpu-high ALARM (a symptom alarm is evidence for triage')]);
    expect(ctx.started()).toEqual([]);
    expect(await ctx.store.listIncidents()).toEqual([]);

    const incidentId = await openCheckout(ctx);
    const summary = await ctx.admit(alarmEvent('checkout-cpu-high', 'ALARM', 1));
    expect(summary.joined).toEqual([`${incidentId}: checkout-cpu-high ALARM`]);
    expect((await ctx.store.listTimeline(incidentId)).at(-1)!.message).toBe('symptom: checkout-cpu-high entered ALARM at 2026-11-23 03:11 UTC');
    // Symptoms are evidence, not incident alarms.
    expect((await ctx.store.getIncident(incidentId)).alarms).toEqual(['checkout-5xx-rate']);
  });
});

describe('admitSignals: OK transitions', () => {
  it('records an OK on the current incident', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    const summary = await ctx.admit(alarmEvent('checkout-5xx-rate', 'OK', 2));
    expect(summary.joined).toEqual([`${incidentId}: checkout-5xx-rate OK`]);
    expect((await ctx.store.listTimeline(incidentId)).at(-1)!.message).toBe('cleared: checkout-5xx-rate went to OK at 2026-11-23 03:12 UTC');
    expect(ctx.started()).toHaveLength(1);
  });

  it('ignores an OK when the service has no current incident', async () => {
    const ctx = await setup();
    const summary = await ctx.admit(alarmEvent('checkout-5xx-rate', 'OK'));
    expect(summary.ignored).toEqual(['checkout-5xx-rate OK (OK with no open incident for the service)']);
    expect(ctx.started()).toEqual([]);
    expect(await ctx.store.listIncidents()).toEqual([]);
  });
});

describe('admitSignals: redelivery', () => {
  it('a redelivered join changes nothing twice', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 1));
    const again = await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 1));
    expect(again).toMatchObject({ joined: [], duplicates: [`${incidentId}: checkout-p99-latency ALARM`] });
    expect((await ctx.store.listTimeline(incidentId)).filter((e) => e.kind === 'signal')).toHaveLength(1);
  });

  it('a redelivered opening event records nothing new, and makes sure its execution runs (same name)', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    const again = await ctx.admit(alarmEvent('checkout-5xx-rate'));
    expect(again).toMatchObject({ started: [], joined: [], duplicates: [`${incidentId}: checkout-5xx-rate ALARM`] });
    expect(again.alreadyRunning).toEqual([ctx.started()[0]!.name]);
    expect(new Set(ctx.started().map((s) => s.name)).size).toBe(1);
    expect(await ctx.store.listTimeline(incidentId)).toHaveLength(1);
  });

  it('a redelivery after StartExecution failed the first time starts the execution', async () => {
    const ctx = await setup();
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(ctx.admit(alarmEvent('checkout-5xx-rate'))).rejects.toThrow();
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

    const retried = await ctx.admit(alarmEvent('checkout-5xx-rate'));
    expect(retried.started).toHaveLength(1);
    const [first, second] = ctx.started();
    expect(second!.name).toBe(first!.name);
    expect(await ctx.store.listIncidents()).toHaveLength(1);
  });

  it('treats ExecutionAlreadyExists on opening as a redelivery, not an error', async () => {
    const ctx = await setup();
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await ctx.admit(alarmEvent('checkout-5xx-rate'))).toMatchObject({ started: [], alreadyRunning: [expect.stringMatching(/^checkout-5xx-rate-/)] });
  });
});

describe('admitSignals: re-opens', () => {
  /** The checkout incident verified and WATCHING. */
  async function watching(ctx: Awaited<ReturnType<typeof setup>>): Promise<string> {
    const incidentId = await openCheckout(ctx);
    expect(await ctx.store.transition(incidentId, 'MITIGATING', { from: ['OPEN'] })).toBe(true);
    expect(await ctx.store.transition(incidentId, 'WATCHING', { from: ['MITIGATING'], patch: { mitigatedAt: at(5), watchUntil: at(10) }, leaseUntil: at(40) })).toBe(true);
    return incidentId;
  }

  it('a re-fire while WATCHING re-opens the same incident and starts a continuation execution', async () => {
    const ctx = await setup();
    const incidentId = await watching(ctx);
    ctx.setMinute(8);

    const summary = await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 8));
    expect(summary).toMatchObject({ reopened: [incidentId], started: [expect.stringMatching(/^checkout-5xx-rate-20261123T031800Z-/)] });
    const continuation = ctx.started()[1]!;
    expect(continuation.input).toMatchObject({ incidentId, signal: { stateChangeTime: at(8) } });
    expect(await ctx.store.getIncident(incidentId)).toMatchObject({ status: 'OPEN', round: 1, execution: { name: continuation.name } });
    expect(await ctx.store.getEpisode('checkout')).toMatchObject({ status: 'OPEN', round: 1 });
    expect((await ctx.store.listTimeline(incidentId)).at(-1)).toMatchObject({ kind: 'reopened', message: expect.stringContaining('inside the watch period') });
    expect(await ctx.store.listIncidents()).toHaveLength(1);

    // Its redelivery re-opens nothing again.
    const again = await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 8));
    expect(again.reopened).toEqual([]);
    expect(again.duplicates).toEqual([`${incidentId}: checkout-5xx-rate ALARM`]);
    expect((await ctx.store.getIncident(incidentId)).round).toBe(1);
  });

  it('a re-fire redelivered after StartExecution failed starts the continuation', async () => {
    const ctx = await setup();
    const incidentId = await watching(ctx);
    ctx.setMinute(8);
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 8))).rejects.toThrow();
    expect((await ctx.store.getIncident(incidentId)).round).toBe(1);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

    const retried = await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 8));
    expect(retried.started).toEqual([(await ctx.store.getIncident(incidentId)).execution.name]);
    expect((await ctx.store.getIncident(incidentId)).round).toBe(1);
  });

  it('a joined alarm redelivered while WATCHING neither re-opens the incident nor starts an execution', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 1));
    await ctx.store.transition(incidentId, 'MITIGATING');
    await ctx.store.transition(incidentId, 'WATCHING', { leaseUntil: at(40) });
    ctx.setMinute(8);

    const late = await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 1));
    expect(late).toMatchObject({ reopened: [], started: [], duplicates: [`${incidentId}: checkout-p99-latency ALARM`] });
    expect(ctx.started()).toHaveLength(1);
    expect(await ctx.store.getIncident(incidentId)).toMatchObject({ status: 'WATCHING', round: 0 });
  });

  it('the opening event redelivered while WATCHING or ESCALATED re-opens nothing and pages nobody', async () => {
    const ctx = await setup();
    const incidentId = await watching(ctx);
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await ctx.admit(alarmEvent('checkout-5xx-rate'))).toMatchObject({ reopened: [], duplicates: [`${incidentId}: checkout-5xx-rate ALARM`] });
    expect(await ctx.store.getIncident(incidentId)).toMatchObject({ status: 'WATCHING', round: 0 });
    await ctx.store.transition(incidentId, 'ESCALATED');
    expect(await ctx.admit(alarmEvent('checkout-5xx-rate'))).toMatchObject({ paged: [], duplicates: [`${incidentId}: checkout-5xx-rate ALARM`] });
    expect(ctx.published()).toEqual([]);
  });

  it('a re-fire within the flap cooldown after RESOLVED re-opens it as a flap; after the cooldown a fresh incident opens', async () => {
    const ctx = await setup();
    const incidentId = await watching(ctx);
    await ctx.store.transition(incidentId, 'RESOLVED', { from: ['WATCHING'], patch: { resolvedAt: at(10) }, reopenUntil: at(40) });

    ctx.setMinute(20);
    const flap = await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 20));
    expect(flap.reopened).toEqual([incidentId]);
    expect((await ctx.store.listTimeline(incidentId)).at(-1)!.message).toContain('within the flap cooldown');
    expect(await ctx.store.getIncident(incidentId)).toMatchObject({ status: 'OPEN', round: 1 });

    // Resolved again; this time the cooldown runs out before the next alarm.
    await ctx.store.transition(incidentId, 'ESCALATED');
    await ctx.store.transition(incidentId, 'RESOLVED', { reopenUntil: at(50) });
    ctx.setMinute(51);
    const fresh = await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 51));
    expect(fresh.reopened).toEqual([]);
    expect(fresh.started).toHaveLength(1);
    const freshId = ctx.started().at(-1)!.input.incidentId as string;
    expect(freshId).not.toBe(incidentId);
    expect(await ctx.store.getIncident(freshId)).toMatchObject({ status: 'OPEN', round: 0 });
  });

  it('a symptom or an OK during the flap cooldown changes nothing', async () => {
    const ctx = await setup();
    const incidentId = await watching(ctx);
    await ctx.store.transition(incidentId, 'RESOLVED', { from: ['WATCHING'], reopenUntil: at(40) });
    ctx.setMinute(20);
    const summary = await ctx.admit(alarmEvent('checkout-cpu-high', 'ALARM', 20));
    expect(summary.ignored).toEqual([`checkout-cpu-high ALARM (incident ${incidentId} is resolved)`]);
    expect((await ctx.store.getIncident(incidentId)).status).toBe('RESOLVED');
    expect(ctx.started()).toHaveLength(1);
  });
});

describe('admitSignals: pages', () => {
  it('a re-fire of an ESCALATED incident pages the escalation topic at once, with its history', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    await ctx.store.recordActionStart(incidentId, { cursor: 0, type: 'feature-flag-off', target: 'flag new-checkout-flow' });
    await ctx.store.completeAction(incidentId, 0, 'feature-flag-off', { status: 'applied' });
    await ctx.store.setActionEffect(incidentId, 0, 'feature-flag-off', 'no-effect');
    await ctx.store.transition(incidentId, 'ESCALATED', { patch: { escalatedAt: at(9), escalationReason: 'No automatic candidate left.', lastPageAt: at(9), pages: 1 } });
    ctx.setMinute(20);

    const summary = await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 20));
    expect(summary).toMatchObject({ paged: [incidentId], joined: [`${incidentId}: checkout-p99-latency ALARM`], started: [] });
    const [page] = ctx.published();
    expect(page).toMatchObject({
      TopicArn: ESCALATION_TOPIC,
      Subject: `[SEV2][Page] checkout: alarm fired again (${incidentId})`,
      MessageAttributes: expect.objectContaining({ status: { DataType: 'String', StringValue: 'Page' } }),
    });
    expect(page!.Message).toContain('Alarm checkout-p99-latency entered ALARM again at 2026-11-23 03:30 UTC while the incident is ESCALATED.');
    expect(page!.Message).toContain('- Tried: feature-flag-off on flag new-checkout-flow: applied, no measurable effect');
    expect(page!.Message).toContain('- Escalated at 2026-11-23 03:19 UTC: No automatic candidate left.');
    expect(page!.Message).toContain('- Pages so far: 2 (this one included).');
    expect(page!.Message).toContain(`tourniquet ack ${incidentId}`);
    expect(await ctx.store.getIncident(incidentId)).toMatchObject({ status: 'ESCALATED', pages: 2, lastPageAt: new Date(T0 + 20 * 60_000 + 5_000).toISOString() });
    expect((await ctx.store.listTimeline(incidentId)).at(-1)!.message).toContain('a human has the incident, paged again');
    expect(ctx.started()).toHaveLength(1);
  });

  it('a re-fire of an ACKNOWLEDGED incident pages too, saying who has it', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    await ctx.store.transition(incidentId, 'ESCALATED', { patch: { escalatedAt: at(9) } });
    await ctx.store.transition(incidentId, 'ACKNOWLEDGED', { patch: { acknowledgedAt: at(12), acknowledgedBy: 'alice' } });
    ctx.setMinute(20);

    expect((await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 20))).paged).toEqual([incidentId]);
    const [page] = ctx.published();
    expect(page!.Subject).toBe(`[SEV2][Page] checkout: alarm fired again (${incidentId})`);
    expect(page!.Message).toContain('Status: ACKNOWLEDGED (acknowledged by alice at 2026-11-23 03:22 UTC)');
    expect(page!.Message).toContain(`tourniquet resolve ${incidentId}`);
  });

  it('an OK of an escalated incident is recorded without a page', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    await ctx.store.transition(incidentId, 'ESCALATED');
    expect(await ctx.admit(alarmEvent('checkout-5xx-rate', 'OK', 20))).toMatchObject({ paged: [], joined: [`${incidentId}: checkout-5xx-rate OK`] });
    expect(ctx.published()).toEqual([]);
  });

  it('an alarm on an incident whose workflow stopped reporting (lease expired) escalates it and pages', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    ctx.setMinute(36); // the lease ran out 30 minutes after the open, at 03:40:05

    const summary = await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 36));
    expect(summary.paged).toEqual([incidentId]);
    const incident = await ctx.store.getIncident(incidentId);
    expect(incident).toMatchObject({ status: 'ESCALATED', escalationReason: expect.stringContaining('stopped reporting (its lease ran out at 2026-11-23 03:40 UTC)'), pages: 1 });
    expect(incident.alarms).toEqual(['checkout-5xx-rate', 'checkout-p99-latency']);
    expect(ctx.published()[0]).toMatchObject({ TopicArn: ESCALATION_TOPIC, Subject: `[SEV2][Page] checkout: workflow stopped, needs a human (${incidentId})` });
    expect(ctx.published()[0]!.Message).toContain('Automation is not acting on it.');
    expect(
      (await ctx.store.listTimeline(incidentId)).some((e) => e.kind === 'escalation' && e.message.startsWith('Escalated: The workflow working on this incident stopped reporting')),
    ).toBe(true);
    expect(await ctx.store.getEpisode('checkout')).toMatchObject({ status: 'ESCALATED' });
  });

  it('an OK on an orphaned incident is only recorded', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    ctx.setMinute(36);
    expect(await ctx.admit(alarmEvent('checkout-5xx-rate', 'OK', 36))).toMatchObject({ paged: [], joined: [`${incidentId}: checkout-5xx-rate OK`] });
    expect((await ctx.store.getIncident(incidentId)).status).toBe('OPEN');
  });
});

describe('admitSignals: reports', () => {
  it('reports an unconfigured alarm entering ALARM to the escalation topic, naming it, and opens nothing', async () => {
    const ctx = await setup();
    const summary = await ctx.admit(alarmEvent('other'));
    expect(summary.unknownAlarms).toEqual(['other']);
    expect(ctx.started()).toHaveLength(0);
    expect(await ctx.store.listIncidents()).toEqual([]);
    expect(ctx.published()[0]).toMatchObject({ TopicArn: ESCALATION_TOPIC, Subject: '[Tourniquet] Unconfigured alarm: other' });
    expect(ctx.published()[0]!.Message).toContain('Alarm "other" (arn:aws:cloudwatch:us-east-1:123456789012:alarm:other) entered ALARM');
  });

  it('ignores an unconfigured alarm going back to OK', async () => {
    const ctx = await setup();
    expect((await ctx.admit(alarmEvent('other', 'OK'))).ignored).toEqual(['other OK (not configured)']);
    expect(ctx.published()).toEqual([]);
  });
});

/** The event of an alarm transition in another account and region (member stacks forward them unchanged). */
function alarmEventFrom(where: { account: string; region: string }, alarmName: string, state: 'ALARM' | 'OK' = 'ALARM', minute = 0) {
  const event = alarmEvent(alarmName, state, minute);
  return { ...event, account: where.account, region: where.region, resources: [`arn:aws:cloudwatch:${where.region}:${where.account}:alarm:${alarmName}`] };
}

describe('admitSignals: where the alarm is from (docs/accounts.md)', () => {
  const CENTRAL = { account: '111111111111', region: 'us-east-1' };
  const WORKLOAD = { account: '222222222222', region: 'eu-west-1' };
  /** checkout in the workload account and region; payments where Tourniquet runs (no account, no region). */
  const crossAccount = (): TourniquetConfig => {
    const raw = JSON.parse(sampleConfigText) as { services: Record<string, unknown>[] };
    return parseConfig(
      JSON.stringify({
        ...raw,
        crossAccount: { centralAccount: CENTRAL.account, centralRegion: CENTRAL.region },
        services: [
          { ...raw.services[0], ...WORKLOAD },
          { name: 'payments', severity: 'SEV1', alarms: [{ name: 'payments-5xx-rate' }] },
        ],
      }),
      'test config',
    );
  };

  it('opens the incident for an alarm from the service’s account and region, with the member role to reach it', async () => {
    const ctx = await setup(crossAccount());
    const summary = await ctx.admit(alarmEventFrom(WORKLOAD, 'checkout-5xx-rate'));
    expect(summary).toMatchObject({ started: [expect.stringMatching(/^checkout-5xx-rate-/)], unknownAlarms: [] });
    expect(ctx.started()[0]!.input).toMatchObject({
      service: { name: 'checkout' },
      signal: { account: WORKLOAD.account, region: WORKLOAD.region },
      settings: { access: { ...WORKLOAD, roleArn: 'arn:aws:iam::222222222222:role/Tourniquet-prod-member' } },
    });
    expect(ctx.published()).toEqual([]);
  });

  it.each([
    ['another account', { account: '333333333333', region: WORKLOAD.region }],
    ['another region', { account: WORKLOAD.account, region: 'us-west-2' }],
    ['the central account', CENTRAL],
  ])('pages an alarm of the same name from %s as unconfigured, naming where the service is, and opens nothing', async (_what, from) => {
    const ctx = await setup(crossAccount());
    const summary = await ctx.admit(alarmEventFrom(from, 'checkout-5xx-rate'));
    expect(summary).toMatchObject({ started: [], unknownAlarms: ['checkout-5xx-rate'] });
    expect(await ctx.store.listIncidents()).toEqual([]);
    const [page] = ctx.published();
    expect(page).toMatchObject({ TopicArn: ESCALATION_TOPIC, Subject: '[Tourniquet] Unconfigured alarm: checkout-5xx-rate' });
    expect(page!.Message).toContain(`entered ALARM at ${at(0)} in account ${from.account}, region ${from.region}`);
    expect(page!.Message).toContain('but service checkout that has an alarm of that name is in account 222222222222, region eu-west-1, so no incident was opened');
  });

  it('a symptom alarm from the wrong place joins nothing and is paged', async () => {
    const ctx = await setup(crossAccount());
    await ctx.admit(alarmEventFrom(WORKLOAD, 'checkout-5xx-rate'));
    const summary = await ctx.admit(alarmEventFrom({ ...WORKLOAD, region: 'us-west-2' }, 'checkout-cpu-high', 'ALARM', 1));
    expect(summary).toMatchObject({ joined: [], unknownAlarms: ['checkout-cpu-high'] });
    expect(ctx.published().map((p) => p.Subject)).toEqual(['[Tourniquet] Unconfigured alarm: checkout-cpu-high']);
  });

  it('ignores an OK from the wrong place, and records the OK from the service’s own', async () => {
    const ctx = await setup(crossAccount());
    await ctx.admit(alarmEventFrom(WORKLOAD, 'checkout-5xx-rate'));
    const [incident] = await ctx.store.listIncidents();
    const stray = await ctx.admit(alarmEventFrom({ account: '333333333333', region: WORKLOAD.region }, 'checkout-5xx-rate', 'OK', 2));
    expect(stray).toMatchObject({ joined: [], ignored: ["checkout-5xx-rate OK (not from checkout's account and region)"] });
    expect(ctx.published()).toEqual([]);
    const own = await ctx.admit(alarmEventFrom(WORKLOAD, 'checkout-5xx-rate', 'OK', 3));
    expect(own.joined).toEqual([`${incident!.incidentId}: checkout-5xx-rate OK`]);
  });

  it('a service that names no account or region is the central account’s and region’s', async () => {
    const ctx = await setup(crossAccount());
    expect((await ctx.admit(alarmEventFrom(CENTRAL, 'payments-5xx-rate'))).started).toHaveLength(1);
    expect(ctx.started()[0]!.input.settings.access).toBeUndefined();
    expect((await ctx.admit(alarmEventFrom(WORKLOAD, 'payments-5xx-rate', 'ALARM', 1))).unknownAlarms).toEqual(['payments-5xx-rate']);
  });

  it('without crossAccount, a service that names no region is the function’s region’s; any account', async () => {
    const ctx = await setup(twoServices(), { region: 'us-east-1' });
    expect((await ctx.admit(alarmEventFrom({ account: '444444444444', region: 'us-east-1' }, 'payments-5xx-rate'))).started).toHaveLength(1);
    const summary = await ctx.admit(alarmEventFrom({ account: '444444444444', region: 'eu-west-1' }, 'checkout-5xx-rate', 'ALARM', 1));
    expect(summary.unknownAlarms).toEqual(['checkout-5xx-rate']);
    expect(ctx.published()[0]!.Message).toContain('is in any account, region us-east-1');
  });
});

describe('admitSignals: metrics', () => {
  it('IncidentsOpened once per incident: not for a redelivery, a join, a re-open, or another alarm of the episode', async () => {
    const ctx = await setup();
    const incidentId = await openCheckout(ctx);
    await ctx.admit(alarmEvent('checkout-5xx-rate'));
    await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 1));
    await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 1));
    expect(await ctx.store.transition(incidentId, 'MITIGATING', { from: ['OPEN'] })).toBe(true);
    expect(await ctx.store.transition(incidentId, 'WATCHING', { from: ['MITIGATING'], patch: { mitigatedAt: at(5), watchUntil: at(10) }, leaseUntil: at(40) })).toBe(true);
    ctx.setMinute(8);
    expect((await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 8))).reopened).toEqual([incidentId]);
    await ctx.admit(alarmEvent('payments-5xx-rate', 'ALARM', 9));

    expect(ctx.metrics.records.map((m) => [m.name, m.value, m.dimensions])).toEqual([
      ['IncidentsOpened', 1, { service: 'checkout', severity: 'SEV2' }],
      ['IncidentsOpened', 1, { service: 'payments', severity: 'SEV1' }],
    ]);
  });

  it('Escalations once when an alarm finds the workflow stopped (lease expired), not for the re-page of the escalated incident', async () => {
    const ctx = await setup();
    await openCheckout(ctx);
    ctx.setMinute(36);
    await ctx.admit(alarmEvent('checkout-p99-latency', 'ALARM', 36));
    ctx.setMinute(40);
    expect((await ctx.admit(alarmEvent('checkout-5xx-rate', 'ALARM', 40))).paged).toHaveLength(1);
    expect(ctx.metrics.find('Escalations').map((m) => [m.value, m.dimensions])).toEqual([[1, { service: 'checkout', severity: 'SEV2' }]]);
  });
});
