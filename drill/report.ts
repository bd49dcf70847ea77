import * as z from 'zod';

import { ImpactStartSourceSchema } from '../lambdas/core/impact-start.js';
import { TimelineEventSchema } from '../lambdas/core/model.js';
import { humanDuration } from '../lambdas/core/status-update.js';
import { UndoStepSchema } from '../lambdas/operations/undo.js';
import { configLines } from './config-summary.js';
import { MetricSeriesSchema } from './metric-series.js';
import { FAULT_KINDS } from './sim/faults.js';

/** One ledger action as the report shows it. */
const ActionSchema = z.object({ type: z.string(), target: z.string(), status: z.string(), detail: z.string().optional() });

/** The machine-readable result of one drill scenario (`--json` prints exactly this object). */
export const DrillResultSchema = z.object({
  scenario: z.string(),
  description: z.string(),
  /** The config the scenario drills with and how it departs from the shipped policy (drill/config-summary.ts). */
  config: z.object({ path: z.string(), why: z.string().optional(), differences: z.array(z.string()) }),
  /** The first incident opened (the one the single-incident fields below describe). */
  incidentId: z.string().nullable(),
  /** The first incident was mitigated and the primary alarm (or every alarm of the incident) is OK at the end. */
  restored: z.boolean(),
  /** A human was paged for the first incident. */
  escalated: z.boolean(),
  expected: z.object({
    restored: z.boolean().optional(),
    actions: z.array(z.string()).optional(),
    escalated: z.boolean().optional(),
    alarmAt: z.string().optional(),
    incidents: z.array(z.record(z.string(), z.unknown())).optional(),
    incidentCount: z.number().optional(),
    maxExecutions: z.number().optional(),
    pagedVia: z.enum(['workflow', 'failure-net']).optional(),
  }),
  /** True when the outcome matches the scenario's expectation. */
  passed: z.boolean(),
  mismatches: z.array(z.string()),
  /** The primary alarm: when it first entered ALARM and its state at the end; null without a primary alarm. */
  alarm: z.object({ name: z.string(), firedAt: z.string().nullable(), finalState: z.string() }).nullable(),
  /** The first incident's ledger actions. */
  actions: z.array(ActionSchema),
  /** Every incident opened, oldest first. */
  incidents: z.array(
    z.object({
      incidentId: z.string(),
      service: z.string(),
      status: z.string(),
      /** The alarms on the incident (the one that opened it and every one that joined). */
      alarms: z.array(z.string()),
      actions: z.array(ActionSchema),
      /** Messages on the escalation topic for this incident (SNS message attribute incidentId). */
      pages: z.number().int(),
      restored: z.boolean(),
      escalated: z.boolean(),
      openedAt: z.string(),
      timeline: z.array(TimelineEventSchema),
    }),
  ),
  /** Every SNS message published, in order. */
  notifications: z.array(
    z.object({
      status: z.string(),
      subject: z.string(),
      topic: z.string(),
      at: z.string(),
      incidentId: z.string().optional(),
      /** failure-net: published by the failure net's EventBridge rule (a failed, timed-out or aborted execution). */
      via: z.literal('failure-net').optional(),
      body: z.string(),
    }),
  ),
  /** Drills with a workload account (docs/accounts.md): who assumed the member role under which session name, and whether every call there used it; null in one account. */
  roleChain: z
    .object({
      memberRoleArn: z.string(),
      workloadAccount: z.string(),
      assumed: z.array(z.object({ at: z.string(), by: z.string(), session: z.string() })),
      workloadCalls: z.number().int(),
      callsWithoutRole: z.number().int(),
    })
    .nullable(),
  /** The first incident's MTTD (impact started → alarm), MTTM (declared → restored), MTTR (impact started → restored), as its timeline has them. */
  mttdSeconds: z.number().nullable(),
  mttmSeconds: z.number().nullable(),
  mttrSeconds: z.number().nullable(),
  /** When impact started, as triage measured it (the first breaching datapoint), and where it came from. */
  impactStartedAt: z.string().nullable(),
  impactStartSource: ImpactStartSourceSchema.nullable(),
  /** The scripted fault start behind the first incident's alarm (drill/detection.ts): impact start must be within one period of it. */
  faultStartedAt: z.string().nullable(),
  /** States entered by the first execution. */
  stateTransitions: z.number().int(),
  states: z.array(z.string()),
  /** The first execution. */
  execution: z.object({ name: z.string(), status: z.string(), error: z.string().optional() }).nullable(),
  executionsStarted: z.number().int(),
  /** Every execution, in start order, with the number of states it entered. */
  executions: z.array(z.object({ name: z.string(), status: z.string(), transitions: z.number().int(), error: z.string().optional() })),
  /** Mutating calls the simulated account received from the automation (not from scenario history), failed ones with their error. */
  mutatingCalls: z.array(z.object({ at: z.string(), service: z.string(), command: z.string(), error: z.string().optional(), fault: z.enum(FAULT_KINDS).optional() })),
  /**
   * Mutating calls from the automation that the account accepted (changes made): a throttled, denied,
   * conflicting or failed call is not one; a call whose invocation crashed afterwards (crashAfterMutation) is.
   */
  mutations: z.number().int(),
  /** Each of the scenario's faults (drill/sim/faults.ts) with the calls it hit; `fired: 0` means it never matched a call. */
  faults: z.array(
    z.object({
      index: z.number().int(),
      kind: z.enum(FAULT_KINDS),
      service: z.string().optional(),
      operation: z.string().optional(),
      /** taskFailure: the Task state it fails (its calls are that state's invocations, service `states`). */
      state: z.string().optional(),
      fired: z.number().int(),
      calls: z.array(z.object({ at: z.string(), service: z.string(), command: z.string(), error: z.string().optional() })),
    }),
  ),
  /** Changes beyond what the ledger accounts for: 0 unless some incident action was carried out twice (docs/scenarios.md). */
  duplicateMutations: z.number().int(),
  /** Every metric datapoint the functions published (lambdas/core/metrics.ts), in order, at virtual time; in production they are EMF lines in the functions' logs. */
  metrics: z.array(z.object({ name: z.string(), value: z.number(), unit: z.enum(['Count', 'Seconds']), dimensions: z.record(z.string(), z.string()), at: z.string() })),
  /** Every alarm transition the pump found, in order, with each delivery of its event to the starter. */
  alarmTransitions: z.array(
    z.object({
      alarm: z.string(),
      state: z.string(),
      at: z.string(),
      deliveries: z.array(z.object({ at: z.string(), result: z.unknown().optional(), error: z.string().optional() })),
    }),
  ),
  /** Scripted human actions (operator.actions) and what came of them. */
  operatorActions: z.array(
    z.object({
      at: z.string(),
      action: z.string(),
      service: z.string(),
      by: z.string(),
      incidentId: z.string().nullable(),
      result: z.string().optional(),
      error: z.string().optional(),
    }),
  ),
  history: z.array(z.object({ at: z.string(), message: z.string() })),
  /** The first incident's timeline. */
  timeline: z.array(TimelineEventSchema),
  postmortem: z.string().nullable(),
  /** The charted alarm's metric, one datapoint per period (drill/metric-series.ts); null when no metric alarm is involved. */
  metricSeries: MetricSeriesSchema.nullable(),
  /** Present with `--undo`: each mitigation reverted, and whether the account is back to its pre-incident state. */
  undo: z.object({ steps: z.array(UndoStepSchema), restoredToBefore: z.boolean() }).optional(),
  /** Where the drill ended (virtual time) and why: quiet (nothing left to happen), until (the scenario's until), or stopped (a runaway guard). */
  ended: z.object({ at: z.string(), reason: z.enum(['quiet', 'until', 'stopped']) }),
  wallSeconds: z.number(),
});
export type DrillResult = z.infer<typeof DrillResultSchema>;

