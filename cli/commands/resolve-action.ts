import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { SnsPublisher } from '../../lambdas/adapters/sns-publisher.js';
import { incidentPostmortem } from '../../lambdas/operations/postmortem.js';
import { acknowledgeIncident, DEFAULT_FLAP_COOLDOWN_MINUTES, IncidentActionError, resolveIncident } from '../../lambdas/operations/resolve.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';

/**
 * What `tourniquet ack|resolve|incidents|postmortem` do, loaded only when one of them runs (their
 * registration is in resolve.ts). The use cases themselves are in lambdas/operations/resolve.ts.
 */

export interface TableOptions {
  readonly table?: string;
  readonly region?: string;
}

export interface HumanOptions extends TableOptions {
  readonly reason?: string;
  readonly statusTopic?: string;
  readonly by?: string;
  readonly flapCooldown?: string;
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

const run = (action: () => Promise<void>) => async () => {
  try {
    await action();
  } catch (error) {
    process.stderr.write(`tourniquet: ${(error as Error).message}\n`);
    process.exitCode = error instanceof IncidentActionError ? 2 : 1;
  }
};

export const resolveAction = (incidentId: string, options: HumanOptions): Promise<void> =>
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
  })();

export const ackAction = (incidentId: string, options: HumanOptions): Promise<void> =>
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
  })();

export const incidentsAction = (options: TableOptions & { limit?: string; active?: boolean }): Promise<void> =>
  run(async () => {
    const store = storeFor('incidents', options);
    if (!store) return;
    const incidents = options.active ? await store.listActiveIncidents() : await store.listIncidents({ limit: Number(options.limit ?? 20) });
    for (const i of incidents) {
      process.stdout.write(
        `${i.incidentId}  ${i.status.padEnd(12)} ${i.severity}  ${i.service.padEnd(16)} opened ${i.openedAt.slice(0, 16).replace('T', ' ')}  round ${i.round}  alarms ${(i.alarms ?? [i.alarmName]).join(', ')}\n`,
      );
    }
    if (incidents.length === 0) process.stdout.write('no incidents\n');
  })();

export const postmortemAction = (incidentId: string, options: TableOptions): Promise<void> =>
  run(async () => {
    const store = storeFor('postmortem', options);
    if (!store) return;
    process.stdout.write(`${await incidentPostmortem({ store, clock: () => new Date() }, incidentId)}\n`);
  })();
