import { parseConfig } from '../core/config.js';
import { createScheduledReadiness, type ScheduledReadinessDeps } from '../operations/readiness.js';
import { composeReadiness } from '../runtime/compose/readiness.js';
import { composedHandler, logger } from '../runtime/lambda.js';

export { ReadinessRunError } from '../operations/readiness.js';

/** The Tourniquet config, embedded by esbuild at bundle time (see `lib/constructs/readiness-check.ts`). */
declare const __TOURNIQUET_CONFIG__: string | undefined;

/** The scheduled readiness check: one run per schedule event (lambdas/operations/readiness.ts). */
export function createReadinessHandler(deps: ScheduledReadinessDeps) {
  const run = createScheduledReadiness(deps);
  return async (_event: unknown) => {
    const result = await run();
    logger.info('readiness run', {
      checked: result.checked,
      notReady: result.notReady,
      announced: result.announced.map((a) => `${a.service} ${a.type} ${a.target}: ${a.ready ? 'ready' : 'not ready'}`),
      raced: result.raced,
    });
    return result;
  };
}

export const handler = composedHandler('readiness', composeReadiness, createReadinessHandler, () => {
  if (typeof __TOURNIQUET_CONFIG__ !== 'string') throw new Error('The Tourniquet config was not embedded in this bundle; redeploy with cdk deploy');
  return { config: parseConfig(__TOURNIQUET_CONFIG__, 'embedded config') };
});
