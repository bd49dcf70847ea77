import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import { AwsAccessDeniedError, AwsResourceNotFoundError, TransientAwsError } from '../adapters/errors.js';
import { sessionNameFor } from '../core/accounts.js';
import { nextExecutableCursor } from '../core/decision.js';
import { AUTOMATION_STATUSES, leaseUntil, ledgerCursor, revertsWhenIneffective } from '../core/lifecycle.js';
import type { Attempt, Candidate, WorkflowState } from '../core/model.js';
import { CLAIM_LEASE_SECONDS, MUTATION_LOCK_LEASE_SECONDS } from '../core/mutation.js';
import { mitigationOf } from '../mitigations/index.js';
import { type DeploymentStrategyRef, type MitigationContext, MitigationNotExecutableError } from '../mitigations/mitigation.js';
import type { MitigationAdapters } from '../mitigations/ports.js';
import { logger } from '../runtime/logger.js';
import type { AutomationBrake } from '../store/brake.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { PauseSwitch } from '../store/pause.js';
import type { MetricsSink } from './ports.js';
import { atService, deploymentStrategyAt, type ForService, type StrategyLookup } from './service-scope.js';
import { undoAction } from './undo.js';

export { MitigationNotExecutableError };

/** Margin after the expected recovery before the first check, so one slow datapoint does not read as failure. */
const CHECK_MARGIN_SECONDS = 30;
/** The mutation lock's lease past the next check; verify renews it (heartbeat) while it verifies. */
const MUTATION_LOCK_SECONDS = MUTATION_LOCK_LEASE_SECONDS;
/** How long an invocation waits on a claim another one holds before handing back to the workflow's retry. */
const CLAIM_WAIT_SECONDS = 20;
const CLAIM_POLL_SECONDS = 2;

/** What the mitigate operation works with: the incident store, the brake and pause switch, the catalogue's adapters, a clock. */
export interface MitigateDeps {
  readonly store: Pick<
    IncidentStore,
    | 'recordActionStart'
    | 'claimAction'
    | 'recordClaimIntent'
    | 'releaseActionClaim'
    | 'findAction'
    | 'completeAction'
    | 'appendTimeline'
    | 'acquireMutationLock'
    | 'releaseMutationLock'
    | 'getIncident'
    | 'transition'
    | 'renewLease'
    | 'listActions'
    | 'markActionUndone'
  >;
  /** The adapters the catalogue's mitigations act through (built on first use). */
  readonly adapters: MitigationAdapters;
  /** The adapters of a service elsewhere (another region, or a workload account through the member role). */
  readonly forService?: ForService<Pick<MitigateDeps, 'adapters' | 'deploymentStrategyOf'>>;
  /** Finds the zero-bake strategy of a service elsewhere (from `forService`). */
  readonly deploymentStrategyOf?: StrategyLookup;
  readonly pause: Pick<PauseSwitch, 'inForce'>;
  readonly brake: Pick<AutomationBrake, 'reserve' | 'releaseResource'>;
  /** The central stack's zero-bake strategy; a service elsewhere gets its place's (`deploymentStrategyOf`). */
  readonly deploymentStrategyId: DeploymentStrategyRef;
  /** MitigationsApplied / Failed / Reverted, BrakeEvents, and approvals that timed out into a change. */
  readonly metrics: MetricsSink;
  readonly clock: () => Date;
  /** Waits between looks at a claim another invocation holds; the drill passes its virtual clock's. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A unique id per invocation: the owner of the claims it takes. @default crypto.randomUUID */
  readonly invocationId?: () => string;
}

/**
 * Another invocation holds the claim on this very change and is still within its lease (a
 * concurrent duplicate, or a retry while a crashed attempt's lease runs out). Retried by the workflow.
 */
export class MutationInProgressError extends Error {
  override readonly name = 'MutationInProgress';
}

/** The brake stopped an automated change and the config says to page rather than ask (brake.onLimit = escalate). */
export class AutomationBrakeError extends Error {
  override readonly name = 'AutomationBrakeEngaged';
}

