import { readFileSync } from 'node:fs';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { parseConfig } from '../../lambdas/core/config.js';
import { undoIncident } from '../../lambdas/operations/undo.js';
import { awsClients } from '../../lambdas/runtime/clients.js';
import { composeOperator } from '../../lambdas/runtime/compose/index.js';
import { CliError, EXIT_BAD_INPUT, runAction } from '../runtime/errors.js';
import { resolveStack, type StackContextDeps } from '../runtime/stack-context.js';
import type { StackOptions } from './stack-options.js';

/** What `tourniquet undo` does, loaded only when it runs (registration: undo.ts). */

export interface UndoOptions extends StackOptions {
  readonly config: string;
  readonly dryRun?: boolean;
  readonly by?: string;
}

/**
 * `tourniquet undo <incidentId>`: reverts the incident's mitigations in reverse order with the
 * caller's AWS credentials. The table and the deployment strategy come from flags, environment or the
 * stack's IncidentTableName and DeploymentStrategyId outputs. Returns the exit code.
 */
export async function runUndo(incidentId: string, options: UndoOptions, stackDeps?: StackContextDeps): Promise<number> {
  return runAction(async (context) => {
    let config;
    try {
      config = parseConfig(readFileSync(options.config, 'utf8'), options.config);
    } catch (error) {
      throw new CliError((error as Error).message.split('\n')[0]!, EXIT_BAD_INPUT, { cause: error });
    }
    const stack = await resolveStack('undo', options, { required: ['table', 'deploymentStrategy'] }, stackDeps, context);
    const region = { region: stack.region };
    const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(region), { marshallOptions: { removeUndefinedValues: true } });
    const steps = await undoIncident(
      await composeOperator.undo(
        { clients: awsClients(region), clock: () => new Date(), documentClient },
        { tableName: stack.values.table!, deploymentStrategyId: stack.values.deploymentStrategy!, config },
        options.by ?? process.env.USER ?? 'operator',
      ),
      incidentId,
      { dryRun: options.dryRun ?? false },
    );
    if (steps.length === 0) process.stdout.write(`${incidentId}: no mitigation to undo\n`);
    for (const s of steps) process.stdout.write(`${s.status.padEnd(14)} ${s.type} on ${s.target}: ${s.detail}\n`);
  });
}
