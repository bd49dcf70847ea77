import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Option, type Command } from 'commander';
import { formatTime, normalizeReason, type ApprovalDecision } from '../../lambdas/core/approval-link.js';
import { ApprovalSecretSource } from '../../lambdas/adapters/approval-secret.js';
import { StepFunctionsTasks } from '../../lambdas/adapters/step-functions-tasks.js';
import { decideApproval, type DecideApprovalDeps, type DecideApprovalOutcome } from '../../lambdas/handlers/approval-endpoint.js';
import { approvalState, ApprovalStore, type ApprovalRecord } from '../../lambdas/store/approvals.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import type { CommandResult } from './parse-event.js';

/**
 * `tourniquet approve|reject <incidentId>`: answers an incident's pending approval request from a
 * terminal, through the same conditional write and SendTaskSuccess as the email links, with the
 * caller's IAM identity as the decider. Exit codes: 0 decided, 2 nothing to decide (unknown
 * incident, no pending approval, bad input), 1 anything else (AWS or internal failure).
 */

const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

/** What the command decides. */
export interface ApprovalCommandInput {
  readonly decision: ApprovalDecision;
  readonly incidentId: string;
  readonly reason?: string;
  /** Named in messages only. */
  readonly tableName?: string;
}

/** Everything the command touches, injected so tests and the drill can run it without AWS. */
export interface ApprovalCommandDeps extends DecideApprovalDeps {
  readonly approvals: DecideApprovalDeps['approvals'] & Pick<ApprovalStore, 'list'>;
  readonly incidents: DecideApprovalDeps['incidents'] & Pick<IncidentStore, 'findIncident'>;
  /** Who is deciding: GetCallerIdentity's ARN goes into the decision's `by`. */
  readonly sts: STSClient;
}

/** A run of the command; `outcome` is there when a decision was attempted (the drill reads it). */
export interface ApprovalCommandResult extends CommandResult {
  readonly outcome?: DecideApprovalOutcome;
}

const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
const fail = (message: string, exitCode: number, stderr = ''): ApprovalCommandResult => ({
  stdout: '',
  stderr: `${stderr}tourniquet: ${oneLine(message)}\n`,
  exitCode,
});
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const what = (r: ApprovalRecord): string => `${r.candidate.type} on ${r.candidate.target}`;

/** Why there is nothing to decide, from the incident's latest approval. */
function nothingPending(incidentId: string, latest: ApprovalRecord | undefined, now: Date): string {
  if (!latest) return `incident ${incidentId} has no approval requests`;
  const state = approvalState(latest, now);
  if (state === 'decided') {
    const when = latest.decidedAt ? ` at ${formatTime(new Date(latest.decidedAt))}` : '';
    return `incident ${incidentId} has no pending approval: ${latest.approvalId} (${what(latest)}) was already ${latest.decision ?? 'decided'} by ${latest.decidedBy ?? 'someone'}${when}`;
  }
  if (state === 'expired') {
    return `incident ${incidentId} has no pending approval: ${latest.approvalId} (${what(latest)}) expired at ${formatTime(new Date(latest.expiresAt))}`;
  }
  return `incident ${incidentId} has no pending approval`;
}

/**
 * Decides the newest pending approval of an incident as the caller. Never throws: every failure is
 * a one-line message and an exit code.
 */
export async function runApprovalCommand(input: ApprovalCommandInput, deps: ApprovalCommandDeps): Promise<ApprovalCommandResult> {
  const warnings: string[] = [];
  const reason = normalizeReason(input.reason);
  if (!reason.ok) return fail(reason.message, EXIT_BAD_INPUT);
  const incidentId = input.incidentId.trim();
  if (incidentId === '') return fail('give the incident id, e.g. tourniquet approve inc-20261123T031000Z-1a2b3c4d', EXIT_BAD_INPUT);

  // Identity first: without credentials this is the clearest error, and nothing has been read yet.
  let callerArn: string;
  try {
    const identity = await deps.sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Arn) return fail('STS GetCallerIdentity returned no ARN', EXIT_FAILURE);
    callerArn = identity.Arn;
  } catch (error) {
    return fail(`cannot determine your AWS identity (are credentials configured?): ${errorText(error)}`, EXIT_FAILURE);
  }

  let outcome: DecideApprovalOutcome;
  let pending: ApprovalRecord | undefined;
  try {
    if (!(await deps.incidents.findIncident(incidentId))) {
      return fail(`no incident ${incidentId}${input.tableName ? ` in table ${input.tableName}` : ''}`, EXIT_BAD_INPUT);
    }
    const now = deps.clock();
    const approvals = await deps.approvals.list(incidentId);
    pending = approvals.filter((r) => approvalState(r, now) === 'pending').at(-1);
    if (!pending) return fail(nothingPending(incidentId, approvals.at(-1), now), EXIT_BAD_INPUT);
    outcome = await decideApproval(
      { ...deps, warn: (message, error) => warnings.push(`tourniquet: warning: ${oneLine(`${message}: ${errorText(error)}`)}\n`) },
      { incidentId, approvalId: pending.approvalId, decision: input.decision, by: callerArn, via: 'cli', reason: reason.reason },
    );
  } catch (error) {
    return fail(errorText(error), EXIT_FAILURE, warnings.join(''));
  }

  const stderr = warnings.join('');
  const id = `${pending.approvalId} of incident ${incidentId}`;
  switch (outcome.outcome) {
    case 'decided': {
      const r = outcome.record;
      const next = input.decision === 'approved' ? 'The workflow applies it now and verifies the alarm clears.' : 'Tourniquet will not apply it.';
      const because = outcome.output.reason ? ` Reason: "${outcome.output.reason}".` : '';
      return {
        stdout: `${input.decision === 'approved' ? 'Approved' : 'Rejected'} ${what(r)} (approval ${id}) as ${callerArn}. ${next}${because}\n`,
        stderr,
        exitCode: 0,
        outcome,
      };
    }
    case 'not-found':
      return { ...fail(`approval ${id} disappeared before it could be decided`, EXIT_BAD_INPUT, stderr), outcome };
    case 'decided-before':
    case 'expired':
    case 'superseded':
      return { ...fail(nothingPending(incidentId, outcome.record, deps.clock()), EXIT_BAD_INPUT, stderr), outcome };
    case 'task-gone':
      return {
        ...fail(`approval ${id}: the workflow had already stopped waiting (${outcome.detail}); your decision was recorded but will not be acted on`, EXIT_BAD_INPUT, stderr),
        outcome,
      };
    case 'undeliverable':
      return { ...fail(`could not deliver the decision on approval ${id}; nothing was decided, try again: ${outcome.detail}`, EXIT_FAILURE, stderr), outcome };
  }
}

