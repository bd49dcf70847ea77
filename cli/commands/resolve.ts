import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { ACTIVE_STATUSES } from '../../lambdas/core/lifecycle.js';
import { renderStatusUpdate } from '../../lambdas/core/status-update.js';
import { SnsPublisher } from '../../lambdas/adapters/sns-publisher.js';
import { incidentPostmortem } from '../../lambdas/operations/postmortem.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';

/**
 * The human side of the lifecycle: `tourniquet ack` (take an escalated incident: the re-pages stop,
 * a daily reminder stays), `tourniquet resolve` (close it), `tourniquet incidents` and
 * `tourniquet postmortem`.
 */

interface TableOptions {
  readonly table?: string;
  readonly region?: string;
}

interface HumanOptions extends TableOptions {
  readonly reason?: string;
  readonly statusTopic?: string;
  readonly by?: string;
  readonly flapCooldown?: string;
}

export interface HumanActionDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'appendTimeline' | 'transition'>;
  readonly publisher?: Pick<SnsPublisher, 'publish'>;
  readonly statusTopicArn?: string;
  readonly clock: () => Date;
}

export class IncidentActionError extends Error {
  override readonly name = 'IncidentActionError';
}

/** Default minutes after a human's resolve during which a re-fire re-opens the incident (config lifecycle.flapCooldownMinutes). */
export const DEFAULT_FLAP_COOLDOWN_MINUTES = 30;

/**
 * Resolves an incident a human has finished with, from any status before RESOLVED (a human outranks
 * the automation: an execution still running sees it and stops). The Resolved entry goes on the
 * timeline and, when a status topic is given, a Resolved update goes out. A re-fire within the flap
 * cooldown re-opens the same incident.
 */
export async function resolveIncident(
  deps: HumanActionDeps & { readonly flapCooldownMinutes?: number },
  incidentId: string,
  by: string,
  reason?: string,
): Promise<string> {
  const incident = await deps.store.getIncident(incidentId);
  if (incident.status === 'RESOLVED') return `${incidentId} was already resolved at ${incident.resolvedAt ?? 'an earlier time'}`;
  const now = deps.clock();
  const message = `Resolved by ${by}${reason ? `: ${reason}` : ''}`;
  const cooldown = deps.flapCooldownMinutes ?? DEFAULT_FLAP_COOLDOWN_MINUTES;
  const moved = await deps.store.transition(incidentId, 'RESOLVED', {
    from: ACTIVE_STATUSES,
    patch: { resolvedAt: now.toISOString(), resolvedBy: by },
    reopenUntil: new Date(now.getTime() + cooldown * 60_000).toISOString(),
  });
  if (!moved) throw new IncidentActionError(`${incidentId} changed while resolving it; look at it again (tourniquet incidents)`);
  await deps.store.appendTimeline(incidentId, { at: now.toISOString(), kind: 'resolved', message });
  await announce(deps, incident, 'Resolved', `${message}.`, ['None: the incident is resolved. The postmortem draft: tourniquet postmortem ' + incidentId], now);
  return `${incidentId} resolved by ${by}`;
}

/** Takes an escalated incident: the escalation re-pages stop; a reminder still comes at least daily until it is resolved. */
export async function acknowledgeIncident(deps: HumanActionDeps, incidentId: string, by: string, reason?: string): Promise<string> {
  const incident = await deps.store.getIncident(incidentId);
  if (incident.status === 'ACKNOWLEDGED') return `${incidentId} was already acknowledged by ${incident.acknowledgedBy ?? 'someone'}`;
  if (incident.status !== 'ESCALATED') {
    throw new IncidentActionError(`${incidentId} is ${incident.status}: only an ESCALATED incident can be acknowledged${incident.status === 'RESOLVED' ? '' : ' (the automation is still working on it; tourniquet resolve closes it outright)'}`);
  }
  const now = deps.clock();
  const moved = await deps.store.transition(incidentId, 'ACKNOWLEDGED', { from: ['ESCALATED'], patch: { acknowledgedAt: now.toISOString(), acknowledgedBy: by } });
  if (!moved) throw new IncidentActionError(`${incidentId} changed while acknowledging it; look at it again (tourniquet incidents)`);
  const message = `Acknowledged by ${by}${reason ? `: ${reason}` : ''}. Re-pages stop; a reminder still comes at least daily until the incident is resolved.`;
  await deps.store.appendTimeline(incidentId, { at: now.toISOString(), kind: 'acknowledged', message });
  await announce(deps, incident, 'Escalated', message, [`${by} has the incident.`], now);
  return `${incidentId} acknowledged by ${by}`;
}

