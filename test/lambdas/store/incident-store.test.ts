import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, jest } from '@jest/globals';

import type { TimelineEvent } from '../../../lambdas/core/model.js';
import type { AlarmSignal } from '../../../lambdas/core/signal.js';
import { incidentPostmortem } from '../../../lambdas/operations/postmortem.js';
import { ActionNotFoundError, IncidentNotFoundError, IncidentStore, type OpenIncidentInput, RecordInvalidError, StoreError } from '../../../lambdas/store/incident-store.js';
import { incidentKey } from '../../../lambdas/store/keys.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { alarmSignal } from '../../support/incidents.js';

const db = useDynamoDbLocal();

const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

/** A store on a fresh table with a hand-driven clock. */
async function newStore() {
  let now = T0;
  const tableName = await db.newTable();
  const store = new IncidentStore({ tableName, client: db.client, clock: () => new Date(now) });
  return {
    store,
    tableName,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
    iso: (offsetSeconds = 0) => new Date(now + offsetSeconds * 1000).toISOString(),
  };
}

const signal = (alarmName = 'checkout-5xx'): AlarmSignal =>
  alarmSignal(alarmName, '2026-11-02T09:59:30.000+00:00', {
    reason: 'Threshold Crossed: 3 out of the last 3 datapoints were greater than the threshold (5.0).',
    metrics: [{ id: 'm1', description: 'AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum 60s', returnData: true }],
  });

const openInput = (incidentId: string, overrides: Partial<OpenIncidentInput> = {}): OpenIncidentInput => {
  const alarmName = overrides.alarmName ?? 'checkout-5xx';
  const openedAt = overrides.openedAt ?? '2026-11-02T10:00:00.000Z';
  return {
    incidentId,
    service: 'checkout',
    alarmName,
    severity: 'SEV2',
    signal: signal(alarmName),
    execution: { id: `arn:aws:states:us-east-1:123456789012:execution:tourniquet:${incidentId}`, name: incidentId, startTime: openedAt },
    openedAt,
    leaseUntil: at(30),
    firstEvent: { at: openedAt, kind: 'incident-opened', message: `Incident ${incidentId} opened` },
    ...overrides,
  };
};

const event = (time: string, message: string, kind: TimelineEvent['kind'] = 'triage'): TimelineEvent => ({ at: time, kind, message });

const joined = (alarm: string, time = at(1)): TimelineEvent => ({ at: time, kind: 'signal', message: `joined: ${alarm} entered ALARM` });

/** Opens inc-1 of checkout and walks it OPEN → MITIGATING → WATCHING. */
async function watching(store: IncidentStore) {
  await store.openIncident(openInput('inc-1'));
  expect(await store.transition('inc-1', 'MITIGATING', { from: ['OPEN'], round: 0, leaseUntil: at(20) })).toBe(true);
  expect(await store.transition('inc-1', 'WATCHING', { from: ['MITIGATING'], round: 0, patch: { mitigatedAt: at(5), watchUntil: at(10) }, leaseUntil: at(40) })).toBe(true);
}

