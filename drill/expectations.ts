import { CATALOGUE } from '../lambdas/mitigations/index.js';
import type { ActionRecord } from '../lambdas/store/incident-store.js';
import type { ExecutionRecord } from './local-workflow.js';
import { atOffset, type Scenario } from './scenario.js';

/**
 * Judging a drill: what the scenario expects against what happened. Pure functions over the facts
 * the runner gathered, so each rule reads on its own and is tested without DynamoDB.
 */

/** Ledger statuses of an action that changed the account at some point (reverted or undone ones too). */
const CHANGED = new Set<ActionRecord['status']>(['applied', 'already-applied', 'undone']);

/** The mitigation types an incident applied, in ledger order (what `expect.actions` lists). */
export function appliedTypes(actions: readonly Pick<ActionRecord, 'status' | 'type'>[]): string[] {
  return actions.filter((a) => CHANGED.has(a.status)).map((a) => a.type);
}

/**
 * Mutating calls one change of each mitigation type makes (its catalogue module's `writesPerChange`):
 * a flag change creates a hosted configuration version and deploys it; most others are one write.
 * Undoing or reverting a change is one change of the same kind.
 */
export const WRITES_PER_CHANGE: Readonly<Record<ActionRecord['type'], number>> = Object.fromEntries(CATALOGUE.map((m) => [m.type, m.writesPerChange])) as Record<
  ActionRecord['type'],
  number
>;

/**
 * How many accepted mutating calls the ledger accounts for. Every automated change is claimed in
 * the ledger before it is made (claim → apply → record), so each action allows the writes of one
 * change when it was carried out (applied; failed or left "started" after a partial attempt; undone,
 * which was applied first) and of one more when it was taken back (undone: by `tourniquet undo` or
 * reverted as ineffective). An action found already in place ("already-applied": a retry or a
 * concurrent execution reconciled against the real resource) and a dry run allow none.
 */
export function mutationBudget(actions: readonly Pick<ActionRecord, 'status' | 'type'>[]): number {
  let budget = 0;
  for (const a of actions) {
    const changes = (['applied', 'failed', 'started', 'undone'].includes(a.status) ? 1 : 0) + (a.status === 'undone' ? 1 : 0);
    budget += changes * WRITES_PER_CHANGE[a.type];
  }
  return budget;
}

/** One incident as the drill saw it at the end. */
export interface IncidentOutcome {
  readonly incidentId: string;
  readonly service: string;
  readonly status: string;
  readonly alarms: readonly string[];
  readonly actions: readonly Pick<ActionRecord, 'status' | 'type'>[];
  readonly pages: number;
  /** When the first page for it reached the escalation topic. */
  readonly firstPageAt?: string;
  readonly restored: boolean;
  readonly escalated: boolean;
}

/** Everything the rules look at. */
export interface DrillFacts {
  /** When the primary alarm first entered ALARM, if it did. */
  readonly primaryFiredAt?: Date;
  /** The primary alarm's state at the end, if there is a primary alarm. */
  readonly primaryFinalState?: string;
  /** Every incident, oldest first; the first is the one the single-incident expectations describe. */
  readonly incidents: readonly IncidentOutcome[];
  /** Single-incident outcome of the first incident (restored with the primary alarm's meaning). */
  readonly first: { readonly restored: boolean; readonly escalated: boolean; readonly applied: readonly string[] };
  readonly executions: readonly ExecutionRecord[];
  /** Mutating calls from the automation, failed ones included. */
  readonly mutatingCalls: readonly { readonly command: string; readonly error?: string }[];
  /** Accepted mutating calls from the automation. */
  readonly mutations: number;
  /** What the ledger accounts for (see {@link mutationBudget}). */
  readonly budget: number;
  /** Pages the failure net delivered to the escalation topic: the execution each was about, and its incident. */
  readonly failureNetPages?: readonly { readonly execution: string; readonly incidentId?: string }[];
  /** Problems found while running: actor errors, runaway guards, failed deliveries or human actions. */
  readonly problems: readonly string[];
}

