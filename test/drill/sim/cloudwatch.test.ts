import { StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand, InvalidParameterCombinationException } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from '@jest/globals';

import { AlarmQueryError, SimCloudWatch } from '../../../drill/sim/cloudwatch.js';
import { CloudWatchAlarmsAdapter } from '../../../lambdas/adapters/cloudwatch-alarms.js';
import { CloudWatchMetricDataAdapter } from '../../../lambdas/adapters/cloudwatch-metric-data.js';
import { parseAlarmEvent } from '../../../lambdas/core/alarm-event.js';
import { measureImpactStart } from '../../../lambdas/operations/impact-start.js';
import { APP, at, ENV, fixtureAccount, IMMEDIATE, PROFILE } from './fixture.js';

const ALARM = 'checkout-5xx-rate';
const deploy = (version: number) =>
  new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, DeploymentStrategyId: IMMEDIATE, ConfigurationVersion: String(version) });

/** Flag on at 10:01:15, so the app sees it from 10:02:00, a bucket boundary. */
async function brokenAccount(edit?: Parameters<typeof fixtureAccount>[0]) {
  const account = fixtureAccount(edit);
  account.clock.advanceTo(at(75));
  await account.clients().appconfig.send(deploy(2));
  return account;
}

describe('simulated CloudWatch alarm evaluation', () => {
  it('goes to ALARM after three breaching periods, with CloudWatch-style reason text', async () => {
    const account = await brokenAccount();
    const alarmAt = account.cloudwatch.nextTransition(ALARM, 'ALARM', account.clock.now());
    expect(alarmAt).toEqual(at(5 * 60));
    expect(account.cloudwatch.stateAt(ALARM, at(5 * 60 - 1)).state).toBe('OK');
    const state = account.cloudwatch.stateAt(ALARM, alarmAt!);
    expect(state.state).toBe('ALARM');
    expect(state.reason).toBe(
      'Threshold Crossed: 3 out of the last 3 datapoints [8.5 (23/11/26 10:04:00), 8.5 (23/11/26 10:03:00), 8.5 (23/11/26 10:02:00)] ' +
        'were greater than the threshold (5.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    expect(JSON.parse(state.reasonData)).toMatchObject({
      version: '1.0',
      statistic: 'Average',
      period: 60,
      recentDatapoints: [8.5, 8.5, 8.5],
      threshold: 5,
      startDate: '2026-11-23T10:02:00.000+0000',
    });
  });

  it('averages a partly bad bucket, so a fault that starts mid-period breaches one period later', async () => {
    const account = fixtureAccount();
    account.clock.advanceTo(at(45)); // seen from 10:01:30: half of the 10:01 bucket
    await account.clients().appconfig.send(deploy(2));
    expect(account.cloudwatch.datapoints(ALARM, at(60), at(180)).map((d) => d.value)).toEqual([4.5, 8.5]);
    expect(account.cloudwatch.nextTransition(ALARM, 'ALARM', account.clock.now())).toEqual(at(5 * 60));
  });

  it('returns to OK at the first non-breaching period when 3 of 3 are needed', async () => {
    const account = await brokenAccount();
    account.clock.advanceTo(at(5 * 60 + 15)); // kill switch at 10:05:15, seen from 10:06:00
    await account.clients().appconfig.send(deploy(1));
    const okAt = account.cloudwatch.nextTransition(ALARM, 'OK', account.clock.now());
    expect(okAt).toEqual(at(7 * 60));
    expect(account.cloudwatch.stateAt(ALARM, okAt!).reason).toBe(
      'Threshold Crossed: 1 out of the last 3 datapoints [0.5 (23/11/26 10:06:00)] was not greater than the threshold (5.0) (minimum 1 datapoint for ALARM -> OK transition).',
    );
  });

  it('returns to OK three periods after the fault clears when 1 of 3 is enough to alarm', async () => {
    const account = await brokenAccount((s) => {
      s.account.alarms[0]!.datapointsToAlarm = 1;
    });
    expect(account.cloudwatch.nextTransition(ALARM, 'ALARM', account.clock.now())).toEqual(at(3 * 60));
    account.clock.advanceTo(at(5 * 60 + 15));
    await account.clients().appconfig.send(deploy(1));
    expect(account.cloudwatch.nextTransition(ALARM, 'OK', account.clock.now())).toEqual(at(9 * 60));
  });

  it('finds no transition when nothing will change', () => {
    const account = fixtureAccount();
    expect(account.cloudwatch.nextTransition(ALARM, 'ALARM', account.clock.now(), 3600)).toBeUndefined();
  });

  it('builds the EventBridge state-change event of a transition', async () => {
    const account = await brokenAccount();
    const event = account.cloudwatch.stateChangeEvent(ALARM, at(5 * 60));
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      region: 'us-east-1',
      time: '2026-11-23T10:05:00Z',
      resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-rate'],
      detail: {
        alarmName: ALARM,
        state: { value: 'ALARM', timestamp: '2026-11-23T10:05:00.000+0000' },
        previousState: { value: 'OK', timestamp: '2026-11-23T10:00:00.000+0000' },
        configuration: {
          metrics: [{ metricStat: { metric: { namespace: 'Shop', name: 'ErrorRate', dimensions: { Service: 'checkout' } }, period: 60, stat: 'Average' }, returnData: true }],
        },
      },
    });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(account.cloudwatch.stateChangeEvent(ALARM, at(5 * 60))).toEqual(event);
    expect(() => account.cloudwatch.stateChangeEvent(ALARM, at(4 * 60))).toThrow(AlarmQueryError);
    expect(() => account.cloudwatch.stateAt('ghost', at(0))).toThrow(AlarmQueryError);
  });
});

