import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { GLOBAL_SCOPE, PauseSwitch, type PauseState } from '../../lambdas/store/pause.js';

interface PauseOptions {
  readonly service?: string;
  readonly reason?: string;
  readonly table?: string;
  readonly region?: string;
  readonly by?: string;
}

/** Flips the pause switch; shared by `tourniquet pause|resume` and the drill operator. */
export async function setPause(pause: Pick<PauseSwitch, 'set'>, paused: boolean, options: { service?: string; by: string; reason?: string }): Promise<PauseState> {
  return pause.set(options.service ?? GLOBAL_SCOPE, paused, options.by, options.reason);
}

function register(program: Command, name: 'pause' | 'resume'): void {
  const paused = name === 'pause';
  program
    .command(name)
    .description(
      paused
        ? 'stop automated changes (for one service or all): incidents are still opened, decided and announced, but nothing is changed'
        : 'let automation change things again (for one service or all)',
    )
    .option('--service <name>', 'only this service (default: every service)')
    .option('--reason <text>', 'why, for the timeline and the updates')
    .option('--table <name>', 'incident table name (stack output TableName; or TOURNIQUET_TABLE)')
    .option('--region <region>', 'AWS region (default: your AWS profile or AWS_REGION)')
    .option('--by <name>', 'who, for the record (default: $USER)')
    .addHelpText('after', `\nEvery mutating step reads the switch before acting. A global pause (no --service) wins over a service's own switch.`)
    .action(async (options: PauseOptions) => {
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
    });
}

export function registerPause(program: Command): void {
  register(program, 'pause');
  register(program, 'resume');
}
