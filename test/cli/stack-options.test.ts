import { readFileSync } from 'node:fs';

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';

import { registerApproval } from '../../cli/commands/approval.js';
import { registerPause } from '../../cli/commands/pause.js';
import { registerPreflight } from '../../cli/commands/preflight.js';
import { registerAck, registerResolve } from '../../cli/commands/resolve.js';
import { STACK_VALUES } from '../../cli/commands/stack-options.js';
import { registerStats } from '../../cli/commands/stats.js';
import { registerUndo } from '../../cli/commands/undo.js';
import { registerIncidents, registerPostmortem, registerShow } from '../../cli/commands/views.js';
import { CliError } from '../../cli/runtime/errors.js';
import { awsStackDeps, resolveStack, type StackContextDeps } from '../../cli/runtime/stack-context.js';

/**
 * Where an operator command's table, topic and strategy come from: the flag, else the environment,
 * else the stack's outputs through one real DescribeStacks call (CloudFormation mocked at the SDK).
 */

const cloudformation = mockClient(CloudFormationClient);

const OUTPUTS = {
  IncidentTableName: 'Tourniquet-Incidents-1ABC',
  StatusTopicArn: 'arn:aws:sns:eu-west-1:123456789012:Tourniquet-Status',
  DeploymentStrategyId: 'zb4k2x9',
  MitigateRoleArn: 'arn:aws:iam::123456789012:role/Tourniquet-Mitigate',
};

/** The real DescribeStacks path (StackOutputsAdapter over a mocked client); region and credentials given. */
const deps = (region = 'eu-west-1'): StackContextDeps & { regions: Array<string | undefined> } => {
  const regions: Array<string | undefined> = [];
  return {
    regions,
    region: async (explicit) => (regions.push(explicit), explicit ?? region),
    credentials: async () => undefined,
    stackOutputs: awsStackDeps.stackOutputs,
  };
};

