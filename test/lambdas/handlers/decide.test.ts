import { describe, expect, it } from '@jest/globals';

import { createDecideHandler } from '../../../lambdas/handlers/decide.js';
import { triage, workflowState } from '../../fixtures/workflow.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { reopenForContinuation, storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const NOW = '2026-11-23T03:11:00.000Z';
const t = triage({
  flagChanges: [{ flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 7, configurationVersion: '2', changedAt: '2026-11-23T03:03:00.000Z' }],
  ecsDeployments: [
    {
      cluster: 'shop-prod',
      service: 'checkout',
      deploymentId: 'ecs-svc/1',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:42',
      status: 'PRIMARY',
      createdAt: '2026-11-23T03:05:00.000Z',
    },
  ],
});
const state = workflowState({ triage: t });
const ID = state.incident.incidentId;

describe('decide', () => {
  it('records the plan on the timeline and on the incident (kept for continuations)', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const plan = await createDecideHandler({ store, clock })(state);
    expect(plan.candidates.map((c) => c.type)).toEqual(['feature-flag-off', 'ecs-rollback']);
    expect((await store.getIncident(ID)).plan).toEqual(plan);
    expect((await store.listTimeline(ID)).at(-1)).toMatchObject({ kind: 'decision', message: `Decision (${plan.scenario}): ${plan.rationale}` });
  });

  it('after a re-open, leaves out what an earlier round already tried (dry runs do not count)', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const first = await createDecideHandler({ store, clock })(state);
    await store.recordActionStart(ID, { cursor: 0, type: 'feature-flag-off', target: first.candidates[0]!.target });
    await store.completeAction(ID, 0, 'feature-flag-off', { status: 'applied' });
    await store.transition(ID, 'MITIGATING');
    await store.transition(ID, 'WATCHING');
    await reopenForContinuation(store, state, 'continuation-1', NOW);

    const round1 = workflowState({ triage: t, incident: { ...state.incident, round: 1, mode: 'reopened' }, execution: { ...state.execution, name: 'continuation-1' } });
    const plan = await createDecideHandler({ store, clock })(round1);
    expect(plan.candidates.map((c) => c.type)).toEqual(['ecs-rollback']);
    expect(plan.hasCandidate).toBe(true);
    expect(plan.rationale).toBe(
      `The alarm fired again after an earlier mitigation (round 1). Already tried and left out: feature-flag-off on ${first.candidates[0]!.target}. Next: ecs-rollback on ${first.candidates[1]!.target}.`,
    );

    await store.recordActionStart(ID, { cursor: 100, type: 'ecs-rollback', target: first.candidates[1]!.target });
    await store.completeAction(ID, 100, 'ecs-rollback', { status: 'dry-run' });
    expect((await createDecideHandler({ store, clock })(round1)).candidates.map((c) => c.type)).toEqual(['ecs-rollback']);
  });

  it('with every candidate tried, has no candidate left (the workflow escalates)', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const first = await createDecideHandler({ store, clock })(state);
    for (const [cursor, c] of first.candidates.entries()) {
      await store.recordActionStart(ID, { cursor, type: c.type, target: c.target });
      await store.completeAction(ID, cursor, c.type, { status: 'applied' });
    }
    const round1 = workflowState({ triage: t, incident: { ...state.incident, round: 1, mode: 'reopened' } });
    const plan = await createDecideHandler({ store, clock })(round1);
    expect(plan).toMatchObject({ candidates: [], hasCandidate: false });
    expect(plan.rationale).toContain('was already tried: feature-flag-off on');
    expect(plan.rationale).toContain('Nothing new to try automatically.');
  });
});
