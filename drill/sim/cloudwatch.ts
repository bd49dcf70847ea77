import {
  InvalidNextToken,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  type AlarmHistoryItem,
  type ComparisonOperator,
  type DescribeAlarmHistoryCommandInput,
  type DescribeAlarmHistoryCommandOutput,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type MetricAlarm,
  type StandardUnit,
  type Statistic,
} from '@aws-sdk/client-cloudwatch';
import type { VirtualClock } from './clock.js';
import type { HealthModel } from './health.js';
import { SIM_ACCOUNT, SIM_REGION, stableUuid } from './ids.js';
import { decodeToken, errorMetadata, paginate, type CommandHandler, type Out, type SimService } from './wire.js';

/**
 * Simulated CloudWatch metric alarms over the health model. Each period bucket gets one
 * datapoint (the time-weighted mean error rate, sampled deterministically); an alarm is ALARM
 * when at least M of its last N complete buckets breach, otherwise OK, and it is evaluated at
 * every bucket boundary. Because the model is a pure function of the simulated state and the
 * clock, the drill can ask when the next transition will happen instead of waiting for it.
 */

/** Comparison operators the simulation evaluates (the static-threshold ones). */
export type SimComparisonOperator = Extract<
  ComparisonOperator,
  'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold'
>;

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

/** The EventBridge "CloudWatch Alarm State Change" event of a single-metric alarm. */
export interface AlarmStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'CloudWatch Alarm State Change';
  source: 'aws.cloudwatch';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    alarmName: string;
    state: { value: SimAlarmState; reason: string; reasonData: string; timestamp: string };
    previousState: { value: SimAlarmState; reason: string; reasonData: string; timestamp: string };
    configuration: {
      description?: string;
      metrics: {
        id: string;
        metricStat: { metric: { namespace: string; name: string; dimensions: Record<string, string> }; period: number; stat: string };
        returnData: true;
      }[];
    };
  };
}

/** Options for {@link SimCloudWatch}. */
export interface SimCloudWatchOptions {
  readonly clock: VirtualClock;
  readonly health: Pick<HealthModel, 'errorRate'>;
  readonly alarms: readonly AlarmSpec[];
  /** When the alarms were created: they start OK at this instant. */
  readonly createdAt: Date;
}

/** Plain-JSON view of the alarms, for snapshots. */
export interface CloudWatchSnapshot {
  alarms: { name: string; state: SimAlarmState; stateUpdatedAt: string; reason: string; transitions: { at: string; from: SimAlarmState; to: SimAlarmState }[] }[];
}

/** Raised when the drill asks for something the alarm never did. */
export class AlarmQueryError extends Error {
  override readonly name = 'AlarmQueryError';
}

/** Samples per bucket: changes happen on whole seconds, so sampling mid-second is exact for them. */
const MAX_SAMPLES = 60;
/** How far {@link SimCloudWatch.nextTransition} looks ahead by default. */
const DEFAULT_HORIZON_SECONDS = 24 * 3600;

const OPERATOR_WORDS: Record<SimComparisonOperator, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** Simulated CloudWatch alarms. */
export class SimCloudWatch implements SimService {
  readonly service = 'cloudwatch' as const;
  readonly #clock: VirtualClock;
  readonly #health: Pick<HealthModel, 'errorRate'>;
  readonly #alarms: ReadonlyMap<string, AlarmSpec>;
  readonly #createdAt: number;
  /** Datapoints of buckets that had ended when computed: the past cannot change, so they are safe to keep. */
  readonly #settled = new Map<string, Datapoint>();

  constructor(options: SimCloudWatchOptions) {
    this.#clock = options.clock;
    this.#health = options.health;
    this.#alarms = new Map(options.alarms.map((a) => [a.name, a]));
    this.#createdAt = options.createdAt.getTime();
    for (const a of options.alarms) {
      if (a.datapointsToAlarm < 1 || a.datapointsToAlarm > a.evaluationPeriods) {
        throw new RangeError(`alarm ${a.name}: datapointsToAlarm must be between 1 and evaluationPeriods`);
      }
      if (a.periodSeconds < 1 || !Number.isInteger(a.periodSeconds)) throw new RangeError(`alarm ${a.name}: periodSeconds must be a positive integer`);
    }
  }

  /** The ARN of an alarm. */
  static alarmArn(name: string): string {
    return `arn:aws:cloudwatch:${SIM_REGION}:${SIM_ACCOUNT}:alarm:${name}`;
  }

  // ---- drill helpers ----

  /** The alarm's state at `at` (computed from the alarm's creation, period by period). */
  stateAt(alarmName: string, at: Date): AlarmStateRecord {
    return this.#history(this.#require(alarmName), at.getTime()).at(-1)!;
  }

