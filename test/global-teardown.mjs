// Jest globalTeardown: stops the DynamoDB Local that test/global-setup.mjs started (if it started one).
export default async function globalTeardown() {
  const local = globalThis.__tourniquetDynamoDbLocal;
  if (!local) return;
  globalThis.__tourniquetDynamoDbLocal = undefined;
  delete process.env.TOURNIQUET_TEST_DYNAMODB_ENDPOINT;
  await local.stop();
}
