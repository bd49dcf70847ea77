import { CADENCE_SCHEDULE_MINUTES, cadenceDecision, type CadenceSettings, cadenceTable, nextUpdateBy, scheduledStatusUpdate } from '../core/cadence.js';
import { AUTOMATION_STATUSES, pageIntervalMinutes } from '../core/lifecycle.js';
import { SELF_SERVICE } from '../core/metrics.js';
import { describeAction, renderPage } from '../core/pages.js';
import { humanDuration, utcMinute } from '../core/status-update.js';
import { logger } from '../runtime/logger.js';
import type { EpisodeRecord, IncidentRecord } from '../store/records.js';
import { recordEscalated } from './incident-metrics.js';
import type { ActionLedgerReader, CadenceClaims, Clock, IncidentFinder, IncidentTransitions, MetricsSink, Publisher, Timeline } from './ports.js';

/** Updates sent per run at most, so one run stays well inside the function's 30 s; the rest go 5 minutes later. */
export const DEFAULT_MAX_UPDATES_PER_RUN = 50;

/**
 * An incident counts in OpenIncidentsWithoutPage when its last page (or its opening, when it was never
 * paged) is older than 24 h plus two runs of the schedule, and this run did not page it. An ESCALATED
 * or ACKNOWLEDGED incident is re-paged or reminded (daily by default) by the run at which that falls
 * due, so it normally stays out; the slack keeps a reminder whose publish failed once, and is sent
 * by the next run, from counting. An OPEN, MITIGATING or WATCHING incident a day old that nobody was
 * paged about is exactly what this catches.
 */
export const WITHOUT_PAGE_AFTER_MINUTES = 24 * 60 + 2 * CADENCE_SCHEDULE_MINUTES;

/** The approval requests of an incident still waiting for a decision (`ApprovalStore`). */
export interface PendingApprovals {
  findPending(incidentId: string): Promise<unknown>;
}

/** The incident records the cadence reads, claims and moves. */
export interface CadenceStore extends CadenceClaims, IncidentFinder, ActionLedgerReader, IncidentTransitions, Timeline {}

/** What the cadence run needs. */
export interface StatusCadenceDeps {
  readonly store: CadenceStore;
  readonly publisher: Publisher;
  readonly statusTopicArn: string;
  /** Where the escalation timers, reminders and orphaned-workflow pages go. */
  readonly escalationTopicArn: string;
  readonly settings: CadenceSettings;
  /** For ApprovalsWaiting. */
  readonly approvals: PendingApprovals;
  /** OpenIncidents, ApprovalsWaiting, OpenIncidentsWithoutPage (every run, service = SELF_SERVICE), and Escalations of workflows that stopped. */
  readonly metrics: MetricsSink;
  readonly clock: Clock;
  /** @default {@link DEFAULT_MAX_UPDATES_PER_RUN} */
  readonly maxUpdatesPerRun?: number;
}

/** What one run did, incident by incident. */
export interface StatusCadenceResult {
  /** Open incidents looked at (every incident not RESOLVED, whatever its age). */
  readonly checked: number;
  /** Pages sent on the escalation topic: re-pages, reminders, orphaned workflows. */
  readonly paged: { readonly incidentId: string; readonly why: string }[];
  readonly sent: { readonly incidentId: string; readonly status: string; readonly subject: string; readonly messageId: string }[];
  /** Due, but another writer (an overlapping run, or a phase change) updated the incident first: nothing sent. */
  readonly raced: string[];
  /** Due, but over the per-run limit: the next run sends them. */
  readonly deferred: string[];
  readonly failed: { readonly incidentId: string; readonly error: string }[];
}

/** Some scheduled updates could not be sent or recorded; the others went out. The run's result is attached. */
export class StatusCadenceError extends Error {
  override readonly name = 'StatusCadenceError';
  constructor(
    readonly result: StatusCadenceResult,
    options: { cause?: unknown } = {},
  ) {
    super(`scheduled status updates failed for ${result.failed.map((f) => `${f.incidentId} (${f.error})`).join('; ')}`, options);
  }
}

/** A scheduled update was published, but its timeline event could not be written. */
export class TimelineNotRecordedError extends Error {
  override readonly name = 'TimelineNotRecordedError';
  constructor(
    readonly incidentId: string,
    readonly messageId: string,
    options: { cause?: unknown } = {},
  ) {
    super(`update ${messageId} was sent, but its timeline event was not recorded: ${(options.cause as Error | undefined)?.message ?? 'unknown error'}`, options);
  }
}

