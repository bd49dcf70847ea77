import { ListApplicationsCommand, ListDeploymentsCommand, StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { DeleteServiceCommand } from '@aws-sdk/client-ecs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from '@jest/globals';

import { HistoryApplyError, SimulatedAccount } from '../../../drill/sim/account.js';
import { VirtualClock } from '../../../drill/sim/clock.js';
import { UnsupportedCommandError } from '../../../drill/sim/wire.js';
import { APP, at, ENV, fixtureAccount, fixtureScenario, IMMEDIATE, PROFILE, STATUS_TOPIC } from './fixture.js';

describe('SimulatedAccount wiring', () => {
  it('throws a clear error for a command it does not simulate, and records it', async () => {
    const account = fixtureAccount();
    const { ecs, appconfig } = account.clients();
    const error = await ecs.send(new DeleteServiceCommand({ cluster: 'shop-prod', service: 'checkout' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedCommandError);
    expect((error as Error).message).toMatch(/does not implement ecs DeleteService/);
    await expect(appconfig.send(new ListApplicationsCommand({}))).rejects.toThrow(/appconfig ListApplications/);
    expect(account.calls().map((c) => [c.service, c.command, c.error?.name])).toEqual([
      ['ecs', 'DeleteService', 'UnsupportedCommandError'],
      ['appconfig', 'ListApplications', 'UnsupportedCommandError'],
    ]);
  });

  it('records every call with its origin, input and virtual time', async () => {
    const account = fixtureAccount();
    account.clock.advanceTo(at(30));
    const out = await account.clients().appconfig.send(new ListDeploymentsCommand({ ApplicationId: APP, EnvironmentId: ENV }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(account.calls()).toEqual([
      { seq: 1, origin: 'drill', service: 'appconfig', command: 'ListDeployments', input: { ApplicationId: APP, EnvironmentId: ENV }, at: at(30).toISOString() },
    ]);
    // The record is a copy.
    const calls = account.calls();
    (calls[0] as { command: string }).command = 'changed';
    expect(account.calls()[0]?.command).toBe('ListDeployments');
  });

  it('hands out the same clients each time', () => {
    const account = fixtureAccount();
    expect(account.clients()).toBe(account.clients());
  });

  it('takes snapshots that are deep copies of the state at that moment', async () => {
    const account = fixtureAccount();
    const before = account.snapshot();
    expect(before.appconfig.deployments).toHaveLength(1);
    expect(before.health.checkout?.errorRatePercent).toBe(0.5);
    expect(before.cloudwatch.alarms[0]).toMatchObject({ name: 'checkout-5xx-rate', state: 'OK', transitions: [] });

    before.appconfig.deployments.pop();
    before.ecs.services[0]!.desiredCount = 99;
    expect(account.snapshot().appconfig.deployments).toHaveLength(1);
    expect(account.snapshot().ecs.services[0]!.desiredCount).toBe(4);

    const frozen = account.snapshot();
    await account
      .clients()
      .appconfig.send(
        new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, DeploymentStrategyId: IMMEDIATE, ConfigurationVersion: '2' }),
      );
    await account.clients().sns.send(new PublishCommand({ TopicArn: STATUS_TOPIC, Message: 'hello' }));
    expect(frozen.appconfig.deployments).toHaveLength(1);
    expect(frozen.sns.published).toEqual([]);
    const after = account.snapshot();
    expect(after.appconfig.deployments.map((d) => d.configurationVersion)).toEqual(['1', '2']);
    expect(after.sns.published).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(after))).toEqual(after);
  });

  it('applies history once, through the APIs, as "scenario" calls', async () => {
    const account = SimulatedAccount.fromScenario(
      fixtureScenario((s) => {
        s.history = [
          { at: '+00:02', startDeployment: { configurationVersion: 2 } },
          { at: '+00:04', updateService: { taskDefinition: 'checkout:42' } },
        ];
      }),
      { topicArns: [STATUS_TOPIC] },
    );
    const applied = await account.applyHistory();
    expect(applied.map((a) => [a.at, a.action])).toEqual([
      [at(120).toISOString(), 'startDeployment'],
      [at(240).toISOString(), 'updateService'],
    ]);
    expect(account.clock.now()).toEqual(at(240));
    expect(account.calls().map((c) => [c.origin, c.command, c.at])).toEqual([
      ['scenario', 'StartDeployment', at(120).toISOString()],
      ['scenario', 'UpdateService', at(240).toISOString()],
    ]);
    await expect(account.applyHistory()).rejects.toBeInstanceOf(HistoryApplyError);
  });

  it('reports which history entry failed', async () => {
    const account = SimulatedAccount.fromScenario(
      fixtureScenario((s) => {
        s.history = [
          { at: '+00:02', startDeployment: { configurationVersion: 2, strategy: 'AppConfig.AllAtOnce' } },
          { at: '+00:05', startDeployment: { configurationVersion: 1 } },
        ];
      }),
      { topicArns: [STATUS_TOPIC] },
    );
    await expect(account.applyHistory()).rejects.toThrow(/^history\[1\]: ConflictException/);
  });

  it('refuses a clock that is already past the scenario start', () => {
    const clock = new VirtualClock(at(1));
    expect(() => new SimulatedAccount({ scenario: fixtureScenario(), topicArns: [], clock })).toThrow(/past the scenario start/);
  });
});
