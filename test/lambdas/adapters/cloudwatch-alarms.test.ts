import { CloudWatchClient, type CompositeAlarm, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AlarmAccessDeniedError, AlarmNotFoundError, CloudWatchAlarmsAdapter } from '../../../lambdas/adapters/cloudwatch-alarms.js';
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
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([{ AlarmNames: [NAME], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }]);
  });

  it('describes what triage needs to read the evaluated series back: the metric, the comparison and the reason data', async () => {
    const reasonData = '{"version":"1.0","period":60,"threshold":5.0,"evaluatedDatapoints":[{"timestamp":"2026-11-02T10:20:00.000+0000","value":9.0}]}';
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm({
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'TargetResponseTime',
          Dimensions: [{ Name: 'LoadBalancer', Value: 'app/shop/1' }],
          ExtendedStatistic: 'p99',
          Unit: 'Seconds',
          Period: 60,
          EvaluationPeriods: 3,
          ComparisonOperator: 'LessThanThreshold',
          Threshold: 0.5,
          StateReasonData: reasonData,
        }),
      ],
    });

    await expect(adapter.describeAlarm(NAME)).resolves.toMatchObject({
      stateReasonData: reasonData,
      evaluation: {
        comparison: 'LessThanThreshold',
        threshold: 0.5,
        queries: [
          {
            id: 'm1',
            returnData: true,
            metricStat: {
              namespace: 'AWS/ApplicationELB',
              metricName: 'TargetResponseTime',
              dimensions: [{ name: 'LoadBalancer', value: 'app/shop/1' }],
              period: 60,
              stat: 'p99',
              unit: 'Seconds',
            },
          },
        ],
      },
    });
  });

  it("keeps a metric-math alarm's queries as they are for GetMetricData", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm({
          EvaluationPeriods: 3,
          Metrics: [
            { Id: 'errors', ReturnData: false, MetricStat: { Metric: { Namespace: 'App', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' } },
            { Id: 'rate', ReturnData: true, Expression: '100 * errors / 7', Label: 'rate' },
          ],
        }),
      ],
    });

    expect((await adapter.describeAlarm(NAME)).evaluation).toEqual({
      comparison: 'GreaterThanThreshold',
      threshold: 5,
      queries: [
        { id: 'errors', returnData: false, metricStat: { namespace: 'App', metricName: 'Errors', dimensions: [], period: 60, stat: 'Sum' } },
        { id: 'rate', returnData: true, expression: '100 * errors / 7', label: 'rate' },
      ],
    });
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

const compositeAlarm = (name: string, extra: Partial<CompositeAlarm> = {}): CompositeAlarm => ({
  AlarmName: name,
  AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
  AlarmRule: 'ALARM("checkout-5xx-rate") OR ALARM("checkout-p99-latency")',
  StateValue: 'ALARM',
  StateReason: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${NAME} transitioned to ALARM at Monday 02 November, 2026 10:21:00 UTC`,
  StateUpdatedTimestamp: new Date('2026-11-02T10:21:00Z'),
  StateTransitionedTimestamp: new Date('2026-11-02T10:21:00Z'),
  ...extra,
});

describe('CloudWatchAlarmsAdapter.describeAlarms', () => {
  const adapter = new CloudWatchAlarmsAdapter(cloudwatch as unknown as CloudWatchClient);

  beforeEach(() => {
    cloudwatch.reset();
  });

  it('describes metric and composite alarms in one call, in the order asked', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm({ Period: 60, EvaluationPeriods: 3 })],
      CompositeAlarms: [compositeAlarm('checkout-unhealthy')],
    });

    const described = await adapter.describeAlarms(['checkout-unhealthy', NAME]);

    expect(described.map((d) => [d.name, d.kind, d.state, d.periodSeconds])).toEqual([
      ['checkout-unhealthy', 'composite', 'ALARM', undefined],
      [NAME, 'metric', 'ALARM', 60],
    ]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['checkout-unhealthy', NAME], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
    ]);
  });

  it('makes one call per 100 names and follows NextToken', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) => {
      // The first chunk answers in two pages, to follow the token.
      const page = input.AlarmNames.length === 100 ? (input.NextToken ? input.AlarmNames.slice(50) : input.AlarmNames.slice(0, 50)) : input.AlarmNames;
      return {
        MetricAlarms: page.map((AlarmName) => ({ ...metricAlarm({ Period: 60, EvaluationPeriods: 1 }), AlarmName })),
        ...(input.AlarmNames.length === 100 && !input.NextToken ? { NextToken: 'page-2' } : {}),
      };
    });

    const described = await adapter.describeAlarms(names);

    expect(described.map((d) => d.name)).toEqual(names);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => [c.args[0].input.AlarmNames!.length, c.args[0].input.NextToken])).toEqual([
      [100, undefined],
      [100, 'page-2'],
      [50, undefined],
    ]);
  });

  it('throws AlarmNotFoundError naming the missing alarm', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm({})], CompositeAlarms: [] });

    const error = await adapter.describeAlarms([NAME, 'ghost']).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlarmNotFoundError);
    expect((error as AlarmNotFoundError).alarmName).toBe('ghost');
    expect((error as Error).message).toContain('"ghost"');
  });

  it('makes no call for no names', async () => {
    await expect(adapter.describeAlarms([])).resolves.toEqual([]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('turns access denied into AlarmAccessDeniedError, which says what a composite alarm needs', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(sdkError('AccessDenied', 'not authorized to perform: cloudwatch:DescribeAlarms', { status: 403 }));

    const error = await adapter.describeAlarms(['checkout-unhealthy']).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlarmAccessDeniedError);
    expect(error).toBeInstanceOf(AwsAccessDeniedError);
    expect((error as Error).name).toBe('AlarmAccessDeniedError');
    expect((error as Error).message).toBe(
      'CloudWatch DescribeAlarms was denied for alarm "checkout-unhealthy"; a composite alarm needs "composite": true on its entry in the Tourniquet config ' +
        '(services[].alarms[]), because DescribeAlarms returns composite alarms only when the policy\'s Resource is "*"',
    );
    expect((error as Error).cause).toBeInstanceOf(AwsAccessDeniedError);
    expect(((error as Error).cause as Error).message).toContain('not authorized to perform: cloudwatch:DescribeAlarms');
  });
});

describe('CloudWatchAlarmsAdapter.describeCompositeChildren', () => {
  const adapter = new CloudWatchAlarmsAdapter(cloudwatch as unknown as CloudWatchClient);
  const COMPOSITE = 'checkout-unhealthy';

  beforeEach(() => {
    cloudwatch.reset();
  });

  it('lists the children (paginated, short form) and describes them fully by name', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { ChildrenOfAlarmName: COMPOSITE })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: NAME, StateValue: 'ALARM' }], CompositeAlarms: [], NextToken: 't2' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'checkout-p99-latency', StateValue: 'OK' }], CompositeAlarms: [{ AlarmName: 'payments-unhealthy', StateValue: 'OK' }] });
    cloudwatch.on(DescribeAlarmsCommand, { AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }).resolves({
      MetricAlarms: [
        metricAlarm({ Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 3 }),
        metricAlarm({ AlarmName: 'checkout-p99-latency', StateValue: 'OK', Period: 300, EvaluationPeriods: 2 }),
      ],
      CompositeAlarms: [compositeAlarm('payments-unhealthy', { StateValue: 'OK' })],
    });

    const children = await adapter.describeCompositeChildren(COMPOSITE);

    expect(children.map((c) => [c.name, c.kind, c.state, c.periodSeconds, c.evaluationPeriods])).toEqual([
      ['checkout-5xx-rate', 'metric', 'ALARM', 60, 3],
      ['checkout-p99-latency', 'metric', 'OK', 300, 2],
      ['payments-unhealthy', 'composite', 'OK', undefined, undefined],
    ]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { ChildrenOfAlarmName: COMPOSITE, MaxRecords: 100 },
      { ChildrenOfAlarmName: COMPOSITE, MaxRecords: 100, NextToken: 't2' },
      { AlarmNames: ['checkout-5xx-rate', 'checkout-p99-latency', 'payments-unhealthy'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
    ]);
  });

  it('returns nothing for an alarm without children (a metric alarm, or no alarm)', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });

    await expect(adapter.describeCompositeChildren(NAME)).resolves.toEqual([]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it('says the composite needs composite: true when DescribeAlarms is denied', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(sdkError('AccessDeniedException', 'User is not authorized to perform: cloudwatch:DescribeAlarms on resource: *', { status: 403 }));

    const error = await adapter.describeCompositeChildren(COMPOSITE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlarmAccessDeniedError);
    expect(error).toMatchObject({ name: 'AlarmAccessDeniedError', alarmNames: [COMPOSITE], composite: true });
    expect((error as Error).message).toMatch(/^CloudWatch DescribeAlarms was denied for composite alarm "checkout-unhealthy": it needs "composite": true/);
  });

  it('keeps throttling retryable', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(sdkError('Throttling', 'Rate exceeded'));

    await expect(adapter.describeCompositeChildren(COMPOSITE)).rejects.toThrow(TransientAwsError);
  });
});
