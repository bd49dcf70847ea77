import { SNSClient } from '@aws-sdk/client-sns';

import { PowertoolsReadinessMetrics } from '../adapters/readiness-metrics.js';
import { SnsPublisher } from '../adapters/sns-publisher.js';
import { parseConfig } from '../core/config.js';
import { createScheduledReadiness, type ScheduledReadinessDeps } from '../operations/readiness.js';
import { awsClients } from '../runtime/clients.js';
import { mitigationAdapters } from '../runtime/compose.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';
import { ReadinessLedger } from '../store/readiness.js';

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

export const handler = lambdaHandler(() => {
  if (typeof __TOURNIQUET_CONFIG__ !== 'string') throw new Error('The Tourniquet config was not embedded in this bundle; redeploy with cdk deploy');
  const env = readEnv('TABLE_NAME', 'STATUS_TOPIC_ARN', 'DEPLOYMENT_STRATEGY_ID');
  return createReadinessHandler({
    config: parseConfig(__TOURNIQUET_CONFIG__, 'embedded config'),
    adapters: mitigationAdapters(awsClients()),
    deploymentStrategyId: env.DEPLOYMENT_STRATEGY_ID,
    verdicts: new ReadinessLedger({ tableName: env.TABLE_NAME }),
    metrics: new PowertoolsReadinessMetrics(),
    publisher: new SnsPublisher(new SNSClient({})),
    statusTopicArn: env.STATUS_TOPIC_ARN,
    clock: () => new Date(),
  });
});
