import { SNSClient } from '@aws-sdk/client-sns';
import {
  CADENCE_SCHEDULE_MINUTES,
  type CadenceSettings,
  CadenceSettingsSchema,
  cadenceDecision,
  cadenceTable,
  nextUpdateBy,
  scheduledStatusUpdate,
} from '../core/cadence.js';
import { SnsPublisher } from '../adapters/sns-publisher.js';
import { IncidentStore, type IncidentRecord } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

/** The cadence overrides and alarm texts, embedded by esbuild at bundle time (see `lib/constructs/status-cadence.ts`). */
declare const __TOURNIQUET_CADENCE__: string | undefined;

/**
 * How far back open incidents are looked for. The workflow ends within 6 hours; a record still not
 * CLOSED after a week was left behind by a dead execution (the failure net paged for it), and
 * stops getting scheduled updates then.
 */
export const DEFAULT_LOOKBACK_MINUTES = 7 * 24 * 60;

/** Updates sent per run at most, so one run stays well inside the function's 30 s; the rest go 5 minutes later. */
export const DEFAULT_MAX_UPDATES_PER_RUN = 50;

export interface StatusCadenceDeps {
  readonly store: Pick<IncidentStore, 'listOpenIncidents' | 'compareAndSetLastNotification' | 'appendTimeline'>;
  readonly publisher: Pick<SnsPublisher, 'publish'>;
  readonly statusTopicArn: string;
  readonly settings: CadenceSettings;
  readonly clock: () => Date;
  /** @default {@link DEFAULT_LOOKBACK_MINUTES} */
  readonly lookbackMinutes?: number;
  /** @default {@link DEFAULT_MAX_UPDATES_PER_RUN} */
  readonly maxUpdatesPerRun?: number;
}

export interface StatusCadenceResult {
  /** Open incidents looked at. */
  readonly checked: number;
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
 * Runs every {@link CADENCE_SCHEDULE_MINUTES} minutes: each open incident whose next update is
 * due gets one on the status topic, a `notification` timeline event, and a new `lastNotification`.
 *
 * Overlapping runs send an update once: the run first claims it with a compare-and-set of
 * `lastNotification` (same `at`, same status as read), then publishes. If the publish fails the
 * claim is handed back so the next run tries again. A run that dies between claim and publish
 * loses that one update; the next is due one cadence later (at most once, by design: a duplicate
 * page is worse than a late one, and the failure shows in the function's errors).
 */
export function createStatusCadenceHandler(deps: StatusCadenceDeps) {
  const cadence = cadenceTable(deps.settings.updateCadenceMinutes);
  const alarms = new Map(deps.settings.alarms.map((a) => [a.name, a]));
  const lookbackMs = (deps.lookbackMinutes ?? DEFAULT_LOOKBACK_MINUTES) * 60_000;
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

  return async (_event: unknown): Promise<StatusCadenceResult> => {
    const now = deps.clock();
    const incidents = await deps.store.listOpenIncidents({ openedSince: new Date(now.getTime() - lookbackMs) });
    const result: StatusCadenceResult = { checked: incidents.length, sent: [], raced: [], deferred: [], failed: [] };
    let firstError: unknown;
    // One at a time: SNS and the table see a trickle, and the per-run limit is exact.
    for (const incident of incidents) {
      try {
        await sendOne(incident, now, result);
      } catch (error) {
        firstError ??= error;
        result.failed.push({ incidentId: incident.incidentId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        logger.error('scheduled status update failed', { incidentId: incident.incidentId, error: error as Error });
      }
    }
    logger.info('status cadence run', {
      checked: result.checked,
      sent: result.sent.map((s) => s.incidentId),
      raced: result.raced,
      deferred: result.deferred,
      failed: result.failed.map((f) => f.incidentId),
    });
    if (result.failed.length > 0) throw new StatusCadenceError(result, { cause: firstError });
    return result;
  };
}

export const handler = lambdaHandler(() => {
  if (typeof __TOURNIQUET_CADENCE__ !== 'string') throw new Error('The cadence settings were not embedded in this bundle; redeploy with cdk deploy');
  const env = readEnv('TABLE_NAME', 'STATUS_TOPIC_ARN');
  return createStatusCadenceHandler({
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    publisher: new SnsPublisher(new SNSClient({})),
    statusTopicArn: env.STATUS_TOPIC_ARN,
    settings: CadenceSettingsSchema.parse(JSON.parse(__TOURNIQUET_CADENCE__)),
    clock: () => new Date(),
  });
});
