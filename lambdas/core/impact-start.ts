import * as z from 'zod';

/**
 * When impact started, measured from the alarm's own data: the first breaching datapoint of the
 * contiguous run of breaching datapoints that led to the alarm. MTTD (impact started → alarm) is
 * then what the metric shows, not period × datapoints to alarm.
 *
 * Where the datapoints come from, best first:
 * - `reason-data`: the datapoints CloudWatch evaluated, from the alarm's reason data (EventBridge
 *   events carry it; DescribeAlarms has it as StateReasonData while the alarm is in ALARM);
 * - `metric-data`: the alarm's metric read back with GetMetricData over a bounded look-back, when
 *   the reason data shows only breaching datapoints (the run may have begun before them);
 * - `estimated`: period × datapoints to alarm before the alarm, only when no datapoint is available.
 *
 * Pure: the caller reads the data; this module decides what it says.
 */

export const IMPACT_START_SOURCES = ['reason-data', 'metric-data', 'estimated'] as const;
export const ImpactStartSourceSchema = z.enum(IMPACT_START_SOURCES);
export type ImpactStartSource = z.infer<typeof ImpactStartSourceSchema>;

/** How each source is said where impact start is shown (postmortem, CLI views). */
export const IMPACT_START_SOURCE_WORDS: Readonly<Record<ImpactStartSource, string>> = {
  'reason-data': "first breaching datapoint, from the alarm's reason data",
  'metric-data': 'first breaching datapoint, from GetMetricData',
  estimated: 'estimated: period × datapoints to alarm before the alarm (no datapoints available)',
};

/** One datapoint of the alarm's evaluated series; `value` undefined: CloudWatch had no data for the period. */
export const MetricPointSchema = z.object({
  /** Start of the period (ISO-8601), as CloudWatch timestamps datapoints. */
  timestamp: z.iso.datetime({ offset: true }),
  value: z.number().optional(),
});
export type MetricPoint = z.infer<typeof MetricPointSchema>;

/** What an alarm's reason data says about the datapoints it evaluated, normalized (oldest first). */
export const EvaluatedDataSchema = z.object({
  periodSeconds: z.number().int().positive().optional(),
  threshold: z.number().optional(),
  /** ComparisonOperator, when the event says it (the reason text of an EventBridge event does). */
  comparison: z.string().optional(),
  datapoints: z.array(MetricPointSchema).max(100),
});
export type EvaluatedData = z.infer<typeof EvaluatedDataSchema>;

/** A metric or metric-math query of an alarm, SDK-free (the adapter maps it to GetMetricData's MetricDataQuery). */
export const AlarmQuerySchema = z.object({
  id: z.string().min(1),
  expression: z.string().optional(),
  metricStat: z
    .object({
      namespace: z.string(),
      metricName: z.string(),
      dimensions: z.array(z.object({ name: z.string(), value: z.string() })),
      period: z.number().int().positive(),
      /** Statistic ("Average") or extended statistic ("p99"). */
      stat: z.string(),
      unit: z.string().optional(),
    })
    .optional(),
  period: z.number().int().positive().optional(),
  /** The query whose values the alarm compares with its threshold. */
  returnData: z.boolean(),
  label: z.string().optional(),
  accountId: z.string().optional(),
});
export type AlarmQuery = z.infer<typeof AlarmQuerySchema>;

/** How a metric alarm decides a datapoint breaches, and which series it evaluates (DescribeAlarms). */
export const AlarmEvaluationSchema = z.object({
  comparison: z.string(),
  threshold: z.number().optional(),
  /** Anomaly-detection alarms compare with a band, not a threshold. */
  thresholdMetricId: z.string().optional(),
  /** A single-metric alarm as one MetricStat query, or a metric-math alarm's Metrics. */
  queries: z.array(AlarmQuerySchema).min(1),
});
export type AlarmEvaluation = z.infer<typeof AlarmEvaluationSchema>;

/** The series an alarm evaluates: the query whose values it compares with its threshold (not an anomaly band). */
export function evaluatedQuery(queries: readonly AlarmQuery[]): AlarmQuery | undefined {
  const returned = queries.filter((q) => q.returnData);
  if (returned.length === 1) return returned[0];
  return returned.find((q) => !/ANOMALY_DETECTION_BAND/i.test(q.expression ?? '')) ?? (queries.length === 1 ? queries[0] : undefined);
}

/** The comparison operators a datapoint can be judged by on its own (anomaly bands need the band's series). */
const STATIC_COMPARISONS: Readonly<Record<string, (value: number, threshold: number) => boolean>> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/** How a datapoint is judged: a static comparison with a threshold. */
export interface BreachRule {
  readonly comparison: string;
  readonly threshold: number;
}