/** Options the commands accept. */
export interface ApprovalCliOptions {
  readonly reason?: string;
  readonly table?: string;
  readonly region?: string;
}

/** Builds the real dependencies for a table and region. */
export type ApprovalDepsFactory = (options: { tableName: string; region?: string }) => ApprovalCommandDeps;

/** AWS SDK clients from the default credential chain (profile, SSO, environment...). */
export const defaultApprovalDeps: ApprovalDepsFactory = ({ tableName, region }) => {
  const config = region ? { region } : {};
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });
  const clock = () => new Date();
  return {
    approvals: new ApprovalStore({ tableName, client, clock }),
    incidents: new IncidentStore({ tableName, client, clock }),
    tasks: new StepFunctionsTasks(new SFNClient(config)),
    secrets: new ApprovalSecretSource(new SecretsManagerClient(config)),
    sts: new STSClient(config),
    clock,
  };
};

/** Runs one command from parsed CLI options. */
export async function approvalCommand(
  decision: ApprovalDecision,
  incidentId: string,
  options: ApprovalCliOptions,
  makeDeps: ApprovalDepsFactory = defaultApprovalDeps,
): Promise<ApprovalCommandResult> {
  const tableName = options.table?.trim();
  if (!tableName) return fail('no incident table: pass --table <name> or set TOURNIQUET_TABLE', EXIT_BAD_INPUT);
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) return fail(`"${tableName}" is not a DynamoDB table name`, EXIT_BAD_INPUT);
  let deps: ApprovalCommandDeps;
  try {
    deps = makeDeps({ tableName, ...(options.region ? { region: options.region } : {}) });
  } catch (error) {
    return fail(errorText(error), EXIT_FAILURE);
  }
  return runApprovalCommand({ decision, incidentId, tableName, ...(options.reason !== undefined ? { reason: options.reason } : {}) }, deps);
}

const HELP_AFTER: Record<ApprovalDecision, string> = {
  approved: `
Approves the newest pending approval request of the incident: the workflow applies the proposed
mitigation and verifies it. Your IAM identity (STS GetCallerIdentity) is recorded as the approver.
A request can be decided once, by link or CLI, and only before it expires.

Examples:
  $ tourniquet approve inc-20261123T031000Z-1a2b3c4d --reason "flag is the only change in the window"
  $ TOURNIQUET_TABLE=tourniquet-prod-incidents tourniquet approve inc-20261123T031000Z-1a2b3c4d

Needs: dynamodb:Query/GetItem/UpdateItem/PutItem on the table, secretsmanager:GetSecretValue on the
approval secret, states:SendTaskSuccess on the state machine.
Exit codes: 0 approved, 2 nothing to approve (unknown incident, no pending request), 1 failure.`,
  rejected: `
Rejects the newest pending approval request of the incident: the workflow does not apply the
proposed mitigation and moves on (next candidate or escalation). Your IAM identity is recorded.

Examples:
  $ tourniquet reject inc-20261123T031000Z-1a2b3c4d --reason "checkout team is rolling back by hand"

Needs: the same permissions as approve.
Exit codes: 0 rejected, 2 nothing to reject (unknown incident, no pending request), 1 failure.`,
};

/** Adds `approve` and `reject` to the program and returns the program. */
export function registerApproval(program: Command, makeDeps: ApprovalDepsFactory = defaultApprovalDeps): Command {
  for (const [name, decision, summary] of [
    ['approve', 'approved', 'Approve the pending mitigation of an incident (same as its Approve link).'],
    ['reject', 'rejected', 'Reject the pending mitigation of an incident (same as its Reject link).'],
  ] as const) {
    program
      .command(name)
      .description(summary)
      .argument('<incidentId>', 'incident id from the approval email, e.g. inc-20261123T031000Z-1a2b3c4d')
      .option('--reason <text>', 'why, in a sentence (recorded on the incident timeline; max 500 characters)')
      .addOption(new Option('--table <name>', 'the Tourniquet incident table').env('TOURNIQUET_TABLE'))
      .option('--region <region>', 'AWS region of the stack (default: from your AWS config)')
      .addHelpText('after', HELP_AFTER[decision])
      .action(async (incidentId: string, options: ApprovalCliOptions) => {
        const result = await approvalCommand(decision, incidentId, options, makeDeps);
        if (result.stdout !== '') process.stdout.write(result.stdout);
        if (result.stderr !== '') process.stderr.write(result.stderr);
        process.exitCode = result.exitCode;
      });
  }
  return program;
}
