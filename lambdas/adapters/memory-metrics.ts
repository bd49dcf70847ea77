import { type MetricKey, METRICS } from '../core/metrics.js';
import type { MetricDimensionsOf, MetricsSink } from '../operations/ports.js';

/** One datapoint as recorded: the CloudWatch name and unit, its dimension values, and when (the clock's time). */
export interface RecordedMetric {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'Seconds';
  readonly dimensions: Readonly<Record<string, string>>;
  readonly at: string;
}

/** Keeps datapoints in memory, stamped with the clock's time: the drill (virtual time) and tests read them back instead of a log. */
export class MemoryMetricsSink implements MetricsSink {
  readonly records: RecordedMetric[] = [];

  constructor(private readonly clock: () => Date = () => new Date()) {}

  record<K extends MetricKey>(key: K, value: number, dimensions: MetricDimensionsOf<K>): void {
    const spec = METRICS[key];
    this.records.push({ name: spec.name, value, unit: spec.unit, dimensions: { ...(dimensions as Readonly<Record<string, string>>) }, at: this.clock().toISOString() });
  }

  /** The datapoints of one metric, optionally only those whose dimensions include `where`. */
  find(name: string, where: Readonly<Record<string, string>> = {}): RecordedMetric[] {
    return this.records.filter((r) => r.name === name && Object.entries(where).every(([k, v]) => r.dimensions[k] === v));
  }
}

/** Publishes nothing: the operator's commands run on a laptop, where no function log turns EMF into metrics. */
export const NO_METRICS: MetricsSink = { record: () => undefined };
