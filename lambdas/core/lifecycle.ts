import { CATALOGUE } from '../mitigations/index.js';
import type { LifecycleConfig, RevertIneffective, Severity } from './config.js';
import type { IncidentStatus, MitigationType } from './model.js';

/**
 * The incident lifecycle as pure rules: which states follow which, what the starter does with an
 * alarm transition given the service's current episode, and the timers that keep an incident from
 * going silent. docs/lifecycle.md is the prose version of this file.
 */

/** States an incident may move to from each state. Re-opens (WATCHING/RESOLVED → OPEN) are explicit and counted in `round`. */
export const ALLOWED_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  OPEN: ['MITIGATING', 'ESCALATED'],
  MITIGATING: ['WATCHING', 'ESCALATED'],
  WATCHING: ['RESOLVED', 'ESCALATED', 'OPEN'],
  RESOLVED: ['OPEN'],
  ESCALATED: ['ACKNOWLEDGED', 'RESOLVED'],
  ACKNOWLEDGED: ['RESOLVED'],
};

/** Statuses in which the automation is working on the incident and holds a lease on it. */
export const AUTOMATION_STATUSES: readonly IncidentStatus[] = ['OPEN', 'MITIGATING', 'WATCHING'];
/** Statuses in which a human has (or must take) the incident. */
export const HUMAN_STATUSES: readonly IncidentStatus[] = ['ESCALATED', 'ACKNOWLEDGED'];

/** Every status an incident can be in before RESOLVED. */
export const ACTIVE_STATUSES: readonly IncidentStatus[] = [...AUTOMATION_STATUSES, ...HUMAN_STATUSES];

/** The statuses from which `to` may be entered. */
export function statusesLeadingTo(to: IncidentStatus): IncidentStatus[] {
  return (Object.keys(ALLOWED_TRANSITIONS) as IncidentStatus[]).filter((from) => ALLOWED_TRANSITIONS[from].includes(to));
}

/** Rounds of one incident get their own range of action-ledger cursors, so a re-opened incident never collides with an earlier round's actions. */
export const LEDGER_CURSORS_PER_ROUND = 100;

/** The ledger cursor of plan candidate `cursor` in `round`. */
export const ledgerCursor = (round: number, cursor: number): number => round * LEDGER_CURSORS_PER_ROUND + cursor;

/** Re-pages of an unacknowledged escalation, per severity (the seeds: "escalate if not resolved in N minutes"). */
export const DEFAULT_REPAGE_MINUTES: Readonly<Record<Severity, number>> = { SEV1: 15, SEV2: 30, SEV3: 120, SEV4: 24 * 60 };

/** Lease margin past a step's next due time: covers Step Functions and Lambda retries of that step. */
export const LEASE_MARGIN_SECONDS = 30 * 60;

/** The lease a step writes when its execution next reports at `nextDueAt`. */
export function leaseUntil(nextDueAt: Date | string): string {
  return new Date(new Date(nextDueAt).getTime() + LEASE_MARGIN_SECONDS * 1000).toISOString();
}

/**
 * Whether an ineffective mitigation is reverted before the next candidate. A kill switch stays off
 * (a suspect feature off is the safe state); every other change that did not help is taken back,
 * since it moves traffic, capacity or code for no benefit.
 */
export const DEFAULT_REVERT_INEFFECTIVE: Readonly<Record<MitigationType, boolean>> = Object.fromEntries(CATALOGUE.map((m) => [m.type, m.revertWhenIneffective])) as Record<
  MitigationType,
  boolean
>;

export function revertsWhenIneffective(type: MitigationType, overrides: RevertIneffective = {}): boolean {
  return overrides[type] ?? DEFAULT_REVERT_INEFFECTIVE[type];
}

/** The longest watch: it runs inside the workflow execution, which times out after 6 hours. */
export const MAX_WATCH_SECONDS = 4 * 3600;

/** Watch period after a verified mitigation: the configured minutes, else 3 alarm periods, at least 5 minutes (at most 4 hours). */
export function watchSeconds(lifecycle: Pick<LifecycleConfig, 'watchMinutes'>, alarmPeriodSeconds: number | undefined): number {
  if (lifecycle.watchMinutes !== undefined) return Math.min(MAX_WATCH_SECONDS, lifecycle.watchMinutes * 60);
  return Math.min(MAX_WATCH_SECONDS, Math.max(5 * 60, 3 * (alarmPeriodSeconds ?? 60)));
}