describe('openIncident', () => {
  it('writes the incident, its first timeline event and the service episode pointer', async () => {
    const { store } = await newStore();
    await expect(store.openIncident(openInput('inc-1'))).resolves.toEqual({ opened: true });

    expect(await store.getIncident('inc-1')).toEqual({
      incidentId: 'inc-1',
      service: 'checkout',
      alarmName: 'checkout-5xx',
      alarms: ['checkout-5xx'],
      severity: 'SEV2',
      status: 'OPEN',
      round: 0,
      pages: 0,
      openedAt: '2026-11-02T10:00:00.000Z',
      signal: signal(),
      execution: openInput('inc-1').execution,
      updatedAt: '2026-11-02T10:00:00.000Z',
    });
    expect(await store.listTimeline('inc-1')).toEqual([openInput('inc-1').firstEvent]);
    expect(await store.getEpisode('checkout')).toEqual({
      service: 'checkout',
      incidentId: 'inc-1',
      status: 'OPEN',
      round: 0,
      alarms: ['checkout-5xx'],
      executionName: openInput('inc-1').execution.name,
      openedAt: '2026-11-02T10:00:00.000Z',
      updatedAt: '2026-11-02T10:00:00.000Z',
      leaseUntil: at(30),
    });
    expect(await store.getEpisode('payments')).toBeUndefined();
  });

  it('takes the pointer once per service: a second alarm of the service gets the episode, and nothing is written', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));

    const second = await store.openIncident(openInput('inc-2', { alarmName: 'checkout-latency-p99' }));
    expect(second).toEqual({ opened: false, episode: expect.objectContaining({ service: 'checkout', incidentId: 'inc-1', status: 'OPEN' }) });
    expect(await store.findIncident('inc-2')).toBeUndefined();
    expect(await store.listTimeline('inc-2')).toEqual([]);
    expect(await store.listTimeline('inc-1')).toHaveLength(1);
    expect((await store.getEpisode('checkout'))?.incidentId).toBe('inc-1');
  });

  it('opens incidents of different services independently', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.openIncident(openInput('inc-2', { service: 'payments', alarmName: 'payments-5xx' }))).resolves.toEqual({ opened: true });
    expect((await store.getEpisode('payments'))?.incidentId).toBe('inc-2');
  });

  it('re-opening the same incident id (a retried invocation) succeeds without a second first event', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(5);

    await expect(store.openIncident(openInput('inc-1'))).resolves.toEqual({ opened: true });
    expect(await store.listTimeline('inc-1')).toHaveLength(1);
    expect((await store.getIncident('inc-1')).updatedAt).toBe('2026-11-02T10:00:00.000Z');
  });

  it('lets exactly one of several concurrent opens of one service win; the others get its episode', async () => {
    const { store } = await newStore();
    const ids = ['inc-a', 'inc-b', 'inc-c', 'inc-d', 'inc-e'];
    const results = await Promise.all(ids.map((id, i) => store.openIncident(openInput(id, { alarmName: `checkout-alarm-${i}` }))));

    const winners = ids.filter((_id, i) => results[i]!.opened);
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (!result.opened) expect(result.episode.incidentId).toBe(winners[0]);
    }
    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual(winners);
    expect(await store.countActiveIncidents()).toBe(1);
    expect((await store.getEpisode('checkout'))?.incidentId).toBe(winners[0]);
  });

  it('a RESOLVED pointer blocks a new incident during its flap cooldown, and frees the service after it', async () => {
    const { store, advance, iso } = await newStore();
    await watching(store);
    expect(await store.transition('inc-1', 'RESOLVED', { from: ['WATCHING'], reopenUntil: iso(30 * 60) })).toBe(true);

    advance(29 * 60);
    const blocked = await store.openIncident(openInput('inc-2', { openedAt: iso() }));
    expect(blocked).toEqual({ opened: false, episode: expect.objectContaining({ incidentId: 'inc-1', status: 'RESOLVED', reopenUntil: at(30) }) });
    expect(await store.findIncident('inc-2')).toBeUndefined();
    expect((await store.findCurrentIncident('checkout'))?.incidentId).toBe('inc-1');

    advance(60);
    expect(await store.findCurrentIncident('checkout')).toBeUndefined();
    await expect(store.openIncident(openInput('inc-2', { openedAt: iso() }))).resolves.toEqual({ opened: true });
    expect(await store.getEpisode('checkout')).toMatchObject({ incidentId: 'inc-2', status: 'OPEN', round: 0, alarms: ['checkout-5xx'] });
    expect(await store.getEpisode('checkout')).not.toHaveProperty('reopenUntil');
    expect((await store.getIncident('inc-1')).status).toBe('RESOLVED');
  });

  it('a RESOLVED pointer without a cooldown frees the service at once', async () => {
    const { store } = await newStore();
    await watching(store);
    await store.transition('inc-1', 'RESOLVED', { from: ['WATCHING'] });
    await expect(store.openIncident(openInput('inc-2'))).resolves.toEqual({ opened: true });
  });

  it('keeps the reason an incident was opened past the cap', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1', { cappedReason: '10 incidents are already open' }));
    expect((await store.getIncident('inc-1')).cappedReason).toBe('10 incidents are already open');
  });

  it('rejects invalid input before writing', async () => {
    const { store } = await newStore();
    await expect(store.openIncident({ ...openInput('inc-1'), severity: 'SEV9' as 'SEV1' })).rejects.toBeInstanceOf(RecordInvalidError);
    await expect(store.openIncident({ ...openInput('inc-1'), leaseUntil: undefined as unknown as string })).rejects.toThrow(/leaseUntil/);
    expect(await store.findIncident('inc-1')).toBeUndefined();
    expect(await store.getEpisode('checkout')).toBeUndefined();
  });
});

describe('getIncident', () => {
  it('throws IncidentNotFoundError for an unknown id', async () => {
    const { store } = await newStore();
    await expect(store.getIncident('nope')).rejects.toBeInstanceOf(IncidentNotFoundError);
    await expect(store.getIncident('nope')).rejects.toMatchObject({ name: 'IncidentNotFoundError', incidentId: 'nope' });
  });
});

describe('recordSignal', () => {
  it('records a signal once per key: a redelivery is a duplicate and writes nothing', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const cleared: TimelineEvent = { at: at(2), kind: 'signal', message: 'cleared: checkout-5xx went to OK' };

    await expect(store.recordSignal('inc-1', { key: 'k-ok', event: cleared, expectStatus: 'OPEN' })).resolves.toBe('recorded');
    await expect(store.recordSignal('inc-1', { key: 'k-ok', event: cleared, expectStatus: 'OPEN' })).resolves.toBe('duplicate');
    expect((await store.listTimeline('inc-1')).map((e) => e.message)).toEqual(['Incident inc-1 opened', 'cleared: checkout-5xx went to OK']);
    // Another transition at the same instant is a different signal.
    await expect(store.recordSignal('inc-1', { key: 'k-other', event: cleared, expectStatus: 'OPEN' })).resolves.toBe('recorded');
    expect(await store.listTimeline('inc-1')).toHaveLength(3);
  });

  it('adds a new incident alarm to the incident and the pointer (string sets), once', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const addAlarm = { alarm: 'checkout-latency-p99', service: 'checkout' };

    await expect(store.recordSignal('inc-1', { key: 'k1', event: joined('checkout-latency-p99'), expectStatus: 'OPEN', addAlarm })).resolves.toBe('recorded');
    await expect(store.recordSignal('inc-1', { key: 'k1', event: joined('checkout-latency-p99'), expectStatus: 'OPEN', addAlarm })).resolves.toBe('duplicate');
    // The same alarm again (a later transition): the sets are unchanged.
    await expect(store.recordSignal('inc-1', { key: 'k2', event: joined('checkout-latency-p99', at(3)), expectStatus: 'OPEN', addAlarm })).resolves.toBe('recorded');
    await store.recordSignal('inc-1', {
      key: 'k3',
      event: joined('checkout-availability', at(4)),
      expectStatus: 'OPEN',
      addAlarm: { alarm: 'checkout-availability', service: 'checkout' },
    });

    expect((await store.getIncident('inc-1')).alarms).toEqual(['checkout-5xx', 'checkout-availability', 'checkout-latency-p99']);
    expect((await store.getEpisode('checkout'))?.alarms).toEqual(['checkout-5xx', 'checkout-availability', 'checkout-latency-p99']);
    expect((await store.listTimeline('inc-1')).filter((e) => e.kind === 'signal')).toHaveLength(3);
  });

  it("is stale, writing nothing, when the incident's status changed since the episode was read", async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await store.transition('inc-1', 'MITIGATING', { from: ['OPEN'] });

    const result = await store.recordSignal('inc-1', {
      key: 'k1',
      event: joined('checkout-latency-p99'),
      expectStatus: 'OPEN',
      addAlarm: { alarm: 'checkout-latency-p99', service: 'checkout' },
    });
    expect(result).toBe('stale');
    expect((await store.getIncident('inc-1')).alarms).toEqual(['checkout-5xx']);
    expect((await store.getEpisode('checkout'))?.alarms).toEqual(['checkout-5xx']);
    expect(await store.listTimeline('inc-1')).toHaveLength(1);
    // Read again, decided again: it goes through.
    await expect(
      store.recordSignal('inc-1', {
        key: 'k1',
        event: joined('checkout-latency-p99'),
        expectStatus: 'MITIGATING',
        addAlarm: { alarm: 'checkout-latency-p99', service: 'checkout' },
      }),
    ).resolves.toBe('recorded');
  });

  it('is stale when the pointer names another incident of the service', async () => {
    const { store, advance, iso } = await newStore();
    await watching(store);
    await store.transition('inc-1', 'RESOLVED', { from: ['WATCHING'] });
    advance(60);
    await store.openIncident(openInput('inc-2', { openedAt: iso() }));
    const result = await store.recordSignal('inc-1', {
      key: 'k1',
      event: joined('checkout-latency-p99'),
      expectStatus: 'RESOLVED',
      addAlarm: { alarm: 'checkout-latency-p99', service: 'checkout' },
    });
    expect(result).toBe('stale');
    expect((await store.getEpisode('checkout'))?.alarms).toEqual(['checkout-5xx']);
  });

  it('rejects an invalid event', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.recordSignal('inc-1', { key: 'k', event: { at: 'now', kind: 'signal', message: 'x' }, expectStatus: 'OPEN' })).rejects.toBeInstanceOf(RecordInvalidError);
  });
});

