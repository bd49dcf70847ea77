import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

import { type ApprovalDecision, formatTime, normalizeReason } from '../core/approval-link.js';
import { type ApprovalRecord, approvalState, type ApprovalStore } from '../store/approvals.js';
import type { IncidentStore } from '../store/incident-store.js';
import { decideApproval, type DecideApprovalDeps, type DecideApprovalOutcome } from './decide-approval.js';

/**
 * Answers an incident's pending approval request as the caller (`tourniquet approve|reject` and the
 * drill's scripted on-call human): through the same conditional write and SendTaskSuccess as the
 * email links, with the caller's IAM identity as the decider. The result is what the command prints
 * and its exit code: 0 decided, 2 nothing to decide (unknown incident, no pending approval, bad
 * input), 1 anything else (AWS or internal failure).
 */

export const EXIT_BAD_INPUT = 2;
export const EXIT_FAILURE = 1;

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

/** A run of the command: what it prints and its exit code; `outcome` is there when a decision was attempted (the drill reads it). */
export interface ApprovalCommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly outcome?: DecideApprovalOutcome;
}

const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
/** A failed run: one `tourniquet: …` line on stderr (after any warnings) and the exit code. */
export const approvalCommandFailure = (message: string, exitCode: number, stderr = ''): ApprovalCommandResult => ({
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
  if (!reason.ok) return approvalCommandFailure(reason.message, EXIT_BAD_INPUT);
  const incidentId = input.incidentId.trim();
  if (incidentId === '') return approvalCommandFailure('give the incident id, e.g. tourniquet approve inc-20261123T031000Z-1a2b3c4d', EXIT_BAD_INPUT);

  // Identity first: without credentials this is the clearest error, and nothing has been read yet.
  let callerArn: string;
  try {
    const identity = await deps.sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Arn) return approvalCommandFailure('STS GetCallerIdentity returned no ARN', EXIT_FAILURE);
    callerArn = identity.Arn;
  } catch (error) {
    return approvalCommandFailure(`cannot determine your AWS identity (are credentials configured?): ${errorText(error)}`, EXIT_FAILURE);
  }

  let outcome: DecideApprovalOutcome;
  let pending: ApprovalRecord | undefined;
  try {
    if (!(await deps.incidents.findIncident(incidentId))) {
      return approvalCommandFailure(`no incident ${incidentId}${input.tableName ? ` in table ${input.tableName}` : ''}`, EXIT_BAD_INPUT);
    }
    const now = deps.clock();
    const approvals = await deps.approvals.list(incidentId);
    pending = approvals.filter((r) => approvalState(r, now) === 'pending').at(-1);
    if (!pending) return approvalCommandFailure(nothingPending(incidentId, approvals.at(-1), now), EXIT_BAD_INPUT);
    outcome = await decideApproval(
      { ...deps, warn: (message, error) => warnings.push(`tourniquet: warning: ${oneLine(`${message}: ${errorText(error)}`)}\n`) },
      { incidentId, approvalId: pending.approvalId, decision: input.decision, by: callerArn, via: 'cli', reason: reason.reason },
    );
  } catch (error) {
    return approvalCommandFailure(errorText(error), EXIT_FAILURE, warnings.join(''));
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
      return { ...approvalCommandFailure(`approval ${id} disappeared before it could be decided`, EXIT_BAD_INPUT, stderr), outcome };
    case 'decided-before':
    case 'expired':
    case 'superseded':
      return { ...approvalCommandFailure(nothingPending(incidentId, outcome.record, deps.clock()), EXIT_BAD_INPUT, stderr), outcome };
    case 'task-gone':
      return {
        ...approvalCommandFailure(
          `approval ${id}: the workflow had already stopped waiting (${outcome.detail}); your decision was recorded but will not be acted on`,
          EXIT_BAD_INPUT,
          stderr,
        ),
        outcome,
      };
    case 'undeliverable':
      return { ...approvalCommandFailure(`could not deliver the decision on approval ${id}; nothing was decided, try again: ${outcome.detail}`, EXIT_FAILURE, stderr), outcome };
  }
}
