import type { Command } from 'commander';

import { withStackOptions } from './stack-options.js';
import type { IncidentsOptions, ViewOptions } from './views-action.js';

/**
 * The read-only views over the incident table: `tourniquet incidents`, `show <id>` and
 * `postmortem <id>`. Registration only: what they do is loaded when one runs (views-action.ts; the
 * views themselves are cli/views/incident-views.ts, which `drill --show` prints too).
 */

const actions = () => import('./views-action.js');

const STATUS_HELP = 'OPEN, MITIGATING, WATCHING, ESCALATED, ACKNOWLEDGED, RESOLVED';

export function registerIncidents(program: Command): void {
  withStackOptions(
    program
      .command('incidents')
      .description('list incidents, newest first: status, severity, service, when opened, time to mitigate, alarms')
      .option('--status <s,...>', `only these statuses, comma-separated (${STATUS_HELP})`)
      .option('--service <name>', 'only this service')
      .option('--since <when>', 'opened at or after an ISO time (2026-11-23T03:00Z) or a duration back from now (30m, 24h, 7d, 2w)')
      .option('--limit <n>', 'how many at most', '20')
      .option('--active', 'every incident not yet RESOLVED, whatever its age')
      .option('--json', 'a JSON array (with MTTD, MTTM, MTTR per incident)'),
    ['table'],
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ tourniquet incidents --stack Tourniquet --since 7d --status ESCALATED,ACKNOWLEDGED\n  $ tourniquet incidents --table <IncidentTableName> --service checkout --json',
    )
    .action(async (options: IncidentsOptions) => (await actions()).incidentsAction(options));
}

export function registerShow(program: Command): void {
  withStackOptions(
    program
      .command('show')
      .description('show one incident: its record, MTTD/MTTM/MTTR, the timeline and every action with its effect')
      .argument('<incidentId>', 'incident id, e.g. inc-20261123T031000Z-1a2b3c4d')
      .option('--json', 'the record, metrics, timeline and actions as JSON'),
    ['table'],
  ).action(async (incidentId: string, options: ViewOptions) => (await actions()).showAction(incidentId, options));
}

export function registerPostmortem(program: Command): void {
  withStackOptions(
    program
      .command('postmortem')
      .description("print an incident's postmortem draft (Markdown), rendered from its timeline and actions")
      .argument('<incidentId>', 'incident id')
      .option('--json', 'JSON: the incident, its metrics (MTTD, MTTM, MTTR) and the Markdown'),
    ['table'],
  ).action(async (incidentId: string, options: ViewOptions) => (await actions()).postmortemAction(incidentId, options));
}