  /**
   * The first instant strictly after `after` at which the alarm enters `toState`, assuming the
   * simulated state does not change in between; undefined if it does not within the horizon.
   */
  nextTransition(alarmName: string, toState: SimAlarmState, after: Date, horizonSeconds = DEFAULT_HORIZON_SECONDS): Date | undefined {
    const alarm = this.#require(alarmName);
    const p = alarm.periodSeconds * 1000;
    let state = this.#history(alarm, after.getTime()).at(-1)!.state;
    const end = after.getTime() + horizonSeconds * 1000;
    // Future buckets cannot be kept in the settled cache, but within one scan each is needed N times.
    const scratch = new Map<number, Datapoint>();
    for (let boundary = Math.floor(after.getTime() / p) * p + p; boundary <= end; boundary += p) {
      const desired = this.#evaluate(alarm, boundary, scratch).state;
      if (desired !== state) {
        state = desired;
        if (state === toState) return new Date(boundary);
      }
    }
    return undefined;
  }

  /** The EventBridge event CloudWatch emits for the transition that happened exactly at `at`. */
  stateChangeEvent(alarmName: string, at: Date): AlarmStateChangeEvent {
    const alarm = this.#require(alarmName);
    const history = this.#history(alarm, at.getTime());
    const index = history.findIndex((h, i) => i > 0 && h.timestamp.getTime() === at.getTime());
    if (index < 1) {
      const changes = history.slice(1).map((h) => `${h.timestamp.toISOString()} → ${h.state}`);
      throw new AlarmQueryError(
        `alarm ${alarmName} did not change state at ${at.toISOString()} (transitions so far: ${changes.join(', ') || 'none'})`,
      );
    }
    const state = history[index]!;
    const previous = history[index - 1]!;
    const dimensionList = Object.keys(alarm.dimensions).sort();
    return {
      version: '0',
      id: stableUuid(`event/${alarm.name}/${state.timestamp.toISOString()}`),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: SIM_ACCOUNT,
      time: state.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: SIM_REGION,
      resources: [SimCloudWatch.alarmArn(alarm.name)],
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
    const alarm = this.#require(alarmName);
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
    };
  }

