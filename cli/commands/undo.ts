import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { parseConfig } from '../../lambdas/core/config.js';
import { undoIncident } from '../../lambdas/operations/undo.js';
import { awsClients } from '../../lambdas/runtime/clients.js';
import { mitigationAdapters } from '../../lambdas/runtime/compose.js';
import { AutomationBrake } from '../../lambdas/store/brake.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { DEFAULT_CONFIG_FILE } from './validate.js';

interface UndoOptions {
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
    process.stderr.write('tourniquet: undo needs --table and --deployment-strategy (or TOURNIQUET_TABLE and TOURNIQUET_DEPLOYMENT_STRATEGY_ID): both are outputs of the Tourniquet stack\n');
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
    {
      store: new IncidentStore({ tableName: table, client: documentClient }),
      brake: new AutomationBrake({ tableName: table, client: documentClient }),
      adapters: mitigationAdapters(awsClients(region)),
      serviceFor: (name) => config.services.find((s) => s.name === name),
      deploymentStrategyId: strategy,
      clock: () => new Date(),
      by: options.by ?? process.env.USER ?? 'operator',
    },
    incidentId,
    { dryRun: options.dryRun ?? false },
  );
  if (steps.length === 0) process.stdout.write(`${incidentId}: no mitigation to undo\n`);
  for (const s of steps) process.stdout.write(`${s.status.padEnd(14)} ${s.type} on ${s.target}: ${s.detail}\n`);
  return 0;
}

export function registerUndo(program: Command): void {
  program
    .command('undo')
    .description("revert an incident's mitigations, newest first, recording each step on the incident timeline")
    .argument('<incidentId>', 'incident id, e.g. inc-20261123T030900Z-72ffbd9a')
    .option('--config <file>', 'Tourniquet config (the resources undo may touch)', DEFAULT_CONFIG_FILE)
    .option('--table <name>', 'incident table name (stack output TableName; or TOURNIQUET_TABLE)')
    .option('--deployment-strategy <id>', 'AppConfig deployment strategy id (stack output; or TOURNIQUET_DEPLOYMENT_STRATEGY_ID)')
    .option('--region <region>', 'AWS region (default: your AWS profile or AWS_REGION)')
    .option('--dry-run', 'say what would be reverted, change nothing')
    .option('--by <name>', 'who is undoing, for the timeline (default: $USER)')
    .addHelpText('after', '\nUndo only reverts what the automation changed; it waits while another change to the same service is in progress. In a drill: npx tourniquet drill --undo')
    .action(async (incidentId: string, options: UndoOptions) => {
      process.exitCode = await runUndo(incidentId, options);
    });
}
