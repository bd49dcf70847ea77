import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

import { type MitigationRecord, MitigationRecordSchema } from '../core/learning.js';
import { STATS_PARTITION } from './keys.js';

/**
 * Reads the learning records (`STATS` / `<service>#<type>`): per service and mitigation type, how
 * often it was tried, effective, ineffective, reverted, escalated, and recent MTTMs. The incident
 * store writes them, in the same transaction as the action outcome each count stands for
 * (IncidentStore.completeAction, setActionEffect, markActionUndone, recordEscalation), so a retried
 * Lambda or a redriven execution never counts twice.
 *
 * Why counters rather than computing from history: the decision step reads a service's record on
 * every incident, and history has no index by service (one Query of every incident and one per
 * incident's actions, growing forever). Counters cost one extra item write per action outcome and
 * one Query per decision, bounded by the number of mitigation types.
 */
export class LearningRecords {
  private readonly client: DynamoDBDocumentClient;
  constructor(private readonly options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  }

  /** The records of one service, by mitigation type. */
  async forService(service: string): Promise<MitigationRecord[]> {
    return this.query(service);
  }

  /** Every record, by service then mitigation type. */
  async all(): Promise<MitigationRecord[]> {
    return this.query();
  }

  private async query(service?: string): Promise<MitigationRecord[]> {
    const records: MitigationRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: service === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': STATS_PARTITION, ...(service === undefined ? {} : { ':prefix': `${service}#` }) },
          ExclusiveStartKey: startKey,
        }),
      );
      // Types this build no longer has are skipped rather than failing a decision.
      for (const item of page.Items ?? []) {
        const parsed = MitigationRecordSchema.safeParse(item);
        if (parsed.success) records.push(parsed.data);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }
}
