import { describe, expect, it } from '@jest/globals';

import { computeMetrics, describeOutcomeOfActions, estimateImpactStart, renderPostmortem } from '../../../lambdas/core/postmortem.js';

const times = {
  impactStartedAt: '2026-11-23T03:07:00.000Z',
  alarmAt: '2026-11-23T03:10:00.000Z',
  openedAt: '2026-11-23T03:10:06.000Z',
  mitigatedAt: '2026-11-23T03:14:06.000Z',
};

describe('metrics', () => {
  it('estimates impact start as M periods before the transition', () => {
    expect(estimateImpactStart('2026-11-23T03:10:00.000Z', 60, 3)).toBe('2026-11-23T03:07:00.000Z');
    expect(estimateImpactStart('2026-11-23T03:10:00.000Z', undefined, 3)).toBeUndefined();
  });

  it('computes MTTD, MTTM and MTTR as the seeds define them', () => {
    expect(computeMetrics(times, 'SEV2')).toEqual({ mttdSeconds: 180, mttmSeconds: 240, mttrSeconds: 426, mitigationTargetMinutes: 120, withinTarget: true });
  });

  it('leaves MTTM and MTTR unknown when service was not restored', () => {
    expect(computeMetrics({ ...times, mitigatedAt: undefined }, 'SEV1')).toMatchObject({ mttmSeconds: null, mttrSeconds: null, withinTarget: null });
  });

  it('flags a missed target', () => {
    expect(computeMetrics({ ...times, mitigatedAt: '2026-11-23T03:50:00.000Z' }, 'SEV1').withinTarget).toBe(false);
  });
});

describe('postmortem draft', () => {
  it('has every section of the template and the timeline', () => {
    const text = renderPostmortem({
      incidentId: 'inc-1',
      service: 'checkout',
      alarmName: 'checkout-5xx-rate',
      severity: 'SEV2',
      times,
      closedAt: '2026-11-23T03:14:10.000Z',
      outcome: 'mitigated',
      timeline: [{ at: '2026-11-23T03:10:06.000Z', kind: 'incident-opened', message: 'Incident opened' }],
      actions: [{ description: 'feature-flag-off on flag new-checkout-flow', effect: 'restored' }],
      metrics: computeMetrics(times, 'SEV2'),
    });
    for (const section of ['## Summary', '## Metrics', '## Timeline (UTC)', '## Root Cause', '## Impact', '## Action Items', '## Lessons Learned']) expect(text).toContain(section);
    expect(text).toContain('- 03:10:06 Incident opened');
    expect(text).toContain('MTTM (incident declared → service restored): 4 min (240 s)');
    expect(text).toContain('Service was restored by feature-flag-off on flag new-checkout-flow: the alarms returned to OK at 2026-11-23 03:14 UTC.');
    expect(text).toContain('Duration: 7 min');
    expect(text).not.toContain('no measurable effect');
  });

  const base = {
    incidentId: 'inc-1',
    service: 'checkout',
    alarmName: 'checkout-5xx-rate',
    severity: 'SEV2' as const,
    times,
    closedAt: '2026-11-23T03:30:00.000Z',
    timeline: [],
    metrics: computeMetrics(times, 'SEV2'),
  };

  it('names the action that restored service and the ones that had no measurable effect, reverted or kept', () => {
    const text = renderPostmortem({
      ...base,
      outcome: 'mitigated',
      actions: [
        { description: 'feature-flag-off on flag new-checkout-flow', effect: 'no-effect' },
        { description: 'ecs-rollback on shop-prod/checkout', effect: 'no-effect', reverted: true },
        { description: 'route53-failover on api.example.com', effect: 'restored' },
      ],
      alarms: ['checkout-5xx-rate', 'checkout-p99-latency'],
      rounds: 1,
    });
    expect(text).toContain('Service was restored by route53-failover on api.example.com');
    expect(text).toContain('These had no measurable effect: feature-flag-off on flag new-checkout-flow (kept in place); ecs-rollback on shop-prod/checkout (reverted).');
    expect(text).toContain('Alarms in this episode: checkout-5xx-rate, checkout-p99-latency.');
    expect(text).toContain('re-opened the incident 1 time(s)');
    // Only what is still in place needs undoing.
    expect(text).toContain('undo the mitigation in place (feature-flag-off on flag new-checkout-flow, route53-failover on api.example.com)');
  });

  it('says automation could not restore service when escalated, listing what it tried', () => {
    const tried = renderPostmortem({
      ...base,
      times: { ...times, mitigatedAt: undefined },
      outcome: 'escalated',
      actions: [{ description: 'ecs-rollback on shop-prod/checkout', effect: 'no-effect' }],
    });
    expect(tried).toContain('Automation could not restore service (tried ecs-rollback on shop-prod/checkout); a human was paged.');
    expect(tried).toContain('(not restored by automation)');
    const none = renderPostmortem({ ...base, times: { ...times, mitigatedAt: undefined }, outcome: 'escalated', actions: [] });
    expect(none).toContain('Automation could not restore service and took no action; a human was paged.');
  });
});

describe('describeOutcomeOfActions', () => {
  it('takes the last restoring action, lists the ineffective ones, and joins the rest in order', () => {
    expect(
      describeOutcomeOfActions([
        { description: 'a', effect: 'restored' },
        { description: 'b', effect: 'no-effect', reverted: true },
        { description: 'c', effect: 'restored' },
        { description: 'd' },
      ]),
    ).toEqual({ restoredBy: 'c', ineffective: ['b (reverted)'], list: 'a, then b, then c, then d' });
    expect(describeOutcomeOfActions([])).toEqual({ restoredBy: undefined, ineffective: [], list: '' });
  });
});
