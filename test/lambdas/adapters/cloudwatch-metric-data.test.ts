import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { CloudWatchMetricDataAdapter } from '../../../lambdas/adapters/cloudwatch-metric-data.js';
import { AwsAccessDeniedError, AwsOperationError } from '../../../lambdas/adapters/errors.js';
import { type AlarmQuery, evaluatedQuery } from '../../../lambdas/core/impact-start.js';
import { sdkError } from './sdk-errors.js';

const cloudwatch = mockClient(CloudWatchClient);
const adapter = new CloudWatchMetricDataAdapter(cloudwatch as unknown as CloudWatchClient);
const FROM = new Date('2026-11-23T02:10:00.000Z');
const TO = new Date('2026-11-23T03:10:00.000Z');
const single: AlarmQuery[] = [
  {
    id: 'm1',
    returnData: true,
    metricStat: { namespace: 'Shop', metricName: 'ErrorRate', dimensions: [{ name: 'Service', value: 'checkout' }], period: 60, stat: 'p99', unit: 'Percent' },
  },
];
const at = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00.000Z`);

describe('CloudWatchMetricDataAdapter.alarmSeries', () => {
  beforeEach(() => {
    cloudwatch.reset();
  });

  it("reads the alarm's metric over the window and returns its datapoints oldest first", async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm1', StatusCode: 'Complete', Timestamps: [at('03:08'), at('03:07')], Values: [9, 7] }] });

    await expect(adapter.alarmSeries(single, FROM, TO)).resolves.toEqual([
      { timestamp: '2026-11-23T03:07:00.000Z', value: 7 },
      { timestamp: '2026-11-23T03:08:00.000Z', value: 9 },
    ]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        StartTime: FROM,
        EndTime: TO,
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          {
            Id: 'm1',
            ReturnData: true,
            MetricStat: { Metric: { Namespace: 'Shop', MetricName: 'ErrorRate', Dimensions: [{ Name: 'Service', Value: 'checkout' }] }, Period: 60, Stat: 'p99', Unit: 'Percent' },
          },
        ],
      },
    ]);
  });

  it('follows NextToken across pages (PartialData) and joins the pages', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'm1', StatusCode: 'PartialData', Timestamps: [at('03:05'), at('03:06')], Values: [6, 7] }], NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'm1', StatusCode: 'Complete', Timestamps: [at('03:07')], Values: [8] }] });

    expect((await adapter.alarmSeries(single, FROM, TO)).map((p) => p.value)).toEqual([6, 7, 8]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
  });

  it("sends a metric-math alarm's queries, only the evaluated expression returning data", async () => {
    const math: AlarmQuery[] = [
      { id: 'errors', returnData: false, metricStat: { namespace: 'App', metricName: 'Errors', dimensions: [], period: 60, stat: 'Sum' } },
      { id: 'rate', returnData: true, expression: '100 * errors / 7', period: 60 },
    ];
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'rate', StatusCode: 'Complete', Timestamps: [at('03:07')], Values: [12] }] });

    await expect(adapter.alarmSeries(math, FROM, TO)).resolves.toEqual([{ timestamp: '2026-11-23T03:07:00.000Z', value: 12 }]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries).toEqual([
      { Id: 'errors', ReturnData: false, MetricStat: { Metric: { Namespace: 'App', MetricName: 'Errors', Dimensions: [] }, Period: 60, Stat: 'Sum' } },
      { Id: 'rate', ReturnData: true, Expression: '100 * errors / 7', Period: 60 },
    ]);
  });

  it('classifies a denied call and refuses a Forbidden answer with its message', async () => {
    cloudwatch.on(GetMetricDataCommand).rejects(sdkError('AccessDeniedException', 'not authorized to perform: cloudwatch:GetMetricData'));
    await expect(adapter.alarmSeries(single, FROM, TO)).rejects.toBeInstanceOf(AwsAccessDeniedError);

    cloudwatch.reset();
    cloudwatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'm1', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'cross-account read refused' }] }] });
    await expect(adapter.alarmSeries(single, FROM, TO)).rejects.toThrow(
      new AwsOperationError('CloudWatch GetMetricData answered Forbidden for Shop ErrorRate (Service=checkout) p99 60s: cross-account read refused'),
    );
  });
});

describe('evaluatedQuery', () => {
  it('is the one query that returns data, or the non-band one of an anomaly-detection alarm', () => {
    expect(evaluatedQuery(single)?.id).toBe('m1');
    const band: AlarmQuery[] = [
      { id: 'm1', returnData: true, metricStat: single[0]!.metricStat! },
      { id: 'ad1', returnData: true, expression: 'ANOMALY_DETECTION_BAND(m1, 2)' },
    ];
    expect(evaluatedQuery(band)?.id).toBe('m1');
  });
});
