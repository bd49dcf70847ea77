import type { AlarmDescription } from '../adapters/cloudwatch-alarms.js';
import {
  type AlarmQuery,
  type BreachingRun,
  breachingRun,
  type EvaluatedData,
  impactStartMessage,
  type ImpactStartSource,
  judgeable,
  lookbackSeconds,
  type MetricPoint,
  parseReasonData,
} from '../core/impact-start.js';
import type { AlarmFacts } from '../core/model.js';
import { estimateImpactStart } from '../core/postmortem.js';
import type { AlarmSignal } from '../core/signal.js';
import { logger } from '../runtime/logger.js';

/**
 * Measures when impact started for a new incident (lambdas/core/impact-start.ts says how): the
 * alarm's reason data first, GetMetricData over a bounded look-back when the reason data cannot
 * show where the breaching run began, the period × datapoints estimate only when no datapoint is
 * available. A composite alarm's impact started at the earliest of its children's. Reading the
 * metric never fails triage: an error is a reason to fall back, and the timeline says which.
 */

/** The alarm's evaluated series, read back (`CloudWatchMetricDataAdapter`). */
export interface AlarmSeriesSource {
  alarmSeries(queries: readonly AlarmQuery[], from: Date, to: Date): Promise<MetricPoint[]>;
}

/** Impact start as measured (or estimated), with its timeline sentence. `at` undefined: unknown. */
export interface ImpactStart {
  readonly at?: string;
  readonly source?: ImpactStartSource;
  readonly message: string;
  readonly data: Record<string, unknown>;
}

export interface ImpactStartInput {
  readonly signal: AlarmSignal;
  /** The alarm as DescribeAlarms described it, when it could be read. */
  readonly alarm?: AlarmDescription;
  /** A composite alarm's children, as described. */
  readonly children?: readonly AlarmDescription[];
  /** Evaluation settings for the estimate (a composite's slowest child's). */
  readonly facts?: AlarmFacts;
}

/** Most children of a composite alarm whose metric is read: a rule names up to 100. */
const MAX_CHILDREN_READ = 10;

export async function measureImpactStart(metrics: AlarmSeriesSource, input: ImpactStartInput): Promise<ImpactStart> {
  const { signal } = input;
  if (signal.kind !== 'composite') {
    const measured = await measureAlarm(metrics, { name: signal.alarmName, alarmAt: signal.stateChangeTime, description: input.alarm, evaluated: signal.evaluated });
    return measured.at ? described(measured, signal.alarmName, signal.stateChangeTime, {}) : estimate(signal, input.facts, measured.because);
  }
  const children = compositeChildrenToRead(signal, input.children ?? []);
  if (children.length === 0) return estimate(signal, input.facts, 'the composite alarm has no metric children to read');
  const results = await Promise.all(
    children.map((child) =>
      measureAlarm(metrics, {
        name: child.name,
        // A child's own transition is what its data led to; the composite fired at or after it.
        alarmAt:
          child.state === 'ALARM' && child.stateTransitionedAt && Date.parse(child.stateTransitionedAt) <= Date.parse(signal.stateChangeTime)
            ? child.stateTransitionedAt
            : signal.stateChangeTime,
        description: child,
      }),
    ),
  );
  const found = results.filter((r) => r.at !== undefined).sort((a, b) => Date.parse(a.at!) - Date.parse(b.at!));
  const earliest = found[0];
  if (!earliest) return estimate(signal, input.facts, results.map((r) => `${r.name}: ${r.because}`).join('; '));
  const of = children.length > 1 ? `, the earliest of ${children.length} children of composite ${signal.alarmName}` : `, child of composite ${signal.alarmName}`;
  return described(earliest, `${earliest.name}${of}`, signal.stateChangeTime, { composite: signal.alarmName, children: children.map((c) => c.name) });
}

/** A measured start as the timeline tells it; MTTD counts to `alarmAt` (a composite's own transition). */
function described(measure: AlarmMeasure, label: string, alarmAt: string, extra: Record<string, unknown>): ImpactStart {
  return {
    at: measure.at!,
    source: measure.source!,
    message: impactStartMessage({ at: measure.at!, source: measure.source!, alarmName: label, alarmAt, ...measure.run, ...(measure.because ? { because: measure.because } : {}) }),
    data: { ...measure.data, alarmAt, ...extra },
  };
}

/** The children that fired the composite (its triggering children), else those in ALARM, else all; metric alarms only. */
function compositeChildrenToRead(signal: AlarmSignal, children: readonly AlarmDescription[]): AlarmDescription[] {
  const metricChildren = children.filter((c) => c.kind !== 'composite');
  const triggering = new Set((signal.triggeringChildren ?? []).map((c) => c.arn.split(':alarm:').pop()));
  const picked = metricChildren.filter((c) => triggering.has(c.name));
  const inAlarm = metricChildren.filter((c) => c.state === 'ALARM');
  return (picked.length > 0 ? picked : inAlarm.length > 0 ? inAlarm : metricChildren).slice(0, MAX_CHILDREN_READ);
}

