import * as z from 'zod';

import { BrakeConfigSchema, DEFAULT_BRAKE, LifecycleConfigSchema, PolicyModeSchema, ServiceConfigSchema, SeveritySchema } from './config.js';
import { MITIGATION_TYPES } from './mitigation-types.js';
import { AlarmSignalSchema } from './signal.js';

/**
 * The payloads that flow through the incident state machine. Each Task state writes its result
 * under one key of the execution state (ResultPath), so the state always reads top-down:
 * signal → incident → triage → plan → attempt → verification.
 */

const isoTime = z.iso.datetime({ offset: true });

export { MITIGATION_TYPES, type MitigationType } from './mitigation-types.js';
export const MitigationTypeSchema = z.enum(MITIGATION_TYPES);

export const ExecutionRefSchema = z.object({
  /** Execution ARN ($$.Execution.Id). */
  id: z.string(),
  name: z.string(),
  startTime: isoTime,
});
export type ExecutionRef = z.infer<typeof ExecutionRefSchema>;

/** What the starter function hands to the state machine. */
export const WorkflowInputSchema = z.object({
  signal: AlarmSignalSchema,
  /** The incident the starter opened (or re-opened) for this execution. */
  incidentId: z.string().min(1),
  /** The config slice of the service that owns the alarm: the only resources this execution may touch. */
  service: ServiceConfigSchema,
  settings: z.object({
    changeWindowMinutes: z.number().int().positive(),
    dryRun: z.boolean(),
    stage: z.string(),
    /**
     * Where the functions reach the service (lambdas/core/accounts.ts `serviceAccess`): its region and, in a
     * workload account, the member role they assume with the incident id as session name. Absent: here.
     */
    access: z
      .object({
        account: z
          .string()
          .regex(/^\d{12}$/)
          .optional(),
        region: z.string().min(1).max(32).optional(),
        roleArn: z.string().startsWith('arn:').optional(),
      })
      .optional(),
    /** Maintenance windows that cover this service: automation only notifies inside them. */
    maintenanceWindows: z.array(z.object({ start: isoTime, end: isoTime, reason: z.string().optional() })).default([]),
    /** Watch period, flap cooldown, re-page timers (config `lifecycle`). */
    lifecycle: LifecycleConfigSchema.default({ maxOpenIncidents: 10, flapCooldownMinutes: 30, repageMinutes: {}, acknowledgedReminderMinutes: 24 * 60 }),
    /** The brake on automated changes (config `brake`). */
    brake: BrakeConfigSchema.default(DEFAULT_BRAKE),
  }),
  execution: ExecutionRefSchema,
});
export type WorkflowInput = z.infer<typeof WorkflowInputSchema>;

/** The lifecycle (docs/lifecycle.md; transitions in lifecycle.ts): OPEN → MITIGATING → WATCHING → RESOLVED, or → ESCALATED → ACKNOWLEDGED → RESOLVED. */
export const INCIDENT_STATUSES = ['OPEN', 'MITIGATING', 'WATCHING', 'RESOLVED', 'ESCALATED', 'ACKNOWLEDGED'] as const;
export const IncidentStatusSchema = z.enum(INCIDENT_STATUSES);
export type IncidentStatus = z.infer<typeof IncidentStatusSchema>;

export const OpenedIncidentSchema = z.object({
  incidentId: z.string(),
  severity: SeveritySchema,
  openedAt: isoTime,
  /** How many times the incident was re-opened (a re-fire while WATCHING, or a flap after RESOLVED); 0 at first. */
  round: z.number().int().min(0).default(0),
  /**
   * new: the first execution of the incident; reopened: a continuation after a re-fire; capped: opened past
   * the cap on open incidents (automation does not act); superseded: another execution now owns the incident.
   */
  mode: z.enum(['new', 'reopened', 'capped', 'superseded']).default('new'),
  /** Why, in words, when mode is capped or superseded. */
  reason: z.string().optional(),
});
export type OpenedIncident = z.infer<typeof OpenedIncidentSchema>;

