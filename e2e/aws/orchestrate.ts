import { join } from 'node:path';

import { type AppConfigClient, DeleteHostedConfigurationVersionCommand, ListHostedConfigurationVersionsCommand } from '@aws-sdk/client-appconfig';
import { type CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { type CloudWatchClient, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { CONFIG_FILE_CONTEXT, stackNameFor } from '../../lib/app.js';
import { type FoundIncident, probeFlagOff, probeIncident, probeStatusPublish, probeTimeline, type TimelineItem } from './checks.js';
import { SAMPLE_SERVICE, sampleConfig } from './sample-config.js';
import { type Probe, waitFor, type WaitTime } from './wait.js';
import { SAMPLE_FLAG, SAMPLE_METRIC_NAME, SAMPLE_METRIC_NAMESPACE, SAMPLE_OUTPUTS, sampleNames, STAGE_CONTEXT } from './workload/stack.js';

/**
 * `npm run test:aws`: the opt-in run against a real AWS account. Deploys the sample workload and a
 * Tourniquet configured for it, drives the sample's alarm into ALARM, waits for the kill switch (the
 * flag off in the deployed configuration), the incident and its timeline in the real table and the
 * status update's SNS publish in the execution history, then destroys everything it deployed, also
 * when a step fails or the run is interrupted. Every outside effect goes through `AwsTestDeps`, so
 * the order of steps, the teardown and the deadlines are unit-tested without AWS or real time.
 */

/** The environment variable that opts in: without it the run only prints why it was skipped. */
export const OPT_IN_VARIABLE = 'TOURNIQUET_AWS_TEST';

/** The mitigation the test expects Tourniquet to choose and apply. */
export const EXPECTED_MITIGATION = 'feature-flag-off';

/** A command the run starts (the CDK CLI). */
export interface CommandSpec {
  readonly command: string;
  readonly args: readonly string[];
  /**
   * Teardown commands run in their own process group: a Ctrl-C at the terminal must not kill the
   * `cdk destroy` that removes what the run deployed.
   */
  readonly survivesInterrupt?: boolean;
}

/** The SDK clients the run uses, all for the caller's region. */
export interface AwsTestClients {
  readonly sts: STSClient;
  readonly cloudformation: CloudFormationClient;
  readonly cloudwatch: CloudWatchClient;
  readonly appconfig: AppConfigClient;
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
}

/** How long each wait may take, in milliseconds, and how often it looks. */
export interface AwsTestTimeouts {
  readonly incidentMs: number;
  readonly flagOffMs: number;
  readonly timelineMs: number;
  readonly publishMs: number;
  /** CloudFormation DeleteStack when `cdk destroy` failed. */
  readonly stackDeleteMs: number;
  readonly intervalMs: number;
}

export const DEFAULT_TIMEOUTS: AwsTestTimeouts = {
  incidentMs: 5 * 60_000,
  flagOffMs: 10 * 60_000,
  timelineMs: 5 * 60_000,
  publishMs: 5 * 60_000,
  stackDeleteMs: 30 * 60_000,
  intervalMs: 10_000,
};

export interface AwsTestDeps extends WaitTime {
  /** The process environment (only `TOURNIQUET_AWS_TEST` is read here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The region the SDK and the CDK CLI would use (env or profile), or undefined when none is set. */
  readonly resolveRegion: () => Promise<string | undefined>;
  readonly clients: (region: string) => AwsTestClients;
  /** Runs a command to its end with the caller's credentials and `region`; resolves to its exit code. */
  readonly run: (spec: CommandSpec, region: string) => Promise<number>;
  /** A fresh empty folder for the config file and cloud assemblies. */
  readonly makeWorkDir: () => Promise<string>;
  readonly writeFile: (path: string, text: string) => Promise<void>;
  readonly removeDir: (path: string) => Promise<void>;
  /** A unique stage for this run (config `stage` rules: lowercase, digits, -, max 16). */
  readonly newStage: () => string;
  readonly timeouts?: Partial<AwsTestTimeouts>;
}

/** One line of the summary: a step, how long it took, and whether it worked. */
export interface StepRecord {
  readonly name: string;
  readonly ms: number;
  readonly ok: boolean;
  readonly detail?: string;
}

export type AwsTestOutcome =
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'passed' | 'failed' | 'interrupted';
      readonly steps: readonly StepRecord[];
      readonly figures: Readonly<Record<string, number>>;
      readonly error?: string;
      /** What teardown could not remove (empty when everything is gone). */
      readonly leftBehind: readonly string[];
    };

/** Exit codes: 0 passed or skipped, 1 failed (or left something behind), 130 interrupted. */
export function exitCodeFor(outcome: AwsTestOutcome): number {
  if (outcome.kind === 'skipped' || (outcome.kind === 'passed' && outcome.leftBehind.length === 0)) return 0;
  return outcome.kind === 'interrupted' ? 130 : 1;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Whether to run at all: the opt-in variable, then a region, then credentials STS accepts. Returns
 * the reason to skip, or who and where the run acts as.
 */
export async function decideRun(deps: Pick<AwsTestDeps, 'env' | 'resolveRegion' | 'clients'>): Promise<{ skip: string } | { account: string; arn: string; region: string }> {
  if (deps.env[OPT_IN_VARIABLE] !== '1') {
    return { skip: `${OPT_IN_VARIABLE} is not 1; set ${OPT_IN_VARIABLE}=1 to deploy a sample workload and Tourniquet into the account of your AWS credentials (docs/aws-test.md)` };
  }
  const region = await deps.resolveRegion().catch(() => undefined);
  if (!region) return { skip: `${OPT_IN_VARIABLE}=1 but no AWS region is set (AWS_REGION, or region in your AWS profile)` };
  try {
    const identity = await deps.clients(region).sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account || !identity.Arn) return { skip: `${OPT_IN_VARIABLE}=1 but STS GetCallerIdentity returned no account` };
    return { account: identity.Account, arn: identity.Arn, region };
  } catch (error) {
    return { skip: `${OPT_IN_VARIABLE}=1 but no usable AWS credentials (STS GetCallerIdentity in ${region}: ${oneLine((error as Error).message)})` };
  }
}

/** A stack's outputs by key (CloudFormation DescribeStacks). */
export async function stackOutputs(client: CloudFormationClient, stackName: string): Promise<Record<string, string>> {
  const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs: Record<string, string> = {};
  for (const o of Stacks?.[0]?.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return outputs;
}

function requireOutput(outputs: Record<string, string>, key: string, stackName: string): string {
  const value = outputs[key];
  if (value === undefined || value === '') throw new Error(`stack ${stackName} has no output ${key}`);
  return value;
}

/** A step failed: its name goes into the summary. */
class StepFailedError extends Error {
  override readonly name = 'StepFailedError';
}

/** What the run deployed (or started to), so teardown removes exactly that. */
export interface Deployed {
  workload?: { stackName: string; stage: string; output: string; appconfig?: { applicationId: string; configurationProfileId: string; sampleVersion: number } };
  tourniquet?: { stackName: string; configFile: string; output: string; stateMachineArn?: string };
}

/** Runs the whole test. Never throws: every outcome, teardown included, is in the result. */
export async function runAwsTest(deps: AwsTestDeps): Promise<AwsTestOutcome> {
  const decision = await decideRun(deps);
  if ('skip' in decision) {
    deps.log(`test:aws skipped: ${decision.skip}`);
    return { kind: 'skipped', reason: decision.skip };
  }
  const { account, region } = decision;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const clients = deps.clients(region);
  const stage = deps.newStage();
  const names = sampleNames(stage);
  const steps: StepRecord[] = [];
  const figures: Record<string, number> = {};
  const deployed: Deployed = {};
  const startedAt = deps.clock().getTime();
  deps.log(`test:aws: account ${account} (${decision.arn}), region ${region}, stage ${stage}`);

  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    if (deps.signal?.aborted) throw new StepFailedError(`interrupted before: ${name}`);
    deps.log(`> ${name}`);
    const t0 = deps.clock().getTime();
    try {
      const value = await body();
      steps.push({ name, ms: deps.clock().getTime() - t0, ok: true });
      return value;
    } catch (error) {
      const detail = oneLine((error as Error).message);
      steps.push({ name, ms: deps.clock().getTime() - t0, ok: false, detail });
      throw new StepFailedError(`${name}: ${detail}`);
    }
  };
  const cdk = async (args: string[], what: string): Promise<void> => {
    const code = await deps.run({ command: 'npx', args: ['cdk', ...args], survivesInterrupt: false }, region);
    if (code !== 0) throw new Error(`${what} exited with ${code}`);
  };
  const wait = <T>(what: string, probe: () => Promise<Probe<T>>, timeoutMs: number) => waitFor(what, probe, { timeoutMs, intervalMs: timeouts.intervalMs }, deps);

  let workDir: string | undefined;
  let error: string | undefined;
  try {
    workDir = await deps.makeWorkDir();
    const dir = workDir;

    const workload: NonNullable<Deployed['workload']> = { stackName: names.stackName, stage, output: join(dir, 'cdk.out.workload') };
    await step(`deploy the sample workload (${names.stackName})`, async () => {
      deployed.workload = workload;
      await cdk(
        ['deploy', names.stackName, '--app', 'npx tsx e2e/aws/workload/app.ts', '-c', `${STAGE_CONTEXT}=${stage}`, '--require-approval', 'never', '--output', workload.output],
        'cdk deploy (sample workload)',
      );
    });
    const sample = await step('read the sample stack outputs', async () => {
      const outputs = await stackOutputs(clients.cloudformation, names.stackName);
      const get = (key: string) => requireOutput(outputs, key, names.stackName);
      return {
        applicationId: get(SAMPLE_OUTPUTS.applicationId),
        environmentId: get(SAMPLE_OUTPUTS.environmentId),
        configurationProfileId: get(SAMPLE_OUTPUTS.configurationProfileId),
        sampleVersion: Number(get(SAMPLE_OUTPUTS.hostedVersion)),
        alarmName: get(SAMPLE_OUTPUTS.alarmName),
      };
    });
    workload.appconfig = { applicationId: sample.applicationId, configurationProfileId: sample.configurationProfileId, sampleVersion: sample.sampleVersion };

    const { config, json } = sampleConfig({ stage, account, region, ...sample });
    const tourniquetStack = stackNameFor(config);
    const configFile = join(dir, 'tourniquet.config.json');
    await deps.writeFile(configFile, json);
    deps.log(`  Tourniquet config written to ${configFile}`);

    await step(`deploy Tourniquet (${tourniquetStack})`, async () => {
      deployed.tourniquet = { stackName: tourniquetStack, configFile, output: join(dir, 'cdk.out.tourniquet') };
      await cdk(
        ['deploy', tourniquetStack, '-c', `${CONFIG_FILE_CONTEXT}=${configFile}`, '--require-approval', 'never', '--output', deployed.tourniquet.output],
        'cdk deploy (Tourniquet)',
      );
    });
    const tourniquet = await step('read the Tourniquet stack outputs', async () => {
      const outputs = await stackOutputs(clients.cloudformation, tourniquetStack);
      if (deployed.tourniquet) deployed.tourniquet.stateMachineArn = requireOutput(outputs, 'StateMachineArn', tourniquetStack);
      return { table: requireOutput(outputs, 'IncidentTableName', tourniquetStack) };
    });

    const driveAt = await step(`drive ${sample.alarmName} into ALARM`, async () => {
      const at = deps.clock();
      // A real breaching datapoint (what triage reads back), then SetAlarmState so detection does not wait for the next evaluation.
      await clients.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: SAMPLE_METRIC_NAMESPACE,
          MetricData: [
            { MetricName: SAMPLE_METRIC_NAME, Dimensions: Object.entries(names.dimensions).map(([Name, Value]) => ({ Name, Value })), Value: 5, Unit: 'Count', Timestamp: at },
          ],
        }),
      );
      await clients.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: sample.alarmName, StateValue: 'ALARM', StateReason: 'Tourniquet real-AWS test: 5 checkout errors in one minute (threshold 1)' }),
      );
      return at.getTime();
    });

    const incident: FoundIncident = await step('wait for the incident in the real table', async () => {
      const { value } = await wait(
        `incident for ${sample.alarmName}`,
        () => probeIncident(clients.documents, tourniquet.table, SAMPLE_SERVICE, sample.alarmName),
        timeouts.incidentMs,
      );
      figures.timeToIncidentMs = sinceDrive(value.openedAt, driveAt, deps);
      deps.log(`  incident ${value.incidentId} (${value.status}), execution ${value.executionArn}`);
      return value;
    });
    await step(`wait for ${SAMPLE_FLAG} off in the deployed configuration`, async () => {
      const { value } = await wait(`${SAMPLE_FLAG} off`, () => probeFlagOff(clients.appconfig, { ...sample, flag: SAMPLE_FLAG }), timeouts.flagOffMs);
      figures.timeToFlagOffMs = sinceDrive(value.completedAt, driveAt, deps);
      deps.log(`  deployment #${value.deploymentNumber} (hosted version ${value.configurationVersion}) has ${SAMPLE_FLAG} off`);
    });
    const timeline: TimelineItem[] = await step('wait for the timeline (opened, kill switch applied, status update sent)', async () => {
      const { value } = await wait(
        `timeline of ${incident.incidentId}`,
        () => probeTimeline(clients.documents, tourniquet.table, incident.incidentId, EXPECTED_MITIGATION),
        timeouts.timelineMs,
      );
      for (const event of value) deps.log(`  ${event.at} ${event.kind}: ${oneLine(event.message).slice(0, 160)}`);
      return value;
    });
    await step("wait for the status update's SNS publish in the execution history", async () => {
      const { value } = await wait('SNS MessageId in the execution history', () => probeStatusPublish(clients.sfn, incident.executionArn, timeline), timeouts.publishMs);
      deps.log(`  ${value.state} published MessageId ${value.messageId}${value.subject ? ` ("${value.subject}")` : ''}, the one on the timeline`);
    });
  } catch (caught) {
    error = oneLine((caught as Error).message);
    deps.log(`test:aws: FAILED: ${error}`);
  }

  const interrupted = deps.signal?.aborted === true;
  const leftBehind = await teardown(deps, clients, region, deployed, steps, timeouts);
  if (workDir) await deps.removeDir(workDir).catch(() => undefined);
  figures.totalMs = deps.clock().getTime() - startedAt;

  const kind = interrupted ? 'interrupted' : error === undefined ? 'passed' : 'failed';
  const outcome: AwsTestOutcome = { kind, steps, figures, leftBehind, ...(error !== undefined ? { error } : {}) };
  for (const line of summaryLines(outcome, { stage, account, region })) deps.log(line);
  return outcome;
}

