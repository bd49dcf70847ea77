import { SendTaskSuccessCommand, SFNClient, TaskDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';

import { type ApprovalCommandDeps, registerApproval } from '../../cli/commands/approval.js';
import { approvalCommand, runApprovalCommand } from '../../cli/commands/approval-action.js';
import type { StackContextDeps } from '../../cli/runtime/stack-context.js';
import { NO_METRICS } from '../../lambdas/adapters/memory-metrics.js';
import { StepFunctionsTasks } from '../../lambdas/adapters/step-functions-tasks.js';
import { createRequestApprovalHandler } from '../../lambdas/handlers/request-approval.js';
import {
  approvalEvent,
  approvalTable,
  APPROVERS_TOPIC,
  ENDPOINT,
  ESCALATION_TOPIC,
  fakePublisher,
  fakeSecrets,
  INCIDENT_ID,
  manualClock,
  SECRET,
  SECRET_ARN,
  STATUS_TOPIC,
  TASK_TOKEN,
} from '../support/approvals.js';
import { useDynamoDbLocal } from '../support/dynamodb.js';

const db = useDynamoDbLocal();
const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
const CALLER = 'arn:aws:sts::123456789012:assumed-role/OnCall/alice@example.com';

/** A table with an open incident; `request()` asks for approval through the real request-approval handler. */
async function setup() {
  const time = manualClock();
  const tables = await approvalTable(db.client, await db.newTable(), time.clock);
  let n = 0;
  const request = createRequestApprovalHandler({
    approvals: tables.approvals,
    incidents: tables.incidents,
    publisher: fakePublisher(),
    secret: async () => SECRET,
    secretId: SECRET_ARN,
    endpointUrl: ENDPOINT,
    tableName: tables.tableName,
    statusTopicArn: STATUS_TOPIC,
    escalationTopicArn: ESCALATION_TOPIC,
    approversTopicArn: APPROVERS_TOPIC,
    approverEmails: [],
    metrics: NO_METRICS,
    clock: time.clock,
    newId: () => `apr-cli-${++n}`,
  });
  const deps: ApprovalCommandDeps = {
    approvals: tables.approvals,
    incidents: tables.incidents,
    tasks: new StepFunctionsTasks(new SFNClient({ region: 'us-east-1' })),
    secrets: fakeSecrets(),
    sts: new STSClient({ region: 'us-east-1' }),
    clock: time.clock,
  };
  return { ...time, ...tables, deps, request: () => request(approvalEvent()) };
}

const sent = () => sfn.commandCalls(SendTaskSuccessCommand).map((c) => ({ ...c.args[0].input, output: JSON.parse(c.args[0].input.output!) }));

beforeEach(() => {
  sfn.reset();
  sts.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '123456789012', UserId: 'AROAEXAMPLE:alice' });
});

describe('runApprovalCommand', () => {
  it('approves the pending request as the caller, through the conditional write and SendTaskSuccess', async () => {
    const { deps, request, approvals, incidents, advance } = await setup();
    await request();
    advance(30);
    const result = await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID, reason: 'only change in the window' }, deps);

    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout).toBe(
      `Approved feature-flag-off on flag new-checkout-flow in abc1234/env5678/prof901 (approval apr-cli-1 of incident ${INCIDENT_ID}) as ${CALLER}. ` +
        'The workflow applies it now and verifies the alarm clears. Reason: "only change in the window".\n',
    );
    expect(sent()).toEqual([
      {
        taskToken: TASK_TOKEN,
        output: { decision: 'approved', by: CALLER, via: 'cli', reason: 'only change in the window', at: '2026-11-23T03:11:30.000Z', approvalId: 'apr-cli-1' },
      },
    ]);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(await approvals.get(INCIDENT_ID, 'apr-cli-1')).toMatchObject({ status: 'DECIDED', decidedBy: CALLER, decidedVia: 'cli', delivery: 'delivered' });
    expect((await incidents.listTimeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'decision', message: expect.stringContaining(`by ${CALLER}`) });
  });

  it('rejects with SendTaskSuccess and decision "rejected"', async () => {
    const { deps, request } = await setup();
    await request();
    const result = await runApprovalCommand({ decision: 'rejected', incidentId: INCIDENT_ID }, deps);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Rejected feature-flag-off .* Tourniquet will not apply it\.\n$/);
    expect(sent()[0]!.output).toMatchObject({ decision: 'rejected', reason: null, by: CALLER });
  });

  it('decides the newest request when a retry superseded an older one', async () => {
    const { deps, request, advance } = await setup();
    await request();
    advance(5);
    await request();
    const result = await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID }, deps);
    expect(result.outcome).toMatchObject({ outcome: 'decided', record: { approvalId: 'apr-cli-2' } });
  });

  it('exits 2 for an unknown incident, without touching Step Functions', async () => {
    const { deps } = await setup();
    const result = await runApprovalCommand({ decision: 'approved', incidentId: 'inc-nope', tableName: 'incidents-x' }, deps);
    expect(result).toEqual({ stdout: '', stderr: 'tourniquet: no incident inc-nope in table incidents-x\n', exitCode: 2 });
    expect(sent()).toEqual([]);
  });

  it('exits 2 when the incident has no pending approval', async () => {
    const { deps } = await setup();
    const result = await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID }, deps);
    expect(result).toMatchObject({ exitCode: 2, stderr: `tourniquet: incident ${INCIDENT_ID} has no approval requests\n` });
  });

  it('exits 2 on a second decision, naming who decided first, and sends nothing more', async () => {
    const { deps, request } = await setup();
    await request();
    await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID }, deps);
    const again = await runApprovalCommand({ decision: 'rejected', incidentId: INCIDENT_ID }, deps);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toBe(
      `tourniquet: incident ${INCIDENT_ID} has no pending approval: apr-cli-1 (feature-flag-off on flag new-checkout-flow in abc1234/env5678/prof901) was already approved by ${CALLER} at 2026-11-23 03:11:00 UTC\n`,
    );
    expect(sent()).toHaveLength(1);
  });

  it('exits 2 after the request expired', async () => {
    const { deps, request, advance } = await setup();
    await request();
    advance(900);
    const result = await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID }, deps);
    expect(result).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('expired at 2026-11-23 03:26:00 UTC') });
    expect(sent()).toEqual([]);
  });

  it('exits 2 when the workflow no longer waits (TaskDoesNotExist)', async () => {
    const { deps, request } = await setup();
    await request();
    sfn.on(SendTaskSuccessCommand).rejects(new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} }));
    const result = await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID }, deps);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/the workflow had already stopped waiting .*will not be acted on\n$/);
  });

  it('exits 1 without credentials, before reading anything', async () => {
    const { deps, request } = await setup();
    await request();
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const result = await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID }, deps);
    expect(result).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('cannot determine your AWS identity') });
    expect(sent()).toEqual([]);
  });

  it('exits 2 for a reason over 500 characters, before calling AWS', async () => {
    const { deps } = await setup();
    const result = await runApprovalCommand({ decision: 'approved', incidentId: INCIDENT_ID, reason: 'x'.repeat(501) }, deps);
    expect(result.exitCode).toBe(2);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });
});