/** Whether this rule can be judged datapoint by datapoint (static threshold, known operator). */
export const judgeable = (comparison: string | undefined, threshold: number | undefined): boolean =>
  comparison !== undefined && threshold !== undefined && comparison in STATIC_COMPARISONS;

/** True when `value` breaches; false for a missing value (a missing datapoint never counts as breaching here). */
export function breaches(rule: BreachRule, value: number | undefined): boolean {
  const compare = STATIC_COMPARISONS[rule.comparison];
  if (!compare) throw new RangeError(`comparison ${rule.comparison} cannot be judged per datapoint (static thresholds only)`);
  return value !== undefined && compare(value, rule.threshold);
}

/** The contiguous run of breaching datapoints that led to the alarm. */
export interface BreachingRun {
  /** Timestamp of the run's first datapoint: the start of the period impact began in. */
  readonly startedAt: string;
  /** Breaching datapoints in the run. */
  readonly datapoints: number;
  /**
   * True when a datapoint that does not breach (or a missing one) precedes the run inside the
   * data: the run is whole. False when the run reaches the start of the data: it may have begun earlier.
   */
  readonly complete: boolean;
}

export interface RunOptions {
  readonly rule: BreachRule;
  readonly periodSeconds: number;
  /** When the alarm entered ALARM: only datapoints of periods that had ended by then count (what the alarm could evaluate). */
  readonly alarmAt: string;
  /** The alarm's evaluation periods (N): the run must reach into the last N (+2 for late data) periods before the alarm. @default 1 */
  readonly evaluationPeriods?: number;
  /** From when the data is known to be complete (a missing period after it really had no data). @default the oldest datapoint */
  readonly coveredFrom?: string;
}

/**
 * Walks back from the alarm through the datapoints while they breach: the newest breaching
 * datapoint of the evaluation window anchors the run, each period before it that breaches extends
 * it, and the first one that does not breach, or is missing, ends it. Undefined when no datapoint of
 * the window breaches (the data does not show what the alarm saw).
 */
export function breachingRun(points: readonly MetricPoint[], options: RunOptions): BreachingRun | undefined {
  const periodMs = options.periodSeconds * 1000;
  const alarmMs = Date.parse(options.alarmAt);
  const byTime = new Map<number, number | undefined>();
  for (const p of points) {
    const t = Date.parse(p.timestamp);
    if (t + periodMs > alarmMs) continue;
    // Two reads of one period (reason data and GetMetricData) agree; a value beats a gap.
    if (!byTime.has(t) || byTime.get(t) === undefined) byTime.set(t, p.value);
  }
  if (byTime.size === 0) return undefined;
  const oldest = Math.min(...byTime.keys());
  const coveredFrom = options.coveredFrom !== undefined ? Math.min(Date.parse(options.coveredFrom), oldest) : oldest;
  const windowStart = alarmMs - (Math.max(1, options.evaluationPeriods ?? 1) + 2) * periodMs;
  const anchor = [...byTime.entries()]
    .filter(([t, v]) => t >= windowStart && breaches(options.rule, v))
    .map(([t]) => t)
    .sort((a, b) => b - a)[0];
  if (anchor === undefined) return undefined;
  let start = anchor;
  let count = 1;
  for (;;) {
    const previous = start - periodMs;
    if (previous < coveredFrom) return { startedAt: new Date(start).toISOString(), datapoints: count, complete: false };
    if (!breaches(options.rule, byTime.get(previous))) return { startedAt: new Date(start).toISOString(), datapoints: count, complete: true };
    start = previous;
    count += 1;
  }
}

/** Parts of CloudWatch's reason data (`state.reasonData`, StateReasonData) that carry datapoints. */
export interface ReasonDataPoints {
  readonly queryDate?: string;
  readonly startDate?: string;
  readonly period?: number;
  /** Values, oldest first, one per period from startDate; periods without data are left out. */
  readonly recentDatapoints?: readonly number[];
  /** The datapoints evaluated, newest first; a missing one has no value. Often only the newest. */
  readonly evaluatedDatapoints?: readonly { readonly timestamp: string; readonly value?: number }[];
}

const ReasonDataPointsSchema = z.object({
  queryDate: z.string().optional().catch(undefined),
  startDate: z.string().optional().catch(undefined),
  period: z.number().positive().optional().catch(undefined),
  recentDatapoints: z.array(z.number()).optional().catch(undefined),
  evaluatedDatapoints: z
    .array(z.object({ timestamp: z.string(), value: z.number().optional() }))
    .optional()
    .catch(undefined),
});

