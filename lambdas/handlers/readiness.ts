import { parseConfig } from '../core/config.js';
import { createScheduledReadiness, type ScheduledReadinessDeps } from '../operations/readiness.js';
import { composeReadiness } from '../runtime/compose/readiness.js';
import { CONFIG_FILE, DEPLOYED_CONFIG_DIR, readDeployedFile } from '../runtime/deployed-config.js';
import { composedHandler, logger } from '../runtime/lambda.js';

export { ReadinessRunError } from '../operations/readiness.js';

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
  // The config layer's config.json (lib/constructs/config-layer.ts), read once per cold start.
  return { config: parseConfig(readDeployedFile(CONFIG_FILE), `${DEPLOYED_CONFIG_DIR}/${CONFIG_FILE}`) };
});
