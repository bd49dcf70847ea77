import type { Command } from 'commander';

import { DEFAULT_FLAP_COOLDOWN_MINUTES } from '../../lambdas/operations/defaults.js';
import type { HumanOptions, TableOptions } from './resolve-action.js';

export { DEFAULT_FLAP_COOLDOWN_MINUTES } from '../../lambdas/operations/defaults.js';
export type { HumanActionDeps } from '../../lambdas/operations/resolve.js';

/**
 * The human side of the lifecycle: `tourniquet ack` (take an escalated incident: the re-pages stop,
 * a daily reminder stays), `tourniquet resolve` (close it), `tourniquet incidents` and
 * `tourniquet postmortem`. Registration only: what they do is loaded when one runs
 * (resolve-action.ts; the ack and resolve use cases are in lambdas/operations/resolve.ts).
 */

const actions = () => import('./resolve-action.js');

const withTable = (command: Command): Command =>
  command
    .option('--table <name>', 'incident table name (stack output TableName; or TOURNIQUET_TABLE)')
    .option('--region <region>', 'AWS region (default: your AWS profile or AWS_REGION)');

export function registerResolve(program: Command): void {
  withTable(
    program
      .command('resolve')
      .description('resolve an incident a human has finished with (stops pages and updates; a re-fire within the flap cooldown re-opens it)')
      .argument('<incidentId>', 'incident id')
      .option('--reason <text>', 'what resolved it, for the timeline')
      .option('--status-topic <arn>', 'publish a Resolved status update to this topic (stack output StatusTopicArn)')
      .option('--flap-cooldown <minutes>', `minutes during which a re-fire re-opens the incident (config lifecycle.flapCooldownMinutes)`, String(DEFAULT_FLAP_COOLDOWN_MINUTES))
      .option('--by <name>', 'who resolved it (default: $USER)'),
  ).action(async (incidentId: string, options: HumanOptions) => (await actions()).resolveAction(incidentId, options));
}

export function registerAck(program: Command): void {
  withTable(
    program
      .command('ack')
      .description('acknowledge an escalated incident: the re-pages stop (a daily reminder stays until it is resolved)')
      .argument('<incidentId>', 'incident id')
      .option('--reason <text>', 'a note for the timeline')
      .option('--status-topic <arn>', 'tell the status topic who has the incident (stack output StatusTopicArn)')
      .option('--by <name>', 'who takes it (default: $USER)'),
  ).action(async (incidentId: string, options: HumanOptions) => (await actions()).ackAction(incidentId, options));
}

export function registerIncidents(program: Command): void {
  withTable(
    program
      .command('incidents')
      .description('list incidents, newest first: status, service, alarms, round')
      .option('--limit <n>', 'how many', '20')
      .option('--active', 'only incidents not yet RESOLVED (any age)'),
  ).action(async (options: TableOptions & { limit?: string; active?: boolean }) => (await actions()).incidentsAction(options));
}

export function registerPostmortem(program: Command): void {
  withTable(
    program.command('postmortem').description("print an incident's postmortem draft (Markdown), rendered from its timeline and actions").argument('<incidentId>', 'incident id'),
  ).action(async (incidentId: string, options: TableOptions) => (await actions()).postmortemAction(incidentId, options));
}
