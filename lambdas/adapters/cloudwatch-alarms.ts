import {
  CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import * as z from 'zod';

import { AlarmEvaluationSchema, type AlarmQuery } from '../core/impact-start.js';
import { AlarmFactsSchema } from '../core/model.js';
import { AwsAccessDeniedError, AwsResourceNotFoundError, callAws } from './errors.js';

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
  /** StateReasonData: the JSON reason data of the current state (the datapoints a metric alarm evaluated). */
  stateReasonData: z.string().optional(),
  /** Metric alarms: how a datapoint breaches and which series is evaluated (triage measures impact start with it). */
  evaluation: AlarmEvaluationSchema.optional(),
});
export type AlarmDescription = z.infer<typeof AlarmDescriptionSchema>;

/** No metric or composite alarm has this exact name. */
export class AlarmNotFoundError extends AwsResourceNotFoundError {
  override readonly name: string = 'AlarmNotFoundError';
  constructor(readonly alarmName: string) {
    super(`CloudWatch alarm "${alarmName}" does not exist (no metric or composite alarm has this name)`);
  }
}

const WHY_STAR = 'DescribeAlarms returns composite alarms only when the policy\'s Resource is "*"';

/**
 * DescribeAlarms was denied. For a composite alarm that is what a policy scoped to alarm ARNs
 * gets: CloudWatch returns composite alarms only when the policy's Resource is `*`, which the
 * stack grants only for alarms marked `composite: true` in the config.
 */
export class AlarmAccessDeniedError extends AwsAccessDeniedError {
  override readonly name: string = 'AlarmAccessDeniedError';
  constructor(
    readonly alarmNames: readonly string[],
    /** True when the alarm is known to be composite (its children were being read). */
    readonly composite: boolean,
    options?: { cause?: unknown },
  ) {
    const quoted = alarmNames.map((n) => `"${n}"`).join(', ');
    super(
      composite
        ? `CloudWatch DescribeAlarms was denied for composite alarm ${quoted}: it needs "composite": true on its entry in the Tourniquet config ` +
            `(services[].alarms[]), because ${WHY_STAR}`
        : `CloudWatch DescribeAlarms was denied for ${alarmNames.length === 1 ? 'alarm' : 'alarms'} ${quoted}; a composite alarm needs "composite": true on its entry in the Tourniquet config ` +
            `(services[].alarms[]), because ${WHY_STAR}`,
      options,
    );
  }
}

/** AlarmNames takes at most 100 names per DescribeAlarms call. */
const MAX_NAMES_PER_CALL = 100;
const BOTH_TYPES = ['MetricAlarm', 'CompositeAlarm'] as const;

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
    const output = await this.#send({ AlarmNames: [name], AlarmTypes: [...BOTH_TYPES] }, [name], false);
    const found = describeFound(output).get(name);
    if (!found) throw new AlarmNotFoundError(name);
    return found;
  }

  /**
   * Describes several alarms, metric or composite, by exact name: one DescribeAlarms call per 100
   * names. The result follows the order of `names`.
   *
   * @throws AlarmNotFoundError naming the first alarm that does not exist
   * @throws AlarmAccessDeniedError when DescribeAlarms is denied (a composite alarm not marked `composite: true`)
   */
  async describeAlarms(names: readonly string[]): Promise<AlarmDescription[]> {
    const wanted = [...new Set(names)];
    const found = new Map<string, AlarmDescription>();
    for (let i = 0; i < wanted.length; i += MAX_NAMES_PER_CALL) {
      const chunk = wanted.slice(i, i + MAX_NAMES_PER_CALL);
      let nextToken: string | undefined;
      do {
        const output = await this.#send(
          { AlarmNames: chunk, AlarmTypes: [...BOTH_TYPES], MaxRecords: MAX_NAMES_PER_CALL, ...(nextToken ? { NextToken: nextToken } : {}) },
          chunk,
          false,
        );
        for (const [name, description] of describeFound(output)) if (chunk.includes(name)) found.set(name, description);
        nextToken = output.NextToken;
      } while (nextToken);
    }
    return names.map((name) => {
      const description = found.get(name);
      if (!description) throw new AlarmNotFoundError(name);
      return description;
    });
  }

  /**
   * Describes the alarms a composite alarm's rule names (metric and composite), fully: the
   * ChildrenOfAlarmName form of DescribeAlarms returns only names and states, so the children are
   * described again by name. Triage takes a composite's evaluation settings from them (the slowest
   * child decides how soon a mitigation can show) and verification names the children still in
   * ALARM. A composite child comes back with kind `composite`; its own children are one call away.
   * Empty for a metric alarm or an unknown name (CloudWatch answers those with no children).
   *
   * @throws AlarmAccessDeniedError when DescribeAlarms is denied: the alarm needs `composite: true` in the config
   */
  async describeCompositeChildren(name: string): Promise<AlarmDescription[]> {
    const children: string[] = [];
    let nextToken: string | undefined;
    do {
      // CloudWatch refuses any other parameter besides MaxRecords and NextToken with ChildrenOfAlarmName.
      const output = await this.#send({ ChildrenOfAlarmName: name, MaxRecords: MAX_NAMES_PER_CALL, ...(nextToken ? { NextToken: nextToken } : {}) }, [name], true);
      for (const a of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) if (a.AlarmName) children.push(a.AlarmName);
      nextToken = output.NextToken;
    } while (nextToken);
    if (children.length === 0) return [];
    try {
      return await this.describeAlarms(children.sort());
    } catch (error) {
      if (error instanceof AlarmAccessDeniedError) throw new AlarmAccessDeniedError([name], true, { cause: error });
      throw error;
    }
  }

  async #send(input: DescribeAlarmsCommandInput, names: readonly string[], composite: boolean): Promise<DescribeAlarmsCommandOutput> {
    const what = composite ? `children of composite alarm "${names[0]}"` : names.map((n) => `alarm "${n}"`).join(', ');
    try {
      return await callAws('CloudWatch DescribeAlarms', what, () => this.client.send(new DescribeAlarmsCommand(input)));
    } catch (error) {
      if (error instanceof AwsAccessDeniedError) throw new AlarmAccessDeniedError(names, composite, { cause: error });
      throw error;
    }
  }
}

