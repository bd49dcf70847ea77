import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { METRIC_OUTCOMES, METRICS } from '../../../lambdas/core/metrics.js';

/** docs/observability.md, section "Metrics": its table is the vocabulary of lambdas/core/metrics.ts, row for row. */

const doc = readFileSync(new URL('../../../docs/observability.md', import.meta.url), 'utf8');

/** The rows of the first table under "## Metrics": metric name, unit, dimensions. */
function documentedMetrics(): { name: string; unit: string; dimensions: string[] }[] {
  const section = doc.slice(doc.indexOf('\n## Metrics\n'), doc.indexOf('\n## ', doc.indexOf('\n## Metrics\n') + 1));
  return section
    .split('\n')
    .filter((line) => /^\| `[A-Za-z]+` \|/.test(line))
    .map((line) => {
      const [name, unit, dimensions] = line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim());
      return { name: name!.replace(/`/g, ''), unit: unit!, dimensions: dimensions!.split(',').map((d) => d.trim()) };
    });
}

describe('the metrics vocabulary and its documentation', () => {
  it('docs/observability.md lists exactly the metrics of METRICS, with their units and dimension sets', () => {
    const specs = Object.values(METRICS).map((m) => ({ name: m.name, unit: m.unit, dimensions: [...m.dimensions] }));
    expect(documentedMetrics()).toEqual(specs);
  });

  it('names every outcome value of the metrics that have one', () => {
    const section = doc.slice(doc.indexOf('\n## Metrics\n'), doc.indexOf('\n## Dashboard and alarms'));
    for (const [key, outcomes] of Object.entries(METRIC_OUTCOMES)) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${METRICS[key as keyof typeof METRIC_OUTCOMES].name}\` |`))!;
      for (const outcome of outcomes) expect({ metric: key, mentions: row.includes(`\`${outcome}\``) }).toEqual({ metric: key, mentions: true });
    }
  });

  it('metric names are unique and every metric is published with a service dimension (Powertools always adds one)', () => {
    const names = Object.values(METRICS).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.values(METRICS).filter((m) => !(m.dimensions as readonly string[]).includes('service'))).toEqual([]);
  });
});
