import { WorkflowStateSchema } from '../core/model.js';
import { createMitigateOperation, type MitigateDeps } from '../operations/mitigate.js';
import { awsClients } from '../runtime/clients.js';
import { mitigationAdapters } from '../runtime/compose.js';
import { readEnvFor } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';
import { AutomationBrake } from '../store/brake.js';
import { IncidentStore } from '../store/incident-store.js';
import { PauseSwitch } from '../store/pause.js';

export { AutomationBrakeError, MitigationFailedError, MitigationNotExecutableError, MutationInProgressError, NoCandidateCanActError } from '../operations/mitigate.js';
export type { MitigateDeps } from '../operations/mitigate.js';

/** Mitigate: the workflow state in, one attempt of the plan out (lambdas/operations/mitigate.ts). */
export function createMitigateHandler(deps: MitigateDeps) {
  const mitigate = createMitigateOperation(deps);
  return (event: unknown) => mitigate(WorkflowStateSchema.parse(event));
}

export const handler = lambdaHandler(() => {
  const env = readEnvFor('mitigate');
  return createMitigateHandler({
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    pause: new PauseSwitch({ tableName: env.TABLE_NAME }),
    brake: new AutomationBrake({ tableName: env.TABLE_NAME }),
    adapters: mitigationAdapters(awsClients()),
    deploymentStrategyId: env.DEPLOYMENT_STRATEGY_ID,
    clock: () => new Date(),
  });
});
