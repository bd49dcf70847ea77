import { describe, expect, it } from '@jest/globals';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import { cadenceSettingsFor } from '../../../lambdas/core/cadence.js';
import type { IncidentStatus } from '../../../lambdas/core/model.js';
import { createStatusCadence, type StatusCadenceDeps, StatusCadenceError } from '../../../lambdas/operations/cadence.js';
import { ApprovalStore } from '../../../lambdas/store/approvals.js';
import { type IncidentPatch, IncidentStore } from '../../../lambdas/store/incident-store.js';
import { sampleConfig } from '../../fixtures/workflow.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { openIncidentAt } from '../../support/incidents.js';

const db = useDynamoDbLocal();

const STATUS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-status';
const ESCALATION_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-escalation';
const T0 = Date.parse('2026-11-23T03:10:00.000Z');
const minutes = (m: number): string => new Date(T0 + m * 60_000).toISOString();

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
    /** Status updates only (the status topic). */
    updates: () => published.filter((p) => p.topicArn === STATUS_TOPIC),
    /** Pages only (the escalation topic). */
    pages: () => published.filter((p) => p.topicArn === ESCALATION_TOPIC),
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

interface IncidentOptions {
  /** @default the incident id: one incident per service */
  service?: string;
  alarmName?: string;
  severity?: 'SEV1' | 'SEV2';
  openedMinute?: number;
  status?: IncidentStatus;
  /** Applied after the status is reached (timestamps, lastNotification, lastPageAt...). */
  patch?: IncidentPatch;
  /** When the execution's lease runs out. @default a day after T0: the workflow is alive. */
  leaseMinute?: number;
}

/** A fresh table, a store and a cadence run sharing one hand-driven clock (minutes after T0). */
async function setup(overrides: Partial<StatusCadenceDeps> = {}) {
  let now = T0;
  const clock = () => new Date(now);
  const tableName = await db.newTable();
  const store = new IncidentStore({ tableName, client: db.client, clock });
  const publisher = fakePublisher();
  const metrics = new MemoryMetricsSink(clock);
  const deps: StatusCadenceDeps = {
    store,
    publisher,
    statusTopicArn: STATUS_TOPIC,
    escalationTopicArn: ESCALATION_TOPIC,
    settings: cadenceSettingsFor(sampleConfig),
    approvals: new ApprovalStore({ tableName, client: db.client, clock }),
    metrics,
    clock,
    ...overrides,
  };
  const run = () => createStatusCadence(deps)();

  /** Opens an incident (its own service, named like it) at T0 + `openedMinute` and walks it to `status`. */
  const incident = async (id: string, options: IncidentOptions = {}) => {
    await openIncidentAt(store, {
      id,
      service: options.service ?? id,
      alarmName: options.alarmName ?? `alarm-of-${id}`,
      severity: options.severity ?? 'SEV1',
      alarmAt: '2026-11-23T03:09:30.000Z',
      openedAt: minutes(options.openedMinute ?? 0),
      leaseUntil: minutes(options.leaseMinute ?? 24 * 60),
      status: options.status,
    });
    if (options.patch) await store.updateIncident(id, options.patch);
  };
  return {
    store,
    publisher,
    run,
    deps,
    metrics,
    tableName,
    incident,
    setMinute: (m: number) => void (now = T0 + m * 60_000),
  };
}

/** An escalated incident as the escalate step leaves it: paged once, the Escalated update sent. */
const escalatedAt = (m: number): IncidentPatch => ({
  escalatedAt: minutes(m),
  lastPageAt: minutes(m),
  pages: 1,
  lastNotification: { status: 'Escalated', subject: '[SEV1][Escalated] checkout: 5xx rate', at: minutes(m) },
});

