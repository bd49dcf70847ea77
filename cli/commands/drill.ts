import type { Command } from 'commander';

import type { DrillOptions } from './drill-action.js';

/** `tourniquet drill`. Registration only: what it does is loaded when it runs (drill-action.ts). */
export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description('run incident scenarios locally: the synthesized state machine, the real handlers, DynamoDB Local and a simulated AWS account')
    .option('--list', 'list the built-in scenarios')
    .option('--scenario <name|path>', 'run one built-in scenario or a scenario JSON file (default: all built-in scenarios)')
    .option('--json', 'print one JSON object with the result on stdout (progress goes to stderr)')
    .option('--undo', 'after each incident, run `tourniquet undo` and check the account is back to its pre-incident state')
    .option(
      '--report <dir>',
      'also write postmortem.md and report.html (chart, timeline, emails, postmortem) to <dir>; without --scenario one sub-directory per scenario and index.html',
    )
    .option('--show', 'after each scenario, print `tourniquet incidents`, `show` and `postmortem` of its first incident and `stats`, read from the drill table by the same views')
    .option('--preflight', 'instead of running the scenario, run `tourniquet preflight` against its simulated account as the drill begins (exit 1 when a mitigation is not ready)')
    .addHelpText(
      'after',
      '\nScenario files are documented in docs/scenarios.md. Exit status: 0 when every scenario behaved as expected (with --preflight: every mitigation is ready), 1 when one did not, 2 for bad input.',
    )
    .action(async (options: DrillOptions) => {
      const { runDrill } = await import('./drill-action.js');
      process.exitCode = await runDrill(options);
    });
}