/** Milliseconds from driving the alarm to a moment AWS recorded, or to now when AWS recorded none. */
function sinceDrive(at: string | Date | undefined, driveAt: number, deps: Pick<AwsTestDeps, 'clock'>): number {
  const ms = at === undefined ? NaN : new Date(at).getTime();
  return (Number.isFinite(ms) ? ms : deps.clock().getTime()) - driveAt;
}

/**
 * Removes what the run deployed, newest first: the Tourniquet stack (so nothing acts on the sample
 * any more), the incident table it retains on purpose (RemovalPolicy.RETAIN keeps incident history
 * in real installs, not here), the hosted versions Tourniquet added to the sample's profile, then the
 * sample stack. Each part is tried even when another failed; a `cdk destroy` that fails falls back to
 * CloudFormation DeleteStack. Returns what may be left behind.
 */
export async function teardown(deps: AwsTestDeps, clients: AwsTestClients, region: string, deployed: Deployed, steps: StepRecord[], timeouts: AwsTestTimeouts): Promise<string[]> {
  const left: string[] = [];
  // Teardown must finish even after Ctrl-C: its waits ignore the interrupt signal.
  const time: WaitTime = { clock: deps.clock, sleep: deps.sleep, log: deps.log };
  const part = async (name: string, body: () => Promise<void>, what: string): Promise<void> => {
    deps.log(`> teardown: ${name}`);
    const t0 = deps.clock().getTime();
    try {
      await body();
      steps.push({ name: `teardown: ${name}`, ms: deps.clock().getTime() - t0, ok: true });
    } catch (error) {
      const detail = oneLine((error as Error).message);
      deps.log(`  teardown: ${name} failed: ${detail}`);
      steps.push({ name: `teardown: ${name}`, ms: deps.clock().getTime() - t0, ok: false, detail });
      left.push(what);
    }
  };
  const destroy = async (stackName: string, args: string[]): Promise<void> => {
    const code = await deps.run({ command: 'npx', args: ['cdk', 'destroy', stackName, '--force', ...args], survivesInterrupt: true }, region);
    if (code === 0) return;
    deps.log(`  cdk destroy ${stackName} exited with ${code}; deleting it with CloudFormation DeleteStack`);
    await clients.cloudformation.send(new DeleteStackCommand({ StackName: stackName }));
    await waitFor(`${stackName} deleted`, () => probeStackGone(clients.cloudformation, stackName), { timeoutMs: timeouts.stackDeleteMs, intervalMs: timeouts.intervalMs }, time);
  };

  if (deployed.tourniquet) {
    const { stackName, configFile, output, stateMachineArn } = deployed.tourniquet;
    if (stateMachineArn) {
      // The incident is still in its watch period (a Wait of minutes): CloudFormation would wait for it to end before the state machine is gone.
      await part('stop the running executions', () => stopExecutions(clients.sfn, stateMachineArn), `running executions of ${stateMachineArn}`);
    }
    const tables = await retainedTables(clients.cloudformation, stackName).catch(() => [] as string[]);
    await part(`destroy ${stackName}`, () => destroy(stackName, ['-c', `${CONFIG_FILE_CONTEXT}=${configFile}`, '--output', output]), `stack ${stackName}`);
    for (const table of tables) {
      await part(`delete the retained table ${table}`, () => deleteTable(clients.dynamodb, table), `DynamoDB table ${table}`);
    }
  }
  if (deployed.workload) {
    const { stackName, stage, output, appconfig } = deployed.workload;
    if (appconfig) {
      await part(
        'delete the hosted versions Tourniquet added',
        () => deleteAddedVersions(clients.appconfig, appconfig),
        `hosted configuration versions of ${appconfig.applicationId}/${appconfig.configurationProfileId}`,
      );
    }
    await part(
      `destroy ${stackName}`,
      () => destroy(stackName, ['--app', 'npx tsx e2e/aws/workload/app.ts', '-c', `${STAGE_CONTEXT}=${stage}`, '--output', output]),
      `stack ${stackName}`,
    );
  }
  return left;
}

