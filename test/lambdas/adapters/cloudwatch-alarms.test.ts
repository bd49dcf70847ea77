import { beforeEach, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { AlarmNotFoundError, CloudWatchAlarmsAdapter } from '../../../lambdas/adapters/cloudwatch-alarms.js';
import { AwsAccessDeniedError, AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { sdkError } from './sdk-errors.js';

const cloudwatch = mockClient(CloudWatchClient);
const NAME = 'checkout-5xx-rate';

const metricAlarm = (extra: Partial<MetricAlarm>): MetricAlarm => ({
  AlarmName: NAME,
  AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${NAME}`,
  StateValue: 'ALARM',
  StateReason: 'Threshold Crossed: 3 out of the last 3 datapoints were greater than the threshold (5.0).',
  StateUpdatedTimestamp: new Date('2026-11-02T10:21:30Z'),
  StateTransitionedTimestamp: new Date('2026-11-02T10:21:00Z'),
  ComparisonOperator: 'GreaterThanThreshold',
  Threshold: 5,
  ...extra,
});

describe('CloudWatchAlarmsAdapter.describeAlarm', () => {
  const adapter = new CloudWatchAlarmsAdapter(cloudwatch as unknown as CloudWatchClient);

  beforeEach(() => {
    cloudwatch.reset();
  });

  it('describes a single-metric alarm', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm({ Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3 })],
      CompositeAlarms: [],
    });

    await expect(adapter.describeAlarm(NAME)).resolves.toEqual({
      name: NAME,
      kind: 'metric',
      state: 'ALARM',
      periodSeconds: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      stateReason: 'Threshold Crossed: 3 out of the last 3 datapoints were greater than the threshold (5.0).',
      stateUpdatedAt: '2026-11-02T10:21:30.000Z',
      stateTransitionedAt: '2026-11-02T10:21:00.000Z',
    });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: [NAME], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
  });

  it('defaults DatapointsToAlarm to EvaluationPeriods', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm({ Period: 10, EvaluationPeriods: 3 })] });

    await expect(adapter.describeAlarm(NAME)).resolves.toMatchObject({ periodSeconds: 10, evaluationPeriods: 3, datapointsToAlarm: 3 });
  });

  it('takes the period of a metric-math alarm from the returned query', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm({
          EvaluationPeriods: 3,
          DatapointsToAlarm: 2,
          Metrics: [
            { Id: 'errors', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count' }, Period: 60, Stat: 'Sum' } },
            { Id: 'requests', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount' }, Period: 60, Stat: 'Sum' } },
            { Id: 'rate', ReturnData: true, Expression: '100 * errors / requests', Label: '5xx rate' },
          ],
        }),
      ],
    });

    await expect(adapter.describeAlarm(NAME)).resolves.toMatchObject({ kind: 'metric-math', periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2 });
  });

  it('prefers the MetricStat period of the returned query', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm({
          EvaluationPeriods: 2,
          Metrics: [
            { Id: 'm1', ReturnData: true, MetricStat: { Metric: { Namespace: 'App', MetricName: 'Errors' }, Period: 30, Stat: 'Sum' } },
            { Id: 'm2', ReturnData: false, MetricStat: { Metric: { Namespace: 'App', MetricName: 'Other' }, Period: 300, Stat: 'Sum' } },
          ],
        }),
      ],
    });

    await expect(adapter.describeAlarm(NAME)).resolves.toMatchObject({ periodSeconds: 30 });
  });

  it('recognises an anomaly-detection alarm and uses its metric period', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm({
          ComparisonOperator: 'GreaterThanUpperThreshold',
          ThresholdMetricId: 'ad1',
          EvaluationPeriods: 3,
          Metrics: [
            { Id: 'm1', ReturnData: true, MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'TargetResponseTime' }, Period: 300, Stat: 'p99' } },
            { Id: 'ad1', ReturnData: true, Expression: 'ANOMALY_DETECTION_BAND(m1, 2)' },
          ],
        }),
      ],
    });

    await expect(adapter.describeAlarm(NAME)).resolves.toMatchObject({ kind: 'anomaly-detection', periodSeconds: 300, datapointsToAlarm: 3 });
  });

  it('describes a composite alarm without period settings', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [],
      CompositeAlarms: [
        {
          AlarmName: NAME,
          AlarmRule: 'ALARM("a") OR ALARM("b")',
          StateValue: 'OK',
          StateReason: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a transitioned to OK',
          StateUpdatedTimestamp: new Date('2026-11-02T10:40:00Z'),
        },
      ],
    });

    await expect(adapter.describeAlarm(NAME)).resolves.toEqual({
      name: NAME,
      kind: 'composite',
      state: 'OK',
      stateReason: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a transitioned to OK',
      stateUpdatedAt: '2026-11-02T10:40:00.000Z',
    });
  });

  it('throws AlarmNotFoundError, a kind of AwsResourceNotFoundError, when no alarm has the name', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });

    const error = await adapter.describeAlarm(NAME).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlarmNotFoundError);
    expect(error).toBeInstanceOf(AwsResourceNotFoundError);
    expect((error as Error).name).toBe('AlarmNotFoundError');
    expect((error as Error).message).toContain(`"${NAME}"`);
  });

  it('maps CloudWatch throttling ("Throttling") to TransientAwsError', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(sdkError('Throttling', 'Rate exceeded'));

    await expect(adapter.describeAlarm(NAME)).rejects.toThrow(TransientAwsError);
  });

  it('maps access denied to AwsAccessDeniedError', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(sdkError('AccessDenied', 'not authorized to perform: cloudwatch:DescribeAlarms', { status: 403 }));

    await expect(adapter.describeAlarm(NAME)).rejects.toThrow(AwsAccessDeniedError);
  });
});
