import * as z from 'zod';

import { reasonDataPoints } from './impact-start.js';
import { ALARM_STATES, type AlarmSignal, AlarmSignalSchema } from './signal.js';

/**
 * Alarm event parsing: every way a CloudWatch alarm can reach Tourniquet, reduced to
 * {@link AlarmSignal}s.
 *
 * Accepted inputs:
 * - EventBridge "CloudWatch Alarm State Change" events (single-metric, metric-math,
 *   anomaly-detection and composite alarms);
 * - a Lambda SNS event (`Records[].Sns.Message`), one signal per record;
 * - a bare SNS notification (`{ Type: "Notification", Message }`, as SQS or HTTPS subscribers get it);
 * - the classic alarm notification JSON itself (`AlarmName`, `NewStateValue`, `Trigger`...).
 * An SNS message may carry either the classic JSON or an EventBridge event (an EventBridge rule
 * can target a topic).
 *
 * The input comes from outside, so everything is checked before it is used:
 * - keys `__proto__`, `constructor` and `prototype` are refused anywhere, before any field is read;
 * - size limits: text input 256 KiB (the EventBridge and Step Functions payload limit), at most
 *   100 SNS records, alarm names 255 characters and ARNs 1,600 (the CloudWatch limits);
 * - identifiers that are too long are refused, because a shortened name would point at another
 *   alarm; the free-text state reason is instead cut to 4,096 characters and ends with a visible
 *   `[truncated: N characters in total]` marker, because losing the tail of an explanation must not
 *   cost us the incident.
 * Every refusal is an {@link AlarmEventInvalidError} whose message is one line: `<field path>: <problem>`.
 *
 * `source` in the signal names the payload format: `eventbridge` for the state-change event,
 * `sns` for the classic notification, whichever channel delivered it.
 */

/** Largest accepted text input in bytes: EventBridge events and Step Functions payloads stop at 256 KiB. */
export const MAX_EVENT_BYTES = 256 * 1024;
/** Most SNS records accepted in one Lambda event. */
export const MAX_RECORDS = 100;
/** Longest state reason kept; longer reasons are truncated with a visible marker. */
export const MAX_REASON_CHARS = 4096;

const MAX_ALARM_NAME_CHARS = 255;
const MAX_ARN_CHARS = 1600;
const MAX_REASON_DATA_CHARS = 64 * 1024;
const MAX_ALARM_RULE_CHARS = 10_240;
const MAX_CONDITION_CHARS = 1024;
const MAX_METRICS = 50;
const MAX_DIMENSIONS = 30;
/** A composite alarm rule can name at most 100 underlying alarms. */
const MAX_CHILDREN = 100;
const MAX_DEPTH = 32;
const MAX_NODES = 100_000;

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Thrown for any input that is not a usable alarm event. The message is a single line naming the field. */
export class AlarmEventInvalidError extends Error {
  override readonly name = 'AlarmEventInvalidError';
  /** Where the problem is, e.g. `detail.state.value` or `Records[1].Sns.Message`; `input` for the whole input. */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly problem: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    const line = oneLine(problem);
    super(`${path}: ${line}`, options);
    this.path = path;
    this.problem = line;
  }
}

// ---------------------------------------------------------------------------------------------
// Paths and value previews for messages

type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