/** Stops every RUNNING execution of the state machine (the incident's, and any continuation). */
async function stopExecutions(client: SFNClient, stateMachineArn: string): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken }));
    for (const execution of page.executions ?? []) {
      await client.send(new StopExecutionCommand({ executionArn: execution.executionArn, error: 'TourniquetAwsTest.Teardown', cause: 'npm run test:aws is destroying the stack' }));
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

/** Tables of the stack (the incident table is RETAIN): read before the stack is deleted, deleted after. */
async function retainedTables(client: CloudFormationClient, stackName: string): Promise<string[]> {
  const tables: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: nextToken }));
    for (const r of page.StackResourceSummaries ?? []) if (r.ResourceType === 'AWS::DynamoDB::Table' && r.PhysicalResourceId) tables.push(r.PhysicalResourceId);
    nextToken = page.NextToken;
  } while (nextToken);
  return tables;
}

async function deleteTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: table }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
}

/** Hosted versions above the sample's own were written by Tourniquet's kill switch; CloudFormation does not know them. */
async function deleteAddedVersions(client: AppConfigClient, target: { applicationId: string; configurationProfileId: string; sampleVersion: number }): Promise<void> {
  const { Items } = await client.send(
    new ListHostedConfigurationVersionsCommand({ ApplicationId: target.applicationId, ConfigurationProfileId: target.configurationProfileId, MaxResults: 50 }),
  );
  for (const v of Items ?? []) {
    if (v.VersionNumber === undefined || v.VersionNumber <= target.sampleVersion) continue;
    await client.send(
      new DeleteHostedConfigurationVersionCommand({ ApplicationId: target.applicationId, ConfigurationProfileId: target.configurationProfileId, VersionNumber: v.VersionNumber }),
    );
  }
}

