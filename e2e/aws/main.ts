#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { type AwsTestClients, type CommandSpec, exitCodeFor, runAwsTest } from './orchestrate.js';
import { InterruptedError } from './wait.js';

/**
 * `npm run test:aws` (docs/aws-test.md): the real clients, processes, clock and signals behind
 * runAwsTest. Ctrl-C (or SIGTERM) stops the current step and goes straight to teardown; the teardown
 * itself runs on, so the run never leaves its stacks behind because of an impatient key press.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const interrupt = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupts += 1;
    if (interrupts === 1) process.stdout.write(`\ntest:aws: ${signal}: stopping, then destroying what was deployed (the teardown is not interrupted)\n`);
    else process.stdout.write(`test:aws: still tearing down; stopping now would leave stacks behind in the account\n`);
    interrupt.abort();
  });
}

function clients(region: string): AwsTestClients {
  const dynamodb = new DynamoDBClient({ region });
  return {
    sts: new STSClient({ region }),
    cloudformation: new CloudFormationClient({ region }),
    cloudwatch: new CloudWatchClient({ region }),
    appconfig: new AppConfigClient({ region }),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb),
    sfn: new SFNClient({ region }),
  };
}

/** Runs the CDK CLI in the repository with the run's region; its output goes straight to the terminal. */
function run(spec: CommandSpec, region: string): Promise<number> {
  return new Promise((resolve) => {
    process.stdout.write(`  $ ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(spec.command, [...spec.args], {
      cwd: ROOT,
      // No stdin: nothing may prompt (--require-approval never, --force), and a process group of its own must not read the terminal.
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, AWS_REGION: region, AWS_DEFAULT_REGION: region },
      // Its own process group, so a Ctrl-C at the terminal reaches only this run, which decides: a deploy is
      // stopped (SIGINT to its whole group: npx, cdk and their children), the teardown's cdk destroy is not.
      detached: true,
    });
    const stop = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      } catch {
        // Already gone.
      }
    };
    if (!spec.survivesInterrupt) interrupt.signal.addEventListener('abort', stop, { once: true });
    child.on('error', (error) => {
      process.stderr.write(`test:aws: cannot start ${spec.command}: ${error.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      interrupt.signal.removeEventListener('abort', stop);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError('a wait'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError('a wait'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const outcome = await runAwsTest({
  env: process.env,
  // The SDK's own region chain (AWS_REGION, then the profile's region): the same one the CDK CLI uses.
  resolveRegion: async () => {
    const explicit = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (explicit) return explicit;
    return new STSClient({}).config.region();
  },
  clients,
  run,
  clock: () => new Date(),
  sleep,
  log: (line) => process.stdout.write(`${line}\n`),
  signal: interrupt.signal,
  makeWorkDir: () => mkdtemp(join(tmpdir(), 'tourniquet-aws-test-')),
  writeFile: (path, text) => writeFile(path, text, 'utf8'),
  removeDir: (path) => rm(path, { recursive: true, force: true }),
  // "awst-" and 6 base-36 characters: a valid config stage, unique per run.
  newStage: () =>
    `awst-${BigInt(`0x${randomBytes(5).toString('hex')}`)
      .toString(36)
      .slice(-6)
      .padStart(6, '0')}`,
});
process.exit(exitCodeFor(outcome));
