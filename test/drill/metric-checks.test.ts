import { describe, expect, it } from '@jest/globals';

import { metricMismatches } from '../../drill/metric-checks.js';
import type { RecordedMetric } from '../../lambdas/adapters/memory-metrics.js';

const point = (name: string, value = 1): RecordedMetric => ({ name, value, unit: 'Count', dimensions: { service: 'checkout' }, at: '2026-11-23T03:10:00.000Z' });

describe('metricMismatches', () => {
  const incidents = [{ actions: [{ status: 'undone' }, { status: 'applied' }] }, { actions: [{ status: 'failed' }, { status: 'dry-run' }] }];

  it('agrees when every count equals its ledger: an undone action was applied first, a dry run is no change', () => {
    const records = [
      point('IncidentsOpened'),
      point('IncidentsOpened'),
      point('MitigationsApplied'),
      point('MitigationsApplied'),
      point('MitigationsFailed'),
      point('MitigationsReverted'),
      point('OpenIncidents', 2),
    ];
    expect(metricMismatches(records, incidents)).toEqual([]);
  });

  it('names each count that doubled or went missing', () => {
    const records = [
      point('IncidentsOpened'),
      point('IncidentsOpened'),
      point('IncidentsOpened'),
      point('MitigationsApplied'),
      point('MitigationsFailed'),
      point('MitigationsReverted'),
    ];
    expect(metricMismatches(records, incidents)).toEqual([
      'metric IncidentsOpened counted 3, the store has 2 incidents opened',
      'metric MitigationsApplied counted 1, the store has 2 actions applied',
    ]);
  });
});
