import { AppConfigClient, ListDeploymentStrategiesCommand } from '@aws-sdk/client-appconfig';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { immediateStrategyName, type ServiceAccess } from '../../../lambdas/core/accounts.js';
import type { ServiceConfig } from '../../../lambdas/core/config.js';
import { flagPermissions } from '../../../lambdas/mitigations/flag-switch.js';
import { mitigationOf } from '../../../lambdas/mitigations/index.js';
import { DeploymentStrategyMissingError } from '../../../lambdas/mitigations/mitigation.js';
import { checkReadiness } from '../../../lambdas/operations/readiness.js';
import { type UndoDeps, undoIncident } from '../../../lambdas/operations/undo.js';
import { type ClientSettings, type PlaceClients, withServiceClients } from '../../../lambdas/runtime/clients.js';
import { serviceAdapters } from '../../../lambdas/runtime/compose/adapters.js';
import { configWith } from '../../lib/support.js';
import { fakeAdapters } from '../../support/adapters.js';

/**
 * A flag change deploys with a strategy of the service's own account and region: the central stack's
 * ID (DEPLOYMENT_STRATEGY_ID) means nothing elsewhere. For a service elsewhere the functions find the
 * member stack's `Tourniquet-Immediate-<stage>` by name, once per location, and say which stack to
 * deploy when it is missing; undo and readiness use it as mitigate does (the drill covers mitigate).
 */

const HOME = 'imm0str';
const WORKLOAD: ServiceAccess = { account: '222222222222', region: 'eu-west-1', roleArn: 'arn:aws:iam::222222222222:role/Tourniquet-prod-member' };
const NAME = immediateStrategyName('prod');

const appconfig = mockClient(AppConfigClient);
beforeEach(() => {
  appconfig.reset();
});

/** Real composition over clients whose AppConfig is mocked; `made` records where each place's clients point. */
function composed() {
  const made: ClientSettings[] = [];
  const unexpected = () => Promise.reject(new Error('only AppConfig is expected in this test'));
  const place = (settings: ClientSettings): PlaceClients =>
    ({
      appconfig: async () => new AppConfigClient({ region: settings.region ?? 'us-east-1' }),
      ...Object.fromEntries(['ecs', 'cloudwatch', 'sns', 'route53', 'wafv2', 'arcCluster', 'rds', 'sfn', 'secretsManager', 'sts'].map((name) => [name, unexpected])),
    }) as PlaceClients;
  const clients = withServiceClients(place({}), (settings) => (made.push(settings), place(settings)));
  return { forService: serviceAdapters(clients), made };
}

describe('the strategy lookup of a service elsewhere (serviceAdapters)', () => {
  it('finds the strategy of the stage’s name across pages, once per account and region whatever the session', async () => {
    appconfig
      .on(ListDeploymentStrategiesCommand, { NextToken: undefined })
      .resolves({
        Items: [
          { Id: 'AppConfig.AllAtOnce', Name: 'AppConfig.AllAtOnce' },
          { Id: 'oth3str', Name: 'Tourniquet-Immediate-dev' },
        ],
        NextToken: 'p2',
      })
      .on(ListDeploymentStrategiesCommand, { NextToken: 'p2' })
      .resolves({ Items: [{ Id: 'wkl1str', Name: NAME }] });
    const { forService } = composed();
    const first = await forService(WORKLOAD, 'inc-1');
    expect(await first.deploymentStrategyOf('prod')).toBe('wkl1str');
    const second = await forService(WORKLOAD, 'inc-2');
    expect(await second.deploymentStrategyOf('prod')).toBe('wkl1str');
    expect(appconfig.commandCalls(ListDeploymentStrategiesCommand)).toHaveLength(2);
    // Another region is another place, with a strategy of its own.
    appconfig.on(ListDeploymentStrategiesCommand).resolves({ Items: [{ Id: 'usw2str', Name: NAME }] });
    expect(await (await forService({ ...WORKLOAD, region: 'us-west-2' }, 'inc-1')).deploymentStrategyOf('prod')).toBe('usw2str');
  });

  it('names the member stack to deploy when the strategy is missing, and asks again next time', async () => {
    appconfig.on(ListDeploymentStrategiesCommand).resolves({ Items: [{ Id: 'AppConfig.AllAtOnce', Name: 'AppConfig.AllAtOnce' }] });
    const { forService } = composed();
    const at = await forService(WORKLOAD, 'inc-1');
    const missing = at.deploymentStrategyOf('prod');
    await expect(missing).rejects.toThrow(DeploymentStrategyMissingError);
    await expect(missing).rejects.toThrow(
      'No AppConfig deployment strategy named Tourniquet-Immediate-prod in account 222222222222, region eu-west-1: the member stack Tourniquet-prod-member-222222222222-eu-west-1 creates it',
    );
    appconfig.on(ListDeploymentStrategiesCommand).resolves({ Items: [{ Id: 'wkl1str', Name: NAME }] });
    expect(await at.deploymentStrategyOf('prod')).toBe('wkl1str');
  });

  it('looks in the service’s place, with the member role under the session name', async () => {
    appconfig.on(ListDeploymentStrategiesCommand).resolves({ Items: [{ Id: 'wkl1str', Name: NAME }] });
    const { forService, made } = composed();
    await (await forService(WORKLOAD, 'inc-7')).deploymentStrategyOf('prod');
    expect(made).toEqual([{ region: 'eu-west-1', credentials: expect.any(Function) }]);
    expect(await appconfig.commandCalls(ListDeploymentStrategiesCommand)[0]!.thisValue.config.region()).toBe('eu-west-1');
  });
});