async function announce(
  deps: HumanActionDeps,
  incident: Awaited<ReturnType<HumanActionDeps['store']['getIncident']>>,
  status: 'Resolved' | 'Escalated',
  summary: string,
  currentActions: string[],
  now: Date,
): Promise<void> {
  if (!deps.publisher || !deps.statusTopicArn) return;
  const update = renderStatusUpdate({
    status,
    severity: incident.severity,
    service: incident.service,
    alarmName: incident.alarmName,
    incidentId: incident.incidentId,
    startedAt: incident.openedAt,
    now,
    summary,
    currentActions,
    executionArn: incident.execution.id,
    nextUpdate: status === 'Resolved' ? 'None.' : undefined,
  });
  await deps.publisher.publish({ topicArn: deps.statusTopicArn, subject: update.subject, message: update.message, attributes: { incidentId: incident.incidentId, status, severity: incident.severity } });
}

function storeFor(command: string, options: TableOptions): IncidentStore | undefined {
  const table = options.table ?? process.env.TOURNIQUET_TABLE;
  if (!table) {
    process.stderr.write(`tourniquet: ${command} needs --table (or TOURNIQUET_TABLE): the TableName output of the Tourniquet stack\n`);
    process.exitCode = 2;
    return undefined;
  }
  const region = options.region ? { region: options.region } : {};
  return new IncidentStore({ tableName: table, client: DynamoDBDocumentClient.from(new DynamoDBClient(region), { marshallOptions: { removeUndefinedValues: true } }) });
}

const withTable = (command: Command): Command =>
  command
    .option('--table <name>', 'incident table name (stack output TableName; or TOURNIQUET_TABLE)')
    .option('--region <region>', 'AWS region (default: your AWS profile or AWS_REGION)');

const run = (action: () => Promise<void>) => async () => {
  try {
    await action();
  } catch (error) {
    process.stderr.write(`tourniquet: ${(error as Error).message}\n`);
    process.exitCode = error instanceof IncidentActionError ? 2 : 1;
  }
};

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
  ).action((incidentId: string, options: HumanOptions) =>
    run(async () => {
      const store = storeFor('resolve', options);
      if (!store) return;
      const region = options.region ? { region: options.region } : {};
      const cooldown = Number(options.flapCooldown ?? DEFAULT_FLAP_COOLDOWN_MINUTES);
      if (!Number.isInteger(cooldown) || cooldown < 0 || cooldown > 10_080) {
        throw new IncidentActionError(`--flap-cooldown must be a whole number of minutes from 0 to 10080, got "${options.flapCooldown}"`);
      }
      const result = await resolveIncident(
        {
          store,
          clock: () => new Date(),
          flapCooldownMinutes: cooldown,
          ...(options.statusTopic ? { publisher: new SnsPublisher(new SNSClient(region)), statusTopicArn: options.statusTopic } : {}),
        },
        incidentId,
        options.by ?? process.env.USER ?? 'operator',
        options.reason,
      );
      process.stdout.write(`${result}\n`);
    })(),
  );
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
  ).action((incidentId: string, options: HumanOptions) =>
    run(async () => {
      const store = storeFor('ack', options);
      if (!store) return;
      const region = options.region ? { region: options.region } : {};
      const result = await acknowledgeIncident(
        { store, clock: () => new Date(), ...(options.statusTopic ? { publisher: new SnsPublisher(new SNSClient(region)), statusTopicArn: options.statusTopic } : {}) },
        incidentId,
        options.by ?? process.env.USER ?? 'operator',
        options.reason,
      );
      process.stdout.write(`${result}\n`);
    })(),
  );
}

export function registerIncidents(program: Command): void {
  withTable(
    program
      .command('incidents')
      .description('list incidents, newest first: status, service, alarms, round')
      .option('--limit <n>', 'how many', '20')
      .option('--active', 'only incidents not yet RESOLVED (any age)'),
  ).action((options: TableOptions & { limit?: string; active?: boolean }) =>
    run(async () => {
      const store = storeFor('incidents', options);
      if (!store) return;
      const incidents = options.active ? await store.listActiveIncidents() : await store.listIncidents({ limit: Number(options.limit ?? 20) });
      for (const i of incidents) {
        process.stdout.write(`${i.incidentId}  ${i.status.padEnd(12)} ${i.severity}  ${i.service.padEnd(16)} opened ${i.openedAt.slice(0, 16).replace('T', ' ')}  round ${i.round}  alarms ${(i.alarms ?? [i.alarmName]).join(', ')}\n`);
      }
      if (incidents.length === 0) process.stdout.write('no incidents\n');
    })(),
  );
}

export function registerPostmortem(program: Command): void {
  withTable(
    program
      .command('postmortem')
      .description("print an incident's postmortem draft (Markdown), rendered from its timeline and actions")
      .argument('<incidentId>', 'incident id'),
  ).action((incidentId: string, options: TableOptions) =>
    run(async () => {
      const store = storeFor('postmortem', options);
      if (!store) return;
      process.stdout.write(`${await incidentPostmortem({ store, clock: () => new Date() }, incidentId)}\n`);
    })(),
  );
}
