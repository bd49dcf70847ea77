import { describe, expect, it } from '@jest/globals';

import type { TimelineEvent } from '../../../lambdas/core/model.js';
import { incidentPostmortem, metricsOf, postmortemActions } from '../../../lambdas/operations/postmortem.js';
import type { ActionRecord, IncidentRecord } from '../../../lambdas/store/incident-store.js';
import { checkout } from '../../fixtures/workflow.js';

const record: IncidentRecord = {
  incidentId: 'inc-1',
  service: 'checkout',
  alarmName: 'checkout-5xx-rate',
  alarms: ['checkout-5xx-rate', 'checkout-p99-latency'],
  severity: 'SEV2',
  status: 'RESOLVED',
  round: 1,
  openedAt: '2026-11-23T03:10:06.000Z',
  signal: {
    source: 'eventbridge',
    alarmName: 'checkout-5xx-rate',
    alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-rate',
    account: '123456789012',
    region: 'us-east-1',
    kind: 'metric',
    state: 'ALARM',
    stateChangeTime: '2026-11-23T03:10:00.000Z',
    reason: 'Threshold Crossed',
    metrics: [],
  },
  execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:x', name: 'x', startTime: '2026-11-23T03:10:05.000Z' },
  updatedAt: '2026-11-23T03:40:00.000Z',
  impactStartedAt: '2026-11-23T03:07:00.000Z',
  mitigatedAt: '2026-11-23T03:20:06.000Z',
  resolvedAt: '2026-11-23T03:30:00.000Z',
  pages: 0,
};

const action = (cursor: number, type: ActionRecord['type'], status: ActionRecord['status'], effect?: ActionRecord['effect']): ActionRecord => ({
  cursor,
  type,
  target: `target-${cursor}`,
  status,
  startedAt: '2026-11-23T03:12:00.000Z',
  ...(effect ? { effect } : {}),
});

describe('postmortemActions', () => {
  it('keeps what changed something, in ledger order, with its effect and whether it was reverted', () => {
    const actions = [
      action(101, 'route53-failover', 'applied', 'restored'),
      action(0, 'ecs-rollback', 'undone', 'no-effect'),
      action(1, 'feature-flag-off', 'dry-run'),
      action(2, 'waf-block', 'failed'),
      action(3, 'ecs-scale-out', 'already-applied'),
    ];
    const at = '2026-11-23T03:12:00.000Z';
    expect(postmortemActions(actions)).toEqual([
      { description: 'ecs-rollback on target-0', type: 'ecs-rollback', appliedAt: at, effect: 'no-effect', reverted: true },
      { description: 'ecs-scale-out on target-3', type: 'ecs-scale-out', appliedAt: at },
      { description: 'route53-failover on target-101', type: 'route53-failover', appliedAt: at, effect: 'restored' },
    ]);
  });
});

describe('metricsOf', () => {
  it('measures from the record: impact, alarm, opening and restoration', () => {
    expect(metricsOf(record)).toEqual({ mttdSeconds: 180, mttmSeconds: 600, mttrSeconds: 786, mitigationTargetMinutes: 120, withinTarget: true });
    expect(metricsOf({ ...record, mitigatedAt: undefined })).toMatchObject({ mttmSeconds: null, mttrSeconds: null, withinTarget: null });
  });
});

describe('incidentPostmortem', () => {
  const timeline: TimelineEvent[] = [
    { at: '2026-11-23T03:10:06.000Z', kind: 'incident-opened', message: 'Incident opened' },
    { at: '2026-11-23T03:25:00.000Z', kind: 'reopened', message: 'reopened: checkout-5xx-rate entered ALARM again' },
  ];
  const store = (incident: IncidentRecord, actions: ActionRecord[] = []) => ({
    getIncident: async () => incident,
    listTimeline: async () => timeline,
    listActions: async () => actions,
  });

  it('renders the draft from the record, the timeline and the ledger, with the alarm impact from the config', async () => {
    const text = await incidentPostmortem(
      {
        store: store(record, [action(0, 'ecs-rollback', 'undone', 'no-effect'), action(101, 'route53-failover', 'applied', 'restored')]),
        serviceFor: () => checkout,
        clock: () => new Date(0),
      },
      'inc-1',
    );
    expect(text).toContain('Service was restored by route53-failover on target-101');
    expect(text).toContain('These had no measurable effect: ecs-rollback on target-0 (reverted).');
    expect(text).toContain('Alarms in this episode: checkout-5xx-rate, checkout-p99-latency.');
    expect(text).toContain('re-opened the incident 1 time(s)');
    expect(text).toContain('- 03:25:00 reopened: checkout-5xx-rate entered ALARM again');
    expect(text).toContain('- Some customers see errors when they pay for their basket.');
  });

  it('calls an escalated incident escalated even if something was mitigated before, and an open one runs until now', async () => {
    const escalated = await incidentPostmortem(
      {
        store: store({ ...record, status: 'ACKNOWLEDGED', escalatedAt: '2026-11-23T03:28:00.000Z', resolvedAt: undefined, mitigatedAt: undefined }),
        clock: () => new Date('2026-11-23T04:10:00.000Z'),
      },
      'inc-1',
    );
    expect(escalated).toContain('Automation could not restore service and took no action; a human was paged.');
    expect(escalated).toContain('Duration: 1 h 3 min (not restored by automation)');
    expect(escalated).toContain('- Describe who was affected and how.');
  });
});
