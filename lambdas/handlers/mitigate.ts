import { WorkflowStateSchema } from '../core/model.js';
import { createMitigateOperation, type MitigateDeps } from '../operations/mitigate.js';
import { composeMitigate } from '../runtime/compose/mitigate.js';
import { composedHandler } from '../runtime/lambda.js';

export type { MitigateDeps } from '../operations/mitigate.js';
export { AutomationBrakeError, MitigationFailedError, MitigationNotExecutableError, MutationInProgressError, NoCandidateCanActError } from '../operations/mitigate.js';

/** Mitigate: the workflow state in, one attempt of the plan out (lambdas/operations/mitigate.ts). */
export function createMitigateHandler(deps: MitigateDeps) {
  const mitigate = createMitigateOperation(deps);
  return (event: unknown) => mitigate(WorkflowStateSchema.parse(event));
}

export const handler = composedHandler('mitigate', composeMitigate, createMitigateHandler);
