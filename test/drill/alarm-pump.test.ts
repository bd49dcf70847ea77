import { StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { describe, expect, it } from '@jest/globals';

import { AlarmPump } from '../../drill/alarm-pump.js';
import type { Delivery, ScenarioInput } from '../../drill/scenario.js';
import { Scheduler } from '../../drill/scheduler.js';
import type { SimulatedAccount } from '../../drill/sim/account.js';
import type { AlarmStateChangeEvent } from '../../drill/sim/cloudwatch.js';
import { APP, ENV, fixtureAccount, IMMEDIATE, PROFILE, START } from './sim/fixture.js';

/** "+HH:MM:SS" since the fixture's start. */
const offset = (d: Date | string) => {
  const s = Math.round((new Date(d).getTime() - Date.parse(START)) / 1000);
  return `+${String(Math.floor(s / 3600)).padStart(2, '0')}:${new Date(s * 1000).toISOString().slice(14, 19)}`;
};

const ONCE: Delivery = { deliveries: 1, delaySeconds: 2, redeliveryIntervalSeconds: 0 };

/** A scheduler and a pump over a fixture account; deliveries are logged as "+HH:MM:SS alarm STATE". */
function setup(edit: (s: ScenarioInput) => void, delivery: Delivery = ONCE, deliver?: (e: AlarmStateChangeEvent) => Promise<unknown>) {
  const account: SimulatedAccount = fixtureAccount(edit);
  const scheduler = new Scheduler(account.clock);
  const delivered: string[] = [];
  const pump = new AlarmPump({
    scheduler,
    cloudwatch: account.cloudwatch,
    alarms: account.cloudwatch.alarmNames(),
    delivery,
    boundaries: account.health.boundaries(),
    stateVersion: () => account.stateVersion(),
    reactionSeconds: 180,
    deliver:
      deliver ??
      (async (event) => {
        delivered.push(`${offset(scheduler.now())} ${event.detail.alarmName} ${event.detail.state.value}`);
        return 'ok';
      }),
  });
  pump.start();
  return { account, scheduler, pump, delivered };
}

const deploy = (version: number) =>
  new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, DeploymentStrategyId: IMMEDIATE, ConfigurationVersion: String(version) });

describe('the alarm pump', () => {
  it('delivers every transition of every alarm, ALARM and OK, each copy at its time', async () => {
    const { scheduler, pump, delivered } = setup(
      (s) => {
        s.account.alarms.push({ name: 'checkout-fast', service: 'checkout', threshold: 5, periodSeconds: 60, evaluationPeriods: 1 });
        s.account.health['checkout']!.faults = [{ errorRatePercent: 20, when: { always: true }, from: '+00:10', until: '+00:30' }];
      },
      { deliveries: 3, delaySeconds: 2, redeliveryIntervalSeconds: 5 },
    );
    const outcome = await scheduler.run();
    expect(pump.transitions.map((t) => `${offset(t.at)} ${t.alarm} ${t.state}`)).toEqual([
      '+00:11:00 checkout-fast ALARM',
      '+00:13:00 checkout-5xx-rate ALARM',
      '+00:31:00 checkout-5xx-rate OK',
      '+00:31:00 checkout-fast OK',
    ]);
    expect(delivered.slice(0, 6)).toEqual([
      '+00:11:02 checkout-fast ALARM',
      '+00:11:07 checkout-fast ALARM',
      '+00:11:12 checkout-fast ALARM',
      '+00:13:02 checkout-5xx-rate ALARM',
      '+00:13:07 checkout-5xx-rate ALARM',
      '+00:13:12 checkout-5xx-rate ALARM',
    ]);
    expect(delivered).toHaveLength(12);
    expect(pump.transitions.every((t) => t.deliveries.length === 3 && t.deliveries.every((d) => d.result === 'ok'))).toBe(true);
    // Nothing lies ahead after the last delivery: the drill ends there.
    expect(outcome.reason).toBe('quiet');
    expect(offset(scheduler.now())).toBe('+00:31:12');
  });

  it('re-predicts when an actor changes the account: a mitigation brings the OK its prediction did not have', async () => {
    // The fixture's alarm: 60 s periods, 3 of 3; its flag fault adds 8%.
    const { account, scheduler, delivered } = setup(() => undefined);
    const { appconfig } = account.clients();
    scheduler.spawn('history', async () => {
      await scheduler.sleep(5 * 60);
      await appconfig.send(deploy(2));
    });
    scheduler.spawn('mitigation', async () => {
      await scheduler.sleep(10 * 60);
      await appconfig.send(deploy(1));
    });
    await scheduler.run();
    // The flag reaches the application 45 s after each deployment: bad from 05:45, good again from 10:45.
    expect(delivered).toEqual(['+00:09:02 checkout-5xx-rate ALARM', '+00:12:02 checkout-5xx-rate OK']);
  });

  it('finds a fault that begins days later, re-checking quietly at its horizon', async () => {
    const { scheduler, pump, delivered } = setup((s) => {
      s.account.health['checkout']!.faults = [{ errorRatePercent: 20, when: { always: true }, from: '+192:00' }];
    });
    const outcome = await scheduler.run();
    expect(delivered).toEqual(['+192:03:02 checkout-5xx-rate ALARM']);
    expect(pump.transitions).toHaveLength(1);
    // About one wake-up per hour of quiet, not one per alarm period.
    expect(outcome.steps).toBeLessThan(200);
  });

  it('does not keep the drill alive when nothing lies ahead', async () => {
    const { scheduler, delivered } = setup((s) => {
      s.account.health['checkout']!.faults = [];
    });
    const outcome = await scheduler.run();
    expect(outcome).toEqual({ reason: 'quiet', steps: 0 });
    expect(delivered).toEqual([]);
    expect(offset(scheduler.now())).toBe('+00:00:00');
  });

  it('keeps flapping alarms flowing, and a starter that throws is recorded without stopping the pump', async () => {
    let calls = 0;
    const { scheduler, pump } = setup(
      (s) => {
        Object.assign(s.account.alarms[0]!, { evaluationPeriods: 1, datapointsToAlarm: 1 });
        s.account.health['checkout']!.faults = [{ errorRatePercent: 30, when: { always: true }, until: '+00:20', pulse: { onSeconds: 120, offSeconds: 180 } }];
      },
      ONCE,
      async () => {
        calls += 1;
        if (calls === 2) throw new Error('starter down');
        return 'ok';
      },
    );
    await scheduler.run();
    expect(pump.transitions.map((t) => `${offset(t.at)} ${t.state}`)).toEqual([
      '+00:01:00 ALARM',
      '+00:03:00 OK',
      '+00:06:00 ALARM',
      '+00:08:00 OK',
      '+00:11:00 ALARM',
      '+00:13:00 OK',
      '+00:16:00 ALARM',
      '+00:18:00 OK',
    ]);
    expect(pump.transitions[1]!.deliveries).toEqual([{ at: expect.any(String), error: 'Error: starter down' }]);
    expect(pump.transitions[2]!.deliveries).toEqual([{ at: expect.any(String), result: 'ok' }]);
  });
});
