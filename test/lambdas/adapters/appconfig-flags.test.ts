import {
  AppConfigClient,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  type DeploymentState,
  type DeploymentSummary,
  GetDeploymentCommand,
  GetDeploymentStrategyCommand,
  GetHostedConfigurationVersionCommand,
  type GetHostedConfigurationVersionCommandOutput,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import {
  AppConfigFlagsAdapter,
  DeploymentInFlightError,
  FlagContentInvalidError,
  FlagNotInProfileError,
  FlagNotSwitchableError,
  FlagSetResultSchema,
  NoDeployedConfigurationError,
} from '../../../lambdas/adapters/appconfig-flags.js';
import { AwsAccessDeniedError, AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { jsonBytes, parseBytes, sdkError } from './sdk-errors.js';

const target = { applicationId: 'chk4app', environmentId: 'prd5env', configurationProfileId: 'flg6prf' };
const OTHER_PROFILE = 'oth7prf';
const STRATEGY = 'fst8str';
const appconfig = mockClient(AppConfigClient);

/** A feature flag document in the AWS.AppConfig.FeatureFlags format, with attributes and metadata. */
function flagDoc(values: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return {
    version: '1',
    flags: {
      'new-checkout-flow': { name: 'New checkout flow', _createdAt: '2026-10-01T09:00:00.000Z' },
      'express-pay': { name: 'Express pay', attributes: { limit: { constraints: { type: 'number' } } } },
      'serve-cached-recommendations': { name: 'Serve cached recommendations' },
    },
    values,
  };
}

interface Dep {
  n: number;
  profile: string;
  version: string;
  state: DeploymentState;
  startedAt: string;
}

const summary = (d: Dep): DeploymentSummary => ({
  DeploymentNumber: d.n,
  ConfigurationName: d.profile === target.configurationProfileId ? 'flags' : 'other',
  ConfigurationVersion: d.version,
  State: d.state,
  PercentageComplete: d.state === 'COMPLETE' ? 100 : 40,
  StartedAt: new Date(d.startedAt),
});

/** ListDeployments (one page, summaries without profile IDs) and GetDeployment for each number. */
function givenDeployments(deps: Dep[]): void {
  appconfig.on(ListDeploymentsCommand).resolves({ Items: deps.map(summary) });
  for (const d of deps) {
    appconfig
      .on(GetDeploymentCommand, { DeploymentNumber: d.n })
      .resolves({ ...summary(d), ApplicationId: target.applicationId, EnvironmentId: target.environmentId, ConfigurationProfileId: d.profile });
  }
}

/** Hosted versions of the flag profile, listed by ListHostedConfigurationVersions and readable one by one. */
function givenHosted(versions: Record<number, Record<string, unknown>>): void {
  appconfig.on(ListHostedConfigurationVersionsCommand).resolves({
    Items: Object.keys(versions).map((v) => ({
      ApplicationId: target.applicationId,
      ConfigurationProfileId: target.configurationProfileId,
      VersionNumber: Number(v),
      ContentType: 'application/json',
    })),
  });
  for (const [v, doc] of Object.entries(versions)) {
    appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: Number(v) }).resolves({
      ApplicationId: target.applicationId,
      ConfigurationProfileId: target.configurationProfileId,
      VersionNumber: Number(v),
      // Real clients return a Uint8Array subclass with string helpers; the adapter only needs the bytes.
      Content: jsonBytes(doc) as GetHostedConfigurationVersionCommandOutput['Content'],
      ContentType: 'application/json',
    });
  }
}

const createdContent = (): unknown => parseBytes(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)[0]!.args[0].input.Content);

const live = flagDoc({
  'new-checkout-flow': { enabled: true, _updatedAt: '2026-11-02T10:00:00.000Z' },
  'express-pay': { enabled: true, limit: 50 },
  'serve-cached-recommendations': { enabled: false },
});