describe('reopenIncident', () => {
  const reopenOf = (from: 'WATCHING' | 'RESOLVED', round: number, key = 'refire-1') => ({
    from,
    round,
    service: 'checkout',
    execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:tourniquet:cont-1', name: 'cont-1', startTime: at(12) },
    leaseUntil: at(42),
    key,
    event: { at: at(12), kind: 'reopened' as const, message: 'reopened: checkout-5xx entered ALARM again' },
  });

  it('re-opens a WATCHING incident in the next round, with the continuation execution and lease', async () => {
    const { store, advance } = await newStore();
    await watching(store);
    advance(12 * 60);

    await expect(store.reopenIncident('inc-1', reopenOf('WATCHING', 0))).resolves.toBe('recorded');
    const incident = await store.getIncident('inc-1');
    expect(incident).toMatchObject({ status: 'OPEN', round: 1, execution: reopenOf('WATCHING', 0).execution, mitigatedAt: at(5), updatedAt: at(12) });
    expect(incident).not.toHaveProperty('watchUntil');
    expect(await store.getEpisode('checkout')).toMatchObject({ incidentId: 'inc-1', status: 'OPEN', round: 1, leaseUntil: at(42), executionName: 'cont-1' });
    expect((await store.listTimeline('inc-1')).at(-1)).toEqual(reopenOf('WATCHING', 0).event);
    expect((await store.listActiveEpisodes()).map((e) => e.incidentId)).toEqual(['inc-1']);
  });

  it('a redelivered re-fire is a duplicate; a re-fire read against an old round is stale', async () => {
    const { store } = await newStore();
    await watching(store);
    await store.reopenIncident('inc-1', reopenOf('WATCHING', 0));

    await expect(store.reopenIncident('inc-1', reopenOf('WATCHING', 0))).resolves.toBe('duplicate');
    await expect(store.reopenIncident('inc-1', reopenOf('WATCHING', 0, 'refire-2'))).resolves.toBe('stale');
    expect((await store.getIncident('inc-1')).round).toBe(1);
    expect((await store.listTimeline('inc-1')).filter((e) => e.kind === 'reopened')).toHaveLength(1);
  });

  it('re-opens a RESOLVED incident within its cooldown (a flap): back in the active index, resolution cleared', async () => {
    const { store } = await newStore();
    await watching(store);
    await store.transition('inc-1', 'RESOLVED', { from: ['WATCHING'], patch: { resolvedAt: at(10), resolvedBy: 'Tourniquet' }, reopenUntil: at(40) });
    expect(await store.countActiveIncidents()).toBe(0);

    await expect(store.reopenIncident('inc-1', reopenOf('RESOLVED', 0))).resolves.toBe('recorded');
    const incident = await store.getIncident('inc-1');
    expect(incident).toMatchObject({ status: 'OPEN', round: 1 });
    expect(incident).not.toHaveProperty('resolvedAt');
    expect(incident).not.toHaveProperty('resolvedBy');
    const pointer = await store.getEpisode('checkout');
    expect(pointer).toMatchObject({ status: 'OPEN', round: 1, leaseUntil: at(42) });
    expect(pointer).not.toHaveProperty('reopenUntil');
    expect(await store.countActiveIncidents()).toBe(1);
  });

  it('is stale when the incident is not in the status the caller read', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.reopenIncident('inc-1', reopenOf('WATCHING', 0))).resolves.toBe('stale');
    expect(await store.getIncident('inc-1')).toMatchObject({ status: 'OPEN', round: 0 });
    expect(await store.listTimeline('inc-1')).toHaveLength(1);
  });
});