describe('cadence: scheduled status updates', () => {
  it('sends an escalated SEV1 incident its update every 30 minutes, records it, and promises the next', async () => {
    const { run, publisher, store, incident, setMinute } = await setup();
    await incident('inc-1', { service: 'checkout', alarmName: 'checkout-5xx-rate', status: 'ESCALATED', patch: escalatedAt(2) });

    setMinute(26.9);
    expect(await run()).toMatchObject({ checked: 1, sent: [], raced: [], deferred: [], failed: [] });

    // Sent in the 5 minutes before the promised 03:42, so the run at most 5 minutes later is not late.
    setMinute(27);
    const result = await run();
    expect(result.sent).toEqual([{ incidentId: 'inc-1', status: 'Escalated', subject: '[SEV1][Escalated] checkout: 5xx rate', messageId: expect.any(String) }]);
    expect(publisher.updates()).toHaveLength(1);
    const [update] = publisher.updates();
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
      data: { status: 'Escalated', messageId: result.sent[0]!.messageId, scheduled: true, cadenceMinutes: 30 },
    });

    // The same run again, and the runs until the next promise is near, send nothing.
    expect((await run()).sent).toEqual([]);
    setMinute(51.9);
    expect((await run()).sent).toEqual([]);
    setMinute(52);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['inc-1']);
    expect(publisher.updates()).toHaveLength(2);
    expect(publisher.updates()[1]!.message).toContain('The last update (Escalated) went out at 2026-11-23 03:37 UTC.');
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
    await incident('inc-1', { status: 'ESCALATED', patch: escalatedAt(0) });
    setMinute(25);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['inc-1']);
    expect(publisher.updates()[0]!.message).toContain('Scheduled 60-minute update');
    expect(publisher.updates()[0]!.message).toContain('By 2026-11-23 04:35 UTC');
    setMinute(79.9);
    expect((await run()).sent).toEqual([]);
    setMinute(80);
    expect((await run()).sent.map((s) => s.incidentId)).toEqual(['inc-1']);
  });

  it('looks only at incidents not yet RESOLVED, and sends nothing while a fix is watched', async () => {
    const { run, publisher, incident, setMinute } = await setup();
    await incident('resolved', { status: 'RESOLVED' });
    await incident('watching', { status: 'WATCHING', patch: { mitigatedAt: minutes(5), watchUntil: minutes(200) } });
    await incident('mitigating', { status: 'MITIGATING' });

    setMinute(120);
    const result = await run();
    expect(result.checked).toBe(2);
    expect(result.sent.map((s) => [s.incidentId, s.status])).toEqual([['mitigating', 'Identified']]);
    expect(publisher.published.map((p) => p.attributes?.incidentId)).toEqual(['mitigating']);
  });

  it('still sees incidents opened more than 7 days ago', async () => {
    const { run, publisher, incident, setMinute } = await setup();
    await incident('ancient', {
      status: 'ACKNOWLEDGED',
      openedMinute: -8 * 24 * 60,
      patch: { escalatedAt: minutes(-8 * 24 * 60), lastPageAt: minutes(-30), acknowledgedBy: 'alice' },
    });
    await incident('recent', { openedMinute: 0 });

    setMinute(30);
    const result = await run();
    expect(result.checked).toBe(2);
    expect(result.sent.map((s) => s.incidentId)).toEqual(['ancient', 'recent']);
    expect(publisher.updates()[0]!.message).toContain('Started: 2026-11-15 03:10 UTC');
  });

  it('sends an update once when two runs overlap', async () => {
    const { store, run, publisher, incident, setMinute, deps } = await setup();
    await incident('inc-1', { status: 'ESCALATED', patch: { ...escalatedAt(0), lastPageAt: minutes(25) } });
    await incident('inc-2', { status: 'MITIGATING' });
    setMinute(30);

    // Both runs read each incident before either claims its update.
    const gated: StatusCadenceDeps['store'] = { ...pick(store), findIncident: bothRead((id) => store.findIncident(id)) };
    const overlapping = () => createStatusCadence({ ...deps, store: gated })();
    const [a, b] = await Promise.all([overlapping(), overlapping()]);

    expect([...a.sent, ...b.sent].map((s) => s.incidentId).sort()).toEqual(['inc-1', 'inc-2']);
    expect([...a.raced, ...b.raced].sort()).toEqual(['inc-1', 'inc-2']);
    expect(
      publisher
        .updates()
        .map((p) => p.attributes?.incidentId)
        .sort(),
    ).toEqual(['inc-1', 'inc-2']);
    const notifications = (await store.listTimeline('inc-1')).filter((e) => e.kind === 'notification');
    expect(notifications).toHaveLength(1);
    expect((await run()).sent).toEqual([]);
  });

  it('sends nothing when a phase change updated the incident after it was read', async () => {
    const { store, publisher, incident, setMinute, deps } = await setup();
    await incident('inc-1', { patch: { lastNotification: { status: 'Investigating', subject: 's', at: minutes(0) } } });
    setMinute(30);
    const racing: StatusCadenceDeps['store'] = {
      ...pick(store),
      findIncident: async (id) => {
        const found = await store.findIncident(id);
        // The workflow's mitigate and notify steps move it to MITIGATING and send Identified in between.
        await store.transition(id, 'MITIGATING', { patch: { lastNotification: { status: 'Identified', subject: 'x', at: minutes(30) } } });
        return found;
      },
    };
    const result = await createStatusCadence({ ...deps, store: racing })();
    expect(result).toMatchObject({ sent: [], raced: ['inc-1'] });
    expect(publisher.published).toEqual([]);
    expect((await store.getIncident('inc-1')).lastNotification).toEqual({ status: 'Identified', subject: 'x', at: minutes(30) });
  });

  it('reports a failed publish, hands the claim back, goes on with the others, and the next run retries', async () => {
    const { store, run, publisher, incident, setMinute } = await setup();
    const before = { ...escalatedAt(0), lastPageAt: minutes(25) };
    await incident('inc-a', { status: 'ESCALATED', patch: before });
    await incident('inc-b', { openedMinute: 1, status: 'MITIGATING' });
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
    expect(publisher.updates().map((p) => p.attributes?.incidentId)).toEqual(['inc-b', 'inc-a']);
  });

  it('sends at most maxUpdatesPerRun updates, oldest incident first, and leaves the rest to the next run', async () => {
    const { run, incident, setMinute } = await setup({ maxUpdatesPerRun: 1 });
    await incident('newer', { openedMinute: 1 });
    await incident('older', { openedMinute: 0 });
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
    expect(publisher.updates()[0]!.message).toContain('No update is recorded since the incident opened at 2026-11-23 03:10 UTC.');
  });
});

