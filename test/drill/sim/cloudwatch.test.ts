import { StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, InvalidParameterCombinationException } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from '@jest/globals';
import { AlarmQueryError } from '../../../drill/sim/cloudwatch.js';
import { APP, ENV, IMMEDIATE, PROFILE, at, fixtureAccount } from './fixture.js';

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
    expect(JSON.parse(state.reasonData)).toMatchObject({ version: '1.0', statistic: 'Average', period: 60, recentDatapoints: [8.5, 8.5, 8.5], threshold: 5, startDate: '2026-11-23T10:02:00.000+0000' });
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
