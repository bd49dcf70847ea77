import {
  BadRequestException,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  GetConfigurationProfileCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListDeploymentStrategiesCommand,
  ListHostedConfigurationVersionsCommand,
  ResourceNotFoundException,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { describe, expect, it } from '@jest/globals';

import { APP, at, ENV, fixtureAccount, IMMEDIATE, PROFILE } from './fixture.js';

const start = (version: number, strategy = IMMEDIATE) =>
  new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, DeploymentStrategyId: strategy, ConfigurationVersion: String(version) });

const flagsContent = (on: boolean) =>
  new TextEncoder().encode(
    JSON.stringify({
      version: '1',
      flags: { 'new-checkout-flow': { name: 'New checkout flow' }, 'express-pay': { name: 'Express pay' } },
      values: { 'new-checkout-flow': { enabled: on }, 'express-pay': { enabled: true } },
    }),
  );

describe('simulated AppConfig: deployments', () => {
  it('lists deployments in descending number order with summary fields, page by page', async () => {
    const account = fixtureAccount();
    const { appconfig } = account.clients();
    account.clock.advanceTo(at(60));
    await appconfig.send(start(2));
    account.clock.advanceTo(at(120));
    await appconfig.send(start(1));

    const first = await appconfig.send(new ListDeploymentsCommand({ ApplicationId: APP, EnvironmentId: ENV, MaxResults: 2 }));
    expect(first.Items?.map((d) => d.DeploymentNumber)).toEqual([3, 2]);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(first.Items?.[1]).toEqual({
      DeploymentNumber: 2,
      ConfigurationProfileId: PROFILE,
      ConfigurationName: 'checkout-flags',
      ConfigurationVersion: '2',
      DeploymentDurationInMinutes: 0,
      GrowthType: 'LINEAR',
      GrowthFactor: 100,
      FinalBakeTimeInMinutes: 0,
      State: 'COMPLETE',
      PercentageComplete: 100,
      StartedAt: at(60),
      CompletedAt: at(60),
    });
    const second = await appconfig.send(new ListDeploymentsCommand({ ApplicationId: APP, EnvironmentId: ENV, MaxResults: 2, NextToken: first.NextToken }));
    expect(second.Items?.map((d) => d.DeploymentNumber)).toEqual([1]);
    expect(second.NextToken).toBeUndefined();
    expect(second.Items?.[0]?.StartedAt).toEqual(at(-24 * 3600));
  });

  it('moves a deployment through DEPLOYING, BAKING and COMPLETE on the virtual clock', async () => {
    const account = fixtureAccount();
    const { appconfig } = account.clients();
    const started = await appconfig.send(start(2, 'AppConfig.Linear50PercentEvery30Seconds'));
    expect(started).toMatchObject({ DeploymentNumber: 2, State: 'DEPLOYING', PercentageComplete: 50, DeploymentStrategyId: 'AppConfig.Linear50PercentEvery30Seconds' });
    const get = () => appconfig.send(new GetDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 2 }));

    account.clock.advanceTo(at(30));
    expect(await get()).toMatchObject({ State: 'DEPLOYING', PercentageComplete: 100 });
    account.clock.advanceTo(at(60));
    expect(await get()).toMatchObject({ State: 'BAKING', PercentageComplete: 100 });
    expect((await get()).CompletedAt).toBeUndefined();
    account.clock.advanceTo(at(120));
    const done = await get();
    expect(done).toMatchObject({ State: 'COMPLETE', CompletedAt: at(120) });
    expect(done.EventLog?.map((e) => e.EventType)).toEqual(['DEPLOYMENT_COMPLETED', 'BAKE_TIME_STARTED', 'PERCENTAGE_UPDATED', 'PERCENTAGE_UPDATED', 'DEPLOYMENT_STARTED']);
    expect(done.EventLog?.[0]?.OccurredAt).toEqual(at(120));
  });

  it('answers ConflictException while another deployment is in progress in the environment', async () => {
    const account = fixtureAccount();
    const { appconfig } = account.clients();
    await appconfig.send(start(2, 'AppConfig.AllAtOnce'));
    account.clock.advanceTo(at(9 * 60 + 59));
    const error = await appconfig.send(start(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).message).toMatch(/Deployment #2 is in progress .* \(state BAKING\)/);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    const failed = account.calls().at(-1);
    expect(failed).toMatchObject({ service: 'appconfig', command: 'StartDeployment', origin: 'drill', error: { name: 'ConflictException' } });

    account.clock.advanceTo(at(10 * 60));
    await expect(appconfig.send(start(1))).resolves.toMatchObject({ DeploymentNumber: 3 });
  });

  it('checks LatestDeploymentNumber', async () => {
    const { appconfig } = fixtureAccount().clients();
    const stale = new StartDeploymentCommand({
      ApplicationId: APP,
      EnvironmentId: ENV,
      ConfigurationProfileId: PROFILE,
      DeploymentStrategyId: IMMEDIATE,
      ConfigurationVersion: '2',
      LatestDeploymentNumber: 0,
    });
    await expect(appconfig.send(stale)).rejects.toBeInstanceOf(ConflictException);
  });

  it('rolls back a deployment stopped while DEPLOYING, and reverts a completed one only with AllowRevert', async () => {
    const account = fixtureAccount();
    const { appconfig } = account.clients();
    await appconfig.send(start(2, 'AppConfig.Linear20PercentEvery6Minutes'));
    account.clock.advanceTo(at(60));
    const stopped = await appconfig.send(new StopDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 2 }));
    expect(stopped).toMatchObject({ State: 'ROLLED_BACK', CompletedAt: at(60) });

    await appconfig.send(start(2));
    account.clock.advanceTo(at(120));
    const plain = new StopDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 3 });
    await expect(appconfig.send(plain)).rejects.toBeInstanceOf(BadRequestException);
    const reverted = await appconfig.send(new StopDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 3, AllowRevert: true }));
    expect(reverted.State).toBe('REVERTED');
    // Version 1 again, once the app's agent has polled.
    expect(account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(120 + 45))['new-checkout-flow']).toBe(false);
    expect(account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(120 + 44))['new-checkout-flow']).toBe(true);
  });

  it('stops a BAKING deployment only with AllowRevert: ROLLED_BACK, the previous version live again, the environment free', async () => {
    const account = fixtureAccount();
    const { appconfig } = account.clients();
    await appconfig.send(start(2, 'AppConfig.AllAtOnce'));
    account.clock.advanceTo(at(4 * 60));
    const get = () => appconfig.send(new GetDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 2 }));
    expect(await get()).toMatchObject({ State: 'BAKING', PercentageComplete: 100, FinalBakeTimeInMinutes: 10 });
    // The flag is live for every target while the deployment bakes: this is when the alarm fires.
    expect(account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(4 * 60))['new-checkout-flow']).toBe(true);

    const plain = new StopDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 2 });
    await expect(appconfig.send(plain)).rejects.toBeInstanceOf(BadRequestException);
    const stopped = await appconfig.send(new StopDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 2, AllowRevert: true }));
    expect(stopped).toMatchObject({ State: 'ROLLED_BACK', CompletedAt: at(4 * 60) });
    expect((await get()).EventLog?.map((e) => e.EventType).slice(0, 2)).toEqual(['ROLLBACK_COMPLETED', 'ROLLBACK_STARTED']);
    // The application's agent picks version 1 up at its next poll.
    expect(account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(4 * 60 + 44))['new-checkout-flow']).toBe(true);
    expect(account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(4 * 60 + 45))['new-checkout-flow']).toBe(false);
    // A second stop is refused, and the environment takes a new deployment at once.
    await expect(appconfig.send(plain)).rejects.toThrow(/already ROLLED_BACK/);
    await expect(appconfig.send(start(1))).resolves.toMatchObject({ DeploymentNumber: 3 });
  });

  it('answers ResourceNotFoundException for unknown applications, environments and deployments', async () => {
    const { appconfig } = fixtureAccount().clients();
    await expect(appconfig.send(new ListDeploymentsCommand({ ApplicationId: 'zzz9app', EnvironmentId: ENV }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(appconfig.send(new ListDeploymentsCommand({ ApplicationId: APP, EnvironmentId: 'zzz9env' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(appconfig.send(new GetDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 9 }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('simulated AppConfig: hosted versions', () => {
  it('lists versions newest first and returns content the way the SDK does', async () => {
    const { appconfig } = fixtureAccount().clients();
    const list = await appconfig.send(new ListHostedConfigurationVersionsCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE }));
    expect(list.Items?.map((v) => v.VersionNumber)).toEqual([2, 1]);
    expect(list.Items?.[0]).toMatchObject({ ContentType: 'application/json', Description: 'Launch the new flow' });

    const v2 = await appconfig.send(new GetHostedConfigurationVersionCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE, VersionNumber: 2 }));
    const doc = JSON.parse(v2.Content!.transformToString());
    expect(doc).toEqual({
      version: '1',
      flags: {
        'new-checkout-flow': { name: 'New checkout flow' },
        'express-pay': { name: 'Express pay' },
        'serve-cached-recommendations': { name: 'Serve cached recommendations' },
      },
      // Flags a scenario version leaves out are written as off.
      values: { 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: true }, 'serve-cached-recommendations': { enabled: false } },
    });
  });

  it('does not let a caller change a stored version by mutating what it got', async () => {
    const { appconfig } = fixtureAccount().clients();
    const get = () => appconfig.send(new GetHostedConfigurationVersionCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE, VersionNumber: 1 }));
    const first = await get();
    first.Content!.fill(0);
    expect(JSON.parse((await get()).Content!.transformToString()).version).toBe('1');
  });

  it('creates the next version number and enforces LatestVersionNumber with ConflictException', async () => {
    const { appconfig } = fixtureAccount().clients();
    const create = (latest: number) =>
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: APP,
        ConfigurationProfileId: PROFILE,
        Content: flagsContent(false),
        ContentType: 'application/json',
        LatestVersionNumber: latest,
        Description: 'Kill switch',
      });
    await expect(appconfig.send(create(1))).rejects.toBeInstanceOf(ConflictException);
    const created = await appconfig.send(create(2));
    expect(created).toMatchObject({ ApplicationId: APP, ConfigurationProfileId: PROFILE, VersionNumber: 3, Description: 'Kill switch' });
    expect(JSON.parse(created.Content!.transformToString()).values['new-checkout-flow']).toEqual({ enabled: false });
  });

  it('accepts Content given as a string', async () => {
    const { appconfig } = fixtureAccount().clients();
    const text = new TextDecoder().decode(flagsContent(true));
    const created = await appconfig.send(
      new CreateHostedConfigurationVersionCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE, Content: text, ContentType: 'application/json' }),
    );
    expect(created.VersionNumber).toBe(3);
  });

  it('rejects content that is not a valid feature-flag document, saying where', async () => {
    const { appconfig } = fixtureAccount().clients();
    const bad = new TextEncoder().encode(
      JSON.stringify({ version: '1', flags: { 'new-checkout-flow': { name: 'x' } }, values: { ghost: { enabled: true }, 'new-checkout-flow': { enabled: 'yes' } } }),
    );
    const error = (await appconfig
      .send(new CreateHostedConfigurationVersionCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE, Content: bad, ContentType: 'application/json' }))
      .catch((e: unknown) => e)) as BadRequestException;
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.Reason).toBe('InvalidConfiguration');
    const locations = error.Details?.InvalidConfiguration?.map((d) => d.Location);
    expect(locations).toEqual(expect.arrayContaining(['$.values.ghost', '$.values.new-checkout-flow.enabled']));

    const notJson = new CreateHostedConfigurationVersionCommand({
      ApplicationId: APP,
      ConfigurationProfileId: PROFILE,
      Content: new TextEncoder().encode('{'),
      ContentType: 'application/json',
    });
    await expect(appconfig.send(notJson)).rejects.toBeInstanceOf(BadRequestException);
  });
});

