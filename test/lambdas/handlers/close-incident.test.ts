import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';

import { createCloseIncidentHandler } from '../../../lambdas/handlers/close-incident.js';
import { workflowState } from '../../fixtures/workflow.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const state = workflowState();
const ID = state.incident.incidentId;
const OPENED = Date.parse(state.incident.openedAt);
const iso = (seconds: number) => new Date(OPENED + seconds * 1000).toISOString();

/** The incident with a ledger: an ECS rollback that had no effect (reverted), then a failover that restored service. */
async function withLedger() {
  const ctx = await storeWithIncident(db, state, iso(0));
  const { store } = ctx;
  await store.updateIncident(ID, { impactStartedAt: iso(-186) });
  await store.recordActionStart(ID, { cursor: 0, type: 'ecs-rollback', target: 'ECS service shop-prod/checkout' });
  await store.completeAction(ID, 0, 'ecs-rollback', { status: 'applied' });
  await store.setActionEffect(ID, 0, 'ecs-rollback', 'no-effect');
  await store.markActionUndone(ID, 0, 'ecs-rollback', 'restored checkout:42');
  await store.recordActionStart(ID, { cursor: 1, type: 'route53-failover', target: 'checkout.shop.example.com' });
  await store.completeAction(ID, 1, 'route53-failover', { status: 'applied' });
  await store.acquireMutationLock('checkout', ID, 600);
  return ctx;
}

describe('close-incident', () => {
  it('writes the metrics and a one-paragraph summary of a resolved incident, a closing entry, and releases the lock', async () => {
    const { store, clock, advance } = await withLedger();
    await store.setActionEffect(ID, 1, 'route53-failover', 'restored');
    await store.transition(ID, 'MITIGATING');
    await store.transition(ID, 'WATCHING', { patch: { mitigatedAt: iso(600) } });
    await store.transition(ID, 'RESOLVED', { patch: { resolvedAt: iso(900) } });
    advance(900);

    const closed = await createCloseIncidentHandler({ store, clock })(state);
    const summary =
      'Resolved by automation: route53-failover on checkout.shop.example.com restored service (MTTM 10 min). No measurable effect: ecs-rollback on ECS service shop-prod/checkout (reverted).';
    expect(closed).toEqual({ outcome: 'resolved', summary });
    const incident = await store.getIncident(ID);
    expect(incident).toMatchObject({
      status: 'RESOLVED',
      summary,
      metrics: { mttdSeconds: 180, mttmSeconds: 600, mttrSeconds: 786, mitigationTargetMinutes: 120, withinTarget: 1 },
    });
    expect((await store.listTimeline(ID)).at(-1)).toEqual({
      at: iso(900),
      kind: 'closed',
      message: `Automation finished: ${summary}`,
      data: { mttdSeconds: 180, mttmSeconds: 600, mttrSeconds: 786, mitigationTargetMinutes: 120, withinTarget: true },
    });
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(true);
  });

  it('never copies the postmortem into the incident item', async () => {
    const { store, clock } = await withLedger();
    await store.transition(ID, 'ESCALATED');
    await createCloseIncidentHandler({ store, clock })(state);
    const raw = await db.client.send(new GetCommand({ TableName: (store as unknown as { tableName: string }).tableName, Key: { pk: `INCIDENT#${ID}`, sk: 'META' } }));
    expect(Object.keys(raw.Item ?? {})).not.toContain('postmortem');
    expect(JSON.stringify(raw.Item)).not.toContain('## Timeline');
  });

  it('summarizes an escalated incident: what was tried, and why a human has it', async () => {
    const { store, clock } = await withLedger();
    await store.transition(ID, 'ESCALATED', { patch: { escalationReason: 'No automatic candidate left.' } });
    const closed = await createCloseIncidentHandler({ store, clock })(state);
    expect(closed).toEqual({
      outcome: 'escalated',
      summary:
        'Not restored by automation (tried ecs-rollback on ECS service shop-prod/checkout, then route53-failover on checkout.shop.example.com); a human has the incident: No automatic candidate left.',
    });
    expect((await store.getIncident(ID)).metrics).toMatchObject({ mttmSeconds: null, withinTarget: null });
  });

  it('an acknowledged incident counts as escalated; one still open is said to be so', async () => {
    const { store, clock } = await storeWithIncident(db, state, iso(0));
    expect(await createCloseIncidentHandler({ store, clock })(state)).toEqual({ outcome: 'open', summary: 'The execution ended with the incident OPEN.' });
    await store.transition(ID, 'ESCALATED');
    await store.transition(ID, 'ACKNOWLEDGED');
    expect((await createCloseIncidentHandler({ store, clock })(state)).outcome).toBe('escalated');
  });

  it("closes from the state Escalate hands on after OpenIncident failed (no $.incident), by the starter's incident id", async () => {
    const { store, clock } = await storeWithIncident(db, state, iso(0));
    await store.acquireMutationLock('checkout', ID, 600);
    await store.transition(ID, 'ESCALATED', { patch: { escalationReason: 'The automation hit an error.' } });
    const { incident: _incident, ...withoutIncident } = state;
    const closed = await createCloseIncidentHandler({ store, clock })({ ...withoutIncident, error: { Error: 'StoreError', Cause: 'throttled' } });
    expect(closed).toEqual({ outcome: 'escalated', summary: 'Not restored by automation; a human has the incident: The automation hit an error.' });
    expect((await store.listTimeline(ID)).at(-1)).toMatchObject({ kind: 'closed' });
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(true);
  });
});