function formatPath(path: readonly PathSegment[]): string {
  const first = path[0];
  // A path that starts with an index or a quoted key reads better anchored to the input.
  let out = first === undefined || typeof first === 'number' || !PLAIN_KEY.test(first) ? 'input' : '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    // Keys come from the input: anything unusual is quoted so the message stays one readable line.
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${preview(segment)}]`;
  }
  return out;
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

/** A short, single-line rendering of an input value for error messages. */
function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' || typeof value === 'number' ? `a ${typeof value}` : typeof value;
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function fail(path: readonly PathSegment[], problem: string, cause?: unknown): never {
  throw new AlarmEventInvalidError(formatPath(path), problem, cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------------------------------------
// Guard: plain JSON data, no prototype keys, bounded size

/**
 * Walks the whole value once before anything reads it: refuses prototype-pollution keys,
 * non-JSON values and inputs too deep or too large to be an alarm event.
 */
function assertSafeJson(root: unknown, base: readonly PathSegment[]): void {
  const stack: Array<{ value: unknown; path: readonly PathSegment[] }> = [{ value: root, path: base }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (++nodes > MAX_NODES) fail(base, `has more than ${MAX_NODES} values; an alarm event is far smaller`);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) fail(path, 'expected a finite number');
      continue;
    }
    if (typeof value !== 'object') fail(path, `expected JSON data, got ${describeType(value)}`);
    if (path.length - base.length >= MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(value)) {
      if (value.length > MAX_NODES) fail(path, `has ${value.length} items; an alarm event is far smaller`);
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      fail(path, `expected plain JSON data, got ${Object.prototype.toString.call(value).slice(8, -1)}`);
    }
    const keys = Object.keys(value);
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) fail([...path, key], `forbidden key "${key}" refused (prototype pollution guard)`);
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
}

function parseJsonText(text: string, path: readonly PathSegment[]): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const detail = error instanceof Error ? oneLine(error.message).slice(0, 160) : 'parse error';
    fail(path, `not valid JSON (${detail})`, error);
  }
  assertSafeJson(parsed, path);
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// zod: input shapes, with messages that name the problem in plain words

type Issue = z.core.$ZodRawIssue;

/** Messages for zod's built-in checks; schema-level messages (below) take precedence. */
function issueMessage(issue: Issue): string | undefined {
  const input = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? 'is required' : `expected ${withArticle(issue.expected)}, got ${describeType(input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => preview(v)).join(' or ')}, got ${preview(input)}`;
    case 'too_big':
      if (typeof input === 'string') return `is ${input.length} characters long, more than the limit of ${issue.maximum}`;
      if (Array.isArray(input)) return `has ${input.length} items, more than the limit of ${issue.maximum}`;
      return `must be at most ${issue.maximum}`;
    case 'too_small':
      if (typeof input === 'string' || Array.isArray(input)) {
        return Number(issue.minimum) <= 1 ? 'must not be empty' : `needs at least ${issue.minimum} items`;
      }
      return `must be at least ${issue.minimum}`;
    default:
      return undefined;
  }
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, base: readonly PathSegment[]): z.output<T> {
  const result = schema.safeParse(value, { error: issueMessage });
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  const path = [...base, ...first.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  return fail(path, first.message, result.error);
}

const alarmStateSchema = z.enum(ALARM_STATES, {
  error: (issue) => (issue.input === undefined ? 'is required' : `unknown alarm state ${preview(issue.input)} (expected OK, ALARM or INSUFFICIENT_DATA)`),
});

const timestampSchema = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const iso = toIsoTimestamp(text);
    if (iso === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a valid ISO-8601 timestamp: ${preview(text)}` });
      return z.NEVER;
    }
    return iso;
  });

const reasonSchema = z.string().transform(truncateReason);

const accountSchema = z.string().regex(/^\d{12}$/, { error: (issue) => `expected a 12-digit AWS account ID, got ${preview(issue.input)}` });

const regionSchema = z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, { error: (issue) => `expected an AWS region code, got ${preview(issue.input)}` });

const alarmNameSchema = z
  .string()
  .min(1)
  .max(MAX_ALARM_NAME_CHARS)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

/** arn:<partition>:cloudwatch:<region>:<account>:alarm:<name> */
const ALARM_ARN = /^arn:(aws[a-z-]*):cloudwatch:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):alarm:(.+)$/;

const alarmArnSchema = z
  .string()
  .max(MAX_ARN_CHARS)
  .regex(ALARM_ARN, {
    error: (issue) => `expected a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), got ${preview(issue.input)}`,
  });

const idSchema = z.string().min(1).max(255);
const periodSchema = z.number().int().positive();
const comparisonSchema = z.string().regex(/^[A-Za-z]{1,64}$/, 'expected a comparison operator name');

// EventBridge "CloudWatch Alarm State Change" ------------------------------------------------

