import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from '@jest/globals';

import { CliError, describeFailure, NO_CREDENTIALS, NO_REGION, runAction } from '../../cli/runtime/errors.js';
import { storeErrorFor } from '../../lambdas/store/errors.js';

/**
 * The CLI's one-line failures: the mapping from what the SDK, the store and the operations throw to
 * a cause and a hint, and the real `tourniquet` binary run with no region and no credentials.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An SDK v3 service error as the client throws it. */
const sdkError = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

describe('describeFailure', () => {
  it('a missing region or missing credentials is bad input with the fix', () => {
    expect(describeFailure(new Error('Region is missing'))).toEqual({ message: NO_REGION, exitCode: 2 });
    expect(describeFailure(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }))).toEqual({
      message: NO_CREDENTIALS,
      exitCode: 2,
    });
  });

  it('finds the SDK error under the store wrapping it', () => {
    const wrapped = storeErrorFor('query on table t failed: Error: Region is missing', new Error('Region is missing'));
    expect(describeFailure(wrapped)).toEqual({ message: NO_REGION, exitCode: 2 });
  });

  it('access denied names the action and the resource from the AWS message', () => {
    const denied = sdkError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/ReadOnly/alice is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/Tourniquet-Incidents because no identity-based policy allows the dynamodb:UpdateItem action',
    );
    expect(describeFailure(storeErrorFor('update on table Tourniquet-Incidents failed', denied))).toEqual({
      message: 'access denied: dynamodb:UpdateItem on arn:aws:dynamodb:eu-west-1:123456789012:table/Tourniquet-Incidents: use credentials whose role allows it',
      exitCode: 1,
    });
  });

  it('expired or rejected credentials, an unknown table, an unreachable endpoint and throttling each get their hint', () => {
    expect(describeFailure(sdkError('ExpiredTokenException', 'The security token included in the request is expired'))).toMatchObject({
      message: 'AWS credentials expired (ExpiredTokenException): refresh them (e.g. aws sso login) and run it again',
      exitCode: 2,
    });
    expect(describeFailure(sdkError('UnrecognizedClientException', 'The security token included in the request is invalid.'), { region: 'eu-west-1' }).message).toBe(
      'AWS does not accept your credentials (UnrecognizedClientException): check AWS_PROFILE or the access key, and that the region eu-west-1 is enabled for the account',
    );
    expect(describeFailure(sdkError('ResourceNotFoundException', 'Requested resource not found'), { region: 'eu-west-1', table: 'Nope' })).toEqual({
      message: 'table Nope not found in eu-west-1: check --table (or --stack) and --region',
      exitCode: 2,
    });
    expect(
      describeFailure(Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.mars-1.amazonaws.com'), { code: 'ENOTFOUND', hostname: 'dynamodb.mars-1.amazonaws.com' })),
    ).toEqual({
      message: 'cannot reach AWS (ENOTFOUND dynamodb.mars-1.amazonaws.com): check the network, any proxy and --region',
      exitCode: 1,
    });
    expect(describeFailure(sdkError('ThrottlingException', 'Rate exceeded'))).toMatchObject({ exitCode: 1, message: expect.stringContaining('run it again in a moment') });
  });

  it('CLI errors keep their phrasing; anything else is its name and first line, exit 1', () => {
    expect(describeFailure(new CliError('--limit must be a whole number'))).toEqual({ message: '--limit must be a whole number', exitCode: 2 });
    expect(describeFailure(new TypeError('x is undefined\n    at somewhere (file.ts:1:1)'))).toEqual({ message: 'TypeError: x is undefined', exitCode: 1 });
  });

  it('runAction writes one line and returns the exit code', async () => {
    const lines: string[] = [];
    expect(
      await runAction(
        async () => 0,
        (l) => void lines.push(l),
      ),
    ).toBe(0);
    expect(
      await runAction(
        async (context) => {
          context.region = 'eu-west-1';
          throw new Error('Region is missing');
        },
        (l) => void lines.push(l),
      ),
    ).toBe(2);
    expect(lines).toEqual([`tourniquet: ${NO_REGION}\n`]);
  });
});

/** Runs the real binary; resolves with its exit code and output. */
function tourniquet(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tourniquet.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('tourniquet without a region or credentials', () => {
  const bare = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
    // No instance metadata lookups: the credential chain ends at once, as on a laptop.
    return { ...env, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
  };
  const COMMANDS = [
    ['pause'],
    ['resume'],
    ['resolve', 'inc-1'],
    ['ack', 'inc-1'],
    ['undo', 'inc-1'],
    ['approve', 'inc-1'],
    ['reject', 'inc-1'],
    ['incidents'],
    ['show', 'inc-1'],
    ['postmortem', 'inc-1'],
    ['stats'],
    ['preflight'],
  ];

  it('every operator command and preflight prints one line naming the fix, no stack trace, exit 2', async () => {
    // --table and --deployment-strategy given: what is missing is the region (then the credentials).
    const withValues = (args: string[]) =>
      args[0] === 'preflight' ? args : [...args, '--table', 'Tourniquet-Incidents', ...(args[0] === 'undo' ? ['--deployment-strategy', 'zb4k2x9'] : [])];
    const noRegion = await Promise.all(COMMANDS.map((args) => tourniquet(withValues(args), bare())));
    const noCredentials = await Promise.all(COMMANDS.map((args) => tourniquet(withValues(args), bare({ AWS_REGION: 'eu-west-1' }))));
    const seen = (runs: typeof noRegion) => runs.map((r, i) => ({ command: COMMANDS[i]![0], code: r.code, stderr: r.stderr, stdout: r.stdout }));
    expect(seen(noRegion)).toEqual(COMMANDS.map(([command]) => ({ command, code: 2, stderr: `tourniquet: ${NO_REGION}\n`, stdout: '' })));
    expect(seen(noCredentials)).toEqual(COMMANDS.map(([command]) => ({ command, code: 2, stderr: `tourniquet: ${NO_CREDENTIALS}\n`, stdout: '' })));
    for (const run of [...noRegion, ...noCredentials]) expect(run.stderr).not.toContain('    at ');
  }, 120_000);

  it('without a table or stack: which values are missing and how to give them, exit 2, before looking for AWS', async () => {
    const run = await tourniquet(['pause'], bare());
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'tourniquet: pause needs the incident table: pass --stack <name> (its IncidentTableName output), --table, or set TOURNIQUET_TABLE\n',
    });
  }, 60_000);

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await tourniquet(['--version'], bare())).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  }, 60_000);
});
