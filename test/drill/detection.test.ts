import { describe, expect, it } from '@jest/globals';

import { detectionMismatches, scriptedFaultStart } from '../../drill/detection.js';
import { atOffset, listBuiltInScenarios, loadScenario } from '../../drill/scenario.js';
import { SimulatedAccount } from '../../drill/sim/account.js';
import { CloudWatchAlarmsAdapter } from '../../lambdas/adapters/cloudwatch-alarms.js';
import { CloudWatchMetricDataAdapter } from '../../lambdas/adapters/cloudwatch-metric-data.js';
import { parseAlarmEvent } from '../../lambdas/core/alarm-event.js';
import type { TimelineEvent } from '../../lambdas/core/model.js';
import { measureImpactStart } from '../../lambdas/operations/impact-start.js';
import { fixtureScenario } from './sim/fixture.js';

const TOPICS = ['arn:aws:sns:us-east-1:123456789012:tourniquet-prod-status'];

describe('scriptedFaultStart', () => {
  const scenario = fixtureScenario((s) => {
    s.account.health['checkout']!.faults = [{ errorRatePercent: 8, when: { always: true }, from: '+00:03:20' }];
  });
  /** Error rate 0.5 % until 10:03:20, 8.5 % after; the alarm (5 %, 3 × 60 s) fires at 10:07. */
  const health = { errorRate: (_service: string, t: Date) => (t.getTime() >= Date.parse('2026-11-23T10:03:20.000Z') ? 8.5 : 0.5) };

  it('is the first second of the breaching stretch that led to the alarm', () => {
    expect(scriptedFaultStart(scenario, health, 'checkout-5xx-rate', new Date('2026-11-23T10:07:00.000Z'))).toEqual({
      at: '2026-11-23T10:03:20.000Z',
      alarm: 'checkout-5xx-rate',
      periodSeconds: 60,
    });
  });

  it('is undefined when the error rate did not breach during the evaluation window, or for an unknown alarm', () => {
    expect(scriptedFaultStart(scenario, { errorRate: () => 0.5 }, 'checkout-5xx-rate', new Date('2026-11-23T10:07:00.000Z'))).toBeUndefined();
    expect(scriptedFaultStart(scenario, health, 'ghost', new Date('2026-11-23T10:07:00.000Z'))).toBeUndefined();
  });
});

const at = (hhmmss: string) => `2026-11-23T03:${hhmmss}.000Z`;
const event = (time: string, kind: TimelineEvent['kind'], data?: Record<string, unknown>): TimelineEvent => ({ at: at(time), kind, message: kind, ...(data ? { data } : {}) });
/** A timeline as the workflow writes it: opened 03:09:02, impact from 03:06 (alarm 03:09), verified 03:12:22, closed with its metrics. */
const timeline = [
  event('09:02', 'incident-opened'),
  event('09:04', 'triage', { impactStartedAt: at('06:00'), impactStartSource: 'metric-data', alarmAt: at('09:00') }),
  event('12:22', 'verification'),
  event('17:24', 'closed', { mttdSeconds: 180, mttmSeconds: 200, mttrSeconds: 382 }),
];
const agreeing = { mttdSeconds: 180, mttmSeconds: 200, mttrSeconds: 382, impactStartedAt: at('06:00'), timeline };

describe('detectionMismatches', () => {
  it('finds none when the metrics agree with the timeline and the fault started within a period of the impact', () => {
    expect(detectionMismatches({ ...agreeing, faultStart: { at: at('05:45'), alarm: 'checkout-5xx-rate', periodSeconds: 60 } })).toEqual([]);
  });

  it('names every metric that disagrees with the timeline', () => {
    expect(detectionMismatches({ ...agreeing, mttdSeconds: 240, mttrSeconds: 440 })).toEqual([
      'MTTD 240 s disagrees with the timeline: impact started 03:06:00, the alarm fired 03:09:00 (180 s)',
      'MTTR 440 s disagrees with the timeline: impact started 03:06:00, service restored 03:12:22',
      'mttdSeconds 240 disagrees with the 180 the timeline recorded when the incident closed',
      'mttrSeconds 440 disagrees with the 382 the timeline recorded when the incident closed',
    ]);
    expect(detectionMismatches({ ...agreeing, mttmSeconds: 150, mttrSeconds: 332, timeline: timeline.slice(0, 3) })).toEqual([
      'MTTM 150 s disagrees with the timeline: no verification at 03:11:32 (incident opened 03:09:02)',
    ]);
    expect(detectionMismatches({ ...agreeing, timeline: [timeline[0]!, timeline[2]!] })).toEqual(['MTTD 180 s is reported but the timeline records no impact start']);
  });

  it('ignores the metrics of an earlier round once the incident re-opened', () => {
    const reopened = [...timeline, event('30:00', 'reopened')];
    expect(detectionMismatches({ ...agreeing, mttmSeconds: 200, timeline: reopened })).toEqual([]);
  });

  it('fails the scenario when impact start is more than one period from the scripted fault start', () => {
    expect(detectionMismatches({ ...agreeing, faultStart: { at: at('04:30'), alarm: 'checkout-5xx-rate', periodSeconds: 60 } })).toEqual([
      'impact start 03:06:00 is 90 s from the scripted fault start 03:04:30 (checkout-5xx-rate), more than one 60 s period',
    ]);
  });
});

describe('every built-in scenario with a primary alarm: triage measures impact start within one period of the scripted fault start', () => {
  const scenarios = listBuiltInScenarios()
    .map((s) => loadScenario(s.name))
    .filter((s) => s.alarm !== undefined && s.expect.alarmAt !== undefined);

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const account = SimulatedAccount.fromScenario(scenario, { topicArns: TOPICS });
    await account.applyHistory();
    const alarmAt = atOffset(scenario.startsAt, scenario.expect.alarmAt!);
    // Triage runs a few seconds after the alarm, as in the drill.
    account.clock.advanceTo(new Date(alarmAt.getTime() + 4000));
    const [signal] = parseAlarmEvent(account.cloudwatch.stateChangeEvent(scenario.alarm!, alarmAt));
    const alarms = new CloudWatchAlarmsAdapter(account.clients().cloudwatch);
    const alarm = await alarms.describeAlarm(scenario.alarm!);
    const children = alarm.kind === 'composite' ? await alarms.describeCompositeChildren(alarm.name) : undefined;
    const impact = await measureImpactStart(new CloudWatchMetricDataAdapter(account.clients().cloudwatch), {
      signal: signal!,
      alarm,
      ...(children ? { children } : {}),
      facts: alarm,
    });
    const fault = scriptedFaultStart(scenario, account.health, scenario.alarm!, alarmAt);

    expect(impact.source).toBe('metric-data');
    expect(fault).toBeDefined();
    expect(Math.abs(Date.parse(impact.at!) - Date.parse(fault!.at)) / 1000).toBeLessThanOrEqual(fault!.periodSeconds);
  });
});
