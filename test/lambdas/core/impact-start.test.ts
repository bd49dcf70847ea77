import { describe, expect, it } from '@jest/globals';

import { breaches, breachingRun, impactStartMessage, judgeable, lookbackSeconds, type MetricPoint, reasonDataPoints } from '../../../lambdas/core/impact-start.js';

const ALARM_AT = '2026-11-23T03:10:07.415Z';
/** Datapoints of 60 s periods from 03:00 on, one per value; null is a period without data. */
const series = (values: readonly (number | null)[], from = '2026-11-23T03:00:00.000Z'): MetricPoint[] =>
  values.map((value, i) => ({ timestamp: new Date(Date.parse(from) + i * 60_000).toISOString(), ...(value === null ? {} : { value }) }));
const above5 = { comparison: 'GreaterThanThreshold', threshold: 5 };

describe('breaches', () => {
  it('compares as the operator says, a missing value never breaching', () => {
    expect([4, 5, 6].map((v) => breaches(above5, v))).toEqual([false, false, true]);
    expect([4, 5, 6].map((v) => breaches({ comparison: 'GreaterThanOrEqualToThreshold', threshold: 5 }, v))).toEqual([false, true, true]);
    expect([4, 5, 6].map((v) => breaches({ comparison: 'LessThanThreshold', threshold: 5 }, v))).toEqual([true, false, false]);
    expect([4, 5, 6].map((v) => breaches({ comparison: 'LessThanOrEqualToThreshold', threshold: 5 }, v))).toEqual([true, true, false]);
    expect(breaches(above5, undefined)).toBe(false);
  });

  it('judges static thresholds only: an anomaly band needs its own series', () => {
    expect(judgeable('GreaterThanThreshold', 5)).toBe(true);
    expect(judgeable('LessThanLowerOrGreaterThanUpperThreshold', 5)).toBe(false);
    expect(judgeable('GreaterThanThreshold', undefined)).toBe(false);
    expect(() => breaches({ comparison: 'GreaterThanUpperThreshold', threshold: 1 }, 2)).toThrow(/static thresholds only/);
  });
});

describe('breachingRun', () => {
  it('walks back from the alarm while datapoints breach: the first one that does not ends the run', () => {
    // 03:00..03:09: ok until 03:05, breaching from 03:05 on; the alarm fired at 03:10:07.
    const run = breachingRun(series([1, 1, 1, 1, 2, 6, 7, 8, 9, 9]), { rule: above5, periodSeconds: 60, alarmAt: ALARM_AT, evaluationPeriods: 3 });
    expect(run).toEqual({ startedAt: '2026-11-23T03:05:00.000Z', datapoints: 5, complete: true });
  });

  it('walks down for LessThan alarms (a throughput drop)', () => {
    const rule = { comparison: 'LessThanThreshold', threshold: 100 };
    expect(breachingRun(series([500, 480, 90, 40, 10, 0]), { rule, periodSeconds: 60, alarmAt: '2026-11-23T03:06:00.000Z', evaluationPeriods: 3 })).toEqual({
      startedAt: '2026-11-23T03:02:00.000Z',
      datapoints: 4,
      complete: true,
    });
  });

  it('ends the run at a missing datapoint, and says the run is partial when it reaches the start of the data', () => {
    expect(breachingRun(series([9, 9, null, 9, 9, 9]), { rule: above5, periodSeconds: 60, alarmAt: '2026-11-23T03:06:00.000Z' })).toEqual({
      startedAt: '2026-11-23T03:03:00.000Z',
      datapoints: 3,
      complete: true,
    });
    expect(breachingRun(series([9, 9, 9]), { rule: above5, periodSeconds: 60, alarmAt: '2026-11-23T03:03:00.000Z' })).toEqual({
      startedAt: '2026-11-23T03:00:00.000Z',
      datapoints: 3,
      complete: false,
    });
    // Data known complete from 02:58: the periods before 03:00 were really empty, so the run is whole.
    expect(breachingRun(series([9, 9, 9]), { rule: above5, periodSeconds: 60, alarmAt: '2026-11-23T03:03:00.000Z', coveredFrom: '2026-11-23T02:58:00.000Z' })).toMatchObject({
      complete: true,
    });
  });

  it('ignores datapoints of periods still running when the alarm fired, and anchors on the newest breaching one of the evaluation window', () => {
    // 03:09 does not breach (a 2-of-3 alarm); 03:10 had not ended when the alarm fired at 03:10:07.
    const points = series([1, 1, 1, 1, 1, 1, 1, 7, 8, 2, 50]);
    expect(breachingRun(points, { rule: above5, periodSeconds: 60, alarmAt: ALARM_AT, evaluationPeriods: 3 })).toEqual({
      startedAt: '2026-11-23T03:07:00.000Z',
      datapoints: 2,
      complete: true,
    });
  });

  it('finds no run when nothing in the evaluation window breaches (the data does not show what the alarm saw)', () => {
    expect(breachingRun(series([9, 9, 1, 1, 1, 1, 1, 1, 1, 1]), { rule: above5, periodSeconds: 60, alarmAt: ALARM_AT, evaluationPeriods: 3 })).toBeUndefined();
    expect(breachingRun([], { rule: above5, periodSeconds: 60, alarmAt: ALARM_AT })).toBeUndefined();
  });
});

