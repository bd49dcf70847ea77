import { describe, expect, it } from '@jest/globals';

import { leaseUntil } from '../../../lambdas/core/lifecycle.js';
import { createOpenIncidentHandler } from '../../../lambdas/handlers/open-incident.js';
import { workflowState } from '../../fixtures/workflow.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { reopenForContinuation, storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const NOW = '2026-11-23T03:10:07.000Z';
const state = workflowState();
const input = (overrides: Partial<typeof state> = {}) => {
  const { incident: _incident, ...rest } = { ...state, ...overrides };
  return rest;
};
const ID = state.incident.incidentId;

describe('open-incident (Admission)', () => {
  it('takes up a new incident for its execution and renews the lease', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    expect(await createOpenIncidentHandler({ store, clock })(input())).toEqual({
      incidentId: ID,
      severity: 'SEV2',
      openedAt: state.incident.openedAt,
      round: 0,
      mode: 'new',
    });
    expect((await store.getEpisode('checkout'))?.leaseUntil).toBe(leaseUntil(NOW));
  });

  it('takes up a re-opened incident for the continuation that owns its round', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.transition(ID, 'MITIGATING');
    await store.transition(ID, 'WATCHING');
    await reopenForContinuation(store, state, 'continuation-1', NOW);
    const continuation = input({ execution: { ...state.execution, name: 'continuation-1' } });
    expect(await createOpenIncidentHandler({ store, clock })(continuation)).toMatchObject({ round: 1, mode: 'reopened' });
  });

  it('stops an execution that no longer owns the incident: a continuation has it, or it is not OPEN', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW);
    await store.transition(ID, 'MITIGATING');
    await store.transition(ID, 'WATCHING');
    await reopenForContinuation(store, state, 'continuation-1', NOW);
    const stale = await createOpenIncidentHandler({ store, clock })(input());
    expect(stale).toMatchObject({
      mode: 'superseded',
      round: 1,
      reason: `Incident ${ID} is OPEN and execution continuation-1 owns round 1; this execution (${state.execution.name}) stops without acting.`,
    });

    const { store: other } = await storeWithIncident(db, state, NOW);
    await other.transition(ID, 'ESCALATED');
    expect(await createOpenIncidentHandler({ store: other, clock })(input())).toMatchObject({ mode: 'superseded', reason: expect.stringContaining('is ESCALATED') });
    // A superseded execution renews nothing.
    expect((await other.getEpisode('checkout'))?.leaseUntil).toBe(leaseUntil(state.incident.openedAt));
  });

  it('hands an incident opened past the cap to escalation, with the reason', async () => {
    const { store, clock } = await storeWithIncident(db, state, NOW, { cappedReason: '10 incidents are already open' });
    expect(await createOpenIncidentHandler({ store, clock })(input())).toMatchObject({ mode: 'capped', round: 0, reason: '10 incidents are already open' });
  });
});