/** The part of the episode pointer the starter decides on. */
export interface EpisodeView {
  readonly incidentId: string;
  readonly status: IncidentStatus;
  /** ISO time after which an automation status with no renewal means the execution stopped reporting. */
  readonly leaseUntil?: string;
  /** ISO time until which a RESOLVED incident re-opens on a re-fire (flap). */
  readonly reopenUntil?: string;
}

/** What the starter does with one alarm transition. */
export type Admission =
  /** No current incident: open one (if the alarm is an incident alarm in ALARM). */
  | { readonly action: 'open' }
  /** The incident is being worked on: the signal joins it (a timeline entry; incident alarms are added to it). */
  | { readonly action: 'join'; readonly incidentId: string }
  /** A re-fire inside the watch period or the flap cooldown: the same incident re-opens and a continuation runs. */
  | { readonly action: 'reopen'; readonly incidentId: string; readonly from: 'WATCHING' | 'RESOLVED' }
  /** A human has the incident: page again with its history. */
  | { readonly action: 'repage'; readonly incidentId: string }
  /** The automation stopped reporting (lease expired): escalate the incident and page. */
  | { readonly action: 'orphaned'; readonly incidentId: string }
  /** Nothing to do (an OK, or a symptom, with no current incident). */
  | { readonly action: 'ignore'; readonly reason: string };

export interface AdmissionInput {
  readonly episode?: EpisodeView;
  /** `incident`: one of the service's alarms; `symptom`: evidence for triage only. */
  readonly role: 'incident' | 'symptom';
  readonly state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  readonly now: Date;
}

/**
 * Decides what an alarm transition means for the service's episode. Only an incident alarm entering
 * ALARM can open or re-open an incident; every other signal of a current incident is recorded on it,
 * and no ALARM of an incident a human holds goes by without a page.
 */
export function admit(input: AdmissionInput): Admission {
  const { episode, role, state, now } = input;
  const firing = state === 'ALARM';
  const current = episode && (episode.status !== 'RESOLVED' || (episode.reopenUntil !== undefined && Date.parse(episode.reopenUntil) > now.getTime()));
  if (!episode || !current) {
    if (!firing) return { action: 'ignore', reason: `${state} with no open incident for the service` };
    if (role === 'symptom') return { action: 'ignore', reason: 'a symptom alarm is evidence for triage; it opens no incident on its own' };
    return { action: 'open' };
  }
  const id = episode.incidentId;
  if (episode.status === 'RESOLVED') {
    // Inside the flap cooldown: only an incident alarm firing again re-opens; anything else is past history.
    return firing && role === 'incident' ? { action: 'reopen', incidentId: id, from: 'RESOLVED' } : { action: 'ignore', reason: `incident ${id} is resolved` };
  }
  const leaseExpired = AUTOMATION_STATUSES.includes(episode.status) && episode.leaseUntil !== undefined && Date.parse(episode.leaseUntil) < now.getTime();
  if (leaseExpired && firing) return { action: 'orphaned', incidentId: id };
  if (HUMAN_STATUSES.includes(episode.status) && firing && role === 'incident') return { action: 'repage', incidentId: id };
  if (episode.status === 'WATCHING' && firing && role === 'incident') return { action: 'reopen', incidentId: id, from: 'WATCHING' };
  return { action: 'join', incidentId: id };
}

/** Minutes until the next page of an incident a human holds, or undefined when it is not paged on a timer. */
export function pageIntervalMinutes(
  status: IncidentStatus,
  severity: Severity,
  lifecycle: Pick<LifecycleConfig, 'repageMinutes' | 'acknowledgedReminderMinutes'>,
): number | undefined {
  if (status === 'ESCALATED') return lifecycle.repageMinutes[severity] ?? DEFAULT_REPAGE_MINUTES[severity];
  if (status === 'ACKNOWLEDGED') return lifecycle.acknowledgedReminderMinutes;
  return undefined;
}
