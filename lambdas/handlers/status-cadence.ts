import { CadenceSettingsSchema } from '../core/cadence.js';
import { createStatusCadence, type StatusCadenceDeps, type StatusCadenceResult } from '../operations/cadence.js';
import { composeStatusCadence } from '../runtime/compose/status-cadence.js';
import { composedHandler } from '../runtime/lambda.js';

export type { StatusCadenceDeps, StatusCadenceResult } from '../operations/cadence.js';

/** The cadence overrides and alarm texts, embedded by esbuild at bundle time (see `lib/constructs/status-cadence.ts`). */
declare const __TOURNIQUET_CADENCE__: string | undefined;

/** The scheduled status cadence: the schedule's event is not read; each invocation is one run (`lambdas/operations/cadence.ts`). */
export function createStatusCadenceHandler(deps: StatusCadenceDeps) {
  const run = createStatusCadence(deps);
  return (_event: unknown): Promise<StatusCadenceResult> => run();
}

export const handler = composedHandler('status-cadence', composeStatusCadence, createStatusCadenceHandler, () => {
  if (typeof __TOURNIQUET_CADENCE__ !== 'string') throw new Error('The cadence settings were not embedded in this bundle; redeploy with cdk deploy');
  return { cadence: CadenceSettingsSchema.parse(JSON.parse(__TOURNIQUET_CADENCE__)) };
});
