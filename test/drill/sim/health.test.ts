import { StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from '@jest/globals';

import { HealthModel, UnknownServiceError } from '../../../drill/sim/health.js';
import { APP, at, ENV, fixtureAccount, IMMEDIATE, PROFILE } from './fixture.js';

const flagOn = new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, DeploymentStrategyId: IMMEDIATE, ConfigurationVersion: '2' });
const flagOff = new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, DeploymentStrategyId: IMMEDIATE, ConfigurationVersion: '1' });

describe('health model', () => {
  it('is the baseline when no fault applies', () => {
    const account = fixtureAccount();
    expect(account.health.errorRate('checkout', at(0))).toBe(0.5);
    expect(account.health.activeFaults('checkout', at(0))).toEqual([]);
  });

  it('adds a flag fault once the application sees the flag, and removes it after the kill switch', async () => {
    const account = fixtureAccount();
    const { appconfig } = account.clients();
    account.clock.advanceTo(at(60));
    await appconfig.send(flagOn);
    expect(account.health.errorRate('checkout', at(104))).toBe(0.5);
    expect(account.health.errorRate('checkout', at(105))).toBe(8.5);
    expect(account.health.activeFaults('checkout', at(105)).map((f) => f.fault.description)).toEqual(['new flow breaks gift cards']);

    account.clock.advanceTo(at(600));
    await appconfig.send(flagOff);
    expect(account.health.errorRate('checkout', at(644))).toBe(8.5);
    expect(account.health.errorRate('checkout', at(645))).toBe(0.5);
  });

  it('leaves the fault in place after a wrong mitigation', async () => {
    const account = fixtureAccount();
    const { appconfig, ecs } = account.clients();
    await appconfig.send(flagOn);
    account.clock.advanceTo(at(300));
    // Rolling the service back does nothing for a fault caused by a flag.
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:41', forceNewDeployment: true }));
    expect(account.health.errorRate('checkout', at(900))).toBe(8.5);
  });

  it('weights a task-definition fault by the share of tasks running it', async () => {
    const account = fixtureAccount();
    await account.clients().ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    expect(account.health.errorRate('checkout', at(60))).toBe(5.5);
    expect(account.health.errorRate('checkout', at(120))).toBe(10.5);
  });

  it('bounds faults with from/until and caps the rate at 100%', () => {
    const model = new HealthModel(
      {
        api: {
          baselineErrorRatePercent: 1,
          faults: [
            { errorRatePercent: 60, when: { always: true }, from: at(60), until: at(120) },
            { errorRatePercent: 70, when: { always: true }, from: at(90) },
          ],
        },
      },
      { appconfig: { flagExposure: () => 0 }, ecs: { taskDefinitionShare: () => 0 } },
    );
    expect(model.errorRate('api', at(59))).toBe(1);
    expect(model.errorRate('api', at(60))).toBe(61);
    expect(model.errorRate('api', at(100))).toBe(100);
    expect(model.errorRate('api', at(120))).toBe(71);
    expect(() => model.errorRate('nope', at(0))).toThrow(UnknownServiceError);
  });

  it('a pulsing fault applies only in the on part of each cycle, counted from its from', () => {
    const model = new HealthModel(
      {
        api: { baselineErrorRatePercent: 1, faults: [{ errorRatePercent: 20, when: { always: true }, from: at(100), pulse: { onSeconds: 30, offSeconds: 60, anchor: at(100) } }] },
      },
      { appconfig: { flagExposure: () => 0 }, ecs: { taskDefinitionShare: () => 0 } },
    );
    const rates = [99, 100, 129, 130, 189, 190, 219, 220].map((s) => model.errorRate('api', at(s)));
    expect(rates).toEqual([1, 21, 21, 1, 1, 21, 21, 1]);
  });

  it('a pulse without from counts from the drill start, and a pulsing scenario fault makes its alarm flap', () => {
    const account = fixtureAccount((s) => {
      s.account.alarms = [{ name: 'checkout-5xx-rate', service: 'checkout', threshold: 5, periodSeconds: 60, evaluationPeriods: 1 }];
      s.account.health['checkout']!.faults = [{ description: 'crash loop', errorRatePercent: 30, when: { always: true }, pulse: { onSeconds: 120, offSeconds: 180 } }];
    });
    expect(account.health.errorRate('checkout', at(0))).toBe(30.5);
    expect(account.health.errorRate('checkout', at(120))).toBe(0.5);
    expect(account.health.errorRate('checkout', at(300))).toBe(30.5);
    const transitions: string[] = [];
    let after = at(0);
    for (;;) {
      const state = account.cloudwatch.stateAt('checkout-5xx-rate', after).state;
      const next = account.cloudwatch.nextTransition('checkout-5xx-rate', state === 'OK' ? 'ALARM' : 'OK', after, 900);
      if (!next || next > at(900)) break;
      transitions.push(`${(next.getTime() - at(0).getTime()) / 1000}s ${state === 'OK' ? 'ALARM' : 'OK'}`);
      after = next;
    }
    // Breaching minutes 0-1 and 5-6 (each alarm one period after), clean from minute 2 and 7.
    expect(transitions).toEqual(['60s ALARM', '180s OK', '360s ALARM', '480s OK', '660s ALARM', '780s OK']);
  });
});