const ebMetricQuerySchema = z
  .object({
    id: idSchema,
    metricStat: z
      .object({
        metric: z.object({
          namespace: z.string().min(1).max(255),
          name: z.string().min(1).max(255),
          dimensions: z
            .record(z.string().max(255), z.string().max(1024))
            .refine((d) => Object.keys(d).length <= MAX_DIMENSIONS, `has more than ${MAX_DIMENSIONS} dimensions`)
            .optional(),
        }),
        period: periodSchema,
        stat: z.string().min(1).max(64),
      })
      .optional(),
    expression: z.string().min(1).max(2048).optional(),
    label: z.string().max(1024).optional(),
    period: periodSchema.optional(),
    returnData: z.boolean().optional(),
  })
  .refine((q) => q.metricStat !== undefined || q.expression !== undefined, 'has neither metricStat nor expression');

const ebStateSchema = z.object({
  value: alarmStateSchema,
  reason: reasonSchema,
  reasonData: z.string().max(MAX_REASON_DATA_CHARS).optional(),
  timestamp: timestampSchema,
});

const EventBridgeAlarmEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  account: accountSchema,
  region: regionSchema,
  time: timestampSchema,
  resources: z.array(alarmArnSchema).min(1).max(10),
  detail: z.object({
    alarmName: alarmNameSchema,
    state: ebStateSchema,
    previousState: z.object({ value: alarmStateSchema }).optional(),
    configuration: z
      .object({
        metrics: z.array(ebMetricQuerySchema).min(1).max(MAX_METRICS).optional(),
        thresholdMetricId: idSchema.optional(),
        alarmRule: z.string().min(1).max(MAX_ALARM_RULE_CHARS).optional(),
      })
      .refine((c) => c.metrics !== undefined || c.alarmRule !== undefined, 'has neither metrics nor alarmRule'),
  }),
});

/**
 * `state.reasonData`: a JSON document inside a string. Only the fields we summarize are read. The
 * datapoint fields only help measure when impact started: a malformed one is dropped, never a reason
 * to refuse the alarm.
 */
const ReasonDataSchema = z.object({
  period: z.number().positive().optional(),
  threshold: z.number().optional(),
  queryDate: timestampSchema.optional().catch(undefined),
  startDate: timestampSchema.optional().catch(undefined),
  recentDatapoints: z.array(z.number()).max(MAX_NODES).optional().catch(undefined),
  evaluatedDatapoints: z
    .array(z.object({ timestamp: timestampSchema, value: z.number().optional() }))
    .max(MAX_NODES)
    .optional()
    .catch(undefined),
  triggeringAlarms: z
    .array(z.object({ arn: alarmArnSchema, state: z.object({ value: z.string().max(32) }).optional() }))
    .max(MAX_CHILDREN)
    .optional(),
});

// Classic alarm notification (SNS) ----------------------------------------------------------

const classicDimensionSchema = z
  .object({
    name: z.string().max(255).optional(),
    value: z.string().max(1024).optional(),
    Name: z.string().max(255).optional(),
    Value: z.string().max(1024).optional(),
  })
  .refine((d) => (d.name ?? d.Name) !== undefined && (d.value ?? d.Value) !== undefined, 'expected {"name", "value"}')
  .transform((d) => [d.name ?? d.Name ?? '', d.value ?? d.Value ?? ''] as const);

const classicDimensionsSchema = z.array(classicDimensionSchema).max(MAX_DIMENSIONS);

const classicMetricQuerySchema = z
  .object({
    Id: idSchema,
    Expression: z.string().min(1).max(2048).nullish(),
    Label: z.string().max(1024).nullish(),
    ReturnData: z.boolean().nullish(),
    Period: periodSchema.nullish(),
    MetricStat: z
      .object({
        Metric: z.object({
          Namespace: z.string().min(1).max(255),
          MetricName: z.string().min(1).max(255),
          Dimensions: classicDimensionsSchema.nullish(),
        }),
        Period: periodSchema,
        Stat: z.string().min(1).max(64),
      })
      .nullish(),
  })
  .refine((q) => q.MetricStat != null || q.Expression != null, 'has neither MetricStat nor Expression');

