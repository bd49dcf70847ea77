import { runbookFor } from '../core/config.js';
import { decide } from '../core/decision.js';
import { type MitigationRecord, withRecords } from '../core/learning.js';
import { type Plan, WorkflowStateSchema } from '../core/model.js';
import { mitigationOf } from '../mitigations/index.js';
import { composeDecide } from '../runtime/compose/decide.js';
import { composedHandler, logger } from '../runtime/lambda.js';
import { IncidentStore } from '../store/incident-store.js';

export interface DecideDeps {
  readonly store: Pick<IncidentStore, 'appendTimeline' | 'listActions' | 'updateIncident'>;
  /** The learning records (lambdas/store/learning.ts): each candidate's track record for this service goes into its rationale. */
  readonly records?: { forService(service: string): Promise<MitigationRecord[]> };
  readonly clock: () => Date;
}

/**
 * Runs the decision matrix over the triage facts and records the plan and its rationale. After a
 * re-open, candidates an earlier round already tried (the ledger has them) are left out: applying
 * them again would change nothing or repeat what did not help.
 */
export function createDecideHandler(deps: DecideDeps) {
  return async (event: unknown): Promise<Plan> => {
    const state = WorkflowStateSchema.parse(event);
    if (!state.triage) throw new Error('Decide needs the triage result at $.triage');
    const matrix = decide(state.triage, state.service, state.signal.stateChangeTime);
    const tried = state.incident.round > 0 ? (await deps.store.listActions(state.incident.incidentId)).filter((a) => a.status !== 'dry-run') : [];
    const isTried = (c: Plan['candidates'][number]) => tried.some((a) => a.type === c.type && a.target === c.target);
    const candidates = matrix.candidates.filter((c) => !isTried(c));
    const triedText = matrix.candidates
      .filter(isTried)
      .map((c) => `${c.type} on ${c.target}`)
      .join(', ');
    const decided: Plan =
      triedText === ''
        ? matrix
        : {
            ...matrix,
            candidates,
            hasCandidate: candidates.some((c) => c.executable),
            rationale: candidates.length
              ? `The alarm fired again after an earlier mitigation (round ${state.incident.round}). Already tried and left out: ${triedText}. Next: ${candidates.map((c) => `${c.type} on ${c.target}`).join(', then ')}.`
              : `The alarm fired again after an earlier mitigation (round ${state.incident.round}), and every candidate the decision matrix proposes (${matrixCase(matrix.scenario)}) was already tried: ${triedText}. Nothing new to try automatically.`,
          };
    const recorded = withRecords(decided, await recordsOf(deps, state.service.name), (type) => mitigationOf(type).title);
    // The human reading the decision (timeline, status updates, approval request) gets the runbook with it.
    const runbook = runbookFor(
      state.service,
      state.service.alarms.find((a) => a.name === state.signal.alarmName),
    );
    const plan: Plan = runbook ? { ...recorded, rationale: `${recorded.rationale} Runbook: ${runbook}` } : recorded;
    await deps.store.appendTimeline(state.incident.incidentId, {
      at: deps.clock().toISOString(),
      kind: 'decision',
      message: `Decision (${plan.scenario}): ${plan.rationale}`,
      data: { candidates: plan.candidates.map((c) => ({ type: c.type, target: c.target, risk: c.risk, executable: c.executable })) },
    });
    await deps.store.updateIncident(state.incident.incidentId, { plan });
    return plan;
  };
}

const matrixCase = (scenario: string): string => `case ${scenario}`;

/** The service's learning records; a failed read costs only the sentence in the rationale, never the decision. */
async function recordsOf(deps: DecideDeps, service: string): Promise<MitigationRecord[]> {
  if (!deps.records) return [];
  try {
    return await deps.records.forService(service);
  } catch (error) {
    logger.warn('could not read the learning records; deciding without them', { service, error: error as Error });
    return [];
  }
}

export const handler = composedHandler('decide', composeDecide, createDecideHandler);
