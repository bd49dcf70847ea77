import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import type { MitigationType } from '../core/mitigation-types.js';

/** CloudWatch namespace of Tourniquet's own metrics. */
export const METRICS_NAMESPACE = 'Tourniquet';
/** 1 when the mitigation could run on the target now, 0 when not; dimensions `service` and `mitigation`. */
export const MITIGATION_READY_METRIC = 'MitigationReady';

/** What the metric is about: one target of one mitigation of one service. */
export interface ReadinessDatapoint {
  readonly service: string;
  readonly type: MitigationType;
  readonly target: string;
  readonly ready: boolean;
}

/**
 * The `MitigationReady` metric over Powertools Metrics (CloudWatch embedded metric format, written to
 * the function's log; no PutMetricData call, no extra permission). One EMF document per target, so two
 * kill-switch flags of a service are two datapoints of the same series: alarm on its Minimum to catch
 * any target not ready. The target goes in as metadata (searchable in the log, not a dimension).
 */
export class PowertoolsReadinessMetrics {
  constructor(private readonly options: { namespace?: string } = {}) {}

  record(point: ReadinessDatapoint): void {
    // Powertools fills the `service` dimension from serviceName: the Tourniquet service the target belongs to.
    const metric = new Metrics({ namespace: this.options.namespace ?? METRICS_NAMESPACE, serviceName: point.service, singleMetric: true });
    metric.addDimension('mitigation', point.type);
    metric.addMetadata('target', point.target);
    metric.addMetric(MITIGATION_READY_METRIC, MetricUnit.Count, point.ready ? 1 : 0);
  }
}
