import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';

import { AppConfigFlagsAdapter } from '../adapters/appconfig-flags.js';
import { CloudWatchAlarmsAdapter } from '../adapters/cloudwatch-alarms.js';
import { EcsAdapter } from '../adapters/ecs-deployments.js';
import { type Triage, WorkflowStateSchema } from '../core/model.js';
import { type TriageDeps, triageIncident } from '../operations/triage.js';
import { readEnvFor } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';
import { IncidentStore } from '../store/incident-store.js';

export type { TriageDeps } from '../operations/triage.js';

/** Triage: the workflow state in, the facts the decision needs out (lambdas/operations/triage.ts). */
export function createTriageHandler(deps: TriageDeps) {
  return async (event: unknown): Promise<Triage> => triageIncident(deps, WorkflowStateSchema.parse(event));
}

export const handler = lambdaHandler(() => {
  const env = readEnvFor('triage');
  return createTriageHandler({
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    flags: new AppConfigFlagsAdapter(new AppConfigClient({})),
    ecs: new EcsAdapter(new ECSClient({})),
    alarms: new CloudWatchAlarmsAdapter(new CloudWatchClient({})),
    clock: () => new Date(),
  });
});