describe('transition', () => {
  it('moves the incident and its pointer together, with the patch and the lease', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(120);

    expect(await store.transition('inc-1', 'MITIGATING', { from: ['OPEN'], round: 0, leaseUntil: at(35), patch: { impactStartedAt: at(-3) } })).toBe(true);
    expect(await store.getIncident('inc-1')).toMatchObject({ status: 'MITIGATING', impactStartedAt: at(-3), updatedAt: at(2) });
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'MITIGATING', leaseUntil: at(35), updatedAt: at(2) });
  });

  it('enforces the lifecycle by default: only statuses that lead to the target may move', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    expect(await store.transition('inc-1', 'WATCHING')).toBe(false);
    expect(await store.transition('inc-1', 'ACKNOWLEDGED')).toBe(false);
    expect(await store.transition('inc-1', 'RESOLVED')).toBe(false);
    expect((await store.getIncident('inc-1')).status).toBe('OPEN');
    expect((await store.getEpisode('checkout'))?.status).toBe('OPEN');
    expect(await store.transition('inc-1', 'ESCALATED')).toBe(true);
    expect(await store.transition('inc-1', 'ACKNOWLEDGED')).toBe(true);
    expect(await store.transition('inc-1', 'RESOLVED')).toBe(true);
  });

  it('enforces an explicit from and round, writing nothing when they do not hold', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    expect(await store.transition('inc-1', 'ESCALATED', { from: ['MITIGATING'] })).toBe(false);
    expect(await store.transition('inc-1', 'MITIGATING', { from: ['OPEN'], round: 1, patch: { escalationReason: 'x' } })).toBe(false);
    const incident = await store.getIncident('inc-1');
    expect(incident.status).toBe('OPEN');
    expect(incident).not.toHaveProperty('escalationReason');
    expect(await store.transition('inc-1', 'MITIGATING', { from: ['OPEN'], round: 0 })).toBe(true);
    // The second of two writers that read OPEN loses.
    expect(await store.transition('inc-1', 'MITIGATING', { from: ['OPEN'], round: 0 })).toBe(false);
  });

  it('RESOLVED takes the pointer out of the active index, drops its lease and keeps the flap cooldown', async () => {
    const { store } = await newStore();
    await watching(store);
    await store.openIncident(openInput('inc-2', { service: 'payments', alarmName: 'payments-5xx' }));
    await store.transition('inc-2', 'ESCALATED', { from: ['OPEN'] });
    expect((await store.listActiveEpisodes()).map((e) => [e.incidentId, e.status])).toEqual([
      ['inc-1', 'WATCHING'],
      ['inc-2', 'ESCALATED'],
    ]);
    expect(await store.countActiveIncidents()).toBe(2);

    expect(await store.transition('inc-1', 'RESOLVED', { from: ['WATCHING'], round: 0, patch: { resolvedAt: at(15), resolvedBy: 'Tourniquet' }, reopenUntil: at(45) })).toBe(true);
    expect((await store.listActiveEpisodes()).map((e) => e.incidentId)).toEqual(['inc-2']);
    expect(await store.countActiveIncidents()).toBe(1);
    expect((await store.listActiveIncidents()).map((i) => i.incidentId)).toEqual(['inc-2']);
    const pointer = await store.getEpisode('checkout');
    expect(pointer).toMatchObject({ incidentId: 'inc-1', status: 'RESOLVED', reopenUntil: at(45) });
    expect(pointer).not.toHaveProperty('leaseUntil');
    expect(await store.getIncident('inc-1')).toMatchObject({ status: 'RESOLVED', resolvedAt: at(15), resolvedBy: 'Tourniquet' });
  });

  it('refuses a patch that tries to set the status, and throws for an unknown incident', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.transition('inc-1', 'MITIGATING', { patch: { status: 'RESOLVED' } as object })).rejects.toBeInstanceOf(RecordInvalidError);
    await expect(store.transition('ghost', 'ESCALATED')).rejects.toBeInstanceOf(IncidentNotFoundError);
    expect((await store.getIncident('inc-1')).status).toBe('OPEN');
  });
});

describe('active incidents', () => {
  it('lists every incident not yet RESOLVED, oldest first, however old', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-ancient', { service: 's0', alarmName: 'a0', openedAt: '2026-08-01T00:00:00.000Z' }));
    await store.openIncident(openInput('inc-new', { service: 's1', alarmName: 'a1', openedAt: '2026-11-02T10:45:00.000Z' }));
    await store.openIncident(openInput('inc-resolved', { service: 's2', alarmName: 'a2', openedAt: '2026-11-02T09:00:00.000Z' }));
    await store.openIncident(openInput('inc-offset', { service: 's3', alarmName: 'a3', openedAt: '2026-11-02T11:30:00.000+01:00' }));
    await store.transition('inc-resolved', 'ESCALATED');
    await store.transition('inc-resolved', 'RESOLVED');
    await store.transition('inc-ancient', 'ESCALATED');

    expect((await store.listActiveEpisodes()).map((e) => [e.incidentId, e.service, e.status])).toEqual([
      ['inc-ancient', 's0', 'ESCALATED'],
      ['inc-offset', 's3', 'OPEN'],
      ['inc-new', 's1', 'OPEN'],
    ]);
    expect((await store.listActiveIncidents()).map((i) => i.incidentId)).toEqual(['inc-ancient', 'inc-offset', 'inc-new']);
    expect(await store.countActiveIncidents()).toBe(3);
  });

  it('counts with a COUNT query on the episode partition of the index, reading no items', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const send = jest.spyOn(db.client, 'send');
    try {
      expect(await store.countActiveIncidents()).toBe(1);
      const queries = send.mock.calls.map(([command]) => command).filter((c) => c instanceof QueryCommand) as QueryCommand[];
      expect(queries).toHaveLength(1);
      expect(queries[0]!.input).toMatchObject({ IndexName: 'gsi1', Select: 'COUNT', ExpressionAttributeValues: { ':partition': 'EPISODES' } });
    } finally {
      send.mockRestore();
    }
  });

  it('is empty for an empty table', async () => {
    const { store } = await newStore();
    expect(await store.listActiveEpisodes()).toEqual([]);
    expect(await store.countActiveIncidents()).toBe(0);
  });
});

