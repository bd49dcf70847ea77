import { describe, expect, it } from '@jest/globals';
import { createEscalateHandler } from '../../../lambdas/handlers/escalate.js';
import { workflowState } from '../../fixtures/workflow.js';
import { ESCALATION_TOPIC, fakePublisher, STATUS_TOPIC } from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { reopenForContinuation, storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const NOW = '2026-11-23T03:20:00.000Z';
const state = workflowState({ error: { Error: 'States.TaskFailed', Cause: 'boom' } });
const ID = state.incident.incidentId;

describe('escalate', () => {
  it('pages the escalation topic, tells the status topic, and hands the incident to humans: ESCALATED, paged once, lock released', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.transition(ID, 'MITIGATING');
    await store.acquireMutationLock('checkout', ID, 600);
    const publisher = fakePublisher();

    const result = await createEscalateHandler({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, clock })(state);
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
    expect(await createEscalateHandler({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, clock })(state)).toMatchObject({ paged: true });
    expect(published).toEqual([ESCALATION_TOPIC]);
    expect((await store.getIncident(ID)).status).toBe('ESCALATED');
  });

  it('pages nobody for an execution whose incident moved on: a continuation owns it, or a human resolved it', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.transition(ID, 'MITIGATING');
    await store.transition(ID, 'WATCHING');
    await reopenForContinuation(store, state, 'continuation-1', NOW);
    const publisher = fakePublisher();
    const handler = createEscalateHandler({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, clock });

    expect(await handler(state)).toEqual({ paged: false, reason: 'incident is OPEN in round 1; nothing to escalate from this execution' });
    expect((await store.getIncident(ID)).status).toBe('OPEN');

    const other = await storeWithIncident(db, state, NOW);
    await other.store.transition(ID, 'ESCALATED');
    await other.store.transition(ID, 'RESOLVED');
    expect(await createEscalateHandler({ store: other.store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, clock })(state)).toMatchObject({ paged: false });
    expect(publisher.published).toEqual([]);
  });

  it('escalates an incident opened past the cap with the reason the starter recorded', async () => {
    const reason = '10 incidents are already open (lifecycle.maxOpenIncidents is 10): Tourniquet records and pages this one and does not act on it.';
    const capped = workflowState({ incident: { ...state.incident, mode: 'capped', reason } });
    const { store, clock } = await storeWithIncident(db, capped, NOW, { cappedReason: reason });
    const publisher = fakePublisher();
    await createEscalateHandler({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, clock })(capped);
    expect(publisher.published[0]!.message).toContain(reason);
    expect((await store.getIncident(ID)).status).toBe('ESCALATED');
  });
});
