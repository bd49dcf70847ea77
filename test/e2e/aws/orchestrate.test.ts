import {
  AppConfigClient,
  DeleteHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  type GetHostedConfigurationVersionCommandOutput,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
} from '@aws-sdk/client-appconfig';
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { type AwsTestDeps, type AwsTestOutcome, type CommandSpec, exitCodeFor, runAwsTest } from '../../../e2e/aws/orchestrate.js';
import { SAMPLE_RUNBOOK } from '../../../e2e/aws/sample-config.js';
import { parseConfig } from '../../../lambdas/core/config.js';

const sts = mockClient(STSClient);
const cloudformation = mockClient(CloudFormationClient);
const cloudwatch = mockClient(CloudWatchClient);
const appconfig = mockClient(AppConfigClient);
const dynamodb = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);

const STAGE = 'awst-test01';
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const WORKLOAD = `TourniquetAwsTest-${STAGE}-workload`;
const TOURNIQUET = `Tourniquet-${STAGE}`;
const ALARM = `tourniquet-aws-test-${STAGE}-checkout-errors`;
const TABLE = `${TOURNIQUET}-IncidentTable1234`;
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:Tourniquet-${STAGE}:alarm-1`;
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Tourniquet-${STAGE}`;
const TOURNIQUET_OUTPUTS = [
  { OutputKey: 'IncidentTableName', OutputValue: TABLE },
  { OutputKey: 'StateMachineArn', OutputValue: STATE_MACHINE },
];
/** The sample workload stack's outputs, as DescribeStacks returns them. */
const WORKLOAD_OUTPUTS = [
  { OutputKey: 'ApplicationId', OutputValue: 'app1abc' },
  { OutputKey: 'EnvironmentId', OutputValue: 'env1abc' },
  { OutputKey: 'ConfigurationProfileId', OutputValue: 'prf1abc' },
  { OutputKey: 'HostedConfigurationVersion', OutputValue: '1' },
  { OutputKey: 'AlarmName', OutputValue: ALARM },
];
const T0 = Date.parse('2026-11-28T06:00:00Z');
/** How long a fake `cdk deploy` or `cdk destroy` takes, in virtual time. */
const CDK_MS = 120_000;

const flags = (enabled: boolean) =>
  new TextEncoder().encode(JSON.stringify({ values: { 'new-checkout-flow': { enabled } } })) as GetHostedConfigurationVersionCommandOutput['Content'];

interface Harness {
  deps: AwsTestDeps;
  /** Everything that happened, in order: commands run and the SDK calls that change something. */
  events: string[];
  lines: string[];
  files: Map<string, string>;
  removed: string[];
  commands: CommandSpec[];
  now: () => number;
  controller: AbortController;
}

/**
 * Fake deps at virtual time: sleep and every command move the clock. `exit` picks each command's
 * exit code (default 0). The SDK calls are answered by aws-sdk-client-mock.
 */
function harness(options: { env?: Record<string, string | undefined>; region?: string | undefined; exit?: (spec: CommandSpec) => number } = {}): Harness {
  let now = T0;
  const events: string[] = [];
  const lines: string[] = [];
  const files = new Map<string, string>();
  const removed: string[] = [];
  const commands: CommandSpec[] = [];
  const controller = new AbortController();
  const deps: AwsTestDeps = {
    env: options.env ?? { TOURNIQUET_AWS_TEST: '1' },
    resolveRegion: async () => ('region' in options ? options.region : REGION),
    clients: (region) => {
      const dynamodbClient = new DynamoDBClient({ region });
      return {
        sts: new STSClient({ region }),
        cloudformation: new CloudFormationClient({ region }),
        cloudwatch: new CloudWatchClient({ region }),
        appconfig: new AppConfigClient({ region }),
        dynamodb: dynamodbClient,
        documents: DynamoDBDocumentClient.from(dynamodbClient),
        sfn: new SFNClient({ region }),
      };
    },
    run: async (spec, region) => {
      expect(region).toBe(REGION);
      commands.push(spec);
      events.push(`cdk ${spec.args[1]} ${spec.args[2]}`);
      now += CDK_MS;
      return options.exit?.(spec) ?? 0;
    },
    clock: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
    },
    log: (line) => lines.push(line),
    signal: controller.signal,
    makeWorkDir: async () => '/tmp/tourniquet-aws-test-x',
    writeFile: async (path, text) => {
      files.set(path, text);
    },
    removeDir: async (path) => {
      removed.push(path);
    },
    newStage: () => STAGE,
  };
  return { deps, events, lines, files, removed, commands, now: () => now, controller };
}

