import type { Command } from 'commander';

/**
 * `tourniquet parse-event [file|-]`: shows what Tourniquet makes of an alarm event, one
 * normalized signal per JSON line, so an alarm can be checked before it is wired up.
 * Exit codes: 0 parsed, 2 bad or unreadable input, 1 anything unexpected. Registration only: what it
 * does is loaded when it runs (parse-event-action.ts).
 */

/** What a command run produces; the action only writes it out, so tests need no subprocess. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Adds `parse-event [file|-]` to the program and returns the subcommand. */
export function registerParseEvent(program: Command): Command {
  return program
    .command('parse-event')
    .description('Normalize a CloudWatch alarm event (EventBridge, SNS or alarm notification JSON): one signal per line.')
    .argument('[file]', 'event JSON file; "-" or nothing reads stdin')
    .action(async (file: string | undefined) => {
      const { parseEventCommand } = await import('./parse-event-action.js');
      const result = await parseEventCommand(file);
      if (result.stdout !== '') process.stdout.write(result.stdout);
      if (result.stderr !== '') process.stderr.write(result.stderr);
      // exitCode, not exit(): lets stdout drain when it is a pipe.
      process.exitCode = result.exitCode;
    });
}
