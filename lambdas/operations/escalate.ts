import * as z from 'zod';

import type { Severity } from '../core/config.js';
import { AUTOMATION_STATUSES, leaseUntil } from '../core/lifecycle.js';
import { OpenedIncidentSchema, WorkflowInputSchema, type WorkflowState, WorkflowStateSchema } from '../core/model.js';
import { excerpt } from '../core/raw-event.js';
import { resolveSeverity } from '../core/severity.js';
import { type StatusUpdate, statusUpdateFor } from '../core/status-update.js';
import { logger } from '../runtime/logger.js';
import type { IncidentRecord } from '../store/records.js';
import { recordEscalated, recordOpened } from './incident-metrics.js';
import type { Clock, IncidentFinder, IncidentOpener, IncidentTransitions, IncidentUpdater, MetricsSink, MutationLockReleaser, Publisher, Timeline } from './ports.js';

/**
 * Escalation: pages a human when automation found nothing safe to do, the last candidate did not
 * clear the alarm, or the workflow itself failed. Three entry points, by what the caller has:
 * {@link escalateIncident} (the workflow state, with or without `$.incident`), {@link pageUnreadable}
 * (a payload nothing could be read from) and {@link recordEndedExecution} (the failure net's
 * execution status-change event).
 */

/** The incident records escalation reads, creates when missing, and moves to ESCALATED. */
export interface EscalationStore extends Timeline, IncidentFinder, IncidentOpener, IncidentTransitions, IncidentUpdater, MutationLockReleaser {}

/** What escalation needs. */
export interface EscalateDeps {
  readonly store: EscalationStore;
  readonly publisher: Publisher;
  readonly statusTopicArn: string;
  readonly escalationTopicArn: string;
  /** Escalations and MTTD, and approvals that timed out into an escalation. */
  readonly metrics: MetricsSink;
  readonly clock: Clock;
}

/** The error AwaitApproval's timeout leaves in `$.error` (the ApprovalTimedOut state of the workflow). */
const APPROVAL_TIMED_OUT = 'ApprovalTimedOut';

/** What Escalate returns to the workflow (`$.escalation`) and to the failure net. */
export interface EscalateResult {
  readonly paged: boolean;
  readonly reason: string;
  readonly messageId?: string;
  /** False when no incident record was written (the raw page, or the failure net without a readable input). */
  readonly recorded?: boolean;
}

