import { describe, expect, it } from '@jest/globals';

import type { AlarmDescription } from '../../../lambdas/adapters/cloudwatch-alarms.js';
import { TransientAwsError } from '../../../lambdas/adapters/errors.js';
import type { AlarmEvaluation, MetricPoint } from '../../../lambdas/core/impact-start.js';
import type { EcsDeploymentChange, FlagChange, TimelineEvent } from '../../../lambdas/core/model.js';
import { type TriageDeps, triageIncident } from '../../../lambdas/operations/triage.js';
import type { IncidentPatch, IncidentRecord } from '../../../lambdas/store/records.js';
import { ALARM_AT, workflowState } from '../../fixtures/workflow.js';

const state = workflowState();
const NOW = new Date('2026-11-23T03:11:00.000Z');

/** The incident as the starter recorded it. */
const record = (overrides: Partial<IncidentRecord> = {}): IncidentRecord => ({
  incidentId: state.incident.incidentId,
  service: 'checkout',
  alarmName: 'checkout-5xx-rate',
  severity: 'SEV2',
  status: 'OPEN',
  round: 0,
  openedAt: state.incident.openedAt,
  signal: state.signal,
  execution: state.execution,
  updatedAt: state.incident.openedAt,
  pages: 0,
  ...overrides,
});

const metricAlarm = (name: string, periodSeconds: number, evaluationPeriods: number, state = 'ALARM'): AlarmDescription => ({
  name,
  state,
  kind: 'metric',
  periodSeconds,
  evaluationPeriods,
  datapointsToAlarm: evaluationPeriods,
});

const flagChange: FlagChange = { flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 7, configurationVersion: '12', changedAt: '2026-11-23T03:03:00.000Z' };
const deployment: EcsDeploymentChange = {
  cluster: 'shop-prod',
  service: 'checkout',
  deploymentId: 'ecs-svc/123',
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:42',
  status: 'PRIMARY',
  createdAt: '2026-11-23T03:05:00.000Z',
};

interface Fakes {
  incident?: IncidentRecord;
  alarms?: Record<string, AlarmDescription | Error>;
  children?: Record<string, AlarmDescription[]>;
  flags?: FlagChange[] | Error;
  deployments?: EcsDeploymentChange[] | Error;
  /** What GetMetricData answers, per metric name (the first query's). */
  series?: Record<string, MetricPoint[] | Error>;
}

/** Triage over in-memory sources: what each returns (or throws), and what was written. */
function setup(fakes: Fakes = {}) {
  const timeline: TimelineEvent[] = [];
  const patches: IncidentPatch[] = [];
  const windows: { from: Date; to: Date }[] = [];
  const reads: { metric: string; from: string; to: string }[] = [];
  const answer = async <T>(value: T | Error): Promise<T> => (value instanceof Error ? Promise.reject(value) : value);
  const deps: TriageDeps = {
    store: {
      getIncident: async () => fakes.incident ?? record(),
      appendTimeline: async (_id, event) => void timeline.push(event),
      updateIncident: async (_id, patch) => {
        patches.push(patch);
        return fakes.incident ?? record();
      },
    },
    flags: {
      recentFlagChanges: async (_target, window) => {
        windows.push(window);
        return answer(fakes.flags ?? []);
      },
    },
    ecs: { recentDeployments: async () => answer(fakes.deployments ?? []) },
    alarms: {
      describeAlarm: async (name) => answer(fakes.alarms?.[name] ?? metricAlarm(name, 60, 1, 'OK')),
      describeCompositeChildren: async (name) => fakes.children?.[name] ?? [],
    },
    metrics: {
      alarmSeries: async (queries, from, to) => {
        const metric = queries.find((q) => q.metricStat)?.metricStat?.metricName ?? queries[0]!.id;
        reads.push({ metric, from: from.toISOString(), to: to.toISOString() });
        return answer(fakes.series?.[metric] ?? []);
      },
    },
    clock: () => NOW,
  };
  return { deps, timeline, patches, windows, reads };
}

