import { describe, expect, it, jest } from '@jest/globals';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AlarmSignal } from '../../../lambdas/core/signal.js';
import type { TimelineEvent } from '../../../lambdas/core/model.js';
import {
  ActionNotFoundError,
  IncidentNotFoundError,
  IncidentStore,
  type OpenIncidentInput,
  RecordInvalidError,
  StoreError,
} from '../../../lambdas/store/incident-store.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();

const T0 = Date.parse('2026-11-02T10:00:00.000Z');

/** A store on a fresh table with a hand-driven clock. */
async function newStore() {
  let now = T0;
  const store = new IncidentStore({ tableName: await db.newTable(), client: db.client, clock: () => new Date(now) });
  return {
    store,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
    iso: (offsetSeconds = 0) => new Date(now + offsetSeconds * 1000).toISOString(),
  };
}

const signal = (alarmName = 'checkout-5xx'): AlarmSignal => ({
  source: 'eventbridge',
  alarmName,
  alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`,
  account: '123456789012',
  region: 'us-east-1',
  kind: 'metric',
  state: 'ALARM',
  previousState: 'OK',
  stateChangeTime: '2026-11-02T09:59:30.000+00:00',
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
    firstEvent: { at: openedAt, kind: 'incident-opened', message: `Incident ${incidentId} opened` },
    ...overrides,
  };
};

const event = (at: string, message: string, kind: TimelineEvent['kind'] = 'triage'): TimelineEvent => ({ at, kind, message });

describe('openIncident', () => {
  it('writes the incident, its first timeline event and the open lock', async () => {
    const { store } = await newStore();
    await expect(store.openIncident(openInput('inc-1'))).resolves.toEqual({ duplicate: false });

    const incident = await store.getIncident('inc-1');
    expect(incident).toEqual({
      incidentId: 'inc-1',
      service: 'checkout',
      alarmName: 'checkout-5xx',
      severity: 'SEV2',
      status: 'INVESTIGATING',
      openedAt: '2026-11-02T10:00:00.000Z',
      signal: signal(),
      execution: openInput('inc-1').execution,
      updatedAt: '2026-11-02T10:00:00.000Z',
    });
    expect(await store.listTimeline('inc-1')).toEqual([openInput('inc-1').firstEvent]);
  });

  it('folds a second incident for the same service and alarm into the open one, writing nothing', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));

    await expect(store.openIncident(openInput('inc-2'))).resolves.toEqual({ duplicate: true, existingIncidentId: 'inc-1' });
    expect(await store.findIncident('inc-2')).toBeUndefined();
    expect(await store.listTimeline('inc-2')).toEqual([]);
    expect(await store.listTimeline('inc-1')).toHaveLength(1);
  });

  it('opens separate incidents for different alarms of the same service', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.openIncident(openInput('inc-2', { alarmName: 'checkout-latency-p99' }))).resolves.toEqual({ duplicate: false });
  });

  it('re-opening the same incident id (a retried Lambda) succeeds without a second first event', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(5);

    await expect(store.openIncident(openInput('inc-1'))).resolves.toEqual({ duplicate: false });
    expect(await store.listTimeline('inc-1')).toHaveLength(1);
    expect((await store.getIncident('inc-1')).updatedAt).toBe('2026-11-02T10:00:00.000Z');
  });

  it('lets exactly one of two concurrent opens for the same alarm win', async () => {
    const { store } = await newStore();
    const results = await Promise.all([store.openIncident(openInput('inc-a')), store.openIncident(openInput('inc-b'))]);

    const winners = results.filter((r) => !r.duplicate);
    expect(winners).toHaveLength(1);
    const winnerId = results[0]?.duplicate ? 'inc-b' : 'inc-a';
    const loser = results.find((r) => r.duplicate);
    expect(loser).toEqual({ duplicate: true, existingIncidentId: winnerId });
    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual([winnerId]);
  });

  it('rejects invalid input before writing', async () => {
    const { store } = await newStore();
    await expect(store.openIncident({ ...openInput('inc-1'), severity: 'SEV9' as 'SEV1' })).rejects.toBeInstanceOf(RecordInvalidError);
    expect(await store.findIncident('inc-1')).toBeUndefined();
  });
});

describe('getIncident', () => {
  it('throws IncidentNotFoundError for an unknown id', async () => {
    const { store } = await newStore();
    await expect(store.getIncident('nope')).rejects.toBeInstanceOf(IncidentNotFoundError);
    await expect(store.getIncident('nope')).rejects.toMatchObject({ name: 'IncidentNotFoundError', incidentId: 'nope' });
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

describe('updateIncident', () => {
  it('applies the patch, stamps updatedAt from the clock and leaves other fields alone', async () => {
    const { store, advance } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(90);

    const updated = await store.updateIncident('inc-1', {
      status: 'MITIGATED',
      mitigatedAt: '2026-11-02T10:01:30.000Z',
      metrics: { mttdSeconds: 30, mttmSeconds: 90, mttrSeconds: null },
      lastNotification: { phase: 'Mitigated', at: '2026-11-02T10:01:30.000Z' },
    });

    expect(updated).toMatchObject({
      status: 'MITIGATED',
      severity: 'SEV2',
      mitigatedAt: '2026-11-02T10:01:30.000Z',
      metrics: { mttdSeconds: 30, mttmSeconds: 90, mttrSeconds: null },
      lastNotification: { phase: 'Mitigated', at: '2026-11-02T10:01:30.000Z' },
      updatedAt: '2026-11-02T10:01:30.000Z',
    });
    expect(await store.getIncident('inc-1')).toEqual(updated);
  });

  it('throws IncidentNotFoundError instead of creating a partial incident', async () => {
    const { store } = await newStore();
    await expect(store.updateIncident('ghost', { status: 'ESCALATED' })).rejects.toBeInstanceOf(IncidentNotFoundError);
    expect(await store.findIncident('ghost')).toBeUndefined();
  });

  it('refuses CLOSED (closeIncident must release the lock) and unknown fields', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await expect(store.updateIncident('inc-1', { status: 'CLOSED' as 'MITIGATED' })).rejects.toThrow(/closeIncident/);
    await expect(store.updateIncident('inc-1', { incidentId: 'other' } as object)).rejects.toBeInstanceOf(RecordInvalidError);
    expect((await store.getIncident('inc-1')).status).toBe('INVESTIGATING');
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
    const results = await Promise.all(
      Array.from({ length: 4 }, () => store.recordActionStart('inc-1', { cursor: 0, type: 'ecs-rollback', target: 'svc' })),
    );
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
    for (const [cursor, type] of [[10, 'ecs-scale-out'], [2, 'ecs-rollback'], [0, 'feature-flag-off']] as const) {
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
});

describe('closeIncident', () => {
  it('closes the incident and releases the open lock so the next alarm opens a new incident', async () => {
    const { store, advance, iso } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(600);

    const closed = await store.closeIncident('inc-1', { postmortem: '# Postmortem', metrics: { mttrSeconds: 600 } });
    expect(closed).toMatchObject({ status: 'CLOSED', closedAt: iso(), updatedAt: iso(), postmortem: '# Postmortem', metrics: { mttrSeconds: 600 } });

    await expect(store.openIncident(openInput('inc-2', { openedAt: iso() }))).resolves.toEqual({ duplicate: false });
  });

  it('is repeatable, keeps the first closedAt, and never releases another incident\'s lock', async () => {
    const { store, advance, iso } = await newStore();
    await store.openIncident(openInput('inc-1'));
    advance(60);
    const firstClose = await store.closeIncident('inc-1');
    await store.openIncident(openInput('inc-2', { openedAt: iso() }));
    advance(60);

    const again = await store.closeIncident('inc-1');
    expect(again.closedAt).toBe(firstClose.closedAt);
    expect(again.updatedAt).toBe(iso());
    // inc-2 still holds the lock.
    await expect(store.openIncident(openInput('inc-3', { openedAt: iso() }))).resolves.toEqual({ duplicate: true, existingIncidentId: 'inc-2' });
  });

  it('throws IncidentNotFoundError for an unknown incident', async () => {
    const { store } = await newStore();
    await expect(store.closeIncident('ghost')).rejects.toBeInstanceOf(IncidentNotFoundError);
  });
});

describe('listIncidents', () => {
  it('lists newest first, up to the limit', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-mid', { alarmName: 'a1', openedAt: '2026-11-02T10:00:00.000Z' }));
    await store.openIncident(openInput('inc-new', { alarmName: 'a2', openedAt: '2026-11-02T11:30:00.000+01:00' }));
    await store.openIncident(openInput('inc-old', { alarmName: 'a3', openedAt: '2026-11-01T23:00:00.000Z' }));

    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual(['inc-new', 'inc-mid', 'inc-old']);
    expect((await store.listIncidents({ limit: 2 })).map((i) => i.incidentId)).toEqual(['inc-new', 'inc-mid']);
  });

  it('returns nothing for an empty table and does not list locks or events', async () => {
    const { store } = await newStore();
    expect(await store.listIncidents()).toEqual([]);
    await store.acquireMutationLock('checkout', 'inc-1', 60);
    await store.openIncident(openInput('inc-1'));
    await store.appendTimeline('inc-1', event('2026-11-02T10:01:00.000Z', 'x'));
    expect(await store.listIncidents()).toHaveLength(1);
  });
});

describe('listOpenIncidents', () => {
  it('lists incidents not yet closed, opened since the given time, oldest first', async () => {
    const { store } = await newStore();
    await store.openIncident(openInput('inc-ancient', { alarmName: 'a0', openedAt: '2026-10-01T00:00:00.000Z' }));
    await store.openIncident(openInput('inc-old', { alarmName: 'a1', openedAt: '2026-11-01T23:00:00.000Z' }));
    await store.openIncident(openInput('inc-closed', { alarmName: 'a2', openedAt: '2026-11-02T09:00:00.000Z' }));
    await store.openIncident(openInput('inc-escalated', { alarmName: 'a3', openedAt: '2026-11-02T11:30:00.000+01:00' }));
    await store.openIncident(openInput('inc-new', { alarmName: 'a4', openedAt: '2026-11-02T10:45:00.000Z' }));
    await store.closeIncident('inc-closed');
    await store.updateIncident('inc-escalated', { status: 'ESCALATED' });

    const open = await store.listOpenIncidents({ openedSince: '2026-11-01T00:00:00.000Z' });
    expect(open.map((i) => [i.incidentId, i.status])).toEqual([
      ['inc-old', 'INVESTIGATING'],
      ['inc-escalated', 'ESCALATED'],
      ['inc-new', 'INVESTIGATING'],
    ]);
    // The bound is inclusive and compares instants, whatever the offset the time was written with.
    expect((await store.listOpenIncidents({ openedSince: new Date('2026-11-02T10:30:00.000Z') })).map((i) => i.incidentId)).toEqual(['inc-escalated', 'inc-new']);
  });

  it('reads the index from the bound on, never the whole table', async () => {
    const { store } = await newStore();
    const send = jest.spyOn(db.client, 'send');
    try {
      await store.listOpenIncidents({ openedSince: '2026-11-01T00:00:00.000Z' });
      const queries = send.mock.calls.map(([command]) => command).filter((c) => c instanceof QueryCommand) as QueryCommand[];
      expect(queries).toHaveLength(1);
      expect(queries[0]!.input).toMatchObject({
        IndexName: 'gsi1',
        KeyConditionExpression: '#gpk = :partition AND #gsk >= :since',
        ExpressionAttributeValues: expect.objectContaining({ ':partition': 'INCIDENTS', ':since': '2026-11-01T00:00:00.000Z' }),
      });
    } finally {
      send.mockRestore();
    }
  });

  it('refuses a bound that is not a date', async () => {
    const { store } = await newStore();
    await expect(store.listOpenIncidents({ openedSince: 'last week' })).rejects.toBeInstanceOf(RecordInvalidError);
  });
});

describe('compareAndSetLastNotification', () => {
  const note = (at: string, status = 'Investigating') => ({ status, subject: `[SEV2][${status}] checkout: checkout-5xx`, at });

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
    await store.updateIncident('inc-1', { status: 'IDENTIFIED', lastNotification: note('2026-11-02T10:00:30.000Z', 'Identified') });
    const expected = { at: '2026-11-02T10:00:30.000Z' };
    await expect(store.compareAndSetLastNotification('inc-1', { ...expected, status: 'INVESTIGATING' }, note(iso()))).resolves.toBe(false);
    await expect(store.compareAndSetLastNotification('inc-1', { ...expected, status: 'IDENTIFIED' }, undefined)).resolves.toBe(true);
    expect((await store.getIncident('inc-1')).lastNotification).toBeUndefined();
  });

  it('returns false for an unknown incident and creates nothing', async () => {
    const { store, iso } = await newStore();
    await expect(store.compareAndSetLastNotification('ghost', { at: undefined }, note(iso()))).resolves.toBe(false);
    expect(await store.findIncident('ghost')).toBeUndefined();
  });

  it('never touches a closed incident when the status is checked', async () => {
    const { store, iso } = await newStore();
    await store.openIncident(openInput('inc-1'));
    await store.closeIncident('inc-1');
    await expect(store.compareAndSetLastNotification('inc-1', { at: undefined, status: 'INVESTIGATING' }, note(iso()))).resolves.toBe(false);
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