describe('simulated CloudWatch GetMetricData and reason data of alarm metrics (impact start)', () => {
  const query = (period: number, stat = 'Average') =>
    new GetMetricDataCommand({
      StartTime: at(-3600),
      EndTime: at(5 * 60),
      MetricDataQueries: [
        { Id: 'm1', MetricStat: { Metric: { Namespace: 'Shop', MetricName: 'ErrorRate', Dimensions: [{ Name: 'Service', Value: 'checkout' }] }, Period: period, Stat: stat } },
      ],
    });

  it("answers an alarm's metric at its period with exactly the datapoints the alarm evaluated, newest first", async () => {
    const account = await brokenAccount();
    account.clock.advanceTo(at(5 * 60 + 30));
    const out = await account.clients().cloudwatch.send(query(60));
    const result = out.MetricDataResults![0]!;
    expect(result.Timestamps![0]).toEqual(at(4 * 60));
    expect(result.Timestamps).toHaveLength(65);
    const evaluated = account.cloudwatch.datapoints(ALARM, at(-3600), at(5 * 60)).reverse();
    expect(result.Values).toEqual(evaluated.map((d) => d.value));
    expect(result.Values!.slice(0, 4)).toEqual([8.5, 8.5, 8.5, 0.5]);
    // At another period the statistic is computed from the same health model: 10:02-10:04, then 10:00-10:02 (before the fault).
    expect((await account.clients().cloudwatch.send(query(120, 'Maximum'))).MetricDataResults![0]!.Values!.slice(0, 2)).toEqual([8.5, 0.5]);
  });

  it('emits reason data the alarm-event parser turns into the evaluated datapoints, and triage finds the first breaching one with the real adapters', async () => {
    const account = await brokenAccount();
    account.clock.advanceTo(at(5 * 60 + 2));
    const [signal] = parseAlarmEvent(account.cloudwatch.stateChangeEvent(ALARM, at(5 * 60)));
    expect(signal!.evaluated).toEqual({
      periodSeconds: 60,
      threshold: 5,
      comparison: 'GreaterThanThreshold',
      datapoints: [2, 3, 4].map((m) => ({ timestamp: at(m * 60).toISOString(), value: 8.5 })),
    });
    const cloudwatch = account.clients().cloudwatch;
    const alarm = await new CloudWatchAlarmsAdapter(cloudwatch).describeAlarm(ALARM);
    // All three evaluated datapoints breach: the run may have begun earlier, so the metric is read back; 10:01 did not breach.
    const impact = await measureImpactStart(new CloudWatchMetricDataAdapter(cloudwatch), { signal: signal!, alarm, facts: alarm });
    expect(impact).toMatchObject({ at: at(2 * 60).toISOString(), source: 'metric-data' });
    expect(impact.message).toBe('Impact started at 10:02:00 (first breaching datapoint of checkout-5xx-rate, GetMetricData, 3 breaching datapoints of 60 s); MTTD 180 s');
  });
});

