import { requestApproval, type RequestApprovalDeps, RequestApprovalEventSchema, type RequestApprovalResult } from '../operations/request-approval.js';
import { composeRequestApproval } from '../runtime/compose/request-approval.js';
import { composedHandler } from '../runtime/lambda.js';

export type { RequestApprovalDeps, RequestApprovalEvent, RequestApprovalResult } from '../operations/request-approval.js';

/**
 * `AwaitApproval` (a `.waitForTaskToken` Task): the event in, the approval request recorded and sent
 * out (`lambdas/operations/request-approval.ts`). The state machine then waits until someone decides
 * (the approval endpoint or `tourniquet approve|reject` calls SendTaskSuccess) or the state's timeout fires.
 */
export function createRequestApprovalHandler(deps: RequestApprovalDeps) {
  return async (event: unknown): Promise<RequestApprovalResult> => requestApproval(deps, RequestApprovalEventSchema.parse(event));
}

export const handler = composedHandler('request-approval', composeRequestApproval, createRequestApprovalHandler);
