#!/usr/bin/env node
import { Command } from 'commander';

import { registerApproval } from './commands/approval.js';
import { registerDrill } from './commands/drill.js';
import { registerParseEvent } from './commands/parse-event.js';
import { registerPause } from './commands/pause.js';
import { registerPreflight } from './commands/preflight.js';
import { registerAck, registerResolve } from './commands/resolve.js';
import { registerStats } from './commands/stats.js';
import { registerUndo } from './commands/undo.js';
import { registerValidate } from './commands/validate.js';
import { registerIncidents, registerPostmortem, registerShow } from './commands/views.js';

/** `tourniquet`: the command line for drills, config checks, preflight and the operator's commands over a deployed stack. */
const program = new Command('tourniquet')
  .description('Tourniquet: turn a CloudWatch alarm into a verified, undoable mitigation.')
  .version(await packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

registerValidate(program);
registerParseEvent(program);
registerDrill(program);
registerUndo(program);
registerPreflight(program);
registerApproval(program);
registerPause(program);
registerAck(program);
registerResolve(program);
registerIncidents(program);
registerShow(program);
registerPostmortem(program);
registerStats(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Each operator command phrases its own failures (cli/runtime/errors.ts); this catches any other command's, so none prints a stack trace.
  const { describeFailure } = await import('./runtime/errors.js');
  const { message, exitCode } = describeFailure(error);
  process.stderr.write(`tourniquet: ${message}\n`);
  process.exitCode = exitCode;
}

/** The version in package.json; node:fs is loaded on demand so `--help` still loads only commander (test/cli/layering.test.ts). */
async function packageVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  // cli/main.ts in the repository, dist/cli/main.js in the npm package: one or two levels below package.json.
  const file = new URL(import.meta.url.endsWith('.js') ? '../../package.json' : '../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