const hms = (iso: string): string => iso.slice(11, 19);
const mark = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

/** The alarm transitions, with deliveries of one transition collapsed: "checkout-5xx-rate → ALARM (×3 deliveries)". */
export function transitionLines(result: Pick<DrillResult, 'alarmTransitions'>): string[] {
  return result.alarmTransitions.map((t) => {
    const failed = t.deliveries.filter((d) => d.error !== undefined).length;
    const copies = t.deliveries.length <= 1 ? '' : ` (×${t.deliveries.length} deliveries)`;
    const undelivered = t.deliveries.length === 0 ? ' (not delivered before the drill ended)' : '';
    return `${hms(t.at)}  ${t.alarm} → ${t.state}${copies}${undelivered}${failed ? `, ${failed} failed in the starter` : ''}`;
  });
}

/** One line per scenario fault: what it hits and when it fired ("appconfig StartDeployment throttle: 2 call(s) at 03:12:04, 03:12:04"). */
export function faultLines(result: Pick<DrillResult, 'faults'>): string[] {
  return result.faults.map((f) => {
    const what = (f.state !== undefined ? `${f.state} ${f.kind}` : `${f.service ?? ''} ${f.operation ?? ''} ${f.kind}`).trim();
    if (f.fired === 0) return `${what}: never fired`;
    const times = [...new Set(f.calls.map((c) => hms(c.at)))].join(', ');
    const error = f.calls.find((c) => c.error !== undefined)?.error;
    return `${what}: ${f.fired} call(s) at ${times}${error ? ` (${error.length > 140 ? `${error.slice(0, 140)}…` : error})` : ''}`;
  });
}