const classicTriggerSchema = z
  .object({
    MetricName: z.string().min(1).max(255).nullish(),
    Namespace: z.string().min(1).max(255).nullish(),
    StatisticType: z.string().max(32).nullish(),
    Statistic: z.string().max(64).nullish(),
    ExtendedStatistic: z.string().max(64).nullish(),
    Dimensions: classicDimensionsSchema.nullish(),
    Period: periodSchema.nullish(),
    EvaluationPeriods: periodSchema.nullish(),
    DatapointsToAlarm: periodSchema.nullish(),
    ComparisonOperator: comparisonSchema.nullish(),
    Threshold: z.number().nullish(),
    ThresholdMetricId: idSchema.nullish(),
    Metrics: z.array(classicMetricQuerySchema).min(1).max(MAX_METRICS).nullish(),
  })
  .superRefine((t, ctx) => {
    if (t.Metrics != null) return;
    for (const key of ['MetricName', 'Namespace'] as const) {
      if (t[key] == null) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required (or Metrics, for metric-math alarms)' });
        return;
      }
    }
  });

const classicChildSchema = z.union(
  [
    alarmArnSchema,
    z.object({
      Arn: alarmArnSchema,
      State: z.object({ Value: z.string().max(32).nullish() }).nullish(),
    }),
  ],
  { error: 'expected an alarm ARN or {"Arn", "State"}' },
);

const ClassicAlarmSchema = z
  .object({
    AlarmName: alarmNameSchema,
    AlarmArn: alarmArnSchema,
    AWSAccountId: accountSchema,
    NewStateValue: alarmStateSchema,
    OldStateValue: alarmStateSchema.nullish(),
    NewStateReason: reasonSchema,
    StateChangeTime: timestampSchema,
    Trigger: classicTriggerSchema.nullish(),
    AlarmRule: z.string().min(1).max(MAX_ALARM_RULE_CHARS).nullish(),
    TriggeringChildren: z.array(classicChildSchema).max(MAX_CHILDREN).nullish(),
  })
  .superRefine((a, ctx) => {
    if (a.Trigger == null && a.AlarmRule == null) {
      ctx.addIssue({ code: 'custom', path: ['Trigger'], message: 'is required (or AlarmRule, for composite alarms)' });
    }
  });

// SNS envelopes -------------------------------------------------------------------------------

const snsMessageSchema = z.string().min(1).max(MAX_EVENT_BYTES);

const SnsRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  Sns: z.object({ Type: z.literal('Notification').optional(), Message: snsMessageSchema }),
});

const SnsNotificationSchema = z.object({ Type: z.literal('Notification'), Message: snsMessageSchema });

// ---------------------------------------------------------------------------------------------
// Timestamps, reasons and summaries

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * CloudWatch writes `2019-10-02T17:04:40.989+0000` (no colon in the offset), which `Date` reads
 * but zod's ISO check does not: normalize every timestamp to UTC `...Z` with milliseconds.
 * Impossible dates (February 30th) are refused rather than rolled over.
 */
function toIsoTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone] = m;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const local = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}Z`);
  if (Number.isNaN(local.getTime()) || local.getUTCMonth() + 1 !== Number(month) || local.getUTCDate() !== Number(day) || local.getUTCHours() !== Number(hour)) {
    return undefined;
  }
  if (zone === 'Z') return local.toISOString();
  const sign = zone!.startsWith('-') ? -1 : 1;
  const digits = zone!.slice(1).replace(':', '');
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMinutes = Number(digits.slice(2));
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  return new Date(local.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000).toISOString();
}

function truncateReason(reason: string): string {
  if (reason.length <= MAX_REASON_CHARS) return reason;
  const marker = ` [truncated: ${reason.length} characters in total]`;
  return reason.slice(0, MAX_REASON_CHARS - marker.length) + marker;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** One metric or expression, whichever format it came from. */
interface Query {
  id: string;
  returnData: boolean;
  expression?: string;
  label?: string;
  period?: number;
  metric?: { namespace: string; name: string; dimensions: ReadonlyArray<readonly [string, string]>; stat: string; period: number };
}

const ANOMALY_BAND = /\bANOMALY_DETECTION_BAND\s*\(/i;

function describeQuery(query: Query): string {
  if (query.expression !== undefined) {
    const label = query.label ? ` (label: ${query.label})` : '';
    const period = query.period ? ` ${query.period}s` : '';
    return `${query.expression}${period}${label}`;
  }
  const m = query.metric!;
  const dims = m.dimensions.length > 0 ? ` (${m.dimensions.map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
  return `${m.namespace} ${m.name}${dims} ${m.stat} ${m.period}s`;
}

function kindOf(queries: readonly Query[], thresholdMetricId: string | undefined): AlarmSignal['kind'] {
  if (thresholdMetricId !== undefined || queries.some((q) => q.expression !== undefined && ANOMALY_BAND.test(q.expression))) {
    return 'anomaly-detection';
  }
  if (queries.length === 1 && queries[0]!.metric !== undefined) return 'metric';
  return 'metric-math';
}

/** The id of the anomaly band the alarm compares against, when there is one. */
function bandId(queries: readonly Query[], thresholdMetricId: string | undefined): string | undefined {
  return thresholdMetricId ?? queries.find((q) => q.expression !== undefined && ANOMALY_BAND.test(q.expression))?.id;
}

/** The period of the data the alarm evaluates: the returned query's, else the first known one. */
function evaluatedPeriod(queries: readonly Query[]): number | undefined {
  const periodOf = (q: Query) => q.metric?.period ?? q.period;
  const returned = queries.find((q) => q.returnData && periodOf(q) !== undefined && !ANOMALY_BAND.test(q.expression ?? ''));
  return returned ? periodOf(returned) : queries.map(periodOf).find((p) => p !== undefined);
}

interface ConditionParts {
  comparison?: string;
  threshold?: number;
  band?: string;
  datapoints?: number;
  evaluationPeriods?: number;
  period?: number;
}

/** "GreaterThanThreshold 5 for 3 of 3 x 60s"; "over 3 x 60s" when the datapoints to alarm are unknown. */
function formatCondition(parts: ConditionParts): string | undefined {
  const target = parts.band !== undefined ? `band ${parts.band}` : parts.threshold !== undefined ? String(parts.threshold) : undefined;
  const head = parts.comparison !== undefined ? [parts.comparison, target].filter(Boolean).join(' ') : target && `threshold ${target}`;
  const times = parts.period !== undefined ? ` x ${parts.period}s` : '';
  let evaluation: string | undefined;
  if (parts.evaluationPeriods !== undefined) {
    evaluation = parts.datapoints !== undefined ? `for ${parts.datapoints} of ${parts.evaluationPeriods}${times}` : `over ${parts.evaluationPeriods}${times}`;
  } else if (parts.period !== undefined) {
    evaluation = `per ${parts.period}s`;
  }
  const text = [head, evaluation].filter(Boolean).join(' ');
  return text === '' ? undefined : text;
}

const REASON_COMPARISONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/greater than or equal to the threshold/, 'GreaterThanOrEqualToThreshold'],
  [/less than or equal to the threshold/, 'LessThanOrEqualToThreshold'],
  [/greater than the threshold/, 'GreaterThanThreshold'],
  [/less than the threshold/, 'LessThanThreshold'],
];

/**
 * EventBridge events carry no threshold settings, but CloudWatch's reason text states them
 * ("3 out of the last 3 datapoints ... was greater than the threshold (5.0) (minimum 3 datapoints
 * for OK -> ALARM transition)"). Read what it says; anything it does not say stays unknown.
 */
function conditionFromReason(reason: string): Pick<ConditionParts, 'comparison' | 'datapoints' | 'evaluationPeriods'> {
  const parts: Pick<ConditionParts, 'comparison' | 'datapoints' | 'evaluationPeriods'> = {};
  const lower = /less than the lower thresholds?/.test(reason);
  const upper = /greater than the upper thresholds?/.test(reason);
  const comparison =
    lower && upper
      ? 'LessThanLowerOrGreaterThanUpperThreshold'
      : upper
        ? 'GreaterThanUpperThreshold'
        : lower
          ? 'LessThanLowerThreshold'
          : REASON_COMPARISONS.find(([pattern]) => pattern.test(reason))?.[1];
  if (comparison !== undefined) parts.comparison = comparison;
  const window = /(\d+) out of the last (\d+) datapoints?/.exec(reason);
  if (window) parts.evaluationPeriods = Number(window[2]);
  // Only the "-> ALARM" minimum is the alarm's DatapointsToAlarm; the "-> OK" one is not.
  const minimum = /minimum (\d+) datapoints? for \w+ -> ALARM transition/.exec(reason);
  if (minimum) parts.datapoints = Number(minimum[1]);
  return parts;
}

