import { describe, expect, it } from '@jest/globals';

import { MemoryMetricsSink, NO_METRICS } from '../../../lambdas/adapters/memory-metrics.js';
import {
  type EscalateDeps,
  escalateIncident,
  EscalationStateSchema,
  ExecutionEndedEventSchema,
  pageUnreadable,
  recordEndedExecution,
} from '../../../lambdas/operations/escalate.js';
import { workflowState } from '../../fixtures/workflow.js';
import { ESCALATION_TOPIC, fakePublisher, STATUS_TOPIC } from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { reopenForContinuation, storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const NOW = '2026-11-23T03:20:00.000Z';
const state = workflowState({ error: { Error: 'States.TaskFailed', Cause: 'boom' } });
const ID = state.incident.incidentId;

/** Escalation of a workflow state as the handler hands it over (parsed). */
const escalation = (deps: EscalateDeps) => (input: unknown) => escalateIncident(deps, EscalationStateSchema.parse(input));
const depsFor = (store: EscalateDeps['store'], clock: () => Date, publisher = fakePublisher()) => ({
  publisher,
  deps: { store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock },
});

describe('escalateIncident', () => {
  it('pages the escalation topic, tells the status topic, and hands the incident to humans: ESCALATED, paged once, lock released', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.transition(ID, 'MITIGATING');
    await store.acquireMutationLock('checkout', ID, 600);
    const publisher = fakePublisher();

    const result = await escalation({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock })(state);
    expect(result).toEqual({ paged: true, reason: expect.stringContaining('The automation hit an error: boom. (States.TaskFailed)'), messageId: 'msg-1' });
    expect(publisher.published.map((p) => [p.topicArn, p.subject])).toEqual([
      [ESCALATION_TOPIC, '[SEV2][Escalated] checkout: 5xx rate'],
      [STATUS_TOPIC, '[SEV2][Escalated] checkout: 5xx rate'],
    ]);
    expect(await store.getIncident(ID)).toMatchObject({
      status: 'ESCALATED',
      escalatedAt: NOW,
      escalationReason: result.reason,
      lastPageAt: NOW,
      pages: 1,
      lastNotification: { status: 'Escalated', subject: '[SEV2][Escalated] checkout: 5xx rate', at: NOW },
    });
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'ESCALATED' });
    expect((await store.listTimeline(ID)).at(-1)).toMatchObject({ kind: 'escalation', data: { messageId: 'msg-1', error: { Error: 'States.TaskFailed', Cause: 'boom' } } });
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(true);
  });

  it('pages with what PagerDuty and Opsgenie read (docs/chat.md): the incident id as dedup key in the attributes and the body, severity, summary, runbook', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const publisher = fakePublisher();
    await escalation({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock })(state);
    const page = publisher.published.find((p) => p.topicArn === ESCALATION_TOPIC)!;
    expect(page.attributes).toEqual({ incidentId: ID, status: 'Escalated', severity: 'SEV2' });
    const lines = page.message.split('\n');
    expect(lines[0]).toBe(`Incident Update: ${ID}`);
    expect(lines).toContain('Severity: SEV2');
    expect(lines).toContain('Runbook: https://runbooks.example.com/checkout/5xx-rate');
    expect(lines[lines.indexOf('Summary') + 1]).toContain('The automation hit an error: boom. (States.TaskFailed)');
    expect(page.subject).toBe('[SEV2][Escalated] checkout: 5xx rate');
  });

  it('still hands over when the status copy fails: the page already went out', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const published: string[] = [];
    const publisher = {
      publish: async (request: { topicArn: string }) => {
        if (request.topicArn === STATUS_TOPIC) throw new Error('SNS is down');
        published.push(request.topicArn);
        return { messageId: 'page-1' };
      },
    };
    expect(await escalation({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock })(state)).toMatchObject({
      paged: true,
    });
    expect(published).toEqual([ESCALATION_TOPIC]);
    expect((await store.getIncident(ID)).status).toBe('ESCALATED');
  });

  it('pages nobody for an execution whose incident moved on: a continuation owns it, or a human resolved it', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.transition(ID, 'MITIGATING');
    await store.transition(ID, 'WATCHING');
    await reopenForContinuation(store, state, 'continuation-1', NOW);
    const publisher = fakePublisher();
    const handler = escalation({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock });

    expect(await handler(state)).toEqual({ paged: false, reason: 'incident is OPEN in round 1; nothing to escalate from this execution' });
    expect((await store.getIncident(ID)).status).toBe('OPEN');

    const other = await storeWithIncident(db, state, NOW);
    await other.store.transition(ID, 'ESCALATED');
    await other.store.transition(ID, 'RESOLVED');
    expect(
      await escalation({ store: other.store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock })(state),
    ).toMatchObject({ paged: false });
    expect(publisher.published).toEqual([]);
  });

  it('escalates an incident opened past the cap with the reason the starter recorded', async () => {
    const reason = '10 incidents are already open (lifecycle.maxOpenIncidents is 10): Tourniquet records and pages this one and does not act on it.';
    const capped = workflowState({ incident: { ...state.incident, mode: 'capped', reason } });
    const { store, clock } = await storeWithIncident(db, capped, NOW, { cappedReason: reason });
    const publisher = fakePublisher();
    await escalation({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock })(capped);
    expect(publisher.published[0]!.message).toContain(reason);
    expect((await store.getIncident(ID)).status).toBe('ESCALATED');
  });
});

