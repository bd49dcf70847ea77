import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

import { ApprovalSecretSource } from '../adapters/approval-secret.js';
import { SnsPublisher } from '../adapters/sns-publisher.js';
import { requestApproval, type RequestApprovalDeps, RequestApprovalEventSchema, type RequestApprovalResult } from '../operations/request-approval.js';
import { readEnvFor } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';
import { ApprovalStore } from '../store/approvals.js';
import { IncidentStore } from '../store/incident-store.js';

export type { RequestApprovalDeps, RequestApprovalEvent, RequestApprovalResult } from '../operations/request-approval.js';

/**
 * `AwaitApproval` (a `.waitForTaskToken` Task): the event in, the approval request recorded and sent
 * out (`lambdas/operations/request-approval.ts`). The state machine then waits until someone decides
 * (the approval endpoint or `tourniquet approve|reject` calls SendTaskSuccess) or the state's timeout fires.
 */
export function createRequestApprovalHandler(deps: RequestApprovalDeps) {
  return async (event: unknown): Promise<RequestApprovalResult> => requestApproval(deps, RequestApprovalEventSchema.parse(event));
}

export const handler = lambdaHandler(() => {
  const env = readEnvFor('request-approval');
  const secrets = new ApprovalSecretSource(new SecretsManagerClient({}));
  return createRequestApprovalHandler({
    approvals: new ApprovalStore({ tableName: env.TABLE_NAME }),
    incidents: new IncidentStore({ tableName: env.TABLE_NAME }),
    publisher: new SnsPublisher(new SNSClient({})),
    secret: () => secrets.getSecret(env.APPROVAL_SECRET_ARN),
    secretId: env.APPROVAL_SECRET_ARN,
    endpointUrl: env.APPROVAL_ENDPOINT_URL,
    tableName: env.TABLE_NAME,
    statusTopicArn: env.STATUS_TOPIC_ARN,
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    approversTopicArn: env.APPROVERS_TOPIC_ARN,
    approverEmails: env.APPROVER_EMAILS,
    clock: () => new Date(),
  });
});