/** Every candidate left in the plan cannot act now (readiness at incident time): a human is paged at once. */
export class NoCandidateCanActError extends Error {
  override readonly name = 'NoCandidateCanAct';
}

/** How long an approval may take before the workflow reports again (AwaitApproval's timeout). */
const APPROVAL_WAIT_SECONDS = 15 * 60;

/**
 * Applies one candidate of the plan: the next one after the last failed verification. One change at
 * a time: a per-service lock keeps two incidents from mutating the same service at once, and the
 * action ledger makes a retried invocation return the recorded result instead of acting twice.
 * Before the next candidate, a previous one that had no measurable effect is reverted when its
 * mitigation's `revertIneffective` setting says so.
 */
export function createMitigateOperation(home: MitigateDeps) {
  return async (state: WorkflowState): Promise<Attempt> => {
    const { incident, service, plan } = state;
    // The service's own account and region, under the incident's session name (CloudTrail there names the incident).
    const scoped = await atService(home, state.settings.access, sessionNameFor(incident.incidentId));
    const deps = { ...scoped, deploymentStrategyId: deploymentStrategyAt(home.deploymentStrategyId, state.settings.access, state.settings.stage, scoped.deploymentStrategyOf) };
    if (!plan) throw new Error('Mitigate needs the plan at $.plan');
    const first = state.verification?.nextCursor ?? nextExecutableCursor(plan, -1);
    if (first === undefined || !plan.candidates[first]?.executable) {
      throw new MitigationNotExecutableError(`No executable candidate at cursor ${String(first)} of the plan`);
    }
    const now = deps.clock();
    let cursor = first;
    let candidate = plan.candidates[cursor]!;
    const base = () => ({ cursor, type: candidate.type, target: candidate.target });
    const checkAfter = (takesEffectSeconds: number) => new Date(deps.clock().getTime() + settleSeconds(state, takesEffectSeconds) * 1000).toISOString();

    // The record is the truth: a re-fire may have started a continuation, or a human resolved the incident meanwhile.
    const record = await deps.store.getIncident(incident.incidentId);
    if (record.round !== incident.round || (record.status !== 'OPEN' && record.status !== 'MITIGATING')) {
      const detail = `Incident is ${record.status} (round ${record.round}); this execution of round ${incident.round} changes nothing.`;
      // A human took over (resolved or escalated it): no execution of this incident will change the service again.
      if (!AUTOMATION_STATUSES.includes(record.status)) await deps.store.releaseMutationLock(service.name, incident.incidentId);
      return { ...base(), status: 'superseded', detail, checkAt: now.toISOString() };
    }
    // An incident alarm that joined before the first change: look again with every alarm in view.
    const joined = (record.alarms ?? []).filter((a) => state.triage && !state.triage.alarms.includes(a));
    if (joined.length > 0 && !state.verification && state.attempt?.status !== 'applied') {
      const detail = `Alarm(s) ${joined.join(', ')} joined before the first change; triage runs again.`;
      await deps.store.appendTimeline(incident.incidentId, { at: now.toISOString(), kind: 'triage', message: detail });
      return { ...base(), status: 'retriage', detail, checkAt: now.toISOString() };
    }

    // Humans' brakes come first: a pause or a maintenance window means notify only.
    const brake = await brakeInForce(deps, state, now);
    if (brake) {
      // A maintenance window is a scheduled pause: both are the `pause` brake.
      deps.metrics.record('brakeEvents', 1, { service: service.name, outcome: 'pause' });
      const detail = `Automation is paused (${brake}): would apply ${candidate.type} on ${candidate.target}; nothing was changed.`;
      await deps.store.appendTimeline(incident.incidentId, { at: now.toISOString(), kind: 'mitigation', message: detail });
      await deps.store.renewLease(service.name, incident.incidentId, leaseUntil(now));
      return { ...base(), status: 'paused', detail, checkAt: now.toISOString() };
    }

    // Readiness at incident time: a candidate that cannot act now (no headroom, no stable revision, flag
    // already off...) is named and skipped, and with none left a human is paged at once.
    const ready = await firstReadyCandidate(deps, state, cursor);
    cursor = ready.cursor;
    candidate = ready.candidate;

    if (candidate.policy === 'approval' && !approvedHere(state, cursor)) {
      const detail = `Waiting for a human to approve ${candidate.type} on ${candidate.target} (${candidate.policyReason}).`;
      await deps.store.appendTimeline(incident.incidentId, { at: now.toISOString(), kind: 'decision', message: detail });
      await markMitigating(deps, state, record.status, leaseUntil(new Date(now.getTime() + APPROVAL_WAIT_SECONDS * 1000)));
      const onTimeout = state.service.onApprovalTimeout[incident.severity] ?? 'escalate';
      return {
        ...base(),
        status: 'needs-approval',
        detail,
        rationale: candidate.rationale,
        risk: candidate.risk,
        onTimeout,
        proposal: proposalFor(state, candidate, candidate.rationale, onTimeout, now),
        checkAt: now.toISOString(),
      };
    }

    if (candidate.policy === 'approval' && state.approval) {
      await deps.store.appendTimeline(incident.incidentId, {
        at: now.toISOString(),
        kind: 'decision',
        message: `Going ahead with ${candidate.type}: approved by ${state.approval.by}${state.approval.reason ? ` (${state.approval.reason})` : ''}`,
      });
    }

    const cursorInLedger = ledgerCursor(incident.round, cursor);
    if (state.settings.dryRun) {
      const detail = `Dry run: would apply ${candidate.type} on ${candidate.target}. ${(await mitigationOf(candidate.type).preview(contextFor(deps, state, candidate), candidate.params)).detail} Nothing was changed.`;
      // Recorded in the ledger too, so the report and the postmortem name what would have been done.
      const claimed = await deps.store.recordActionStart(incident.incidentId, { cursor: cursorInLedger, type: candidate.type, target: candidate.target });
      if (claimed.started) {
        await deps.store.completeAction(incident.incidentId, cursorInLedger, candidate.type, { status: 'dry-run', detail });
        recordTimeoutProceed(deps, state, cursor);
      }
      await deps.store.appendTimeline(incident.incidentId, { at: now.toISOString(), kind: 'mitigation', message: detail });
      await deps.store.renewLease(service.name, incident.incidentId, leaseUntil(now));
      return { ...base(), status: 'dry-run', detail, checkAt: now.toISOString() };
    }

    // The brake: budget per hour, cooldown per service, cap per resource. A human's approval lets a change past it.
    const approved = candidate.policy === 'approval' || approvedHere(state, cursor);
    const reservation = await deps.brake.reserve(
      state.settings.brake,
      {
        key: `${incident.incidentId}#${cursorInLedger}#${candidate.type}`,
        incidentId: incident.incidentId,
        round: incident.round,
        service: service.name,
        type: candidate.type,
        target: candidate.target,
      },
      { override: approved },
    );
    if (!reservation.ok && reservation.counted) {
      // Approved past the brake: counted, and going ahead. The timeline says so, not that the brake stopped it.
      await deps.store.appendTimeline(incident.incidentId, {
        at: now.toISOString(),
        kind: 'decision',
        message: `Going ahead with ${candidate.type} on ${candidate.target} past the brake (${reservation.reason}): approved by ${state.approval?.by ?? 'a human'}.`,
        data: { brake: reservation.kind },
      });
    } else if (!reservation.ok) {
      // A refusal writes nothing and ends this invocation (needs-approval, or an escalation no retry repeats): counted once.
      deps.metrics.record('brakeEvents', 1, { service: service.name, outcome: reservation.kind });
      const detail = `The brake on automation stopped ${candidate.type} on ${candidate.target}: ${reservation.reason}.`;
      await deps.store.appendTimeline(incident.incidentId, { at: now.toISOString(), kind: 'decision', message: detail, data: { brake: reservation.kind } });
      if (state.settings.brake.onLimit === 'escalate') {
        throw new AutomationBrakeError(`${detail} Nothing was changed (brake.onLimit is escalate).`);
      } else {
        await markMitigating(deps, state, record.status, leaseUntil(new Date(now.getTime() + APPROVAL_WAIT_SECONDS * 1000)));
        return {
          ...base(),
          status: 'needs-approval',
          detail: `${detail} A human decides whether it goes ahead.`,
          rationale: `${candidate.rationale} Held by the brake: ${reservation.reason}.`,
          risk: candidate.risk,
          // Silence is never consent past the brake.
          onTimeout: 'escalate',
          proposal: proposalFor(state, candidate, `${candidate.rationale} Held by the brake: ${reservation.reason}.`, 'escalate', now),
          checkAt: now.toISOString(),
        };
      }
    } else if (approved && candidate.policy !== 'approval') {
      await deps.store.appendTimeline(incident.incidentId, {
        at: now.toISOString(),
        kind: 'decision',
        message: `Going ahead with ${candidate.type}: approved by ${state.approval?.by ?? 'a human'}.`,
      });
    }

    if (!(await deps.store.acquireMutationLock(service.name, incident.incidentId, MUTATION_LOCK_SECONDS))) {
      throw new TransientAwsError(`Another incident is changing service ${service.name}; waiting for it to finish (one change at a time)`);
    }

    await revertIneffective(deps, state);

    // Claim before apply: one invocation at a time owns this change, and writes the before-state first.
    const owner = deps.invocationId?.() ?? randomUUID();
    const claim = await claimOrWait(deps, incident.incidentId, {
      cursor: cursorInLedger,
      type: candidate.type,
      target: candidate.target,
      owner,
      leaseSeconds: CLAIM_LEASE_SECONDS,
    });
    if (claim.outcome === 'done') {
      const existing = claim.record;
      if (existing.status === 'failed')
        throw new MitigationFailedError(`${candidate.type} on ${candidate.target} failed earlier in this step: ${existing.detail ?? 'no detail recorded'}`);
      // A retried or duplicate invocation after the change was made: report the recorded result, change nothing.
      logger.info('mitigation already recorded', { cursor, type: candidate.type, status: existing.status });
      const checkAt = checkAfter(0);
      await markMitigating(deps, state, record.status, leaseUntil(checkAt));
      return { ...base(), status: 'already-applied', detail: existing.detail ?? 'Already applied by this incident.', checkAt };
    }

    const ledger = { incidentId: incident.incidentId, cursor: cursorInLedger, type: candidate.type, owner };
    const recorded = claim.record.before !== undefined && claim.record.wouldChange !== undefined ? claim.record : undefined;
    // The first claim of the change approved by the timeout: a retry resumes or finds it done, and counts nothing again.
    if (claim.outcome === 'claimed') recordTimeoutProceed(deps, state, cursor);
    try {
      // Intent and before-state on the claim, before the mutating call (a resumed claim already has them).
      const intent = recorded ?? (await recordIntent(deps, state, candidate, ledger));
      const result = await mitigationOf(candidate.type).apply(contextFor(deps, state, candidate), candidate.params);
      const reconciled = recorded !== undefined;
      const status = reconciled ? (intent.wouldChange ? 'applied' : result.status) : result.status;
      // The candidate's parameters travel with the before-state: undo needs both (which flag, and its old value).
      const before = reconciled ? intent.before : { params: candidate.params, state: result.before };
      const detail = reconciled
        ? result.status === 'already-applied'
          ? `Reconciled after an interrupted attempt (attempt ${claim.record.attempts ?? 2}): the change is in place, so nothing was sent again.${intent.intent ? ` (Recorded before the change: ${intent.intent})` : ''}`
          : `Reconciled after an interrupted attempt (attempt ${claim.record.attempts ?? 2}): the change was not in place; made it now. ${result.detail}`
        : result.detail;
      await deps.store.completeAction(
        incident.incidentId,
        cursorInLedger,
        candidate.type,
        { status, before, after: result.after, detail, ...(reconciled ? { reconciled } : {}) },
        owner,
        { service: service.name },
      );
      // Once the ledger holds the result: a retry finds the action done and returns before this.
      if (status === 'applied') deps.metrics.record('mitigationsApplied', 1, { service: service.name, mitigation: candidate.type });
      await deps.store.appendTimeline(incident.incidentId, {
        at: deps.clock().toISOString(),
        kind: 'mitigation',
        message: `${status === 'applied' ? 'Applied' : 'Already in place'}: ${candidate.type} on ${candidate.target}. ${detail}`,
        data: {
          cursor,
          ledgerCursor: cursorInLedger,
          type: candidate.type,
          before: (before as { state?: unknown }).state,
          after: result.after,
          ...(reconciled ? { reconciled } : {}),
        },
      });
      const checkAt = checkAfter(result.takesEffectSeconds);
      await markMitigating(deps, state, record.status, leaseUntil(checkAt));
      return { ...base(), status, detail, checkAt };
    } catch (error) {
      const message = (error as Error).message;
      if (changedNothing(error)) {
        // The call was refused: nothing changed, and trying again will not help. Record why, in words.
        await deps.store.completeAction(incident.incidentId, cursorInLedger, candidate.type, { status: 'failed', detail: message }, owner);
        deps.metrics.record('mitigationsFailed', 1, { service: service.name, mitigation: candidate.type });
        await deps.brake.releaseResource(candidate.type, candidate.target, incident.incidentId);
        await deps.store.appendTimeline(incident.incidentId, {
          at: deps.clock().toISOString(),
          kind: 'error',
          message: `Mitigation ${candidate.type} on ${candidate.target} failed; nothing was changed: ${message}`,
        });
      } else {
        // The change may or may not have been made: give the claim back with its before-state; the next attempt reads the resource and reconciles.
        await deps.store.releaseActionClaim(incident.incidentId, cursorInLedger, candidate.type, owner, `${(error as Error).name}: ${message}`).catch((releaseError: unknown) => {
          logger.error('could not give the claim back; the next attempt waits out its lease', { error: releaseError as Error });
        });
        await deps.store
          .appendTimeline(incident.incidentId, {
            at: deps.clock().toISOString(),
            kind: 'error',
            message: `Mitigation ${candidate.type} on ${candidate.target} did not finish (${message}); the next attempt reads ${candidate.target} and goes on from what it finds.`,
          })
          .catch(() => undefined);
      }
      throw error;
    }
  };
}

