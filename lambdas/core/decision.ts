import { CATALOGUE, mitigationOf } from '../mitigations/index.js';
import type { Mitigation, Proposal } from '../mitigations/mitigation.js';
import type { ServiceConfig } from './config.js';
import { type Candidate, MITIGATION_TYPES, type Plan, type Triage } from './model.js';
import { resolvePolicy } from './policy.js';

/**
 * The decision matrix: triage facts in, an ordered plan of candidate mitigations out.
 *
 * | scenario                  | approach                         |
 * |---------------------------|----------------------------------|
 * | feature regression        | feature-flag kill switch         |
 * | bad deployment            | ECS rollback                     |
 * | region failure            | Route 53 failover, ARC controls  |
 * | database failure          | database failover to a replica   |
 * | downstream API failure    | circuit break (degrade flag on)  |
 * | traffic spike / DDoS      | WAF rule, or scale out when real |
 * | nothing explains it       | no action, page a human          |
 *
 * Candidates follow the doctrine's hierarchy (kill switch > rollback > failover > circuit break > scale),
 * so mixed causes try the least risky change first. A mitigation with no resources in the config is
 * never proposed. Each row is a catalogue module's `propose` (lambdas/mitigations/). Pure function: no I/O, no clock.
 */

const minutesBefore = (earlier: string, later: string): number => Math.max(0, Math.round((Date.parse(later) - Date.parse(earlier)) / 60_000));

/** The evidence rows that are a recent change (the others are symptoms). */
const CHANGE_EVIDENCE = new Set(['flag-turned-on', 'new-deployment']);

export function decide(triage: Triage, service: ServiceConfig, alarmAt: string = triage.window.to): Plan {
  const candidate = (mitigation: Mitigation, proposal: Proposal): Candidate => {
    const policy = resolvePolicy(mitigation.type, triage.severity, service.policy);
    return {
      type: mitigation.type,
      target: proposal.target,
      params: { ...proposal.params },
      risk: mitigation.risk,
      rationale: proposal.rationale,
      policy: policy.mode,
      policyReason: policy.reason,
      // Approval-gated candidates run once a human approves (the workflow waits in AwaitApproval).
      executable: policy.mode !== 'never',
    };
  };
  const candidates: Candidate[] = [];
  const notes: string[] = [];
  // Changes first: whether a recent change explains the alarm decides whether capacity may be blamed.
  const byEvidence = [...CATALOGUE].sort((a, b) => Number(CHANGE_EVIDENCE.has(b.evidence)) - Number(CHANGE_EVIDENCE.has(a.evidence)));
  for (const mitigation of byEvidence) {
    const changeExplains = candidates.some((c) => CHANGE_EVIDENCE.has(mitigationOf(c.type).evidence));
    const proposed = mitigation.propose({ triage, service, alarmAt, changeExplains });
    candidates.push(...proposed.proposals.map((p) => candidate(mitigation, p)));
    notes.push(...(proposed.notes ?? []));
  }

  candidates.sort((a, b) => MITIGATION_TYPES.indexOf(a.type) - MITIGATION_TYPES.indexOf(b.type));
  const scenario = scenarioOf(candidates);
  const executable = candidates.filter((c) => c.executable);
  const deferred = candidates.filter((c) => !c.executable);

  const parts: string[] = [];
  if (candidates.length === 0) {
    parts.push(
      `No deployment or flag change in the ${minutesBefore(triage.window.from, alarmAt)} min before the alarm and no symptom that a configured mitigation addresses: no automated action; paging a human.`,
    );
  } else {
    parts.push(`Matrix case: ${scenario}.`);
    if (executable.length > 0) {
      parts.push(`Will try, one at a time with verification after each: ${executable.map((c) => (c.policy === 'approval' ? `${c.type} (after approval)` : c.type)).join(' → ')}.`);
    }
    if (deferred.length > 0) parts.push(`Policy forbids ${deferred.map((c) => c.type).join(', ')}: named for a human, not run.`);
  }
  if (triage.gaps.length > 0) parts.push(`Triage could not read: ${triage.gaps.join('; ')}.`);
  parts.push(...notes);

  return { scenario, candidates, hasCandidate: executable.length > 0, rationale: parts.join(' ') };
}

/** The matrix case: two kinds of recent change together are a mixed change; otherwise the first candidate's. */
function scenarioOf(candidates: readonly Candidate[]): string {
  const changes = new Set(
    candidates
      .map((c) => mitigationOf(c.type))
      .filter((m) => CHANGE_EVIDENCE.has(m.evidence))
      .map((m) => m.evidence),
  );
  if (changes.size > 1) return 'mixed-change';
  const first = candidates[0];
  return first ? mitigationOf(first.type).matrixCase : 'unknown';
}

/** Index of the next candidate this build can execute after `after` (-1 for the first), if any. */
export function nextExecutableCursor(plan: Pick<Plan, 'candidates'>, after: number): number | undefined {
  for (let i = after + 1; i < plan.candidates.length; i++) if (plan.candidates[i]!.executable) return i;
  return undefined;
}
