import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

import { readinessKey } from './keys.js';

/**
 * The last readiness verdict of each mitigation target, one item each in the incident table
 * (`READINESS#<service>#<type>#<target>`). The scheduled readiness check compares each run with it
 * and pages only when a verdict changes, so a broken kill switch pages once, not every hour.
 */

export const ReadinessVerdictSchema = z.object({
  service: z.string(),
  type: z.string(),
  target: z.string(),
  ready: z.boolean(),
  /** When the target entered this verdict (unchanged while the verdict holds). */
  since: z.iso.datetime({ offset: true }),
  /** The run that wrote it. */
  at: z.iso.datetime({ offset: true }),
  /** The first failing check and its detail, when not ready. */
  failing: z.string().optional(),
  /** False while the status topic still has to hear of this verdict (its page failed, or has not been sent yet). */
  announced: z.boolean(),
});
export type ReadinessVerdict = z.infer<typeof ReadinessVerdictSchema>;

const ConditionalCheckFailed = 'ConditionalCheckFailedException';

export class ReadinessLedger {
  private readonly client: DynamoDBDocumentClient;
  constructor(private readonly options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  }

  /** The verdict the last run recorded for a target, or undefined when it was never checked. */
  async last(service: string, type: string, target: string): Promise<ReadinessVerdict | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.options.tableName, Key: readinessKey(service, type, target), ConsistentRead: true }));
    return Item ? ReadinessVerdictSchema.parse(Item) : undefined;
  }

  /**
   * Replaces the verdict, only if the item is still the one read (`previousAt`; undefined: no item
   * yet). False when an overlapping run wrote first: that run owns the page, if there is one.
   */
  async replace(verdict: ReadinessVerdict, previousAt: string | undefined): Promise<boolean> {
    const key = readinessKey(verdict.service, verdict.type, verdict.target);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...key, entity: 'readiness', ...ReadinessVerdictSchema.parse(verdict) },
          ...(previousAt === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#at = :previousAt', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':previousAt': previousAt } }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === ConditionalCheckFailed) return false;
      throw error;
    }
  }
}
