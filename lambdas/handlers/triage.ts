import { type Triage, WorkflowStateSchema } from '../core/model.js';
import { type TriageDeps, triageIncident } from '../operations/triage.js';
import { composeTriage } from '../runtime/compose/triage.js';
import { composedHandler } from '../runtime/lambda.js';

export type { TriageDeps } from '../operations/triage.js';

/** Triage: the workflow state in, the facts the decision needs out (lambdas/operations/triage.ts). */
export function createTriageHandler(deps: TriageDeps) {
  return async (event: unknown): Promise<Triage> => triageIncident(deps, WorkflowStateSchema.parse(event));
}

export const handler = composedHandler('triage', composeTriage, createTriageHandler);
