import { CreateHostedConfigurationVersionCommand, GetDeploymentCommand, ListDeploymentsCommand, StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from '@jest/globals';

import { checkScenario, loadScenario, type ScenarioInput } from '../../../drill/scenario.js';
import { SimulatedAccount } from '../../../drill/sim/account.js';
import { type ErrorFaultKind, faultError, LAMBDA_CRASH_ERROR, runAsInvocation, SIMULATED_OPERATIONS, SimulatedCrashError } from '../../../drill/sim/faults.js';
import { isMutation, type SimServiceName } from '../../../drill/sim/wire.js';
import { AwsAccessDeniedError, AwsOperationError, classifyAwsError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { APP, at, ENV, fixtureAccount, IMMEDIATE, PROFILE, scenarioInput, STATUS_TOPIC } from './fixture.js';

type FaultInput = NonNullable<ScenarioInput['faults']>[number];
const withFaults =
  (...faults: FaultInput[]) =>
  (s: ScenarioInput) => {
    s.faults = faults;
  };
const problemsOf = (...faults: FaultInput[]) => {
  const input = scenarioInput();
  input.faults = faults;
  const checked = checkScenario(input);
  return checked.ok ? [] : checked.problems.map((p) => `${p.path}: ${p.message}`);
};
const startDeployment = () =>
  new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, DeploymentStrategyId: IMMEDIATE, ConfigurationVersion: '2' });
const deploymentsOf = async (account: SimulatedAccount) =>
  (await account.clients().appconfig.send(new ListDeploymentsCommand({ ApplicationId: APP, EnvironmentId: ENV }))).Items?.length;

describe('fault schema', () => {
  it('accepts every kind in the documented shape', () => {
    expect(
      problemsOf(
        { service: 'appconfig', operation: 'StartDeployment', kind: 'throttle', times: 2 },
        { service: 'ecs', operation: 'UpdateService', kind: 'accessDenied' },
        { service: 'appconfig', operation: 'StartDeployment', kind: 'crashAfterMutation', times: 1 },
        { kind: 'snsDown', from: '+00:02', until: '+00:20' },
        { service: 'ecs', operation: 'DescribeServices', kind: 'slow', seconds: 5 },
        { service: 'route53', operation: 'ChangeResourceRecordSets', kind: '5xx' },
        { kind: 'lockConflict', service: 'wafv2', operation: 'UpdateWebACL', times: 1 },
        { kind: 'taskFailure', state: 'OpenIncident', error: 'StoreError', cause: 'throttled', times: 2 },
      ),
    ).toEqual([]);
  });

  it('names the operations a service implements when the operation is unknown', () => {
    expect(problemsOf({ service: 'ecs', operation: 'UpdateServices', kind: 'throttle' })).toEqual([
      'faults[0].operation: the simulated ecs does not implement "UpdateServices" (it implements DescribeServices, UpdateService, DescribeTaskDefinition, ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions, StopServiceDeployment)',
    ]);
  });

  it('says what each kind needs', () => {
    expect(problemsOf({ service: 'ecs', kind: 'throttle' } as FaultInput)).toEqual([
      'faults[0].operation: a throttle fault needs the operation that fails, e.g. "StartDeployment"',
    ]);
    expect(problemsOf({ service: 'ecs', operation: 'DescribeServices', kind: 'slow' })).toEqual([
      'faults[0].seconds: a slow fault needs seconds: how long the call takes, in simulated time',
    ]);
    expect(problemsOf({ service: 'ecs', operation: 'UpdateService', kind: 'throttle', seconds: 3 })).toEqual(['faults[0].seconds: seconds is for slow faults only']);
    expect(problemsOf({ kind: 'snsDown', service: 'ecs' })).toEqual(['faults[0].service: snsDown is about SNS: leave out service (or write "sns")']);
    expect(problemsOf({ kind: 'lockConflict', service: 'sns', operation: 'Publish' })).toEqual([
      'faults[0].service: lockConflict is modelled for appconfig, ecs, route53, wafv2 (their conflict errors), not sns',
    ]);
    expect(problemsOf({ kind: 'crashAfterMutation', service: 'ecs', operation: 'DescribeServices' })).toEqual([
      'faults[0].operation: crashAfterMutation needs an operation that changes the account, not DescribeServices',
    ]);
    expect(problemsOf({ kind: 'snsDown', from: '+00:20', until: '+00:02' })).toEqual(['faults[0].until: until must be later than from']);
    expect(problemsOf({ kind: 'flaky' as 'throttle', service: 'ecs', operation: 'UpdateService' })[0]).toMatch(/kind must be one of throttle, 5xx, accessDenied/);
    expect(problemsOf({ kind: 'taskFailure', service: 'ecs', operation: 'UpdateService' })).toEqual([
      'faults[0].state: a taskFailure fault needs the Task state that fails, e.g. "OpenIncident"',
      'faults[0].error: a taskFailure fault needs the error name the Task fails with, e.g. "StoreError"',
      'faults[0].service: a taskFailure fault hits a Task state, not an AWS service: leave out service',
      'faults[0].operation: a taskFailure fault hits a Task state, not an AWS operation: leave out operation',
    ]);
    expect(problemsOf({ kind: 'snsDown', state: 'OpenIncident', error: 'StoreError' })).toEqual([
      'faults[0].state: state is for taskFailure faults only',
      'faults[0].error: error is for taskFailure faults only',
    ]);
  });

  it('lists exactly the operations the simulators implement', () => {
    const account = new SimulatedAccount({ scenario: loadScenario('traffic-flood'), topicArns: [STATUS_TOPIC] });
    for (const service of Object.keys(SIMULATED_OPERATIONS) as SimServiceName[]) {
      const sim = service === 'route53-recovery-cluster' ? account.arc : account[service];
      expect([...SIMULATED_OPERATIONS[service]].sort()).toEqual(Object.keys(sim.commands()).sort());
    }
  });
});

