import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { ApprovalSecretSource } from '../../lambdas/adapters/approval-secret.js';
import { StepFunctionsTasks } from '../../lambdas/adapters/step-functions-tasks.js';
import type { ApprovalDecision } from '../../lambdas/core/approval-link.js';
import {
  type ApprovalCommandDeps,
  approvalCommandFailure,
  type ApprovalCommandResult,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  runApprovalCommand,
} from '../../lambdas/operations/approval.js';
import { ApprovalStore } from '../../lambdas/store/approvals.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { describeFailure, type FailureContext } from '../runtime/errors.js';
import { awsStackDeps, resolveStack, type StackContextDeps } from '../runtime/stack-context.js';
import type { ApprovalCliOptions, ApprovalDepsFactory } from './approval.js';

export { runApprovalCommand } from '../../lambdas/operations/approval.js';

/**
 * What `tourniquet approve|reject` do, loaded only when one of them runs (registration: approval.ts;
 * the decision itself: lambdas/operations/approval.ts, which the drill operator runs too).
 */

/** AWS SDK clients from the default credential chain (profile, SSO, environment...). */
export const defaultApprovalDeps: ApprovalDepsFactory = ({ tableName, region }) => {
  const config = { region };
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });
  const clock = () => new Date();
  return {
    approvals: new ApprovalStore({ tableName, client, clock }),
    incidents: new IncidentStore({ tableName, client, clock }),
    tasks: new StepFunctionsTasks(new SFNClient(config)),
    secrets: new ApprovalSecretSource(new SecretsManagerClient(config)),
    sts: new STSClient(config),
    clock,
  };
};

/** Runs one command from parsed CLI options; `stackDeps` resolves the region, credentials and table (tests replace it). */
export async function approvalCommand(
  decision: ApprovalDecision,
  incidentId: string,
  options: ApprovalCliOptions,
  makeDeps: ApprovalDepsFactory = defaultApprovalDeps,
  stackDeps: StackContextDeps = awsStackDeps,
): Promise<ApprovalCommandResult> {
  const command = decision === 'approved' ? 'approve' : 'reject';
  const context: FailureContext = {};
  let deps: ApprovalCommandDeps;
  let tableName: string;
  try {
    const stack = await resolveStack(command, options, { required: ['table'] }, stackDeps, context);
    tableName = stack.values.table!;
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) return approvalCommandFailure(`"${tableName}" is not a DynamoDB table name`, EXIT_BAD_INPUT);
    deps = makeDeps({ tableName, region: stack.region });
  } catch (error) {
    const { message, exitCode } = describeFailure(error, context);
    return approvalCommandFailure(message, exitCode === EXIT_BAD_INPUT ? EXIT_BAD_INPUT : EXIT_FAILURE);
  }
  return runApprovalCommand({ decision, incidentId, tableName, ...(options.reason !== undefined ? { reason: options.reason } : {}) }, deps);
}