/** The page went out but the incident record could not be moved to ESCALATED: the failure net retries the record. */
export class EscalationRecordError extends Error {
  override readonly name = 'EscalationRecordError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The state Escalate can be handed when a step failed before writing its key: OpenIncident's catch
 * has no `$.incident`. Everything but the starter's input is optional.
 */
export const EscalationStateSchema = WorkflowStateSchema.extend({ incident: OpenedIncidentSchema.optional() });
/** The workflow state as Escalate receives it (`$.incident` may be missing). */
export type EscalationState = z.infer<typeof EscalationStateSchema>;

/** The "Step Functions Execution Status Change" event the failure net's rule delivers. */
export const ExecutionEndedEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    /** The execution's input as a JSON string (absent when larger than EventBridge carries). */
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
/** The failure net's event, parsed. */
export type ExecutionEndedEvent = z.infer<typeof ExecutionEndedEventSchema>;

/** What {@link record} did: 'moved-on' means another round or a human has the incident, so this execution pages nobody. */
type Recorded = { outcome: 'escalated' | 'owed' | 'moved-on' | 'unrecorded'; incident?: IncidentRecord; detail?: string };

const pageOwed = (r: IncidentRecord): boolean => r.status === 'ESCALATED' && r.escalatedAt !== undefined && (r.lastPageAt === undefined || r.lastPageAt < r.escalatedAt);

/**
 * Moves the incident to ESCALATED (creating it when the starter's record is missing) and releases
 * its lock. 'moved-on': another round or a human has it, so this execution pages nobody.
 */
async function record(deps: EscalateDeps, state: EscalationState, reason: string, at: string): Promise<Recorded> {
  let incident = await deps.store.findIncident(state.incidentId);
  if (!incident) {
    const opened = await openMissing(deps, state, at);
    if (!opened) return { outcome: 'unrecorded', detail: `no incident ${state.incidentId} was recorded, and the service has another current incident` };
    incident = (await deps.store.findIncident(state.incidentId))!;
  }
  const round = state.incident?.round ?? incident.round;
  // Without $.incident, the execution that owns the round is the one named on the record.
  const ours = incident.round === round && (state.incident !== undefined || incident.execution.name === state.execution.name);
  if (!ours) return { outcome: 'moved-on', incident };
  if (AUTOMATION_STATUSES.includes(incident.status)) {
    const moved = await deps.store.transition(state.incidentId, 'ESCALATED', { from: AUTOMATION_STATUSES, round, patch: { escalatedAt: at, escalationReason: reason } });
    if (moved) {
      // Counted by the invocation whose transition moved it, before the page: a retry finds it ESCALATED.
      recordEscalated(deps.metrics, incident);
      if (state.error?.Error === APPROVAL_TIMED_OUT && state.attempt) {
        deps.metrics.record('approvalsDecided', 1, { service: state.service.name, mitigation: state.attempt.type, outcome: 'timed-out' });
      }
      await deps.store.releaseMutationLock(state.service.name, state.incidentId);
      return { outcome: 'escalated', incident: { ...incident, status: 'ESCALATED', escalatedAt: at, escalationReason: reason } };
    }
    incident = (await deps.store.findIncident(state.incidentId)) ?? incident;
  }
  // A retry after a failed publish: the record is done, the page is still owed.
  if (incident.round === round && pageOwed(incident)) {
    await deps.store.releaseMutationLock(state.service.name, state.incidentId);
    return { outcome: 'owed', incident };
  }
  return { outcome: 'moved-on', incident };
}

/** The starter writes the incident before it starts the execution; this covers a record lost or never written. */
async function openMissing(deps: EscalateDeps, state: EscalationState, at: string): Promise<boolean> {
  const alarm = state.service.alarms.find((a) => a.name === state.signal.alarmName);
  const severity = resolveSeverity(state.service, alarm);
  const result = await deps.store.openIncident({
    incidentId: state.incidentId,
    service: state.service.name,
    alarmName: state.signal.alarmName,
    severity,
    signal: state.signal,
    execution: state.execution,
    openedAt: at,
    leaseUntil: leaseUntil(at),
    firstEvent: { at, kind: 'incident-opened', message: `Incident recorded by the escalation step: the workflow found no record of it (alarm ${state.signal.alarmName}).` },
  });
  // The starter never wrote it, so it never counted it.
  if (result.opened) recordOpened(deps.metrics, { service: state.service.name, severity });
  return result.opened;
}

async function publishPage(
  deps: EscalateDeps,
  incidentId: string | undefined,
  severity: Severity | undefined,
  update: StatusUpdate,
  at: string,
): Promise<{ readonly messageId: string }> {
  const attributes = { ...(incidentId ? { incidentId } : {}), status: 'Escalated', ...(severity ? { severity } : {}) };
  try {
    return await deps.publisher.publish({
      topicArn: deps.escalationTopicArn,
      subject: update.subject,
      message: update.message,
      attributes,
      ...(update.chat ? { chat: update.chat } : {}),
    });
  } catch (error) {
    logger.error('escalation page failed', { incidentId, error: error as Error });
    if (incidentId) {
      await deps.store
        .appendTimeline(incidentId, {
          at,
          kind: 'error',
          message: `The escalation page could not be sent (${(error as Error).name}); the failure net and the re-page timer will page.`,
        })
        .catch(() => undefined);
    }
    // Rethrown as is: its name decides whether Step Functions retries.
    throw error;
  }
}

/**
 * Escalates the incident of a workflow state and pages the escalation topic (a copy goes to the
 * status topic). It works from the full state or the starter's input without `$.incident`
 * (OpenIncident failed): then it finds the incident by id, or records it when the starter's record is missing.
 *
 * Record first, then page: the incident is ESCALATED and its lock released before the publish, so
 * whatever fails next the record is terminal and consistent. A failed publish is noted on the
 * timeline and rethrown (retried, then the workflow's EscalationFailed and the failure net, whose
 * SNS target retries for 24 h); the status cadence re-pages an ESCALATED incident from `escalatedAt`
 * too. A retry pages again only while the page is still owed (`lastPageAt` before `escalatedAt`).
 *
 * @throws EscalationRecordError when the page went out but the record could not be written (the failure net retries it)
 * @throws the publisher's error, as is, when the page could not be sent (its name decides whether Step Functions retries)
 */
export async function escalateIncident(deps: EscalateDeps, state: EscalationState): Promise<EscalateResult> {
  const now = deps.clock();
  const at = now.toISOString();
  let recordError: unknown;
  let recorded: Recorded | undefined;
  const draft = pageFor(state, undefined, now);
  try {
    recorded = await record(deps, state, draft.reason, at);
  } catch (error) {
    recordError = error;
    logger.error('could not record the escalation; paging anyway', { incidentId: state.incidentId, error: error as Error });
  }
  if (recorded?.outcome === 'moved-on') {
    const i = recorded.incident!;
    return { paged: false, reason: `incident is ${i.status} in round ${i.round}; nothing to escalate from this execution` };
  }
  const { update, reason, severity } = pageFor(state, recorded?.incident, now);
  const page = await publishPage(deps, state.incidentId, severity, update, at);
  const attributes = { incidentId: state.incidentId, status: 'Escalated', severity };
  // The status audience must not learn about the page from silence: best effort, the page already went out.
  try {
    // chat: false: the chat topic already has this page.
    await deps.publisher.publish({ topicArn: deps.statusTopicArn, subject: update.subject, message: update.message, attributes, chat: false });
  } catch (error) {
    logger.error('status copy of the escalation failed', { error: error as Error });
  }
  if (recorded?.incident) {
    try {
      await deps.store.appendTimeline(state.incidentId, {
        at,
        kind: 'escalation',
        message: `Escalated to a human: ${reason}`,
        data: { messageId: page.messageId, ...(state.error ? { error: state.error } : {}) },
      });
      await deps.store.updateIncident(state.incidentId, {
        lastPageAt: at,
        pages: recorded.incident.pages + 1,
        lastNotification: { status: 'Escalated', subject: update.subject, at },
      });
    } catch (error) {
      recordError ??= error;
    }
  }
  if (recordError !== undefined || recorded?.outcome === 'unrecorded') {
    throw new EscalationRecordError(
      `paged (${page.messageId}) but ${recorded?.detail ?? `the incident record of ${state.incidentId} could not be written: ${(recordError as Error)?.message}`}`,
      { cause: recordError },
    );
  }
  return { paged: true, reason, messageId: page.messageId };
}

/**
 * Nothing readable: pages what arrived (its first 2,000 characters and whatever names can be read
 * from it), so a human still hears of it. Nothing is recorded: there is no incident id to trust.
 *
 * @param problem why the payload could not be read (the first validation issues)
 */
export async function pageUnreadable(deps: EscalateDeps, event: unknown, problem: string): Promise<EscalateResult> {
  const now = deps.clock();
  const raw = excerpt(event);
  const facts = looseFacts(event);
  const reason = `The workflow failed and its state could not be read (${problem}).`;
  const update: StatusUpdate = {
    status: 'Escalated',
    subject: `[Tourniquet][Escalated] ${facts.service ?? 'unknown service'}: ${facts.alarmName ?? 'workflow failed'}`,
    message: [
      `Incident: ${facts.incidentId ?? 'unknown'}`,
      `Service: ${facts.service ?? 'unknown'}`,
      `Alarm: ${facts.alarmName ?? 'unknown'}`,
      '',
      reason,
      ...(facts.error ? ['', `Error: ${facts.error}`] : []),
      '',
      'The state as received (first 2,000 characters):',
      raw,
    ].join('\n'),
  };
  const page = await publishPage(deps, undefined, undefined, update, now.toISOString());
  return { paged: true, reason, messageId: page.messageId, recorded: false };
}

/**
 * The failure net's call: the execution ended FAILED, TIMED_OUT or ABORTED. Records only (the
 * incident ESCALATED if this execution owned it, the lock released); the rule's SNS target pages.
 */
export async function recordEndedExecution(deps: EscalateDeps, event: ExecutionEndedEvent): Promise<EscalateResult> {
  const { detail } = event;
  const input = WorkflowInputSchema.omit({ execution: true }).safeParse(parseJson(detail.input));
  const why = `The workflow ${detail.name} ended ${detail.status}${detail.error ? ` (${detail.error}${detail.cause ? `: ${detail.cause.slice(0, 300)}` : ''})` : ''}; the failure net paged the escalation topic.`;
  if (!input.success) {
    logger.error('failure net: execution input unreadable; the page went out without a record', { executionArn: detail.executionArn });
    return { paged: false, reason: why, recorded: false };
  }
  const { incidentId, service } = input.data;
  const incident = await deps.store.findIncident(incidentId);
  if (!incident) return { paged: false, reason: `${why} No incident ${incidentId} is recorded.`, recorded: false };
  const at = deps.clock().toISOString();
  let moved = false;
  if (AUTOMATION_STATUSES.includes(incident.status) && incident.execution.name === detail.name) {
    moved = await deps.store.transition(incidentId, 'ESCALATED', { from: AUTOMATION_STATUSES, round: incident.round, patch: { escalatedAt: at, escalationReason: why } });
    if (moved) {
      recordEscalated(deps.metrics, incident);
      await deps.store.appendTimeline(incidentId, { at, kind: 'escalation', message: `Escalated to a human: ${why}`, data: { executionArn: detail.executionArn } });
    }
  }
  // The lock is this incident's to free unless a continuation (another execution of the incident) is working.
  if (moved || !AUTOMATION_STATUSES.includes(incident.status)) await deps.store.releaseMutationLock(service.name, incidentId);
  return { paged: false, reason: why, recorded: moved };
}

/**
 * The page for a state: the communication template when the state has `$.incident`, else one built
 * from the record (or the alarm and the config) with the error's cause and the alarm's reason.
 */
function pageFor(state: EscalationState, incident: IncidentRecord | undefined, now: Date): { update: StatusUpdate; reason: string; severity: Severity } {
  const alarm = state.service.alarms.find((a) => a.name === state.signal.alarmName);
  const severity = state.incident?.severity ?? incident?.severity ?? resolveSeverity(state.service, alarm);
  const opened = state.incident ?? {
    incidentId: state.incidentId,
    severity,
    openedAt: incident?.openedAt ?? state.signal.stateChangeTime,
    round: incident?.round ?? 0,
    mode: 'new' as const,
  };
  const full: WorkflowState = { ...state, incident: opened };
  const base = statusUpdateFor(full, 'Escalated', now);
  const reason = base.message.split('\n').find((_line, i, all) => all[i - 1] === 'Summary') ?? 'escalated';
  if (state.incident) return { update: base, reason, severity };
  // No triage ran: the alarm's own words are all the human gets besides the error.
  const note = `\nThe workflow failed before it took up the incident. Alarm ${state.signal.alarmName} (${state.service.name}): ${state.signal.reason}`;
  return { update: { ...base, message: `${base.message}\n${note}` }, reason, severity };
}

function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Strings worth naming in a page, read from an unparseable state without trusting its shape. */
function looseFacts(event: unknown): { incidentId?: string; service?: string; alarmName?: string; error?: string } {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an untrusted shape, read field by field with checks
  const e = (event ?? {}) as Record<string, any>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.replace(/[^\x20-\x7E]/g, '?').slice(0, 80) : undefined);
  const error = e.error && typeof e.error === 'object' ? [str(e.error.Error), str(e.error.Cause)].filter(Boolean).join(': ') : undefined;
  return {
    incidentId: str(e.incidentId) ?? str(e.incident?.incidentId),
    service: str(e.service?.name),
    alarmName: str(e.signal?.alarmName),
    ...(error ? { error } : {}),
  };
}