describe('fault errors are the SDK exceptions the adapters classify', () => {
  const call = (service: SimServiceName, command: string) => ({ service, command, input: { cluster: 'shop-prod', service: 'checkout' }, invocation: 'mitigate' });
  const services = Object.keys(SIMULATED_OPERATIONS) as SimServiceName[];

  it.each(services)('%s: throttling and server errors are transient, access denied is access denied', (service) => {
    const kinds: [ErrorFaultKind, new (...a: never[]) => Error][] = [
      ['throttle', TransientAwsError],
      ['5xx', TransientAwsError],
      ['accessDenied', AwsAccessDeniedError],
    ];
    for (const [kind, expected] of kinds) {
      const error = faultError(kind, call(service, SIMULATED_OPERATIONS[service][0]!));
      expect(classifyAwsError(error, 'op')).toBeInstanceOf(expected);
      expect(error).toHaveProperty('$metadata.httpStatusCode');
    }
    expect(faultError('5xx', call(service, 'X'))).toHaveProperty('$fault', 'server');
  });

  it('access denied reads like AWS and names the action and the resource', () => {
    const error = faultError('accessDenied', call('ecs', 'UpdateService'));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/tourniquet-mitigate-role/tourniquet-mitigate is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:us-east-1:123456789012:service/shop-prod/checkout because no identity-based policy allows the ecs:UpdateService action',
    );
  });

  it("lock conflicts are each service's own conflict error", () => {
    expect(faultError('lockConflict', call('wafv2', 'UpdateWebACL')).name).toBe('WAFOptimisticLockException');
    expect(faultError('lockConflict', call('appconfig', 'StartDeployment')).name).toBe('ConflictException');
    expect(faultError('lockConflict', call('route53', 'ChangeResourceRecordSets')).name).toBe('PriorRequestNotComplete');
    expect(classifyAwsError(faultError('lockConflict', call('wafv2', 'UpdateWebACL')), 'op')).toBeInstanceOf(AwsOperationError);
    expect(faultError('snsDown', call('sns', 'Publish')).name).toBe('InternalErrorException');
  });
});

