import { afterEach, beforeEach, jest } from '@jest/globals';
import { Command } from 'commander';

import type { DynamoDbLocalFixture } from './dynamodb.js';

/** What in the caller's shell could point a command at a real account, table, stack or topic. */
const CALLER_VARIABLES = ['AWS_PROFILE', 'TOURNIQUET_TABLE', 'TOURNIQUET_STACK', 'TOURNIQUET_STATUS_TOPIC'];

/**
 * Runs `tourniquet` commands in-process, parsed by commander, against DynamoDB Local. Before each test
 * the commands' own DynamoDB client is pointed at `db` (local credentials, us-east-1), nothing from the
 * caller's shell names a profile, table, stack or topic, `process.exitCode` is cleared and what the
 * commands write is captured in `stdout` and `stderr` (emptied before each test, always the same arrays);
 * after it the environment, the exit code and the streams are restored. Call it inside a `describe`.
 */
export function useCli(db: DynamoDbLocalFixture, ...registers: ((program: Command) => unknown)[]) {
  const saved = { ...process.env };
  const stdout: string[] = [];
  const stderr: string[] = [];

  beforeEach(() => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    process.env.AWS_REGION = 'us-east-1';
    for (const name of CALLER_VARIABLES) delete process.env[name];
    process.exitCode = undefined;
    stdout.length = 0;
    stderr.length = 0;
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  });

  afterEach(() => {
    process.env = { ...saved };
    process.exitCode = undefined;
    jest.restoreAllMocks();
  });

  /** `tourniquet <args>` with the registered commands; exits throw instead of ending the process. */
  const run = (...args: string[]) => {
    const cli = new Command('tourniquet').exitOverride();
    for (const register of registers) register(cli);
    return cli.parseAsync(args, { from: 'user' });
  };

  return { stdout, stderr, run };
}
