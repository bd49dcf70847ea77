import * as z from 'zod';

import { SeveritySchema } from '../core/config.js';
import { ImpactStartSourceSchema } from '../core/impact-start.js';
import { ExecutionRefSchema, IncidentStatusSchema, MitigationTypeSchema, PlanSchema, TimelineEventSchema, TriageSchema } from '../core/model.js';
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

/** Alarm names are stored as a DynamoDB string set (ADD is idempotent); read back as a sorted array. */
const AlarmSetSchema = z.preprocess((value) => (value instanceof Set ? [...(value as Set<string>)].sort() : value), z.array(z.string()));

/** The incident item (`INCIDENT#<id>` / `META`). Small on purpose: the timeline and actions are items of their own. */
export const IncidentRecordSchema = z.object({
  incidentId: z.string().min(1),
  service: z.string().min(1),
  /** The alarm that opened the incident. */
  alarmName: z.string().min(1),
  /** Every incident alarm of the service that fired during the episode (the opener included). */
  alarms: AlarmSetSchema.optional(),
  severity: SeveritySchema,
  status: IncidentStatusSchema,
  /** Re-opens so far (a re-fire while WATCHING or within the flap cooldown). */
  round: z.number().int().min(0).default(0),
  openedAt: isoTime,
  signal: AlarmSignalSchema,
  /** The execution working on the current round. */
  execution: ExecutionRefSchema,
  updatedAt: isoTime,
  impactStartedAt: isoTime.optional(),
  /** Where impactStartedAt came from: the alarm's reason data, GetMetricData, or the period × datapoints estimate. */
  impactStartSource: ImpactStartSourceSchema.optional(),
  mitigatedAt: isoTime.optional(),
  watchUntil: isoTime.optional(),
  escalatedAt: isoTime.optional(),
  /** Why the incident was escalated, in words (the page's summary). */
  escalationReason: z.string().optional(),
  acknowledgedAt: isoTime.optional(),
  acknowledgedBy: z.string().optional(),
  resolvedAt: isoTime.optional(),
  resolvedBy: z.string().optional(),
  /** Opened past lifecycle.maxOpenIncidents: paged, and the automation does not act on it. */
  cappedReason: z.string().optional(),
  /** The last page on the escalation topic and how many were sent: the re-page timer runs from it. */
  lastPageAt: isoTime.optional(),
  pages: z.number().int().min(0).default(0),
  /** The latest triage and plan, kept for continuations after a re-open. */
  triage: TriageSchema.optional(),
  plan: PlanSchema.optional(),
  metrics: IncidentMetricsSchema.optional(),
  /** One paragraph: how the incident ended. The postmortem is rendered from the timeline on demand. */
  summary: z.string().optional(),
  lastNotification: LastNotificationSchema.optional(),
});
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;

/**
 * The service's episode pointer (`EPISODE#<service>` / `CURRENT`): which incident the service's
 * alarms belong to, its status (kept in step with the incident's in the same transactions), and the
 * lease of the execution working on it. The starter decides from this one item.
 */
export const EpisodeRecordSchema = z.object({
  service: z.string().min(1),
  incidentId: z.string().min(1),
  status: IncidentStatusSchema,
  round: z.number().int().min(0).default(0),
  openedAt: isoTime,
  updatedAt: isoTime,
  /** The execution working on the current round (a copy of the incident's): lets the starter resume it without a read. */
  executionName: z.string().optional(),
  /** The incident's alarms (a copy of the incident's set): a signal of a known alarm is recorded with one write. */
  alarms: AlarmSetSchema.optional(),
  /** While the automation works on the incident: when its execution must have reported again. */
  leaseUntil: isoTime.optional(),
  /** After RESOLVED: until when a re-fire re-opens the incident as a flap. */
  reopenUntil: isoTime.optional(),
});
export type EpisodeRecord = z.infer<typeof EpisodeRecordSchema>;

/** What `openIncident` needs: the incident's identity, the signal that opened it, and its first timeline event. */
export const OpenIncidentInputSchema = z.object({
  incidentId: z.string().min(1).max(512),
  service: z.string().min(1),
  alarmName: z.string().min(1),
  severity: SeveritySchema,
  signal: AlarmSignalSchema,
  execution: ExecutionRefSchema,
  openedAt: isoTime,
  /** The lease of the execution about to start. */
  leaseUntil: isoTime,
  /** Set when the cap on open incidents is reached: the incident is recorded and paged, not acted on. */
  cappedReason: z.string().optional(),
  firstEvent: TimelineEventSchema,
});
export type OpenIncidentInput = z.infer<typeof OpenIncidentInputSchema>;