  describeAlarms(input: DescribeAlarmsCommandInput): Out<DescribeAlarmsCommandOutput> {
    if (input.AlarmNames?.length && input.AlarmNamePrefix !== undefined) {
      throw new InvalidParameterCombinationException({ message: 'AlarmNames and AlarmNamePrefix cannot be used together.', $metadata: errorMetadata(400) });
    }
    if ((input.AlarmNames?.length ?? 0) > 100) invalidValue('AlarmNames can contain at most 100 names.');
    if (input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined) {
      // Composite alarms do not exist here, so these filters would always answer with nothing.
      return { CompositeAlarms: [], MetricAlarms: [] };
    }
    const max = input.MaxRecords ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 100) invalidValue('MaxRecords must be between 1 and 100.');
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw new InvalidNextToken({ message: 'The service cannot find the specified token.', $metadata: errorMetadata(400) });
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const now = this.#clock.nowMs();
    const alarms = types.includes('MetricAlarm')
      ? [...this.#alarms.values()]
          .filter((a) => !input.AlarmNames?.length || input.AlarmNames.includes(a.name))
          .filter((a) => input.AlarmNamePrefix === undefined || a.name.startsWith(input.AlarmNamePrefix))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((a) => this.#metricAlarm(a, now))
          .filter((a) => input.StateValue === undefined || a.StateValue === input.StateValue)
      : [];
    const { page, nextToken } = paginate(alarms, offset, max);
    return { MetricAlarms: page, CompositeAlarms: [], ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  describeAlarmHistory(input: DescribeAlarmHistoryCommandInput): Out<DescribeAlarmHistoryCommandOutput> {
    const max = input.MaxRecords ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) invalidValue('MaxRecords must be between 1 and 100.');
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw new InvalidNextToken({ message: 'The service cannot find the specified token.', $metadata: errorMetadata(400) });
    if (input.AlarmTypes && !input.AlarmTypes.includes('MetricAlarm')) return { AlarmHistoryItems: [] };
    if (input.HistoryItemType !== undefined && input.HistoryItemType !== 'StateUpdate') return { AlarmHistoryItems: [] };
    const now = this.#clock.nowMs();
    const from = input.StartDate?.getTime() ?? -Infinity;
    const to = Math.min(input.EndDate?.getTime() ?? Infinity, now);
    const items: AlarmHistoryItem[] = [];
    for (const alarm of this.#alarms.values()) {
      if (input.AlarmName !== undefined && alarm.name !== input.AlarmName) continue;
      const history = this.#history(alarm, now);
      for (let i = 1; i < history.length; i++) {
        const prev = history[i - 1]!;
        const cur = history[i]!;
        const at = cur.timestamp.getTime();
        if (at < from || at > to) continue;
        items.push({
          AlarmName: alarm.name,
          AlarmType: 'MetricAlarm',
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
    items.sort((a, b) => b.Timestamp!.getTime() - a.Timestamp!.getTime());
    if (input.ScanBy === 'TimestampAscending') items.reverse();
    const { page, nextToken } = paginate(items, offset, max);
    return { AlarmHistoryItems: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  // ---- snapshot ----

  snapshot(): CloudWatchSnapshot {
    const now = this.#clock.nowMs();
    return {
      alarms: [...this.#alarms.values()].map((alarm) => {
        const history = this.#history(alarm, now);
        const current = history.at(-1)!;
        return {
          name: alarm.name,
          state: current.state,
          stateUpdatedAt: current.timestamp.toISOString(),
          reason: current.reason,
          transitions: history.slice(1).map((h, i) => ({ at: h.timestamp.toISOString(), from: history[i]!.state, to: h.state })),
        };
      }),
    };
  }

  // ---- internals ----

  #require(name: string): AlarmSpec {
    const alarm = this.#alarms.get(name);
    if (!alarm) throw new AlarmQueryError(`no simulated alarm named "${name}" (known: ${[...this.#alarms.keys()].join(', ') || 'none'})`);
    return alarm;
  }

  /** The datapoint of the bucket starting at `startMs`: mean of evenly spaced samples of the error rate. */
  #datapoint(alarm: AlarmSpec, startMs: number, scratch?: Map<number, Datapoint>): Datapoint {
    const cacheKey = `${alarm.name}@${startMs}`;
    const cached = this.#settled.get(cacheKey) ?? scratch?.get(startMs);
    if (cached) return cached;
    const p = alarm.periodSeconds * 1000;
    const samples = Math.min(MAX_SAMPLES, alarm.periodSeconds);
    let sum = 0;
    for (let i = 0; i < samples; i++) sum += this.#health.errorRate(alarm.service, new Date(startMs + ((i + 0.5) * p) / samples));
    const point: Datapoint = { timestamp: new Date(startMs), value: round(sum / samples), sampleCount: samples };
    if (startMs + p <= this.#clock.nowMs()) this.#settled.set(cacheKey, point);
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

  /** Evaluates the last N complete buckets before `boundaryMs`; returns the desired state and its reason. */
  #evaluate(alarm: AlarmSpec, boundaryMs: number, scratch?: Map<number, Datapoint>): { state: SimAlarmState; reason: string; reasonData: string } {
    const p = alarm.periodSeconds * 1000;
    const points: (Datapoint & { breaching: boolean })[] = [];
    for (let i = 1; i <= alarm.evaluationPeriods; i++) {
      const point = this.#datapoint(alarm, boundaryMs - i * p, scratch);
      points.push({ ...point, breaching: this.#breaches(alarm, point.value) });
    }
    const breaching = points.filter((d) => d.breaching);
    const state: SimAlarmState = breaching.length >= alarm.datapointsToAlarm ? 'ALARM' : 'OK';
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
    return { state, reason, reasonData };
  }

  /** The alarm's states from creation up to `untilMs`: the initial OK, then one entry per transition. */
  #history(alarm: AlarmSpec, untilMs: number): AlarmStateRecord[] {
    const p = alarm.periodSeconds * 1000;
    const created = this.#createdAt;
    const initial = this.#evaluate(alarm, Math.floor(created / p) * p);
    const history: AlarmStateRecord[] = [
      {
        state: 'OK',
        timestamp: new Date(created),
        // The drill starts every alarm OK; when the data before the start already breached, say so.
        reason: initial.state === 'OK' ? initial.reason : 'Unchecked: the drill starts every alarm in OK until its first evaluation.',
        reasonData: initial.reasonData,
      },
    ];
    const scratch = new Map<number, Datapoint>();
    for (let boundary = Math.floor(created / p) * p + p; boundary <= untilMs; boundary += p) {
      const result = this.#evaluate(alarm, boundary, scratch);
      if (result.state !== history.at(-1)!.state) {
        history.push({ state: result.state, timestamp: new Date(boundary), reason: result.reason, reasonData: result.reasonData });
      }
    }
    return history;
  }

  #metricAlarm(alarm: AlarmSpec, now: number): MetricAlarm {
    const current = this.#history(alarm, now).at(-1)!;
    return {
      AlarmName: alarm.name,
      AlarmArn: SimCloudWatch.alarmArn(alarm.name),
      ...(alarm.description !== undefined ? { AlarmDescription: alarm.description } : {}),
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
}

function invalidValue(message: string): never {
  throw new InvalidParameterValueException({ message, $metadata: errorMetadata(400) });
}

function eventState(s: AlarmStateRecord): { value: SimAlarmState; reason: string; reasonData: string; timestamp: string } {
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

/** "2026-11-23T03:09:00.000+0000", CloudWatch's timestamp format in events and reason data. */
export function cwTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}
