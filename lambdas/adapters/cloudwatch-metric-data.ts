import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandOutput, type MetricDataQuery, type StandardUnit } from '@aws-sdk/client-cloudwatch';

import { type AlarmQuery, evaluatedQuery, type MetricPoint } from '../core/impact-start.js';
import { AwsOperationError, callAws } from './errors.js';

/**
 * Reads back the series a metric alarm evaluates, with GetMetricData: triage walks it back from
 * the alarm to the first breaching datapoint (lambdas/operations/impact-start.ts). GetMetricData
 * supports no resource-level permissions, so the triage function is granted it on `*`.
 */

/** Pages of one read at most: a look-back of at most a day at 60 s is 1,440 datapoints, far under one page (100,800). */
const MAX_PAGES = 10;

/** GetMetricData over `@aws-sdk/client-cloudwatch`. */
export class CloudWatchMetricDataAdapter {
  constructor(private readonly client: CloudWatchClient = new CloudWatchClient({})) {}

  /**
   * The datapoints of the alarm's evaluated series whose periods start in [from, to), oldest first,
   * across every page (NextToken). The other queries of a metric-math alarm are sent with
   * ReturnData false: the expression needs them, the answer does not.
   *
   * @throws AwsOperationError when CloudWatch answers the query with a Forbidden or InternalError status
   */
  async alarmSeries(queries: readonly AlarmQuery[], from: Date, to: Date): Promise<MetricPoint[]> {
    const evaluated = evaluatedQuery(queries);
    if (!evaluated) throw new AwsOperationError(`the alarm's queries name no single series to evaluate (${queries.map((q) => q.id).join(', ')})`);
    const metricDataQueries = queries.map((q) => toMetricDataQuery(q, q === evaluated));
    const what = describe(evaluated);
    const points = new Map<number, number>();
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const out: GetMetricDataCommandOutput = await callAws('CloudWatch GetMetricData', what, () =>
        this.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: metricDataQueries,
            StartTime: from,
            EndTime: to,
            ScanBy: 'TimestampAscending',
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      const result = out.MetricDataResults?.find((r) => r.Id === evaluated.id);
      if (result?.StatusCode === 'Forbidden' || result?.StatusCode === 'InternalError') {
        const message = (result.Messages ?? []).map((m) => m.Value ?? m.Code).join('; ');
        throw new AwsOperationError(`CloudWatch GetMetricData answered ${result.StatusCode} for ${what}${message ? `: ${message}` : ''}`);
      }
      (result?.Timestamps ?? []).forEach((t, i) => {
        const value = result?.Values?.[i];
        if (typeof value === 'number' && Number.isFinite(value)) points.set(new Date(t).getTime(), value);
      });
      nextToken = out.NextToken;
      pages += 1;
    } while (nextToken && pages < MAX_PAGES);
    return [...points.entries()].sort(([a], [b]) => a - b).map(([t, value]) => ({ timestamp: new Date(t).toISOString(), value }));
  }
}

function toMetricDataQuery(q: AlarmQuery, returned: boolean): MetricDataQuery {
  const m = q.metricStat;
  return {
    Id: q.id,
    ReturnData: returned,
    ...(q.expression ? { Expression: q.expression } : {}),
    ...(q.expression && q.period ? { Period: q.period } : {}),
    ...(q.label ? { Label: q.label } : {}),
    ...(q.accountId ? { AccountId: q.accountId } : {}),
    ...(m
      ? {
          MetricStat: {
            Metric: { Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions.map((d) => ({ Name: d.name, Value: d.value })) },
            Period: m.period,
            Stat: m.stat,
            ...(m.unit ? { Unit: m.unit as StandardUnit } : {}),
          },
        }
      : {}),
  };
}

function describe(q: AlarmQuery): string {
  if (q.expression) return `expression ${q.id} (${q.expression})`;
  const m = q.metricStat!;
  const dims = m.dimensions.length ? ` (${m.dimensions.map((d) => `${d.name}=${d.value}`).join(', ')})` : '';
  return `${m.namespace} ${m.metricName}${dims} ${m.stat} ${m.period}s`;
}