/** `opened: false`: the service already has a current incident (returned); nothing was written. */
export type OpenIncidentResult = { opened: true } | { opened: false; episode: EpisodeRecord };

/**
 * Fields `updateIncident` may change. Absent fields are left alone. The status changes only through
 * `transition`, which keeps the episode pointer in step and enforces the lifecycle.
 */
export const IncidentPatchSchema = z
  .object({
    severity: SeveritySchema.optional(),
    impactStartedAt: isoTime.optional(),
    impactStartSource: ImpactStartSourceSchema.optional(),
    mitigatedAt: isoTime.optional(),
    watchUntil: isoTime.optional(),
    escalatedAt: isoTime.optional(),
    escalationReason: z.string().optional(),
    acknowledgedAt: isoTime.optional(),
    acknowledgedBy: z.string().optional(),
    resolvedAt: isoTime.optional(),
    resolvedBy: z.string().optional(),
    lastPageAt: isoTime.optional(),
    pages: z.number().int().min(0).optional(),
    triage: TriageSchema.optional(),
    plan: PlanSchema.optional(),
    metrics: IncidentMetricsSchema.optional(),
    summary: z.string().max(4000).optional(),
    lastNotification: LastNotificationSchema.optional(),
  })
  .strict();
export type IncidentPatch = z.infer<typeof IncidentPatchSchema>;

export const ACTION_STATUSES = ['started', 'applied', 'already-applied', 'dry-run', 'failed', 'undone'] as const;

/** What an action did to the alarms, as verification measured it. */
export const ACTION_EFFECTS = ['restored', 'no-effect'] as const;
export const ActionEffectSchema = z.enum(ACTION_EFFECTS);
export type ActionEffect = z.infer<typeof ActionEffectSchema>;
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
  /** Set when `tourniquet undo` reverted the change, or the workflow reverted it as ineffective. */
  undoneAt: isoTime.optional(),
  undoDetail: z.string().optional(),
  /** Set by verification: the action restored service, or had no measurable effect. */
  effect: ActionEffectSchema.optional(),
  /** Set when the incident went to a human after this action; it is then counted as escalated in the learning record (once). */
  escalatedAt: isoTime.optional(),
  /** While `started`: the invocation that holds the claim (Lambda request id or another unique id). */
  owner: z.string().optional(),
  /** While `started`: until when the owner may still be running; after it, the next attempt takes over and reconciles. */
  leaseUntil: isoTime.optional(),
  /** How many invocations have held the claim (more than 1 after a crash, a timeout or an error). */
  attempts: z.number().int().min(1).optional(),
  /** The change the claim is for, in words, written before the mutating call. */
  intent: z.string().optional(),
  /** Whether the change was still to be made when the before-state was read (false: it was already in place). */
  wouldChange: z.boolean().optional(),
  /** The error that ended the last attempt, when one did. */
  lastError: z.string().optional(),
  /** True when the outcome was decided by reading the resource after an interrupted attempt. */
  reconciled: z.boolean().optional(),
});
export type ActionRecord = z.infer<typeof ActionRecordSchema>;

/** What `claimAction` needs: the action, and who claims it for how long. */
export const ActionClaimRequestSchema = z.object({
  cursor: cursorSchema,
  type: MitigationTypeSchema,
  target: z.string(),
  owner: z.string().min(1),
  leaseSeconds: z.number().int().positive(),
});
export type ActionClaimRequest = z.infer<typeof ActionClaimRequestSchema>;

/**
 * How a claim ended. claimed: nobody had it. resumed: an earlier attempt held it and is gone (its
 * lease ran out, or it gave the claim back after an error): read the resource before acting. held:
 * another invocation is working on it now. done: the action was completed before.
 */
export type ActionClaim = { readonly outcome: 'claimed' | 'resumed' | 'held' | 'done'; readonly record: ActionRecord };

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
    /** The outcome was read from the resource after an interrupted attempt. */
    reconciled: z.boolean().optional(),
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
  /** Set when its holder released it (expiresAt is then 0). */
  releasedAt: isoTime.optional(),
});
export type MutationLock = z.infer<typeof MutationLockSchema>;

/** How recording a signal on an incident ended. */
export type SignalResult =
  /** Written. */
  | 'recorded'
  /** The same transition was recorded before (a redelivery): nothing written. */
  | 'duplicate'
  /** The incident is no longer in the status the caller read: nothing written; read the episode again. */
  | 'stale';