describe('simulated AppConfig: profiles and strategies', () => {
  it('describes the feature-flag profile', async () => {
    const { appconfig } = fixtureAccount().clients();
    const profile = await appconfig.send(new GetConfigurationProfileCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE }));
    expect(profile).toMatchObject({ ApplicationId: APP, Id: PROFILE, Name: 'checkout-flags', LocationUri: 'hosted', Type: 'AWS.AppConfig.FeatureFlags' });
  });

  it('lists the predefined strategies and the immediate one the stack owns', async () => {
    const { appconfig } = fixtureAccount().clients();
    const { Items } = await appconfig.send(new ListDeploymentStrategiesCommand({}));
    expect(Items?.find((s) => s.Id === 'AppConfig.AllAtOnce')).toMatchObject({ DeploymentDurationInMinutes: 0, GrowthFactor: 100, FinalBakeTimeInMinutes: 10 });
    expect(Items?.find((s) => s.Id === IMMEDIATE)).toMatchObject({ DeploymentDurationInMinutes: 0, GrowthType: 'LINEAR', GrowthFactor: 100, FinalBakeTimeInMinutes: 0 });
  });
});

describe('simulated AppConfig: what the application sees', () => {
  it('applies a completed deployment only after the propagation delay', async () => {
    const account = fixtureAccount();
    account.clock.advanceTo(at(300));
    await account.clients().appconfig.send(start(2));
    const seen = (s: number) => account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(s));
    expect(seen(300)).toEqual({ 'new-checkout-flow': false, 'express-pay': true, 'serve-cached-recommendations': false });
    expect(seen(344)['new-checkout-flow']).toBe(false);
    expect(seen(345)['new-checkout-flow']).toBe(true);
  });

  it('counts a gradual rollout in proportion to its progress', async () => {
    const account = fixtureAccount();
    await account.clients().appconfig.send(start(2, 'AppConfig.Linear50PercentEvery30Seconds'));
    const exposure = (s: number) => account.appconfig.flagExposure(APP, ENV, PROFILE, 'new-checkout-flow', at(s));
    expect(exposure(44)).toBe(0);
    expect(exposure(45)).toBe(0.5);
    expect(exposure(75)).toBe(1);
    // effectiveFlags only reports what reached every target.
    expect(account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(60))['new-checkout-flow']).toBe(false);
    expect(account.appconfig.effectiveFlags(APP, ENV, PROFILE, at(75))['new-checkout-flow']).toBe(true);
  });
});
