import type { ApprovalEndpointDeps } from '../../handlers/approval-endpoint.js';
import type { EnvOf } from '../manifest.js';
import { metricsSink, type Runtime, stores } from './runtime.js';

/** Dependencies of the approval-endpoint function. */
export const composeApprovalEndpoint = async (rt: Runtime, env: EnvOf<'approval-endpoint'>): Promise<ApprovalEndpointDeps> => {
  const [{ incidents, options }, { ApprovalStore }, { ApprovalSecretSource }, { StepFunctionsTasks }] = await Promise.all([
    stores(rt, env.TABLE_NAME),
    import('../../store/approvals.js'),
    import('../../adapters/approval-secret.js'),
    import('../../adapters/step-functions-tasks.js'),
  ]);
  return {
    approvals: new ApprovalStore(options),
    incidents,
    tasks: new StepFunctionsTasks(await rt.clients.sfn()),
    secrets: new ApprovalSecretSource(await rt.clients.secretsManager()),
    secretId: env.APPROVAL_SECRET_ARN,
    metrics: await metricsSink(rt),
    clock: rt.clock,
  };
};
