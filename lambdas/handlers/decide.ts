import { decide } from '../core/decision.js';
import { WorkflowStateSchema, type Plan } from '../core/model.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';

export interface DecideDeps {
  readonly store: Pick<IncidentStore, 'appendTimeline'>;
  readonly clock: () => Date;
}

/** Runs the decision matrix over the triage facts and records the plan and its rationale. */
export function createDecideHandler(deps: DecideDeps) {
  return async (event: unknown): Promise<Plan> => {
    const state = WorkflowStateSchema.parse(event);
    if (!state.triage) throw new Error('Decide needs the triage result at $.triage');
    const plan = decide(state.triage, state.service, state.signal.stateChangeTime);
    await deps.store.appendTimeline(state.incident.incidentId, {
      at: deps.clock().toISOString(),
      kind: 'decision',
      message: `Decision (${plan.scenario}): ${plan.rationale}`,
      data: { candidates: plan.candidates.map((c) => ({ type: c.type, target: c.target, risk: c.risk, executable: c.executable })) },
    });
    return plan;
  };
}

export const handler = lambdaHandler(() =>
  createDecideHandler({ store: new IncidentStore({ tableName: readEnv('TABLE_NAME').TABLE_NAME }), clock: () => new Date() }),
);
