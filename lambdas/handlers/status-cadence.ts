import { SNSClient } from '@aws-sdk/client-sns';

import { SnsPublisher } from '../adapters/sns-publisher.js';
import { CadenceSettingsSchema } from '../core/cadence.js';
import { createStatusCadence, type StatusCadenceDeps, type StatusCadenceResult } from '../operations/cadence.js';
import { readEnvFor } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';
import { IncidentStore } from '../store/incident-store.js';

export type { StatusCadenceDeps, StatusCadenceResult } from '../operations/cadence.js';

/** The cadence overrides and alarm texts, embedded by esbuild at bundle time (see `lib/constructs/status-cadence.ts`). */
declare const __TOURNIQUET_CADENCE__: string | undefined;

/** The scheduled status cadence: the schedule's event is not read; each invocation is one run (`lambdas/operations/cadence.ts`). */
export function createStatusCadenceHandler(deps: StatusCadenceDeps) {
  const run = createStatusCadence(deps);
  return (_event: unknown): Promise<StatusCadenceResult> => run();
}

export const handler = lambdaHandler(() => {
  if (typeof __TOURNIQUET_CADENCE__ !== 'string') throw new Error('The cadence settings were not embedded in this bundle; redeploy with cdk deploy');
  const env = readEnvFor('status-cadence');
  return createStatusCadenceHandler({
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    publisher: new SnsPublisher(new SNSClient({})),
    statusTopicArn: env.STATUS_TOPIC_ARN,
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    settings: CadenceSettingsSchema.parse(JSON.parse(__TOURNIQUET_CADENCE__)),
    clock: () => new Date(),
  });
});
