import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { AlarmEventInvalidError, MAX_EVENT_BYTES, MAX_REASON_CHARS, parseAlarmEvent, parseAlarmEventText } from '../../../lambdas/core/alarm-event.js';
import { AlarmSignalSchema } from '../../../lambdas/core/signal.js';

const FIXTURES = new URL('../../fixtures/events/', import.meta.url);

function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** A fresh, mutable copy of a fixture. */
function fixture(name: string): any {
  return JSON.parse(fixtureText(name));
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** Runs `fn`, expects an AlarmEventInvalidError, and returns it. */
function invalid(fn: () => unknown): AlarmEventInvalidError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AlarmEventInvalidError);
    const e = error as AlarmEventInvalidError;
    expect(e.name).toBe('AlarmEventInvalidError');
    expect(e.message).not.toMatch(/[\r\n]/);
    return e;
  }
  throw new Error('expected AlarmEventInvalidError, but parsing succeeded');
}

const ALL_FIXTURES = [
  'eventbridge-single-metric.json',
  'eventbridge-single-metric-3-of-3.json',
  'eventbridge-metric-math.json',
  'eventbridge-anomaly-detection.json',
  'eventbridge-composite.json',
  'sns-lambda-single-metric.json',
  'sns-lambda-multi-record.json',
  'sns-notification-anomaly-detection.json',
  'classic-alarm-composite.json',
];