describe('approve / reject commands', () => {
  let exitCode: typeof process.exitCode;
  beforeEach(() => {
    exitCode = process.exitCode;
  });
  afterEach(() => {
    process.exitCode = exitCode;
    delete process.env.TOURNIQUET_TABLE;
    jest.restoreAllMocks();
  });

  /** The region and credentials as a configured laptop has them; no stack lookups. */
  const stackDeps: StackContextDeps = {
    region: async (explicit) => explicit ?? 'eu-west-1',
    credentials: async () => undefined,
    stackOutputs: async () => ({}),
  };
  const program = (deps: ApprovalCommandDeps, seen: Array<{ tableName: string; region?: string }> = []) =>
    registerApproval(new Command('tourniquet').exitOverride(), (options) => (seen.push(options), deps), stackDeps);

  it('documents arguments, options and exit codes in --help', () => {
    const help = (name: string) =>
      program({} as ApprovalCommandDeps)
        .commands.find((c) => c.name() === name)!
        .helpInformation();
    for (const name of ['approve', 'reject']) {
      const text = help(name);
      expect(text).toContain(`Usage: tourniquet ${name} [options] <incidentId>`);
      expect(text).toContain('--reason <text>');
      expect(text).toContain('--table <name>');
      expect(text).toContain('or TOURNIQUET_TABLE');
      expect(text).toContain('--region <region>');
      expect(text).toContain('--stack <name>');
    }
    const cmd = program({} as ApprovalCommandDeps).commands.find((c) => c.name() === 'approve')!;
    const out: string[] = [];
    cmd.configureOutput({ writeOut: (s) => void out.push(s) });
    cmd.outputHelp();
    expect(out.join('')).toContain('Exit codes: 0 approved, 2 nothing to approve');
  });

  it('runs approve with --table, --region and --reason, printing one line and setting the exit code', async () => {
    const { deps, request, tableName } = await setup();
    await request();
    const seen: Array<{ tableName: string; region?: string }> = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await program(deps, seen).parseAsync(['approve', INCIDENT_ID, '--table', tableName, '--region', 'us-east-1', '--reason', 'go'], { from: 'user' });
    expect(seen).toEqual([{ tableName, region: 'us-east-1' }]);
    expect(stdout).toHaveBeenCalledWith(expect.stringMatching(/^Approved feature-flag-off .* Reason: "go"\.\n$/));
    expect(process.exitCode).toBe(0);
  });

  it('takes the table from TOURNIQUET_TABLE', async () => {
    const { deps, request, tableName } = await setup();
    await request();
    process.env.TOURNIQUET_TABLE = tableName;
    const seen: Array<{ tableName: string; region?: string }> = [];
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await program(deps, seen).parseAsync(['reject', INCIDENT_ID], { from: 'user' });
    expect(seen).toEqual([{ tableName, region: 'eu-west-1' }]);
    expect(sent()[0]!.output).toMatchObject({ decision: 'rejected' });
  });

  it('exits 2 with one line when no table is given', async () => {
    const result = await approvalCommand(
      'approved',
      INCIDENT_ID,
      {},
      () => {
        throw new Error('must not build clients without a table');
      },
      stackDeps,
    );
    expect(result).toEqual({
      stdout: '',
      stderr: 'tourniquet: approve needs the incident table: pass --stack <name> (its IncidentTableName output), --table, or set TOURNIQUET_TABLE\n',
      exitCode: 2,
    });
    expect(await approvalCommand('approved', INCIDENT_ID, { table: 'x' }, undefined, stackDeps)).toEqual({
      stdout: '',
      stderr: 'tourniquet: "x" is not a DynamoDB table name\n',
      exitCode: 2,
    });
  });
});
