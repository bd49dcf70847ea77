import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod';
import { AlarmFactsSchema } from '../core/model.js';
import { AwsResourceNotFoundError, callAws } from './errors.js';

/**
 * The alarm as CloudWatch holds it now: its state (verification reads it) and its evaluation
 * settings (period × datapoints decide how soon a mitigation can show in the alarm).
 */

/** AlarmFacts plus what DescribeAlarms adds about the current state. */
export const AlarmDescriptionSchema = AlarmFactsSchema.extend({
  kind: z.enum(['metric', 'metric-math', 'anomaly-detection', 'composite']),
  stateReason: z.string().optional(),
  /** Last change of the state or of its reason. */
  stateUpdatedAt: z.iso.datetime({ offset: true }).optional(),
  /** Last change of the state value itself. */
  stateTransitionedAt: z.iso.datetime({ offset: true }).optional(),
});
export type AlarmDescription = z.infer<typeof AlarmDescriptionSchema>;

/** No metric or composite alarm has this exact name. */
export class AlarmNotFoundError extends AwsResourceNotFoundError {
  override readonly name: string = 'AlarmNotFoundError';
  constructor(readonly alarmName: string) {
    super(`CloudWatch alarm "${alarmName}" does not exist (no metric or composite alarm has this name)`);
  }
}

/** CloudWatch alarm reads over `@aws-sdk/client-cloudwatch`. */
export class CloudWatchAlarmsAdapter {
  constructor(private readonly client: CloudWatchClient = new CloudWatchClient({})) {}

  /**
   * Describes one alarm by exact name. Metric alarms report `Period`, `EvaluationPeriods` and
   * `DatapointsToAlarm` (which defaults to `EvaluationPeriods`); metric-math and anomaly-detection
   * alarms carry the period in their metric queries; composite alarms have no period.
   *
   * @throws AlarmNotFoundError when no alarm has this name
   */
  async describeAlarm(name: string): Promise<AlarmDescription> {
    const output = await callAws('CloudWatch DescribeAlarms', `alarm "${name}"`, () =>
      this.client.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })),
    );
    const metric = output.MetricAlarms?.find((a) => a.AlarmName === name);
    if (metric) return describeMetricAlarm(name, metric);
    const composite = output.CompositeAlarms?.find((a) => a.AlarmName === name);
    if (composite) {
      return AlarmDescriptionSchema.parse({
        name,
        kind: 'composite',
        state: composite.StateValue ?? 'INSUFFICIENT_DATA',
        stateReason: composite.StateReason,
        stateUpdatedAt: composite.StateUpdatedTimestamp?.toISOString(),
        stateTransitionedAt: composite.StateTransitionedTimestamp?.toISOString(),
      });
    }
    throw new AlarmNotFoundError(name);
  }
}

function describeMetricAlarm(name: string, alarm: MetricAlarm): AlarmDescription {
  const queries = alarm.Metrics ?? [];
  const kind = queries.length === 0
    ? 'metric'
    : queries.some((q) => q.Expression?.includes('ANOMALY_DETECTION_BAND'))
      ? 'anomaly-detection'
      : 'metric-math';
  const evaluationPeriods = positive(alarm.EvaluationPeriods);
  return AlarmDescriptionSchema.parse({
    name,
    kind,
    state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
    periodSeconds: positive(alarm.Period) ?? queryPeriod(queries),
    evaluationPeriods,
    datapointsToAlarm: positive(alarm.DatapointsToAlarm) ?? evaluationPeriods,
    stateReason: alarm.StateReason,
    stateUpdatedAt: alarm.StateUpdatedTimestamp?.toISOString(),
    stateTransitionedAt: alarm.StateTransitionedTimestamp?.toISOString(),
  });
}

/**
 * The period of a query-based alarm: that of the query whose data the alarm evaluates, else the
 * longest period among its metrics. The longest is the cautious choice, since it is what delays the
 * alarm's reaction the most.
 */
function queryPeriod(queries: readonly MetricDataQuery[]): number | undefined {
  const periods = (qs: readonly MetricDataQuery[]) =>
    qs.map((q) => positive(q.MetricStat?.Period) ?? positive(q.Period)).filter((p): p is number => p !== undefined);
  const returned = periods(queries.filter((q) => q.ReturnData === true));
  const candidates = returned.length > 0 ? returned : periods(queries);
  return candidates.length > 0 ? Math.max(...candidates) : undefined;
}

const positive = (n: number | undefined): number | undefined => (typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined);
