import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The incident table's single-table key design, shared by the CDK stack (which creates the real
 * table) and the local launcher (which creates the same table in DynamoDB Local), so the two can
 * never drift apart.
 *
 * - `pk` / `sk`: every item (incident, timeline events, action records, locks).
 * - `gsi1` (`gsi1pk` / `gsi1sk`, projection ALL): lists incidents newest first.
 * - `expiresAt` (epoch seconds): TTL, set only on ephemeral items such as locks.
 * - Billing: on-demand.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1Name: 'gsi1',
  gsi1PartitionKey: 'gsi1pk',
  gsi1SortKey: 'gsi1sk',
  ttlAttribute: 'expiresAt',
} as const;

/** The key design as a `CreateTableCommandInput`, for DynamoDB Local and tests. TTL is enabled separately (UpdateTimeToLive). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.gsi1PartitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.gsi1SortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TABLE_KEYS.gsi1Name,
        KeySchema: [
          { AttributeName: TABLE_KEYS.gsi1PartitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.gsi1SortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
