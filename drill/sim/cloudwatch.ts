import {
  type AlarmHistoryItem,
  type AlarmType,
  type ComparisonOperator,
  type CompositeAlarm,
  type DescribeAlarmHistoryCommandInput,
  type DescribeAlarmHistoryCommandOutput,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  InvalidNextToken,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  type MetricAlarm,
  type MetricDataResult,
  type StandardUnit,
  type Statistic,
} from '@aws-sdk/client-cloudwatch';

import { type AlarmRule, evaluateAlarmRule, findRuleCycle, parseAlarmRule, ruleAlarmNames } from './alarm-rule.js';
import type { VirtualClock } from './clock.js';
import type { HealthModel } from './health.js';
import { SIM_ACCOUNT, SIM_REGION, stableUuid } from './ids.js';
import { type CommandHandler, decodeToken, errorMetadata, type Out, paginate, type SimService } from './wire.js';

/**
 * Simulated CloudWatch metric and composite alarms over the health model. Each period bucket of
 * a metric alarm gets one datapoint (the time-weighted mean error rate, sampled
 * deterministically); the alarm is ALARM when at least M of its last N complete buckets breach,
 * otherwise OK, and it is evaluated at every bucket boundary. A composite alarm evaluates its
 * rule at each instant one of its children changes state. Because the model is a pure function
 * of the simulated state and the clock, the drill can ask when the next transition will happen
 * instead of waiting for it.
 */

/** Comparison operators the simulation evaluates (the static-threshold ones). */
export type SimComparisonOperator = Extract<ComparisonOperator, 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold'>;

/** A metric alarm on one service's error-rate metric. */
export interface AlarmSpec {
  readonly name: string;
  readonly description?: string;
  /** The health-model service whose error rate the metric reports. */
  readonly service: string;
  readonly threshold: number;
  readonly comparisonOperator: SimComparisonOperator;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: Statistic;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit?: StandardUnit;
}

/** A composite alarm: a rule in CloudWatch's rule language over the account's other alarms. */
export interface CompositeAlarmSpec {
  readonly name: string;
  /** AlarmRule, e.g. `ALARM("checkout-5xx-rate") OR ALARM("checkout-p99-latency")`. */
  readonly rule: string;
  readonly description?: string;
}

/** The alarm states the simulation produces (it never reports INSUFFICIENT_DATA). */
export type SimAlarmState = 'OK' | 'ALARM';

/** One datapoint of an alarm's metric. */
export interface Datapoint {
  /** Start of the period bucket. */
  readonly timestamp: Date;
  readonly value: number;
  readonly sampleCount: number;
}

/** An alarm state with the evaluation that produced it. */
export interface AlarmStateRecord {
  readonly state: SimAlarmState;
  /** When the alarm entered this state. */
  readonly timestamp: Date;
  readonly reason: string;
  /** JSON, as CloudWatch's StateReasonData. */
  readonly reasonData: string;
}

interface EventState {
  value: SimAlarmState;
  reason: string;
  reasonData: string;
  timestamp: string;
}

interface StateChangeEnvelope<Configuration> {
  version: '0';
  id: string;
  'detail-type': 'CloudWatch Alarm State Change';
  source: 'aws.cloudwatch';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { alarmName: string; state: EventState; previousState: EventState; configuration: Configuration };
}

/** The EventBridge "CloudWatch Alarm State Change" event of a single-metric alarm. */
export type MetricAlarmStateChangeEvent = StateChangeEnvelope<{
  description?: string;
  metrics: {
    id: string;
    metricStat: { metric: { namespace: string; name: string; dimensions: Record<string, string> }; period: number; stat: string };
    returnData: true;
  }[];
}>;

/** The same event for a composite alarm: the rule instead of metrics, triggering children in `reasonData`. */
export type CompositeAlarmStateChangeEvent = StateChangeEnvelope<{ description?: string; alarmRule: string }>;

/** The EventBridge "CloudWatch Alarm State Change" event of a simulated alarm. */
export type AlarmStateChangeEvent = MetricAlarmStateChangeEvent | CompositeAlarmStateChangeEvent;

/** Options for {@link SimCloudWatch}. */
export interface SimCloudWatchOptions {
  readonly clock: VirtualClock;
  readonly health: Pick<HealthModel, 'errorRate'>;
  readonly alarms: readonly AlarmSpec[];
  /** Composite alarms over `alarms` (and each other). Default none. */
  readonly compositeAlarms?: readonly CompositeAlarmSpec[];
  /** When the alarms were created: metric alarms start OK at this instant. */
  readonly createdAt: Date;
  /** The account and region the alarms live in (ARNs, state-change events). @default SIM_ACCOUNT in SIM_REGION */
  readonly location?: { readonly account: string; readonly region: string };
  /**
   * Metrics other simulated services publish (Aurora's AuroraReplicaLag), answered by GetMetricData:
   * the value at an instant, or undefined where there is no datapoint. Default: none.
   */
  readonly metrics?: (query: { namespace: string; metricName: string; dimensions: Readonly<Record<string, string>>; at: Date }) => number | undefined;
}

