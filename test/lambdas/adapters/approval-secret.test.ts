import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { ApprovalSecretSource, ApprovalSecretUnusableError, SECRET_CACHE_SECONDS } from '../../../lambdas/adapters/approval-secret.js';
import { AwsAccessDeniedError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { sdkError } from './sdk-errors.js';

const sm = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tourniquet-approval-AbCdEf';
const VALUE = 'a'.repeat(64);

function source() {
  let now = Date.parse('2026-11-23T03:11:00.000Z');
  const secrets = new ApprovalSecretSource(sm as unknown as SecretsManagerClient, { clock: () => new Date(now) });
  return { secrets, advance: (seconds: number) => void (now += seconds * 1000) };
}

describe('ApprovalSecretSource', () => {
  beforeEach(() => {
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALUE });
  });

  it('reads SecretString with GetSecretValue and caches it for five minutes', async () => {
    const { secrets, advance } = source();
    expect(await secrets.getSecret(ARN)).toBe(VALUE);
    advance(SECRET_CACHE_SECONDS - 1);
    expect(await secrets.getSecret(ARN)).toBe(VALUE);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ARN }]);

    sm.on(GetSecretValueCommand).resolves({ SecretString: 'b'.repeat(64) });
    advance(1);
    expect(await secrets.getSecret(ARN)).toBe('b'.repeat(64));
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(SECRET_CACHE_SECONDS).toBe(300);
  });

  it('shares one request between concurrent callers', async () => {
    const { secrets } = source();
    await Promise.all([secrets.getSecret(ARN), secrets.getSecret(ARN), secrets.getSecret(ARN)]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not cache a failure: the next call tries again', async () => {
    const { secrets } = source();
    sm.on(GetSecretValueCommand).rejectsOnce(sdkError('ThrottlingException', 'slow down')).resolves({ SecretString: VALUE });
    await expect(secrets.getSecret(ARN)).rejects.toBeInstanceOf(TransientAwsError);
    await expect(secrets.getSecret(ARN)).resolves.toBe(VALUE);
  });

  it('classifies AccessDenied and names the secret', async () => {
    const { secrets } = source();
    sm.on(GetSecretValueCommand).rejects(sdkError('AccessDeniedException', 'not authorized'));
    await expect(secrets.getSecret(ARN)).rejects.toThrow(AwsAccessDeniedError);
    await expect(secrets.getSecret(ARN)).rejects.toThrow(`Secrets Manager GetSecretValue on secret ${ARN} failed`);
  });

  it('refuses binary, empty and short secrets', async () => {
    const { secrets } = source();
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array(64) });
    await expect(secrets.getSecret(ARN)).rejects.toThrow(ApprovalSecretUnusableError);
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'too-short' });
    await expect(secrets.getSecret(ARN)).rejects.toThrow(/shorter than 32 bytes/);
  });
});
