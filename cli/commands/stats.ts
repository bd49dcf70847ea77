import type { Command } from 'commander';

import { withStackOptions } from './stack-options.js';
import type { StatsOptions } from './stats-action.js';

/**
 * `tourniquet stats`: the learning records, per service and mitigation type. Registration only:
 * what it does is loaded when it runs (stats-action.ts; the table is cli/views/stats-view.ts).
 */

export function registerStats(program: Command): void {
  withStackOptions(
    program
      .command('stats')
      .description('how each mitigation has done, per service: tried, verified effective, ineffective, reverted, escalated, median MTTM')
      .option('--service <name>', 'only this service')
      .option('--json', 'a JSON array, one object per service and mitigation'),
    ['table'],
  )
    .addHelpText(
      'after',
      '\nThe counts are written as the automation applies, verifies and reverts mitigations (docs/postmortem.md#the-learning-loop).\n' +
        'They inform the decision rationale and the approval email ("kill switch: restored 7 of 8 times for checkout"); they never reorder the decision matrix.\n\n' +
        'Examples:\n  $ tourniquet stats --stack Tourniquet\n  $ tourniquet stats --table <IncidentTableName> --service checkout --json',
    )
    .action(async (options: StatsOptions) => (await import('./stats-action.js')).statsAction(options));
}
