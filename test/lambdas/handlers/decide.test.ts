import { describe, expect, it } from '@jest/globals';

import { leaseUntil } from '../../../lambdas/core/lifecycle.js';
import { createDecideHandler } from '../../../lambdas/handlers/decide.js';
import { LearningRecords } from '../../../lambdas/store/learning.js';
import { mixedChangeTriage, workflowState } from '../../fixtures/workflow.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { reopenForContinuation, storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const NOW = '2026-11-23T03:11:00.000Z';
const t = mixedChangeTriage();
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
      `The alarm fired again after an earlier mitigation (round 1). Already tried and left out: feature-flag-off on ${first.candidates[0]!.target}. Next: ecs-rollback on ${first.candidates[1]!.target}. Runbook: https://runbooks.example.com/checkout/5xx-rate`,
    );
    expect(first.rationale).toMatch(/ Runbook: https:\/\/runbooks\.example\.com\/checkout\/5xx-rate$/);

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

  it("names a candidate's track record from an earlier incident of the service, in the plan and the candidate's rationale (order unchanged)", async () => {
    const { store, clock, advance, tableName } = await storeWithIncident(db, state, NOW);
    const records = new LearningRecords({ tableName, client: db.client });
    // The first incident: no record yet; the kill switch is applied and restores service 4 minutes after the incident opened.
    const first = await createDecideHandler({ store, records, clock })(state);
    expect(first.rationale).not.toContain('Track record');
    await store.recordActionStart(ID, { cursor: 0, type: 'feature-flag-off', target: first.candidates[0]!.target });
    await store.completeAction(ID, 0, 'feature-flag-off', { status: 'applied' }, undefined, { service: 'checkout' });
    await store.setActionEffect(ID, 0, 'feature-flag-off', 'restored', { service: 'checkout', mttmSeconds: 240 });
    expect(await store.transition(ID, 'RESOLVED', { from: ['OPEN'], reopenUntil: NOW })).toBe(true);

    // The second incident of checkout, a day later.
    advance(24 * 3600);
    const openedAt = new Date(clock()).toISOString();
    const second = workflowState({ triage: t, incidentId: 'inc-2', incident: { ...state.incident, incidentId: 'inc-2', openedAt } });
    await store.openIncident({
      incidentId: 'inc-2',
      service: 'checkout',
      alarmName: second.signal.alarmName,
      severity: 'SEV2',
      signal: second.signal,
      execution: second.execution,
      openedAt,
      leaseUntil: leaseUntil(openedAt),
      firstEvent: { at: openedAt, kind: 'incident-opened', message: 'opened' },
    });
    const plan = await createDecideHandler({ store, records, clock })(second);
    expect(plan.candidates.map((c) => c.type)).toEqual(first.candidates.map((c) => c.type));
    expect(plan.candidates[0]!.rationale).toBe(`${first.candidates[0]!.rationale} Track record: kill switch: restored 1 of 1 time for checkout (median MTTM 4 min).`);
    expect(plan.candidates[1]!.rationale).toBe(first.candidates[1]!.rationale);
    expect(plan.rationale).toContain('Track record (informs, does not reorder): kill switch: restored 1 of 1 time for checkout (median MTTM 4 min).');
    expect((await store.listTimeline('inc-2')).at(-1)!.message).toContain('kill switch: restored 1 of 1 time for checkout');
  });

  it('decides without the track record when it cannot be read', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    const records = { forService: async () => Promise.reject(new Error('AccessDeniedException')) };
    const plan = await createDecideHandler({ store, records, clock })(state);
    expect(plan.candidates.map((c) => c.type)).toEqual(['feature-flag-off', 'ecs-rollback']);
    expect(plan.rationale).not.toContain('Track record');
  });
});