/** AWS as it answers a run that works: the flag goes off two probes after the alarm. */
function healthyAccount(h: Harness): void {
  const record = (name: string) => () => {
    h.events.push(name);
    return {};
  };
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/dev` });
  cloudformation.on(DescribeStacksCommand, { StackName: WORKLOAD }).resolves({
    Stacks: [
      {
        StackName: WORKLOAD,
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(T0),
        Outputs: WORKLOAD_OUTPUTS,
      },
    ],
  });
  cloudformation.on(DescribeStacksCommand, { StackName: TOURNIQUET }).resolves({
    Stacks: [{ StackName: TOURNIQUET, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(T0), Outputs: TOURNIQUET_OUTPUTS }],
  });
  cloudformation.on(ListStackResourcesCommand, { StackName: TOURNIQUET }).resolves({
    StackResourceSummaries: [
      { LogicalResourceId: 'Table', ResourceType: 'AWS::DynamoDB::Table', PhysicalResourceId: TABLE, ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(T0) },
      { LogicalResourceId: 'Topic', ResourceType: 'AWS::SNS::Topic', PhysicalResourceId: 'arn:aws:sns:x', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(T0) },
    ],
  });
  cloudwatch.on(PutMetricDataCommand).callsFake(record('PutMetricData'));
  cloudwatch.on(SetAlarmStateCommand).callsFake(record('SetAlarmState'));
  documents
    .on(GetCommand, { Key: { pk: 'EPISODE#checkout', sk: 'CURRENT' } })
    .resolvesOnce({})
    .resolves({ Item: { incidentId: 'inc-1' } });
  documents.on(GetCommand, { Key: { pk: 'INCIDENT#inc-1', sk: 'META' } }).callsFake(() => ({
    Item: { incidentId: 'inc-1', alarmName: ALARM, status: 'OPEN', openedAt: new Date(driveAt(h) + 8_000).toISOString(), execution: { id: EXECUTION } },
  }));
  documents.on(QueryCommand).resolves({
    Items: [
      { at: '2026-11-28T06:04:08.000Z', kind: 'incident-opened', message: 'Opened' },
      { at: '2026-11-28T06:04:09.000Z', kind: 'notification', message: 'Status update sent', data: { messageId: 'm-1' } },
      { at: '2026-11-28T06:04:30.000Z', kind: 'mitigation', message: 'Applied: feature-flag-off on new-checkout-flow', data: { type: 'feature-flag-off' } },
    ],
  });
  appconfig
    .on(ListDeploymentsCommand)
    .resolvesOnce({ Items: [{ DeploymentNumber: 2, ConfigurationVersion: '2', State: 'DEPLOYING' }] })
    .resolves({ Items: [{ DeploymentNumber: 2, ConfigurationVersion: '2', State: 'COMPLETE', CompletedAt: new Date(T0 + 2 * CDK_MS + 41_000) }] });
  appconfig.on(GetHostedConfigurationVersionCommand).resolves({ Content: flags(false) });
  appconfig.on(ListHostedConfigurationVersionsCommand).resolves({ Items: [{ VersionNumber: 1 }, { VersionNumber: 2 }] });
  appconfig.on(DeleteHostedConfigurationVersionCommand).callsFake((input: { VersionNumber: number }) => {
    h.events.push(`DeleteHostedConfigurationVersion ${input.VersionNumber}`);
    return {};
  });
  sfn.on(GetExecutionHistoryCommand).resolves({
    events: [
      { id: 1, type: 'TaskStateEntered', timestamp: new Date(T0), stateEnteredEventDetails: { name: 'NotifyInvestigating' } },
      {
        id: 2,
        type: 'LambdaFunctionSucceeded',
        timestamp: new Date(T0),
        lambdaFunctionSucceededEventDetails: { output: JSON.stringify({ messageId: 'm-1', subject: 'Investigating' }) },
      },
    ],
  });
  sfn.on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING' }).resolves({
    executions: [{ executionArn: EXECUTION, stateMachineArn: STATE_MACHINE, name: 'alarm-1', status: 'RUNNING', startDate: new Date(T0) }],
  });
  sfn.on(StopExecutionCommand).callsFake((input: { executionArn: string }) => {
    h.events.push(`StopExecution ${input.executionArn}`);
    return { stopDate: new Date(T0) };
  });
  dynamodb.on(DeleteTableCommand).callsFake((input: { TableName: string }) => {
    h.events.push(`DeleteTable ${input.TableName}`);
    return {};
  });
}

/** When the alarm was driven: the moment of the PutMetricData call (two fake deploys after T0). */
const driveAt = (_h: Harness) => T0 + 2 * CDK_MS;

beforeEach(() => {
  for (const mock of [sts, cloudformation, cloudwatch, appconfig, dynamodb, documents, sfn]) mock.reset();
});

const finished = (outcome: AwsTestOutcome) => {
  if (outcome.kind === 'skipped') throw new Error('expected a run, got a skip');
  return outcome;
};

describe('npm run test:aws: when it skips', () => {
  it('prints one line and exits 0 without TOURNIQUET_AWS_TEST=1, touching nothing', async () => {
    for (const env of [{}, { TOURNIQUET_AWS_TEST: '0' }, { TOURNIQUET_AWS_TEST: 'true' }]) {
      const h = harness({ env });
      const outcome = await runAwsTest(h.deps);
      expect(outcome.kind).toBe('skipped');
      expect(exitCodeFor(outcome)).toBe(0);
      expect(h.lines).toEqual([expect.stringMatching(/^test:aws skipped: TOURNIQUET_AWS_TEST is not 1; set TOURNIQUET_AWS_TEST=1 .*docs\/aws-test\.md/)]);
      expect(h.commands).toEqual([]);
    }
    expect(sts.calls()).toHaveLength(0);
  });

  it('skips in one line when no region is set', async () => {
    const h = harness({ region: undefined });
    const outcome = await runAwsTest(h.deps);
    expect(exitCodeFor(outcome)).toBe(0);
    expect(h.lines).toEqual(['test:aws skipped: TOURNIQUET_AWS_TEST=1 but no AWS region is set (AWS_REGION, or region in your AWS profile)']);
    expect(sts.calls()).toHaveLength(0);
  });

  it('skips in one line when STS GetCallerIdentity fails (no or expired credentials), the error on the same line', async () => {
    const h = harness();
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('The security token included\nin the request is expired'), { name: 'ExpiredToken' }));
    const outcome = await runAwsTest(h.deps);
    expect(outcome).toEqual({
      kind: 'skipped',
      reason: `TOURNIQUET_AWS_TEST=1 but no usable AWS credentials (STS GetCallerIdentity in ${REGION}: The security token included in the request is expired)`,
    });
    expect(h.lines).toHaveLength(1);
    expect(h.commands).toEqual([]);
    expect(exitCodeFor(outcome)).toBe(0);
  });
});

describe('npm run test:aws: a run that works', () => {
  it('deploys, drives the alarm, sees every check pass, then destroys everything, in that order', async () => {
    const h = harness();
    healthyAccount(h);
    const outcome = finished(await runAwsTest(h.deps));
    expect(outcome.error).toBeUndefined();
    expect(outcome.kind).toBe('passed');
    expect(exitCodeFor(outcome)).toBe(0);
    expect(h.events).toEqual([
      `cdk deploy ${WORKLOAD}`,
      `cdk deploy ${TOURNIQUET}`,
      'PutMetricData',
      'SetAlarmState',
      `StopExecution ${EXECUTION}`,
      `cdk destroy ${TOURNIQUET}`,
      `DeleteTable ${TABLE}`,
      'DeleteHostedConfigurationVersion 2',
      `cdk destroy ${WORKLOAD}`,
    ]);
    expect(outcome.leftBehind).toEqual([]);
    expect(h.removed).toEqual(['/tmp/tourniquet-aws-test-x']);
    // The figures: incident 8 s after the alarm (its openedAt), flag off when the deployment completed, total in virtual time.
    expect(outcome.figures.timeToIncidentMs).toBe(8_000);
    expect(outcome.figures.timeToFlagOffMs).toBe(41_000);
    expect(outcome.figures.totalMs).toBe(h.now() - T0);
    expect(h.lines.at(-1)).toBe('test:aws PASSED');
    expect(h.lines).toContain('  time to incident (alarm driven -> incident opened): 8.0 s');
  });

  it('deploys the sample with its stage and Tourniquet with a config written for it, each into its own cloud assembly', async () => {
    const h = harness();
    healthyAccount(h);
    await runAwsTest(h.deps);
    const [workload, tourniquet, destroyT, destroyW] = h.commands.map((c) => [c.command, ...c.args].join(' '));
    expect(workload).toBe(
      `npx cdk deploy ${WORKLOAD} --app npx tsx e2e/aws/workload/app.ts -c tourniquet-aws-test:stage=${STAGE} --require-approval never --output /tmp/tourniquet-aws-test-x/cdk.out.workload`,
    );
    expect(tourniquet).toBe(
      `npx cdk deploy ${TOURNIQUET} -c tourniquet:configFile=/tmp/tourniquet-aws-test-x/tourniquet.config.json --require-approval never --output /tmp/tourniquet-aws-test-x/cdk.out.tourniquet`,
    );
    expect(destroyT).toBe(
      `npx cdk destroy ${TOURNIQUET} --force -c tourniquet:configFile=/tmp/tourniquet-aws-test-x/tourniquet.config.json --output /tmp/tourniquet-aws-test-x/cdk.out.tourniquet`,
    );
    expect(destroyW).toBe(
      `npx cdk destroy ${WORKLOAD} --force --app npx tsx e2e/aws/workload/app.ts -c tourniquet-aws-test:stage=${STAGE} --output /tmp/tourniquet-aws-test-x/cdk.out.workload`,
    );
    // Deploys stop on Ctrl-C; the teardown's destroys do not.
    expect(h.commands.map((c) => c.survivesInterrupt)).toEqual([false, false, true, true]);

    const config = parseConfig(h.files.get('/tmp/tourniquet-aws-test-x/tourniquet.config.json')!, 'written config');
    expect(config.stage).toBe(STAGE);
    const [service] = config.services;
    expect(service).toMatchObject({ name: 'checkout', account: ACCOUNT, region: REGION, runbook: SAMPLE_RUNBOOK, alarms: [{ name: ALARM }] });
    expect(service!.resources.featureFlags).toMatchObject({
      applicationId: 'app1abc',
      environmentId: 'env1abc',
      configurationProfileId: 'prf1abc',
      killSwitchFlags: ['new-checkout-flow'],
    });
    expect(config.crossAccount).toEqual({ centralAccount: ACCOUNT, centralRegion: REGION });
  });

  it('drives the alarm with a breaching datapoint of its own stage, then SetAlarmState', async () => {
    const h = harness();
    healthyAccount(h);
    await runAwsTest(h.deps);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input).toEqual({
      Namespace: 'TourniquetAwsTest',
      MetricData: [{ MetricName: 'CheckoutErrors', Dimensions: [{ Name: 'Stage', Value: STAGE }], Value: 5, Unit: 'Count', Timestamp: new Date(driveAt(h)) }],
    });
    expect(cloudwatch.commandCalls(SetAlarmStateCommand)[0]!.args[0].input).toMatchObject({ AlarmName: ALARM, StateValue: 'ALARM' });
  });
});

describe('npm run test:aws: teardown', () => {
  it('destroys both stacks when Tourniquet fails to deploy, and fails with the step that broke', async () => {
    const h = harness({ exit: (spec) => (spec.args[1] === 'deploy' && spec.args[2] === TOURNIQUET ? 1 : 0) });
    healthyAccount(h);
    const outcome = finished(await runAwsTest(h.deps));
    expect(outcome.kind).toBe('failed');
    expect(exitCodeFor(outcome)).toBe(1);
    expect(outcome.error).toBe(`deploy Tourniquet (${TOURNIQUET}): cdk deploy (Tourniquet) exited with 1`);
    // A failed create may still have left the stack (ROLLBACK_COMPLETE) and its retained table: both go.
    expect(h.events).toEqual([
      `cdk deploy ${WORKLOAD}`,
      `cdk deploy ${TOURNIQUET}`,
      `cdk destroy ${TOURNIQUET}`,
      `DeleteTable ${TABLE}`,
      'DeleteHostedConfigurationVersion 2',
      `cdk destroy ${WORKLOAD}`,
    ]);
    expect(h.lines.at(-1)).toBe(`test:aws FAILED: ${outcome.error}`);
    expect(h.lines).toContainEqual(expect.stringMatching(new RegExp(`^  FAIL deploy Tourniquet \\(${TOURNIQUET}\\) +120\\.0 s  cdk deploy \\(Tourniquet\\) exited with 1$`)));
  });

  it('destroys only the sample when its own deploy fails, and never deploys Tourniquet', async () => {
    const h = harness({ exit: (spec) => (spec.args[1] === 'deploy' ? 1 : 0) });
    healthyAccount(h);
    const outcome = finished(await runAwsTest(h.deps));
    expect(outcome.kind).toBe('failed');
    expect(h.events).toEqual([`cdk deploy ${WORKLOAD}`, `cdk destroy ${WORKLOAD}`]);
    expect(h.files.size).toBe(0);
  });

  it('fails at the deadline when the flag never goes off, with what it saw, and still tears down', async () => {
    const h = harness();
    healthyAccount(h);
    appconfig.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' }] });
    appconfig.on(GetHostedConfigurationVersionCommand).resolves({ Content: flags(true) });
    const outcome = finished(await runAwsTest({ ...h.deps, timeouts: { flagOffMs: 120_000, intervalMs: 10_000 } }));
    expect(outcome.kind).toBe('failed');
    expect(outcome.error).toBe(
      'wait for new-checkout-flow off in the deployed configuration: new-checkout-flow off: not seen within 120 s (last seen: deployment #1 (version 1) is COMPLETE with new-checkout-flow on)',
    );
    // 13 looks: at 0, 10, ..., 120 s; never a look past the deadline.
    expect(appconfig.commandCalls(ListDeploymentsCommand)).toHaveLength(13);
    expect(h.events.slice(-5)).toEqual([
      `StopExecution ${EXECUTION}`,
      `cdk destroy ${TOURNIQUET}`,
      `DeleteTable ${TABLE}`,
      'DeleteHostedConfigurationVersion 2',
      `cdk destroy ${WORKLOAD}`,
    ]);
    expect(outcome.figures.timeToFlagOffMs).toBeUndefined();
    expect(h.lines).toContain('  time to flag off (alarm driven -> kill switch deployment complete): -');
  });

  it('goes straight to teardown when interrupted during a wait, and exits 130', async () => {
    const h = harness();
    healthyAccount(h);
    documents.on(GetCommand, { Key: { pk: 'EPISODE#checkout', sk: 'CURRENT' } }).callsFake(() => {
      h.controller.abort();
      return {};
    });
    const outcome = finished(await runAwsTest(h.deps));
    expect(outcome.kind).toBe('interrupted');
    expect(exitCodeFor(outcome)).toBe(130);
    expect(h.events.slice(-5)).toEqual([
      `StopExecution ${EXECUTION}`,
      `cdk destroy ${TOURNIQUET}`,
      `DeleteTable ${TABLE}`,
      'DeleteHostedConfigurationVersion 2',
      `cdk destroy ${WORKLOAD}`,
    ]);
    expect(h.lines.at(-1)).toBe('test:aws INTERRUPTED: wait for the incident in the real table: interrupted during incident for ' + ALARM);
  });

  it('falls back to CloudFormation DeleteStack when cdk destroy fails, and waits until the stack is gone', async () => {
    const h = harness({ exit: (spec) => (spec.args[1] === 'destroy' && spec.args[2] === TOURNIQUET ? 1 : 0) });
    healthyAccount(h);
    let deleting = 0;
    cloudformation.on(DeleteStackCommand).callsFake((input: { StackName: string }) => {
      h.events.push(`DeleteStack ${input.StackName}`);
      return {};
    });
    // After DeleteStack: in progress twice, then CloudFormation no longer knows the stack.
    cloudformation.on(DescribeStacksCommand, { StackName: TOURNIQUET }).callsFake(() => {
      if (!h.events.includes(`DeleteStack ${TOURNIQUET}`))
        return {
          Stacks: [{ StackName: TOURNIQUET, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(T0), Outputs: TOURNIQUET_OUTPUTS }],
        };
      deleting += 1;
      if (deleting <= 2) return { Stacks: [{ StackName: TOURNIQUET, StackStatus: 'DELETE_IN_PROGRESS', CreationTime: new Date(T0) }] };
      throw Object.assign(new Error(`Stack with id ${TOURNIQUET} does not exist`), { name: 'ValidationError' });
    });
    const outcome = finished(await runAwsTest(h.deps));
    expect(outcome.kind).toBe('passed');
    expect(outcome.leftBehind).toEqual([]);
    expect(h.events.slice(-5)).toEqual([
      `cdk destroy ${TOURNIQUET}`,
      `DeleteStack ${TOURNIQUET}`,
      `DeleteTable ${TABLE}`,
      'DeleteHostedConfigurationVersion 2',
      `cdk destroy ${WORKLOAD}`,
    ]);
    expect(deleting).toBe(3);
  });

  it('reports what it left behind and exits 1 when a stack cannot be deleted, after trying every other part', async () => {
    const h = harness({ exit: (spec) => (spec.args[1] === 'destroy' && spec.args[2] === WORKLOAD ? 1 : 0) });
    healthyAccount(h);
    cloudformation.on(DeleteStackCommand).resolves({});
    cloudformation.on(DescribeStacksCommand, { StackName: WORKLOAD }).callsFake(() => ({
      Stacks: [
        {
          StackName: WORKLOAD,
          StackStatus: h.commands.some((c) => c.args[1] === 'destroy' && c.args[2] === WORKLOAD) ? 'DELETE_FAILED' : 'CREATE_COMPLETE',
          StackStatusReason: 'The following resource(s) failed to delete: [Flags]',
          CreationTime: new Date(T0),
          Outputs: WORKLOAD_OUTPUTS,
        },
      ],
    }));
    const outcome = finished(await runAwsTest(h.deps));
    expect(outcome.kind).toBe('passed');
    expect(outcome.leftBehind).toEqual([`stack ${WORKLOAD}`]);
    expect(exitCodeFor(outcome)).toBe(1);
    expect(h.lines).toContain(`  LEFT BEHIND (delete by hand): stack ${WORKLOAD}`);
    expect(h.lines.at(-1)).toBe('test:aws PASSED (but teardown left something behind)');
  });
});
