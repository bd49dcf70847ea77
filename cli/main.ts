#!/usr/bin/env node
import { Command } from 'commander';

import { registerApproval } from './commands/approval.js';
import { registerDrill } from './commands/drill.js';
import { registerParseEvent } from './commands/parse-event.js';
import { registerPause } from './commands/pause.js';
import { registerPreflight } from './commands/preflight.js';
import { registerAck, registerIncidents, registerPostmortem, registerResolve } from './commands/resolve.js';
import { registerUndo } from './commands/undo.js';
import { registerValidate } from './commands/validate.js';

/** `tourniquet`: the command line for drills, config checks and (later) incident operations. */
const program = new Command('tourniquet')
  .description('Tourniquet: turn a CloudWatch alarm into a verified, undoable mitigation.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

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
registerPostmortem(program);

await program.parseAsync(process.argv);