/** Nobody answered the approval and the policy for the severity proceeds (ProceedAfterTimeout): ApprovalsDecided timed-out. */
function recordTimeoutProceed(deps: MitigateDeps, state: WorkflowState, cursor: number): void {
  if (approvedHere(state, cursor) && state.approval?.via === 'timeout') {
    deps.metrics.record('approvalsDecided', 1, { service: state.service.name, mitigation: state.plan!.candidates[cursor]!.type, outcome: 'timed-out' });
  }
}

/** The failed result of an earlier attempt of this same step, reported again (the workflow escalates). */
export class MitigationFailedError extends Error {
  override readonly name = 'MitigationFailed';
}

/**
 * True for errors that prove the mutating call was refused before anything changed, so the action
 * can be closed as failed: a missing permission, a resource that is not there,
 * or a mitigation that cannot run here. Anything else (throttling after retries, 5xx, timeouts,
 * crashes, errors AWS did not classify) leaves the outcome unknown until the resource is read.
 */
function changedNothing(error: unknown): boolean {
  return error instanceof MitigationNotExecutableError || error instanceof AwsAccessDeniedError || error instanceof AwsResourceNotFoundError;
}

/** Takes the claim, or waits a little for the invocation holding it to finish, then hands back to the workflow's retry. */
async function claimOrWait(deps: MitigateDeps, incidentId: string, request: Parameters<MitigateDeps['store']['claimAction']>[1]) {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  for (let waited = 0; ; waited += CLAIM_POLL_SECONDS) {
    const claim = await deps.store.claimAction(incidentId, request);
    if (claim.outcome !== 'held') return claim;
    if (waited >= CLAIM_WAIT_SECONDS) {
      throw new MutationInProgressError(
        `Another attempt (${claim.record.owner ?? 'unknown'}) is applying ${request.type} on ${request.target} for this incident until ${claim.record.leaseUntil ?? '?'}; ` +
          'this attempt changes nothing and checks again (never two changes at once)',
      );
    }
    await sleep(CLAIM_POLL_SECONDS * 1000);
  }
}