describe('cadence: pages', () => {
  it('re-pages an unacknowledged ESCALATED incident at its severity interval, and not before', async () => {
    const { run, publisher, store, incident, setMinute } = await setup();
    await incident('inc-1', { severity: 'SEV2', status: 'ESCALATED', patch: { ...escalatedAt(0), escalationReason: 'No automatic candidate left.' } });

    setMinute(29.9);
    expect((await run()).paged).toEqual([]);
    expect(publisher.pages()).toEqual([]);

    setMinute(30);
    const result = await run();
    expect(result.paged).toEqual([
      { incidentId: 'inc-1', why: expect.stringContaining('Still ESCALATED and not acknowledged 30 min after the escalation; re-paged every 30 min') },
    ]);
    expect(publisher.pages()).toHaveLength(1);
    const [page] = publisher.pages();
    expect(page).toMatchObject({ subject: '[SEV2][Page] inc-1: needs a human (inc-1)', attributes: { incidentId: 'inc-1', status: 'Page', severity: 'SEV2' } });
    expect(page!.message).toContain('- Escalated at 2026-11-23 03:10 UTC: No automatic candidate left.');
    expect(page!.message).toContain('- Pages so far: 2 (this one included).');
    expect(page!.message).toContain('tourniquet ack inc-1');
    expect(await store.getIncident('inc-1')).toMatchObject({ lastPageAt: minutes(30), pages: 2 });
    expect((await store.listTimeline('inc-1')).filter((e) => e.kind === 'page')).toEqual([
      { at: minutes(30), kind: 'page', message: expect.stringMatching(/^Paged: Still ESCALATED/) },
    ]);

    // The timer runs from the last page.
    expect((await run()).paged).toEqual([]);
    setMinute(59.9);
    expect((await run()).paged).toEqual([]);
    setMinute(60);
    expect((await run()).paged.map((p) => p.incidentId)).toEqual(['inc-1']);
    expect((await store.getIncident('inc-1')).pages).toBe(3);
  });

  it('uses the configured re-page minutes, and SEV1 pages every 15 minutes by default', async () => {
    const settings = cadenceSettingsFor({ ...sampleConfig, lifecycle: { ...sampleConfig.lifecycle, repageMinutes: { SEV2: 10 } } });
    const { run, incident, setMinute } = await setup({ settings });
    await incident('sev1', { severity: 'SEV1', status: 'ESCALATED', patch: escalatedAt(0) });
    await incident('sev2', { severity: 'SEV2', status: 'ESCALATED', patch: escalatedAt(0) });
    setMinute(10);
    expect((await run()).paged.map((p) => p.incidentId)).toEqual(['sev2']);
    setMinute(15);
    expect((await run()).paged.map((p) => p.incidentId)).toEqual(['sev1']);
  });

  it('an escalation never paged (no lastPageAt) is re-paged an interval after escalatedAt', async () => {
    const { run, incident, setMinute } = await setup();
    await incident('inc-1', { status: 'ESCALATED', patch: { escalatedAt: minutes(5) } });
    setMinute(19.9);
    expect((await run()).paged).toEqual([]);
    setMinute(20);
    expect((await run()).paged.map((p) => p.incidentId)).toEqual(['inc-1']);
  });

  it('reminds of an ACKNOWLEDGED incident daily until it is resolved, and stops after', async () => {
    const { run, publisher, store, incident, setMinute } = await setup();
    await incident('inc-1', { status: 'ACKNOWLEDGED', patch: { ...escalatedAt(0), acknowledgedAt: minutes(10), acknowledgedBy: 'alice' } });

    setMinute(24 * 60 - 0.1);
    expect((await run()).paged).toEqual([]);
    setMinute(24 * 60);
    const result = await run();
    expect(result.paged).toEqual([{ incidentId: 'inc-1', why: 'Reminder: acknowledged by alice and still not resolved; reminded every 1440 min until tourniquet resolve.' }]);
    const [page] = publisher.pages();
    expect(page!.subject).toBe('[SEV1][Page] inc-1: reminder (inc-1)');
    expect(page!.message).toContain('Status: ACKNOWLEDGED (acknowledged by alice at 2026-11-23 03:20 UTC)');
    expect(page!.message).toContain('tourniquet resolve inc-1');

    setMinute(2 * 24 * 60 - 1);
    expect((await run()).paged).toEqual([]);
    await store.transition('inc-1', 'RESOLVED', { from: ['ACKNOWLEDGED'] });
    setMinute(3 * 24 * 60);
    expect(await run()).toMatchObject({ checked: 0, paged: [], sent: [] });
  });

  it('escalates and pages an incident whose workflow stopped reporting (lease expired), once', async () => {
    const { run, publisher, store, incident, setMinute, metrics } = await setup();
    await incident('inc-1', { status: 'MITIGATING', leaseMinute: 30 });

    setMinute(30);
    expect((await run()).paged).toEqual([]);
    expect((await store.getIncident('inc-1')).status).toBe('MITIGATING');

    setMinute(30.5);
    const result = await run();
    expect(result.paged).toEqual([{ incidentId: 'inc-1', why: expect.stringContaining('its lease ran out at 2026-11-23 03:40 UTC while the incident was MITIGATING') }]);
    const incident1 = await store.getIncident('inc-1');
    expect(incident1).toMatchObject({ status: 'ESCALATED', escalatedAt: minutes(30.5), pages: 1, lastPageAt: minutes(30.5) });
    expect(incident1.escalationReason).toContain('Automation is not acting on it.');
    expect(await store.getEpisode('inc-1')).toMatchObject({ status: 'ESCALATED' });
    expect(publisher.pages()[0]).toMatchObject({ subject: '[SEV1][Page] inc-1: workflow stopped, needs a human (inc-1)' });
    expect(publisher.pages()[0]!.message).toContain('stopped reporting');

    // Escalated now: the next run re-pages on the SEV1 timer, not again at once.
    setMinute(31);
    expect((await run()).paged).toEqual([]);
    setMinute(45.5);
    expect((await run()).paged.map((p) => p.why)).toEqual([expect.stringMatching(/^Still ESCALATED/)]);
    // One escalation: re-pages are not escalations.
    expect(metrics.find('Escalations').map((m) => [m.value, m.dimensions, m.at])).toEqual([[1, { service: 'inc-1', severity: 'SEV1' }, minutes(30.5)]]);
  });

  it('an expired lease of a WATCHING incident escalates it too; a live lease never does', async () => {
    const { run, store, incident, setMinute } = await setup();
    await incident('orphan', { status: 'WATCHING', leaseMinute: 20, patch: { mitigatedAt: minutes(5), watchUntil: minutes(10) } });
    await incident('alive', { status: 'OPEN', leaseMinute: 90 });
    setMinute(25);
    expect((await run()).paged.map((p) => p.incidentId)).toEqual(['orphan']);
    expect((await store.getIncident('orphan')).status).toBe('ESCALATED');
    expect((await store.getIncident('alive')).status).toBe('OPEN');
  });

  it('a page that could not be published is sent by the next run, not an interval later', async () => {
    const { run, publisher, store, incident, setMinute } = await setup();
    await incident('timer', { status: 'ESCALATED', patch: escalatedAt(0) });
    await incident('orphan', { status: 'MITIGATING', leaseMinute: 20 });
    setMinute(21);
    publisher.failNext(2);

    const error = (await run().catch((e: unknown) => e)) as StatusCadenceError;
    expect(error).toBeInstanceOf(StatusCadenceError);
    expect(error.result.failed.map((f) => f.incidentId).sort()).toEqual(['orphan', 'timer']);
    expect(publisher.pages()).toEqual([]);
    // The orphaned incident was escalated even though its page failed: that is not undone.
    expect((await store.getIncident('orphan')).status).toBe('ESCALATED');
    expect((await store.getIncident('timer')).pages).toBe(1);

    setMinute(26);
    const retried = await run();
    expect(retried.paged.map((p) => p.incidentId).sort()).toEqual(['orphan', 'timer']);
    expect(
      publisher
        .pages()
        .map((p) => p.subject)
        .sort(),
    ).toEqual(['[SEV1][Page] orphan: needs a human (orphan)', '[SEV1][Page] timer: needs a human (timer)']);
    expect(await store.getIncident('timer')).toMatchObject({ pages: 2, lastPageAt: minutes(26) });
    expect(await store.getIncident('orphan')).toMatchObject({ pages: 1, lastPageAt: minutes(26) });
  });

  it('pages once when two runs overlap', async () => {
    const { store, publisher, incident, setMinute, deps } = await setup();
    await incident('inc-1', { status: 'ESCALATED', patch: escalatedAt(0) });
    setMinute(16);
    const gated: StatusCadenceDeps['store'] = { ...pick(store), findIncident: bothRead((id) => store.findIncident(id)) };
    const overlapping = () => createStatusCadence({ ...deps, store: gated })();
    const [a, b] = await Promise.all([overlapping(), overlapping()]);
    expect([...a.paged, ...b.paged]).toHaveLength(1);
    expect(publisher.pages()).toHaveLength(1);
    expect((await store.getIncident('inc-1')).pages).toBe(2);
  });
});

