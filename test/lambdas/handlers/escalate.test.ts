import { describe, expect, it } from '@jest/globals';

import { NO_METRICS } from '../../../lambdas/adapters/memory-metrics.js';
import { createEscalateHandler } from '../../../lambdas/handlers/escalate.js';
import { workflowState } from '../../fixtures/workflow.js';
import { ESCALATION_TOPIC, fakePublisher, STATUS_TOPIC } from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { storeWithIncident } from '../../support/incidents.js';

/** The handler picks the escalation by what it is handed (the escalations themselves: test/lambdas/operations/escalate.test.ts). */

const db = useDynamoDbLocal();
const NOW = '2026-11-23T03:20:00.000Z';
const state = workflowState({ error: { Error: 'States.TaskFailed', Cause: 'boom' } });
const ID = state.incident.incidentId;

async function setup() {
  const { store, clock } = await storeWithIncident(db, state, NOW);
  const publisher = fakePublisher();
  return { store, publisher, handler: createEscalateHandler({ store, publisher, statusTopicArn: STATUS_TOPIC, escalationTopicArn: ESCALATION_TOPIC, metrics: NO_METRICS, clock }) };
}

describe('escalate handler', () => {
  it('a workflow state: records ESCALATED and pages', async () => {
    const { handler, store, publisher } = await setup();
    expect(await handler(state)).toMatchObject({ paged: true, messageId: 'msg-1' });
    expect((await store.getIncident(ID)).status).toBe('ESCALATED');
    expect(publisher.published.map((p) => p.topicArn)).toEqual([ESCALATION_TOPIC, STATUS_TOPIC]);
  });

  it('the failure net’s execution status-change event: records, and leaves the page to the rule', async () => {
    const { handler, store, publisher } = await setup();
    const { execution: _execution, incident: _i, error: _e, ...input } = state;
    const event = {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: 'arn:x', name: state.execution.name, status: 'FAILED', input: JSON.stringify(input) },
    };
    expect(await handler(event)).toMatchObject({ paged: false, recorded: true });
    expect((await store.getIncident(ID)).status).toBe('ESCALATED');
    expect(publisher.published).toEqual([]);
  });

  it('anything else: pages it raw, naming the first problems, rather than throwing', async () => {
    const { handler, store, publisher } = await setup();
    const result = await handler({ signal: { alarmName: 'checkout-5xx-rate' }, service: { name: 'checkout' }, error: { Error: 'Boom' } });
    expect(result).toMatchObject({ paged: true, recorded: false, reason: expect.stringMatching(/^The workflow failed and its state could not be read \(.+\)\.$/) });
    expect(publisher.published).toHaveLength(1);
    expect((await store.getIncident(ID)).status).toBe('OPEN');
  });
});