const remoteConfig = () =>
  configWith((raw) => {
    raw.crossAccount = { centralAccount: '111111111111', centralRegion: 'us-east-1' };
    raw.services[0].account = WORKLOAD.account;
    raw.services[0].region = WORKLOAD.region;
  });

describe('undo of a flag change elsewhere', () => {
  function harness(service: ServiceConfig, access: ServiceAccess | undefined) {
    const strategies: string[] = [];
    const lookups: string[] = [];
    const adapters = fakeAdapters({
      flags: { setFlag: async (_t: unknown, r: { deploymentStrategyId: string }) => (strategies.push(r.deploymentStrategyId), { status: 'applied', detail: 'deployed' }) },
    });
    const deps: UndoDeps = {
      store: {
        getIncident: async () => ({ incidentId: 'inc-1', service: service.name }) as never,
        listActions: async () => [
          {
            cursor: 0,
            type: 'feature-flag-off',
            target: 'flag new-checkout-flow',
            status: 'applied',
            before: { params: { flag: 'new-checkout-flow' }, state: { deployedVersion: '2', enabled: true } },
            startedAt: '2026-11-28T03:00:00.000Z',
          },
        ],
        appendTimeline: async () => undefined,
        markActionUndone: async () => ({}) as never,
        acquireMutationLock: async () => true,
        releaseMutationLock: async () => true,
      },
      adapters: fakeAdapters({}),
      forService: async () => ({ adapters, deploymentStrategyOf: async (stage: string) => (lookups.push(stage), 'wkl1str') }),
      accessOf: () => access ?? {},
      stage: 'prod',
      serviceFor: () => service,
      deploymentStrategyId: HOME,
      clock: () => new Date('2026-11-28T03:30:00.000Z'),
      by: 'alice',
    };
    return { deps, strategies, lookups, homeAdapters: adapters };
  }

  it('sets the flag back with the workload account’s strategy, not the central one', async () => {
    const { deps, strategies, lookups } = harness(remoteConfig().services[0]!, WORKLOAD);
    expect((await undoIncident(deps, 'inc-1')).map((s) => s.status)).toEqual(['undone']);
    expect(strategies).toEqual(['wkl1str']);
    expect(lookups).toEqual(['prod']);
  });

  it('keeps the central stack’s strategy for a service here, without a lookup', async () => {
    const { deps, strategies, lookups, homeAdapters } = harness(remoteConfig().services[0]!, undefined);
    await undoIncident({ ...deps, adapters: homeAdapters }, 'inc-1');
    expect(strategies).toEqual([HOME]);
    expect(lookups).toEqual([]);
  });
});

