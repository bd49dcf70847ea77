import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';

import { MTTM_SAMPLES_KEPT } from '../../../lambdas/core/learning.js';
import type { AlarmSignal } from '../../../lambdas/core/signal.js';
import { IncidentStore, type OpenIncidentInput } from '../../../lambdas/store/incident-store.js';
import { statsKey } from '../../../lambdas/store/keys.js';
import { LearningRecords } from '../../../lambdas/store/learning.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();
const T0 = Date.parse('2026-11-02T10:00:00.000Z');

async function newStores() {
  let now = T0;
  const tableName = await db.newTable();
  const clock = () => new Date(now);
  return {
    tableName,
    store: new IncidentStore({ tableName, client: db.client, clock }),
    records: new LearningRecords({ tableName, client: db.client }),
    advance: (seconds: number) => void (now += seconds * 1000),
  };
}

const signal: AlarmSignal = {
  source: 'eventbridge',
  alarmName: 'checkout-5xx',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx',
  account: '123456789012',
  region: 'us-east-1',
  kind: 'metric',
  state: 'ALARM',
  previousState: 'OK',
  stateChangeTime: '2026-11-02T09:59:30.000Z',
  reason: 'Threshold Crossed',
  metrics: [],
};

const open = (incidentId: string, service = 'checkout'): OpenIncidentInput => ({
  incidentId,
  service,
  alarmName: 'checkout-5xx',
  severity: 'SEV2',
  signal,
  execution: { id: `arn:aws:states:us-east-1:123456789012:execution:tourniquet:${incidentId}`, name: incidentId, startTime: '2026-11-02T10:00:00.000Z' },
  openedAt: '2026-11-02T10:00:00.000Z',
  leaseUntil: '2026-11-02T10:30:00.000Z',
  firstEvent: { at: '2026-11-02T10:00:00.000Z', kind: 'incident-opened', message: 'opened' },
});

/** An incident with one applied action, counted as tried; resolved at once so the service's next incident can open. */
async function applied(store: IncidentStore, incidentId: string, type: 'feature-flag-off' | 'ecs-rollback', service = 'checkout') {
  expect(await store.openIncident(open(incidentId, service))).toEqual({ opened: true });
  await store.recordActionStart(incidentId, { cursor: 0, type, target: 't' });
  const completed = await store.completeAction(incidentId, 0, type, { status: 'applied' }, undefined, { service });
  expect(await store.transition(incidentId, 'RESOLVED', { from: ['OPEN'], reopenUntil: '2026-11-02T10:00:00.000Z' })).toBe(true);
  return completed;
}