/** Reads the resource as it is before the change and writes it, with the intent, on the claim. */
async function recordIntent(
  deps: MitigateDeps,
  state: WorkflowState,
  candidate: Candidate,
  ledger: { incidentId: string; cursor: number; type: Candidate['type']; owner: string },
): Promise<{ before: unknown; wouldChange: boolean; intent?: string }> {
  const read = await mitigationOf(candidate.type).preview(contextFor(deps, state, candidate), candidate.params);
  const intent = `${read.wouldChange ? 'Will apply' : 'Found already in place'}: ${candidate.type} on ${candidate.target}. ${read.detail}`;
  const before = { params: candidate.params, state: read.before };
  await deps.store.recordClaimIntent(ledger.incidentId, ledger.cursor, ledger.type, ledger.owner, { before, intent, wouldChange: read.wouldChange });
  return { before, wouldChange: read.wouldChange, intent };
}

/** The approval request as the console shows it in AwaitApproval's input (see AttemptSchema.proposal). */
function proposalFor(state: WorkflowState, candidate: Candidate, why: string, onTimeout: 'escalate' | 'proceed', now: Date): NonNullable<Attempt['proposal']> {
  const id = state.incident.incidentId;
  return {
    what: `${candidate.type} on ${candidate.target}`,
    resource: candidate.target,
    why,
    risk: String(candidate.risk),
    expiresAt: new Date(now.getTime() + APPROVAL_WAIT_SECONDS * 1000).toISOString(),
    ifNobodyAnswers: onTimeout === 'proceed' ? 'the change goes ahead (onApprovalTimeout: proceed for this severity)' : 'a human is paged and nothing is changed',
    approve: `npx tourniquet approve ${id} --reason "<why>" --table <IncidentTableName stack output>`,
    reject: `npx tourniquet reject ${id} --reason "<why>" --table <IncidentTableName stack output>`,
    orUseTheLinks: 'the Approve / Reject links in the approvers email open a confirmation page; only its form decides',
  };
}