/** An AppConfig flag whose value changed inside the change window. */
export const FlagChangeSchema = z.object({
  flag: z.string(),
  from: z.boolean().nullable(),
  to: z.boolean(),
  deploymentNumber: z.number().int(),
  configurationVersion: z.string(),
  changedAt: isoTime,
});
export type FlagChange = z.infer<typeof FlagChangeSchema>;

/** An ECS service deployment created inside the change window. */
export const EcsDeploymentChangeSchema = z.object({
  cluster: z.string(),
  service: z.string(),
  deploymentId: z.string(),
  taskDefinition: z.string(),
  status: z.string(),
  rolloutState: z.string().optional(),
  createdAt: isoTime,
});
export type EcsDeploymentChange = z.infer<typeof EcsDeploymentChangeSchema>;

export const AlarmFactsSchema = z.object({
  name: z.string(),
  state: z.string(),
  /** Seconds per datapoint. Composite alarms have none: their children's periods apply. */
  periodSeconds: z.number().int().positive().optional(),
  evaluationPeriods: z.number().int().positive().optional(),
  datapointsToAlarm: z.number().int().positive().optional(),
});
export type AlarmFacts = z.infer<typeof AlarmFactsSchema>;

/** Signals that point at a cause other than a change; gathered when the config allows. */
export const SymptomsSchema = z.object({
  downstreamFailure: z.boolean().default(false),
  regionalFailure: z.boolean().default(false),
  trafficFlood: z.boolean().default(false),
  saturation: z.boolean().default(false),
  databaseFailure: z.boolean().default(false),
});
export type Symptoms = z.infer<typeof SymptomsSchema>;

export const TriageSchema = z.object({
  /** The highest severity among the incident's alarms. */
  severity: SeveritySchema,
  window: z.object({ from: isoTime, to: isoTime }),
  /** The alarm whose evaluation settings pace verification: the slowest of the incident's alarms. */
  alarm: AlarmFactsSchema,
  /** Every incident alarm on the incident when triage ran (the one that opened it first). */
  alarms: z.array(z.string()).default([]),
  flagChanges: z.array(FlagChangeSchema),
  ecsDeployments: z.array(EcsDeploymentChangeSchema),
  symptoms: SymptomsSchema,
  /** Sources that could not be read (AccessDenied, not configured...). Triage goes on without them. */
  gaps: z.array(z.string()),
});
export type Triage = z.infer<typeof TriageSchema>;

export const RiskSchema = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof RiskSchema>;

export const CandidateSchema = z.object({
  type: MitigationTypeSchema,
  /** Human-readable target ("flag new-checkout-flow in abc1234/env5678/prof901"). */
  target: z.string(),
  /** Parameters the mitigate step needs (flag key, cluster/service, ...). */
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  risk: RiskSchema,
  rationale: z.string(),
  /** auto: run at once; approval: a human approves first; never: named, not run. */
  policy: PolicyModeSchema,
  policyReason: z.string(),
  /** False when the mitigation will not run automatically (not built, or policy `never`): it is named, then escalated. */
  executable: z.boolean(),
});
export type Candidate = z.infer<typeof CandidateSchema>;
/** A candidate's parameters: plain values only, so they travel through the workflow state. */
export type CandidateParams = Candidate['params'];

export const PlanSchema = z.object({
  /** Matrix scenario that matched ("feature-regression", "bad-deployment", "unknown", ...). */
  scenario: z.string(),
  candidates: z.array(CandidateSchema),
  /** Executable candidates exist and automation may act. */
  hasCandidate: z.boolean(),
  rationale: z.string(),
});
export type Plan = z.infer<typeof PlanSchema>;

