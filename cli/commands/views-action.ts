import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { type FailureContext, runAction } from '../runtime/errors.js';
import { resolveStack } from '../runtime/stack-context.js';
import { incidentsView, parseLimit, parseSince, parseStatuses, postmortemView, showView } from '../views/incident-views.js';
import type { StackOptions } from './stack-options.js';

/** What `tourniquet incidents|show|postmortem` do, loaded only when one of them runs (registration: views.ts). */

export interface ViewOptions extends StackOptions {
  readonly json?: boolean;
}

export interface IncidentsOptions extends ViewOptions {
  readonly status?: string;
  readonly service?: string;
  readonly since?: string;
  readonly limit?: string;
  readonly active?: boolean;
}

/** An incident store over the deployed table, in the resolved region, with the caller's credentials. */
async function storeFor(command: string, options: StackOptions, context: FailureContext): Promise<IncidentStore> {
  const stack = await resolveStack(command, options, { required: ['table'] }, undefined, context);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: stack.region }), { marshallOptions: { removeUndefinedValues: true } });
  return new IncidentStore({ tableName: stack.values.table!, client });
}

const print = (text: string) => void process.stdout.write(`${text}\n`);

export const incidentsAction = async (options: IncidentsOptions): Promise<void> => {
  process.exitCode = await runAction(async (context) => {
    // Input first: a bad flag is reported before any AWS call.
    const now = new Date();
    const filter = {
      limit: parseLimit(options.limit),
      ...(options.status !== undefined ? { statuses: parseStatuses(options.status) } : {}),
      ...(options.service !== undefined ? { service: options.service } : {}),
      ...(options.since !== undefined ? { since: parseSince(options.since, now) } : {}),
      ...(options.active ? { active: true } : {}),
    };
    print(await incidentsView(await storeFor('incidents', options, context), filter, { json: options.json ?? false }));
  });
};

export const showAction = async (incidentId: string, options: ViewOptions): Promise<void> => {
  process.exitCode = await runAction(async (context) => print(await showView(await storeFor('show', options, context), incidentId, { json: options.json ?? false })));
};

export const postmortemAction = async (incidentId: string, options: ViewOptions): Promise<void> => {
  process.exitCode = await runAction(async (context) =>
    print(await postmortemView({ store: await storeFor('postmortem', options, context), clock: () => new Date() }, incidentId, { json: options.json ?? false })),
  );
};
