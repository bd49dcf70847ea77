import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { METRIC_DIMENSIONS, type MetricKey, METRICS, METRICS_NAMESPACE } from '../core/metrics.js';
import type { MetricDimensionsOf, MetricsSink } from '../operations/ports.js';
import { logger } from '../runtime/logger.js';

/**
 * Tourniquet's metrics over Powertools Metrics: CloudWatch embedded metric format (EMF) written to the
 * function's log, which CloudWatch turns into metrics. No PutMetricData call, no extra permission.
 *
 * One EMF document per datapoint (`singleMetric`), written when it is recorded: a handler that throws
 * afterwards (and most incident steps can) loses nothing, and nothing has to be flushed at the end of
 * an invocation. Each datapoint carries its own dimension values, which one shared buffer could not.
 * Powertools always adds a `service` dimension from `serviceName`: it is the metric's `service` value.
 */
export class PowertoolsMetricsSink implements MetricsSink {
  constructor(private readonly options: { readonly namespace?: string } = {}) {}

  record<K extends MetricKey>(key: K, value: number, dimensions: MetricDimensionsOf<K>, metadata: Readonly<Record<string, string>> = {}): void {
    const spec = METRICS[key];
    if (!Number.isFinite(value)) {
      // EMF would carry it as null, which CloudWatch drops; say so where someone will look.
      logger.warn('metric not published: its value is not a finite number', { metric: spec.name, value: String(value) });
      return;
    }
    try {
      const values = dimensions as Readonly<Record<string, string>>;
      const metric = new Metrics({ namespace: this.options.namespace ?? METRICS_NAMESPACE, serviceName: values[METRIC_DIMENSIONS.service], singleMetric: true });
      for (const name of spec.dimensions) if (name !== 'service') metric.addDimension(METRIC_DIMENSIONS[name], values[name]!);
      for (const [name, text] of Object.entries(metadata)) metric.addMetadata(name, text);
      metric.addMetric(spec.name, spec.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, value);
    } catch (error) {
      // A metric is never the reason an incident step fails.
      logger.warn('metric not published', { metric: spec.name, error: error as Error });
    }
  }
}
