import type { Command } from 'commander';

import { withStackOptions } from './stack-options.js';
import type { UndoOptions } from './undo-action.js';
import { DEFAULT_CONFIG_FILE } from './validate.js';

/** `tourniquet undo`. Registration only: what it does is loaded when it runs (undo-action.ts). */
export function registerUndo(program: Command): void {
  withStackOptions(
    program
      .command('undo')
      .description("revert an incident's mitigations, newest first, recording each step on the incident timeline")
      .argument('<incidentId>', 'incident id, e.g. inc-20261123T030900Z-72ffbd9a')
      .option('--config <file>', 'Tourniquet config (the resources undo may touch)', DEFAULT_CONFIG_FILE)
      .option('--dry-run', 'say what would be reverted, change nothing')
      .option('--by <name>', 'who is undoing, for the timeline (default: $USER)'),
    ['table', 'deploymentStrategy'],
  )
    .addHelpText(
      'after',
      '\nUndo only reverts what the automation changed; it waits while another change to the same service is in progress. ' +
        'A service in a workload account is reached through its member role (session = the incident id): your role must be in crossAccount.operatorRoleArns (docs/accounts.md). ' +
        'In a drill: npx tourniquet drill --undo',
    )
    .action(async (incidentId: string, options: UndoOptions) => {
      const { runUndo } = await import('./undo-action.js');
      process.exitCode = await runUndo(incidentId, options);
    });
}
