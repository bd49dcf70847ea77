import type { Command } from 'commander';

import type { PauseOptions } from './pause-action.js';
import { withStackOptions } from './stack-options.js';

/**
 * `tourniquet pause|resume`. Registration only: what they do is loaded when one runs (pause-action.ts;
 * the switch itself is lambdas/operations/pause.ts, which the drill operator uses too).
 */

function register(program: Command, name: 'pause' | 'resume'): void {
  const paused = name === 'pause';
  withStackOptions(
    program
      .command(name)
      .description(
        paused
          ? 'stop automated changes (for one service or all): incidents are still opened, decided and announced, but nothing is changed'
          : 'let automation change things again (for one service or all)',
      )
      .option('--service <name>', 'only this service (default: every service)')
      .option('--reason <text>', 'why, for the timeline and the updates')
      .option('--by <name>', 'who, for the record (default: $USER)'),
    ['table'],
  )
    .addHelpText('after', `\nEvery mutating step reads the switch before acting. A global pause (no --service) wins over a service's own switch.`)
    .action(async (options: PauseOptions) => {
      const { pauseAction } = await import('./pause-action.js');
      process.exitCode = await pauseAction(name, options);
    });
}

export function registerPause(program: Command): void {
  register(program, 'pause');
  register(program, 'resume');
}