/** Every way the outcome differs from the scenario's expectation, in words; empty when it behaved as expected. */
export function judge(scenario: Scenario, facts: DrillFacts): string[] {
  const mismatches = [...facts.problems];
  const e = scenario.expect;

  if (scenario.alarm !== undefined) {
    if (!facts.primaryFiredAt) mismatches.push(`alarm ${scenario.alarm} never entered ALARM in the simulated history`);
    else if (e.alarmAt !== undefined && facts.primaryFiredAt.getTime() !== atOffset(scenario.startsAt, e.alarmAt).getTime()) {
      mismatches.push(
        `expected alarm ${scenario.alarm} to enter ALARM at ${e.alarmAt} (${atOffset(scenario.startsAt, e.alarmAt).toISOString()}), it did at ${facts.primaryFiredAt.toISOString()}`,
      );
    }
  }

  const netPages = facts.failureNetPages ?? [];
  const netPaged = new Set(netPages.map((p) => p.execution));
  for (const execution of facts.executions) {
    // A failure a Catch handled is part of the story (an approval timing out); only an execution that failed is a mismatch,
    // unless the scenario expects the failure net to page for it and the net's page for it was delivered.
    if (e.pagedVia === 'failure-net' && netPaged.has(execution.name)) continue;
    if (execution.status === 'FAILED' || execution.status === 'TIMED_OUT') {
      mismatches.push(`execution ${execution.name} ${execution.status}: ${execution.error ?? ''}`);
      if (execution.status === 'FAILED') for (const f of execution.failures) mismatches.push(`state ${f.state} failed: ${f.error}: ${f.cause}`);
    }
  }

  if (e.restored !== undefined && e.actions !== undefined && e.escalated !== undefined) {
    const { restored, escalated, applied } = facts.first;
    if (restored !== e.restored) mismatches.push(`expected ${e.restored ? 'restored' : 'not restored'}, got ${restored ? 'restored' : 'not restored'}`);
    if (escalated !== e.escalated) mismatches.push(`expected ${e.escalated ? 'an escalation' : 'no escalation'}, got ${escalated ? 'one' : 'none'}`);
    if (JSON.stringify(applied) !== JSON.stringify(e.actions)) mismatches.push(`expected actions [${e.actions.join(', ')}], got [${applied.join(', ')}]`);
    // A call the account refused (throttled, denied, conflicting) changed nothing; an accepted one did.
    const accepted = facts.mutatingCalls.filter((c) => c.error === undefined);
    if (e.actions.length === 0 && accepted.length > 0) {
      mismatches.push(`expected no change to the account, got ${accepted.map((c) => c.command).join(', ')}`);
    }
  }

  if (e.pagedVia !== undefined) {
    const first = facts.incidents[0];
    const viaNet = first ? netPages.filter((p) => p.incidentId === first.incidentId).length : 0;
    if (!first) mismatches.push(`expected the first incident to be paged via ${e.pagedVia === 'failure-net' ? 'the failure net' : 'the workflow'}, but no incident was opened`);
    else if (e.pagedVia === 'failure-net' && viaNet === 0) {
      mismatches.push(`expected the page for ${first.incidentId} to arrive through the failure net, but the net delivered no page for its executions`);
    } else if (e.pagedVia === 'workflow') {
      if (first.pages === 0) mismatches.push(`expected the workflow to page for ${first.incidentId}, but no message on the escalation topic carries its id`);
      if (viaNet > 0) mismatches.push(`expected the workflow to page for ${first.incidentId}, but the failure net had to (${viaNet} page(s))`);
    }
  }

  if (e.pagedWithinMinutes !== undefined) {
    const first = facts.incidents[0];
    const firedAt = facts.primaryFiredAt;
    if (!first?.firstPageAt || !firedAt) mismatches.push(`expected a page within ${e.pagedWithinMinutes} min of the alarm, but ${first ? 'none came' : 'no incident was opened'}`);
    else {
      const minutes = (Date.parse(first.firstPageAt) - firedAt.getTime()) / 60_000;
      if (minutes > e.pagedWithinMinutes) mismatches.push(`expected a page within ${e.pagedWithinMinutes} min of the alarm, the first came after ${minutes.toFixed(1)} min`);
    }
  }

  if (e.incidentCount !== undefined && facts.incidents.length !== e.incidentCount) {
    const byService = countBy(facts.incidents.map((i) => i.service));
    mismatches.push(`expected ${e.incidentCount} incident(s), got ${facts.incidents.length} (${[...byService].map(([s, n]) => `${s} ×${n}`).join(', ') || 'none'})`);
  }
  if (e.maxExecutions !== undefined && facts.executions.length > e.maxExecutions) {
    mismatches.push(`expected at most ${e.maxExecutions} executions, ${facts.executions.length} were started`);
  }
  mismatches.push(...judgeIncidents(e.incidents ?? [], facts.incidents));

  if (facts.mutations > facts.budget) {
    mismatches.push(
      `${facts.mutations} change(s) reached the account but the ledger accounts for ${facts.budget}: some incident action was carried out twice (${facts.mutations - facts.budget} duplicate change(s))`,
    );
  }
  return mismatches;
}

/**
 * Per-incident expectations, matched in order to the incidents of their service in the order they
 * were opened: the first expectation for checkout describes checkout's first incident, and so on.
 */
function judgeIncidents(expectations: NonNullable<Scenario['expect']['incidents']>, incidents: readonly IncidentOutcome[]): string[] {
  const mismatches: string[] = [];
  const used = new Map<string, number>();
  for (const exp of expectations) {
    const nth = used.get(exp.service) ?? 0;
    used.set(exp.service, nth + 1);
    const incident = incidents.filter((i) => i.service === exp.service)[nth];
    const which = `${exp.service} incident #${nth + 1}`;
    if (!incident) {
      mismatches.push(`expected ${which}, but ${exp.service} had ${nth === 0 ? 'no incident' : `only ${nth}`}`);
      continue;
    }
    const id = `${which} (${incident.incidentId})`;
    if (exp.status !== undefined && incident.status !== exp.status) mismatches.push(`${id}: expected status ${exp.status}, got ${incident.status}`);
    const missing = (exp.alarms ?? []).filter((a) => !incident.alarms.includes(a));
    if (missing.length > 0) mismatches.push(`${id}: expected alarms ${missing.join(', ')} on it, it has ${incident.alarms.join(', ')}`);
    const applied = appliedTypes(incident.actions);
    if (exp.actions !== undefined && JSON.stringify(applied) !== JSON.stringify(exp.actions)) {
      mismatches.push(`${id}: expected actions [${exp.actions.join(', ')}], got [${applied.join(', ')}]`);
    }
    if (exp.restored !== undefined && incident.restored !== exp.restored)
      mismatches.push(`${id}: expected ${exp.restored ? 'restored' : 'not restored'}, got ${incident.restored ? 'restored' : 'not restored'}`);
    if (exp.escalated !== undefined && incident.escalated !== exp.escalated)
      mismatches.push(`${id}: expected ${exp.escalated ? 'an escalation' : 'no escalation'}, got ${incident.escalated ? 'one' : 'none'}`);
    if (exp.minPages !== undefined && incident.pages < exp.minPages) mismatches.push(`${id}: expected at least ${exp.minPages} page(s), got ${incident.pages}`);
  }
  return mismatches;
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