const STATISTIC_NAMES: Readonly<Record<string, string>> = {
  AVERAGE: 'Average',
  SUM: 'Sum',
  MINIMUM: 'Minimum',
  MAXIMUM: 'Maximum',
  SAMPLE_COUNT: 'SampleCount',
  SAMPLECOUNT: 'SampleCount',
};

function finish(signal: AlarmSignal, path: readonly PathSegment[]): AlarmSignal {
  const result = AlarmSignalSchema.safeParse(signal, { error: issueMessage });
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  return fail(path, `normalized signal is invalid at ${first.path.join('.') || 'top level'}: ${first.message}`, result.error);
}

function checkArnMatches(arn: string, alarmName: string, arnPath: readonly PathSegment[], namePath: string): { region: string; account: string } {
  const [, , region, account, name] = ALARM_ARN.exec(arn)!;
  if (name !== alarmName) fail(arnPath, `names alarm ${preview(name)} but ${namePath} is ${preview(alarmName)}`);
  return { region: region!, account: account! };
}

// ---------------------------------------------------------------------------------------------
// Formats

function fromEventBridge(raw: unknown, path: readonly PathSegment[]): AlarmSignal {
  const event = parseWith(EventBridgeAlarmEventSchema, raw, path);
  const { detail } = event;
  const alarmArn = event.resources[0]!;
  checkArnMatches(alarmArn, detail.alarmName, [...path, 'resources', 0], 'detail.alarmName');

  const reasonDataPath = [...path, 'detail', 'state', 'reasonData'];
  const reasonData =
    detail.state.reasonData !== undefined && detail.state.reasonData.trim() !== ''
      ? parseWith(ReasonDataSchema, parseJsonText(detail.state.reasonData, reasonDataPath), reasonDataPath)
      : {};

  const base = {
    source: 'eventbridge' as const,
    alarmName: detail.alarmName,
    alarmArn,
    account: event.account,
    region: event.region,
    state: detail.state.value,
    ...(detail.previousState ? { previousState: detail.previousState.value } : {}),
    stateChangeTime: detail.state.timestamp,
    reason: detail.state.reason,
  };

  const { configuration } = detail;
  if (configuration.alarmRule !== undefined) {
    return finish(
      {
        ...base,
        kind: 'composite',
        metrics: [],
        condition: clip(configuration.alarmRule, MAX_CONDITION_CHARS),
        triggeringChildren: (reasonData.triggeringAlarms ?? []).map((child) => ({
          arn: child.arn,
          ...(child.state ? { state: child.state.value } : {}),
        })),
      },
      path,
    );
  }

  const single = configuration.metrics!.length === 1;
  const queries: Query[] = configuration.metrics!.map((q) => ({
    // A single-metric alarm's query id is generated noise (a UUID); "m1" reads better and is stable.
    id: single && q.metricStat && q.expression === undefined ? 'm1' : q.id,
    returnData: q.returnData ?? true,
    ...(q.expression !== undefined ? { expression: q.expression } : {}),
    ...(q.label ? { label: q.label } : {}),
    ...(q.period !== undefined ? { period: q.period } : {}),
    ...(q.metricStat
      ? {
          metric: {
            namespace: q.metricStat.metric.namespace,
            name: q.metricStat.metric.name,
            dimensions: Object.entries(q.metricStat.metric.dimensions ?? {}),
            stat: q.metricStat.stat,
            period: q.metricStat.period,
          },
        }
      : {}),
  }));
  const kind = kindOf(queries, configuration.thresholdMetricId);
  const band = kind === 'anomaly-detection' ? bandId(queries, configuration.thresholdMetricId) : undefined;
  const period = reasonData.period ?? evaluatedPeriod(queries);
  const fromReason = conditionFromReason(detail.state.reason);
  const condition = formatCondition({
    ...fromReason,
    ...(band !== undefined ? { band } : reasonData.threshold !== undefined ? { threshold: reasonData.threshold } : {}),
    ...(period !== undefined ? { period } : {}),
  });
  const datapoints = reasonDataPoints(reasonData);
  const evaluated =
    datapoints.length > 0
      ? {
          ...(period !== undefined && Number.isInteger(period) ? { periodSeconds: period } : {}),
          ...(band === undefined && reasonData.threshold !== undefined ? { threshold: reasonData.threshold } : {}),
          ...(fromReason.comparison !== undefined ? { comparison: fromReason.comparison } : {}),
          datapoints,
        }
      : undefined;
  return finish(
    {
      ...base,
      kind,
      metrics: queries.map((q) => ({ id: q.id, description: describeQuery(q), returnData: q.returnData })),
      ...(condition !== undefined ? { condition } : {}),
      ...(evaluated ? { evaluated } : {}),
    },
    path,
  );
}