export const AttemptSchema = z.object({
  cursor: z.number().int().min(0),
  type: MitigationTypeSchema,
  target: z.string(),
  /**
   * needs-approval: the workflow waits for a human (AwaitApproval) before this candidate runs.
   * retriage: another incident alarm joined before the first change; triage runs again first.
   * superseded: the incident moved on (a continuation owns it, or a human resolved it): stop.
   */
  status: z.enum(['applied', 'already-applied', 'dry-run', 'needs-approval', 'paused', 'retriage', 'superseded']),
  detail: z.string(),
  /** With needs-approval: why this candidate and how risky, for the human who decides. */
  rationale: z.string().optional(),
  risk: RiskSchema.optional(),
  /** With needs-approval: what the workflow does if nobody answers in time (TimeoutPolicy state). */
  onTimeout: z.enum(['escalate', 'proceed']).optional(),
  /**
   * With needs-approval: the proposal as an operator reads it in the Step Functions console, where
   * AwaitApproval's input shows it: what, where, why, how risky, until when, and how to answer.
   */
  proposal: z
    .object({
      what: z.string(),
      resource: z.string(),
      why: z.string(),
      risk: z.string(),
      expiresAt: isoTime,
      ifNobodyAnswers: z.string(),
      approve: z.string(),
      reject: z.string(),
      orUseTheLinks: z.string(),
    })
    .optional(),
  /** When to check whether the mitigation worked (Wait state TimestampPath). */
  checkAt: isoTime,
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const VerificationSchema = z.object({
  /**
   * watching: the alarms are OK; the incident is WATCHING until checkAt (end of the watch period).
   * resolved: the watch period passed quietly; the incident is RESOLVED.
   * superseded: a re-fire re-opened the incident (a continuation execution has it) or a human resolved it.
   * pending: check again at checkAt. failed: try the next candidate or escalate.
   */
  outcome: z.enum(['watching', 'resolved', 'superseded', 'pending', 'failed']),
  alarmState: z.string(),
  checks: z.number().int().min(1),
  checkAt: isoTime.optional(),
  /** Index of the next candidate to try when outcome is failed and one remains. */
  nextCursor: z.number().int().min(0).optional(),
  hasNext: z.boolean(),
  /** The alarms still in ALARM (or not OK) at this check. */
  notOk: z.array(z.string()).optional(),
});
export type Verification = z.infer<typeof VerificationSchema>;

export const WorkflowErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

/** The execution state seen by later steps: every key is added by one state. */
export const WorkflowStateSchema = WorkflowInputSchema.extend({
  incident: OpenedIncidentSchema,
  triage: TriageSchema.optional(),
  plan: PlanSchema.optional(),
  attempt: AttemptSchema.optional(),
  verification: VerificationSchema.optional(),
  error: WorkflowErrorSchema.optional(),
  /** A human's answer to the last approval request (SendTaskSuccess output of AwaitApproval). */
  approval: z
    .object({ decision: z.enum(['approved', 'rejected']), by: z.string(), via: z.string(), reason: z.string().nullable(), at: isoTime.optional(), approvalId: z.string() })
    .optional(),
});
export type WorkflowState = z.infer<typeof WorkflowStateSchema>;

export const STATUS_PHASES = ['Investigating', 'Identified', 'Mitigated', 'Resolved'] as const;
export const StatusPhaseSchema = z.enum(STATUS_PHASES);
export type StatusPhase = z.infer<typeof StatusPhaseSchema>;

export const TIMELINE_KINDS = [
  'alarm',
  'incident-opened',
  'alarm-refired',
  /** An alarm transition recorded on a current incident: joined, symptom, cleared. */
  'signal',
  'reopened',
  'watch',
  'page',
  'acknowledged',
  'resolved',
  'triage',
  'decision',
  'mitigation',
  'verification',
  'notification',
  'escalation',
  'error',
  'closed',
] as const;
export const TimelineEventSchema = z.object({
  at: isoTime,
  kind: z.enum(TIMELINE_KINDS),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;