/** A report a person reads top to bottom: what happened, in simulated time, and whether it was expected. */
export function renderReport(result: DrillResult): string {
  const out: string[] = [];
  out.push(`━━ Drill: ${result.scenario} ━━`);
  out.push(result.description);
  out.push(...configLines(result.config));
  out.push('');
  out.push('Scenario history (changes made through the simulated APIs, not by Tourniquet):');
  if (result.history.length === 0) out.push('  (no changes)');
  for (const h of result.history) out.push(`  ${hms(h.at)}  ${h.message}`);
  out.push('');
  out.push('Alarm transitions (CloudWatch → EventBridge → starter function):');
  if (result.alarmTransitions.length === 0) out.push('  (none: no alarm changed state)');
  for (const line of transitionLines(result)) out.push(`  ${line}`);
  out.push('');
  if (result.incidents.length === 0) out.push('No incident was opened.');
  const several = result.incidents.length > 1;
  for (const incident of result.incidents) {
    const execution = incident.incidentId === result.incidentId && result.execution ? ` (execution ${result.execution.name}: ${result.execution.status})` : '';
    out.push(`Incident ${incident.incidentId} — ${incident.service}, ${incident.status}${execution}:`);
    if (several) out.push(`  alarms ${incident.alarms.join(', ')}; pages ${incident.pages}`);
    for (const e of incident.timeline) out.push(`  ${hms(e.at)}  [${e.kind}] ${e.message}`);
    out.push('');
  }
  out.push('Actions:');
  const allActions = result.incidents.flatMap((i) => i.actions.map((a) => ({ ...a, service: i.service })));
  if (allActions.length === 0) out.push('  (none: nothing in the simulated account was changed by the automation)');
  for (const a of allActions) out.push(`  ${several ? `${a.service}: ` : ''}${a.type} on ${a.target}: ${a.status}`);
  for (const h of result.operatorActions) {
    out.push(`  ${hms(h.at)}  ${h.by}: tourniquet ${h.action} ${h.incidentId ?? `(no incident of ${h.service})`}: ${h.error ?? h.result ?? ''}`);
  }
  if (result.faults.length > 0) {
    out.push('Injected faults:');
    for (const line of faultLines(result)) out.push(`  ${line}`);
  }
  out.push('Notifications:');
  // Chat copies repeat the status updates and pages above (AWS Chatbot format, --json has them): counted, not listed.
  const chat = result.notifications.filter((n) => n.topic === 'chat').length;
  for (const n of result.notifications.filter((n) => n.topic !== 'chat')) {
    out.push(`  ${hms(n.at)}  ${n.topic.padEnd(10)} ${n.via === 'failure-net' ? `(failure net) ${n.body.slice(0, 90)}` : n.subject}`);
  }
  if (chat > 0) out.push(`  (and ${chat} chat cop${chat === 1 ? 'y' : 'ies'} of them on the chat topic, in AWS Chatbot's format)`);
  if (result.roleChain) {
    const chain = result.roleChain;
    out.push(`Role chain (workload account ${chain.workloadAccount}, ${chain.memberRoleArn}):`);
    for (const a of chain.assumed) out.push(`  ${hms(a.at)}  ${a.by} assumed it, session ${a.session}`);
    out.push(`  ${chain.workloadCalls} call(s) to the workload account, ${chain.callsWithoutRole} without the member role`);
  }
  out.push('');
  const metric = (label: string, s: number | null) => `${label} ${s === null ? 'n/a' : humanDuration(s * 1000)}`;
  const source = (r: DrillResult) =>
    r.impactStartedAt
      ? ` (impact from ${hms(r.impactStartedAt)}, ${r.impactStartSource ?? 'unknown source'}${r.faultStartedAt ? `; scripted fault from ${hms(r.faultStartedAt)}` : ''})`
      : '';
  const alarmNow = result.alarm ? `; alarm now ${result.alarm.finalState}` : '';
  out.push(
    several
      ? `Outcome: ${result.incidents.length} incidents (${result.incidents.filter((i) => i.restored).length} restored, ${result.incidents.filter((i) => i.escalated).length} escalated); ${result.executionsStarted} executions, ${result.executions.reduce((n, e) => n + e.transitions, 0)} state transitions; ${result.mutations} changes to the account, ${result.duplicateMutations} duplicated.`
      : `Outcome: ${result.restored ? 'RESTORED' : 'NOT RESTORED'}${result.escalated ? ', human paged' : ''}. ${metric('MTTD', result.mttdSeconds)}${source(result)}, ${metric('MTTM', result.mttmSeconds)}, ${metric('MTTR', result.mttrSeconds)} (simulated time); ${result.stateTransitions} state transitions${alarmNow}.`,
  );
  out.push(`Expected: ${describeExpectation(result.expected)} → ${mark(result.passed)}`);
  if (result.undo) {
    out.push('Undo (tourniquet undo, newest mitigation first):');
    for (const s of result.undo.steps) out.push(`  ${s.type} on ${s.target}: ${s.status}. ${s.detail}`);
    out.push(`  Account after undo: ${result.undo.restoredToBefore ? 'back to its pre-incident state' : 'DIFFERENT from its pre-incident state'}.`);
  }
  for (const m of result.mismatches) out.push(`  ✗ ${m}`);
  out.push(`(drill ended ${hms(result.ended.at)} simulated, ${result.ended.reason}; ${result.wallSeconds.toFixed(1)} s wall time)`);
  return out.join('\n');
}