/** Plain-JSON view of the alarms, for snapshots (composites carry their `rule`). */
export interface CloudWatchSnapshot {
  alarms: {
    name: string;
    rule?: string;
    state: SimAlarmState;
    stateUpdatedAt: string;
    reason: string;
    transitions: { at: string; from: SimAlarmState; to: SimAlarmState }[];
  }[];
}

/** Raised when the drill asks for something the alarm never did. */
export class AlarmQueryError extends Error {
  override readonly name = 'AlarmQueryError';
}

/** Samples per bucket: changes happen on whole seconds, so sampling mid-second is exact for them. */
const MAX_SAMPLES = 60;
/** How far {@link SimCloudWatch.nextTransition} looks ahead by default. */
const DEFAULT_HORIZON_SECONDS = 24 * 3600;
/** PutCompositeAlarm: a rule can name at most 100 alarms. */
const MAX_RULE_CHILDREN = 100;

const OPERATOR_WORDS: Record<SimComparisonOperator, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** Returns the transitions not yet returned, up to and including `untilMs`. */
type Cursor = (untilMs: number) => AlarmStateRecord[];

interface CompositeEntry {
  readonly spec: CompositeAlarmSpec;
  readonly rule: AlarmRule;
  /** The alarms the rule names, each once. */
  readonly children: readonly string[];
}

/**
 * The settled part of an alarm's history: every transition at or before `until` is in
 * `records`, and since the buckets behind them are complete, none of it can change again.
 */
interface Settled {
  readonly records: AlarmStateRecord[];
  until: number;
}

/** Simulated CloudWatch alarms. */
export class SimCloudWatch implements SimService {
  readonly service = 'cloudwatch' as const;
  readonly #clock: VirtualClock;
  readonly #location: { readonly account: string; readonly region: string };
  readonly #health: Pick<HealthModel, 'errorRate'>;
  readonly #alarms: ReadonlyMap<string, AlarmSpec>;
  readonly #composites: ReadonlyMap<string, CompositeEntry>;
  /** Composite names, children before parents: the order their transitions at one instant happen in. */
  readonly #compositeOrder: readonly string[];
  readonly #createdAt: number;
  readonly #metrics: SimCloudWatchOptions['metrics'];
  /** Per metric alarm, datapoints of buckets that had ended when computed (bucket start → datapoint). */
  readonly #points = new Map<string, Map<number, Datapoint>>();
  readonly #settled = new Map<string, Settled>();

