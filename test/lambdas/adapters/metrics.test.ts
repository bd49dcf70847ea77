import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import { PowertoolsMetricsSink } from '../../../lambdas/adapters/metrics.js';
import { METRICS_NAMESPACE, SELF_SERVICE } from '../../../lambdas/core/metrics.js';

/**
 * The Powertools adapter writes one CloudWatch embedded-metric-format (EMF) document per datapoint to
 * stdout, which Lambda sends to the function's log group; CloudWatch turns it into the metric. The
 * tests read the documents back from stdout.
 */

interface EmfDocument {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

let lines: string[];
let write: jest.SpiedFunction<typeof process.stdout.write>;
beforeEach(() => {
  lines = [];
  write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
});
afterEach(() => write.mockRestore());

const documents = (): EmfDocument[] =>
  lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfDocument);

describe('PowertoolsMetricsSink', () => {
  it('writes each datapoint at once as its own EMF document: namespace Tourniquet, exactly the spec dimensions, the spec unit', () => {
    const sink = new PowertoolsMetricsSink();
    sink.record('mitigationOutcome', 1, { service: 'checkout', mitigation: 'feature-flag-off', outcome: 'effective' });
    expect(documents()).toHaveLength(1);
    sink.record('mttm', 95, { service: 'checkout', severity: 'SEV2' });
    sink.record('openIncidents', 0, { service: SELF_SERVICE });

    const [outcome, mttm, open] = documents();
    expect(outcome!._aws.CloudWatchMetrics).toEqual([
      { Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'mitigation', 'outcome']], Metrics: [{ Name: 'MitigationOutcome', Unit: 'Count' }] },
    ]);
    expect(outcome).toMatchObject({ service: 'checkout', mitigation: 'feature-flag-off', outcome: 'effective', MitigationOutcome: 1 });
    expect(mttm!._aws.CloudWatchMetrics).toEqual([{ Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'severity']], Metrics: [{ Name: 'MTTM', Unit: 'Seconds' }] }]);
    expect(mttm).toMatchObject({ service: 'checkout', severity: 'SEV2', MTTM: 95 });
    // Metrics about Tourniquet itself carry the SELF_SERVICE value (Powertools always publishes `service`); a zero is published, not skipped.
    expect(open!._aws.CloudWatchMetrics).toEqual([{ Namespace: METRICS_NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: 'OpenIncidents', Unit: 'Count' }] }]);
    expect(open).toMatchObject({ service: 'Tourniquet', OpenIncidents: 0 });
  });

  it('MitigationReady: one document per target, value 1 or 0, the target as metadata (searchable in the log, no dimension)', () => {
    const sink = new PowertoolsMetricsSink();
    sink.record('mitigationReady', 0, { service: 'checkout', mitigation: 'feature-flag-off' }, { target: 'flag new-checkout-flow (chk4app/prd5env/flg6prf)' });
    sink.record('mitigationReady', 1, { service: 'checkout', mitigation: 'feature-flag-off' }, { target: 'flag express-pay (chk4app/prd5env/flg6prf)' });

    const docs = documents();
    expect(docs).toHaveLength(2);
    expect(docs[0]!._aws.CloudWatchMetrics).toEqual([
      { Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'mitigation']], Metrics: [{ Name: 'MitigationReady', Unit: 'Count' }] },
    ]);
    expect(docs.map((d) => [d['service'], d['mitigation'], d['target'], d['MitigationReady']])).toEqual([
      ['checkout', 'feature-flag-off', 'flag new-checkout-flow (chk4app/prd5env/flg6prf)', 0],
      ['checkout', 'feature-flag-off', 'flag express-pay (chk4app/prd5env/flg6prf)', 1],
    ]);
  });

  it('nothing is lost when the handler throws after recording: the document is already written', async () => {
    const sink = new PowertoolsMetricsSink();
    const step = async () => {
      sink.record('mitigationsApplied', 1, { service: 'checkout', mitigation: 'ecs-rollback' });
      throw new Error('the next write failed');
    };
    await expect(step()).rejects.toThrow('the next write failed');
    expect(documents().map((d) => d['MitigationsApplied'])).toEqual([1]);
  });

  it('a value that is not a finite number is logged, not published, and nothing throws', () => {
    const sink = new PowertoolsMetricsSink();
    expect(() => sink.record('mttd', Number.NaN, { service: 'checkout', severity: 'SEV2' })).not.toThrow();
    expect(documents().filter((d) => 'MTTD' in d)).toEqual([]);
  });
});

describe('MemoryMetricsSink', () => {
  it('keeps name, value, unit, dimensions and the clock time of each datapoint', () => {
    const sink = new MemoryMetricsSink(() => new Date('2026-11-23T03:12:00.000Z'));
    sink.record('brakeEvents', 1, { service: 'cart', outcome: 'budget' });
    sink.record('mttr', 240, { service: 'cart', severity: 'SEV3' });
    expect(sink.records).toEqual([
      { name: 'BrakeEvents', value: 1, unit: 'Count', dimensions: { service: 'cart', outcome: 'budget' }, at: '2026-11-23T03:12:00.000Z' },
      { name: 'MTTR', value: 240, unit: 'Seconds', dimensions: { service: 'cart', severity: 'SEV3' }, at: '2026-11-23T03:12:00.000Z' },
    ]);
    expect(sink.find('BrakeEvents', { outcome: 'budget' })).toHaveLength(1);
    expect(sink.find('BrakeEvents', { outcome: 'pause' })).toEqual([]);
    expect(lines).toEqual([]);
  });
});