describe('simulated CloudWatch DescribeAlarms', () => {
  it('answers with the real MetricAlarm fields at the current virtual time', async () => {
    const account = await brokenAccount();
    account.clock.advanceTo(at(5 * 60 + 30));
    const out = await account.clients().cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM, 'not-there'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    expect(out.CompositeAlarms).toEqual([]);
    expect(out.MetricAlarms).toHaveLength(1);
    expect(out.MetricAlarms![0]).toMatchObject({
      AlarmName: ALARM,
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-rate',
      StateValue: 'ALARM',
      StateReason: expect.stringMatching(/^Threshold Crossed: 3 out of the last 3 datapoints/),
      StateUpdatedTimestamp: at(5 * 60),
      StateTransitionedTimestamp: at(5 * 60),
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      MetricName: 'ErrorRate',
      Namespace: 'Shop',
      Statistic: 'Average',
      Dimensions: [{ Name: 'Service', Value: 'checkout' }],
    });
    expect(JSON.parse(out.MetricAlarms![0]!.StateReasonData!).queryDate).toBe('2026-11-23T10:05:00.000+0000');
  });

  it('filters by state and refuses AlarmNames with AlarmNamePrefix', async () => {
    const { cloudwatch } = fixtureAccount().clients();
    expect((await cloudwatch.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }))).MetricAlarms).toEqual([]);
    expect((await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'checkout-' }))).MetricAlarms?.[0]?.StateValue).toBe('OK');
    expect((await cloudwatch.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm'] }))).MetricAlarms).toEqual([]);
    await expect(cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM], AlarmNamePrefix: 'c' }))).rejects.toBeInstanceOf(InvalidParameterCombinationException);
  });

  it('records state changes in the alarm history', async () => {
    const account = await brokenAccount();
    account.clock.advanceTo(at(6 * 60));
    const { AlarmHistoryItems } = await account.clients().cloudwatch.send(new DescribeAlarmHistoryCommand({ AlarmName: ALARM }));
    expect(AlarmHistoryItems).toHaveLength(1);
    expect(AlarmHistoryItems![0]).toMatchObject({ HistoryItemType: 'StateUpdate', HistorySummary: 'Alarm updated from OK to ALARM', Timestamp: at(5 * 60) });
  });
});

/**
 * Composite fixture: checkout breaks at 10:02 (flag), payments fails 10:10–10:20 (1 of 1 alarm), so
 * checkout-5xx-rate is ALARM from 10:05 and payments-errors from 10:11 to 10:21.
 */
