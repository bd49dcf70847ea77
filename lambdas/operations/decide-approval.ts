import { type ApprovalChannel, type ApprovalDecision, type ApprovalDecisionOutput, type ApproverIdentity, openTaskToken } from '../core/approval-link.js';
import { approvalState } from '../core/approval-state.js';
import { logger } from '../runtime/logger.js';
import type { ApprovalDelivery, ApprovalRecord, ClaimResult, DecisionClaim } from '../store/approvals.js';
import { RecordInvalidError } from '../store/errors.js';
import type { Clock, MetricsSink, Timeline } from './ports.js';

/**
 * Deciding an approval: the one decision path shared by the approval endpoint (email links) and
 * `tourniquet approve|reject`. A conditional write that only a PENDING, unexpired approval passes,
 * then SendTaskSuccess with the decision, then the record-keeping.
 */

/** The approval records a decision reads and claims (`ApprovalStore`). */
export interface ApprovalDecisions {
  get(incidentId: string, approvalId: string): Promise<ApprovalRecord | undefined>;
  /** The conditional write from PENDING (and not expired) to DECIDED: of two deciders, one claims. */
  claimDecision(incidentId: string, approvalId: string, claim: DecisionClaim): Promise<ClaimResult>;
  /** Undoes a claim whose decision never reached the workflow (only if the claim is still `claimId`). */
  releaseClaim(incidentId: string, approvalId: string, claimId: string): Promise<boolean>;
  recordDelivery(incidentId: string, approvalId: string, claimId: string, delivery: ApprovalDelivery, detail?: string): Promise<boolean>;
}

/** Hands the decision to the waiting workflow (`StepFunctionsTasks`: SendTaskSuccess). */
export interface WorkflowCallback {
  /** @throws TaskNoLongerWaitingError when the task timed out or its execution ended */
  sendDecision(taskToken: string, output: ApprovalDecisionOutput): Promise<void>;
}

/** The approval secret by id (`ApprovalSecretSource`: Secrets Manager, cached). */
export interface SecretSource {
  getSecret(secretId: string): Promise<string>;
}

/** What {@link decideApproval} needs. */
export interface DecideApprovalDeps {
  readonly approvals: ApprovalDecisions;
  readonly incidents: Timeline;
  readonly tasks: WorkflowCallback;
  /** Opens the sealed task token with the secret named on the record. */
  readonly secrets: SecretSource;
  readonly clock: Clock;
  /**
   * ApprovalsDecided granted | rejected. The approval endpoint passes Powertools Metrics; `tourniquet
   * approve|reject` passes none (no function log on a laptop turns EMF into metrics).
   */
  readonly metrics?: MetricsSink;
  /** Bookkeeping that failed after the decision was delivered (it still counts). @default logs a warning */
  readonly warn?: (message: string, error: unknown) => void;
}

/** One person's decision on one approval. */
export interface DecideApprovalRequest {
  readonly incidentId: string;
  readonly approvalId: string;
  readonly decision: ApprovalDecision;
  /** `<name> <<email>> (email link)` (see `emailLinkDecider`), or the caller's ARN. */
  readonly by: string;
  readonly via: ApprovalChannel;
  /** Already normalized (see `normalizeReason`). */
  readonly reason: string | null;
  /**
   * For an email link: the typed name and email, source IP, user agent and the link's recipients.
   * The recipients are filled in from the approval record here, so callers may leave them empty.
   */
  readonly identity?: Omit<ApproverIdentity, 'recipients' | 'emailIsRecipient'>;
}

/** How a decision ended: every "no" is an outcome, not an exception. */
export type DecideApprovalOutcome =
  /** The decision was recorded and the workflow received it. */
  | { readonly outcome: 'decided'; readonly record: ApprovalRecord; readonly output: ApprovalDecisionOutput }
  | { readonly outcome: 'not-found' }
  /** Someone decided first (or this is a replay): nothing changed. */
  | { readonly outcome: 'decided-before'; readonly record: ApprovalRecord }
  | { readonly outcome: 'superseded'; readonly record: ApprovalRecord }
  | { readonly outcome: 'expired'; readonly record: ApprovalRecord }
  /** Recorded, but the workflow had stopped waiting (timed out or ended): it will not act on it. */
  | { readonly outcome: 'task-gone'; readonly record: ApprovalRecord; readonly detail: string }
  /** Step Functions could not be reached or refused; the claim was undone, so deciding again is possible. */
  | { readonly outcome: 'undeliverable'; readonly record: ApprovalRecord; readonly detail: string };

/** What a link would decide, before anyone confirms: the approval if it still waits, else why not. */
export type ApprovalReview =
  | { readonly outcome: 'pending'; readonly record: ApprovalRecord }
  | Extract<DecideApprovalOutcome, { readonly outcome: 'not-found' | 'decided-before' | 'superseded' | 'expired' }>;

const VERB: Record<ApprovalDecision, string> = { approved: 'Approved', rejected: 'Rejected' };

/**
 * Reads an approval as a confirmation page shows it: whether it still waits for a decision.
 * Changes nothing (mail scanners open every link).
 */
export async function reviewApproval(
  deps: { readonly approvals: Pick<ApprovalDecisions, 'get'>; readonly clock: Clock },
  incidentId: string,
  approvalId: string,
): Promise<ApprovalReview> {
  const record = await deps.approvals.get(incidentId, approvalId);
  if (!record) return { outcome: 'not-found' };
  const state = approvalState(record, deps.clock());
  return { outcome: state === 'decided' ? 'decided-before' : state, record };
}

