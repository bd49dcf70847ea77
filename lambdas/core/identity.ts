import { createHash } from 'node:crypto';

import type { AlarmSignal } from './signal.js';

/**
 * Deterministic names: the same alarm transition always yields the same execution name and
 * incident id, so EventBridge's at-least-once delivery and Lambda retries cannot open two incidents.
 */

const compactTime = (iso: string): string =>
  new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');

const digest = (signal: Pick<AlarmSignal, 'alarmArn' | 'stateChangeTime'>, length: number): string =>
  createHash('sha256')
    .update(`${signal.alarmArn}|${new Date(signal.stateChangeTime).toISOString()}`)
    .digest('hex')
    .slice(0, length);

/** `inc-20261123T030900Z-1a2b3c4d`: sortable by time, unique per alarm transition. */
export function incidentIdFor(signal: Pick<AlarmSignal, 'alarmArn' | 'stateChangeTime'>): string {
  return `inc-${compactTime(signal.stateChangeTime)}-${digest(signal, 8)}`;
}

/** Step Functions execution names: 1–80 chars of [A-Za-z0-9-_]. */
export function executionNameFor(signal: Pick<AlarmSignal, 'alarmName' | 'alarmArn' | 'stateChangeTime'>): string {
  const suffix = `-${compactTime(signal.stateChangeTime)}-${digest(signal, 8)}`;
  const alarm = signal.alarmName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'alarm';
  return `${alarm.slice(0, 80 - suffix.length)}${suffix}`;
}

/** Console link for an execution ARN, so every update lets a human jump to the running workflow. */
export function executionConsoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/** Identifies one alarm transition (alarm, time, new state): the key of its timeline event, so a redelivery is recognised. */
export function signalKeyFor(signal: Pick<AlarmSignal, 'alarmArn' | 'stateChangeTime' | 'state'>): string {
  return createHash('sha256')
    .update(`${signal.alarmArn}|${new Date(signal.stateChangeTime).toISOString()}|${signal.state}`)
    .digest('hex')
    .slice(0, 12);
}

/** The ARN Step Functions gives an execution of `stateMachineArn` named `name`. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
