import { describe, expect, it } from '@jest/globals';
import { cadenceSettingsFor } from '../../../lambdas/core/cadence.js';
import type { AlarmSignal } from '../../../lambdas/core/signal.js';
import {
  createStatusCadenceHandler,
  type StatusCadenceDeps,
  StatusCadenceError,
} from '../../../lambdas/handlers/status-cadence.js';
import { type IncidentPatch, IncidentStore } from '../../../lambdas/store/incident-store.js';
import { sampleConfig } from '../../fixtures/workflow.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();

const STATUS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-status';
const T0 = Date.parse('2026-11-23T03:10:00.000Z');
const minutes = (m: number): string => new Date(T0 + m * 60_000).toISOString();
const SCHEDULE_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: minutes(0), detail: {} };

const signal = (alarmName: string): AlarmSignal => ({
  source: 'eventbridge',
  alarmName,
  alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`,
  account: '123456789012',
  region: 'us-east-1',
  kind: 'metric',
  state: 'ALARM',
  previousState: 'OK',
  stateChangeTime: '2026-11-23T03:09:30.000Z',
  reason: 'Threshold Crossed',
  metrics: [],
});

interface Published {
  topicArn: string;
  subject?: string;
  message: string;
  attributes?: Record<string, string>;
}

/** SNS stand-in: records what is published; `failNext` makes the next publish throw. */
function fakePublisher() {
  const published: Published[] = [];
  let failures = 0;
  return {
    published,
    failNext: (count = 1) => void (failures = count),
    publish: async (request: Published) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('SNS is down');
      }
      published.push(request);
      return { messageId: `msg-${published.length}` };
    },
  };
}

/** A fresh table, a store and a handler sharing one hand-driven clock (minutes after T0). */
async function setup(overrides: Partial<StatusCadenceDeps> = {}) {
  let now = T0;
  const clock = () => new Date(now);
  const store = new IncidentStore({ tableName: await db.newTable(), client: db.client, clock });
  const publisher = fakePublisher();
  const deps: StatusCadenceDeps = {
    store,
    publisher,
    statusTopicArn: STATUS_TOPIC,
    settings: cadenceSettingsFor(sampleConfig),
    clock,
    ...overrides,
  };
  const run = () => createStatusCadenceHandler(deps)(SCHEDULE_EVENT);

  /** Opens an incident at T0 + `openedMinute` and applies the patch (status, severity, lastNotification...). */
  const incident = async (id: string, options: { alarmName?: string; severity?: 'SEV1' | 'SEV2'; openedMinute?: number; patch?: IncidentPatch; close?: boolean } = {}) => {
    const alarmName = options.alarmName ?? `alarm-of-${id}`;
    const openedAt = minutes(options.openedMinute ?? 0);
    await store.openIncident({
      incidentId: id,
      service: 'checkout',
      alarmName,
      severity: options.severity ?? 'SEV1',
      signal: signal(alarmName),
      execution: { id: `arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:${id}`, name: id, startTime: openedAt },
      openedAt,
      firstEvent: { at: openedAt, kind: 'incident-opened', message: `Incident ${id} opened` },
    });
    if (options.patch) await store.updateIncident(id, options.patch);
    if (options.close) await store.closeIncident(id);
  };
  return {
    store,
    publisher,
    run,
    deps,
    incident,
    setMinute: (m: number) => void (now = T0 + m * 60_000),
  };
}

const escalatedAt = (m: number): IncidentPatch => ({
  status: 'ESCALATED',
  escalatedAt: minutes(m),
  lastNotification: { status: 'Escalated', subject: '[SEV1][Escalated] checkout: 5xx rate', at: minutes(m) },
});

describe('status-cadence handler', () => {
  it('sends an escalated SEV1 incident its update every 30 minutes, records it, and promises the next', async () => {
    const { run, publisher, store, incident, setMinute } = await setup();
    await incident('inc-1', { alarmName: 'checkout-5xx-rate', patch: escalatedAt(2) });

    setMinute(26.9);
    expect(await run()).toEqual({ checked: 1, sent: [], raced: [], deferred: [], failed: [] });

    // Sent in the 5 minutes before the promised 03:42, so the run at most 5 minutes later is not late.
    setMinute(27);
    const result = await run();
    expect(result.sent).toEqual([{ incidentId: 'inc-1', status: 'Escalated', subject: '[SEV1][Escalated] checkout: 5xx rate', messageId: 'msg-1' }]);
    expect(publisher.published).toHaveLength(1);
    const [update] = publisher.published;
    expect(update).toMatchObject({
      topicArn: STATUS_TOPIC,
      subject: '[SEV1][Escalated] checkout: 5xx rate',
      attributes: { incidentId: 'inc-1', status: 'Escalated', severity: 'SEV1' },
    });
    expect(update!.message).toContain('Scheduled 30-minute update: the incident is still open. The last update (Escalated) went out at 2026-11-23 03:12 UTC.');
    expect(update!.message).toContain('Some customers see errors when they pay for their basket.');
    expect(update!.message).toContain('Next Update\nBy 2026-11-23 04:07 UTC, or sooner at the next phase change.');

    const record = await store.getIncident('inc-1');
    expect(record.status).toBe('ESCALATED');
    expect(record.lastNotification).toEqual({
      status: 'Escalated',
      subject: '[SEV1][Escalated] checkout: 5xx rate',
      at: minutes(27),
      nextUpdateBy: minutes(57),
      scheduled: true,
    });
    const timeline = await store.listTimeline('inc-1');
    expect(timeline.at(-1)).toEqual({
      at: minutes(27),
      kind: 'notification',
      message: 'Scheduled status update sent: [SEV1][Escalated] checkout: 5xx rate',
      data: { status: 'Escalated', messageId: 'msg-1', scheduled: true, cadenceMinutes: 30 },
    });

    // The same run again, and the runs until the next promise is near, send nothing.
    expect((await run()).sent).toEqual([]);
    setMinute(51.9);
    expect((await run()).sent).toEqual([]);
    setMinute(52);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['inc-1']);
    expect(publisher.published).toHaveLength(2);
    expect(publisher.published[1]!.message).toContain('The last update (Escalated) went out at 2026-11-23 03:37 UTC.');
  });

  it('keeps each severity on its own cadence (SEV2: 60 minutes) and honours config overrides', async () => {
    const settings = cadenceSettingsFor({ ...sampleConfig, updateCadenceMinutes: { SEV1: 15 } });
    const { run, incident, setMinute } = await setup({ settings });
    const investigating = { lastNotification: { status: 'Investigating', subject: 's', at: minutes(0) } };
    await incident('sev1', { severity: 'SEV1', patch: investigating });
    await incident('sev2', { severity: 'SEV2', patch: investigating });

    setMinute(10);
    expect((await run()).sent.map((s) => [s.incidentId, s.status])).toEqual([['sev1', 'Investigating']]);
    setMinute(55);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['sev1', 'sev2']);
  });

  it('with a longer configured cadence, keeps the phase-change promise first, then its own', async () => {
    const settings = cadenceSettingsFor({ ...sampleConfig, updateCadenceMinutes: { SEV1: 60 } });
    const { run, publisher, incident, setMinute } = await setup({ settings });
    await incident('inc-1', { patch: escalatedAt(0) });
    setMinute(25);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['inc-1']);
    expect(publisher.published[0]!.message).toContain('Scheduled 60-minute update');
    expect(publisher.published[0]!.message).toContain('By 2026-11-23 04:35 UTC');
    setMinute(79.9);
    expect((await run()).sent).toEqual([]);
    setMinute(80);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['inc-1']);
  });

  it('skips closed and mitigated incidents, and incidents opened before the lookback window', async () => {
    const { run, publisher, incident, setMinute } = await setup({ lookbackMinutes: 24 * 60 });
    await incident('closed', { close: true });
    await incident('mitigated', { patch: { status: 'MITIGATED', mitigatedAt: minutes(5) } });
    await incident('stale', { openedMinute: -2 * 24 * 60 });
    await incident('identified', { patch: { status: 'IDENTIFIED' } });

    setMinute(120);
    const result = await run();
    expect(result.checked).toBe(2);
    expect(result.sent.map((s) => [s.incidentId, s.status])).toEqual([['identified', 'Identified']]);
    expect(publisher.published.map((p) => p.attributes?.incidentId)).toEqual(['identified']);
  });

  it('sends an update once when two runs overlap', async () => {
    const { store, run, publisher, incident, setMinute, deps } = await setup();
    await incident('inc-1', { patch: escalatedAt(0) });
    await incident('inc-2', { patch: { status: 'MITIGATING' } });
    setMinute(30);

    // Both runs read the open incidents before either claims one.
    let arrived = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const gated: StatusCadenceDeps['store'] = {
      listOpenIncidents: async (options) => {
        const incidents = await store.listOpenIncidents(options);
        if (++arrived === 2) release();
        await bothRead;
        return incidents;
      },
      compareAndSetLastNotification: (...args) => store.compareAndSetLastNotification(...args),
      appendTimeline: (...args) => store.appendTimeline(...args),
    };
    const overlapping = () => createStatusCadenceHandler({ ...deps, store: gated })(SCHEDULE_EVENT);
    const [a, b] = await Promise.all([overlapping(), overlapping()]);

    expect([...a.sent, ...b.sent].map((s) => s.incidentId).sort()).toEqual(['inc-1', 'inc-2']);
    expect([...a.raced, ...b.raced].sort()).toEqual(['inc-1', 'inc-2']);
    expect(publisher.published.map((p) => p.attributes?.incidentId).sort()).toEqual(['inc-1', 'inc-2']);
    const notifications = (await store.listTimeline('inc-1')).filter((e) => e.kind === 'notification');
    expect(notifications).toHaveLength(1);
    expect((await run()).sent).toEqual([]);
  });

  it('sends nothing when a phase change updated the incident after it was read', async () => {
    const { store, publisher, incident, setMinute, deps } = await setup();
    await incident('inc-1', { patch: { status: 'INVESTIGATING', lastNotification: { status: 'Investigating', subject: 's', at: minutes(0) } } });
    setMinute(30);
    const racing: StatusCadenceDeps['store'] = {
      listOpenIncidents: async (options) => {
        const incidents = await store.listOpenIncidents(options);
        // The workflow's notify step sends Identified in between.
        await store.updateIncident('inc-1', { status: 'IDENTIFIED', lastNotification: { status: 'Identified', subject: 'x', at: minutes(30) } });
        return incidents;
      },
      compareAndSetLastNotification: (...args) => store.compareAndSetLastNotification(...args),
      appendTimeline: (...args) => store.appendTimeline(...args),
    };
    const result = await createStatusCadenceHandler({ ...deps, store: racing })(SCHEDULE_EVENT);
    expect(result).toMatchObject({ sent: [], raced: ['inc-1'] });
    expect(publisher.published).toEqual([]);
    expect((await store.getIncident('inc-1')).lastNotification).toEqual({ status: 'Identified', subject: 'x', at: minutes(30) });
  });

  it('reports a failed publish, hands the claim back, goes on with the others, and the next run retries', async () => {
    const { store, run, publisher, incident, setMinute } = await setup();
    const before = escalatedAt(0);
    await incident('inc-a', { patch: before });
    await incident('inc-b', { openedMinute: 1, patch: { status: 'IDENTIFIED' } });
    setMinute(30);
    publisher.failNext();

    const error = (await run().catch((e: unknown) => e)) as StatusCadenceError;
    expect(error).toBeInstanceOf(StatusCadenceError);
    expect(error.name).toBe('StatusCadenceError');
    expect(error.message).toContain('inc-a (Error: SNS is down)');
    expect(error.result).toMatchObject({ checked: 2, sent: [{ incidentId: 'inc-b' }], failed: [{ incidentId: 'inc-a' }] });
    expect((await store.getIncident('inc-a')).lastNotification).toEqual(before.lastNotification);
    expect((await store.listTimeline('inc-a')).filter((e) => e.kind === 'notification')).toEqual([]);

    setMinute(35);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['inc-a']);
    expect(publisher.published.map((p) => p.attributes?.incidentId)).toEqual(['inc-b', 'inc-a']);
  });

  it('sends at most maxUpdatesPerRun updates, oldest incident first, and leaves the rest to the next run', async () => {
    const { run, incident, setMinute } = await setup({ maxUpdatesPerRun: 1 });
    await incident('newer', { openedMinute: 1, alarmName: 'a1' });
    await incident('older', { openedMinute: 0, alarmName: 'a2' });
    setMinute(40);
    expect(await run()).toMatchObject({ sent: [{ incidentId: 'older' }], deferred: ['newer'] });
    expect(await run()).toMatchObject({ sent: [{ incidentId: 'newer' }], deferred: [] });
  });

  it('counts from the opening when no update was ever recorded', async () => {
    const { run, publisher, incident, setMinute } = await setup();
    await incident('inc-1');
    setMinute(24);
    expect((await run()).sent).toEqual([]);
    setMinute(25);
    expect((await run()).sent.map((s) => s.status)).toEqual(['Investigating']);
    expect(publisher.published[0]!.message).toContain('No update is recorded since the incident opened at 2026-11-23 03:10 UTC.');
  });
});