describe('faults on the wire', () => {
  it('throttles n attempts; the SDK retries in simulated time and the call succeeds on a later attempt', async () => {
    const account = fixtureAccount(withFaults({ service: 'appconfig', operation: 'StartDeployment', kind: 'throttle', times: 2 }));
    const out = await account.clients().appconfig.send(startDeployment());
    expect(out.$metadata).toMatchObject({ attempts: 3, totalRetryDelay: 1500 });
    expect(account.clock.now()).toEqual(new Date(at(0).getTime() + 1500));
    const calls = account.calls().filter((c) => c.command === 'StartDeployment');
    expect(calls.map((c) => [c.error?.name, c.fault])).toEqual([
      ['ThrottlingException', 'throttle'],
      ['ThrottlingException', 'throttle'],
      [undefined, undefined],
    ]);
    expect(calls.filter(isMutation)).toHaveLength(1);
    expect(account.faultReport()).toMatchObject([{ kind: 'throttle', service: 'appconfig', operation: 'StartDeployment', fired: 2 }]);
  });

  it('surfaces the error when every attempt is throttled, with the attempts made', async () => {
    const account = fixtureAccount(withFaults({ service: 'appconfig', operation: 'StartDeployment', kind: 'throttle' }));
    const error = await account
      .clients()
      .appconfig.send(startDeployment())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ThrottlingException', $metadata: { attempts: 3 } });
    expect(await deploymentsOf(account)).toBe(1);
  });

  it('denies without retrying and changes nothing', async () => {
    const account = fixtureAccount(withFaults({ service: 'ecs', operation: 'UpdateService', kind: 'accessDenied' }));
    const error = await account
      .clients()
      .ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AccessDeniedException', $fault: 'client' });
    expect((error as Error).message).toContain('ecs:UpdateService');
    const calls = account.calls();
    expect(calls).toHaveLength(1);
    expect(calls.filter(isMutation)).toHaveLength(0);
    const described = await account.clients().ecs.send(new DescribeServicesCommand({ cluster: 'shop-prod', services: ['checkout'] }));
    expect(described.services?.[0]?.taskDefinition).toMatch(/checkout:41$/);
  });

  it('crashAfterMutation: the change is made, the invocation dies as Lambda.Unknown, nothing after the call runs', async () => {
    const account = fixtureAccount(withFaults({ service: 'appconfig', operation: 'StartDeployment', kind: 'crashAfterMutation', times: 1 }));
    let after = false;
    const crashed = await runAsInvocation('mitigate', async () => {
      try {
        await account.clients().appconfig.send(startDeployment());
      } finally {
        after = true;
      }
    }).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(SimulatedCrashError);
    expect((crashed as Error).name).toBe(LAMBDA_CRASH_ERROR);
    expect(LAMBDA_CRASH_ERROR).toBe('Lambda.Unknown');
    expect(after).toBe(false);
    expect(await deploymentsOf(account)).toBe(2);
    const [call] = account.calls().filter((c) => c.command === 'StartDeployment');
    expect(call).toMatchObject({ fault: 'crashAfterMutation' });
    expect(call?.error).toBeUndefined();
    expect(isMutation(call!)).toBe(true);
    // times: 1: the retry's call goes through.
    await runAsInvocation('mitigate', () => account.clients().appconfig.send(new GetDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: 2 })));
  });

  it('crashAfterMutation outside an invocation throws the crash error; a call that fails does not use the fault up', async () => {
    const account = fixtureAccount(withFaults({ service: 'appconfig', operation: 'CreateHostedConfigurationVersion', kind: 'crashAfterMutation', times: 1 }));
    const bad = new CreateHostedConfigurationVersionCommand({
      ApplicationId: APP,
      ConfigurationProfileId: PROFILE,
      Content: new TextEncoder().encode('not json'),
      ContentType: 'application/json',
    });
    await expect(account.clients().appconfig.send(bad)).rejects.toHaveProperty('name', 'BadRequestException');
    expect(account.faultReport()[0]?.fired).toBe(0);
    const good = new CreateHostedConfigurationVersionCommand({
      ApplicationId: APP,
      ConfigurationProfileId: PROFILE,
      Content: new TextEncoder().encode(JSON.stringify({ version: '1', flags: {}, values: {} })),
      ContentType: 'application/json',
    });
    await expect(account.clients().appconfig.send(good)).rejects.toHaveProperty('name', 'Lambda.Unknown');
    expect(account.faultReport()[0]?.fired).toBe(1);
  });

  it('slow moves simulated time before answering', async () => {
    const account = fixtureAccount(withFaults({ service: 'ecs', operation: 'DescribeServices', kind: 'slow', seconds: 5, times: 1 }));
    await account.clients().ecs.send(new DescribeServicesCommand({ cluster: 'shop-prod', services: ['checkout'] }));
    expect(account.clock.now()).toEqual(at(5));
    await account.clients().ecs.send(new DescribeServicesCommand({ cluster: 'shop-prod', services: ['checkout'] }));
    expect(account.clock.now()).toEqual(at(5));
  });

  it('snsDown fails every Publish inside its window only', async () => {
    const account = fixtureAccount(withFaults({ kind: 'snsDown', from: '+00:02', until: '+00:20' }));
    const publish = () => account.clients().sns.send(new PublishCommand({ TopicArn: STATUS_TOPIC, Subject: 'x', Message: 'hello' }));
    await expect(publish()).resolves.toHaveProperty('MessageId');
    account.clock.advanceTo(at(120));
    await expect(publish()).rejects.toMatchObject({ name: 'InternalErrorException', $fault: 'server', $metadata: { attempts: 3 } });
    account.clock.advanceTo(at(20 * 60));
    await expect(publish()).resolves.toHaveProperty('MessageId');
    expect(account.published()).toHaveLength(2);
    expect(account.faultReport()[0]).toMatchObject({ kind: 'snsDown', service: 'sns', operation: 'Publish', fired: 3 });
  });

  it('taskFailure fails invocations of its Task state only, in its window, `times` times, and never an API call', () => {
    const account = fixtureAccount(
      withFaults({ kind: 'taskFailure', state: 'OpenIncident', error: 'StoreError', cause: 'read failed: ProvisionedThroughputExceededException', from: '+00:02', times: 2 }),
    );
    expect(account.faults.takeTaskFailure('OpenIncident', at(60))).toBeUndefined();
    const failure = account.faults.takeTaskFailure('OpenIncident', at(120));
    expect(failure).toMatchObject({ name: 'StoreError', message: 'read failed: ProvisionedThroughputExceededException', state: 'OpenIncident' });
    expect(account.faults.takeTaskFailure('Triage', at(120))).toBeUndefined();
    expect(account.faults.takeTaskFailure('OpenIncident', at(121))).toBeDefined();
    expect(account.faults.takeTaskFailure('OpenIncident', at(122))).toBeUndefined();
    expect(account.faults.peek('sns', 'Publish', at(120))).toBeUndefined();
    expect(account.faultReport()[0]).toMatchObject({
      kind: 'taskFailure',
      state: 'OpenIncident',
      fired: 2,
      calls: [{ service: 'states', command: 'OpenIncident' }, { command: 'OpenIncident' }],
    });
  });

  it("never touches the scenario's own history", async () => {
    const account = fixtureAccount((s) => {
      s.faults = [{ service: 'appconfig', operation: 'StartDeployment', kind: 'accessDenied' }];
      s.history = [{ at: '+00:01', startDeployment: { configurationVersion: 2 } }];
    });
    await account.applyHistory();
    expect(await deploymentsOf(account)).toBe(2);
    expect(account.faultReport()[0]?.fired).toBe(0);
  });
});