beforeEach(() => {
  cloudformation.reset();
  cloudformation.on(DescribeStacksCommand, { StackName: 'Tourniquet' }).resolves({
    Stacks: [
      {
        StackName: 'Tourniquet',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
});

const describeCalls = () => cloudformation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input);

describe('resolveStack', () => {
  it('takes every value from the stack outputs with one DescribeStacks call', async () => {
    const ctx = await resolveStack('undo', { stack: 'Tourniquet' }, { required: ['table', 'deploymentStrategy'], optional: ['statusTopic'] }, deps(), {}, {});
    expect(ctx).toEqual({
      region: 'eu-west-1',
      stack: 'Tourniquet',
      values: { table: OUTPUTS.IncidentTableName, deploymentStrategy: OUTPUTS.DeploymentStrategyId, statusTopic: OUTPUTS.StatusTopicArn },
      source: { table: 'stack', deploymentStrategy: 'stack', statusTopic: 'stack' },
    });
    expect(describeCalls()).toEqual([{ StackName: 'Tourniquet' }]);
  });

  it('an explicit flag beats the environment, which beats the stack', async () => {
    const env = { TOURNIQUET_TABLE: 'from-env', TOURNIQUET_STATUS_TOPIC: 'arn:aws:sns:eu-west-1:123456789012:env-topic' };
    const ctx = await resolveStack(
      'resolve',
      { stack: 'Tourniquet', table: 'from-flag' },
      { required: ['table'], optional: ['statusTopic', 'deploymentStrategy'] },
      deps(),
      {},
      env,
    );
    expect(ctx.values).toEqual({ table: 'from-flag', statusTopic: env.TOURNIQUET_STATUS_TOPIC, deploymentStrategy: OUTPUTS.DeploymentStrategyId });
    expect(ctx.source).toEqual({ table: 'flag', statusTopic: 'env', deploymentStrategy: 'stack' });
  });

  it('makes no DescribeStacks call when flags and environment give everything', async () => {
    const ctx = await resolveStack(
      'undo',
      { stack: 'Tourniquet', table: 't1' },
      { required: ['table', 'deploymentStrategy'] },
      deps(),
      {},
      { TOURNIQUET_DEPLOYMENT_STRATEGY_ID: 's1' },
    );
    expect(ctx.values).toEqual({ table: 't1', deploymentStrategy: 's1' });
    expect(describeCalls()).toEqual([]);
  });

  it('reads the stack name from TOURNIQUET_STACK and passes --region to the region lookup', async () => {
    const d = deps();
    const ctx = await resolveStack('incidents', { region: 'eu-west-1' }, { required: ['table'] }, d, {}, { TOURNIQUET_STACK: 'Tourniquet' });
    expect(ctx).toMatchObject({ stack: 'Tourniquet', values: { table: OUTPUTS.IncidentTableName } });
    expect(d.regions).toEqual(['eu-west-1']);
  });

  it('without a stack, names exactly what is missing and every way to give it, before any AWS call', async () => {
    const d = deps();
    await expect(resolveStack('undo', { table: 't1' }, { required: ['table', 'deploymentStrategy'] }, d, {}, {})).rejects.toThrow(
      new CliError(
        'undo needs the AppConfig deployment strategy: pass --stack <name> (its DeploymentStrategyId output), --deployment-strategy, or set TOURNIQUET_DEPLOYMENT_STRATEGY_ID',
      ),
    );
    await expect(resolveStack('undo', {}, { required: ['table', 'deploymentStrategy'] }, d, {}, {})).rejects.toThrow(
      'undo needs the incident table and the AppConfig deployment strategy: pass --stack <name> (its IncidentTableName and DeploymentStrategyId outputs), --table and --deployment-strategy, or set TOURNIQUET_TABLE and TOURNIQUET_DEPLOYMENT_STRATEGY_ID',
    );
    expect(d.regions).toEqual([]);
  });

  it('a stack without the output says so and how to do without it', async () => {
    cloudformation.on(DescribeStacksCommand, { StackName: 'Old' }).resolves({
      Stacks: [{ StackName: 'Old', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'IncidentTableName', OutputValue: 't' }] }],
    });
    await expect(resolveStack('undo', { stack: 'Old' }, { required: ['table', 'deploymentStrategy'] }, deps(), {}, {})).rejects.toThrow(
      'undo: stack Old has no DeploymentStrategyId output (deployed by an older Tourniquet?): redeploy it, or pass --deployment-strategy',
    );
  });

  it('an unknown stack is "not found in <region>", exit 2', async () => {
    cloudformation
      .on(DescribeStacksCommand, { StackName: 'Nope' })
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
    const error = await resolveStack('incidents', { stack: 'Nope' }, { required: ['table'] }, deps('ap-southeast-2'), {}, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ message: 'stack Nope not found in ap-southeast-2: check --stack and --region', exitCode: 2 });
  });

  it('refuses a --region that is not one', async () => {
    await expect(resolveStack('pause', { region: 'Ireland', table: 't' }, { required: ['table'] }, deps(), {}, {})).rejects.toThrow(
      '--region "Ireland" is not an AWS region (e.g. us-east-1)',
    );
  });
});

describe('help texts name only outputs the stack has', () => {
  const stackSource = readFileSync(new URL('../../lib/tourniquet.ts', import.meta.url), 'utf8');
  const outputs = new Set([...stackSource.matchAll(/new CfnOutput\(stack, '(\w+)'/g)].map((m) => m[1]!));

  it('every stack value maps to a real CfnOutput', () => {
    expect(outputs.size).toBeGreaterThan(5);
    for (const spec of Object.values(STACK_VALUES)) expect(outputs).toContain(spec.output);
  });

  it('every operator command takes --stack and --region, and its help names no output the stack lacks', () => {
    const program = new Command('tourniquet');
    for (const register of [
      registerApproval,
      registerPause,
      registerUndo,
      registerAck,
      registerResolve,
      registerIncidents,
      registerShow,
      registerPostmortem,
      registerPreflight,
      registerStats,
    ])
      register(program);
    const names = program.commands.map((c) => c.name()).sort();
    expect(names).toEqual(['ack', 'approve', 'incidents', 'pause', 'postmortem', 'preflight', 'reject', 'resolve', 'resume', 'show', 'stats', 'undo']);
    for (const command of program.commands) {
      const help: string[] = [];
      command.configureOutput({ writeOut: (s) => void help.push(s) });
      command.outputHelp();
      const text = help.join('');
      expect([command.name(), text.includes('--stack <name>'), text.includes('--region <region>')]).toEqual([command.name(), true, true]);
      const named = [...text.matchAll(/\b([A-Z][A-Za-z]+(?:Name|Arn|Id|Url))\b(?= output| stack output)/g)].map((m) => m[1]!);
      for (const output of named) expect([command.name(), outputs.has(output) ? output : `missing ${output}`]).toEqual([command.name(), output]);
      expect(text).not.toMatch(/\bTableName\b/);
    }
  });
});