interface AlarmMeasure {
  readonly name: string;
  readonly at?: string;
  readonly source?: ImpactStartSource;
  readonly run?: { datapoints: number; complete: boolean; periodSeconds: number };
  /** Why a better source (or any) was not used. */
  readonly because?: string;
  readonly data: Record<string, unknown>;
}

/** One metric alarm: reason data, then GetMetricData; `at` undefined when neither shows a breaching run. */
async function measureAlarm(
  metrics: AlarmSeriesSource,
  alarm: { name: string; alarmAt: string; description?: AlarmDescription | undefined; evaluated?: EvaluatedData | undefined },
): Promise<AlarmMeasure> {
  const { name, alarmAt, description, evaluated } = alarm;
  const comparison = description?.evaluation?.comparison ?? evaluated?.comparison;
  const threshold = description?.evaluation?.threshold ?? evaluated?.threshold;
  const periodSeconds = description?.periodSeconds ?? evaluated?.periodSeconds;
  const evaluationPeriods = description?.evaluationPeriods;
  if (description?.kind === 'anomaly-detection' || description?.evaluation?.thresholdMetricId) {
    return { name, because: 'an anomaly-detection alarm compares with a band, which is not read back', data: {} };
  }
  if (!judgeable(comparison, threshold) || !periodSeconds) {
    return { name, because: `the alarm's comparison, threshold or period is unknown${description ? '' : ' (DescribeAlarms could not be read)'}`, data: {} };
  }
  const rule = { comparison: comparison!, threshold: threshold! };
  const reasonPoints = evaluated?.datapoints.length ? evaluated.datapoints : description?.state === 'ALARM' ? parseReasonData(description.stateReasonData) : [];
  const options = { rule, periodSeconds, alarmAt, ...(evaluationPeriods ? { evaluationPeriods } : {}) };
  const fromReason = reasonPoints.length > 0 ? breachingRun(reasonPoints, options) : undefined;
  const found = (source: ImpactStartSource, run: BreachingRun, extra: Record<string, unknown> = {}, because?: string): AlarmMeasure => ({
    name,
    at: run.startedAt,
    source,
    run: { datapoints: run.datapoints, complete: run.complete, periodSeconds },
    ...(because ? { because } : {}),
    data: {
      impactStartedAt: run.startedAt,
      impactStartSource: source,
      alarm: name,
      alarmAt,
      datapoints: run.datapoints,
      complete: run.complete,
      ...extra,
      ...(because ? { because } : {}),
    },
  });
  if (fromReason?.complete) return found('reason-data', fromReason);

  let because: string;
  const queries = description?.evaluation?.queries;
  if (!queries) {
    because = description ? 'the alarm has no metric to read back' : 'DescribeAlarms could not be read, so its metric could not be read back';
  } else {
    const periodMs = periodSeconds * 1000;
    const lookback = lookbackSeconds(periodSeconds, evaluationPeriods);
    // Aligned to the period, as GetMetricData answers fastest and its buckets match the alarm's.
    const from = new Date(Math.floor((Date.parse(alarmAt) - lookback * 1000) / periodMs) * periodMs);
    try {
      const points = await metrics.alarmSeries(queries, from, new Date(alarmAt));
      const run = breachingRun([...points, ...reasonPoints], { ...options, coveredFrom: from.toISOString() });
      if (run) return found('metric-data', run, { lookbackSeconds: lookback, read: points.length });
      because =
        points.length === 0 ? `GetMetricData returned no datapoints over the ${lookback / 60} min look-back` : 'GetMetricData shows no breaching datapoint before the alarm';
    } catch (error) {
      logger.warn('GetMetricData failed; impact start falls back', { alarm: name, error: error as Error });
      because = `GetMetricData failed: ${(error as Error).message}`;
    }
  }
  if (fromReason) return found('reason-data', fromReason, {}, because);
  return { name, because, data: {} };
}

/** The period × datapoints estimate, saying why nothing better was possible; unknown without a period. */
function estimate(signal: AlarmSignal, facts: AlarmFacts | undefined, because: string | undefined): ImpactStart {
  const at = estimateImpactStart(signal.stateChangeTime, facts?.periodSeconds, facts?.datapointsToAlarm);
  const why = because ?? 'no datapoints available';
  if (!at) {
    return {
      message: `Impact start unknown: no datapoints (${why}) and no period to estimate from; MTTD is not measured`,
      data: { alarm: signal.alarmName, alarmAt: signal.stateChangeTime, because: why },
    };
  }
  return {
    at,
    source: 'estimated',
    message: impactStartMessage({
      at,
      source: 'estimated',
      alarmName: signal.alarmName,
      alarmAt: signal.stateChangeTime,
      ...(facts?.periodSeconds ? { periodSeconds: facts.periodSeconds } : {}),
      because: why,
    }),
    data: { impactStartedAt: at, impactStartSource: 'estimated', alarm: signal.alarmName, alarmAt: signal.stateChangeTime, because: why },
  };
}