describe('triageIncident', () => {
  it('reads the changes in the window before the alarm, records them on the timeline and the incident, and estimates when impact started', async () => {
    const { deps, timeline, patches, windows } = setup({
      alarms: { 'checkout-5xx-rate': metricAlarm('checkout-5xx-rate', 60, 3) },
      flags: [flagChange],
      deployments: [deployment],
    });
    const triage = await triageIncident(deps, state);

    expect(windows).toEqual([{ from: new Date(Date.parse(ALARM_AT) - 30 * 60_000), to: NOW }]);
    expect(triage).toEqual({
      severity: 'SEV2',
      window: { from: '2026-11-23T02:40:00.000Z', to: NOW.toISOString() },
      alarm: { name: 'checkout-5xx-rate', state: 'ALARM', periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 },
      alarms: ['checkout-5xx-rate'],
      flagChanges: [flagChange],
      ecsDeployments: [deployment],
      symptoms: { downstreamFailure: false, regionalFailure: false, trafficFlood: false, saturation: false, databaseFailure: false },
      gaps: [],
    });
    expect(timeline[0]).toEqual({
      at: NOW.toISOString(),
      kind: 'triage',
      message: 'Triage (30 min window): flag new-checkout-flow off → on (deployment #7 at 03:03:00); ECS deployment ecs-svc/123 of checkout:42 at 03:05:00 (PRIMARY)',
      data: { flagChanges: 1, ecsDeployments: 1, gaps: [], alarms: ['checkout-5xx-rate'] },
    });
    // The fake alarm says nothing about its metric: impact start is estimated, and the timeline says so.
    expect(timeline[1]).toMatchObject({ kind: 'triage', message: expect.stringMatching(/^Impact start estimated at 03:07:00 \(60 s period × datapoints to alarm/) });
    expect(patches).toEqual([{ triage, impactStartedAt: '2026-11-23T03:07:00.000Z', impactStartSource: 'estimated' }]);
  });

  it('says so when it finds nothing, and keeps an impact start already recorded without reading the metric again', async () => {
    const { deps, timeline, patches, reads } = setup({ incident: record({ impactStartedAt: '2026-11-23T03:01:00.000Z', impactStartSource: 'metric-data' }) });
    const triage = await triageIncident(deps, state);
    expect(timeline.map((e) => e.message)).toEqual(['Triage (30 min window): no deployment, flag change or symptom found']);
    expect(patches).toEqual([{ triage, impactStartedAt: '2026-11-23T03:01:00.000Z', impactStartSource: 'metric-data' }]);
    expect(reads).toEqual([]);
  });

  it('confirms a symptom when any of its alarms is in ALARM, and names it', async () => {
    const { deps, timeline } = setup({ alarms: { 'checkout-cpu-high': metricAlarm('checkout-cpu-high', 60, 1) } });
    const triage = await triageIncident(deps, state);
    expect(triage.symptoms).toMatchObject({ saturation: true, trafficFlood: false });
    expect(timeline[0]!.message).toContain('saturation (checkout-cpu-high in ALARM)');
  });

  it('takes every alarm of the episode: the highest severity, and the slowest alarm paces verification', async () => {
    const { deps, timeline, patches } = setup({
      incident: record({ severity: 'SEV3', alarms: ['checkout-p99-latency', 'checkout-5xx-rate'] }),
      alarms: { 'checkout-5xx-rate': metricAlarm('checkout-5xx-rate', 60, 3), 'checkout-p99-latency': metricAlarm('checkout-p99-latency', 300, 2) },
    });
    const triage = await triageIncident(deps, state);
    expect(triage).toMatchObject({ severity: 'SEV2', alarms: ['checkout-5xx-rate', 'checkout-p99-latency'], alarm: { name: 'checkout-p99-latency', periodSeconds: 300 } });
    expect(timeline[0]!.message).toMatch(/^Triage of 2 alarms \(checkout-5xx-rate, checkout-p99-latency\) .*; severity raised to SEV2 by a joined alarm$/);
    expect(patches[0]).toMatchObject({ severity: 'SEV2' });
  });

  it("paces a composite alarm by its slowest child's evaluation settings", async () => {
    const { deps } = setup({
      alarms: { 'checkout-5xx-rate': { name: 'checkout-5xx-rate', state: 'ALARM', kind: 'composite' } },
      children: { 'checkout-5xx-rate': [metricAlarm('a', 60, 2), metricAlarm('b', 120, 3), { name: 'c', state: 'OK', kind: 'metric-math' }] },
    });
    expect((await triageIncident(deps, state)).alarm).toEqual({ name: 'checkout-5xx-rate', state: 'ALARM', periodSeconds: 120, evaluationPeriods: 3, datapointsToAlarm: 3 });
  });

  it('records a source it cannot read as a gap and goes on', async () => {
    const { deps, timeline } = setup({ flags: new Error('AccessDeniedException: appconfig:ListDeployments'), alarms: { 'checkout-5xx-rate': new Error('not found') } });
    const triage = await triageIncident(deps, state);
    // The sources are read at once: the gaps are in the order they failed.
    expect([...triage.gaps].sort()).toEqual(['AppConfig deployments (AccessDeniedException: appconfig:ListDeployments)', 'CloudWatch alarm checkout-5xx-rate (not found)']);
    expect(triage.alarm).toEqual({ name: 'checkout-5xx-rate', state: 'ALARM' });
    expect(timeline[0]!.message).toContain(`; could not read ${triage.gaps.join(', ')}`);
  });

  it('throws a transient failure for the workflow to retry, writing nothing', async () => {
    const { deps, timeline, patches } = setup({ deployments: new TransientAwsError('ECS throttled') });
    await expect(triageIncident(deps, state)).rejects.toBeInstanceOf(TransientAwsError);
    expect(timeline).toEqual([]);
    expect(patches).toEqual([]);
  });

  it('skips the sources a service does not configure', async () => {
    const bare = workflowState({ service: { ...state.service, resources: {} } });
    const { deps, windows } = setup({ flags: new Error('must not be asked'), deployments: new Error('must not be asked') });
    expect((await triageIncident(deps, bare)).gaps).toEqual([]);
    expect(windows).toEqual([]);
  });
});

/** The alarm as DescribeAlarms has it, with what GetMetricData needs. */
const measurable = (name: string, evaluation: Partial<AlarmEvaluation> = {}, extra: Partial<AlarmDescription> = {}): AlarmDescription => ({
  ...metricAlarm(name, 60, 3),
  evaluation: {
    comparison: 'GreaterThanThreshold',
    threshold: 5,
    queries: [{ id: 'm1', returnData: true, metricStat: { namespace: 'Shop', metricName: name, dimensions: [], period: 60, stat: 'Average' } }],
    ...evaluation,
  },
  ...extra,
});
/** 60 s datapoints from `from` on; null is a period without data. */
const points = (from: string, values: (number | null)[]): MetricPoint[] =>
  values.map((v, i) => ({ timestamp: new Date(Date.parse(`2026-11-23T${from}:00.000Z`) + i * 60_000).toISOString(), ...(v === null ? {} : { value: v }) }));
const impactEvent = (timeline: TimelineEvent[]) => timeline.find((e) => /^Impact (start|started)/.test(e.message));

describe('triageIncident: when impact started', () => {
  it('walks GetMetricData back from the alarm to the first breaching datapoint, over the look-back, and records where it came from', async () => {
    // The alarm (03:10) evaluated 03:07..03:09; the metric breached from 03:04 on.
    const { deps, timeline, patches, reads } = setup({
      alarms: { 'checkout-5xx-rate': measurable('checkout-5xx-rate') },
      series: { 'checkout-5xx-rate': points('03:00', [1, 2, 1, 0, 6, 7, 9, 9, 9, 9]) },
    });
    await triageIncident(deps, state);
    expect(reads).toEqual([{ metric: 'checkout-5xx-rate', from: '2026-11-23T02:10:00.000Z', to: ALARM_AT }]);
    expect(impactEvent(timeline)).toEqual({
      at: NOW.toISOString(),
      kind: 'triage',
      message: 'Impact started at 03:04:00 (first breaching datapoint of checkout-5xx-rate, GetMetricData, 6 breaching datapoints of 60 s); MTTD 360 s',
      data: {
        impactStartedAt: '2026-11-23T03:04:00.000Z',
        impactStartSource: 'metric-data',
        alarm: 'checkout-5xx-rate',
        alarmAt: ALARM_AT,
        datapoints: 6,
        complete: true,
        lookbackSeconds: 3600,
        read: 10,
      },
    });
    expect(patches[0]).toMatchObject({ impactStartedAt: '2026-11-23T03:04:00.000Z', impactStartSource: 'metric-data' });
  });

  it("takes the alarm's reason data when it shows where the run began, without reading the metric", async () => {
    // 3 of 5: the reason data has a datapoint that did not breach before the run.
    const signal = { ...state.signal, evaluated: { periodSeconds: 60, threshold: 5, comparison: 'GreaterThanThreshold', datapoints: points('03:05', [1, 2, 8, 9, 9]) } };
    const { deps, timeline, patches, reads } = setup({ alarms: { 'checkout-5xx-rate': measurable('checkout-5xx-rate', {}, { evaluationPeriods: 5, datapointsToAlarm: 3 }) } });
    await triageIncident(deps, { ...state, signal });
    expect(reads).toEqual([]);
    expect(impactEvent(timeline)!.message).toBe(
      "Impact started at 03:07:00 (first breaching datapoint of checkout-5xx-rate, the alarm's reason data, 3 breaching datapoints of 60 s); MTTD 180 s",
    );
    expect(patches[0]).toMatchObject({ impactStartedAt: '2026-11-23T03:07:00.000Z', impactStartSource: 'reason-data' });
  });

  it('walks down for a LessThan alarm, and ends the run at a missing datapoint', async () => {
    const { deps, patches } = setup({
      alarms: { 'checkout-5xx-rate': measurable('checkout-5xx-rate', { comparison: 'LessThanThreshold', threshold: 100 }) },
      series: { 'checkout-5xx-rate': points('03:00', [40, 500, null, 90, 80, 10, 0, 0, 0, 0]) },
    });
    await triageIncident(deps, state);
    expect(patches[0]).toMatchObject({ impactStartedAt: '2026-11-23T03:03:00.000Z', impactStartSource: 'metric-data' });
  });

  it('does not fail triage when GetMetricData fails: it keeps the reason data as a bound and says why', async () => {
    const signal = { ...state.signal, evaluated: { periodSeconds: 60, threshold: 5, comparison: 'GreaterThanThreshold', datapoints: points('03:07', [8, 9, 9]) } };
    const { deps, timeline, patches } = setup({
      alarms: { 'checkout-5xx-rate': measurable('checkout-5xx-rate') },
      series: { 'checkout-5xx-rate': new Error('User is not authorized to perform: cloudwatch:GetMetricData') },
    });
    await triageIncident(deps, { ...state, signal });
    expect(impactEvent(timeline)!.message).toBe(
      "Impact started at or before 03:07:00 (first breaching datapoint of checkout-5xx-rate, the alarm's reason data, 3 breaching datapoints of 60 s) (the run reaches the start of the data: it may have begun earlier); GetMetricData failed: User is not authorized to perform: cloudwatch:GetMetricData; MTTD 180 s",
    );
    expect(patches[0]).toMatchObject({ impactStartedAt: '2026-11-23T03:07:00.000Z', impactStartSource: 'reason-data' });
  });

  it('falls back to period × datapoints only when no datapoint is available, and says so', async () => {
    const { deps, timeline, patches } = setup({ alarms: { 'checkout-5xx-rate': measurable('checkout-5xx-rate') }, series: { 'checkout-5xx-rate': [] } });
    await triageIncident(deps, state);
    expect(impactEvent(timeline)!.message).toBe(
      'Impact start estimated at 03:07:00 (60 s period × datapoints to alarm before checkout-5xx-rate fired at 03:10:00, no datapoints measured; GetMetricData returned no datapoints over the 60 min look-back); MTTD 180 s',
    );
    expect(patches[0]).toMatchObject({ impactStartedAt: '2026-11-23T03:07:00.000Z', impactStartSource: 'estimated' });
  });

  it("takes a composite alarm's impact start from the earliest of its children that fired", async () => {
    const composite = workflowState({
      signal: {
        ...state.signal,
        kind: 'composite',
        triggeringChildren: [{ arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency', state: 'ALARM' }],
      },
    });
    const { deps, timeline, patches, reads } = setup({
      alarms: { 'checkout-5xx-rate': { name: 'checkout-5xx-rate', state: 'ALARM', kind: 'composite' } },
      children: {
        'checkout-5xx-rate': [
          measurable('errors', {}, { state: 'ALARM', stateTransitionedAt: '2026-11-23T03:09:00.000Z' }),
          measurable('latency', { threshold: 300 }, { state: 'ALARM', stateTransitionedAt: '2026-11-23T03:10:00.000Z' }),
          measurable('quiet', {}, { state: 'OK' }),
        ],
      },
      series: { errors: points('03:00', [1, 1, 1, 1, 1, 9, 9, 9, 9]), latency: points('03:00', [100, 100, 400, 400, 400, 400, 400, 400, 400, 400]) },
    });
    await triageIncident(deps, composite);
    // The triggering child named in the event is read; "quiet" and "errors" are not.
    expect(reads.map((r) => r.metric)).toEqual(['latency']);
    expect(impactEvent(timeline)!.message).toBe(
      'Impact started at 03:02:00 (first breaching datapoint of latency, child of composite checkout-5xx-rate, GetMetricData, 8 breaching datapoints of 60 s); MTTD 480 s',
    );
    expect(patches[0]).toMatchObject({ impactStartedAt: '2026-11-23T03:02:00.000Z', impactStartSource: 'metric-data' });

    // Without triggering children: every child in ALARM, the earliest start wins.
    const all = setup({
      alarms: { 'checkout-5xx-rate': { name: 'checkout-5xx-rate', state: 'ALARM', kind: 'composite' } },
      children: { 'checkout-5xx-rate': [measurable('errors', {}, { state: 'ALARM', stateTransitionedAt: '2026-11-23T03:09:00.000Z' }), measurable('quiet', {}, { state: 'OK' })] },
      series: { errors: points('03:00', [1, 1, 1, 1, 1, 9, 9, 9, 9]) },
    });
    await triageIncident(all.deps, workflowState({ signal: { ...state.signal, kind: 'composite' } }));
    expect(all.reads.map((r) => r.metric)).toEqual(['errors']);
    expect(all.patches[0]).toMatchObject({ impactStartedAt: '2026-11-23T03:05:00.000Z', impactStartSource: 'metric-data' });
  });
});
