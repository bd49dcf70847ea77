import { readFileSync } from 'node:fs';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { parseConfig } from '../../lambdas/core/config.js';
import { undoIncident } from '../../lambdas/operations/undo.js';
import { awsClients } from '../../lambdas/runtime/clients.js';
import { composeOperator } from '../../lambdas/runtime/compose/index.js';

/** What `tourniquet undo` does, loaded only when it runs (registration: undo.ts). */

export interface UndoOptions {
  readonly config: string;
  readonly table?: string;
  readonly deploymentStrategy?: string;
  readonly region?: string;
  readonly dryRun?: boolean;
  readonly by?: string;
}

/**
 * `tourniquet undo <incidentId>`: reverts the incident's mitigations in reverse order with the
 * caller's AWS credentials. The table name and the deployment strategy ID are outputs of the stack.
 */
export async function runUndo(incidentId: string, options: UndoOptions): Promise<number> {
  const table = options.table ?? process.env.TOURNIQUET_TABLE;
  const strategy = options.deploymentStrategy ?? process.env.TOURNIQUET_DEPLOYMENT_STRATEGY_ID;
  if (!table || !strategy) {
    process.stderr.write(
      'tourniquet: undo needs --table and --deployment-strategy (or TOURNIQUET_TABLE and TOURNIQUET_DEPLOYMENT_STRATEGY_ID): both are outputs of the Tourniquet stack\n',
    );
    return 2;
  }
  let config;
  try {
    config = parseConfig(readFileSync(options.config, 'utf8'), options.config);
  } catch (error) {
    process.stderr.write(`tourniquet: ${(error as Error).message}\n`);
    return 2;
  }
  const region = options.region ? { region: options.region } : {};
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(region), { marshallOptions: { removeUndefinedValues: true } });
  const steps = await undoIncident(
    await composeOperator.undo(
      { clients: awsClients(region), clock: () => new Date(), documentClient },
      { tableName: table, deploymentStrategyId: strategy, config },
      options.by ?? process.env.USER ?? 'operator',
    ),
    incidentId,
    { dryRun: options.dryRun ?? false },
  );
  if (steps.length === 0) process.stdout.write(`${incidentId}: no mitigation to undo\n`);
  for (const s of steps) process.stdout.write(`${s.status.padEnd(14)} ${s.type} on ${s.target}: ${s.detail}\n`);
  return 0;
}