/** The alarms of one DescribeAlarms answer, by name. */
function describeFound(output: DescribeAlarmsCommandOutput): Map<string, AlarmDescription> {
  const found = new Map<string, AlarmDescription>();
  for (const metric of output.MetricAlarms ?? []) if (metric.AlarmName) found.set(metric.AlarmName, describeMetricAlarm(metric.AlarmName, metric));
  for (const composite of output.CompositeAlarms ?? []) if (composite.AlarmName) found.set(composite.AlarmName, describeCompositeAlarm(composite.AlarmName, composite));
  return found;
}

function describeCompositeAlarm(name: string, composite: CompositeAlarm): AlarmDescription {
  return AlarmDescriptionSchema.parse({
    name,
    kind: 'composite',
    state: composite.StateValue ?? 'INSUFFICIENT_DATA',
    stateReason: composite.StateReason,
    stateUpdatedAt: composite.StateUpdatedTimestamp?.toISOString(),
    stateTransitionedAt: composite.StateTransitionedTimestamp?.toISOString(),
  });
}

function describeMetricAlarm(name: string, alarm: MetricAlarm): AlarmDescription {
  const queries = alarm.Metrics ?? [];
  const kind = queries.length === 0 ? 'metric' : queries.some((q) => q.Expression?.includes('ANOMALY_DETECTION_BAND')) ? 'anomaly-detection' : 'metric-math';
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
    stateReasonData: alarm.StateReasonData,
    evaluation: evaluationOf(alarm),
  });
}

/**
 * What GetMetricData needs to read back the series a metric alarm evaluates: its single metric
 * (Statistic or ExtendedStatistic) as one query, or its metric-math queries as they are.
 */
function evaluationOf(alarm: MetricAlarm): z.input<typeof AlarmEvaluationSchema> | undefined {
  if (!alarm.ComparisonOperator) return undefined;
  const stat = alarm.Statistic ?? alarm.ExtendedStatistic;
  const queries: AlarmQuery[] = alarm.Metrics?.length
    ? alarm.Metrics.filter((q) => q.Id).map(alarmQuery)
    : alarm.Namespace && alarm.MetricName && stat && positive(alarm.Period)
      ? [
          {
            id: 'm1',
            returnData: true,
            metricStat: {
              namespace: alarm.Namespace,
              metricName: alarm.MetricName,
              dimensions: (alarm.Dimensions ?? []).map((d) => ({ name: d.Name ?? '', value: d.Value ?? '' })),
              period: alarm.Period!,
              stat,
              ...(alarm.Unit ? { unit: alarm.Unit } : {}),
            },
          },
        ]
      : [];
  if (queries.length === 0) return undefined;
  return {
    comparison: alarm.ComparisonOperator,
    ...(alarm.Threshold !== undefined ? { threshold: alarm.Threshold } : {}),
    ...(alarm.ThresholdMetricId ? { thresholdMetricId: alarm.ThresholdMetricId } : {}),
    queries,
  };
}

function alarmQuery(q: MetricDataQuery): AlarmQuery {
  const m = q.MetricStat;
  return {
    id: q.Id!,
    // An alarm's Metrics name exactly one query with ReturnData true (the default when absent).
    returnData: q.ReturnData ?? true,
    ...(q.Expression ? { expression: q.Expression } : {}),
    ...(positive(q.Period) ? { period: q.Period } : {}),
    ...(q.Label ? { label: q.Label } : {}),
    ...(q.AccountId ? { accountId: q.AccountId } : {}),
    ...(m?.Metric?.Namespace && m.Metric.MetricName && m.Stat && positive(m.Period)
      ? {
          metricStat: {
            namespace: m.Metric.Namespace,
            metricName: m.Metric.MetricName,
            dimensions: (m.Metric.Dimensions ?? []).map((d) => ({ name: d.Name ?? '', value: d.Value ?? '' })),
            period: m.Period!,
            stat: m.Stat,
            ...(m.Unit ? { unit: m.Unit } : {}),
          },
        }
      : {}),
  };
}

/**
 * The period of a query-based alarm: that of the query whose data the alarm evaluates, else the
 * longest period among its metrics. The longest is the cautious choice, since it is what delays the
 * alarm's reaction the most.
 */
function queryPeriod(queries: readonly MetricDataQuery[]): number | undefined {
  const periods = (qs: readonly MetricDataQuery[]) => qs.map((q) => positive(q.MetricStat?.Period) ?? positive(q.Period)).filter((p): p is number => p !== undefined);
  const returned = periods(queries.filter((q) => q.ReturnData === true));
  const candidates = returned.length > 0 ? returned : periods(queries);
  return candidates.length > 0 ? Math.max(...candidates) : undefined;
}

const positive = (n: number | undefined): number | undefined => (typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined);
