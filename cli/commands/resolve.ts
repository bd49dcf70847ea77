import type { Command } from 'commander';

import { DEFAULT_FLAP_COOLDOWN_MINUTES } from '../../lambdas/operations/defaults.js';
import type { HumanOptions } from './resolve-action.js';
import { withStackOptions } from './stack-options.js';

export { DEFAULT_FLAP_COOLDOWN_MINUTES } from '../../lambdas/operations/defaults.js';
export type { HumanActionDeps } from '../../lambdas/operations/resolve.js';

/**
 * The human side of the lifecycle: `tourniquet ack` (take an escalated incident: the re-pages stop,
 * a daily reminder stays) and `tourniquet resolve` (close it). Registration only: what they do is
 * loaded when one runs (resolve-action.ts; the use cases are in lambdas/operations/resolve.ts).
 */

const actions = () => import('./resolve-action.js');

const NOTIFY_HELP =
  '\nThe status topic comes from --status-topic, TOURNIQUET_STATUS_TOPIC or the StatusTopicArn output of --stack; without one the command says so on stderr and still';

export function registerResolve(program: Command): void {
  withStackOptions(
    program
      .command('resolve')
      .description('resolve an incident a human has finished with (stops pages and updates; a re-fire within the flap cooldown re-opens it) and send the Resolved update')
      .argument('<incidentId>', 'incident id')
      .option('--reason <text>', 'what resolved it, for the timeline and the update')
      .option('--no-notify', 'do not send the Resolved update to the status topic')
      .option('--flap-cooldown <minutes>', `minutes during which a re-fire re-opens the incident (config lifecycle.flapCooldownMinutes)`, String(DEFAULT_FLAP_COOLDOWN_MINUTES))
      .option('--by <name>', 'who resolved it (default: $USER)'),
    ['table', 'statusTopic'],
  )
    .addHelpText('after', `${NOTIFY_HELP} resolves.\n\nExample:\n  $ tourniquet resolve inc-20261123T031000Z-1a2b3c4d --stack Tourniquet --reason "bad deploy rolled back"`)
    .action(async (incidentId: string, options: HumanOptions) => (await actions()).resolveAction(incidentId, options));
}

export function registerAck(program: Command): void {
  withStackOptions(
    program
      .command('ack')
      .description('acknowledge an escalated incident: the re-pages stop (a daily reminder stays until it is resolved); the status topic is told who has it')
      .argument('<incidentId>', 'incident id')
      .option('--reason <text>', 'a note for the timeline')
      .option('--no-notify', 'do not tell the status topic')
      .option('--by <name>', 'who takes it (default: $USER)'),
    ['table', 'statusTopic'],
  )
    .addHelpText('after', `${NOTIFY_HELP} acknowledges.\n\nExample:\n  $ tourniquet ack inc-20261123T031000Z-1a2b3c4d --stack Tourniquet --reason "looking at the database"`)
    .action(async (incidentId: string, options: HumanOptions) => (await actions()).ackAction(incidentId, options));
}
