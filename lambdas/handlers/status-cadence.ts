import { CadenceSettingsSchema } from '../core/cadence.js';
import { createStatusCadence, type StatusCadenceDeps, type StatusCadenceResult } from '../operations/cadence.js';
import { composeStatusCadence } from '../runtime/compose/status-cadence.js';
import { CADENCE_FILE, readDeployedFile } from '../runtime/deployed-config.js';
import { composedHandler } from '../runtime/lambda.js';

export type { StatusCadenceDeps, StatusCadenceResult } from '../operations/cadence.js';

/** The scheduled status cadence: the schedule's event is not read; each invocation is one run (`lambdas/operations/cadence.ts`). */
export function createStatusCadenceHandler(deps: StatusCadenceDeps) {
  const run = createStatusCadence(deps);
  return (_event: unknown): Promise<StatusCadenceResult> => run();
}

export const handler = composedHandler('status-cadence', composeStatusCadence, createStatusCadenceHandler, () => {
  // The cadence overrides and alarm texts, from the config layer (lib/constructs/config-layer.ts), read once per cold start.
  return { cadence: CadenceSettingsSchema.parse(JSON.parse(readDeployedFile(CADENCE_FILE))) };
});
