import { describe, expect, it } from '@jest/globals';
import { computeMetrics, estimateImpactStart, renderPostmortem } from '../../../lambdas/core/postmortem.js';

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
      actions: ['feature-flag-off on flag new-checkout-flow'],
      metrics: computeMetrics(times, 'SEV2'),
    });
    for (const section of ['## Summary', '## Metrics', '## Timeline (UTC)', '## Root Cause', '## Impact', '## Action Items', '## Lessons Learned']) expect(text).toContain(section);
    expect(text).toContain('- 03:10:06 Incident opened');
    expect(text).toContain('MTTM (incident declared → service restored): 4 min (240 s)');
    expect(text).toContain('Tourniquet applied feature-flag-off on flag new-checkout-flow');
    expect(text).toContain('Duration: 7 min');
  });
});