/**
 * The status cadence: one run every {@link CADENCE_SCHEDULE_MINUTES} minutes looks at every incident
 * not yet RESOLVED, whatever its age (read through the episode pointers), and keeps each from going silent:
 * - an OPEN, MITIGATING or WATCHING incident whose workflow's lease ran out is escalated and paged;
 * - an ESCALATED incident is re-paged every `lifecycle.repageMinutes[severity]` until acknowledged,
 *   an ACKNOWLEDGED one reminded every `lifecycle.acknowledgedReminderMinutes` until resolved;
 * - an incident whose next status update is due gets one on the status topic, a `notification`
 *   timeline event, and a new `lastNotification`.
 *
 * Overlapping runs send an update once: the run first claims it with a compare-and-set of
 * `lastNotification` (same `at`, same status as read), then publishes. If the publish fails the
 * claim is handed back so the next run tries again. A run that dies between claim and publish
 * loses that one update; the next is due one cadence later (at most once, by design: a duplicate
 * page is worse than a late one, and the failure shows in the function's errors).
 *
 * @returns one run; it throws {@link StatusCadenceError} (with the run's result) when any incident failed, after trying the others
 */
export function createStatusCadence(deps: StatusCadenceDeps): () => Promise<StatusCadenceResult> {
  const cadence = cadenceTable(deps.settings.updateCadenceMinutes);
  const alarms = new Map(deps.settings.alarms.map((a) => [a.name, a]));
  const maxUpdates = deps.maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN;

  const sendOne = async (incident: IncidentRecord, now: Date, result: StatusCadenceResult): Promise<void> => {
    const decision = cadenceDecision(incident, now, { cadence, leadMinutes: CADENCE_SCHEDULE_MINUTES });
    if (!decision.due) return;
    if (result.sent.length >= maxUpdates) {
      result.deferred.push(incident.incidentId);
      return;
    }
    const update = scheduledStatusUpdate({ incident, decision, now, alarm: alarms.get(incident.alarmName) });
    const at = now.toISOString();
    const previousAt = incident.lastNotification?.at;
    const claimed = await deps.store.compareAndSetLastNotification(
      incident.incidentId,
      { at: previousAt, status: incident.status },
      { status: update.status, subject: update.subject, at, nextUpdateBy: nextUpdateBy(decision, now).toISOString(), scheduled: true },
    );
    if (!claimed) {
      result.raced.push(incident.incidentId);
      return;
    }

    let messageId: string;
    try {
      ({ messageId } = await deps.publisher.publish({
        topicArn: deps.statusTopicArn,
        subject: update.subject,
        message: update.message,
        attributes: { incidentId: incident.incidentId, status: update.status, severity: incident.severity },
        ...(update.chat ? { chat: update.chat } : {}),
      }));
    } catch (error) {
      // Hand the claim back (only if still ours) so the next run sends it.
      await deps.store
        .compareAndSetLastNotification(incident.incidentId, { at }, incident.lastNotification)
        .catch((releaseError: unknown) => logger.error('could not release the claim of a failed update', { incidentId: incident.incidentId, error: releaseError as Error }));
      throw error;
    }
    result.sent.push({ incidentId: incident.incidentId, status: update.status, subject: update.subject, messageId });
    try {
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'notification',
        message: `Scheduled status update sent: ${update.subject}`,
        data: { status: update.status, messageId, scheduled: true, cadenceMinutes: decision.cadenceMinutes },
      });
    } catch (error) {
      // The update went out and lastNotification says so; only its timeline line is missing.
      throw new TimelineNotRecordedError(incident.incidentId, messageId, { cause: error });
    }
  };

  /** Pages about an incident a human must look at, with its history; claimed first so overlapping runs page once. */
  const pageOne = async (incident: IncidentRecord, why: string, now: Date, result: StatusCadenceResult, cause: 'orphaned' | 'timer'): Promise<void> => {
    const at = now.toISOString();
    if (!(await deps.store.claimPage(incident.incidentId, incident.lastPageAt, at, incident.pages + 1))) return;
    const actions = await deps.store.listActions(incident.incidentId);
    const runbook = alarms.get(incident.alarmName)?.runbook;
    const rendered = renderPage({ incident, why, actions: actions.map(describeAction), now, cause, ...(runbook ? { runbook } : {}) });
    try {
      await deps.publisher.publish({
        topicArn: deps.escalationTopicArn,
        subject: rendered.subject,
        message: rendered.message,
        attributes: { incidentId: incident.incidentId, status: 'Page', severity: incident.severity },
        chat: rendered.chat,
      });
    } catch (error) {
      // Hand the claim back (only if still ours) with a last page old enough that the next run pages
      // again: otherwise a page SNS refused would wait a whole re-page interval, or a day for a reminder.
      await deps.store
        .claimPage(incident.incidentId, at, incident.lastPageAt ?? incident.openedAt, incident.pages)
        .catch((releaseError: unknown) => logger.error('could not release the claim of a failed page', { incidentId: incident.incidentId, error: releaseError as Error }));
      throw error;
    }
    result.paged.push({ incidentId: incident.incidentId, why });
    await deps.store.appendTimeline(incident.incidentId, { at, kind: 'page', message: `Paged: ${why}` });
  };

  /** Escalates a dead workflow, re-pages an unacknowledged escalation, reminds of an acknowledged one. */
  const keepAwake = async (episode: EpisodeRecord, incident: IncidentRecord, now: Date, result: StatusCadenceResult): Promise<IncidentRecord> => {
    if (AUTOMATION_STATUSES.includes(incident.status) && episode.leaseUntil !== undefined && Date.parse(episode.leaseUntil) < now.getTime()) {
      const reason = `The workflow working on this incident stopped reporting: its lease ran out at ${utcMinute(episode.leaseUntil)} while the incident was ${incident.status}. Automation is not acting on it.`;
      if (
        await deps.store.transition(incident.incidentId, 'ESCALATED', {
          from: [incident.status],
          round: incident.round,
          patch: { escalatedAt: now.toISOString(), escalationReason: reason },
        })
      ) {
        const escalated = { ...incident, status: 'ESCALATED' as const, escalatedAt: now.toISOString(), escalationReason: reason };
        // Counted by the run whose transition moved it, before the page.
        recordEscalated(deps.metrics, incident);
        await pageOne(escalated, reason, now, result, 'orphaned');
        return escalated;
      }
      return incident;
    }
    const interval = pageIntervalMinutes(incident.status, incident.severity, deps.settings.lifecycle);
    if (interval === undefined) return incident;
    const last = incident.lastPageAt ?? incident.escalatedAt ?? incident.openedAt;
    if (now.getTime() - Date.parse(last) < interval * 60_000) return incident;
    const why =
      incident.status === 'ESCALATED'
        ? `Still ESCALATED and not acknowledged ${humanDuration(now.getTime() - Date.parse(incident.escalatedAt ?? incident.openedAt))} after the escalation; re-paged every ${interval} min until someone runs tourniquet ack.`
        : `Reminder: acknowledged by ${incident.acknowledgedBy ?? 'a human'} and still not resolved; reminded every ${interval} min until tourniquet resolve.`;
    await pageOne(incident, why, now, result, 'timer');
    return incident;
  };

  /** A gauge must not cost the incident its status update: an unreadable approval counts as none, and says so in the log. */
  const waitsForApproval = async (incidentId: string): Promise<boolean> => {
    try {
      return (await deps.approvals.findPending(incidentId)) !== undefined;
    } catch (error) {
      logger.warn('could not read the pending approvals of an incident for ApprovalsWaiting', { incidentId, error: error as Error });
      return false;
    }
  };

  return async (): Promise<StatusCadenceResult> => {
    const now = deps.clock();
    const episodes = await deps.store.listActiveEpisodes();
    const result: StatusCadenceResult = { checked: episodes.length, paged: [], sent: [], raced: [], deferred: [], failed: [] };
    const gauges = { open: 0, waiting: 0, withoutPage: 0 };
    let firstError: unknown;
    // One at a time: SNS and the table see a trickle, and the per-run limit is exact.
    for (const episode of episodes) {
      let silent = false;
      try {
        const found = await deps.store.findIncident(episode.incidentId);
        if (!found || found.status === 'RESOLVED') continue;
        gauges.open += 1;
        if (await waitsForApproval(found.incidentId)) gauges.waiting += 1;
        silent = now.getTime() - Date.parse(found.lastPageAt ?? found.openedAt) > WITHOUT_PAGE_AFTER_MINUTES * 60_000;
        const incident = await keepAwake(episode, found, now, result);
        await sendOne(incident, now, result);
      } catch (error) {
        firstError ??= error;
        result.failed.push({ incidentId: episode.incidentId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        logger.error('scheduled status update failed', { incidentId: episode.incidentId, error: error as Error });
      }
      // Paged by this very run: not silent any more. A page that failed leaves it counted.
      if (silent && !result.paged.some((p) => p.incidentId === episode.incidentId)) gauges.withoutPage += 1;
    }
    // Every run, 0 when there is nothing: a missing datapoint would read as "no data", not "none".
    deps.metrics.record('openIncidents', gauges.open, { service: SELF_SERVICE });
    deps.metrics.record('approvalsWaiting', gauges.waiting, { service: SELF_SERVICE });
    deps.metrics.record('openIncidentsWithoutPage', gauges.withoutPage, { service: SELF_SERVICE });
    logger.info('status cadence run', {
      checked: result.checked,
      paged: result.paged.map((p) => p.incidentId),
      sent: result.sent.map((s) => s.incidentId),
      raced: result.raced,
      deferred: result.deferred,
      failed: result.failed.map((f) => f.incidentId),
    });
    if (result.failed.length > 0) throw new StatusCadenceError(result, { cause: firstError });
    return result;
  };
}