/** OPEN → MITIGATING on the first change of a round (with the lease for the next check), or a renewed lease after that. */
async function markMitigating(deps: MitigateDeps, state: WorkflowState, status: string, lease: string): Promise<void> {
  const { incident, service } = state;
  if (status === 'OPEN' && (await deps.store.transition(incident.incidentId, 'MITIGATING', { from: ['OPEN'], round: incident.round, leaseUntil: lease }))) return;
  await deps.store.renewLease(service.name, incident.incidentId, lease);
}

/**
 * The previous candidate failed verification: take it back first when its mitigation says so, so
 * the next candidate is judged alone and nothing stays changed for no benefit. A kill switch stays off.
 */
async function revertIneffective(deps: MitigateDeps, state: WorkflowState): Promise<void> {
  const previous = state.attempt;
  if (state.verification?.outcome !== 'failed' || !previous || previous.status !== 'applied') return;
  const previousCursor = ledgerCursor(state.incident.round, previous.cursor);
  const action = (await deps.store.listActions(state.incident.incidentId)).find((a) => a.cursor === previousCursor && a.type === previous.type);
  if (!action || action.status !== 'applied') return;
  const at = deps.clock().toISOString();
  if (!revertsWhenIneffective(previous.type, state.service.revertIneffective)) {
    await deps.store.appendTimeline(state.incident.incidentId, {
      at,
      kind: 'mitigation',
      message: `Kept: ${previous.type} on ${previous.target} had no measurable effect but stays in place (revertIneffective is off for ${previous.type}).`,
    });
    return;
  }
  const step = await undoAction({ ...deps, by: 'Tourniquet (no measurable effect)' }, state.incident.incidentId, state.service, action);
  logger.info('ineffective mitigation reverted', { type: previous.type, status: step.status });
}