const PAYMENTS = 'payments-errors';
const ANY = 'shop-unhealthy';
const BOTH = 'shop-down';
const NESTED = 'shop-down-and-unhealthy';
const withComposites = (s: Parameters<NonNullable<Parameters<typeof fixtureAccount>[0]>>[0]) => {
  s.account.alarms.push({ name: PAYMENTS, service: 'payments', threshold: 5, periodSeconds: 60, evaluationPeriods: 1 });
  s.account.health['payments'] = { baselineErrorRatePercent: 0, faults: [{ errorRatePercent: 20, when: { always: true }, from: '+00:10', until: '+00:20' }] };
  s.account.compositeAlarms = [
    { name: NESTED, rule: `ALARM("${BOTH}") AND ALARM(${ANY})` },
    { name: ANY, rule: `ALARM("${ALARM}") OR ALARM(${PAYMENTS})`, description: 'Any shop alarm' },
    { name: BOTH, rule: `ALARM("${ALARM}") AND NOT OK("${PAYMENTS}")` },
  ];
};
const arn = (name: string) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`;

describe('simulated CloudWatch composite alarms', () => {
  it('lists metric alarms, then composites with children before parents', () => {
    const { cloudwatch } = fixtureAccount(withComposites);
    expect(cloudwatch.alarmNames()).toEqual([ALARM, PAYMENTS, BOTH, ANY, NESTED]);
    expect(cloudwatch.alarmType(ANY)).toBe('CompositeAlarm');
    expect(cloudwatch.alarmType(ALARM)).toBe('MetricAlarm');
    expect(() => cloudwatch.datapoints(ANY, at(0), at(60))).toThrow(AlarmQueryError);
  });

  it('follows the children: state at each child transition, next transitions ahead of the clock', async () => {
    const account = await brokenAccount(withComposites);
    const { cloudwatch } = account;
    const now = account.clock.now();
    expect(cloudwatch.stateAt(ANY, now).state).toBe('OK');
    expect(cloudwatch.nextTransition(ANY, 'ALARM', now)).toEqual(at(5 * 60));
    expect(cloudwatch.nextTransition(BOTH, 'ALARM', now)).toEqual(at(11 * 60));
    expect(cloudwatch.nextTransition(BOTH, 'OK', now)).toEqual(at(21 * 60));
    expect(cloudwatch.nextTransition(NESTED, 'ALARM', now)).toEqual(at(11 * 60));
    // checkout stays broken, so "any" never recovers.
    expect(cloudwatch.nextTransition(ANY, 'OK', now, 3600)).toBeUndefined();
    expect(cloudwatch.stateAt(ANY, at(5 * 60 - 1)).state).toBe('OK');
    expect(cloudwatch.stateAt(ANY, at(5 * 60)).state).toBe('ALARM');

    account.clock.advanceTo(at(12 * 60 + 15)); // kill switch, seen from 10:13: checkout OK at 10:14
    await account.clients().appconfig.send(deploy(1));
    expect(cloudwatch.nextTransition(BOTH, 'OK', account.clock.now())).toEqual(at(14 * 60));
    expect(cloudwatch.nextTransition(ANY, 'OK', account.clock.now())).toEqual(at(21 * 60));

    account.clock.advanceTo(at(30 * 60));
    expect(cloudwatch.snapshot().alarms.find((a) => a.name === ANY)).toEqual({
      name: ANY,
      rule: `ALARM("${ALARM}") OR ALARM(${PAYMENTS})`,
      state: 'OK',
      stateUpdatedAt: at(21 * 60).toISOString(),
      reason: `${arn(PAYMENTS)} transitioned to OK at Monday 23 November, 2026 10:21:00 UTC`,
      transitions: [
        { at: at(5 * 60).toISOString(), from: 'OK', to: 'ALARM' },
        { at: at(21 * 60).toISOString(), from: 'ALARM', to: 'OK' },
      ],
    });
    expect(
      cloudwatch
        .snapshot()
        .alarms.find((a) => a.name === NESTED)!
        .transitions.map((t) => [t.at, t.to]),
    ).toEqual([
      [at(11 * 60).toISOString(), 'ALARM'],
      [at(14 * 60).toISOString(), 'OK'],
    ]);
  });

  it('builds the EventBridge event of a composite, which the alarm-event parser accepts', async () => {
    const account = await brokenAccount(withComposites);
    const event = account.cloudwatch.stateChangeEvent(ANY, at(5 * 60));
    expect(event).toMatchObject({
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      time: '2026-11-23T10:05:00Z',
      resources: [arn(ANY)],
      detail: {
        alarmName: ANY,
        state: {
          value: 'ALARM',
          reason: `${arn(ALARM)} transitioned to ALARM at Monday 23 November, 2026 10:05:00 UTC`,
          timestamp: '2026-11-23T10:05:00.000+0000',
        },
        previousState: { value: 'OK', reason: 'Unchecked: Initial alarm creation', timestamp: '2026-11-23T10:00:00.000+0000' },
        configuration: { description: 'Any shop alarm', alarmRule: `ALARM("${ALARM}") OR ALARM(${PAYMENTS})` },
      },
    });
    expect(JSON.parse(event.detail.state.reasonData)).toEqual({
      triggeringAlarms: [{ arn: arn(ALARM), state: { value: 'ALARM', timestamp: '2026-11-23T10:05:00.000+0000' } }],
    });
    expect(parseAlarmEvent(event)).toEqual([
      expect.objectContaining({
        alarmName: ANY,
        kind: 'composite',
        state: 'ALARM',
        previousState: 'OK',
        condition: `ALARM("${ALARM}") OR ALARM(${PAYMENTS})`,
        triggeringChildren: [{ arn: arn(ALARM), state: 'ALARM' }],
      }),
    ]);
    // A nested composite is triggered by the composite child that changed at that instant.
    const nested = account.cloudwatch.stateChangeEvent(NESTED, at(11 * 60));
    expect(JSON.parse(nested.detail.state.reasonData).triggeringAlarms).toEqual([{ arn: arn(BOTH), state: { value: 'ALARM', timestamp: '2026-11-23T10:11:00.000+0000' } }]);
    expect(() => account.cloudwatch.stateChangeEvent(ANY, at(11 * 60))).toThrow(/did not change state/);
  });

  it('starts a composite in the state its rule gives at creation', () => {
    const { cloudwatch, clock } = fixtureAccount((s) => {
      s.account.compositeAlarms = [
        { name: 'quiet', rule: `OK("${ALARM}")` },
        { name: 'never', rule: 'FALSE' },
      ];
    });
    expect(cloudwatch.stateAt('quiet', clock.now())).toMatchObject({ state: 'ALARM', reason: 'Unchecked: Initial alarm creation' });
    expect(cloudwatch.stateAt('never', clock.now()).state).toBe('OK');
    expect(cloudwatch.nextTransition('never', 'ALARM', clock.now())).toBeUndefined();
  });

  it('refuses rules that do not parse, name unknown alarms, or form a cycle', () => {
    const health = { errorRate: () => 0 };
    const clock = fixtureAccount().clock;
    const build = (rules: [string, string][]) => new SimCloudWatch({ clock, health, createdAt: at(0), alarms: [], compositeAlarms: rules.map(([name, rule]) => ({ name, rule })) });
    expect(() => build([['a', 'ALARM(x']])).toThrow(/composite alarm a: alarm rule .*expected "\)"/);
    expect(() => build([['a', 'ALARM(ghost)']])).toThrow('composite alarm a: its rule names alarms that do not exist: ghost');
    expect(() =>
      build([
        ['a', 'ALARM(b)'],
        ['b', 'OK(a)'],
      ]),
    ).toThrow('composite alarms form a cycle: a → b → a');
    expect(() =>
      build([
        ['a', 'TRUE'],
        ['a', 'FALSE'],
      ]),
    ).toThrow('an alarm with this name already exists');
  });

  it('gives the same history whether asked step by step or once at the end (settled history is kept, not recomputed)', async () => {
    const stepwise = await brokenAccount(withComposites);
    const once = await brokenAccount(withComposites);
    for (const account of [stepwise, once]) {
      account.clock.advanceTo(at(12 * 60 + 15));
      await account.clients().appconfig.send(deploy(1));
    }
    for (let s = 12 * 60 + 20; s <= 40 * 60; s += 23) {
      stepwise.clock.advanceTo(at(s));
      for (const name of stepwise.cloudwatch.alarmNames()) {
        stepwise.cloudwatch.stateAt(name, at(s - 3));
        stepwise.cloudwatch.nextTransition(name, 'ALARM', at(s), 300);
      }
    }
    once.clock.advanceTo(at(40 * 60));
    expect(stepwise.cloudwatch.snapshot()).toEqual(once.cloudwatch.snapshot());
    expect(stepwise.cloudwatch.datapoints(ALARM, at(0), at(40 * 60))).toEqual(once.cloudwatch.datapoints(ALARM, at(0), at(40 * 60)));
  });
});

describe('simulated CloudWatch DescribeAlarms and DescribeAlarmHistory for composites', () => {
  it('returns composite alarms only when AlarmTypes asks for them, with the real CompositeAlarm fields', async () => {
    const account = await brokenAccount(withComposites);
    account.clock.advanceTo(at(6 * 60));
    const { cloudwatch } = account.clients();
    expect((await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ANY] }))).CompositeAlarms).toEqual([]);
    const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ANY, ALARM], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    expect(out.MetricAlarms!.map((a) => a.AlarmName)).toEqual([ALARM]);
    expect(out.CompositeAlarms).toEqual([
      {
        AlarmName: ANY,
        AlarmArn: arn(ANY),
        AlarmDescription: 'Any shop alarm',
        AlarmRule: `ALARM("${ALARM}") OR ALARM(${PAYMENTS})`,
        AlarmConfigurationUpdatedTimestamp: at(0),
        ActionsEnabled: true,
        OKActions: [],
        AlarmActions: [],
        InsufficientDataActions: [],
        StateValue: 'ALARM',
        StateReason: `${arn(ALARM)} transitioned to ALARM at Monday 23 November, 2026 10:05:00 UTC`,
        StateReasonData: JSON.stringify({ triggeringAlarms: [{ arn: arn(ALARM), state: { value: 'ALARM', timestamp: '2026-11-23T10:05:00.000+0000' } }] }),
        StateUpdatedTimestamp: at(5 * 60),
        StateTransitionedTimestamp: at(5 * 60),
      },
    ]);
    const alarming = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm'], StateValue: 'ALARM' }));
    expect(alarming.CompositeAlarms!.map((a) => a.AlarmName)).toEqual([ANY]);
    expect(alarming.MetricAlarms).toEqual([]);
  });

  it('answers ChildrenOfAlarmName (metric and composite children, short form) and ParentsOfAlarmName, paginated', async () => {
    const account = await brokenAccount(withComposites);
    account.clock.advanceTo(at(12 * 60));
    const { cloudwatch } = account.clients();
    expect(await cloudwatch.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: NESTED }))).toEqual(
      expect.objectContaining({
        MetricAlarms: [],
        CompositeAlarms: [
          { AlarmName: BOTH, AlarmArn: arn(BOTH), StateValue: 'ALARM', StateUpdatedTimestamp: at(11 * 60) },
          { AlarmName: ANY, AlarmArn: arn(ANY), StateValue: 'ALARM', StateUpdatedTimestamp: at(5 * 60) },
        ],
      }),
    );
    const first = await cloudwatch.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: ANY, MaxRecords: 1 }));
    expect(first.MetricAlarms).toEqual([{ AlarmName: ALARM, AlarmArn: arn(ALARM), StateValue: 'ALARM', StateUpdatedTimestamp: at(5 * 60) }]);
    const second = await cloudwatch.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: ANY, MaxRecords: 1, NextToken: first.NextToken }));
    expect(second.MetricAlarms).toEqual([{ AlarmName: PAYMENTS, AlarmArn: arn(PAYMENTS), StateValue: 'ALARM', StateUpdatedTimestamp: at(11 * 60) }]);
    expect(second.NextToken).toBeUndefined();
    const parents = await cloudwatch.send(new DescribeAlarmsCommand({ ParentsOfAlarmName: ALARM }));
    expect(parents.CompositeAlarms).toEqual([
      { AlarmName: BOTH, AlarmArn: arn(BOTH) },
      { AlarmName: ANY, AlarmArn: arn(ANY) },
    ]);
    expect((await cloudwatch.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: ALARM }))).MetricAlarms).toEqual([]);
    await expect(cloudwatch.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: ANY, AlarmTypes: ['CompositeAlarm'] }))).rejects.toBeInstanceOf(
      InvalidParameterCombinationException,
    );
  });

  it('records composite state changes in the alarm history when AlarmTypes includes CompositeAlarm', async () => {
    const account = await brokenAccount(withComposites);
    account.clock.advanceTo(at(30 * 60));
    const { cloudwatch } = account.clients();
    expect((await cloudwatch.send(new DescribeAlarmHistoryCommand({ AlarmName: BOTH }))).AlarmHistoryItems).toEqual([]);
    const { AlarmHistoryItems } = await cloudwatch.send(new DescribeAlarmHistoryCommand({ AlarmName: BOTH, AlarmTypes: ['CompositeAlarm'], ScanBy: 'TimestampAscending' }));
    expect(AlarmHistoryItems!.map((i) => [i.AlarmType, i.Timestamp, i.HistorySummary])).toEqual([
      ['CompositeAlarm', at(11 * 60), 'Alarm updated from OK to ALARM'],
      ['CompositeAlarm', at(21 * 60), 'Alarm updated from ALARM to OK'],
    ]);
    expect(JSON.parse(AlarmHistoryItems![1]!.HistoryData!).newState.stateReasonData.triggeringAlarms[0].arn).toBe(arn(PAYMENTS));
  });
});

describe('the CloudWatch alarms adapter against the simulated composites', () => {
  it('describes composites and their children, with the children settings triage and verify need', async () => {
    const account = await brokenAccount(withComposites);
    account.clock.advanceTo(at(12 * 60));
    const adapter = new CloudWatchAlarmsAdapter(account.clients().cloudwatch);
    await expect(adapter.describeAlarm(NESTED)).resolves.toMatchObject({ kind: 'composite', state: 'ALARM', stateTransitionedAt: at(11 * 60).toISOString() });
    expect((await adapter.describeCompositeChildren(ANY)).map((c) => [c.name, c.kind, c.state, c.periodSeconds, c.evaluationPeriods, c.datapointsToAlarm])).toEqual([
      [ALARM, 'metric', 'ALARM', 60, 3, 3],
      [PAYMENTS, 'metric', 'ALARM', 60, 1, 1],
    ]);
    expect((await adapter.describeCompositeChildren(NESTED)).map((c) => [c.name, c.kind])).toEqual([
      [BOTH, 'composite'],
      [ANY, 'composite'],
    ]);
    expect(await adapter.describeCompositeChildren(ALARM)).toEqual([]);
  });
});