describe('renewLease', () => {
  it('extends the lease of the incident the pointer names while the automation holds it', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    expect(await store.renewLease('checkout', 'inc-1', at(50))).toBe(true);
    expect((await store.getEpisode('checkout'))?.leaseUntil).toBe(at(50));
    await store.transition('inc-1', 'MITIGATING');
    expect(await store.renewLease('checkout', 'inc-1', at(55))).toBe(true);
    expect((await store.getEpisode('checkout'))?.leaseUntil).toBe(at(55));
  });

  it('refuses another incident, another service, and an incident a human holds', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    expect(await store.renewLease('checkout', 'inc-2', at(50))).toBe(false);
    expect(await store.renewLease('payments', 'inc-1', at(50))).toBe(false);
    expect(await store.getEpisode('payments')).toBeUndefined();
    await store.transition('inc-1', 'ESCALATED');
    expect(await store.renewLease('checkout', 'inc-1', at(50))).toBe(false);
    expect((await store.getEpisode('checkout'))?.leaseUntil).toBe(at(30));
  });
});

describe('claimPage', () => {
  it('is a compare-and-set on lastPageAt: overlapping runs page once', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));

    expect(await store.claimPage('inc-1', undefined, at(15), 1)).toBe(true);
    expect(await store.claimPage('inc-1', undefined, at(15), 1)).toBe(false);
    expect(await store.getIncident('inc-1')).toMatchObject({ lastPageAt: at(15), pages: 1 });

    expect(await store.claimPage('inc-1', at(14), at(30), 2)).toBe(false);
    expect(await store.claimPage('inc-1', at(15), at(30), 2)).toBe(true);
    expect(await store.getIncident('inc-1')).toMatchObject({ lastPageAt: at(30), pages: 2 });
  });

  it('lets exactly one of several concurrent claims win', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const results = await Promise.all(Array.from({ length: 5 }, () => store.claimPage('inc-1', undefined, at(15), 1)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('claims nothing for an unknown incident, creating nothing', async () => {
    const { store } = await newStore();
    expect(await store.claimPage('ghost', undefined, at(15), 1)).toBe(false);
    expect(await store.findIncident('ghost')).toBeUndefined();
  });
});

describe('timeline', () => {
  it('lists events chronologically, keeping write order within the same millisecond', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const same = '2026-11-02T10:01:00.000Z';
    await store.appendTimeline('inc-1', event(same, 'first at :01'));
    await store.appendTimeline('inc-1', event(same, 'second at :01'));
    await store.appendTimeline('inc-1', event('2026-11-02T10:00:30.000Z', 'written late, happened earlier'));
    await store.appendTimeline('inc-1', event(same, 'third at :01'));
    // Same instant as 10:00:45Z written with an offset: must sort by instant, not by text.
    await store.appendTimeline('inc-1', event('2026-11-02T12:00:45.000+02:00', 'offset time'));

    expect((await store.listTimeline('inc-1')).map((e) => e.message)).toEqual([
      'Incident inc-1 opened',
      'written late, happened earlier',
      'offset time',
      'first at :01',
      'second at :01',
      'third at :01',
    ]);
  });

  it('keeps event data and the original time text', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const withData: TimelineEvent = {
      at: '2026-11-02T12:00:45.000+02:00',
      kind: 'decision',
      message: 'chose feature-flag-off',
      data: { candidates: ['feature-flag-off'], score: 0.9, note: null },
    };
    await store.appendTimeline('inc-1', withData);
    expect((await store.listTimeline('inc-1'))[1]).toEqual(withData);
  });

  it('reads every page of a long timeline', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    // ~40 KB per event: 30 events exceed DynamoDB's 1 MB query page, forcing pagination.
    const blob = 'x'.repeat(40_000);
    for (let i = 0; i < 30; i += 1) {
      await store.appendTimeline('inc-1', { ...event('2026-11-02T10:02:00.000Z', `event ${i}`), data: { blob } });
    }
    const send = jest.spyOn(db.client, 'send');
    try {
      const timeline = await store.listTimeline('inc-1');
      expect(timeline.map((e) => e.message)).toEqual(['Incident inc-1 opened', ...Array.from({ length: 30 }, (_, i) => `event ${i}`)]);
      expect(send.mock.calls.filter(([command]) => command instanceof QueryCommand).length).toBeGreaterThan(1);
    } finally {
      send.mockRestore();
    }
  });

  it('refuses to append to an unknown incident and leaves no orphan event', async () => {
    const { store } = await newStore();
    await expect(store.appendTimeline('ghost', event('2026-11-02T10:01:00.000Z', 'boo'))).rejects.toBeInstanceOf(IncidentNotFoundError);
    expect(await store.listTimeline('ghost')).toEqual([]);
  });
});

describe('an incident with 5,000 timeline events', () => {
  const EVENTS = 5_000;

  it('appends, lists in order, lists among incidents and renders its postmortem, while the incident item stays small', async () => {
    const { store, tableName } = await newStore();
    await store.openIncident(openInput('inc-long'));
    await store.openIncident(openInput('inc-other', { service: 'payments', alarmName: 'payments-5xx', openedAt: '2026-11-02T09:00:00.000Z' }));
    // One second apart, so the order to expect is the order of `at`; written 25 at a time.
    const timeOf = (i: number) => new Date(T0 + (i + 1) * 1000).toISOString();
    for (let start = 0; start < EVENTS; start += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, EVENTS - start) }, (_, j) => {
          const i = start + j;
          return store.appendTimeline('inc-long', { at: timeOf(i), kind: i % 2 ? 'signal' : 'verification', message: `event ${i}: checkout-5xx still ALARM` });
        }),
      );
    }

    const timeline = await store.listTimeline('inc-long');
    expect(timeline).toHaveLength(EVENTS + 1);
    expect(timeline[0]!.message).toBe('Incident inc-long opened');
    expect(timeline.slice(1).map((e) => e.message)).toEqual(Array.from({ length: EVENTS }, (_, i) => `event ${i}: checkout-5xx still ALARM`));

    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual(['inc-long', 'inc-other']);

    const postmortem = await incidentPostmortem({ store, clock: () => new Date(T0 + 2 * 3600_000) }, 'inc-long');
    expect(postmortem).toContain('# Postmortem draft: inc-long');
    expect(postmortem).toContain('event 0: checkout-5xx still ALARM');
    expect(postmortem).toContain('event 4999: checkout-5xx still ALARM');
    expect(postmortem.split('\n').filter((line) => / event \d+: /.test(line))).toHaveLength(EVENTS);

    const raw = await db.client.send(new GetCommand({ TableName: tableName, Key: incidentKey('inc-long') }));
    const size = Buffer.byteLength(JSON.stringify(raw.Item, (_key, value: unknown) => (value instanceof Set ? [...value] : value)));
    expect(raw.Item?.eventSeq).toBe(EVENTS + 1);
    expect(size).toBeLessThan(8 * 1024);
  }, 300_000);
});