/**
 * The datapoints of a StateReasonData text (DescribeAlarms), oldest first; empty when it is not
 * JSON or carries none. CloudWatch writes its timestamps as `2026-11-23T03:09:00.000+0000`.
 */
export function parseReasonData(text: string | undefined): MetricPoint[] {
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  const parsed = ReasonDataPointsSchema.safeParse(json);
  return parsed.success ? reasonDataPoints(parsed.data) : [];
}

/** Most datapoints kept from reason data (the newest): a signal travels through the workflow and the incident item. */
export const MAX_EVALUATED_DATAPOINTS = 100;

/**
 * The datapoints reason data describes, oldest first. `evaluatedDatapoints` carry their timestamps;
 * `recentDatapoints` only values, which are placed at startDate + i × period only when that is
 * provably right: when the count fits the span exactly (to the newest evaluated datapoint, or, without
 * one, to the last period that ended before queryDate), since a period without data leaves no gap in
 * that list.
 */
export function reasonDataPoints(data: ReasonDataPoints): MetricPoint[] {
  const byTime = new Map<number, number | undefined>();
  for (const p of data.evaluatedDatapoints ?? []) {
    const t = Date.parse(p.timestamp);
    if (!Number.isNaN(t)) byTime.set(t, p.value);
  }
  const recent = data.recentDatapoints ?? [];
  const periodMs = (data.period ?? 0) * 1000;
  const start = data.startDate !== undefined ? Date.parse(data.startDate) : Number.NaN;
  if (recent.length > 0 && periodMs > 0 && !Number.isNaN(start)) {
    const last = start + (recent.length - 1) * periodMs;
    const newestEvaluated = byTime.size > 0 ? Math.max(...byTime.keys()) : undefined;
    const query = data.queryDate !== undefined ? Date.parse(data.queryDate) : Number.NaN;
    const fits = newestEvaluated !== undefined ? last === newestEvaluated : !Number.isNaN(query) && last + periodMs <= query && query < last + 2 * periodMs;
    if (fits) recent.forEach((value, i) => byTime.has(start + i * periodMs) || byTime.set(start + i * periodMs, value));
  }
  return [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .slice(-MAX_EVALUATED_DATAPOINTS)
    .map(([t, value]) => ({ timestamp: new Date(t).toISOString(), ...(value !== undefined ? { value } : {}) }));
}

/**
 * How far back GetMetricData looks for the start of a run: ten times the alarm's evaluation range,
 * at least an hour (a run longer than that is a slow burn, and one call of up to 1,440 datapoints
 * covers it), at most a day, and at most 3 hours for sub-minute periods (CloudWatch keeps
 * high-resolution data that long).
 */
export function lookbackSeconds(periodSeconds: number, evaluationPeriods: number | undefined): number {
  const wanted = Math.min(24 * 3600, Math.max(3600, 10 * periodSeconds * Math.max(1, evaluationPeriods ?? 1)));
  return periodSeconds < 60 ? Math.min(wanted, 3 * 3600) : wanted;
}

const hms = (iso: string): string => iso.slice(11, 19);

/** The timeline sentence for a measured or estimated impact start. */
export function impactStartMessage(input: {
  readonly at: string;
  readonly source: ImpactStartSource;
  readonly alarmName: string;
  readonly alarmAt: string;
  /** Breaching datapoints in the run, and whether it is whole (false: impact started at or before `at`). */
  readonly datapoints?: number;
  readonly complete?: boolean;
  readonly periodSeconds?: number;
  /** Why a better source was not used (GetMetricData failed, no datapoints...). */
  readonly because?: string;
}): string {
  const mttd = Math.max(0, Math.round((Date.parse(input.alarmAt) - Date.parse(input.at)) / 1000));
  const why = input.because ? `; ${input.because}` : '';
  if (input.source === 'estimated') {
    return `Impact start estimated at ${hms(input.at)} (${input.periodSeconds ?? '?'} s period × datapoints to alarm before ${input.alarmName} fired at ${hms(input.alarmAt)}, no datapoints measured${why}); MTTD ${mttd} s`;
  }
  const from = input.source === 'reason-data' ? "the alarm's reason data" : 'GetMetricData';
  const run = input.datapoints !== undefined ? `, ${input.datapoints} breaching datapoint${input.datapoints === 1 ? '' : 's'} of ${input.periodSeconds ?? '?'} s` : '';
  const atOrBefore = input.complete === false ? 'at or before ' : 'at ';
  const partial = input.complete === false ? ' (the run reaches the start of the data: it may have begun earlier)' : '';
  return `Impact started ${atOrBefore}${hms(input.at)} (first breaching datapoint of ${input.alarmName}, ${from}${run})${partial}${why}; MTTD ${mttd} s`;
}
