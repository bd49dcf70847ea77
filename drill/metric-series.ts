import * as z from 'zod';

import type { Scenario } from './scenario.js';
import { parseAlarmRule, ruleAlarmNames } from './sim/alarm-rule.js';
import type { SimCloudWatch } from './sim/cloudwatch.js';

/**
 * The datapoints the simulated CloudWatch produced for the metric of the alarm the drill is about,
 * one per period, so the HTML report can chart the metric against its threshold. The simulated
 * metric is a function of the account's recorded state over time, so the series read after the drill
 * is the one the alarm evaluated while it ran.
 */

export const MetricSeriesSchema = z.object({
  /** The metric alarm charted: the primary alarm, or for a composite primary the first of its metric children that fired. */
  alarm: z.string(),
  namespace: z.string(),
  metricName: z.string(),
  statistic: z.string(),
  periodSeconds: z.number().int(),
  threshold: z.number(),
  comparison: z.string(),
  /** Why this alarm and not the primary (a composite primary, no primary alarm). */
  note: z.string().optional(),
  /**
   * The datapoints, `at` the start of each period bucket, in time order. Runs of equal values keep only
   * their first and last point (the line through them is the same), so a quiet week stays small:
   * the value of a period not listed is that of the last point before it.
   */
  points: z.array(z.object({ at: z.string(), value: z.number() })),
});
export type MetricSeries = z.infer<typeof MetricSeriesSchema>;

/** Periods charted after the last thing that happened to the incident, so the recovery is visible. */
const TRAILING_PERIODS = 10;
/** Periods read at most: a drill that idles for simulated weeks is charted from its start up to here. */
const MAX_PERIODS = 20_000;

export interface SeriesInput {
  readonly scenario: Scenario;
  readonly cloudwatch: Pick<SimCloudWatch, 'datapoints'>;
  /** The alarm that opened the first incident, when there is one. */
  readonly incidentAlarm?: string;
  /** Alarms that went to ALARM during the drill, in order. */
  readonly fired: readonly string[];
  /** Where the chart ends at the latest (the drill's end). */
  readonly endedAt: Date;
  /** The last instant of interest (last timeline event or alarm transition): the chart runs a few periods past it. */
  readonly lastEventAt?: Date;
}

/** The series of the alarm the drill is about, or null when no metric alarm is involved. */
export function metricSeries(input: SeriesInput): MetricSeries | null {
  const { scenario } = input;
  const metricAlarms = new Map(scenario.account.alarms.map((a) => [a.name, a]));
  const composites = new Map(scenario.account.compositeAlarms.map((c) => [c.name, c]));
  let name: string | undefined;
  let note: string | undefined;
  const primary = scenario.alarm;
  if (primary !== undefined && metricAlarms.has(primary)) {
    name = primary;
  } else if (primary !== undefined && composites.has(primary)) {
    const children = metricChildren(primary, composites, metricAlarms);
    name = children.find((c) => input.fired.includes(c)) ?? children[0];
    if (name) note = `${primary} is a composite alarm (${composites.get(primary)!.rule}); the chart shows its child ${name}.`;
  } else if (input.incidentAlarm !== undefined && metricAlarms.has(input.incidentAlarm)) {
    name = input.incidentAlarm;
    note = `The scenario names no primary alarm; the chart shows ${name}, the alarm that opened the first incident.`;
  }
  if (name === undefined) return null;
  const spec = metricAlarms.get(name)!;
  const start = new Date(scenario.startsAt);
  const period = spec.periodSeconds * 1000;
  const wanted = input.lastEventAt ? input.lastEventAt.getTime() + TRAILING_PERIODS * period : input.endedAt.getTime();
  const cap = start.getTime() + MAX_PERIODS * period;
  const end = new Date(Math.min(input.endedAt.getTime(), wanted, cap));
  if (cap < Math.min(input.endedAt.getTime(), wanted)) {
    note = `${note ? `${note} ` : ''}The chart covers the first ${MAX_PERIODS} periods (to ${end.toISOString()}).`;
  }
  // Complete buckets only: the one the drill ended in had not been evaluated yet.
  const points = input.cloudwatch
    .datapoints(name, start, end)
    .filter((d) => d.timestamp.getTime() + period <= input.endedAt.getTime())
    .map((d) => ({ at: d.timestamp.toISOString(), value: d.value }));
  const kept = points.filter((p, i) => i === 0 || i === points.length - 1 || p.value !== points[i - 1]!.value || p.value !== points[i + 1]!.value);
  return {
    alarm: name,
    namespace: spec.namespace,
    metricName: spec.metricName,
    statistic: spec.statistic,
    periodSeconds: spec.periodSeconds,
    threshold: spec.threshold,
    comparison: spec.comparisonOperator,
    ...(note !== undefined ? { note } : {}),
    points: kept,
  };
}

/** The metric alarms under a composite, depth first in rule order. */
function metricChildren(name: string, composites: ReadonlyMap<string, { rule: string }>, metricAlarms: ReadonlyMap<string, unknown>, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const composite = composites.get(name);
  if (!composite) return metricAlarms.has(name) ? [name] : [];
  return [...new Set(ruleAlarmNames(parseAlarmRule(composite.rule)).flatMap((child) => metricChildren(child, composites, metricAlarms, seen)))];
}
