import type { Severity } from './config.js';
import type { TimelineEvent } from './model.js';
import { MITIGATION_TARGET_MINUTES } from './severity.js';
import { humanDuration, utcMinute } from './status-update.js';

/**
 * Incident metrics and the postmortem draft. Definitions follow the seeds:
 * - MTTD: impact started → alarm fired;
 * - MTTM: incident declared → service restored;
 * - MTTR: impact started → service restored (MTTD + time to declare + MTTM).
 * Impact start is estimated from the alarm: it needs M breaching datapoints of P seconds,
 * so the first breaching datapoint began M × P before the transition.
 */

export interface IncidentTimes {
  readonly impactStartedAt?: string;
  readonly alarmAt: string;
  readonly openedAt: string;
  readonly mitigatedAt?: string;
}

export interface IncidentMetrics {
  readonly mttdSeconds: number | null;
  readonly mttmSeconds: number | null;
  readonly mttrSeconds: number | null;
  readonly mitigationTargetMinutes: number;
  readonly withinTarget: boolean | null;
}

const seconds = (from: string | undefined, to: string | undefined): number | null => (from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)) : null);

/** First breaching datapoint, estimated from the alarm's evaluation settings; undefined when unknown (composite alarms). */
export function estimateImpactStart(alarmAt: string, periodSeconds?: number, datapointsToAlarm?: number): string | undefined {
  if (!periodSeconds || !datapointsToAlarm) return undefined;
  return new Date(Date.parse(alarmAt) - periodSeconds * datapointsToAlarm * 1000).toISOString();
}

export function computeMetrics(times: IncidentTimes, severity: Severity): IncidentMetrics {
  const mttm = seconds(times.openedAt, times.mitigatedAt);
  const target = MITIGATION_TARGET_MINUTES[severity];
  return {
    mttdSeconds: seconds(times.impactStartedAt, times.alarmAt),
    mttmSeconds: mttm,
    mttrSeconds: seconds(times.impactStartedAt ?? times.alarmAt, times.mitigatedAt),
    mitigationTargetMinutes: target,
    withinTarget: mttm === null ? null : mttm <= target * 60,
  };
}

/** A mitigation the automation applied, with what verification measured. */
export interface PostmortemAction {
  /** "feature-flag-off on flag new-checkout-flow in chk4app/prd5env/flg6prf" */
  readonly description: string;
  /** restored: the alarms cleared after it; no-effect: they did not; undefined: not verified (escalated, dry run). */
  readonly effect?: 'restored' | 'no-effect';
  /** Reverted afterwards (as ineffective, or by `tourniquet undo`). */
  readonly reverted?: boolean;
}

export interface PostmortemInput {
  readonly incidentId: string;
  readonly service: string;
  readonly alarmName: string;
  /** Every alarm that joined the episode. */
  readonly alarms?: readonly string[];
  readonly severity: Severity;
  readonly times: IncidentTimes;
  /** When the incident was resolved, or now for an incident still open. */
  readonly closedAt: string;
  readonly impact?: string;
  readonly outcome: 'mitigated' | 'escalated';
  readonly timeline: readonly TimelineEvent[];
  /** Mitigations applied, in order. */
  readonly actions: readonly PostmortemAction[];
  readonly metrics: IncidentMetrics;
  /** Times the incident was re-opened by a re-fire. */
  readonly rounds?: number;
}

const fmt = (s: number | null): string => (s === null ? 'unknown' : humanDuration(s * 1000) + ` (${s} s)`);

/** Which action restored service and which did not, in words the summary can use. */
export function describeOutcomeOfActions(actions: readonly PostmortemAction[]): { restoredBy?: string; ineffective: string[]; list: string } {
  const restoredBy = [...actions].reverse().find((a) => a.effect === 'restored')?.description;
  const ineffective = actions.filter((a) => a.effect === 'no-effect').map((a) => `${a.description}${a.reverted ? ' (reverted)' : ' (kept in place)'}`);
  return { restoredBy, ineffective, list: actions.map((a) => a.description).join(', then ') };
}