/** Gone: DescribeStacks says it does not exist, or DELETE_COMPLETE. DELETE_FAILED ends the wait with an error. */
export async function probeStackGone(client: CloudFormationClient, stackName: string): Promise<Probe<true>> {
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const status = Stacks?.[0]?.StackStatus;
    if (status === undefined || status === 'DELETE_COMPLETE') return { done: true, value: true };
    if (status === 'DELETE_FAILED') throw new Error(`${stackName} is DELETE_FAILED: ${Stacks?.[0]?.StackStatusReason ?? 'no reason given'}`);
    return { done: false, seen: status };
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return { done: true, value: true };
    throw error;
  }
}

const secondsText = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** The summary printed at the end: each step with its time, the three figures, the result. */
export function summaryLines(outcome: Exclude<AwsTestOutcome, { kind: 'skipped' }>, run: { stage: string; account: string; region: string }): string[] {
  const width = Math.max(...outcome.steps.map((s) => s.name.length), 10);
  const lines = [`test:aws summary (stage ${run.stage}, account ${run.account}, region ${run.region})`];
  for (const s of outcome.steps) lines.push(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(width)} ${secondsText(s.ms).padStart(9)}${s.detail ? `  ${s.detail}` : ''}`);
  lines.push(`  time to incident (alarm driven -> incident opened): ${secondsText(outcome.figures.timeToIncidentMs)}`);
  lines.push(`  time to flag off (alarm driven -> kill switch deployment complete): ${secondsText(outcome.figures.timeToFlagOffMs)}`);
  lines.push(`  total: ${secondsText(outcome.figures.totalMs)}`);
  if (outcome.leftBehind.length > 0) lines.push(`  LEFT BEHIND (delete by hand): ${outcome.leftBehind.join('; ')}`);
  const result = outcome.kind === 'passed' ? 'PASSED' : outcome.kind === 'interrupted' ? 'INTERRUPTED' : 'FAILED';
  lines.push(
    `test:aws ${result}${outcome.error ? `: ${outcome.error}` : ''}${outcome.kind === 'passed' && outcome.leftBehind.length > 0 ? ' (but teardown left something behind)' : ''}`,
  );
  return lines;
}
