import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { setPause } from '../../lambdas/operations/pause.js';
import { GLOBAL_SCOPE, PauseSwitch } from '../../lambdas/store/pause.js';
import { runAction } from '../runtime/errors.js';
import { resolveStack, type StackContextDeps } from '../runtime/stack-context.js';
import type { StackOptions } from './stack-options.js';

/** What `tourniquet pause|resume` do, loaded only when one of them runs (registration: pause.ts). */

export interface PauseOptions extends StackOptions {
  readonly service?: string;
  readonly reason?: string;
  readonly by?: string;
}

/** Sets the switch; returns the exit code. `stackDeps` resolves region, credentials and table (tests replace it). */
export async function pauseAction(name: 'pause' | 'resume', options: PauseOptions, stackDeps?: StackContextDeps): Promise<number> {
  return runAction(async (context) => {
    const stack = await resolveStack(name, options, { required: ['table'] }, stackDeps, context);
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: stack.region }));
    const state = await setPause(new PauseSwitch({ tableName: stack.values.table!, client }), name === 'pause', {
      ...(options.service ? { service: options.service } : {}),
      by: options.by ?? process.env.USER ?? 'operator',
      ...(options.reason ? { reason: options.reason } : {}),
    });
    process.stdout.write(`Automation ${state.paused ? 'paused' : 'resumed'} for ${state.scope === GLOBAL_SCOPE ? 'every service' : state.scope} by ${state.by} at ${state.at}\n`);
  });
}