describe('readiness of flags elsewhere', () => {
  const flagsAdapter = (read: string[]) => ({
    previewFlag: async () => ({ wouldChange: true, before: { deployedVersion: '2', enabled: true }, detail: 'would deploy' }),
    deploymentStrategy: async (id: string) => (read.push(id), { immediate: true, detail: `deployment strategy ${id} deploys at once` }),
  });

  it('checks the strategy found in the workload account', async () => {
    const read: string[] = [];
    const reports = await checkReadiness(
      {
        adapters: fakeAdapters({}),
        forService: async () => ({ adapters: fakeAdapters({ flags: flagsAdapter(read) }), deploymentStrategyOf: async () => 'wkl1str' }),
        deploymentStrategyId: HOME,
        clock: () => new Date('2026-11-28T03:00:00.000Z'),
        catalogue: [mitigationOf('feature-flag-off')],
      },
      remoteConfig(),
      { service: 'checkout' },
    );
    expect(reports.map((r) => r.ready)).toEqual([true, true]);
    expect([...new Set(read)]).toEqual(['wkl1str']);
  });

  it('fails the strategy check with the reason when the member stack has none', async () => {
    const reports = await checkReadiness(
      {
        adapters: fakeAdapters({}),
        forService: async () => ({
          adapters: fakeAdapters({ flags: flagsAdapter([]) }),
          deploymentStrategyOf: async () =>
            Promise.reject(new DeploymentStrategyMissingError('No AppConfig deployment strategy named Tourniquet-Immediate-prod in account 222222222222')),
        }),
        deploymentStrategyId: HOME,
        clock: () => new Date('2026-11-28T03:00:00.000Z'),
        catalogue: [mitigationOf('feature-flag-off')],
      },
      remoteConfig(),
      { service: 'checkout' },
    );
    expect(reports.map((r) => r.ready)).toEqual([false, false]);
    expect(reports[0]!.checks.find((c) => c.check === 'zero-bake deployment strategy')).toEqual({
      check: 'zero-bake deployment strategy',
      ok: false,
      detail: 'No AppConfig deployment strategy named Tourniquet-Immediate-prod in account 222222222222',
    });
  });
});

describe('flag permissions for a strategy found by name', () => {
  const arns = { arn: ({ resource, resourceName }: { resource: string; resourceName: string }) => `arn:aws:appconfig:eu-west-1:222222222222:${resource}/${resourceName}` };
  const sids = (p: ReturnType<typeof flagPermissions>) => p.read.map((s) => s.sid);

  it('grants ListDeploymentStrategies (no resource type: `*`) only where a flag service is elsewhere', () => {
    const remote = flagPermissions(remoteConfig(), { ...arns, deploymentStrategyId: 'wkl1str' });
    expect(remote.read.find((s) => s.sid === 'AppConfigListDeploymentStrategies')).toMatchObject({ actions: ['appconfig:ListDeploymentStrategies'], resources: ['*'] });
    expect(remote.read.find((s) => s.sid === 'AppConfigGetDeploymentStrategy')!.resources).toEqual(['arn:aws:appconfig:eu-west-1:222222222222:deploymentstrategy/wkl1str']);
    const here = flagPermissions(
      configWith(() => undefined),
      { ...arns, deploymentStrategyId: HOME },
    );
    expect(sids(here)).not.toContain('AppConfigListDeploymentStrategies');
  });

  it('reads any strategy of the place, with a reason, when the grant cannot name it', () => {
    const p = flagPermissions(remoteConfig(), arns);
    const get = p.read.find((s) => s.sid === 'AppConfigGetDeploymentStrategy')!;
    expect(get.resources).toEqual(['arn:aws:appconfig:eu-west-1:222222222222:deploymentstrategy/*']);
    expect(get.wildcardReason).toContain('found by name');
    // Triage's evidence stays the four history reads.
    expect(p.evidence!.map((s) => s.sid)).toEqual(['AppConfigListDeployments', 'AppConfigGetDeployment', 'AppConfigListHostedVersions', 'AppConfigGetHostedVersion']);
  });
});
