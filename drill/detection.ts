import type { TimelineEvent } from '../lambdas/core/model.js';
import type { Scenario } from './scenario.js';
import { parseAlarmRule, ruleAlarmNames } from './sim/alarm-rule.js';
import type { HealthModel } from './sim/health.js';

/**
 * Detection in the drill: when the scripted fault really started, and whether the incident's MTTD,
 * MTTM and MTTR (as `--json` reports them) agree with its timeline and with that start.
 *
 * The scripted fault start is read from the health model, the ground truth the simulated metric is
 * sampled from: the first second of the stretch, before the alarm fired, during which the service's
 * error rate breached the alarm's threshold. Triage never sees it; it measures impact start from the
 * alarm's datapoints (lambdas/operations/impact-start.ts), which resolve to one period.
 */

/** The scripted fault start of an alarm, and the period it is judged within. */
export interface FaultStart {
  readonly at: string;
  /** The metric alarm whose service's error rate breached first (a composite's child). */
  readonly alarm: string;
  readonly periodSeconds: number;
}

/** How far back the ground truth is searched: a fault older than this is reported as starting at the limit. */
const MAX_WALK_SECONDS = 24 * 3600;

const COMPARE: Readonly<Record<string, (v: number, t: number) => boolean>> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/**
 * The scripted fault start behind `alarm` firing at `alarmAt`: for a metric alarm, walk back second
 * by second from the alarm, past the seconds of its evaluation window that did not breach (an M of N
 * alarm), then through the seconds that breach; for a composite, the earliest of its metric children's.
 * Undefined when the error rate never breached in the window (the alarm fired on something else).
 */
export function scriptedFaultStart(scenario: Scenario, health: Pick<HealthModel, 'errorRate'>, alarm: string, alarmAt: Date): FaultStart | undefined {
  const starts = metricAlarmsUnder(scenario, alarm).flatMap((spec) => {
    const breaching = (ms: number) => COMPARE[spec.comparisonOperator]!(health.errorRate(spec.service, new Date(ms)), spec.threshold);
    const windowStart = alarmAt.getTime() - spec.periodSeconds * spec.evaluationPeriods * 1000;
    let t = alarmAt.getTime() - 1000;
    while (t >= windowStart && !breaching(t)) t -= 1000;
    if (t < windowStart) return [];
    const limit = alarmAt.getTime() - MAX_WALK_SECONDS * 1000;
    while (t - 1000 >= limit && breaching(t - 1000)) t -= 1000;
    return [{ at: new Date(t).toISOString(), alarm: spec.name, periodSeconds: spec.periodSeconds }];
  });
  return starts.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
}

/** The metric alarms an alarm stands for: itself, or a composite's metric alarms, depth first. */
function metricAlarmsUnder(scenario: Scenario, name: string, seen = new Set<string>()): Scenario['account']['alarms'] {
  if (seen.has(name)) return [];
  seen.add(name);
  const metric = scenario.account.alarms.find((a) => a.name === name);
  if (metric) return [metric];
  const composite = scenario.account.compositeAlarms.find((c) => c.name === name);
  if (!composite) return [];
  return ruleAlarmNames(parseAlarmRule(composite.rule)).flatMap((child) => metricAlarmsUnder(scenario, child, seen));
}

/** What the drill reports about detection, and what it is checked against. */
export interface DetectionInput {
  readonly mttdSeconds: number | null;
  readonly mttmSeconds: number | null;
  readonly mttrSeconds: number | null;
  readonly impactStartedAt: string | null;
  readonly timeline: readonly TimelineEvent[];
  readonly faultStart?: FaultStart | undefined;
}

const hms = (iso: string): string => iso.slice(11, 19);
const seconds = (from: string, to: string): number => Math.round((Date.parse(to) - Date.parse(from)) / 1000);

/**
 * Mismatches between the reported metrics and the timeline, and between the measured impact start
 * and the scripted fault start (more than one period apart). Empty when they agree.
 */
export function detectionMismatches(input: DetectionInput): string[] {
  const out: string[] = [];
  const impact = input.timeline.find((e) => e.kind === 'triage' && typeof e.data?.['impactStartedAt'] === 'string');
  const opened = input.timeline.find((e) => e.kind === 'incident-opened');
  // The metrics recorded when the incident last closed, unless it re-opened since (they were of an earlier round).
  const last = [...input.timeline].reverse().find((e) => (e.kind === 'closed' && e.data && 'mttmSeconds' in e.data) || e.kind === 'reopened');
  const closed = last?.kind === 'closed' ? last : undefined;

  if (impact) {
    const at = impact.data!['impactStartedAt'] as string;
    const alarmAt = impact.data!['alarmAt'] as string | undefined;
    if (at !== input.impactStartedAt) out.push(`the timeline's impact start ${hms(at)} is not the incident's (${input.impactStartedAt ?? 'none'})`);
    if (alarmAt !== undefined && input.mttdSeconds !== seconds(at, alarmAt))
      out.push(`MTTD ${input.mttdSeconds} s disagrees with the timeline: impact started ${hms(at)}, the alarm fired ${hms(alarmAt)} (${seconds(at, alarmAt)} s)`);
  } else if (input.mttdSeconds !== null) {
    out.push(`MTTD ${input.mttdSeconds} s is reported but the timeline records no impact start`);
  }
  if (input.mttmSeconds !== null && opened) {
    const mitigatedAt = new Date(Date.parse(opened.at) + input.mttmSeconds * 1000).toISOString();
    if (!input.timeline.some((e) => e.kind === 'verification' && Math.abs(seconds(e.at, mitigatedAt)) <= 1))
      out.push(`MTTM ${input.mttmSeconds} s disagrees with the timeline: no verification at ${hms(mitigatedAt)} (incident opened ${hms(opened.at)})`);
    if (impact && input.mttrSeconds !== seconds(impact.data!['impactStartedAt'] as string, mitigatedAt))
      out.push(`MTTR ${input.mttrSeconds} s disagrees with the timeline: impact started ${hms(impact.data!['impactStartedAt'] as string)}, service restored ${hms(mitigatedAt)}`);
  }
  if (closed) {
    for (const key of ['mttdSeconds', 'mttmSeconds', 'mttrSeconds'] as const) {
      const recorded = closed.data![key] ?? null;
      if (recorded !== input[key]) out.push(`${key} ${input[key]} disagrees with the ${recorded} the timeline recorded when the incident closed`);
    }
  }
  const fault = input.faultStart;
  if (fault && input.impactStartedAt) {
    const apart = Math.abs(seconds(fault.at, input.impactStartedAt));
    if (apart > fault.periodSeconds)
      out.push(
        `impact start ${hms(input.impactStartedAt)} is ${apart} s from the scripted fault start ${hms(fault.at)} (${fault.alarm}), more than one ${fault.periodSeconds} s period`,
      );
  }
  return out;
}