describe('updateIncident', () => {
  it('applies the patch, stamps updatedAt from the clock and leaves other fields alone', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(90);

    const updated = await store.updateIncident('inc-1', {
      mitigatedAt: '2026-11-02T10:01:30.000Z',
      metrics: { mttdSeconds: 30, mttmSeconds: 90, mttrSeconds: null },
      summary: 'Resolved by automation.',
      lastNotification: { phase: 'Mitigated', at: '2026-11-02T10:01:30.000Z' },
    });

    expect(updated).toMatchObject({
      status: 'OPEN',
      severity: 'SEV2',
      mitigatedAt: '2026-11-02T10:01:30.000Z',
      metrics: { mttdSeconds: 30, mttmSeconds: 90, mttrSeconds: null },
      summary: 'Resolved by automation.',
      lastNotification: { phase: 'Mitigated', at: '2026-11-02T10:01:30.000Z' },
      updatedAt: '2026-11-02T10:01:30.000Z',
    });
    expect(await store.getIncident('inc-1')).toEqual(updated);
  });

  it('throws IncidentNotFoundError instead of creating a partial incident', async () => {
    const { store } = await newStore();
    await expect(store.updateIncident('ghost', { summary: 'x' })).rejects.toBeInstanceOf(IncidentNotFoundError);
    expect(await store.findIncident('ghost')).toBeUndefined();
  });

  it('refuses the status (only transition moves it, with the pointer) and unknown fields', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.updateIncident('inc-1', { status: 'RESOLVED' } as object)).rejects.toBeInstanceOf(RecordInvalidError);
    await expect(store.updateIncident('inc-1', { incidentId: 'other' } as object)).rejects.toBeInstanceOf(RecordInvalidError);
    expect((await store.getIncident('inc-1')).status).toBe('OPEN');
    expect((await store.getEpisode('checkout'))?.status).toBe('OPEN');
  });
});

describe('actions', () => {
  it('claims an action once; a repeat gets the existing record', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const before = { flag: 'new-checkout-flow', enabled: true, version: '7' };

    await expect(store.recordActionStart('inc-1', { cursor: 0, type: 'feature-flag-off', target: 'flag new-checkout-flow', before })).resolves.toEqual({
      started: true,
    });
    advance(3);
    const again = await store.recordActionStart('inc-1', { cursor: 0, type: 'feature-flag-off', target: 'flag new-checkout-flow', before: { other: 1 } });

    expect(again).toEqual({
      started: false,
      existing: {
        cursor: 0,
        type: 'feature-flag-off',
        target: 'flag new-checkout-flow',
        status: 'started',
        before,
        startedAt: '2026-11-02T10:00:00.000Z',
      },
    });
  });

  it('lets exactly one of several concurrent claims start', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    const results = await Promise.all(Array.from({ length: 4 }, () => store.recordActionStart('inc-1', { cursor: 0, type: 'ecs-rollback', target: 'svc' })));
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(await store.listActions('inc-1')).toHaveLength(1);
  });

  it('completes a started action once; the first completion wins', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await store.recordActionStart('inc-1', { cursor: 0, type: 'feature-flag-off', target: 'flag x' });
    advance(2);

    const completed = await store.completeAction('inc-1', 0, 'feature-flag-off', {
      status: 'applied',
      before: { enabled: true },
      after: { enabled: false, deploymentNumber: 12 },
      detail: 'deployed version 8',
    });
    expect(completed).toEqual({
      cursor: 0,
      type: 'feature-flag-off',
      target: 'flag x',
      status: 'applied',
      before: { enabled: true },
      after: { enabled: false, deploymentNumber: 12 },
      detail: 'deployed version 8',
      startedAt: '2026-11-02T10:00:00.000Z',
      completedAt: '2026-11-02T10:00:02.000Z',
    });

    advance(2);
    await expect(store.completeAction('inc-1', 0, 'feature-flag-off', { status: 'failed', detail: 'retry' })).resolves.toEqual(completed);
    expect(await store.listActions('inc-1')).toEqual([completed]);
  });

  it('records the effect verification measured; the first verdict stays', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await store.recordActionStart('inc-1', { cursor: 0, type: 'ecs-rollback', target: 'svc' });
    await store.recordActionStart('inc-1', { cursor: 1, type: 'feature-flag-off', target: 'flag x' });

    await store.setActionEffect('inc-1', 0, 'ecs-rollback', 'no-effect');
    await store.setActionEffect('inc-1', 0, 'ecs-rollback', 'restored');
    await store.setActionEffect('inc-1', 1, 'feature-flag-off', 'restored');
    // An action that was never recorded gets nothing (no partial item).
    await store.setActionEffect('inc-1', 7, 'waf-block', 'restored');

    expect((await store.listActions('inc-1')).map((a) => [a.cursor, a.effect])).toEqual([
      [0, 'no-effect'],
      [1, 'restored'],
    ]);
  });

  it('marks an applied action undone once', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await store.recordActionStart('inc-1', { cursor: 0, type: 'ecs-rollback', target: 'svc' });
    await store.completeAction('inc-1', 0, 'ecs-rollback', { status: 'applied' });
    advance(60);
    const undone = await store.markActionUndone('inc-1', 0, 'ecs-rollback', 'restored task definition 41');
    expect(undone).toMatchObject({ status: 'undone', undoneAt: at(1), undoDetail: 'restored task definition 41' });
    advance(60);
    await expect(store.markActionUndone('inc-1', 0, 'ecs-rollback', 'again')).resolves.toEqual(undone);
    await expect(store.markActionUndone('inc-1', 3, 'waf-block', 'x')).rejects.toBeInstanceOf(ActionNotFoundError);
  });

  it('throws for an unknown action or incident', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.completeAction('inc-1', 3, 'waf-block', { status: 'applied' })).rejects.toBeInstanceOf(ActionNotFoundError);
    await expect(store.recordActionStart('ghost', { cursor: 0, type: 'waf-block', target: 'acl' })).rejects.toBeInstanceOf(IncidentNotFoundError);
    expect(await store.listActions('inc-1')).toEqual([]);
    expect(await store.listActions('ghost')).toEqual([]);
  });

  it('lists actions by numeric cursor', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    for (const [cursor, type] of [
      [10, 'ecs-scale-out'],
      [2, 'ecs-rollback'],
      [0, 'feature-flag-off'],
    ] as const) {
      await store.recordActionStart('inc-1', { cursor, type, target: 't' });
    }
    expect((await store.listActions('inc-1')).map((a) => [a.cursor, a.type])).toEqual([
      [0, 'feature-flag-off'],
      [2, 'ecs-rollback'],
      [10, 'ecs-scale-out'],
    ]);
  });
});

