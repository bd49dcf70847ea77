import { describe, expect, it } from '@jest/globals';

import { createCloseIncidentHandler } from '../../../lambdas/handlers/close-incident.js';
import { resolveIncident } from '../../../lambdas/operations/resolve.js';
import { LearningRecords } from '../../../lambdas/store/learning.js';
import { workflowState } from '../../fixtures/workflow.js';
import { fakePublisher, STATUS_TOPIC } from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const state = workflowState();
const ID = state.incident.incidentId;
const OPENED = Date.parse(state.incident.openedAt);
const iso = (minutes: number) => new Date(OPENED + minutes * 60_000).toISOString();

describe('a human resolves an escalated incident', () => {
  it('brings the summary and metrics the closing step wrote up to date, and sends the Resolved update with the postmortem naming who and why', async () => {
    const { store, clock, advance, tableName } = await storeWithIncident(db, state, iso(0));
    await store.updateIncident(ID, { impactStartedAt: iso(-3), impactStartSource: 'metric-data' });
    await store.recordActionStart(ID, { cursor: 0, type: 'ecs-rollback', target: 'ECS service shop-prod/checkout' });
    await store.completeAction(ID, 0, 'ecs-rollback', { status: 'applied' }, undefined, { service: 'checkout' });
    await store.setActionEffect(ID, 0, 'ecs-rollback', 'no-effect', { service: 'checkout' });
    await store.transition(ID, 'ESCALATED', { patch: { escalatedAt: iso(10), escalationReason: 'No automatic candidate left.' } });
    advance(10 * 60);
    // The automation ends: its summary says a human has the incident.
    await createCloseIncidentHandler({ store, clock })(state);
    expect((await store.getIncident(ID)).summary).toBe(
      'Not restored by automation (tried ecs-rollback on ECS service shop-prod/checkout); a human has the incident: No automatic candidate left.',
    );

    advance(80 * 60);
    const publisher = fakePublisher();
    await resolveIncident({ store, clock, publisher, statusTopicArn: STATUS_TOPIC }, ID, 'alice', 'the payment provider recovered');

    const incident = await store.getIncident(ID);
    expect(incident.summary).toBe(
      'Resolved by alice 1 h 30 min after it was opened: the payment provider recovered. Automation: Not restored by automation (tried ecs-rollback on ECS service shop-prod/checkout); a human has the incident: No automatic candidate left.',
    );
    expect(incident.metrics).toEqual({ mttdSeconds: 174, mttmSeconds: null, mttrSeconds: null, mitigationTargetMinutes: 120, withinTarget: null, timeToResolveSeconds: 5400 });

    const [update, draft] = publisher.published[0]!.message.split('\n\n---\n\n');
    expect(update).toContain('Resolved by alice: the payment provider recovered.');
    expect(draft).toContain('## Resolution\nResolved at 2026-11-23 04:40 UTC by alice: the payment provider recovered (1 h 30 min after the incident was opened).');
    expect(draft).toContain('MTTD (impact started → alarm): 3 min (174 s), measured from the first breaching datapoint (GetMetricData over the evaluation range)');
    expect(draft).toContain('| 1 | ecs-rollback on ECS service shop-prod/checkout |');
    expect(draft).toContain('| no measurable effect | still in place |');
    expect(draft).toContain('    Resolved by alice :milestone, 2026-11-23 04:40:06, 0s');
    // The learning record counted the rollback once as tried, once as ineffective, once as escalated.
    expect(await new LearningRecords({ tableName, client: db.client }).forService('checkout')).toMatchObject([{ type: 'ecs-rollback', tried: 1, ineffective: 1, escalated: 1 }]);
  });
});