function describeExpectation(e: DrillResult['expected']): string {
  const parts: string[] = [];
  if (e.restored !== undefined) parts.push(e.restored ? 'restored' : 'not restored');
  if (e.actions !== undefined) parts.push(`actions [${e.actions.join(', ')}]`);
  if (e.escalated !== undefined) parts.push(e.escalated ? 'escalated' : 'not escalated');
  if (e.pagedVia !== undefined) parts.push(`paged via ${e.pagedVia === 'failure-net' ? 'the failure net' : 'the workflow'}`);
  if (e.incidentCount !== undefined) parts.push(`${e.incidentCount} incident(s)`);
  if (e.incidents !== undefined) parts.push(`${e.incidents.length} incident expectation(s)`);
  if (e.maxExecutions !== undefined) parts.push(`at most ${e.maxExecutions} executions`);
  parts.push('no duplicate change');
  return parts.join(', ');
}

export function renderSummary(results: readonly DrillResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  const lines = ['━━ Drill summary ━━'];
  const width = Math.max(24, ...results.map((r) => r.scenario.length + 1));
  for (const r of results) {
    const what =
      r.incidents.length > 1
        ? `${r.incidents.length} incidents, ${r.incidents.filter((i) => i.restored).length} restored; ${r.mutations} changes`
        : `${r.restored ? 'restored' : 'not restored'}${r.escalated ? ', escalated' : ''}; actions [${r.actions.map((a) => a.type).join(', ')}]`;
    lines.push(`  ${mark(r.passed)}  ${r.scenario.padEnd(width)} ${what}`);
  }
  lines.push(`${passed} of ${results.length} scenario(s) behaved as expected.`);
  return lines.join('\n');
}