describe('reasonDataPoints', () => {
  it('places recent values only when they fit the span to the newest evaluated datapoint', () => {
    const data = {
      startDate: '2026-11-23T03:07:00.000Z',
      period: 60,
      recentDatapoints: [7, 8.5, 9.25],
      evaluatedDatapoints: [{ timestamp: '2026-11-23T03:09:00.000Z', value: 9.25 }],
    };
    expect(reasonDataPoints(data)).toEqual(series([7, 8.5, 9.25], '2026-11-23T03:07:00.000Z'));
    expect(reasonDataPoints({ ...data, recentDatapoints: [7, 9.25] })).toEqual([{ timestamp: '2026-11-23T03:09:00.000Z', value: 9.25 }]);
  });

  it('without evaluated datapoints, places them when the last one is the last period that ended before the query', () => {
    const data = { queryDate: '2026-11-23T03:10:07.000Z', startDate: '2026-11-23T03:07:00.000Z', period: 60, recentDatapoints: [7, 8.5, 9.25] };
    expect(reasonDataPoints(data)).toHaveLength(3);
    expect(reasonDataPoints({ ...data, queryDate: '2026-11-23T03:12:07.000Z' })).toEqual([]);
  });
});

describe('lookbackSeconds', () => {
  it('is ten evaluation ranges, at least an hour, at most a day, at most 3 h for high-resolution periods', () => {
    expect(lookbackSeconds(60, 3)).toBe(3600);
    expect(lookbackSeconds(300, 3)).toBe(9000);
    expect(lookbackSeconds(3600, 24)).toBe(86_400);
    expect(lookbackSeconds(10, 1000)).toBe(3 * 3600);
  });
});

describe('impactStartMessage', () => {
  it('names the source, the run and the MTTD it gives', () => {
    expect(
      impactStartMessage({
        at: '2026-11-23T03:05:00.000Z',
        source: 'metric-data',
        alarmName: 'checkout-5xx-rate',
        alarmAt: ALARM_AT,
        datapoints: 5,
        complete: true,
        periodSeconds: 60,
      }),
    ).toBe('Impact started at 03:05:00 (first breaching datapoint of checkout-5xx-rate, GetMetricData, 5 breaching datapoints of 60 s); MTTD 307 s');
    expect(
      impactStartMessage({
        at: '2026-11-23T03:07:00.000Z',
        source: 'reason-data',
        alarmName: 'checkout-5xx-rate',
        alarmAt: ALARM_AT,
        datapoints: 3,
        complete: false,
        periodSeconds: 60,
        because: 'GetMetricData failed: AccessDenied',
      }),
    ).toBe(
      "Impact started at or before 03:07:00 (first breaching datapoint of checkout-5xx-rate, the alarm's reason data, 3 breaching datapoints of 60 s) (the run reaches the start of the data: it may have begun earlier); GetMetricData failed: AccessDenied; MTTD 187 s",
    );
    expect(
      impactStartMessage({
        at: '2026-11-23T03:07:07.415Z',
        source: 'estimated',
        alarmName: 'a',
        alarmAt: ALARM_AT,
        periodSeconds: 60,
        because: 'GetMetricData returned no datapoints',
      }),
    ).toBe(
      'Impact start estimated at 03:07:07 (60 s period × datapoints to alarm before a fired at 03:10:07, no datapoints measured; GetMetricData returned no datapoints); MTTD 180 s',
    );
  });
});
