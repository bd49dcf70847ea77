import * as z from 'zod';
import { SeveritySchema } from '../core/config.js';
import { ExecutionRefSchema, IncidentStatusSchema, MitigationTypeSchema, TimelineEventSchema } from '../core/model.js';
import { AlarmSignalSchema } from '../core/signal.js';
import { MAX_ACTION_CURSOR } from './keys.js';

/**
 * Schemas of what the incident store accepts and returns. Records read back from DynamoDB are
 * parsed with these, which also strips the table's key attributes (pk, sk, gsi1pk, ...).
 */

const isoTime = z.iso.datetime({ offset: true });

/** MTTD, MTTM, MTTR...: seconds, or null when the moment it measures has not happened. */
export const IncidentMetricsSchema = z.record(z.string(), z.number().nullable());
export type IncidentMetrics = z.infer<typeof IncidentMetricsSchema>;

/**
 * The last status update sent, kept so the notifier can keep its cadence. Free-form on purpose:
 * the notifier owns its shape.
 */
export const LastNotificationSchema = z.record(z.string(), z.unknown());
export type LastNotification = z.infer<typeof LastNotificationSchema>;

/** The incident item (`INCIDENT#<id>` / `META`). */
export const IncidentRecordSchema = z.object({
  incidentId: z.string().min(1),
  service: z.string().min(1),
  alarmName: z.string().min(1),
  severity: SeveritySchema,
  status: IncidentStatusSchema,
  openedAt: isoTime,
  signal: AlarmSignalSchema,
  execution: ExecutionRefSchema,
  updatedAt: isoTime,
  impactStartedAt: isoTime.optional(),
  mitigatedAt: isoTime.optional(),
  escalatedAt: isoTime.optional(),
  closedAt: isoTime.optional(),
  metrics: IncidentMetricsSchema.optional(),
  postmortem: z.string().optional(),
  lastNotification: LastNotificationSchema.optional(),
});
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;

/** What `openIncident` needs: the incident's identity, the signal that opened it, and its first timeline event. */
export const OpenIncidentInputSchema = z.object({
  incidentId: z.string().min(1).max(512),
  service: z.string().min(1),
  alarmName: z.string().min(1),
  severity: SeveritySchema,
  signal: AlarmSignalSchema,
  execution: ExecutionRefSchema,
  openedAt: isoTime,
  firstEvent: TimelineEventSchema,
});
export type OpenIncidentInput = z.infer<typeof OpenIncidentInputSchema>;

/** `duplicate: true` means another incident already holds the service+alarm; nothing was written. */
export type OpenIncidentResult = { duplicate: false } | { duplicate: true; existingIncidentId: string };

/**
 * Fields `updateIncident` may change. Absent fields are left alone. Closing goes through
 * `closeIncident` (it must also release the open lock), so `CLOSED` is refused here.
 */
export const IncidentPatchSchema = z
  .object({
    status: IncidentStatusSchema.exclude(['CLOSED'], { error: 'use closeIncident to close an incident' }).optional(),
    severity: SeveritySchema.optional(),
    impactStartedAt: isoTime.optional(),
    mitigatedAt: isoTime.optional(),
    escalatedAt: isoTime.optional(),
    closedAt: isoTime.optional(),
    metrics: IncidentMetricsSchema.optional(),
    postmortem: z.string().optional(),
    lastNotification: LastNotificationSchema.optional(),
  })
  .strict();
export type IncidentPatch = z.infer<typeof IncidentPatchSchema>;

/** Fields `closeIncident` may set alongside `status: CLOSED`; `closedAt` defaults to the store's clock. */
export const ClosePatchSchema = IncidentPatchSchema.omit({ status: true });
export type ClosePatch = z.infer<typeof ClosePatchSchema>;

export const ACTION_STATUSES = ['started', 'applied', 'already-applied', 'dry-run', 'failed', 'undone'] as const;
export const ActionStatusSchema = z.enum(ACTION_STATUSES);
export type ActionStatus = z.infer<typeof ActionStatusSchema>;

const cursorSchema = z.number().int().min(0).max(MAX_ACTION_CURSOR);

/** One mitigation attempt (`INCIDENT#<id>` / `ACTION#<cursor>#<type>`): claimed once, then completed once. */
export const ActionRecordSchema = z.object({
  cursor: cursorSchema,
  type: MitigationTypeSchema,
  target: z.string(),
  status: ActionStatusSchema,
  /** State before the change, so it can be undone. */
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  detail: z.string().optional(),
  startedAt: isoTime,
  completedAt: isoTime.optional(),
  /** Set when `tourniquet undo` reverted the change. */
  undoneAt: isoTime.optional(),
  undoDetail: z.string().optional(),
});
export type ActionRecord = z.infer<typeof ActionRecordSchema>;

/** What `recordActionStart` needs. `startedAt` comes from the store's clock. */
export const ActionStartSchema = z.object({
  cursor: cursorSchema,
  type: MitigationTypeSchema,
  target: z.string(),
  before: z.unknown().optional(),
});
export type ActionStart = z.infer<typeof ActionStartSchema>;

export type ActionStartResult = { started: true } | { started: false; existing: ActionRecord };

/**
 * How an action ended. `before` may be given here when it could only be read after claiming the
 * action (claim first, then read, so two retries never both act).
 */
export const ActionCompletionSchema = z
  .object({
    status: ActionStatusSchema.exclude(['started', 'undone']),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    detail: z.string().optional(),
  })
  .strict();
export type ActionCompletion = z.infer<typeof ActionCompletionSchema>;

/** The per-service mutation lock (`MUTEX#<service>` / `LOCK`): one change at a time per service. */
export const MutationLockSchema = z.object({
  service: z.string(),
  incidentId: z.string(),
  acquiredAt: isoTime,
  /** Epoch seconds; DynamoDB TTL deletes it eventually, and the store treats it as free from then on. */
  expiresAt: z.number().int(),
});
export type MutationLock = z.infer<typeof MutationLockSchema>;

/** The open-incident lock (`OPEN#<service>#<alarm>` / `LOCK`): at most one open incident per service and alarm. */
export const OpenLockSchema = z.object({
  incidentId: z.string(),
  openedAt: isoTime,
});
export type OpenLock = z.infer<typeof OpenLockSchema>;