  constructor(options: SimCloudWatchOptions) {
    this.#location = options.location ?? { account: SIM_ACCOUNT, region: SIM_REGION };
    this.#clock = options.clock;
    this.#health = options.health;
    this.#alarms = new Map(options.alarms.map((a) => [a.name, a]));
    this.#createdAt = options.createdAt.getTime();
    this.#metrics = options.metrics;
    for (const a of options.alarms) {
      if (a.datapointsToAlarm < 1 || a.datapointsToAlarm > a.evaluationPeriods) {
        throw new RangeError(`alarm ${a.name}: datapointsToAlarm must be between 1 and evaluationPeriods`);
      }
      if (a.periodSeconds < 1 || !Number.isInteger(a.periodSeconds)) throw new RangeError(`alarm ${a.name}: periodSeconds must be a positive integer`);
    }
    const composites = new Map<string, CompositeEntry>();
    for (const spec of options.compositeAlarms ?? []) {
      if (this.#alarms.has(spec.name) || composites.has(spec.name)) throw new RangeError(`composite alarm ${spec.name}: an alarm with this name already exists`);
      let rule: AlarmRule;
      try {
        rule = parseAlarmRule(spec.rule);
      } catch (cause) {
        throw new RangeError(`composite alarm ${spec.name}: ${(cause as Error).message}`, { cause });
      }
      const children = ruleAlarmNames(rule);
      if (children.length > MAX_RULE_CHILDREN) throw new RangeError(`composite alarm ${spec.name}: the rule names ${children.length} alarms (at most ${MAX_RULE_CHILDREN})`);
      composites.set(spec.name, { spec, rule, children });
    }
    for (const [name, c] of composites) {
      const missing = c.children.filter((child) => !this.#alarms.has(child) && !composites.has(child));
      if (missing.length > 0) throw new RangeError(`composite alarm ${name}: its rule names alarms that do not exist: ${missing.join(', ')}`);
    }
    const cycle = findRuleCycle(new Map([...composites].map(([name, c]) => [name, c.children])));
    if (cycle) throw new RangeError(`composite alarms form a cycle: ${cycle.join(' → ')}`);
    this.#composites = composites;
    this.#compositeOrder = dependencyOrder(composites);
  }

  /** The ARN of an alarm. */
  static alarmArn(name: string, location: { readonly account: string; readonly region: string } = { account: SIM_ACCOUNT, region: SIM_REGION }): string {
    return `arn:aws:cloudwatch:${location.region}:${location.account}:alarm:${name}`;
  }

  /** The ARN of one of this account's alarms. */
  arnOf(name: string): string {
    return SimCloudWatch.alarmArn(name, this.#location);
  }

  // ---- drill helpers ----

  /**
   * Every alarm of the account: metric alarms in declaration order, then composite alarms with
   * children before parents (the order in which transitions at one instant are emitted).
   */
  alarmNames(): string[] {
    return [...this.#alarms.keys(), ...this.#compositeOrder];
  }

  /** Whether `alarmName` is a metric or a composite alarm. */
  alarmType(alarmName: string): AlarmType {
    this.#require(alarmName);
    return this.#composites.has(alarmName) ? 'CompositeAlarm' : 'MetricAlarm';
  }

  /** The alarm's state at `at` (metric alarms: computed from creation, period by period). */
  stateAt(alarmName: string, at: Date): AlarmStateRecord {
    this.#require(alarmName);
    return this.#stateAt(alarmName, at.getTime());
  }

  /**
   * The first instant strictly after `after` at which the alarm enters `toState`, assuming the
   * simulated state does not change in between; undefined if it does not within the horizon.
   */
  nextTransition(alarmName: string, toState: SimAlarmState, after: Date, horizonSeconds = DEFAULT_HORIZON_SECONDS): Date | undefined {
    this.#require(alarmName);
    const end = after.getTime() + horizonSeconds * 1000;
    const take = this.#cursor(alarmName, after.getTime());
    // Growing windows: a composite need not scan a quiet child to the horizon when it changes soon.
    for (let from = after.getTime(), window = 15 * 60_000; from < end; from += window, window *= 2) {
      const found = take(Math.min(end, from + window)).find((r) => r.state === toState);
      if (found) return new Date(found.timestamp);
    }
    return undefined;
  }

  /** The EventBridge event CloudWatch emits for the transition that happened exactly at `at`. */
  stateChangeEvent(alarmName: string, at: Date): AlarmStateChangeEvent {
    this.#require(alarmName);
    const history = this.#history(alarmName, at.getTime());
    const index = history.length - 1;
    if (index < 1 || history[index]!.timestamp.getTime() !== at.getTime()) {
      const changes = history.slice(1).map((h) => `${h.timestamp.toISOString()} → ${h.state}`);
      throw new AlarmQueryError(`alarm ${alarmName} did not change state at ${at.toISOString()} (transitions so far: ${changes.join(', ') || 'none'})`);
    }
    const state = history[index]!;
    const previous = history[index - 1]!;
    const envelope = {
      version: '0' as const,
      id: stableUuid(`event/${alarmName}/${state.timestamp.toISOString()}`),
      'detail-type': 'CloudWatch Alarm State Change' as const,
      source: 'aws.cloudwatch' as const,
      account: this.#location.account,
      time: state.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.#location.region,
      resources: [this.arnOf(alarmName)],
    };
    const composite = this.#composites.get(alarmName);
    if (composite) {
      const { description } = composite.spec;
      return {
        ...envelope,
        detail: {
          alarmName,
          state: eventState(state),
          previousState: eventState(previous),
          configuration: { ...(description !== undefined ? { description } : {}), alarmRule: composite.spec.rule },
        },
      };
    }
    const alarm = this.#alarms.get(alarmName)!;
    const dimensionList = Object.keys(alarm.dimensions).sort();
    return {
      ...envelope,
      detail: {
        alarmName: alarm.name,
        state: eventState(state),
        previousState: eventState(previous),
        configuration: {
          ...(alarm.description !== undefined ? { description: alarm.description } : {}),
          metrics: [
            {
              id: stableUuid(`metric/${alarm.name}`),
              metricStat: {
                metric: {
                  namespace: alarm.namespace,
                  name: alarm.metricName,
                  dimensions: Object.fromEntries(dimensionList.map((k) => [k, alarm.dimensions[k]!])),
                },
                period: alarm.periodSeconds,
                stat: alarm.statistic,
              },
              returnData: true,
            },
          ],
        },
      },
    };
  }

  /** The alarm metric's datapoints for the buckets starting in [from, to). */
  datapoints(alarmName: string, from: Date, to: Date): Datapoint[] {
    const alarm = this.#requireMetric(alarmName);
    const p = alarm.periodSeconds * 1000;
    const out: Datapoint[] = [];
    for (let start = Math.ceil(from.getTime() / p) * p; start < to.getTime(); start += p) out.push(this.#datapoint(alarm, start));
    return out;
  }

  // ---- AWS API ----

  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      DescribeAlarms: (i: DescribeAlarmsCommandInput) => this.describeAlarms(i),
      DescribeAlarmHistory: (i: DescribeAlarmHistoryCommandInput) => this.describeAlarmHistory(i),
      GetMetricData: (i: GetMetricDataCommandInput) => this.getMetricData(i),
    };
  }

  /**
   * GetMetricData for MetricStat queries: one datapoint per complete period in [StartTime, EndTime),
   * newest first unless ScanBy says otherwise. An alarm's own metric (same namespace, name and
   * dimensions) at the alarm's period and statistic answers exactly the datapoints the alarm evaluated;
   * at another period or statistic, or for the metrics other services publish (`metrics` option), the
   * statistic over samples every 10 s (or per second for shorter periods). Metric math is refused.
   */
  getMetricData(input: GetMetricDataCommandInput): Out<GetMetricDataCommandOutput> {
    if (!(input.StartTime instanceof Date) || !(input.EndTime instanceof Date)) invalidValue('StartTime and EndTime are required.');
    const start = input.StartTime.getTime();
    const end = Math.min(input.EndTime.getTime(), this.#clock.nowMs());
    const results: MetricDataResult[] = [];
    for (const q of input.MetricDataQueries ?? []) {
      const stat = q.MetricStat;
      const namespace = stat?.Metric?.Namespace;
      const metricName = stat?.Metric?.MetricName;
      if (!stat?.Metric || namespace === undefined || metricName === undefined)
        return invalidValue(`query ${q.Id}: the simulation answers MetricStat queries only (no Expression)`);
      const { Metric, Period, Stat } = stat;
      if (!Period || Period < 1 || (Period >= 60 && Period % 60 !== 0)) invalidValue(`query ${q.Id}: Period must be 1, 5, 10, 30 or a multiple of 60.`);
      const dimensions = Object.fromEntries((Metric.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
      const step = Math.min(10, Period) * 1000;
      const timestamps: Date[] = [];
      const values: number[] = [];
      const alarms = this.#alarmsOfMetric(namespace, metricName, dimensions);
      const same = alarms.find((a) => a.periodSeconds === Period && a.statistic === (Stat ?? 'Average'));
      const sample = (t: number): number | undefined =>
        alarms[0] ? this.#health.errorRate(alarms[0].service, new Date(t)) : this.#metrics?.({ namespace, metricName, dimensions, at: new Date(t) });
      for (let bucket = Math.ceil(start / (Period * 1000)) * Period * 1000; bucket + Period * 1000 <= end; bucket += Period * 1000) {
        if (same) {
          timestamps.push(new Date(bucket));
          values.push(this.#datapoint(same, bucket).value);
          continue;
        }
        const samples: number[] = [];
        for (let t = bucket; t < bucket + Period * 1000; t += step) {
          const v = sample(t);
          if (v !== undefined) samples.push(v);
        }
        if (samples.length === 0) continue;
        timestamps.push(new Date(bucket));
        values.push(round(statistic(Stat ?? 'Average', samples)));
      }
      if (input.ScanBy !== 'TimestampAscending') {
        timestamps.reverse();
        values.reverse();
      }
      if (q.ReturnData !== false) results.push({ Id: q.Id, Label: metricName, Timestamps: timestamps, Values: values, StatusCode: 'Complete' });
    }
    return { MetricDataResults: results, Messages: [] };
  }

  /** The metric alarms whose metric is this one (same namespace, name and dimensions). */
  #alarmsOfMetric(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): AlarmSpec[] {
    const key = (d: Readonly<Record<string, string>>) => JSON.stringify(Object.entries(d).sort(([a], [b]) => byName(a, b)));
    return [...this.#alarms.values()].filter((a) => a.namespace === namespace && a.metricName === metricName && key(a.dimensions) === key(dimensions));
  }

  describeAlarms(input: DescribeAlarmsCommandInput): Out<DescribeAlarmsCommandOutput> {
    if (input.AlarmNames?.length && input.AlarmNamePrefix !== undefined) {
      throw new InvalidParameterCombinationException({ message: 'AlarmNames and AlarmNamePrefix cannot be used together.', $metadata: errorMetadata(400) });
    }
    if ((input.AlarmNames?.length ?? 0) > 100) invalidValue('AlarmNames can contain at most 100 names.');
    const max = input.MaxRecords ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 100) invalidValue('MaxRecords must be between 1 and 100.');
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw new InvalidNextToken({ message: 'The service cannot find the specified token.', $metadata: errorMetadata(400) });
    const now = this.#clock.nowMs();
    type Found = { kind: 'metric'; alarm: MetricAlarm } | { kind: 'composite'; alarm: CompositeAlarm };
    let found: Found[];

    const relation = input.ChildrenOfAlarmName !== undefined ? 'ChildrenOfAlarmName' : input.ParentsOfAlarmName !== undefined ? 'ParentsOfAlarmName' : undefined;
    if (relation !== undefined) {
      const others = Object.entries(input).filter(([k, v]) => v !== undefined && !['MaxRecords', 'NextToken', relation].includes(k) && !(Array.isArray(v) && v.length === 0));
      if (others.length > 0) {
        throw new InvalidParameterCombinationException({
          message: `${relation} cannot be combined with other parameters than MaxRecords and NextToken (got ${others.map(([k]) => k).join(', ')}).`,
          $metadata: errorMetadata(400),
        });
      }
      // Related alarms come back with their name, ARN and (children only) state: the documented short form.
      const short = (name: string): Found => {
        const base = { AlarmName: name, AlarmArn: this.arnOf(name) };
        const full = relation === 'ChildrenOfAlarmName' ? { ...base, ...this.#shortState(name, now) } : base;
        return this.#composites.has(name) ? { kind: 'composite', alarm: full } : { kind: 'metric', alarm: full };
      };
      const names =
        relation === 'ChildrenOfAlarmName'
          ? (this.#composites.get(input.ChildrenOfAlarmName!)?.children ?? [])
          : [...this.#composites.values()].filter((c) => c.children.includes(input.ParentsOfAlarmName!)).map((c) => c.spec.name);
      found = [...names].sort(byName).map(short);
    } else {
      const types = input.AlarmTypes ?? ['MetricAlarm'];
      const wanted = (name: string) =>
        (!input.AlarmNames?.length || input.AlarmNames.includes(name)) && (input.AlarmNamePrefix === undefined || name.startsWith(input.AlarmNamePrefix));
      const metrics: Found[] = types.includes('MetricAlarm')
        ? [...this.#alarms.keys()]
            .filter(wanted)
            .sort(byName)
            .map((n) => ({ kind: 'metric', alarm: this.#metricAlarm(this.#alarms.get(n)!, now) }))
        : [];
      const composites: Found[] = types.includes('CompositeAlarm')
        ? [...this.#composites.keys()]
            .filter(wanted)
            .sort(byName)
            .map((n) => ({ kind: 'composite', alarm: this.#compositeAlarm(this.#composites.get(n)!, now) }))
        : [];
      found = [...metrics, ...composites].filter((f) => input.StateValue === undefined || f.alarm.StateValue === input.StateValue);
    }
    const { page, nextToken } = paginate(found, offset, max);
    return {
      MetricAlarms: page.flatMap((f) => (f.kind === 'metric' ? [f.alarm] : [])),
      CompositeAlarms: page.flatMap((f) => (f.kind === 'composite' ? [f.alarm] : [])),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  describeAlarmHistory(input: DescribeAlarmHistoryCommandInput): Out<DescribeAlarmHistoryCommandOutput> {
    const max = input.MaxRecords ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) invalidValue('MaxRecords must be between 1 and 100.');
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw new InvalidNextToken({ message: 'The service cannot find the specified token.', $metadata: errorMetadata(400) });
    if (input.HistoryItemType !== undefined && input.HistoryItemType !== 'StateUpdate') return { AlarmHistoryItems: [] };
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const now = this.#clock.nowMs();
    const from = input.StartDate?.getTime() ?? -Infinity;
    const to = Math.min(input.EndDate?.getTime() ?? Infinity, now);
    const items: AlarmHistoryItem[] = [];
    for (const name of this.alarmNames()) {
      if (input.AlarmName !== undefined && name !== input.AlarmName) continue;
      const type = this.alarmType(name);
      if (!types.includes(type)) continue;
      const history = this.#history(name, now);
      for (let i = 1; i < history.length; i++) {
        const prev = history[i - 1]!;
        const cur = history[i]!;
        const at = cur.timestamp.getTime();
        if (at < from || at > to) continue;
        items.push({
          AlarmName: name,
          AlarmType: type,
          Timestamp: new Date(at),
          HistoryItemType: 'StateUpdate',
          HistorySummary: `Alarm updated from ${prev.state} to ${cur.state}`,
          HistoryData: JSON.stringify({
            version: '1.0',
            oldState: { stateValue: prev.state, stateReason: prev.reason },
            newState: { stateValue: cur.state, stateReason: cur.reason, stateReasonData: JSON.parse(cur.reasonData) },
          }),
        });
      }
    }
    // Stable sort: at one instant children stay ahead of their parents.
    items.sort((a, b) => b.Timestamp!.getTime() - a.Timestamp!.getTime());
    if (input.ScanBy === 'TimestampAscending') items.reverse();
    const { page, nextToken } = paginate(items, offset, max);
    return { AlarmHistoryItems: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  // ---- snapshot ----

  snapshot(): CloudWatchSnapshot {
    const now = this.#clock.nowMs();
    return {
      alarms: this.alarmNames().map((name) => {
        const history = this.#history(name, now);
        const current = history.at(-1)!;
        const rule = this.#composites.get(name)?.spec.rule;
        return {
          name,
          ...(rule !== undefined ? { rule } : {}),
          state: current.state,
          stateUpdatedAt: current.timestamp.toISOString(),
          reason: current.reason,
          transitions: history.slice(1).map((h, i) => ({ at: h.timestamp.toISOString(), from: history[i]!.state, to: h.state })),
        };
      }),
    };
  }

  // ---- internals: lookups ----

  #require(name: string): void {
    if (!this.#alarms.has(name) && !this.#composites.has(name)) {
      throw new AlarmQueryError(`no simulated alarm named "${name}" (known: ${this.alarmNames().join(', ') || 'none'})`);
    }
  }

  #requireMetric(name: string): AlarmSpec {
    this.#require(name);
    const alarm = this.#alarms.get(name);
    if (!alarm) throw new AlarmQueryError(`alarm "${name}" is a composite alarm: it has no metric`);
    return alarm;
  }

  // ---- internals: history ----

  /**
   * Brings the settled history of an alarm up to the clock and returns it. Only the new part is
   * evaluated: drills run for simulated days and ask for states often.
   */
  #settle(name: string): Settled {
    const now = this.#clock.nowMs();
    const alarm = this.#alarms.get(name);
    let settled = this.#settled.get(name);
    if (alarm) {
      const p = alarm.periodSeconds * 1000;
      if (!settled) {
        settled = { records: [this.#initialMetricRecord(alarm)], until: Math.floor(this.#createdAt / p) * p };
        this.#settled.set(name, settled);
      }
      const last = Math.floor(now / p) * p;
      if (last > settled.until) {
        settled.records.push(...this.#evaluator(name, settled.until, settled.records.at(-1)!.state, false)(last));
        settled.until = last;
        this.#prunePoints(alarm, last);
      }
      return settled;
    }
    const composite = this.#composites.get(name)!;
    if (!settled) {
      settled = { records: [this.#initialCompositeRecord(composite)], until: this.#createdAt };
      this.#settled.set(name, settled);
    }
    if (now > settled.until) {
      settled.records.push(...this.#evaluator(name, settled.until, settled.records.at(-1)!.state, false)(now));
      settled.until = now;
    }
    return settled;
  }

  #stateAt(name: string, atMs: number): AlarmStateRecord {
    const settled = this.#settle(name);
    if (atMs <= settled.until) return settled.records[lastAtOrBefore(settled.records, atMs)]!;
    return this.#cursor(name, settled.until)(atMs).at(-1) ?? settled.records.at(-1)!;
  }

  /** The alarm's states from creation up to `untilMs`: the initial one, then one entry per transition. */
  #history(name: string, untilMs: number): AlarmStateRecord[] {
    const settled = this.#settle(name);
    if (untilMs <= settled.until) return settled.records.slice(0, lastAtOrBefore(settled.records, untilMs) + 1);
    return [...settled.records, ...this.#cursor(name, settled.until)(untilMs)];
  }

  /**
   * Walks the alarm's transitions after `fromMs` in time order, as far as each call asks: settled
   * ones first, then those the current simulated state leads to.
   */
  #cursor(name: string, fromMs: number): Cursor {
    const settled = this.#settle(name);
    let next = lastAtOrBefore(settled.records, fromMs) + 1;
    let future: Cursor | undefined;
    return (untilMs) => {
      const out: AlarmStateRecord[] = [];
      while (next < settled.records.length && settled.records[next]!.timestamp.getTime() <= untilMs) out.push(settled.records[next++]!);
      if (untilMs > settled.until) {
        future ??= this.#evaluator(name, settled.until, settled.records.at(-1)!.state, true);
        for (const record of future(untilMs)) if (record.timestamp.getTime() > fromMs) out.push(record);
      }
      return out;
    };
  }

  /**
   * Evaluates the alarm after `fromMs` (a boundary, for a metric alarm), starting in `fromState`,
   * and returns each change of state up to the instant each call asks for. `ahead` means the
   * evaluation runs past the clock, so its buckets are kept only for the walk.
   */
  #evaluator(name: string, fromMs: number, fromState: SimAlarmState, ahead: boolean): Cursor {
    const alarm = this.#alarms.get(name);
    return alarm ? this.#metricEvaluator(alarm, fromMs, fromState, ahead ? new Map() : undefined) : this.#compositeEvaluator(this.#composites.get(name)!, fromMs, fromState);
  }

  // ---- internals: metric alarms ----

  #initialMetricRecord(alarm: AlarmSpec): AlarmStateRecord {
    const p = alarm.periodSeconds * 1000;
    const boundary = Math.floor(this.#createdAt / p) * p;
    const state = this.#desiredState(alarm, boundary);
    const initial = this.#explain(alarm, boundary, state);
    return {
      state: 'OK',
      timestamp: new Date(this.#createdAt),
      // The drill starts every alarm OK; when the data before the start already breached, say so.
      reason: state === 'OK' ? initial.reason : 'Unchecked: the drill starts every alarm in OK until its first evaluation.',
      reasonData: initial.reasonData,
    };
  }

  /** Evaluates each boundary after `fromBoundary`; a change of state becomes a record with CloudWatch's reason. */
  #metricEvaluator(alarm: AlarmSpec, fromBoundary: number, fromState: SimAlarmState, scratch?: Map<number, Datapoint>): Cursor {
    const p = alarm.periodSeconds * 1000;
    let boundary = fromBoundary;
    let state = fromState;
    return (untilMs) => {
      const out: AlarmStateRecord[] = [];
      for (; boundary + p <= untilMs; boundary += p) {
        const desired = this.#desiredState(alarm, boundary + p, scratch);
        if (desired === state) continue;
        state = desired;
        out.push({ state, timestamp: new Date(boundary + p), ...this.#explain(alarm, boundary + p, state, scratch) });
      }
      return out;
    };
  }

  /** Keeps the buckets the next evaluations need; older ones are recomputed if ever asked for. */
  #prunePoints(alarm: AlarmSpec, boundary: number): void {
    const points = this.#points.get(alarm.name);
    if (!points || points.size <= 4 * alarm.evaluationPeriods + 64) return;
    const oldest = boundary - alarm.evaluationPeriods * alarm.periodSeconds * 1000;
    for (const start of points.keys()) if (start < oldest) points.delete(start);
  }

  /** The datapoint of the bucket starting at `startMs`: mean of evenly spaced samples of the error rate. */
  #datapoint(alarm: AlarmSpec, startMs: number, scratch?: Map<number, Datapoint>): Datapoint {
    let points = this.#points.get(alarm.name);
    if (!points) this.#points.set(alarm.name, (points = new Map()));
    const cached = points.get(startMs) ?? scratch?.get(startMs);
    if (cached) return cached;
    const p = alarm.periodSeconds * 1000;
    const samples = Math.min(MAX_SAMPLES, alarm.periodSeconds);
    let sum = 0;
    for (let i = 0; i < samples; i++) sum += this.#health.errorRate(alarm.service, new Date(startMs + ((i + 0.5) * p) / samples));
    const point: Datapoint = { timestamp: new Date(startMs), value: round(sum / samples), sampleCount: samples };
    // Only a bucket that has ended is settled: the past cannot change, the future can.
    if (startMs + p <= this.#clock.nowMs()) points.set(startMs, point);
    else scratch?.set(startMs, point);
    return point;
  }

  #breaches(alarm: AlarmSpec, value: number): boolean {
    switch (alarm.comparisonOperator) {
      case 'GreaterThanThreshold':
        return value > alarm.threshold;
      case 'GreaterThanOrEqualToThreshold':
        return value >= alarm.threshold;
      case 'LessThanThreshold':
        return value < alarm.threshold;
      case 'LessThanOrEqualToThreshold':
        return value <= alarm.threshold;
    }
  }

  /** The state the last N complete buckets before `boundaryMs` call for. */
  #desiredState(alarm: AlarmSpec, boundaryMs: number, scratch?: Map<number, Datapoint>): SimAlarmState {
    const p = alarm.periodSeconds * 1000;
    let breaching = 0;
    for (let i = 1; i <= alarm.evaluationPeriods; i++) {
      if (this.#breaches(alarm, this.#datapoint(alarm, boundaryMs - i * p, scratch).value)) breaching++;
    }
    return breaching >= alarm.datapointsToAlarm ? 'ALARM' : 'OK';
  }

  /** CloudWatch's reason text and reason data for the evaluation at `boundaryMs` (only built on a change). */
  #explain(alarm: AlarmSpec, boundaryMs: number, state: SimAlarmState, scratch?: Map<number, Datapoint>): { reason: string; reasonData: string } {
    const p = alarm.periodSeconds * 1000;
    const points: (Datapoint & { breaching: boolean })[] = [];
    for (let i = 1; i <= alarm.evaluationPeriods; i++) {
      const point = this.#datapoint(alarm, boundaryMs - i * p, scratch);
      points.push({ ...point, breaching: this.#breaches(alarm, point.value) });
    }
    const breaching = points.filter((d) => d.breaching);
    const words = OPERATOR_WORDS[alarm.comparisonOperator];
    const n = alarm.evaluationPeriods;
    const cited = state === 'ALARM' ? breaching : points.filter((d) => !d.breaching);
    const minimum = state === 'ALARM' ? alarm.datapointsToAlarm : n - alarm.datapointsToAlarm + 1;
    const list = cited.map((d) => `${javaDouble(d.value)} (${reasonDate(d.timestamp)})`).join(', ');
    const reason =
      `Threshold Crossed: ${cited.length} out of the last ${n} datapoints [${list}] ${cited.length === 1 ? 'was' : 'were'} ` +
      `${state === 'ALARM' ? '' : 'not '}${words} the threshold (${javaDouble(alarm.threshold)}) ` +
      `(minimum ${minimum} datapoint${minimum === 1 ? '' : 's'} for ${state === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK'} transition).`;
    const reasonData = JSON.stringify({
      version: '1.0',
      queryDate: cwTimestamp(new Date(boundaryMs)),
      startDate: cwTimestamp(points.at(-1)!.timestamp),
      statistic: alarm.statistic,
      period: alarm.periodSeconds,
      recentDatapoints: [...points].reverse().map((d) => d.value),
      threshold: alarm.threshold,
      evaluatedDatapoints: points.map((d) => ({ timestamp: cwTimestamp(d.timestamp), sampleCount: d.sampleCount, value: d.value })),
    });
    return { reason, reasonData };
  }

  // ---- internals: composite alarms ----

  /** A composite is evaluated when it is created (from its children's first states), unlike a metric alarm. */
  #initialCompositeRecord(composite: CompositeEntry): AlarmStateRecord {
    const states = new Map(composite.children.map((c) => [c, this.#stateAt(c, this.#createdAt).state]));
    const state: SimAlarmState = evaluateAlarmRule(composite.rule, (c) => states.get(c)!) ? 'ALARM' : 'OK';
    return { state, timestamp: new Date(this.#createdAt), reason: 'Unchecked: Initial alarm creation', reasonData: JSON.stringify({ triggeringAlarms: [] }) };
  }

  /**
   * Merges the children's transitions after `fromMs` in time order, evaluates the rule at each
   * instant one of them changes, and records each change of the composite's state.
   */
  #compositeEvaluator(composite: CompositeEntry, fromMs: number, fromState: SimAlarmState): Cursor {
    const children = composite.children.map((name) => ({ name, take: this.#cursor(name, fromMs) }));
    const states = new Map(composite.children.map((name) => [name, this.#stateAt(name, fromMs).state]));
    let state = fromState;
    return (untilMs) => {
      // Stable sort: at one instant, children keep the order the rule names them in.
      const changes = children.flatMap((c) => c.take(untilMs).map((record) => ({ name: c.name, record })));
      changes.sort((a, b) => a.record.timestamp.getTime() - b.record.timestamp.getTime());
      const out: AlarmStateRecord[] = [];
      for (let i = 0; i < changes.length;) {
        const at = changes[i]!.record.timestamp.getTime();
        const triggering: { name: string; record: AlarmStateRecord }[] = [];
        for (; i < changes.length && changes[i]!.record.timestamp.getTime() === at; i++) {
          triggering.push(changes[i]!);
          states.set(changes[i]!.name, changes[i]!.record.state);
        }
        const desired: SimAlarmState = evaluateAlarmRule(composite.rule, (c) => states.get(c)!) ? 'ALARM' : 'OK';
        if (desired === state) continue;
        state = desired;
        out.push(compositeRecord(at, state, triggering));
      }
      return out;
    };
  }

  // ---- internals: DescribeAlarms shapes ----

  #shortState(name: string, now: number): { StateValue: SimAlarmState; StateUpdatedTimestamp: Date } {
    const current = this.#stateAt(name, now);
    return { StateValue: current.state, StateUpdatedTimestamp: new Date(current.timestamp) };
  }

  #metricAlarm(alarm: AlarmSpec, now: number): MetricAlarm {
    const current = this.#stateAt(alarm.name, now);
    return {
      ...this.#alarmHead(alarm.name, alarm.description, current),
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      Statistic: alarm.statistic,
      Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Period: alarm.periodSeconds,
      ...(alarm.unit !== undefined ? { Unit: alarm.unit } : {}),
      EvaluationPeriods: alarm.evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparisonOperator,
      TreatMissingData: 'missing',
    };
  }

  /** What DescribeAlarms reports alike for metric and composite alarms: identity, actions, current state. */
  #alarmHead(name: string, description: string | undefined, current: AlarmStateRecord) {
    return {
      AlarmName: name,
      AlarmArn: this.arnOf(name),
      ...(description !== undefined ? { AlarmDescription: description } : {}),
      AlarmConfigurationUpdatedTimestamp: new Date(this.#createdAt),
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: current.state,
      StateReason: current.reason,
      StateReasonData: current.reasonData,
      StateUpdatedTimestamp: new Date(current.timestamp),
      StateTransitionedTimestamp: new Date(current.timestamp),
    };
  }

  #compositeAlarm(composite: CompositeEntry, now: number): CompositeAlarm {
    const { name, description, rule } = composite.spec;
    const current = this.#stateAt(name, now);
    return {
      ...this.#alarmHead(name, description, current),
      AlarmRule: rule,
    };
  }
}

/** Composite names ordered so that every composite comes after the composites its rule names. */
function dependencyOrder(composites: ReadonlyMap<string, CompositeEntry>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const child of composites.get(name)!.children) if (composites.has(child)) place(child);
    order.push(name);
  };
  for (const name of composites.keys()) place(name);
  return order;
}

/** Index of the last record at or before `atMs` (records are in time order; the first is the initial state). */
function lastAtOrBefore(records: readonly AlarmStateRecord[], atMs: number): number {
  let lo = 0;
  let hi = records.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (records[mid]!.timestamp.getTime() <= atMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * A composite transition as CloudWatch words it: the reason names the child that transitioned
 * ("<arn> transitioned to ALARM at Friday 22 July, 2022 15:57:45 UTC") and the reason data lists
 * it under `triggeringAlarms`. Children that changed at the same instant are all named.
 */
function compositeRecord(atMs: number, state: SimAlarmState, triggering: readonly { name: string; record: AlarmStateRecord }[]): AlarmStateRecord {
  const reason = triggering.map((t) => `${SimCloudWatch.alarmArn(t.name)} transitioned to ${t.record.state} at ${longDate(t.record.timestamp)}`).join('; ');
  const reasonData = JSON.stringify({
    triggeringAlarms: triggering.map((t) => ({
      arn: SimCloudWatch.alarmArn(t.name),
      state: { value: t.record.state, timestamp: cwTimestamp(t.record.timestamp) },
    })),
  });
  return { state, timestamp: new Date(atMs), reason, reasonData };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A CloudWatch statistic over raw samples. */
function statistic(stat: string, samples: readonly number[]): number {
  switch (stat) {
    case 'Maximum':
      return Math.max(...samples);
    case 'Minimum':
      return Math.min(...samples);
    case 'Sum':
      return samples.reduce((a, b) => a + b, 0);
    case 'SampleCount':
      return samples.length;
    case 'Average':
      return samples.reduce((a, b) => a + b, 0) / samples.length;
    default:
      return invalidValue(`Stat ${stat} is not simulated (Average, Maximum, Minimum, Sum, SampleCount).`);
  }
}

function invalidValue(message: string): never {
  throw new InvalidParameterValueException({ message, $metadata: errorMetadata(400) });
}

function eventState(s: AlarmStateRecord): EventState {
  return { value: s.state, reason: s.reason, reasonData: s.reasonData, timestamp: cwTimestamp(s.timestamp) };
}

/** Rounds away floating-point noise (8.300000000000001 → 8.3) so values read like CloudWatch's. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Formats a number like Java's Double.toString, as CloudWatch reason texts do (5 → "5.0"). */
export function javaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** "dd/MM/yy HH:mm:ss" in UTC, the datapoint time format of CloudWatch reason texts. */
export function reasonDate(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "Friday 22 July, 2022 15:57:45 UTC", the time format of composite alarm reasons. */
export function longDate(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${WEEKDAYS[d.getUTCDay()]} ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]}, ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`
  );
}

/** "2026-11-23T03:09:00.000+0000", CloudWatch's timestamp format in events and reason data. */
export function cwTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}