describe('escalateIncident from whatever it has', () => {
  const { incident: _incident, ...withoutIncident } = workflowState({ error: { Error: 'StoreError', Cause: 'read incident failed: DynamoDB unavailable' } });
  const handlerFor = (store: EscalateDeps['store'], clock: () => Date, publisher = fakePublisher()) => {
    const { deps } = depsFor(store, clock, publisher);
    return { publisher, handler: escalation(deps) };
  };

  it('OpenIncident failed (no $.incident): escalates the recorded incident, releases its lock, and pages with the alarm, service, reason and error', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.acquireMutationLock('checkout', ID, 600);
    const { handler, publisher } = handlerFor(store, clock);
    expect(await handler(withoutIncident)).toMatchObject({ paged: true });
    const page = publisher.published[0]!;
    expect(page.topicArn).toBe(ESCALATION_TOPIC);
    expect(page.subject).toBe('[SEV2][Escalated] checkout: 5xx rate');
    expect(page.message).toContain('read incident failed: DynamoDB unavailable');
    expect(page.message).toContain(`Alarm checkout-5xx-rate (checkout): ${state.signal.reason}`);
    expect(await store.getIncident(ID)).toMatchObject({ status: 'ESCALATED', pages: 1, lastPageAt: NOW });
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'ESCALATED' });
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(true);
  });

  it('records the incident when the starter left none, then escalates it', async () => {
    const { store, clock } = await storeWithIncident(db, workflowState({ incidentId: 'inc-other', incident: { ...state.incident, incidentId: 'inc-other' } }), NOW);
    await store.transition('inc-other', 'ESCALATED');
    await store.transition('inc-other', 'RESOLVED');
    const { handler } = handlerFor(store, clock);
    expect(await handler(withoutIncident)).toMatchObject({ paged: true });
    expect(await store.getIncident(ID)).toMatchObject({ status: 'ESCALATED', alarmName: 'checkout-5xx-rate', pages: 1 });
  });

  it('SNS down: the record is ESCALATED with the lock released before the page fails; a retry pages once, a later call not again', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.acquireMutationLock('checkout', ID, 600);
    const down = {
      publish: async () => {
        throw Object.assign(new Error('SNS Publish failed: InternalError'), { name: 'TransientAwsError' });
      },
    };
    await expect(handlerFor(store, clock, down as never).handler(state)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(await store.getIncident(ID)).toMatchObject({ status: 'ESCALATED', escalatedAt: NOW, pages: 0 });
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(true);
    expect((await store.listTimeline(ID)).at(-1)).toMatchObject({ kind: 'error', message: expect.stringContaining('could not be sent') });

    const { handler, publisher } = handlerFor(store, clock);
    expect(await handler(state)).toMatchObject({ paged: true });
    expect(await handler(state)).toMatchObject({ paged: false });
    expect(publisher.published.filter((p) => p.topicArn === ESCALATION_TOPIC)).toHaveLength(1);
    expect(await store.getIncident(ID)).toMatchObject({ status: 'ESCALATED', pages: 1, lastPageAt: NOW });
  });
});

describe('pageUnreadable', () => {
  it('pages what arrived, with the names it can read, and records nothing', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const { deps, publisher } = depsFor(store, clock);
    const result = await pageUnreadable(deps, { signal: { alarmName: 'checkout-5xx-rate' }, service: { name: 'checkout' }, error: { Error: 'Boom' } }, 'incidentId: Required');
    expect(result).toMatchObject({ paged: true, recorded: false, reason: 'The workflow failed and its state could not be read (incidentId: Required).' });
    expect(publisher.published[0]).toMatchObject({ topicArn: ESCALATION_TOPIC, subject: '[Tourniquet][Escalated] checkout: checkout-5xx-rate' });
    expect(publisher.published[0]!.message).toContain('"Boom"');
  });

  it('names nothing it cannot read', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const { deps, publisher } = depsFor(store, clock);
    await pageUnreadable(deps, 'not even an object', '(root): expected object');
    expect(publisher.published[0]).toMatchObject({ subject: '[Tourniquet][Escalated] unknown service: workflow failed', attributes: { status: 'Escalated' } });
    expect(publisher.published[0]!.message).toContain('Incident: unknown');
  });
});