function fromClassic(raw: unknown, path: readonly PathSegment[]): AlarmSignal {
  const alarm = parseWith(ClassicAlarmSchema, raw, path);
  // The notification's Region is a display name ("US East (N. Virginia)"): the ARN has the code.
  const { region, account } = checkArnMatches(alarm.AlarmArn, alarm.AlarmName, [...path, 'AlarmArn'], 'AlarmName');
  if (account !== alarm.AWSAccountId) {
    fail([...path, 'AlarmArn'], `is in account ${account} but AWSAccountId is ${alarm.AWSAccountId}`);
  }

  const base = {
    source: 'sns' as const,
    alarmName: alarm.AlarmName,
    alarmArn: alarm.AlarmArn,
    account,
    region,
    state: alarm.NewStateValue,
    ...(alarm.OldStateValue != null ? { previousState: alarm.OldStateValue } : {}),
    stateChangeTime: alarm.StateChangeTime,
    reason: alarm.NewStateReason,
  };

  if (alarm.AlarmRule != null) {
    return finish(
      {
        ...base,
        kind: 'composite',
        metrics: [],
        condition: clip(alarm.AlarmRule, MAX_CONDITION_CHARS),
        triggeringChildren: (alarm.TriggeringChildren ?? []).map((child) =>
          typeof child === 'string' ? { arn: child } : { arn: child.Arn, ...(child.State?.Value != null ? { state: child.State.Value } : {}) },
        ),
      },
      path,
    );
  }

  const trigger = alarm.Trigger!;
  let queries: Query[];
  if (trigger.Metrics != null) {
    queries = trigger.Metrics.map((q) => ({
      id: q.Id,
      returnData: q.ReturnData ?? true,
      ...(q.Expression != null ? { expression: q.Expression } : {}),
      ...(q.Label ? { label: q.Label } : {}),
      ...(q.Period != null ? { period: q.Period } : {}),
      ...(q.MetricStat != null
        ? {
            metric: {
              namespace: q.MetricStat.Metric.Namespace,
              name: q.MetricStat.Metric.MetricName,
              dimensions: q.MetricStat.Metric.Dimensions ?? [],
              stat: q.MetricStat.Stat,
              period: q.MetricStat.Period,
            },
          }
        : {}),
    }));
  } else {
    if (trigger.Period == null) fail([...path, 'Trigger', 'Period'], 'is required');
    const extended = trigger.StatisticType === 'ExtendedStatistic' || trigger.Statistic == null;
    const stat = extended ? trigger.ExtendedStatistic : trigger.Statistic;
    if (stat == null || stat === '') {
      fail([...path, 'Trigger', extended ? 'ExtendedStatistic' : 'Statistic'], 'is required');
    }
    queries = [
      {
        id: 'm1',
        returnData: true,
        metric: {
          namespace: trigger.Namespace!,
          name: trigger.MetricName!,
          dimensions: trigger.Dimensions ?? [],
          // Notifications spell statistics in capitals ("AVERAGE"); the API and the console do not.
          stat: STATISTIC_NAMES[stat.toUpperCase()] ?? stat,
          period: trigger.Period,
        },
      },
    ];
  }

  const thresholdMetricId = trigger.ThresholdMetricId ?? undefined;
  const kind = kindOf(queries, thresholdMetricId);
  const band = kind === 'anomaly-detection' ? bandId(queries, thresholdMetricId) : undefined;
  const evaluationPeriods = trigger.EvaluationPeriods ?? undefined;
  const period = trigger.Period ?? evaluatedPeriod(queries);
  const condition = formatCondition({
    ...(trigger.ComparisonOperator != null ? { comparison: trigger.ComparisonOperator } : {}),
    ...(band !== undefined ? { band } : trigger.Threshold != null ? { threshold: trigger.Threshold } : {}),
    ...(evaluationPeriods !== undefined ? { evaluationPeriods, datapoints: trigger.DatapointsToAlarm ?? evaluationPeriods } : {}),
    ...(period !== undefined ? { period } : {}),
  });
  return finish(
    {
      ...base,
      kind,
      metrics: queries.map((q) => ({ id: q.id, description: describeQuery(q), returnData: q.returnData })),
      ...(condition !== undefined ? { condition } : {}),
    },
    path,
  );
}

