import * as z from 'zod';

import { LifecycleConfigSchema, runbookFor, type Severity, type TourniquetConfig, type UpdateCadenceOverrides, UpdateCadenceOverridesSchema } from './config.js';
import type { IncidentStatus } from './model.js';
import { UPDATE_CADENCE_MINUTES } from './severity.js';
import { renderStatusUpdate, type StatusUpdate, type UpdateStatus, utcMinute } from './status-update.js';

/**
 * Status updates on a cadence while an incident stays open: every update promises the next one
 * ("By 10:35 UTC"), and a schedule keeps that promise when no phase change does. Decisions are
 * pure: incident record, now and cadence table in, "due or not" out.
 */

/** How often the cadence schedule runs (the EventBridge rule's rate). */
export const CADENCE_SCHEDULE_MINUTES = 5;

/** Minutes between status updates, per severity. */
export type CadenceTable = Readonly<Record<Severity, number>>;

/** The defaults of `UPDATE_CADENCE_MINUTES` with the config's overrides applied. */
export function cadenceTable(overrides: UpdateCadenceOverrides = {}): CadenceTable {
  const table = { ...UPDATE_CADENCE_MINUTES };
  for (const [severity, minutes] of Object.entries(overrides) as [Severity, number | undefined][]) {
    if (minutes !== undefined) table[severity] = minutes;
  }
  return table;
}

/** Statuses of incidents that still need attention. */
export type AttentionStatus = Exclude<IncidentStatus, 'WATCHING' | 'RESOLVED'>;

const needsAttention = (status: IncidentStatus): status is AttentionStatus => status !== 'WATCHING' && status !== 'RESOLVED';

/**
 * Statuses that still need attention, and the template status their scheduled update repeats.
 * MITIGATING is still the Identified phase (applied, not yet verified). WATCHING and RESOLVED are
 * absent: the Mitigated update promises the next word at the end of the watch period, and a
 * resolved incident is over.
 */
export const CADENCE_STATUS: Readonly<Record<AttentionStatus, UpdateStatus>> = {
  OPEN: 'Investigating',
  MITIGATING: 'Identified',
  ESCALATED: 'Escalated',
  ACKNOWLEDGED: 'Escalated',
};

/** What the still-pending part of a scheduled update says, per status. Facts from the record only, never a cause. */
const PENDING: Readonly<Record<AttentionStatus, { summary: string; actions: string[] }>> = {
  OPEN: {
    summary: 'Still pending: no mitigation has been applied yet. Tourniquet has changed nothing so far.',
    actions: ['Checking the deployments and feature-flag changes made shortly before the alarm, then deciding on a mitigation.'],
  },
  MITIGATING: {
    summary: 'Still pending: a mitigation is being applied, waits for a human to approve it, or was applied and the alarms are not confirmed back to OK yet.',
    actions: ['Applying the identified mitigation, or waiting for the approval it was sent for.', 'Then verifying that the alarms clear.'],
  },
  ESCALATED: {
    summary: 'Still pending: automation did not restore service; a human on call was paged and is re-paged until someone acknowledges (tourniquet ack).',
    actions: ['Waiting for a human on call to take the incident; Tourniquet makes no further change on its own.'],
  },
  ACKNOWLEDGED: {
    summary: 'Still pending: automation did not restore service; a human acknowledged the incident and is handling it.',
    actions: ['A human on call is handling the incident; Tourniquet makes no further change on its own.'],
  },
};

/** The part of an incident record the cadence looks at. `IncidentRecord` (the store's) fits it. */
export interface CadenceIncident {
  readonly incidentId: string;
  readonly service: string;
  readonly alarmName: string;
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly openedAt: string;
  /** `{ status, subject, at }` of the last update sent; free-form in the store, read defensively here. */
  readonly lastNotification?: Readonly<Record<string, unknown>>;
}

