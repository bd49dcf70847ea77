import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { LearningRecords } from '../../lambdas/store/learning.js';
import { runAction } from '../runtime/errors.js';
import { resolveStack } from '../runtime/stack-context.js';
import { statsView } from '../views/stats-view.js';
import type { StackOptions } from './stack-options.js';

/** What `tourniquet stats` does, loaded only when it runs (registration: stats.ts). */

export interface StatsOptions extends StackOptions {
  readonly service?: string;
  readonly json?: boolean;
}

export const statsAction = async (options: StatsOptions): Promise<void> => {
  process.exitCode = await runAction(async (context) => {
    const stack = await resolveStack('stats', options, { required: ['table'] }, undefined, context);
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: stack.region }), { marshallOptions: { removeUndefinedValues: true } });
    const records = new LearningRecords({ tableName: stack.values.table!, client });
    const service = options.service?.trim();
    const found = service ? await records.forService(service) : await records.all();
    process.stdout.write(`${statsView(found, { json: options.json ?? false, ...(service ? { service } : {}) })}\n`);
  });
};
