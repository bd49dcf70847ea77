import type { RequestApprovalDeps } from '../../handlers/request-approval.js';
import type { EnvOf } from '../manifest.js';
import { metricsSink, notifyingPublisher, type Runtime, stores } from './runtime.js';

/** Dependencies of the request-approval function. */
export const composeRequestApproval = async (rt: Runtime, env: EnvOf<'request-approval'>): Promise<RequestApprovalDeps> => {
  const [{ incidents, options }, { ApprovalStore }, { ApprovalSecretSource }] = await Promise.all([
    stores(rt, env.TABLE_NAME),
    import('../../store/approvals.js'),
    import('../../adapters/approval-secret.js'),
  ]);
  const secrets = new ApprovalSecretSource(await rt.clients.secretsManager());
  return {
    approvals: new ApprovalStore(options),
    incidents,
    publisher: await notifyingPublisher(rt, env),
    secret: () => secrets.getSecret(env.APPROVAL_SECRET_ARN),
    secretId: env.APPROVAL_SECRET_ARN,
    endpointUrl: env.APPROVAL_ENDPOINT_URL,
    tableName: env.TABLE_NAME,
    statusTopicArn: env.STATUS_TOPIC_ARN,
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    approversTopicArn: env.APPROVERS_TOPIC_ARN,
    approverEmails: env.APPROVER_EMAILS,
    metrics: await metricsSink(rt),
    clock: rt.clock,
  };
};