/** Wraps a read so that, per incident, it returns only once two callers (two overlapping runs) have made it. */
function bothRead<T>(read: (id: string) => Promise<T>): (id: string) => Promise<T> {
  const barriers = new Map<string, { arrived: number; release: () => void; done: Promise<void> }>();
  return async (id) => {
    let barrier = barriers.get(id);
    if (!barrier) {
      let release!: () => void;
      const done = new Promise<void>((resolve) => (release = resolve));
      barrier = { arrived: 0, release, done };
      barriers.set(id, barrier);
    }
    const value = await read(id);
    if (++barrier.arrived === 2) barrier.release();
    await barrier.done;
    return value;
  };
}

/** The store methods the cadence uses, bound, so a test can replace one of them. */
function pick(store: IncidentStore): StatusCadenceDeps['store'] {
  return {
    listActiveEpisodes: () => store.listActiveEpisodes(),
    findIncident: (id) => store.findIncident(id),
    listActions: (id) => store.listActions(id),
    transition: (...args) => store.transition(...args),
    claimPage: (...args) => store.claimPage(...args),
    compareAndSetLastNotification: (...args) => store.compareAndSetLastNotification(...args),
    appendTimeline: (...args) => store.appendTimeline(...args),
  };
}

describe('cadence: self-monitoring metrics, every run', () => {
  const gauges = (metrics: MemoryMetricsSink) => metrics.records.map((m) => [m.name, m.value, m.dimensions.service]);

  it('publishes 0 for all three when nothing is open', async () => {
    const { run, metrics } = await setup();
    await run();
    expect(gauges(metrics)).toEqual([
      ['OpenIncidents', 0, 'Tourniquet'],
      ['ApprovalsWaiting', 0, 'Tourniquet'],
      ['OpenIncidentsWithoutPage', 0, 'Tourniquet'],
    ]);
  });

  it('counts incidents not RESOLVED, approvals still pending, and incidents with no page for 24 h (plus two schedule runs of slack), even when a page fails', async () => {
    // SNS refuses pages this run: the gauges are still published, and the run still fails.
    const refusing = fakePublisher();
    const publisher = {
      publish: async (request: { topicArn: string; subject?: string; message: string }) => {
        if (request.topicArn === ESCALATION_TOPIC) throw new Error('SNS is down');
        return refusing.publish(request);
      },
    };
    const { run, metrics, incident, setMinute, tableName, deps } = await setup({ publisher });
    const lease = { leaseMinute: 3 * 24 * 60 };
    // Never paged, a day old at the run: what the alarm is for.
    await incident('quiet', { status: 'MITIGATING', ...lease });
    // Reminded daily; this run's reminder (24 h 5 min after the last) fails: late, inside the slack, not counted yet.
    await incident('reminded', { status: 'ACKNOWLEDGED', ...lease, patch: { ...escalatedAt(0), lastPageAt: minutes(21) } });
    // Escalated 50 minutes before the run: paged recently.
    await incident('paged', { status: 'ESCALATED', openedMinute: 24 * 60 - 60, ...lease, patch: escalatedAt(24 * 60 - 50) });
    await incident('over', { status: 'RESOLVED', ...lease });
    // The quiet one waits for an approval that has not expired; an expired one no longer waits.
    const approvals = new ApprovalStore({ tableName, client: db.client, clock: deps.clock });
    const ask = (incidentId: string, approvalId: string, expiresMinute: number) =>
      approvals.create({
        incidentId,
        approvalId,
        service: incidentId,
        severity: 'SEV1',
        candidate: { type: 'ecs-rollback', target: 'ECS service shop-prod/checkout', rationale: 'r', risk: 'medium' },
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:${incidentId}`,
        requestedAt: minutes(0),
        expiresAt: minutes(expiresMinute),
        timeoutSeconds: 900,
        sealedTaskToken: 'sealed',
        tokenSecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:approvals',
      });
    await ask('quiet', 'apr-20261123T031000Z-0001', 3 * 24 * 60);
    await ask('reminded', 'apr-20261123T031000Z-0002', 15);

    setMinute(24 * 60 + 26);
    await expect(run()).rejects.toBeInstanceOf(StatusCadenceError);
    expect(gauges(metrics)).toEqual([
      ['OpenIncidents', 3, 'Tourniquet'],
      ['ApprovalsWaiting', 1, 'Tourniquet'],
      ['OpenIncidentsWithoutPage', 1, 'Tourniquet'],
    ]);

    // Still failing two runs later: past the slack, the reminded incident counts too.
    setMinute(24 * 60 + 36);
    await expect(run()).rejects.toBeInstanceOf(StatusCadenceError);
    expect(gauges(metrics).at(-1)).toEqual(['OpenIncidentsWithoutPage', 2, 'Tourniquet']);
  });
});
