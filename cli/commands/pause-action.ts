import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { setPause } from '../../lambdas/operations/pause.js';
import { GLOBAL_SCOPE, PauseSwitch } from '../../lambdas/store/pause.js';

/** What `tourniquet pause|resume` do, loaded only when one of them runs (registration: pause.ts). */

export interface PauseOptions {
  readonly service?: string;
  readonly reason?: string;
  readonly table?: string;
  readonly region?: string;
  readonly by?: string;
}

export async function pauseAction(name: 'pause' | 'resume', options: PauseOptions): Promise<void> {
  const paused = name === 'pause';
  const table = options.table ?? process.env.TOURNIQUET_TABLE;
  if (!table) {
    process.stderr.write(`tourniquet: ${name} needs --table (or TOURNIQUET_TABLE): the TableName output of the Tourniquet stack\n`);
    process.exitCode = 2;
    return;
  }
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(options.region ? { region: options.region } : {}));
  const state = await setPause(new PauseSwitch({ tableName: table, client }), paused, {
    ...(options.service ? { service: options.service } : {}),
    by: options.by ?? process.env.USER ?? 'operator',
    ...(options.reason ? { reason: options.reason } : {}),
  });
  process.stdout.write(`Automation ${state.paused ? 'paused' : 'resumed'} for ${state.scope === GLOBAL_SCOPE ? 'every service' : state.scope} by ${state.by} at ${state.at}\n`);
}