describe('parseAlarmEvent: EventBridge "CloudWatch Alarm State Change"', () => {
  it('normalizes a single-metric alarm (AWS documented sample)', () => {
    expect(only(parseAlarmEvent(fixture('eventbridge-single-metric.json')))).toEqual({
      source: 'eventbridge',
      alarmName: 'ServerCpuTooHigh',
      alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
      account: '123456789012',
      region: 'us-east-1',
      kind: 'metric',
      state: 'ALARM',
      previousState: 'OK',
      stateChangeTime: '2019-10-02T17:04:40.989Z',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
      metrics: [{ id: 'm1', description: 'AWS/EC2 CPUUtilization (InstanceId=i-12345678901234567) Average 300s', returnData: true }],
      condition: 'GreaterThanThreshold 50 for 1 of 1 x 300s',
      // No evaluatedDatapoints in this older sample: the one recent datapoint is placed at startDate, the last period before queryDate.
      evaluated: { periodSeconds: 300, threshold: 50, comparison: 'GreaterThanThreshold', datapoints: [{ timestamp: '2019-10-02T16:59:00.000Z', value: 99.50160229693434 }] },
    });
  });

  it('normalizes a metric-math alarm, keeping query ids and which one returns data', () => {
    const signal = only(parseAlarmEvent(fixture('eventbridge-metric-math.json')));
    expect(signal.kind).toBe('metric-math');
    expect(signal.alarmName).toBe('TotalNetworkTrafficTooHigh');
    expect(signal.previousState).toBe('INSUFFICIENT_DATA');
    expect(signal.stateChangeTime).toBe('2019-10-02T17:20:48.554Z');
    expect(signal.metrics).toEqual([
      { id: 'e1', description: 'SUM(METRICS()) (label: Total Network Traffic)', returnData: true },
      { id: 'm1', description: 'AWS/EC2 NetworkIn (InstanceId=i-12345678901234567) Maximum 300s', returnData: false },
      { id: 'm2', description: 'AWS/EC2 NetworkOut (InstanceId=i-12345678901234567) Maximum 300s', returnData: false },
    ]);
    expect(signal.condition).toBe('GreaterThanThreshold 10000 for 1 of 1 x 300s');
    expect(signal.triggeringChildren).toBeUndefined();
  });

  it('normalizes an anomaly-detection alarm, naming the band as the threshold', () => {
    const signal = only(parseAlarmEvent(fixture('eventbridge-anomaly-detection.json')));
    expect(signal.kind).toBe('anomaly-detection');
    expect(signal.alarmName).toBe('EC2 CPU Utilization Anomaly');
    expect(signal.alarmArn).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:EC2 CPU Utilization Anomaly');
    expect(signal.metrics).toEqual([
      { id: 'm1', description: 'AWS/EC2 CPUUtilization (InstanceId=i-12345678901234567) Average 60s', returnData: true },
      { id: 'ad1', description: 'ANOMALY_DETECTION_BAND(m1, 0.8) (label: CPUUtilization (expected))', returnData: true },
    ]);
    expect(signal.condition).toBe('LessThanLowerOrGreaterThanUpperThreshold band ad1 for 1 of 1 x 60s');
  });

  it('uses configuration.thresholdMetricId as the band when present', () => {
    const event = fixture('eventbridge-anomaly-detection.json');
    event.detail.configuration.thresholdMetricId = 'band';
    event.detail.configuration.metrics[1].id = 'band';
    const signal = only(parseAlarmEvent(event));
    expect(signal.kind).toBe('anomaly-detection');
    expect(signal.condition).toBe('LessThanLowerOrGreaterThanUpperThreshold band band for 1 of 1 x 60s');
  });

  it('normalizes a composite alarm with its triggering children and rule', () => {
    expect(only(parseAlarmEvent(fixture('eventbridge-composite.json')))).toEqual({
      source: 'eventbridge',
      alarmName: 'ServiceAggregatedAlarm',
      alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServiceAggregatedAlarm',
      account: '123456789012',
      region: 'us-east-1',
      kind: 'composite',
      state: 'ALARM',
      previousState: 'OK',
      stateChangeTime: '2022-07-22T15:57:45.394Z',
      reason: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh transitioned to ALARM at Friday 22 July, 2022 15:57:45 UTC',
      metrics: [],
      condition: 'ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)',
      triggeringChildren: [{ arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh', state: 'ALARM' }],
    });
  });

  it('gives a composite alarm without reasonData an empty list of children', () => {
    const event = fixture('eventbridge-composite.json');
    delete event.detail.state.reasonData;
    expect(only(parseAlarmEvent(event)).triggeringChildren).toEqual([]);
  });

  it('does not take the "-> OK" minimum as the datapoints to alarm', () => {
    const event = fixture('eventbridge-single-metric.json');
    event.detail.state = event.detail.previousState;
    const signal = only(parseAlarmEvent(event));
    expect(signal.state).toBe('OK');
    expect(signal.condition).toBe('GreaterThanThreshold 50 over 1 x 300s');
  });

  it('keeps a single-metric alarm without reasonData, with what the reason says', () => {
    const event = fixture('eventbridge-single-metric.json');
    delete event.detail.state.reasonData;
    expect(only(parseAlarmEvent(event)).condition).toBe('GreaterThanThreshold for 1 of 1 x 300s');
  });

  it('keeps the datapoints the reason data evaluated, oldest first, for triage to measure impact start', () => {
    // CloudWatch lists only the newest datapoint under evaluatedDatapoints; recentDatapoints (oldest first) fit the span from startDate to it exactly.
    const signal = only(parseAlarmEvent(fixture('eventbridge-single-metric-3-of-3.json')));
    expect(signal.evaluated).toEqual({
      periodSeconds: 60,
      threshold: 5,
      comparison: 'GreaterThanThreshold',
      datapoints: [
        { timestamp: '2026-11-23T03:07:00.000Z', value: 7 },
        { timestamp: '2026-11-23T03:08:00.000Z', value: 8.5 },
        { timestamp: '2026-11-23T03:09:00.000Z', value: 9.25 },
      ],
    });
    expect(AlarmSignalSchema.parse(signal)).toEqual(signal);
  });

  it('keeps a missing evaluated datapoint as one without value, and places no recent value when a gap makes the span not fit', () => {
    const event = fixture('eventbridge-single-metric-3-of-3.json');
    const data = JSON.parse(event.detail.state.reasonData);
    // 03:08 had no data: recentDatapoints skips it, so its two values cannot be placed.
    data.recentDatapoints = [7.0, 9.25];
    data.evaluatedDatapoints = [{ timestamp: '2026-11-23T03:09:00.000+0000', sampleCount: 60.0, value: 9.25 }, { timestamp: '2026-11-23T03:08:00.000+0000' }];
    event.detail.state.reasonData = JSON.stringify(data);
    expect(only(parseAlarmEvent(event)).evaluated?.datapoints).toEqual([{ timestamp: '2026-11-23T03:08:00.000Z' }, { timestamp: '2026-11-23T03:09:00.000Z', value: 9.25 }]);
  });

  it('drops malformed datapoint fields of the reason data instead of refusing the alarm', () => {
    const event = fixture('eventbridge-single-metric-3-of-3.json');
    const data = JSON.parse(event.detail.state.reasonData);
    data.evaluatedDatapoints = [{ timestamp: 'yesterday', value: 9.25 }];
    data.recentDatapoints = 'many';
    event.detail.state.reasonData = JSON.stringify(data);
    const signal = only(parseAlarmEvent(event));
    expect(signal.evaluated).toBeUndefined();
    expect(signal.condition).toBe('GreaterThanThreshold 5 for 3 of 3 x 60s');
  });

  it('normalizes timestamps with any offset to UTC', () => {
    const event = fixture('eventbridge-single-metric.json');
    event.detail.state.timestamp = '2019-10-02T19:04:40.5+02:00';
    expect(only(parseAlarmEvent(event)).stateChangeTime).toBe('2019-10-02T17:04:40.500Z');
    event.detail.state.timestamp = '2019-10-02T12:04:40-0500';
    expect(only(parseAlarmEvent(event)).stateChangeTime).toBe('2019-10-02T17:04:40.000Z');
  });

  it('truncates an oversized reason with a visible marker instead of refusing the alarm', () => {
    const event = fixture('eventbridge-single-metric.json');
    event.detail.state.reason = 'x'.repeat(MAX_REASON_CHARS + 1000);
    const { reason } = only(parseAlarmEvent(event));
    expect(reason).toHaveLength(MAX_REASON_CHARS);
    expect(reason.endsWith(` [truncated: ${MAX_REASON_CHARS + 1000} characters in total]`)).toBe(true);
  });

  it('accepts an EventBridge event delivered through an SNS topic', () => {
    const event = fixtureText('eventbridge-composite.json');
    const signal = only(parseAlarmEvent({ Records: [{ EventSource: 'aws:sns', Sns: { Message: event } }] }));
    expect(signal.source).toBe('eventbridge');
    expect(signal.alarmName).toBe('ServiceAggregatedAlarm');
  });
});

describe('parseAlarmEvent: SNS-delivered alarm notifications', () => {
  it('normalizes a Lambda SNS event, taking the region code from the ARN', () => {
    expect(only(parseAlarmEvent(fixture('sns-lambda-single-metric.json')))).toEqual({
      source: 'sns',
      alarmName: 'checkout-5xx-count',
      alarmArn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-5xx-count',
      account: '111122223333',
      region: 'eu-west-1',
      kind: 'metric',
      state: 'ALARM',
      previousState: 'OK',
      stateChangeTime: '2026-11-03T09:14:07.455Z',
      reason:
        'Threshold Crossed: 3 out of the last 3 datapoints [41.0 (03/11/26 09:13:00), 37.0 (03/11/26 09:12:00), 29.0 (03/11/26 09:11:00)] was greater than the threshold (5.0) (minimum 3 datapoints for OK -> ALARM transition).',
      metrics: [
        {
          id: 'm1',
          description: 'AWS/ApplicationELB HTTPCode_Target_5XX_Count (LoadBalancer=app/shop-prod/50dc6c495c0c9188) Sum 60s',
          returnData: true,
        },
      ],
      condition: 'GreaterThanThreshold 5 for 3 of 3 x 60s',
    });
  });

  it('returns one signal per record, in order, for a multi-record SNS event', () => {
    const signals = parseAlarmEvent(fixture('sns-lambda-multi-record.json'));
    expect(signals.map((s) => [s.alarmName, s.kind])).toEqual([
      ['checkout-5xx-rate', 'metric-math'],
      ['checkout-unhealthy', 'composite'],
    ]);
    const [rate, composite] = signals;
    expect(rate!.metrics).toEqual([
      { id: 'rate', description: '100 * errors / requests (label: 5xx rate (%))', returnData: true },
      {
        id: 'errors',
        description: 'AWS/ApplicationELB HTTPCode_Target_5XX_Count (LoadBalancer=app/shop-prod/50dc6c495c0c9188) Sum 60s',
        returnData: false,
      },
      {
        id: 'requests',
        description: 'AWS/ApplicationELB RequestCount (LoadBalancer=app/shop-prod/50dc6c495c0c9188) Sum 60s',
        returnData: false,
      },
    ]);
    expect(rate!.condition).toBe('GreaterThanOrEqualToThreshold 5 for 2 of 3 x 60s');
    expect(composite!.triggeringChildren).toEqual([{ arn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-5xx-rate', state: 'ALARM' }]);
  });

  it('normalizes a bare SNS notification carrying an anomaly-detection alarm', () => {
    const signal = only(parseAlarmEvent(fixture('sns-notification-anomaly-detection.json')));
    expect(signal.source).toBe('sns');
    expect(signal.kind).toBe('anomaly-detection');
    expect(signal.alarmName).toBe('checkout-p99-latency');
    expect(signal.metrics[0]!.description).toBe(
      'AWS/ApplicationELB TargetResponseTime (LoadBalancer=app/shop-prod/50dc6c495c0c9188, TargetGroup=targetgroup/checkout/6d0ecf831eec9f09) p99 60s',
    );
    expect(signal.condition).toBe('GreaterThanUpperThreshold band ad1 for 2 of 2 x 60s');
  });

  it('normalizes the classic composite alarm JSON on its own', () => {
    expect(only(parseAlarmEvent(fixture('classic-alarm-composite.json')))).toEqual({
      source: 'sns',
      alarmName: 'checkout-unhealthy',
      alarmArn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-unhealthy',
      account: '111122223333',
      region: 'eu-west-1',
      kind: 'composite',
      state: 'ALARM',
      previousState: 'OK',
      stateChangeTime: '2026-11-03T09:14:05.002Z',
      reason: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-5xx-rate transitioned to ALARM at Tuesday 03 November, 2026 09:14:03 UTC',
      metrics: [],
      condition: 'ALARM("checkout-5xx-rate") OR ALARM("checkout-p99-latency")',
      triggeringChildren: [{ arn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-5xx-rate', state: 'ALARM' }],
    });
  });

  it('gives the same signal for the bare message as for the SNS record that carried it', () => {
    const event = fixture('sns-lambda-single-metric.json');
    const bare = JSON.parse(event.Records[0].Sns.Message);
    expect(parseAlarmEvent(bare)).toEqual(parseAlarmEvent(event));
  });

  it('reads extended statistics and defaults DatapointsToAlarm to EvaluationPeriods', () => {
    const alarm = JSON.parse(fixture('sns-lambda-single-metric.json').Records[0].Sns.Message);
    Object.assign(alarm.Trigger, { StatisticType: 'ExtendedStatistic', Statistic: null, ExtendedStatistic: 'p99' });
    delete alarm.Trigger.DatapointsToAlarm;
    alarm.Trigger.Dimensions = [];
    const signal = only(parseAlarmEvent(alarm));
    expect(signal.metrics[0]!.description).toBe('AWS/ApplicationELB HTTPCode_Target_5XX_Count p99 60s');
    expect(signal.condition).toBe('GreaterThanThreshold 5 for 3 of 3 x 60s');
  });

  it('accepts triggering children given as bare ARNs', () => {
    const alarm = fixture('classic-alarm-composite.json');
    alarm.TriggeringChildren = ['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-p99-latency'];
    expect(only(parseAlarmEvent(alarm)).triggeringChildren).toEqual([{ arn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-p99-latency' }]);
  });
});

describe('parseAlarmEventText', () => {
  it.each(ALL_FIXTURES)('parses %s into signals that satisfy AlarmSignalSchema', (name) => {
    const signals = parseAlarmEventText(fixtureText(name));
    expect(signals.length).toBeGreaterThan(0);
    for (const signal of signals) expect(AlarmSignalSchema.parse(signal)).toEqual(signal);
  });

  it('accepts a leading byte-order mark', () => {
    const signal = only(parseAlarmEventText(`\uFEFF${fixtureText('eventbridge-single-metric.json')}`));
    expect(signal.alarmName).toBe('ServerCpuTooHigh');
  });

  it('refuses text that is not JSON, keeping the SyntaxError as the cause', () => {
    const error = invalid(() => parseAlarmEventText('hello\nworld'));
    expect(error.message).toMatch(/^input: not valid JSON \(.+\)$/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses empty text', () => {
    expect(invalid(() => parseAlarmEventText('  \n')).message).toBe('input: is empty');
  });

  it('refuses text over the 256 KiB limit, counted in UTF-8 bytes', () => {
    expect(invalid(() => parseAlarmEventText(' '.repeat(MAX_EVENT_BYTES + 1))).message).toBe('input: is more than the 262144-byte limit of an alarm event');
    // 140,000 characters, 280,000 bytes.
    const multiByte = `"${'é'.repeat(140_000)}"`;
    expect(invalid(() => parseAlarmEventText(multiByte)).message).toBe('input: is 280002 bytes, more than the 262144-byte limit of an alarm event');
  });
});

describe('parseAlarmEvent: refusals', () => {
  const eb = () => fixture('eventbridge-single-metric.json');
  const classic = () => JSON.parse(fixture('sns-lambda-single-metric.json').Records[0].Sns.Message);
  const record = (message: unknown) => ({
    EventSource: 'aws:sns',
    Sns: { Type: 'Notification', Message: typeof message === 'string' ? message : JSON.stringify(message) },
  });

  const cases: Array<[string, () => unknown, string]> = [
    ['null', () => null, 'input: expected a JSON object, got null'],
    ['an array', () => [], 'input: expected a JSON object, got an array'],
    ['a string', () => 'ALARM', 'input: expected a JSON object, got a string'],
    [
      'an unrelated object',
      () => ({ hello: 'world' }),
      'input: not a recognised alarm event (expected an EventBridge "CloudWatch Alarm State Change" event, an SNS event or notification, or a CloudWatch alarm notification)',
    ],
    ['a wrong source', () => ({ ...eb(), source: 'aws.ec2' }), 'source: expected "aws.cloudwatch", got "aws.ec2"'],
    [
      'a wrong detail-type',
      () => ({ ...eb(), 'detail-type': 'CloudWatch Alarm Configuration Change' }),
      'detail-type: expected "CloudWatch Alarm State Change", got "CloudWatch Alarm Configuration Change"',
    ],
    [
      'an unknown state',
      () => {
        const e = eb();
        e.detail.state.value = 'BROKEN';
        return e;
      },
      'detail.state.value: unknown alarm state "BROKEN" (expected OK, ALARM or INSUFFICIENT_DATA)',
    ],
    [
      'a missing state',
      () => {
        const e = eb();
        delete e.detail.state.value;
        return e;
      },
      'detail.state.value: is required',
    ],
    [
      'a missing detail',
      () => {
        const e = eb();
        delete e.detail;
        return e;
      },
      'detail: is required',
    ],
    [
      'a mistyped alarm name',
      () => {
        const e = eb();
        e.detail.alarmName = 42;
        return e;
      },
      'detail.alarmName: expected a string, got a number',
    ],
    [
      'an impossible date',
      () => {
        const e = eb();
        e.detail.state.timestamp = '2019-02-30T10:00:00.000+0000';
        return e;
      },
      'detail.state.timestamp: not a valid ISO-8601 timestamp: "2019-02-30T10:00:00.000+0000"',
    ],
    ['an unparseable event time', () => ({ ...eb(), time: 'yesterday' }), 'time: not a valid ISO-8601 timestamp: "yesterday"'],
    [
      'an out-of-range offset',
      () => {
        const e = eb();
        e.detail.state.timestamp = '2019-10-02T17:04:40+25:00';
        return e;
      },
      'detail.state.timestamp: not a valid ISO-8601 timestamp: "2019-10-02T17:04:40+25:00"',
    ],
    ['a short account id', () => ({ ...eb(), account: '1234' }), 'account: expected a 12-digit AWS account ID, got "1234"'],
    [
      'an oversized alarm name',
      () => {
        const e = eb();
        e.detail.alarmName = 'a'.repeat(256);
        return e;
      },
      'detail.alarmName: is 256 characters long, more than the limit of 255',
    ],
    [
      'an ARN naming another alarm',
      () => {
        const e = eb();
        e.detail.alarmName = 'SomethingElse';
        return e;
      },
      'resources[0]: names alarm "ServerCpuTooHigh" but detail.alarmName is "SomethingElse"',
    ],
    [
      'a resource that is not an alarm ARN',
      () => ({ ...eb(), resources: ['arn:aws:sns:us-east-1:123456789012:topic'] }),
      'resources[0]: expected a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), got "arn:aws:sns:us-east-1:123456789012:topic"',
    ],
    [
      'a configuration with neither metrics nor rule',
      () => {
        const e = eb();
        e.detail.configuration = { description: 'x' };
        return e;
      },
      'detail.configuration: has neither metrics nor alarmRule',
    ],
    [
      'a metric with neither metricStat nor expression',
      () => {
        const e = eb();
        e.detail.configuration.metrics[0] = { id: 'm1', returnData: true };
        return e;
      },
      'detail.configuration.metrics[0]: has neither metricStat nor expression',
    ],
    [
      'reasonData that is not JSON',
      () => {
        const e = eb();
        e.detail.state.reasonData = '{"period":';
        return e;
      },
      'detail.state.reasonData: not valid JSON',
    ],
    [
      'a classic alarm with an unknown state',
      () => ({ ...classic(), NewStateValue: 'Alarm' }),
      'NewStateValue: unknown alarm state "Alarm" (expected OK, ALARM or INSUFFICIENT_DATA)',
    ],
    [
      'a classic alarm with neither Trigger nor AlarmRule',
      () => {
        const a = classic();
        delete a.Trigger;
        return a;
      },
      'Trigger: is required (or AlarmRule, for composite alarms)',
    ],
    [
      'a classic trigger without a metric',
      () => {
        const a = classic();
        delete a.Trigger.MetricName;
        return a;
      },
      'Trigger.MetricName: is required (or Metrics, for metric-math alarms)',
    ],
    [
      'a classic alarm whose ARN is in another account',
      () => ({ ...classic(), AWSAccountId: '999999999999' }),
      'AlarmArn: is in account 111122223333 but AWSAccountId is 999999999999',
    ],
    ['an empty Records list', () => ({ Records: [] }), 'Records: must not be empty'],
    ['too many records', () => ({ Records: Array.from({ length: 101 }, () => record(classic())) }), 'Records: has 101 records, more than the limit of 100'],
    ['a record from another source', () => ({ Records: [{ ...record(classic()), EventSource: 'aws:sqs' }] }), 'Records[0].EventSource: expected "aws:sns", got "aws:sqs"'],
    [
      'a record whose message is not an alarm',
      () => ({ Records: [record(classic()), record({ hello: 'world' })] }),
      'Records[1].Sns.Message: not a CloudWatch alarm notification (expected AlarmName, NewStateValue... or an EventBridge alarm event)',
    ],
    [
      'a record whose alarm is invalid',
      () => ({ Records: [record(classic()), record({ ...classic(), StateChangeTime: 'soon' })] }),
      'Records[1].Sns.Message.StateChangeTime: not a valid ISO-8601 timestamp: "soon"',
    ],
    [
      'a subscription confirmation',
      () => ({ Type: 'SubscriptionConfirmation', Message: 'You have chosen to subscribe' }),
      'Type: expected "Notification", got "SubscriptionConfirmation"',
    ],
    ['a value that is not plain JSON', () => ({ Records: [new Date(0)] }), 'Records[0]: expected plain JSON data, got Date'],
  ];

  it.each(cases)('refuses %s', (_name, input, message) => {
    const value = input();
    const error = invalid(() => parseAlarmEvent(value));
    if (message.endsWith('not valid JSON')) expect(error.message.startsWith(`${message} (`)).toBe(true);
    else expect(error.message).toBe(message);
  });

  it('exposes the path and the problem separately', () => {
    const e = eb();
    e.detail.state.value = 'BROKEN';
    const error = invalid(() => parseAlarmEvent(e));
    expect(error.path).toBe('detail.state.value');
    expect(error.problem).toBe('unknown alarm state "BROKEN" (expected OK, ALARM or INSUFFICIENT_DATA)');
  });

  it('refuses input nested deeper than any alarm event', () => {
    const error = invalid(() => parseAlarmEventText(`${'['.repeat(40)}${']'.repeat(40)}`));
    expect(error.problem).toBe('nested deeper than 32 levels');
    expect(error.path.startsWith('input[0][0]')).toBe(true);
  });
});

describe('parseAlarmEvent: prototype-pollution keys', () => {
  const eventText = fixtureText('eventbridge-single-metric.json');
  const classicMessage = JSON.parse(fixtureText('sns-lambda-single-metric.json')).Records[0].Sns.Message as string;

  const cases: Array<[string, string, string]> = [
    ['__proto__ at the top', `{"__proto__": {"polluted": true}, ${eventText.trim().slice(1)}`, '__proto__'],
    ['__proto__ inside detail', eventText.replace('"alarmName":', '"__proto__": {"polluted": true}, "alarmName":'), 'detail.__proto__'],
    ['constructor inside a metric', eventText.replace('"returnData": true', '"constructor": {"prototype": {"polluted": true}}'), 'detail.configuration.metrics[0].constructor'],
    ['prototype as a dimension name', eventText.replace('"InstanceId":', '"prototype":'), 'detail.configuration.metrics[0].metricStat.metric.dimensions.prototype'],
    [
      '__proto__ inside an SNS message',
      JSON.stringify({ Records: [{ EventSource: 'aws:sns', Sns: { Message: classicMessage.replace('{', '{"__proto__":{"polluted":true},') } }] }),
      'Records[0].Sns.Message.__proto__',
    ],
    [
      '__proto__ inside reasonData',
      JSON.stringify(
        (() => {
          const e = JSON.parse(eventText);
          e.detail.state.reasonData = '{"__proto__": {"polluted": true}, "period": 300}';
          return e;
        })(),
      ),
      'detail.state.reasonData.__proto__',
    ],
  ];

  it.each(cases)('refuses %s before using it', (_name, text, path) => {
    const key = path.split('.').pop()!;
    const error = invalid(() => parseAlarmEventText(text));
    expect(error.path).toBe(path);
    expect(error.message).toBe(`${path}: forbidden key "${key}" refused (prototype pollution guard)`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses the keys in already-parsed input too', () => {
    const raw = JSON.parse(`{"Records": [{"EventSource": "aws:sns", "Sns": {"constructor": {}}}]}`);
    expect(invalid(() => parseAlarmEvent(raw)).message).toBe('Records[0].Sns.constructor: forbidden key "constructor" refused (prototype pollution guard)');
  });
});
