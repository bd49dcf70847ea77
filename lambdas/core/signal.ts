import * as z from 'zod';

import { EvaluatedDataSchema } from './impact-start.js';

/**
 * The normalized alarm signal: what every alarm source (EventBridge state-change events of
 * single-metric, metric-math, anomaly-detection and composite alarms, and SNS-delivered alarm
 * notifications) is reduced to before an incident is opened.
 */

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export const AlarmStateSchema = z.enum(ALARM_STATES);
export type AlarmState = z.infer<typeof AlarmStateSchema>;

export const MetricSummarySchema = z.object({
  /** Query id (metric math) or "m1" for a single metric. */
  id: z.string(),
  /** "AWS/ApplicationELB HTTPCode_Target_5XX_Count (LoadBalancer=app/x) Sum 60s", or the expression. */
  description: z.string(),
  /** Whether this query produces the alarm's value. */
  returnData: z.boolean(),
});
export type MetricSummary = z.infer<typeof MetricSummarySchema>;

export const AlarmSignalSchema = z.object({
  source: z.enum(['eventbridge', 'sns']),
  alarmName: z.string().min(1).max(255),
  alarmArn: z.string().min(1).max(2048),
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1).max(32),
  kind: z.enum(['metric', 'metric-math', 'anomaly-detection', 'composite']),
  state: AlarmStateSchema,
  previousState: AlarmStateSchema.optional(),
  /** ISO-8601 time the alarm changed state. */
  stateChangeTime: z.iso.datetime({ offset: true }),
  reason: z.string().max(4096),
  /** Metrics or expressions the alarm evaluates (empty for composite alarms). */
  metrics: z.array(MetricSummarySchema),
  /** Threshold summary ("GreaterThanThreshold 5 for 3 of 3 x 60s"), when known. */
  condition: z.string().optional(),
  /** Composite alarms: the child alarms that were in ALARM when it fired. */
  triggeringChildren: z.array(z.object({ arn: z.string(), state: z.string().optional() })).optional(),
  /** The datapoints the alarm evaluated, from its reason data (EventBridge events of metric alarms): triage measures impact start from them. */
  evaluated: EvaluatedDataSchema.optional(),
});
export type AlarmSignal = z.infer<typeof AlarmSignalSchema>;
