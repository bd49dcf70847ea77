import { describe, expect, it } from '@jest/globals';

import { decide } from '../../../lambdas/core/decision.js';
import { describeRecord, median, type MitigationRecord, MTTM_SAMPLES_KEPT, withRecords, withSample } from '../../../lambdas/core/learning.js';
import { checkout, mixedChangeTriage, triage } from '../../fixtures/workflow.js';

const record = (overrides: Partial<MitigationRecord>): MitigationRecord => ({
  service: 'checkout',
  type: 'feature-flag-off',
  tried: 0,
  effective: 0,
  ineffective: 0,
  reverted: 0,
  escalated: 0,
  mttmSamples: [],
  ...overrides,
});

describe('learning records', () => {
  it('takes the median of odd and even counts, and none of nothing', () => {
    expect(median([])).toBeNull();
    expect(median([300, 60, 120])).toBe(120);
    expect(median([60, 120, 300, 600])).toBe(210);
  });

  it('keeps the newest samples only, oldest first', () => {
    let samples: number[] = [];
    for (let i = 0; i < MTTM_SAMPLES_KEPT + 3; i++) samples = withSample(samples, i);
    expect(samples).toHaveLength(MTTM_SAMPLES_KEPT);
    expect(samples[0]).toBe(3);
    expect(samples.at(-1)).toBe(MTTM_SAMPLES_KEPT + 2);
  });

  it('says a record in one line people read', () => {
    expect(describeRecord(record({ tried: 8, effective: 7, ineffective: 1, reverted: 1, mttmSamples: [180, 240, 300] }), 'kill switch')).toBe(
      'kill switch: restored 7 of 8 times for checkout (1 no effect, 1 reverted; median MTTM 4 min)',
    );
    expect(describeRecord(record({ type: 'ecs-rollback', tried: 1, escalated: 1 }), 'rollback')).toBe('rollback: restored 0 of 1 time for checkout (1 escalated)');
  });

  it('adds each candidate its record, and never reorders the matrix, however much better a later candidate did', () => {
    const plan = decide(mixedChangeTriage(), checkout);
    expect(plan.candidates.map((c) => c.type)).toEqual(['feature-flag-off', 'ecs-rollback']);
    const records = [
      record({ type: 'feature-flag-off', tried: 5, effective: 0, ineffective: 5, reverted: 5 }),
      record({ type: 'ecs-rollback', tried: 9, effective: 9, mttmSamples: [120] }),
    ];
    const informed = withRecords(plan, records, (type) => (type === 'feature-flag-off' ? 'kill switch' : 'rollback'));

    expect(informed.candidates.map((c) => c.type)).toEqual(['feature-flag-off', 'ecs-rollback']);
    expect(informed.candidates.map((c) => ({ ...c, rationale: '' }))).toEqual(plan.candidates.map((c) => ({ ...c, rationale: '' })));
    expect({ ...informed, candidates: [], rationale: '' }).toEqual({ ...plan, candidates: [], rationale: '' });
    expect(informed.candidates[0]!.rationale).toBe(`${plan.candidates[0]!.rationale} Track record: kill switch: restored 0 of 5 times for checkout (5 no effect, 5 reverted).`);
    expect(informed.candidates[1]!.rationale).toContain('Track record: rollback: restored 9 of 9 times for checkout (median MTTM 2 min).');
    expect(informed.rationale).toBe(
      `${plan.rationale} Track record (informs, does not reorder): kill switch: restored 0 of 5 times for checkout (5 no effect, 5 reverted); rollback: restored 9 of 9 times for checkout (median MTTM 2 min).`,
    );
  });

  it('leaves a plan alone when no candidate has a record', () => {
    const plan = decide(triage(), checkout);
    expect(withRecords(plan, [record({ type: 'waf-block', tried: 3, effective: 3 })])).toBe(plan);
    expect(withRecords(plan, [])).toBe(plan);
  });
});
