import type { Command } from 'commander';

import type { ApprovalDecision } from '../../lambdas/core/approval-link.js';
import type { ApprovalCommandDeps } from '../../lambdas/operations/approval.js';
import type { StackContextDeps } from '../runtime/stack-context.js';
import { type StackOptions, withStackOptions } from './stack-options.js';

export type { ApprovalCommandDeps, ApprovalCommandInput, ApprovalCommandResult } from '../../lambdas/operations/approval.js';

/**
 * `tourniquet approve|reject <incidentId>`: answers an incident's pending approval request from a
 * terminal, through the same conditional write and SendTaskSuccess as the email links, with the
 * caller's IAM identity as the decider. Exit codes: 0 decided, 2 nothing to decide (unknown
 * incident, no pending approval, bad input), 1 anything else (AWS or internal failure).
 * Registration only: what they do is loaded when one runs (approval-action.ts, and
 * lambdas/operations/approval.ts for the decision).
 */

/** Options the commands accept. */
export interface ApprovalCliOptions extends StackOptions {
  readonly reason?: string;
}

/** Builds the real dependencies for a table and region. */
export type ApprovalDepsFactory = (options: { tableName: string; region: string }) => ApprovalCommandDeps;

const HELP_AFTER: Record<ApprovalDecision, string> = {
  approved: `
Approves the newest pending approval request of the incident: the workflow applies the proposed
mitigation and verifies it. Your IAM identity (STS GetCallerIdentity) is recorded as the approver.
A request can be decided once, by link or CLI, and only before it expires.

Examples:
  $ tourniquet approve inc-20261123T031000Z-1a2b3c4d --reason "flag is the only change in the window"
  $ tourniquet approve inc-20261123T031000Z-1a2b3c4d --stack Tourniquet --region eu-west-1
  $ TOURNIQUET_TABLE=tourniquet-prod-incidents tourniquet approve inc-20261123T031000Z-1a2b3c4d

Needs: dynamodb:Query/GetItem/UpdateItem/PutItem on the table, secretsmanager:GetSecretValue on the
approval secret, states:SendTaskSuccess on the state machine.
Exit codes: 0 approved, 2 nothing to approve or bad input (unknown incident, no pending request,
no table, region or credentials), 1 AWS or internal failure.`,
  rejected: `
Rejects the newest pending approval request of the incident: the workflow does not apply the
proposed mitigation and moves on (next candidate or escalation). Your IAM identity is recorded.

Examples:
  $ tourniquet reject inc-20261123T031000Z-1a2b3c4d --reason "checkout team is rolling back by hand"

Needs: the same permissions as approve.
Exit codes: 0 rejected, 2 nothing to reject or bad input, 1 AWS or internal failure.`,
};

/**
 * Adds `approve` and `reject` to the program and returns the program; `makeDeps` defaults to AWS SDK
 * clients (defaultApprovalDeps), `stackDeps` to the SDK's region and credential chains and CloudFormation.
 */
export function registerApproval(program: Command, makeDeps?: ApprovalDepsFactory, stackDeps?: StackContextDeps): Command {
  for (const [name, decision, summary] of [
    ['approve', 'approved', 'Approve the pending mitigation of an incident (same as its Approve link).'],
    ['reject', 'rejected', 'Reject the pending mitigation of an incident (same as its Reject link).'],
  ] as const) {
    withStackOptions(
      program
        .command(name)
        .description(summary)
        .argument('<incidentId>', 'incident id from the approval email, e.g. inc-20261123T031000Z-1a2b3c4d')
        .option('--reason <text>', 'why, in a sentence (recorded on the incident timeline; max 500 characters)'),
      ['table'],
    )
      .addHelpText('after', HELP_AFTER[decision])
      .action(async (incidentId: string, options: ApprovalCliOptions) => {
        const { approvalCommand, defaultApprovalDeps } = await import('./approval-action.js');
        const result = await approvalCommand(decision, incidentId, options, makeDeps ?? defaultApprovalDeps, stackDeps);
        if (result.stdout !== '') process.stdout.write(result.stdout);
        if (result.stderr !== '') process.stderr.write(result.stderr);
        process.exitCode = result.exitCode;
      });
  }
  return program;
}
