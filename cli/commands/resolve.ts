import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { renderStatusUpdate } from '../../lambdas/core/status-update.js';
import { SnsPublisher } from '../../lambdas/adapters/sns-publisher.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';

interface ResolveOptions {
  readonly reason?: string;
  readonly table?: string;
  readonly statusTopic?: string;
  readonly region?: string;
  readonly by?: string;
}

export interface ResolveDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'appendTimeline' | 'closeIncident'>;
  readonly publisher?: Pick<SnsPublisher, 'publish'>;
  readonly statusTopicArn?: string;
  readonly clock: () => Date;
}

/**
 * Closes an incident a human has finished with: the Resolved entry on the timeline, the record
 * CLOSED (which stops cadence updates and lets the alarm open a new incident), and a Resolved
 * status update when a status topic is given.
 */
export async function resolveIncident(deps: ResolveDeps, incidentId: string, by: string, reason?: string): Promise<string> {
  const incident = await deps.store.getIncident(incidentId);
  if (incident.status === 'CLOSED') return `${incidentId} was already closed at ${incident.closedAt ?? 'an earlier time'}`;
  const now = deps.clock();
  const message = `Resolved by ${by}${reason ? `: ${reason}` : ''}`;
  await deps.store.appendTimeline(incidentId, { at: now.toISOString(), kind: 'closed', message });
  await deps.store.closeIncident(incidentId, { closedAt: now.toISOString() });
  if (deps.publisher && deps.statusTopicArn) {
    const update = renderStatusUpdate({
      status: 'Resolved',
      severity: incident.severity,
      service: incident.service,
      alarmName: incident.alarmName,
      incidentId,
      startedAt: incident.openedAt,
      now,
      summary: `${message}.`,
      currentActions: ['None: the incident is closed. The postmortem draft is on the incident record.'],
      executionArn: incident.execution.id,
      nextUpdate: 'None.',
    });
    await deps.publisher.publish({ topicArn: deps.statusTopicArn, subject: update.subject, message: update.message });
  }
  return `${incidentId} resolved by ${by}`;
}

export function registerResolve(program: Command): void {
  program
    .command('resolve')
    .description('close an incident a human has finished with (stops scheduled updates; the alarm can open a new incident again)')
    .argument('<incidentId>', 'incident id')
    .option('--reason <text>', 'what resolved it, for the timeline')
    .option('--table <name>', 'incident table name (stack output TableName; or TOURNIQUET_TABLE)')
    .option('--status-topic <arn>', 'publish a Resolved status update to this topic (stack output StatusTopicArn)')
    .option('--region <region>', 'AWS region (default: your AWS profile or AWS_REGION)')
    .option('--by <name>', 'who resolved it (default: $USER)')
    .action(async (incidentId: string, options: ResolveOptions) => {
      const table = options.table ?? process.env.TOURNIQUET_TABLE;
      if (!table) {
        process.stderr.write('tourniquet: resolve needs --table (or TOURNIQUET_TABLE): the TableName output of the Tourniquet stack\n');
        process.exitCode = 2;
        return;
      }
      const region = options.region ? { region: options.region } : {};
      const store = new IncidentStore({ tableName: table, client: DynamoDBDocumentClient.from(new DynamoDBClient(region), { marshallOptions: { removeUndefinedValues: true } }) });
      const result = await resolveIncident(
        { store, clock: () => new Date(), ...(options.statusTopic ? { publisher: new SnsPublisher(new SNSClient(region)), statusTopicArn: options.statusTopic } : {}) },
        incidentId,
        options.by ?? process.env.USER ?? 'operator',
        options.reason,
      );
      process.stdout.write(`${result}\n`);
    });
}