describe('mutation lock', () => {
  it('is exclusive per service, re-entrant for its holder, and expires by the clock', async () => {
    const { store, advance } = await newStore();

    expect(await store.acquireMutationLock('checkout', 'inc-a', 60)).toBe(true);
    expect(await store.acquireMutationLock('checkout', 'inc-b', 60)).toBe(false);
    expect(await store.acquireMutationLock('payments', 'inc-b', 60)).toBe(true);
    expect(await store.acquireMutationLock('checkout', 'inc-a', 60)).toBe(true);

    advance(60);
    // Expires at exactly acquire+60 s: still held in that second.
    expect(await store.acquireMutationLock('checkout', 'inc-b', 60)).toBe(false);
    advance(1);
    expect(await store.acquireMutationLock('checkout', 'inc-b', 60)).toBe(true);
    expect(await store.acquireMutationLock('checkout', 'inc-a', 60)).toBe(false);
  });

  it('re-acquiring by the holder extends the expiry', async () => {
    const { store, advance } = await newStore();
    expect(await store.acquireMutationLock('checkout', 'inc-a', 60)).toBe(true);
    advance(50);
    expect(await store.acquireMutationLock('checkout', 'inc-a', 60)).toBe(true);
    advance(30);
    expect(await store.acquireMutationLock('checkout', 'inc-b', 60)).toBe(false);
  });

  it('is released only by its holder', async () => {
    const { store } = await newStore();
    await store.acquireMutationLock('checkout', 'inc-a', 300);

    expect(await store.releaseMutationLock('checkout', 'inc-b')).toBe(false);
    expect(await store.acquireMutationLock('checkout', 'inc-b', 300)).toBe(false);
    expect(await store.releaseMutationLock('checkout', 'inc-a')).toBe(true);
    expect(await store.releaseMutationLock('checkout', 'inc-a')).toBe(false);
    expect(await store.acquireMutationLock('checkout', 'inc-b', 300)).toBe(true);
  });

  it('goes to exactly one of several concurrent contenders', async () => {
    const { store } = await newStore();
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => store.acquireMutationLock('checkout', id, 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('rejects a non-positive ttl', async () => {
    const { store } = await newStore();
    await expect(store.acquireMutationLock('checkout', 'inc-a', 0)).rejects.toBeInstanceOf(RecordInvalidError);
  });

  it('is a different item from the episode pointer: holding it never blocks an open', async () => {
    const { store } = await newStore();
    await store.acquireMutationLock('checkout', 'inc-0', 300);
    await expect(store.openIncident(openInput('inc-1'))).resolves.toEqual({ opened: true });
  });
});

describe('listIncidents', () => {
  it('lists newest first, up to the limit, whatever their status', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-mid', { service: 's1', alarmName: 'a1', openedAt: '2026-11-02T10:00:00.000Z' }));
    await store.openIncident(openInput('inc-new', { service: 's2', alarmName: 'a2', openedAt: '2026-11-02T11:30:00.000+01:00' }));
    await store.openIncident(openInput('inc-old', { service: 's3', alarmName: 'a3', openedAt: '2026-11-01T23:00:00.000Z' }));
    await store.transition('inc-old', 'ESCALATED');
    await store.transition('inc-old', 'RESOLVED');

    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual(['inc-new', 'inc-mid', 'inc-old']);
    expect((await store.listIncidents({ limit: 2 })).map((i) => i.incidentId)).toEqual(['inc-new', 'inc-mid']);
    await expect(store.listIncidents({ limit: 0 })).rejects.toBeInstanceOf(RecordInvalidError);
  });

  it('since bounds the index query by open time (any offset); statuses and service filter', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-mid', { service: 's1', alarmName: 'a1', openedAt: '2026-11-02T10:00:00.000Z' }));
    await store.openIncident(openInput('inc-new', { service: 's2', alarmName: 'a2', openedAt: '2026-11-02T11:30:00.000+01:00' }));
    await store.openIncident(openInput('inc-old', { service: 's3', alarmName: 'a3', openedAt: '2026-11-01T23:00:00.000Z' }));
    await store.transition('inc-old', 'ESCALATED');
    const ids = async (options: Parameters<IncidentStore['listIncidents']>[0]) => (await store.listIncidents(options)).map((i) => i.incidentId);

    expect(await ids({ since: '2026-11-02T10:00:00.000Z' })).toEqual(['inc-new', 'inc-mid']);
    expect(await ids({ since: '2026-11-02T11:00:00.000+01:00' })).toEqual(['inc-new', 'inc-mid']);
    expect(await ids({ since: '2026-11-02T10:00:00.001Z' })).toEqual(['inc-new']);
    expect(await ids({ statuses: ['ESCALATED', 'RESOLVED'] })).toEqual(['inc-old']);
    expect(await ids({ statuses: ['OPEN'], service: 's1' })).toEqual(['inc-mid']);
    expect(await ids({ service: 's3', since: '2026-11-02T00:00:00.000Z' })).toEqual([]);
    await expect(store.listIncidents({ since: 'yesterday' })).rejects.toBeInstanceOf(RecordInvalidError);
  });

  it('a filter pages through the index until the limit is met (matches beyond the first page)', async () => {
    const { store } = await newStore();
    const openedAt = (i: number) => new Date(Date.parse('2026-11-01T00:00:00.000Z') + i * 60_000).toISOString();
    // 110 incidents (one per service: a service has one current incident); only the two oldest are ESCALATED and only the oldest
    // is of service "rare", so the newest-first query reads past a 100-item page for each filter.
    for (let i = 0; i < 110; i += 1) {
      const id = `inc-${String(i).padStart(3, '0')}`;
      await store.openIncident(openInput(id, { service: i === 0 ? 'rare' : `svc-${i}`, alarmName: `a-${i}`, openedAt: openedAt(i) }));
      if (i < 2) await store.transition(id, 'ESCALATED');
    }
    expect((await store.listIncidents({ statuses: ['ESCALATED'], limit: 5 })).map((i) => i.incidentId)).toEqual(['inc-001', 'inc-000']);
    expect((await store.listIncidents({ service: 'rare', limit: 5 })).map((i) => i.incidentId)).toEqual(['inc-000']);
    expect((await store.listIncidents({ statuses: ['OPEN'], limit: 3 })).map((i) => i.incidentId)).toEqual(['inc-109', 'inc-108', 'inc-107']);
  });

  it('returns nothing for an empty table and lists no pointers, locks or events', async () => {
    const { store } = await newStore();
    expect(await store.listIncidents()).toEqual([]);
    await store.acquireMutationLock('checkout', 'inc-1', 60);
    await store.openIncident(openInput('inc-1'));
    await store.appendTimeline('inc-1', event('2026-11-02T10:01:00.000Z', 'x'));
    expect(await store.listIncidents()).toHaveLength(1);
  });
});

describe('compareAndSetLastNotification', () => {
  const note = (time: string, status = 'Investigating') => ({ status, subject: `[SEV2][${status}] checkout: checkout-5xx`, at: time });

  it('sets lastNotification when none is recorded, then only against the at it was read with', async () => {
    const { store, advance, iso } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(60);
    await expect(store.compareAndSetLastNotification('inc-1', { at: undefined }, note(iso()))).resolves.toBe(true);
    const first = await store.getIncident('inc-1');
    expect(first.lastNotification).toEqual(note('2026-11-02T10:01:00.000Z'));
    expect(first.updatedAt).toBe('2026-11-02T10:01:00.000Z');

    // An overlapping run that read the incident before the first write loses.
    await expect(store.compareAndSetLastNotification('inc-1', { at: undefined }, note('2026-11-02T10:01:00.500Z'))).resolves.toBe(false);
    await expect(store.compareAndSetLastNotification('inc-1', { at: '2026-11-02T09:00:00.000Z' }, note(iso()))).resolves.toBe(false);
    advance(60);
    await expect(store.compareAndSetLastNotification('inc-1', { at: '2026-11-02T10:01:00.000Z' }, note(iso(), 'Identified'))).resolves.toBe(true);
    expect((await store.getIncident('inc-1')).lastNotification).toEqual(note('2026-11-02T10:02:00.000Z', 'Identified'));
  });

  it('checks the status when asked, and can remove lastNotification (handing a claim back)', async () => {
    const { store, iso } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await store.transition('inc-1', 'MITIGATING', { patch: { lastNotification: note('2026-11-02T10:00:30.000Z', 'Identified') } });
    const expected = { at: '2026-11-02T10:00:30.000Z' };
    await expect(store.compareAndSetLastNotification('inc-1', { ...expected, status: 'OPEN' }, note(iso()))).resolves.toBe(false);
    await expect(store.compareAndSetLastNotification('inc-1', { ...expected, status: 'MITIGATING' }, undefined)).resolves.toBe(true);
    expect((await store.getIncident('inc-1')).lastNotification).toBeUndefined();
  });

  it('returns false for an unknown incident and creates nothing', async () => {
    const { store, iso } = await newStore();
    await expect(store.compareAndSetLastNotification('ghost', { at: undefined }, note(iso()))).resolves.toBe(false);
    expect(await store.findIncident('ghost')).toBeUndefined();
  });

  it('never touches a resolved incident when the status is checked', async () => {
    const { store, iso } = await newStore();
    await watching(store);
    await store.transition('inc-1', 'RESOLVED');
    await expect(store.compareAndSetLastNotification('inc-1', { at: undefined, status: 'WATCHING' }, note(iso()))).resolves.toBe(false);
    expect((await store.getIncident('inc-1')).lastNotification).toBeUndefined();
  });
});

describe('errors', () => {
  it('wraps SDK failures in StoreError with the SDK error as cause', async () => {
    const store = new IncidentStore({ tableName: 'no-such-table', client: db.client });
    const error = await store.findIncident('inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ name: 'StoreError', code: 'ResourceNotFoundException' });
    expect((error as StoreError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