/**
 * The shape every notifier writes to `lastNotification` (`at` is required; anything else counts as
 * "no update recorded"). Scheduled updates also record `nextUpdateBy`, the time they promised.
 */
const LastUpdateSchema = z.object({
  status: z.string().optional().catch(undefined),
  at: z.iso.datetime({ offset: true }),
  nextUpdateBy: z.iso.datetime({ offset: true }).optional().catch(undefined),
});

export type CadenceDecision =
  | {
      readonly due: true;
      /** The template status the update repeats. */
      readonly status: UpdateStatus;
      readonly cadenceMinutes: number;
      /** When the last update went out, or when the incident opened if none is recorded. */
      readonly lastUpdateAt: string;
      /** Status of the last update; absent when none is recorded. */
      readonly lastUpdateStatus?: string;
    }
  | {
      readonly due: false;
      /** closed: RESOLVED; settled: no cadence for this status (WATCHING); not-yet: the next update is not due. */
      readonly reason: 'closed' | 'settled' | 'not-yet';
      /** With not-yet: the earliest time the update becomes due. */
      readonly dueAt?: string;
    };

export type DueCadence = Extract<CadenceDecision, { due: true }>;

export interface CadenceOptions {
  /** @default the defaults of `UPDATE_CADENCE_MINUTES` */
  readonly cadence?: CadenceTable;
  /**
   * Minutes early an update may go out. A schedule that runs every N minutes would otherwise send
   * up to N minutes after the time the previous update promised; with a lead of N it sends in the
   * N minutes before it, so the promise holds.
   * @default 0
   */
  readonly leadMinutes?: number;
}

/**
 * Whether an incident is due a scheduled status update at `now`, and which status it repeats.
 * The clock runs from the last update sent (any update: phase change or scheduled), or from the
 * opening when none is recorded. The next update is due after the cadence, or by the time the last
 * update promised if that is sooner: a phase-change update promises by the default table
 * (`renderStatusUpdate`), which a longer configured cadence must not break.
 */
export function cadenceDecision(incident: CadenceIncident, now: Date, options: CadenceOptions = {}): CadenceDecision {
  if (incident.status === 'RESOLVED') return { due: false, reason: 'closed' };
  if (!needsAttention(incident.status)) return { due: false, reason: 'settled' };
  const status = CADENCE_STATUS[incident.status];

  const cadenceMinutes = (options.cadence ?? UPDATE_CADENCE_MINUTES)[incident.severity];
  const last = LastUpdateSchema.safeParse(incident.lastNotification);
  const lastUpdateAt = last.success ? last.data.at : incident.openedAt;
  const promisedAtMs = !last.success
    ? Infinity
    : last.data.nextUpdateBy !== undefined
      ? Date.parse(last.data.nextUpdateBy)
      : Date.parse(lastUpdateAt) + UPDATE_CADENCE_MINUTES[incident.severity] * 60_000;
  const leadMs = Math.max(0, options.leadMinutes ?? 0) * 60_000;
  const dueAtMs = Math.min(Date.parse(lastUpdateAt) + cadenceMinutes * 60_000, promisedAtMs) - leadMs;
  if (now.getTime() < dueAtMs) return { due: false, reason: 'not-yet', dueAt: new Date(dueAtMs).toISOString() };
  return {
    due: true,
    status,
    cadenceMinutes,
    lastUpdateAt,
    ...(last.success && last.data.status !== undefined ? { lastUpdateStatus: last.data.status } : {}),
  };
}

/** What status updates say about one alarm, from the config. */
export interface AlarmText {
  readonly summary?: string;
  readonly impact?: string;
  /** Its runbook (its own, else its service's). */
  readonly runbook?: string;
}

export interface ScheduledUpdateInput {
  readonly incident: CadenceIncident & {
    readonly signal: { readonly stateChangeTime: string };
    readonly execution?: { readonly id: string };
  };
  readonly decision: DueCadence;
  readonly now: Date;
  /** The alarm's summary (subject) and impact sentence. @default - the alarm name and a generic impact */
  readonly alarm?: AlarmText;
}