describe('AppConfigFlagsAdapter.setFlag', () => {
  const adapter = new AppConfigFlagsAdapter(appconfig as unknown as AppConfigClient);
  const killSwitch = { flag: 'new-checkout-flow', enabled: false, deploymentStrategyId: STRATEGY, description: 'Tourniquet inc-1: kill switch' };

  beforeEach(() => {
    appconfig.reset();
  });

  it('writes a version based on the deployed one with only the flag changed, and deploys it', async () => {
    givenDeployments([
      { n: 3, profile: target.configurationProfileId, version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' },
      { n: 2, profile: OTHER_PROFILE, version: '7', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' },
      { n: 1, profile: target.configurationProfileId, version: '1', state: 'COMPLETE', startedAt: '2026-10-01T10:00:00Z' },
    ]);
    givenHosted({ 1: flagDoc({}), 2: live });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 3 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 4, State: 'DEPLOYING' });

    const result = await adapter.setFlag(target, killSwitch);

    expect(FlagSetResultSchema.parse(result)).toEqual(result);
    expect(result).toEqual({
      status: 'applied',
      flag: 'new-checkout-flow',
      enabled: false,
      before: { deployedVersion: '2', enabled: true, deploymentNumber: 3 },
      after: { version: '3', deploymentNumber: 4 },
      detail: expect.stringContaining('created hosted version 3'),
    });
    expect(appconfig.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toContainEqual(
      expect.objectContaining({ ApplicationId: 'chk4app', EnvironmentId: 'prd5env', MaxResults: 50 }),
    );
    expect(appconfig.commandCalls(GetHostedConfigurationVersionCommand).map((c) => c.args[0].input)).toContainEqual(
      expect.objectContaining({
        ApplicationId: 'chk4app',
        ConfigurationProfileId: 'flg6prf',
        VersionNumber: 2,
      }),
    );
    const create = appconfig.commandCalls(CreateHostedConfigurationVersionCommand);
    expect(create).toHaveLength(1);
    expect(create[0]!.args[0].input).toEqual({
      ApplicationId: 'chk4app',
      ConfigurationProfileId: 'flg6prf',
      Content: expect.any(Uint8Array),
      ContentType: 'application/json',
      Description: 'Tourniquet inc-1: kill switch',
      LatestVersionNumber: 2,
    });
    // Everything but the one value is preserved: flag definitions, attributes, metadata.
    expect(createdContent()).toEqual(
      flagDoc({
        'new-checkout-flow': { enabled: false, _updatedAt: '2026-11-02T10:00:00.000Z' },
        'express-pay': { enabled: true, limit: 50 },
        'serve-cached-recommendations': { enabled: false },
      }),
    );
    const start = appconfig.commandCalls(StartDeploymentCommand);
    expect(start).toHaveLength(1);
    expect(start[0]!.args[0].input).toEqual({
      ApplicationId: 'chk4app',
      EnvironmentId: 'prd5env',
      ConfigurationProfileId: 'flg6prf',
      ConfigurationVersion: '3',
      DeploymentStrategyId: STRATEGY,
      Description: 'Tourniquet inc-1: kill switch',
    });
  });

  it('keeps descriptions ASCII and within 1024 characters, on the version and on the deployment', async () => {
    givenDeployments([{ n: 3, profile: target.configurationProfileId, version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: live });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 3 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 4 });

    await adapter.setFlag(target, { ...killSwitch, description: `Café ${'x'.repeat(2000)}` });

    const descriptions = [
      appconfig.commandCalls(CreateHostedConfigurationVersionCommand)[0]!.args[0].input.Description!,
      appconfig.commandCalls(StartDeploymentCommand)[0]!.args[0].input.Description!,
    ];
    for (const description of descriptions) {
      expect(description.startsWith('Caf? x')).toBe(true);
      expect(description).toHaveLength(1024);
      expect(description.endsWith('...')).toBe(true);
    }
  });

  it('only fetches deployments until it finds the newest one of the profile', async () => {
    givenDeployments([
      { n: 3, profile: target.configurationProfileId, version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' },
      { n: 2, profile: OTHER_PROFILE, version: '7', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' },
    ]);
    givenHosted({ 2: live });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 3 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 4 });

    await adapter.setFlag(target, killSwitch);

    expect(appconfig.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ ApplicationId: 'chk4app', EnvironmentId: 'prd5env', DeploymentNumber: 3 }]);
  });

  it('uses the profile ID of a deployment summary when the summary carries one', async () => {
    appconfig.on(ListDeploymentsCommand).resolves({
      Items: [
        { DeploymentNumber: 2, ConfigurationProfileId: OTHER_PROFILE, ConfigurationVersion: '9', State: 'COMPLETE' },
        { DeploymentNumber: 1, ConfigurationProfileId: 'flg6prf', ConfigurationVersion: '2', State: 'COMPLETE' },
      ],
    });
    givenHosted({ 2: live });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 3 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 3 });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result.before).toEqual({ deployedVersion: '2', enabled: true, deploymentNumber: 1 });
    expect(appconfig.commandCalls(GetDeploymentCommand)).toHaveLength(0);
  });

  it('writes nothing when the deployed configuration already has the wanted value (idempotent re-run)', async () => {
    givenDeployments([{ n: 5, profile: 'flg6prf', version: '3', state: 'COMPLETE', startedAt: '2026-11-02T10:05:00Z' }]);
    givenHosted({ 3: flagDoc({ 'new-checkout-flow': { enabled: false }, 'express-pay': { enabled: true } }) });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result).toEqual({
      status: 'already-applied',
      flag: 'new-checkout-flow',
      enabled: false,
      before: { deployedVersion: '3', enabled: false, deploymentNumber: 5 },
      after: null,
      detail: expect.stringContaining('already disabled'),
    });
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
  });

  it('bases the change on the deployed version, not on a newer undeployed draft, and says so', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    const draft = flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: false, limit: 10 } });
    givenHosted({ 1: flagDoc({}), 2: live, 3: draft });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 4 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 4 });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result.before.deployedVersion).toBe('2');
    expect(result.after).toEqual({ version: '4', deploymentNumber: 4 });
    expect(result.detail).toContain('latest hosted version 3 differs from the deployed version 2');
    // The draft's express-pay change must not ride along with the kill switch.
    expect(createdContent()).toEqual(
      flagDoc({
        'new-checkout-flow': { enabled: false, _updatedAt: '2026-11-02T10:00:00.000Z' },
        'express-pay': { enabled: true, limit: 50 },
        'serve-cached-recommendations': { enabled: false },
      }),
    );
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)[0]!.args[0].input.LatestVersionNumber).toBe(3);
  });

  it('deploys the version an earlier attempt wrote instead of writing a duplicate', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    // Version 3 is exactly version 2 with the kill switch applied (key order differs, as JSON may).
    const leftover = {
      values: {
        'express-pay': { limit: 50, enabled: true },
        'new-checkout-flow': { _updatedAt: '2026-11-02T10:00:00.000Z', enabled: false },
        'serve-cached-recommendations': { enabled: false },
      },
      flags: (live as { flags: unknown }).flags,
      version: '1',
    };
    givenHosted({ 2: live, 3: leftover });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 4 });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result.status).toBe('applied');
    expect(result.after).toEqual({ version: '3', deploymentNumber: 4 });
    expect(result.detail).toContain('reused hosted version 3');
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StartDeploymentCommand).map((c) => c.args[0].input)).toContainEqual(expect.objectContaining({ ConfigurationVersion: '3' }));
  });

  it('leaves an in-flight deployment of the profile alone when it did not switch the flag, and says which holds the environment', async () => {
    givenDeployments([
      { n: 4, profile: 'flg6prf', version: '3', state: 'DEPLOYING', startedAt: '2026-11-02T10:10:00Z' },
      { n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' },
    ]);
    // Version 3 only changes express-pay: the flag was on before it too.
    givenHosted({ 2: live, 3: flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: false } }) });

    const error = await adapter.setFlag(target, killSwitch).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeploymentInFlightError);
    expect(error).toBeInstanceOf(TransientAwsError);
    // The workflow retries on this name.
    expect((error as Error).name).toBe('TransientAwsError');
    expect((error as Error).message).toContain('flag deployment #4 (version 3) is still deploying (40% of targets) in environment prd5env');
    expect((error as Error).message).toContain('it did not switch new-checkout-flow: version 2 before it had the same value');
    expect((error as DeploymentInFlightError).deployment).toMatchObject({ deploymentNumber: 4, state: 'DEPLOYING', percentageComplete: 40, configurationVersion: '3' });
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('writes nothing when a deployment still in flight already has the wanted value', async () => {
    givenDeployments([
      { n: 4, profile: 'flg6prf', version: '3', state: 'BAKING', startedAt: '2026-11-02T10:10:00Z' },
      { n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' },
    ]);
    givenHosted({ 2: live, 3: flagDoc({ 'new-checkout-flow': { enabled: false } }) });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result).toMatchObject({ status: 'already-applied', after: null, before: { deployedVersion: '3', enabled: false, deploymentNumber: 4 } });
    expect(result.detail).toContain('deployment #4 of version 3 is still BAKING');
    expect(appconfig.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('skips a rolled-back deployment: the configuration before it is what runs', async () => {
    givenDeployments([
      { n: 4, profile: 'flg6prf', version: '3', state: 'ROLLED_BACK', startedAt: '2026-11-02T10:10:00Z' },
      { n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' },
    ]);
    // Version 3 had the flag off, but it was rolled back, so the flag is on for applications.
    givenHosted({ 2: live, 3: flagDoc({ 'new-checkout-flow': { enabled: false } }) });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 4 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 5 });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result.status).toBe('applied');
    expect(result.before).toEqual({ deployedVersion: '2', enabled: true, deploymentNumber: 3 });
  });

  it('turns a degrade flag on, creating its value entry when the version has none', async () => {
    givenDeployments([{ n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 1: flagDoc({ 'new-checkout-flow': { enabled: true } }) });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 2 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 2 });

    const result = await adapter.setFlag(target, { ...killSwitch, flag: 'serve-cached-recommendations', enabled: true });

    expect(result.before.enabled).toBeNull();
    expect(createdContent()).toEqual(flagDoc({ 'new-checkout-flow': { enabled: true }, 'serve-cached-recommendations': { enabled: true } }));
  });

  it('refuses a flag key that is not defined in the profile, writing nothing', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: live });

    const attempt = adapter.setFlag(target, { ...killSwitch, flag: 'new-chekout-flow' });

    await expect(attempt).rejects.toThrow(FlagNotInProfileError);
    await expect(attempt).rejects.toThrow(/"new-chekout-flow" is not defined in configuration version 2.*express-pay, new-checkout-flow, serve-cached-recommendations/);
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
  });

  it('refuses to switch a multi-variant flag', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: flagDoc({ 'new-checkout-flow': { enabled: true, _variants: [{ name: 'a', enabled: true }] } }) });

    await expect(adapter.setFlag(target, killSwitch)).rejects.toThrow(FlagNotSwitchableError);
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
  });

  it('fails clearly when nothing of the profile is deployed', async () => {
    givenDeployments([{ n: 2, profile: OTHER_PROFILE, version: '7', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' }]);
    givenHosted({ 1: live });

    await expect(adapter.setFlag(target, killSwitch)).rejects.toThrow(NoDeployedConfigurationError);
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
  });

  it('treats a LatestVersionNumber conflict as transient and does not deploy', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: live });
    appconfig.on(CreateHostedConfigurationVersionCommand).rejects(new ConflictException({ message: 'Latest version number does not match', $metadata: { httpStatusCode: 409 } }));

    const attempt = adapter.setFlag(target, killSwitch);

    await expect(attempt).rejects.toThrow(TransientAwsError);
    await expect(attempt).rejects.toThrow(/CreateHostedConfigurationVersion.*LatestVersionNumber 2/);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
  });

  it('treats "deployment already in progress" on StartDeployment as transient', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: live });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 3 });
    appconfig.on(StartDeploymentCommand).rejects(new ConflictException({ message: 'Deployment number 4 already in progress', $metadata: { httpStatusCode: 409 } }));

    const attempt = adapter.setFlag(target, killSwitch);

    await expect(attempt).rejects.toThrow(TransientAwsError);
    await expect(attempt).rejects.toThrow(/StartDeployment on version 3 of application chk4app, environment prd5env, profile flg6prf failed/);
  });

  it('maps throttling to TransientAwsError', async () => {
    appconfig.on(ListDeploymentsCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded', { status: 429 }));

    await expect(adapter.setFlag(target, killSwitch)).rejects.toThrow(TransientAwsError);
  });

  it('maps access denied to AwsAccessDeniedError, keeping the SDK error as cause', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: live });
    const denied = sdkError('AccessDeniedException', 'not authorized to perform: appconfig:CreateHostedConfigurationVersion', { status: 403 });
    appconfig.on(CreateHostedConfigurationVersionCommand).rejects(denied);

    const error = await adapter.setFlag(target, killSwitch).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsAccessDeniedError);
    expect((error as Error).cause).toBe(denied);
    expect((error as Error).message).toContain('AppConfig CreateHostedConfigurationVersion on application chk4app');
  });

  it('maps a missing application or environment to AwsResourceNotFoundError', async () => {
    appconfig.on(ListDeploymentsCommand).rejects(sdkError('ResourceNotFoundException', 'Environment prd5env not found', { status: 404 }));

    await expect(adapter.setFlag(target, killSwitch)).rejects.toThrow(AwsResourceNotFoundError);
  });
});

