import { describe, expect, it } from '@jest/globals';

import type { AlarmDescription } from '../../../lambdas/adapters/cloudwatch-alarms.js';
import { TransientAwsError } from '../../../lambdas/adapters/errors.js';
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
}

/** Triage over in-memory sources: what each returns (or throws), and what was written. */
function setup(fakes: Fakes = {}) {
  const timeline: TimelineEvent[] = [];
  const patches: IncidentPatch[] = [];
  const windows: { from: Date; to: Date }[] = [];
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
    clock: () => NOW,
  };
  return { deps, timeline, patches, windows };
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
    expect(timeline).toEqual([
      {
        at: NOW.toISOString(),
        kind: 'triage',
        message: 'Triage (30 min window): flag new-checkout-flow off → on (deployment #7 at 03:03:00); ECS deployment ecs-svc/123 of checkout:42 at 03:05:00 (PRIMARY)',
        data: { flagChanges: 1, ecsDeployments: 1, gaps: [], alarms: ['checkout-5xx-rate'] },
      },
    ]);
    expect(patches).toEqual([{ triage, impactStartedAt: '2026-11-23T03:07:00.000Z' }]);
  });

  it('says so when it finds nothing, and keeps an impact start already recorded', async () => {
    const { deps, timeline, patches } = setup({ incident: record({ impactStartedAt: '2026-11-23T03:01:00.000Z' }) });
    const triage = await triageIncident(deps, state);
    expect(timeline[0]!.message).toBe('Triage (30 min window): no deployment, flag change or symptom found');
    expect(patches).toEqual([{ triage, impactStartedAt: '2026-11-23T03:01:00.000Z' }]);
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