/**
 * The scheduled update in the communication template. It says that it is a scheduled update,
 * when the last one went out, and what is still pending for the incident's status, and it
 * promises the next update by the same cadence.
 */
export function scheduledStatusUpdate(input: ScheduledUpdateInput): StatusUpdate {
  const { incident, decision, now } = input;
  if (!needsAttention(incident.status)) throw new RangeError(`incident ${incident.incidentId} is ${incident.status}: it gets no scheduled update`);
  const pending = PENDING[incident.status];
  const last = decision.lastUpdateStatus
    ? `The last update (${decision.lastUpdateStatus}) went out at ${utcMinute(decision.lastUpdateAt)}.`
    : `No update is recorded since the incident opened at ${utcMinute(incident.openedAt)}.`;
  const fired = `Alarm "${incident.alarmName}" entered ALARM at ${utcMinute(incident.signal.stateChangeTime)}.`;
  return renderStatusUpdate({
    status: decision.status,
    severity: incident.severity,
    service: incident.service,
    alarmName: incident.alarmName,
    alarmSummary: input.alarm?.summary,
    impact: input.alarm?.impact,
    incidentId: incident.incidentId,
    startedAt: incident.openedAt,
    now,
    summary: `Scheduled ${decision.cadenceMinutes}-minute update: the incident is still open. ${last} ${fired} ${pending.summary}`,
    currentActions: pending.actions,
    executionArn: incident.execution?.id,
    nextUpdate: `By ${utcMinute(nextUpdateBy(decision, now))}, or sooner at the next phase change.`,
    runbook: input.alarm?.runbook,
  });
}

/** The time a scheduled update sent at `now` promises the next one by; record it as `lastNotification.nextUpdateBy`. */
export function nextUpdateBy(decision: Pick<DueCadence, 'cadenceMinutes'>, now: Date): Date {
  return new Date(now.getTime() + decision.cadenceMinutes * 60_000);
}

/**
 * What the cadence function needs from the config, read from its config layer (cadence.json): the cadence
 * overrides and the summary and impact sentence of each alarm that has one.
 */
export const CadenceSettingsSchema = z
  .object({
    updateCadenceMinutes: UpdateCadenceOverridesSchema.default({}),
    /** Re-page and reminder intervals (config `lifecycle`). */
    lifecycle: LifecycleConfigSchema.pick({ repageMinutes: true, acknowledgedReminderMinutes: true }).default({ repageMinutes: {}, acknowledgedReminderMinutes: 24 * 60 }),
    alarms: z.array(z.object({ name: z.string().min(1), summary: z.string().optional(), impact: z.string().optional(), runbook: z.string().optional() }).strict()).default([]),
  })
  .strict();
export type CadenceSettings = z.infer<typeof CadenceSettingsSchema>;

/** The slice of the config the cadence function embeds: small, and free of emails and resource IDs. */
export function cadenceSettingsFor(config: TourniquetConfig): CadenceSettings {
  return {
    updateCadenceMinutes: { ...config.updateCadenceMinutes },
    lifecycle: { repageMinutes: { ...config.lifecycle.repageMinutes }, acknowledgedReminderMinutes: config.lifecycle.acknowledgedReminderMinutes },
    alarms: config.services.flatMap((service) =>
      service.alarms
        .map((alarm) => ({ alarm, runbook: runbookFor(service, alarm) }))
        .filter(({ alarm, runbook }) => alarm.summary !== undefined || alarm.impact !== undefined || runbook !== undefined)
        .map(({ alarm, runbook }) => ({
          name: alarm.name,
          ...(alarm.summary !== undefined ? { summary: alarm.summary } : {}),
          ...(alarm.impact !== undefined ? { impact: alarm.impact } : {}),
          ...(runbook !== undefined ? { runbook } : {}),
        })),
    ),
  };
}