/** Why automation must not change anything now, if it must not. */
async function brakeInForce(deps: MitigateDeps, state: WorkflowState, now: Date): Promise<string | undefined> {
  const pause = await deps.pause.inForce(state.service.name);
  if (pause) return `paused by ${pause.by} at ${pause.at.slice(0, 16).replace('T', ' ')} UTC${pause.reason ? `: ${pause.reason}` : ''}`;
  const window = state.settings.maintenanceWindows.find((w) => Date.parse(w.start) <= now.getTime() && now.getTime() < Date.parse(w.end));
  if (window) return `maintenance window until ${window.end.slice(0, 16).replace('T', ' ')} UTC${window.reason ? `: ${window.reason}` : ''}`;
  return undefined;
}

/** The approval in the state answers this very request: the last attempt asked for it, for this candidate. */
function approvedHere(state: WorkflowState, cursor: number): boolean {
  return state.attempt?.status === 'needs-approval' && state.attempt.cursor === cursor && state.approval?.decision === 'approved';
}

/** What the catalogue's mitigations work with for this incident. */
function contextFor(deps: MitigateDeps, state: WorkflowState, candidate: Candidate): MitigationContext {
  return {
    service: state.service,
    adapters: deps.adapters,
    incidentId: state.incident.incidentId,
    reason: `Tourniquet ${state.incident.incidentId}: ${candidate.type} for ${state.signal.alarmName}`,
    deploymentStrategyId: deps.deploymentStrategyId,
    clock: deps.clock,
  };
}

