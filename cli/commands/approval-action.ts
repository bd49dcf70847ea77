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
import type { ApprovalCliOptions, ApprovalDepsFactory } from './approval.js';

export { runApprovalCommand } from '../../lambdas/operations/approval.js';

/**
 * What `tourniquet approve|reject` do, loaded only when one of them runs (registration: approval.ts;
 * the decision itself: lambdas/operations/approval.ts, which the drill operator runs too).
 */

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** AWS SDK clients from the default credential chain (profile, SSO, environment...). */
export const defaultApprovalDeps: ApprovalDepsFactory = ({ tableName, region }) => {
  const config = region ? { region } : {};
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

/** Runs one command from parsed CLI options. */
export async function approvalCommand(
  decision: ApprovalDecision,
  incidentId: string,
  options: ApprovalCliOptions,
  makeDeps: ApprovalDepsFactory = defaultApprovalDeps,
): Promise<ApprovalCommandResult> {
  const tableName = options.table?.trim();
  if (!tableName) return approvalCommandFailure('no incident table: pass --table <name> or set TOURNIQUET_TABLE', EXIT_BAD_INPUT);
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) return approvalCommandFailure(`"${tableName}" is not a DynamoDB table name`, EXIT_BAD_INPUT);
  let deps: ApprovalCommandDeps;
  try {
    deps = makeDeps({ tableName, ...(options.region ? { region: options.region } : {}) });
  } catch (error) {
    return approvalCommandFailure(errorText(error), EXIT_FAILURE);
  }
  return runApprovalCommand({ decision, incidentId, tableName, ...(options.reason !== undefined ? { reason: options.reason } : {}) }, deps);
}
