/**
 * Tourniquet's own CloudWatch metrics: one vocabulary shared by the functions that emit them
 * (Powertools Metrics, embedded metric format), the dashboard and the self-monitoring alarms in the
 * stack (lib/constructs/observability.ts), and the docs (docs/observability.md).
 *
 * Every metric is in the `Tourniquet` namespace. Dimensions come from {@link METRIC_DIMENSIONS}; each
 * metric names the set it is published with, so the dashboard can ask for exactly that series
 * (CloudWatch treats every dimension combination as its own metric).
 */

/** CloudWatch namespace of every Tourniquet metric. */
export const METRICS_NAMESPACE = 'Tourniquet';

/** Dimension names. `service` is the Tourniquet service (config `services[].name`). */
export const METRIC_DIMENSIONS = {
  service: 'service',
  severity: 'severity',
  mitigation: 'mitigation',
  /** What happened: for a mitigation's verdict `effective` | `ineffective` | `escalated`; for a brake `budget` | `cooldown` | `resource-limit` | `pause`; for an approval `granted` | `rejected` | `timed-out`. */
  outcome: 'outcome',
} as const;

/**
 * The `service` value of metrics about Tourniquet as a whole (open incidents, approvals waiting).
 * Powertools Metrics always publishes a `service` dimension, so these carry this one.
 */
export const SELF_SERVICE = 'Tourniquet';

export type MetricDimension = keyof typeof METRIC_DIMENSIONS;

/** One metric: its name, unit and the dimension set it is published with. */
export interface MetricSpec {
  readonly name: string;
  readonly unit: 'Count' | 'Seconds';
  readonly dimensions: readonly MetricDimension[];
  readonly description: string;
}

/** Keeps each metric's dimension tuple in its type, so an emitter must give exactly those dimension values. */
const spec = <const D extends readonly MetricDimension[]>(name: string, unit: MetricSpec['unit'], dimensions: D, description: string): MetricSpec & { readonly dimensions: D } => ({
  name,
  unit,
  dimensions,
  description,
});

/** Every metric Tourniquet publishes. */
export const METRICS = {
  incidentsOpened: spec('IncidentsOpened', 'Count', ['service', 'severity'], 'an incident was opened (not a join, not a re-open)'),
  mitigationsApplied: spec('MitigationsApplied', 'Count', ['service', 'mitigation'], 'a mitigation changed the account (dry runs and already-applied excluded)'),
  mitigationsFailed: spec('MitigationsFailed', 'Count', ['service', 'mitigation'], 'a mitigation was attempted and the AWS call failed'),
  mitigationsReverted: spec('MitigationsReverted', 'Count', ['service', 'mitigation'], 'a mitigation was undone (as ineffective, or by tourniquet undo)'),
  mitigationOutcome: spec(
    'MitigationOutcome',
    'Count',
    ['service', 'mitigation', 'outcome'],
    "verification's verdict on an applied mitigation: effective | ineffective | escalated",
  ),
  mttd: spec('MTTD', 'Seconds', ['service', 'severity'], 'impact started (first breaching datapoint) → alarm; published when the incident is mitigated or escalated'),
  mttm: spec('MTTM', 'Seconds', ['service', 'severity'], 'incident declared → service restored; published when verification says restored'),
  mttr: spec('MTTR', 'Seconds', ['service', 'severity'], 'impact started → service restored; published when verification says restored'),
  approvalsRequested: spec('ApprovalsRequested', 'Count', ['service', 'mitigation'], 'an approval request was sent'),
  approvalsDecided: spec('ApprovalsDecided', 'Count', ['service', 'mitigation', 'outcome'], 'an approval was granted | rejected | timed-out'),
  escalations: spec('Escalations', 'Count', ['service', 'severity'], 'an incident was escalated to a human (first page of the episode)'),
  brakeEvents: spec('BrakeEvents', 'Count', ['service', 'outcome'], 'the brake stopped a change: budget | cooldown | resource-limit | pause'),
  mitigationReady: spec('MitigationReady', 'Count', ['service', 'mitigation'], '1 when a mitigation could act on its target now, 0 when not (scheduled readiness check)'),
  openIncidents: spec('OpenIncidents', 'Count', ['service'], 'incidents not RESOLVED (status cadence, every run; service = SELF_SERVICE)'),
  approvalsWaiting: spec('ApprovalsWaiting', 'Count', ['service'], 'approval requests not yet decided (status cadence, every run; service = SELF_SERVICE)'),
  openIncidentsWithoutPage: spec(
    'OpenIncidentsWithoutPage',
    'Count',
    ['service'],
    'incidents not RESOLVED with no page for 24 h (status cadence, every run; service = SELF_SERVICE); alarmed',
  ),
  chatPublishFailures: spec(
    'ChatPublishFailures',
    'Count',
    ['service'],
    'the chat copy of a status update or page could not be published; the email copy went out (service = SELF_SERVICE)',
  ),
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/**
 * The `outcome` values of the metrics that have that dimension: the dashboard asks for each series
 * by name, so a value missing here is a series nobody sees.
 */
export const METRIC_OUTCOMES = {
  mitigationOutcome: ['effective', 'ineffective', 'escalated'],
  approvalsDecided: ['granted', 'rejected', 'timed-out'],
  brakeEvents: ['budget', 'cooldown', 'resource-limit', 'pause'],
} as const satisfies Partial<Record<MetricKey, readonly string[]>>;