/** A postmortem draft in the seeds' template; the sections only humans can write are marked as such. */
export function renderPostmortem(input: PostmortemInput): string {
  const start = input.times.impactStartedAt ?? input.times.alarmAt;
  const outcome = describeOutcomeOfActions(input.actions);
  const noEffect = outcome.ineffective.length ? ` These had no measurable effect: ${outcome.ineffective.join('; ')}.` : '';
  const alarms = input.alarms && input.alarms.length > 1 ? ` Alarms in this episode: ${input.alarms.join(', ')}.` : '';
  const reopened = input.rounds ? ` The alarm fired again after a fix and re-opened the incident ${input.rounds} time(s).` : '';
  const lines = [
    `# Postmortem draft: ${input.incidentId}`,
    '',
    `Date: ${input.times.alarmAt.slice(0, 10)}  `,
    `Service: ${input.service}  `,
    `Severity: ${input.severity}  `,
    `Duration: ${humanDuration(Date.parse(input.times.mitigatedAt ?? input.closedAt) - Date.parse(start))}${input.times.mitigatedAt ? '' : ' (not restored by automation)'}`,
    '',
    '## Summary',
    input.outcome === 'mitigated'
      ? `Alarm "${input.alarmName}" fired at ${utcMinute(input.times.alarmAt)}. Service was restored by ${outcome.restoredBy ?? outcome.list}: the alarms returned to OK at ${utcMinute(input.times.mitigatedAt!)}.${noEffect}${alarms}${reopened}`
      : `Alarm "${input.alarmName}" fired at ${utcMinute(input.times.alarmAt)}. Automation could not restore service${input.actions.length ? ` (tried ${outcome.list})` : ' and took no action'}; a human was paged.${noEffect}${alarms}${reopened}`,
    '',
    '## Metrics',
    `- MTTD (impact started → alarm): ${fmt(input.metrics.mttdSeconds)}`,
    `- MTTM (incident declared → service restored): ${fmt(input.metrics.mttmSeconds)}`,
    `- MTTR (impact started → service restored): ${fmt(input.metrics.mttrSeconds)}`,
    `- ${input.severity} mitigation target: ${input.metrics.mitigationTargetMinutes} min${input.metrics.withinTarget === null ? '' : input.metrics.withinTarget ? ' (met)' : ' (missed)'}`,
    '',
    '## Timeline (UTC)',
    ...input.timeline.map((e) => `- ${e.at.slice(11, 19)} ${e.message}`),
    '',
    '## Root Cause',
    '_To be written by the owning team. The timeline shows correlations (what changed before the alarm), not causes._',
    '',
    '## Impact',
    `- ${input.impact ?? 'Describe who was affected and how.'}`,
    `- Impact window: ${utcMinute(start)} to ${input.times.mitigatedAt ? utcMinute(input.times.mitigatedAt) : 'not restored by automation'}`,
    '- Users affected: _fill in_',
    '- Data loss: _fill in (none expected from the mitigations applied)_',
    '',
    '## Action Items',
    '| Action | Owner | Due Date |',
    '|---|---|---|',
    ...(input.outcome === 'mitigated'
      ? [
          `| Fix the cause, then undo the mitigation in place (${input.actions
            .filter((a) => !a.reverted)
            .map((a) => a.description)
            .join(', ')}) | _owner_ | _date_ |`,
        ]
      : ['| Find and apply a mitigation; add it to the Tourniquet config so automation can act next time | _owner_ | _date_ |']),
    '| Review whether the alarm could have fired sooner | _owner_ | _date_ |',
    '',
    '## Lessons Learned',
    '- _What went well, what went badly, where we got lucky._',
    '',
  ];
  return lines.join('\n');
}