/**
 * Decides an approval once: checks it is still PENDING and unexpired, opens its task token,
 * claims the decision with a conditional write, then sends it with SendTaskSuccess and records
 * who, when and why on the timeline. Every "no" is an outcome, not an exception.
 *
 * @throws SealedTokenInvalidError when the stored token cannot be opened (nothing is changed)
 * @throws StoreError / AWS adapter errors for failures before the claim (nothing is changed)
 */
export async function decideApproval(deps: DecideApprovalDeps, request: DecideApprovalRequest): Promise<DecideApprovalOutcome> {
  const warn = deps.warn ?? ((message: string, error: unknown) => logger.warn(message, { error: error as Error }));
  const { incidentId, approvalId } = request;
  const record = await deps.approvals.get(incidentId, approvalId);
  if (!record) return { outcome: 'not-found' };
  const state = approvalState(record, deps.clock());
  if (state !== 'pending') return { outcome: state === 'decided' ? 'decided-before' : state, record };
  if (!record.sealedTaskToken) throw new RecordInvalidError(`pending approval ${approvalId} of incident ${incidentId} has no task token`);

  // Open the token before claiming: a token we cannot read must not burn the approval.
  const taskToken = openTaskToken(record.sealedTaskToken, await deps.secrets.getSecret(record.tokenSecretId), { incidentId, approvalId });

  const recipients = record.recipients ?? [];
  const identity: ApproverIdentity | undefined = request.identity && {
    ...request.identity,
    recipients,
    emailIsRecipient: recipients.some((r) => r.toLowerCase() === request.identity!.email.toLowerCase()),
  };
  const claim = await deps.approvals.claimDecision(incidentId, approvalId, {
    decision: request.decision,
    by: request.by,
    via: request.via,
    reason: request.reason,
    ...(identity ? { identity } : {}),
  });
  if (!claim.claimed) {
    if (claim.state === 'not-found') return { outcome: 'not-found' };
    return { outcome: claim.state === 'decided' ? 'decided-before' : claim.state, record: claim.record };
  }

  const decided = claim.record;
  const output: ApprovalDecisionOutput = {
    decision: request.decision,
    by: request.by,
    via: request.via,
    reason: request.reason,
    at: decided.decidedAt ?? deps.clock().toISOString(),
    approvalId,
  };
  const facts = {
    approval: 'decided',
    approvalId,
    decision: request.decision,
    by: request.by,
    via: request.via,
    reason: request.reason,
    ...(identity
      ? {
          approverName: identity.name,
          approverEmail: identity.email,
          emailIsRecipient: identity.emailIsRecipient,
          linkRecipients: identity.recipients.join(', '),
          ...(identity.sourceIp ? { sourceIp: identity.sourceIp } : {}),
          ...(identity.userAgent ? { userAgent: identity.userAgent } : {}),
        }
      : {}),
  };
  const because = request.reason ? `: "${request.reason}"` : ' (no reason given)';

  try {
    await deps.tasks.sendDecision(taskToken, output);
  } catch (error) {
    // By name: the adapter's class would load the Step Functions client when the endpoint starts.
    if (isTaskGone(error)) {
      await bestEffort(warn, 'recording the late decision', () => deps.approvals.recordDelivery(incidentId, approvalId, claim.claimId, 'task-gone', error.code));
      await bestEffort(warn, 'appending the late decision to the timeline', () =>
        deps.incidents.appendTimeline(incidentId, {
          at: output.at,
          kind: 'decision',
          message: `${VERB[request.decision]} by ${request.by} after the workflow stopped waiting (${error.code}); not acted on${because}`,
          data: { ...facts, delivery: 'task-gone', code: error.code },
        }),
      );
      return { outcome: 'task-gone', record: decided, detail: error.message };
    }
    // Nothing reached the workflow: undo the claim so the same link or the CLI can try again.
    const released = await deps.approvals.releaseClaim(incidentId, approvalId, claim.claimId);
    if (!released) warn(`approval ${approvalId}: the claim could not be released after a failed delivery`, error);
    return { outcome: 'undeliverable', record: decided, detail: error instanceof Error ? error.message : String(error) };
  }

  // Once: only the claim's conditional write gets here, and only a delivered decision counts (an undelivered one is released and decided again).
  deps.metrics?.record('approvalsDecided', 1, { service: decided.service, mitigation: decided.candidate.type, outcome: request.decision === 'approved' ? 'granted' : 'rejected' });
  await bestEffort(warn, 'recording the delivery', () => deps.approvals.recordDelivery(incidentId, approvalId, claim.claimId, 'delivered'));
  await bestEffort(warn, 'appending the decision to the timeline', () =>
    deps.incidents.appendTimeline(incidentId, {
      at: output.at,
      kind: 'decision',
      message: `${VERB[request.decision]} ${decided.candidate.type} on ${decided.candidate.target} by ${request.by}${because}`,
      data: { ...facts, delivery: 'delivered' },
    }),
  );
  return { outcome: 'decided', record: decided, output };
}

/** After delivery the decision stands: failures of the record-keeping that follows are reported, not thrown. */
async function bestEffort(warn: (message: string, error: unknown) => void, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    warn(`approval decision delivered, but ${what} failed`, error);
  }
}

/** The adapter's TaskNoLongerWaitingError, told by name: importing its class would load the Step Functions client at start-up. */
function isTaskGone(error: unknown): error is Error & { code: string } {
  return error instanceof Error && error.name === 'TaskNoLongerWaitingError' && typeof (error as { code?: unknown }).code === 'string';
}
