import * as z from 'zod';
import { TimelineEventSchema } from '../lambdas/core/model.js';
import { humanDuration } from '../lambdas/core/status-update.js';
import { UndoStepSchema } from '../lambdas/operations/undo.js';

/** The machine-readable result of one drill scenario (`--json` prints exactly this object). */
export const DrillResultSchema = z.object({
  scenario: z.string(),
  description: z.string(),
  incidentId: z.string().nullable(),
  restored: z.boolean(),
  escalated: z.boolean(),
  expected: z.object({ restored: z.boolean(), actions: z.array(z.string()), escalated: z.boolean() }),
  /** True when the outcome matches the scenario's expectation. */
  passed: z.boolean(),
  mismatches: z.array(z.string()),
  alarm: z.object({ name: z.string(), firedAt: z.string().nullable(), finalState: z.string() }),
  actions: z.array(z.object({ type: z.string(), target: z.string(), status: z.string(), detail: z.string().optional() })),
  notifications: z.array(z.object({ status: z.string(), subject: z.string(), topic: z.string(), at: z.string() })),
  simulatedMttdSeconds: z.number().nullable(),
  simulatedMttmSeconds: z.number().nullable(),
  simulatedMttrSeconds: z.number().nullable(),
  stateTransitions: z.number().int(),
  states: z.array(z.string()),
  execution: z.object({ name: z.string(), status: z.string(), error: z.string().optional() }).nullable(),
  /** Mutating calls the simulated account received from the automation (not from scenario history). */
  mutatingCalls: z.array(z.object({ at: z.string(), service: z.string(), command: z.string() })),
  history: z.array(z.object({ at: z.string(), message: z.string() })),
  timeline: z.array(TimelineEventSchema),
  postmortem: z.string().nullable(),
  /** Present with `--undo`: each mitigation reverted, and whether the account is back to its pre-incident state. */
  undo: z.object({ steps: z.array(UndoStepSchema), restoredToBefore: z.boolean() }).optional(),
  wallSeconds: z.number(),
});
export type DrillResult = z.infer<typeof DrillResultSchema>;

const hms = (iso: string): string => iso.slice(11, 19);
const mark = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

/** A report a person reads top to bottom: what happened, in simulated time, and whether it was expected. */
export function renderReport(result: DrillResult): string {
  const out: string[] = [];
  out.push(`━━ Drill: ${result.scenario} ━━`);
  out.push(result.description);
  out.push('');
  out.push('Before the alarm (simulated account history):');
  for (const h of result.history) out.push(`  ${hms(h.at)}  ${h.message}`);
  if (result.alarm.firedAt) out.push(`  ${hms(result.alarm.firedAt)}  CloudWatch: ${result.alarm.name} → ALARM (EventBridge event to the starter function)`);
  out.push('');
  if (result.incidentId) {
    out.push(`Incident ${result.incidentId} (execution ${result.execution?.name ?? '-'}: ${result.execution?.status ?? '-'}):`);
    for (const e of result.timeline) out.push(`  ${hms(e.at)}  [${e.kind}] ${e.message}`);
  } else {
    out.push('No incident was opened.');
  }
  out.push('');
  out.push('Actions:');
  if (result.actions.length === 0) out.push('  (none: nothing in the simulated account was changed by the automation)');
  for (const a of result.actions) out.push(`  ${a.type} on ${a.target}: ${a.status}`);
  out.push('Notifications:');
  for (const n of result.notifications) out.push(`  ${hms(n.at)}  ${n.topic.padEnd(10)} ${n.subject}`);
  out.push('');
  const metric = (label: string, s: number | null) => `${label} ${s === null ? 'n/a' : humanDuration(s * 1000)}`;
  out.push(
    `Outcome: ${result.restored ? 'RESTORED' : 'NOT RESTORED'}${result.escalated ? ', human paged' : ''}. ${metric('MTTD', result.simulatedMttdSeconds)}, ${metric('MTTM', result.simulatedMttmSeconds)}, ${metric('MTTR', result.simulatedMttrSeconds)} (simulated); ${result.stateTransitions} state transitions; alarm now ${result.alarm.finalState}.`,
  );
  out.push(
    `Expected: ${result.expected.restored ? 'restored' : 'not restored'}, actions [${result.expected.actions.join(', ')}], ${result.expected.escalated ? 'escalated' : 'not escalated'} → ${mark(result.passed)}`,
  );
  if (result.undo) {
    out.push('Undo (tourniquet undo, newest mitigation first):');
    for (const s of result.undo.steps) out.push(`  ${s.type} on ${s.target}: ${s.status}. ${s.detail}`);
    out.push(`  Account after undo: ${result.undo.restoredToBefore ? 'back to its pre-incident state' : 'DIFFERENT from its pre-incident state'}.`);
  }
  for (const m of result.mismatches) out.push(`  ✗ ${m}`);
  out.push(`(${result.wallSeconds.toFixed(1)} s wall time)`);
  return out.join('\n');
}

export function renderSummary(results: readonly DrillResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  const lines = ['━━ Drill summary ━━'];
  for (const r of results) {
    lines.push(`  ${mark(r.passed)}  ${r.scenario.padEnd(22)} ${r.restored ? 'restored' : 'not restored'}${r.escalated ? ', escalated' : ''}; actions [${r.actions.map((a) => a.type).join(', ')}]`);
  }
  lines.push(`${passed} of ${results.length} scenario(s) behaved as expected.`);
  return lines.join('\n');
}