function asObject(value: unknown, path: readonly PathSegment[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(path, `expected a JSON object, got ${describeType(value)}`);
  }
  return value as Record<string, unknown>;
}

const has = (obj: Record<string, unknown>, key: string): boolean => Object.hasOwn(obj, key);

/** An alarm payload: the EventBridge event or the classic notification JSON. */
function fromAlarmPayload(value: unknown, path: readonly PathSegment[]): AlarmSignal | undefined {
  const obj = asObject(value, path);
  if (has(obj, 'detail-type') || has(obj, 'detail') || has(obj, 'source')) return fromEventBridge(obj, path);
  if (has(obj, 'AlarmName') || has(obj, 'AlarmArn') || has(obj, 'NewStateValue')) return fromClassic(obj, path);
  return undefined;
}

function fromSnsMessage(message: string, path: readonly PathSegment[]): AlarmSignal {
  const signal = fromAlarmPayload(parseJsonText(message, path), path);
  if (signal === undefined) {
    fail(path, 'not a CloudWatch alarm notification (expected AlarmName, NewStateValue... or an EventBridge alarm event)');
  }
  return signal;
}

/**
 * Normalizes an alarm event (already JSON-parsed) to signals: one for an EventBridge event, a bare
 * SNS notification or a classic alarm JSON; one per record for a Lambda SNS event.
 *
 * @throws AlarmEventInvalidError when the input is not a usable alarm event; nothing is returned partially.
 */
export function parseAlarmEvent(raw: unknown): AlarmSignal[] {
  assertSafeJson(raw, []);
  const obj = asObject(raw, []);

  if (has(obj, 'Records')) {
    const records = obj['Records'];
    if (Array.isArray(records) && records.length > MAX_RECORDS) {
      fail(['Records'], `has ${records.length} records, more than the limit of ${MAX_RECORDS}`);
    }
    const { Records } = parseWith(z.object({ Records: z.array(z.unknown()).min(1) }), obj, []);
    return Records.map((record, i) => {
      const { Sns } = parseWith(SnsRecordSchema, record, ['Records', i]);
      return fromSnsMessage(Sns.Message, ['Records', i, 'Sns', 'Message']);
    });
  }

  if (has(obj, 'Type') && has(obj, 'Message')) {
    const notification = parseWith(SnsNotificationSchema, obj, []);
    return [fromSnsMessage(notification.Message, ['Message'])];
  }

  const signal = fromAlarmPayload(obj, []);
  if (signal === undefined) {
    fail([], 'not a recognised alarm event (expected an EventBridge "CloudWatch Alarm State Change" event, ' + 'an SNS event or notification, or a CloudWatch alarm notification)');
  }
  return [signal];
}

/**
 * Like {@link parseAlarmEvent}, from text: refuses input over {@link MAX_EVENT_BYTES} and text that
 * is not JSON with the same error class.
 *
 * @throws AlarmEventInvalidError
 */
export function parseAlarmEventText(text: string): AlarmSignal[] {
  if (typeof text !== 'string') fail([], `expected text, got ${describeType(text)}`);
  const limit = `more than the ${MAX_EVENT_BYTES}-byte limit of an alarm event`;
  // UTF-8 never takes fewer bytes than UTF-16 code units: the cheap length check spares encoding huge input.
  if (text.length > MAX_EVENT_BYTES) fail([], `is ${limit}`);
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_EVENT_BYTES) fail([], `is ${bytes} bytes, ${limit}`);
  if (text.trim() === '') fail([], 'is empty');
  return parseAlarmEvent(parseJsonText(text, []));
}