/**
 * From `cursor` on, the first executable candidate that can act now. A candidate whose change this
 * incident already started (a ledger entry exists) is always ready: the claim reconciles it.
 */
async function firstReadyCandidate(deps: MitigateDeps, state: WorkflowState, from: number): Promise<{ cursor: number; candidate: Candidate }> {
  const { incident, plan } = state;
  const skipped: string[] = [];
  for (let cursor: number | undefined = from; cursor !== undefined; cursor = nextExecutableCursor(plan!, cursor)) {
    const candidate = plan!.candidates[cursor]!;
    if (await deps.store.findAction(incident.incidentId, ledgerCursor(incident.round, cursor), candidate.type)) return { cursor, candidate };
    const look = await mitigationOf(candidate.type).preview(contextFor(deps, state, candidate), candidate.params);
    if (!look.notExecutable) return { cursor, candidate };
    const why = `${candidate.type} on ${candidate.target}: ${look.notExecutable}`;
    skipped.push(why);
    await deps.store.appendTimeline(incident.incidentId, {
      at: deps.clock().toISOString(),
      kind: 'decision',
      message: `Skipped ${why}. Nothing was changed.`,
      data: { skipped: candidate.type },
    });
  }
  throw new NoCandidateCanActError(`No candidate can act now (${skipped.join('; ')}); nothing was changed`);
}

/**
 * Seconds from the change until the alarm can plausibly read OK: the change must take effect, then
 * enough good datapoints must arrive that fewer than M of the last N breach (plus a partial period).
 */
function settleSeconds(state: WorkflowState, takesEffectSeconds: number): number {
  const alarm = state.triage?.alarm;
  const period = alarm?.periodSeconds ?? 60;
  const n = alarm?.evaluationPeriods ?? 1;
  const m = alarm?.datapointsToAlarm ?? n;
  return takesEffectSeconds + (n - m + 1) * period + period + CHECK_MARGIN_SECONDS;
}