describe('AppConfigFlagsAdapter.setFlag with a deployment in flight', () => {
  const adapter = new AppConfigFlagsAdapter(appconfig as unknown as AppConfigClient);
  const killSwitch = { flag: 'new-checkout-flow', enabled: false, deploymentStrategyId: STRATEGY, description: 'Tourniquet inc-1: kill switch' };
  const flagOff = flagDoc({ 'new-checkout-flow': { enabled: false }, 'express-pay': { enabled: true } });
  const flagOn = flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: true } });

  /** Deployment #2 switched the flag on with AllAtOnce at 10:05; deployed at once, it bakes until 10:15. */
  function givenBaking(state: DeploymentState = 'BAKING'): void {
    givenDeployments([
      { n: 2, profile: 'flg6prf', version: '2', state, startedAt: '2026-11-02T10:05:00Z' },
      { n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' },
    ]);
    appconfig.on(GetDeploymentCommand, { DeploymentNumber: 2 }).resolves({
      ...summary({ n: 2, profile: 'flg6prf', version: '2', state, startedAt: '2026-11-02T10:05:00Z' }),
      ConfigurationProfileId: 'flg6prf',
      DeploymentStrategyId: 'AppConfig.AllAtOnce',
      DeploymentDurationInMinutes: 0,
      FinalBakeTimeInMinutes: 10,
      PercentageComplete: state === 'BAKING' ? 100 : 40,
      EventLog: state === 'BAKING' ? [{ EventType: 'BAKE_TIME_STARTED', OccurredAt: new Date('2026-11-02T10:05:00Z') }] : [],
    });
    givenHosted({ 1: flagOff, 2: flagOn });
  }

  beforeEach(() => {
    appconfig.reset();
  });

  it('stops the baking deployment that turned the flag on: AppConfig rolls back, nothing is written', async () => {
    givenBaking();
    appconfig.on(StopDeploymentCommand).resolves({ DeploymentNumber: 2, State: 'ROLLED_BACK' });

    const result = await adapter.setFlag(target, killSwitch);

    expect(FlagSetResultSchema.parse(result)).toEqual(result);
    expect(result).toEqual({
      status: 'applied',
      flag: 'new-checkout-flow',
      enabled: false,
      before: { deployedVersion: '2', enabled: true, deploymentNumber: 2 },
      after: {
        version: '1',
        deploymentNumber: 2,
        stopped: { version: '2', state: 'BAKING', percentageComplete: 100, strategyId: 'AppConfig.AllAtOnce', stateAfterStop: 'ROLLED_BACK' },
      },
      detail: expect.any(String),
    });
    expect(result.detail).toContain('flag deployment #2 (version 2, strategy AppConfig.AllAtOnce) was still baking (bake ends 10:15 UTC)');
    expect(result.detail).toContain('is the one that switched new-checkout-flow on (deployment #1, version 1, had it off)');
    expect(result.detail).toContain('stopped it: AppConfig rolls back to version 1');
    expect(appconfig.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { ApplicationId: 'chk4app', EnvironmentId: 'prd5env', DeploymentNumber: 2, AllowRevert: true },
    ]);
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
  });

  it('names the other changes the rollback undoes', async () => {
    givenBaking();
    givenHosted({ 1: flagOff, 2: flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: false } }) });
    appconfig.on(StopDeploymentCommand).resolves({ DeploymentNumber: 2, State: 'ROLLED_BACK' });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result.detail).toContain('the rollback also undoes its other change: express-pay off → on');
  });

  it('stops the deployment triage named, while it is still DEPLOYING', async () => {
    givenBaking('DEPLOYING');
    appconfig.on(StopDeploymentCommand).resolves({ DeploymentNumber: 2, State: 'ROLLING_BACK' });

    const result = await adapter.setFlag(target, { ...killSwitch, suspectDeploymentNumber: 2 });

    expect(result.after).toMatchObject({ version: '1', deploymentNumber: 2, stopped: { state: 'DEPLOYING', percentageComplete: 40, stateAfterStop: 'ROLLING_BACK' } });
    expect(result.detail).toContain('was still deploying (40% of targets)');
  });

  it('does not stop an in-flight deployment other than the one triage named', async () => {
    givenBaking();

    const attempt = adapter.setFlag(target, { ...killSwitch, suspectDeploymentNumber: 7 });

    await expect(attempt).rejects.toThrow(DeploymentInFlightError);
    await expect(attempt).rejects.toThrow(/triage blamed deployment #7, not this one/);
    expect(appconfig.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('does not stop a deployment on its own for a degrade switch (enabled: true)', async () => {
    givenBaking();
    givenHosted({ 1: flagDoc({ 'serve-cached-recommendations': { enabled: true } }), 2: flagDoc({ 'serve-cached-recommendations': { enabled: false } }) });

    const attempt = adapter.setFlag(target, { flag: 'serve-cached-recommendations', enabled: true, deploymentStrategyId: STRATEGY, description: 'degrade' });

    await expect(attempt).rejects.toThrow(/only a kill switch stops a deployment it was not told to stop/);
    expect(appconfig.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('leaves a deployment of another profile alone and names it, state and progress included', async () => {
    givenDeployments([
      { n: 3, profile: OTHER_PROFILE, version: '9', state: 'DEPLOYING', startedAt: '2026-11-02T10:10:00Z' },
      { n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' },
    ]);
    givenHosted({ 1: flagOn });

    const error = (await adapter.setFlag(target, killSwitch).catch((e: unknown) => e)) as DeploymentInFlightError;

    expect(error).toBeInstanceOf(DeploymentInFlightError);
    expect(error.message).toBe(
      'deployment #3 of configuration profile oth7prf (version 9) is still deploying (40% of targets) in environment prd5env, and AppConfig starts no other deployment there until it ends; ' +
        'Tourniquet does not stop it because it deploys configuration profile oth7prf, not the flag profile flg6prf. The step retries; if it is still in flight, a human is paged',
    );
    expect(appconfig.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
  });

  it('reports already-applied when the deployment was rolled back before the stop landed', async () => {
    givenBaking();
    appconfig.on(StopDeploymentCommand).callsFake(() => {
      // Someone else's stop landed first: the re-read after the failed stop sees the rollback.
      appconfig.on(GetDeploymentCommand, { DeploymentNumber: 2 }).resolves({ DeploymentNumber: 2, State: 'ROLLED_BACK', PercentageComplete: 100 });
      throw sdkError('BadRequestException', 'Deployment #2 is already ROLLED_BACK');
    });

    const result = await adapter.setFlag(target, killSwitch);

    expect(result).toMatchObject({ status: 'already-applied', after: null });
    expect(result.detail).toContain('it was already ROLLED_BACK when Tourniquet tried to stop it');
  });

  it('a retry after the stop finds the flag off and changes nothing', async () => {
    givenDeployments([
      { n: 2, profile: 'flg6prf', version: '2', state: 'ROLLED_BACK', startedAt: '2026-11-02T10:05:00Z' },
      { n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' },
    ]);
    givenHosted({ 1: flagOff, 2: flagOn });

    await expect(adapter.setFlag(target, killSwitch)).resolves.toMatchObject({ status: 'already-applied', before: { deployedVersion: '1', enabled: false } });
    expect(appconfig.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('names the deployment that started meanwhile when StartDeployment answers ConflictException', async () => {
    givenDeployments([{ n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' }]);
    givenHosted({ 1: flagOn });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 2 });
    appconfig.on(StartDeploymentCommand).rejects(new ConflictException({ message: 'Deployment number 2 already in progress', $metadata: { httpStatusCode: 409 } }));
    appconfig
      .on(ListDeploymentsCommand)
      .resolvesOnce({ Items: [summary({ n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' })] })
      .resolves({
        Items: [
          summary({ n: 2, profile: OTHER_PROFILE, version: '4', state: 'VALIDATING', startedAt: '2026-11-02T10:20:00Z' }),
          summary({ n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-01T10:00:00Z' }),
        ],
      });
    appconfig.on(GetDeploymentCommand, { DeploymentNumber: 2 }).resolves({
      DeploymentNumber: 2,
      State: 'VALIDATING',
      ConfigurationProfileId: OTHER_PROFILE,
      ConfigurationVersion: '4',
      DeploymentStrategyId: 'AppConfig.Linear20PercentEvery6Minutes',
    });

    const error = (await adapter.setFlag(target, killSwitch).catch((e: unknown) => e)) as DeploymentInFlightError;

    expect(error).toBeInstanceOf(DeploymentInFlightError);
    expect(error.message).toContain('deployment #2 of configuration profile oth7prf (version 4, strategy AppConfig.Linear20PercentEvery6Minutes) is still validating');
    expect(error.message).toContain('it started after Tourniquet looked');
    expect((error.cause as Error).name).toBe('ConflictException');
  });

  it('previewFlag says it would stop the suspect, and changes nothing', async () => {
    givenBaking();

    const preview = await adapter.previewFlag(target, { flag: 'new-checkout-flow', enabled: false });

    expect(preview.wouldChange).toBe(true);
    expect(preview.detail).toContain('would stop flag deployment #2 (version 2, strategy AppConfig.AllAtOnce) is still baking');
    expect(preview.detail).toContain('AppConfig rolls it back to version 1');
    expect(appconfig.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });
});

describe('AppConfigFlagsAdapter.previewFlag', () => {
  const adapter = new AppConfigFlagsAdapter(appconfig as unknown as AppConfigClient);

  beforeEach(() => {
    appconfig.reset();
  });

  it('says what setFlag would do, reading only', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: live });

    const preview = await adapter.previewFlag(target, { flag: 'express-pay', enabled: false });

    expect(preview).toEqual({
      flag: 'express-pay',
      enabled: false,
      wouldChange: true,
      before: { deployedVersion: '2', enabled: true, deploymentNumber: 3 },
      detail: expect.stringContaining('would set express-pay to disabled (now enabled)'),
    });
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
  });

  it('reports no change when the live value already matches', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: live });

    await expect(adapter.previewFlag(target, { flag: 'serve-cached-recommendations', enabled: false })).resolves.toMatchObject({ wouldChange: false });
  });

  it('rejects content that is not a feature flag document', async () => {
    givenDeployments([{ n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 2: { version: '1', flags: ['not', 'a', 'map'] } });

    await expect(adapter.previewFlag(target, { flag: 'express-pay', enabled: false })).rejects.toThrow(FlagContentInvalidError);
  });
});

describe('AppConfigFlagsAdapter.recentFlagChanges', () => {
  const adapter = new AppConfigFlagsAdapter(appconfig as unknown as AppConfigClient);
  const window = { from: new Date('2026-11-02T10:00:00Z'), to: new Date('2026-11-02T10:30:00Z') };

  beforeEach(() => {
    appconfig.reset();
  });

  it('follows pagination and diffs each deployment against the previous effective one of the profile', async () => {
    const deps: Dep[] = [
      { n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-01T08:00:00Z' },
      { n: 2, profile: OTHER_PROFILE, version: '1', state: 'COMPLETE', startedAt: '2026-11-02T10:01:00Z' },
      { n: 3, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:05:00Z' },
      { n: 4, profile: 'flg6prf', version: '3', state: 'ROLLED_BACK', startedAt: '2026-11-02T10:10:00Z' },
      { n: 5, profile: 'flg6prf', version: '4', state: 'DEPLOYING', startedAt: '2026-11-02T10:20:00Z' },
    ];
    // Two pages, the second in ascending order: the adapter must not depend on the API's ordering.
    appconfig.on(ListDeploymentsCommand).resolvesOnce({ Items: [summary(deps[4]!), summary(deps[3]!)], NextToken: 'page-2' });
    appconfig.on(ListDeploymentsCommand, { NextToken: 'page-2' }).resolves({ Items: [summary(deps[0]!), summary(deps[1]!), summary(deps[2]!)] });
    for (const d of deps) {
      appconfig.on(GetDeploymentCommand, { DeploymentNumber: d.n }).resolves({ ...summary(d), ConfigurationProfileId: d.profile });
    }
    givenHosted({
      1: flagDoc({ 'new-checkout-flow': { enabled: false }, 'express-pay': { enabled: true } }),
      2: flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: true } }),
      3: flagDoc({ 'new-checkout-flow': { enabled: false }, 'express-pay': { enabled: true } }),
      4: flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: false, limit: 5 } }),
    });

    const changes = await adapter.recentFlagChanges(target, window);

    expect(changes).toEqual([
      {
        flag: 'new-checkout-flow',
        from: false,
        to: true,
        deploymentNumber: 3,
        configurationVersion: '2',
        changedAt: '2026-11-02T10:05:00.000Z',
      },
      // Compared with version 2 (deployment 3), because deployment 4 was rolled back.
      {
        flag: 'express-pay',
        from: true,
        to: false,
        deploymentNumber: 5,
        configurationVersion: '4',
        changedAt: '2026-11-02T10:20:00.000Z',
      },
    ]);
    expect(appconfig.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toEqual([
      { ApplicationId: 'chk4app', EnvironmentId: 'prd5env', MaxResults: 50 },
      { ApplicationId: 'chk4app', EnvironmentId: 'prd5env', MaxResults: 50, NextToken: 'page-2' },
    ]);
    // The rolled-back version is never read.
    expect(appconfig.commandCalls(GetHostedConfigurationVersionCommand).map((c) => c.args[0].input)).not.toContainEqual(expect.objectContaining({ VersionNumber: 3 }));
  });

  it('reports flags of the first deployment of the profile as previously absent', async () => {
    givenDeployments([{ n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' }]);
    givenHosted({ 1: flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: false } }) });

    const changes = await adapter.recentFlagChanges(target, window);

    expect(changes.map(({ flag, from, to }) => ({ flag, from, to }))).toEqual([
      { flag: 'express-pay', from: null, to: false },
      { flag: 'new-checkout-flow', from: null, to: true },
    ]);
  });

  it('ignores deployments outside the window (bounds inclusive) and deployments without flag changes', async () => {
    givenDeployments([
      { n: 1, profile: 'flg6prf', version: '1', state: 'COMPLETE', startedAt: '2026-11-02T09:59:59Z' },
      { n: 2, profile: 'flg6prf', version: '2', state: 'COMPLETE', startedAt: '2026-11-02T10:00:00Z' },
      { n: 3, profile: 'flg6prf', version: '3', state: 'COMPLETE', startedAt: '2026-11-02T10:30:00Z' },
      { n: 4, profile: 'flg6prf', version: '4', state: 'COMPLETE', startedAt: '2026-11-02T10:30:01Z' },
    ]);
    givenHosted({
      1: flagDoc({ 'new-checkout-flow': { enabled: false } }),
      2: flagDoc({ 'new-checkout-flow': { enabled: false }, 'express-pay': { enabled: true, limit: 1 } }),
      3: flagDoc({ 'new-checkout-flow': { enabled: true }, 'express-pay': { enabled: true, limit: 2 } }),
      4: flagDoc({ 'new-checkout-flow': { enabled: false }, 'express-pay': { enabled: true } }),
    });

    const changes = await adapter.recentFlagChanges(target, window);

    expect(changes.map(({ flag, from, to, deploymentNumber }) => ({ flag, from, to, deploymentNumber }))).toEqual([
      { flag: 'express-pay', from: null, to: true, deploymentNumber: 2 },
      { flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 3 },
    ]);
  });

  it('returns nothing when the environment has no deployments', async () => {
    appconfig.on(ListDeploymentsCommand).resolves({ Items: [] });

    await expect(adapter.recentFlagChanges(target, window)).resolves.toEqual([]);
  });

  it('maps access denied on GetDeployment to AwsAccessDeniedError', async () => {
    appconfig.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE', StartedAt: window.from }] });
    appconfig.on(GetDeploymentCommand).rejects(sdkError('AccessDeniedException', 'not authorized', { status: 403 }));

    await expect(adapter.recentFlagChanges(target, window)).rejects.toThrow(AwsAccessDeniedError);
  });
});

describe('AppConfigFlagsAdapter.deploymentState', () => {
  const adapter = new AppConfigFlagsAdapter(appconfig as unknown as AppConfigClient);

  beforeEach(() => {
    appconfig.reset();
  });

  it('reports the state of a deployment', async () => {
    appconfig.on(GetDeploymentCommand).resolves({
      DeploymentNumber: 4,
      State: 'COMPLETE',
      PercentageComplete: 100,
      ConfigurationVersion: '3',
      CompletedAt: new Date('2026-11-02T10:21:00Z'),
    });

    await expect(adapter.deploymentState(target, 4)).resolves.toEqual({
      deploymentNumber: 4,
      state: 'COMPLETE',
      percentageComplete: 100,
      configurationVersion: '3',
      completedAt: '2026-11-02T10:21:00.000Z',
    });
    expect(appconfig.commandCalls(GetDeploymentCommand)[0]!.args[0].input).toEqual({
      ApplicationId: 'chk4app',
      EnvironmentId: 'prd5env',
      DeploymentNumber: 4,
    });
  });

  it('omits completedAt while a deployment runs', async () => {
    appconfig.on(GetDeploymentCommand).resolves({ DeploymentNumber: 4, State: 'DEPLOYING', PercentageComplete: 50 });

    await expect(adapter.deploymentState(target, 4)).resolves.toEqual({ deploymentNumber: 4, state: 'DEPLOYING', percentageComplete: 50 });
  });
});

describe('AppConfigFlagsAdapter.deploymentStrategy', () => {
  const adapter = new AppConfigFlagsAdapter(new AppConfigClient({}));
  beforeEach(() => {
    appconfig.reset();
  });

  it('reports the stack strategy (no rollout, no bake) as immediate', async () => {
    appconfig.on(GetDeploymentStrategyCommand, { DeploymentStrategyId: STRATEGY }).resolves({
      Id: STRATEGY,
      Name: 'Tourniquet-Immediate-prod',
      DeploymentDurationInMinutes: 0,
      FinalBakeTimeInMinutes: 0,
      GrowthFactor: 100,
      GrowthType: 'LINEAR',
    });

    const report = await adapter.deploymentStrategy(STRATEGY);

    expect(report).toMatchObject({ id: STRATEGY, name: 'Tourniquet-Immediate-prod', durationMinutes: 0, finalBakeMinutes: 0, growthFactor: 100, immediate: true });
    expect(report.detail).toBe(`deployment strategy Tourniquet-Immediate-prod (${STRATEGY}) deploys at once with no bake (growth 100%)`);
  });

  it('says why a strategy that bakes is not the one a mitigation needs', async () => {
    appconfig
      .on(GetDeploymentStrategyCommand)
      .resolves({ Id: 'AppConfig.AllAtOnce', Name: 'AppConfig.AllAtOnce', DeploymentDurationInMinutes: 0, FinalBakeTimeInMinutes: 10, GrowthFactor: 100 });

    const report = await adapter.deploymentStrategy('AppConfig.AllAtOnce');

    expect(report.immediate).toBe(false);
    expect(report.detail).toContain('bakes 10 min');
  });

  it('turns a missing strategy into a not-found error naming it', async () => {
    appconfig.on(GetDeploymentStrategyCommand).rejects(sdkError('ResourceNotFoundException', 'Deployment strategy not found', { status: 404 }));

    const error = await adapter.deploymentStrategy('gone000').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsResourceNotFoundError);
    expect((error as Error).message).toContain('AppConfig GetDeploymentStrategy on deployment strategy gone000 failed');
  });
});
