import { randomUUID } from 'node:crypto';

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from '@jest/globals';

import { createLocalTable, deleteLocalTable, type DynamoDbLocal, localDocumentClient, startDynamoDbLocal } from '../../drill/dynamodb-local.js';

/**
 * The variable through which test/global-setup.mjs hands the run's one DynamoDB Local to the workers
 * (the name is repeated there and in test/global-teardown.mjs).
 */
export const SHARED_DYNAMODB_ENDPOINT_VARIABLE = 'TOURNIQUET_TEST_DYNAMODB_ENDPOINT';

/** The endpoint of the DynamoDB Local shared by the whole jest run, when global setup started one. */
export function sharedDynamoDbEndpoint(): string | undefined {
  return process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE] || undefined;
}

/** Access to the DynamoDB Local a test file uses. Getters throw if used outside tests/hooks. */
export interface DynamoDbLocalFixture {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A document client for the endpoint (removeUndefinedValues on, like the store's default). */
  readonly client: DynamoDBDocumentClient;
  /** Creates a fresh, empty incident table with a unique name and returns the name. */
  newTable(): Promise<string>;
}

/**
 * Gives the calling test file a DynamoDB Local: the one the jest run shares (global setup) when
 * there is one, else one started for this file in `beforeAll` and stopped in `afterAll`. Tables come
 * from `newTable()`, uniquely named, so files and tests never see each other's items; on the shared
 * instance they are deleted in `afterAll`. Call it at the top level of a test file or inside a `describe`.
 */
export function useDynamoDbLocal(): DynamoDbLocalFixture {
  let endpoint: string | undefined;
  let local: DynamoDbLocal | undefined;
  let client: DynamoDBDocumentClient | undefined;
  const tables: string[] = [];

  beforeAll(async () => {
    endpoint = sharedDynamoDbEndpoint();
    if (!endpoint) {
      local = await startDynamoDbLocal();
      endpoint = local.endpoint;
    }
    client = localDocumentClient(endpoint);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    if (local) {
      await local.stop();
    } else if (endpoint) {
      const shared = endpoint;
      await Promise.all(tables.splice(0).map((name) => deleteLocalTable(shared, name)));
    }
  }, 30_000);

  const running = (): string => {
    if (!endpoint) throw new Error('DynamoDB Local is not running: use the fixture inside tests or hooks, after beforeAll');
    return endpoint;
  };

  return {
    get endpoint() {
      return running();
    },
    get client() {
      running();
      return client as DynamoDBDocumentClient;
    },
    async newTable() {
      const tableName = `incidents-${randomUUID()}`;
      await createLocalTable(running(), tableName);
      tables.push(tableName);
      return tableName;
    },
  };
}