describe('learning records, written with the action outcome they count', () => {
  it('counts tried, effective and the MTTM sample exactly once, however often the outcome is written again', async () => {
    const { store, records } = await newStores();
    const completed = await applied(store, 'inc-1', 'feature-flag-off');
    expect(completed).toMatchObject({ status: 'applied', completedAt: '2026-11-02T10:00:00.000Z' });
    // A retried completion and a retried verdict change nothing, and count nothing.
    await expect(store.completeAction('inc-1', 0, 'feature-flag-off', { status: 'applied' }, undefined, { service: 'checkout' })).resolves.toEqual(completed);
    await store.setActionEffect('inc-1', 0, 'feature-flag-off', 'restored', { service: 'checkout', mttmSeconds: 240 });
    await store.setActionEffect('inc-1', 0, 'feature-flag-off', 'restored', { service: 'checkout', mttmSeconds: 240 });
    await store.setActionEffect('inc-1', 0, 'feature-flag-off', 'no-effect', { service: 'checkout' });

    expect(await records.forService('checkout')).toEqual([
      {
        service: 'checkout',
        type: 'feature-flag-off',
        tried: 1,
        effective: 1,
        ineffective: 0,
        reverted: 0,
        escalated: 0,
        mttmSamples: [240],
        updatedAt: '2026-11-02T10:00:00.000Z',
      },
    ]);
    expect((await store.listActions('inc-1'))[0]!.effect).toBe('restored');
  });

  it('counts nothing for an action that does not exist, and nothing without a learning reference', async () => {
    const { store, records } = await newStores();
    await store.openIncident(open('inc-1'));
    await expect(store.completeAction('inc-1', 3, 'ecs-rollback', { status: 'applied' }, undefined, { service: 'checkout' })).rejects.toMatchObject({
      name: 'ActionNotFoundError',
    });
    await store.setActionEffect('inc-1', 3, 'ecs-rollback', 'no-effect', { service: 'checkout' });
    await store.recordActionStart('inc-1', { cursor: 0, type: 'ecs-rollback', target: 't' });
    await store.completeAction('inc-1', 0, 'ecs-rollback', { status: 'applied' });
    // Dry runs and failures are not tries.
    await store.recordActionStart('inc-1', { cursor: 1, type: 'feature-flag-off', target: 't' });
    await store.completeAction('inc-1', 1, 'feature-flag-off', { status: 'dry-run' }, undefined, { service: 'checkout' });
    expect(await records.all()).toEqual([]);
  });

  it('counts a revert once, and not the undo of a change that restored service (the normal end of an incident)', async () => {
    const { store, records } = await newStores();
    await applied(store, 'inc-1', 'ecs-rollback');
    await store.setActionEffect('inc-1', 0, 'ecs-rollback', 'no-effect', { service: 'checkout' });
    const undone = await store.markActionUndone('inc-1', 0, 'ecs-rollback', 'rolled forward', { service: 'checkout', effect: 'no-effect' });
    expect(undone).toMatchObject({ status: 'undone', undoDetail: 'rolled forward' });
    await expect(store.markActionUndone('inc-1', 0, 'ecs-rollback', 'again', { service: 'checkout', effect: 'no-effect' })).resolves.toEqual(undone);

    await applied(store, 'inc-2', 'ecs-rollback');
    await store.setActionEffect('inc-2', 0, 'ecs-rollback', 'restored', { service: 'checkout', mttmSeconds: 300 });
    await store.markActionUndone('inc-2', 0, 'ecs-rollback', 'fixed forward', { service: 'checkout', effect: 'restored' });

    expect(await records.forService('checkout')).toMatchObject([{ type: 'ecs-rollback', tried: 2, effective: 1, ineffective: 1, reverted: 1, mttmSamples: [300] }]);
  });

  it('counts each action of an escalated incident once, however often the closing step runs', async () => {
    const { store, records } = await newStores();
    await applied(store, 'inc-1', 'ecs-rollback');
    await store.recordActionStart('inc-1', { cursor: 1, type: 'feature-flag-off', target: 't' });
    await store.completeAction('inc-1', 1, 'feature-flag-off', { status: 'failed', detail: 'AccessDenied' });
    expect(await store.recordEscalation('inc-1', 'checkout', await store.listActions('inc-1'))).toBe(1);
    // A second run with a stale list (read before the first marked it) still counts nothing.
    const stale = (await store.listActions('inc-1')).map(({ escalatedAt: _, ...a }) => a);
    expect(await store.recordEscalation('inc-1', 'checkout', stale)).toBe(0);
    expect(await records.forService('checkout')).toMatchObject([{ type: 'ecs-rollback', tried: 1, escalated: 1 }]);
  });

  it('keeps only the newest MTTM samples, and no sample is lost to concurrent verdicts', async () => {
    const { store, records, tableName } = await newStores();
    const n = MTTM_SAMPLES_KEPT + 5;
    for (let i = 0; i < n; i++) await applied(store, `inc-${i}`, 'feature-flag-off');
    for (let i = 0; i < n - 4; i++) await store.setActionEffect(`inc-${i}`, 0, 'feature-flag-off', 'restored', { service: 'checkout', mttmSeconds: 100 + i });
    // The last four verdicts at once: each rewrites the sample list it read a moment before, so three must retry.
    await Promise.all([0, 1, 2, 3].map((k) => store.setActionEffect(`inc-${n - 4 + k}`, 0, 'feature-flag-off', 'restored', { service: 'checkout', mttmSeconds: 500 + k })));

    const [record] = await records.forService('checkout');
    expect(record).toMatchObject({ tried: n, effective: n });
    expect(record!.mttmSamples).toHaveLength(MTTM_SAMPLES_KEPT);
    expect(record!.mttmSamples.slice(0, MTTM_SAMPLES_KEPT - 4)).toEqual(Array.from({ length: MTTM_SAMPLES_KEPT - 4 }, (_, i) => 100 + n - MTTM_SAMPLES_KEPT + i));
    expect([...record!.mttmSamples.slice(-4)].sort()).toEqual([500, 501, 502, 503]);
    const item = (await db.client.send(new GetCommand({ TableName: tableName, Key: statsKey('checkout', 'feature-flag-off') }))).Item!;
    expect(item.samplesRevision).toBe(n);
  });

  it('reads one service by its prefix only (checkout is not checkout-api)', async () => {
    const { store, records } = await newStores();
    await applied(store, 'inc-1', 'feature-flag-off', 'checkout');
    await applied(store, 'inc-2', 'ecs-rollback', 'checkout-api');
    expect((await records.forService('checkout')).map((r) => r.type)).toEqual(['feature-flag-off']);
    expect((await records.all()).map((r) => `${r.service} ${r.type}`)).toEqual(['checkout feature-flag-off', 'checkout-api ecs-rollback']);
  });
});
