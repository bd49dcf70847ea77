// Jest globalSetup: starts ONE DynamoDB Local for the whole run and hands its endpoint to every worker
// through TOURNIQUET_TEST_DYNAMODB_ENDPOINT (workers are forked after this, with this process's env).
// Suites create their own uniquely named tables on it (test/support/dynamodb.ts, the drill runner).
// An endpoint already in the variable (a DynamoDB Local you keep running) is used as is, after a probe.
import { tsImport } from 'tsx/esm/api';

/** Also named in test/support/dynamodb.ts. */
const ENDPOINT_VARIABLE = 'TOURNIQUET_TEST_DYNAMODB_ENDPOINT';
/** Generous: the JVM starts in ~4 s on a quiet laptop, much slower on a busy CI machine. Only here. */
const READY_TIMEOUT_MS = 180_000;

export default async function globalSetup() {
  const { startDynamoDbLocal, waitForDynamoDb } = await tsImport('../drill/dynamodb-local.ts', import.meta.url);
  const given = process.env[ENDPOINT_VARIABLE];
  if (given) {
    await waitForDynamoDb(given, READY_TIMEOUT_MS);
    return;
  }
  const local = await startDynamoDbLocal({ readyTimeoutMs: READY_TIMEOUT_MS });
  // globalSetup and globalTeardown share this process's globalThis.
  globalThis.__tourniquetDynamoDbLocal = local;
  process.env[ENDPOINT_VARIABLE] = local.endpoint;
}
