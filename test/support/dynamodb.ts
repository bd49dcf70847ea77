import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLocalTable, type DynamoDbLocal, localDocumentClient, startDynamoDbLocal } from '../../drill/dynamodb-local.js';

/** Access to the DynamoDB Local started for one test file. Getters throw if used outside tests/hooks. */
export interface DynamoDbLocalFixture {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A document client for the endpoint (removeUndefinedValues on, like the store's default). */
  readonly client: DynamoDBDocumentClient;
  /** Creates a fresh, empty incident table with a unique name and returns the name. */
  newTable(): Promise<string>;
}

/**
 * Starts one DynamoDB Local for the calling test file (in `beforeAll`) and stops it in `afterAll`.
 * Call it at the top level of a test file or inside a `describe`. Startup takes a few seconds (JVM).
 */
export function useDynamoDbLocal(): DynamoDbLocalFixture {
  let local: DynamoDbLocal | undefined;
  let client: DynamoDBDocumentClient | undefined;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    client = localDocumentClient(local.endpoint);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  }, 30_000);

  const running = (): DynamoDbLocal => {
    if (!local) throw new Error('DynamoDB Local is not running: use the fixture inside tests or hooks, after beforeAll');
    return local;
  };

  return {
    get endpoint() {
      return running().endpoint;
    },
    get client() {
      running();
      return client as DynamoDBDocumentClient;
    },
    async newTable() {
      const tableName = `incidents-${randomUUID().slice(0, 8)}`;
      await createLocalTable(running().endpoint, tableName);
      return tableName;
    },
  };
}