describe('recordEndedExecution', () => {
  it('failure net: records the failed execution’s incident ESCALATED and frees its lock without paging; leaves a continuation alone', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.acquireMutationLock('checkout', ID, 600);
    const { deps, publisher } = depsFor(store, clock);
    const handler = (event: unknown) => recordEndedExecution(deps, ExecutionEndedEventSchema.parse(event));
    const { execution: _execution, incident: _i, error: _e, ...input } = state;
    const event = (name: string) => ({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: `arn:x:${name}`, name, status: 'FAILED', input: JSON.stringify(input), error: 'Tourniquet.EscalationFailed', cause: 'boom' },
    });
    expect(await handler(event('someone-else'))).toMatchObject({ recorded: false });
    expect((await store.getIncident(ID)).status).toBe('OPEN');
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(false);

    expect(await handler(event(state.execution.name))).toMatchObject({
      paged: false,
      recorded: true,
      reason: expect.stringContaining('ended FAILED (Tourniquet.EscalationFailed: boom)'),
    });
    expect(await store.getIncident(ID)).toMatchObject({ status: 'ESCALATED', escalationReason: expect.stringContaining('the failure net paged') });
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'ESCALATED' });
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(true);
    expect(publisher.published).toEqual([]);
  });

  it('failure net: records nothing when the input cannot be read or names no recorded incident', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const { deps } = depsFor(store, clock);
    const ended = (input: string | null) =>
      ExecutionEndedEventSchema.parse({
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: { executionArn: 'arn:x:e', name: 'e', status: 'TIMED_OUT', input },
      });
    expect(await recordEndedExecution(deps, ended(null))).toEqual({
      paged: false,
      recorded: false,
      reason: 'The workflow e ended TIMED_OUT; the failure net paged the escalation topic.',
    });
    const { execution: _execution, incident: _i, error: _e, ...input } = state;
    const unknown = await recordEndedExecution(deps, ended(JSON.stringify({ ...input, incidentId: 'inc-unknown' })));
    expect(unknown).toMatchObject({ recorded: false, reason: expect.stringContaining('No incident inc-unknown is recorded.') });
    expect((await store.getIncident(ID)).status).toBe('OPEN');
  });
});

describe('metrics', () => {
  const rows = (metrics: MemoryMetricsSink) => metrics.records.map((m) => [m.name, m.value, m.dimensions]);
  const sev2 = { service: 'checkout', severity: 'SEV2' };

  it('Escalations once per move to ESCALATED, with MTTD for an incident never restored; a retry pages nobody and counts nothing', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.updateIncident(ID, { impactStartedAt: '2026-11-23T03:07:00.000Z' });
    const metrics = new MemoryMetricsSink(clock);
    const escalate = escalation({ ...depsFor(store, clock).deps, metrics });
    expect(await escalate(state)).toMatchObject({ paged: true });
    expect(await escalate(state)).toMatchObject({ paged: false });
    // Impact 03:07:00 → alarm 03:10:00.
    expect(rows(metrics)).toEqual([
      ['Escalations', 1, sev2],
      ['MTTD', 180, sev2],
    ]);
  });

  it('no MTTD at the escalation of an incident restored before: verification published it then', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.updateIncident(ID, { impactStartedAt: '2026-11-23T03:07:00.000Z', mitigatedAt: '2026-11-23T03:12:00.000Z' });
    const metrics = new MemoryMetricsSink(clock);
    await escalation({ ...depsFor(store, clock).deps, metrics })(state);
    expect(rows(metrics)).toEqual([['Escalations', 1, sev2]]);
  });

  it('an approval nobody answered (AwaitApproval timed out, the policy escalates): ApprovalsDecided timed-out, once', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const metrics = new MemoryMetricsSink(clock);
    const timedOut = workflowState({
      error: { Error: 'ApprovalTimedOut', Cause: 'Nobody approved or rejected the proposed mitigation within 15 minutes' },
      attempt: { cursor: 0, type: 'ecs-rollback', target: 'ECS service shop-prod/checkout', status: 'needs-approval', detail: 'asked', onTimeout: 'escalate', checkAt: NOW },
    });
    const escalate = escalation({ ...depsFor(store, clock).deps, metrics });
    await escalate(timedOut);
    await escalate(timedOut);
    expect(metrics.find('ApprovalsDecided').map((m) => [m.value, m.dimensions])).toEqual([[1, { service: 'checkout', mitigation: 'ecs-rollback', outcome: 'timed-out' }]]);
    expect(metrics.find('Escalations')).toHaveLength(1);
  });

  it('failure net: Escalations once when it records the failed execution’s incident ESCALATED', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const metrics = new MemoryMetricsSink(clock);
    const { execution: _execution, incident: _i, error: _e, ...input } = state;
    const ended = ExecutionEndedEventSchema.parse({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: 'arn:x:e', name: state.execution.name, status: 'TIMED_OUT', input: JSON.stringify(input) },
    });
    const deps = { ...depsFor(store, clock).deps, metrics };
    expect(await recordEndedExecution(deps, ended)).toMatchObject({ recorded: true });
    expect(await recordEndedExecution(deps, ended)).toMatchObject({ recorded: false });
    expect(rows(metrics)).toEqual([['Escalations', 1, sev2]]);
  });
});
