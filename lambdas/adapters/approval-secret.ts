import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { MIN_SECRET_LENGTH } from '../core/approval-link.js';
import { callAws } from './errors.js';

/**
 * The approval HMAC secret from Secrets Manager. Every click on an approval link needs it, and a
 * Lambda container serves many clicks, so it is cached per instance (one instance per container:
 * handlers build their dependencies once) for five minutes. Five minutes bounds how long a rotated
 * secret takes to reach a warm container while keeping Secrets Manager calls (and their cost) rare.
 */

/** @default cache lifetime */
export const SECRET_CACHE_SECONDS = 300;

/** The secret exists but cannot be used: binary, empty, or too short to be a 256-bit key. */
export class ApprovalSecretUnusableError extends Error {
  override readonly name = 'ApprovalSecretUnusableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface ApprovalSecretSourceOptions {
  /** @default {@link SECRET_CACHE_SECONDS} */
  readonly cacheSeconds?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

interface CacheEntry {
  readonly value: Promise<string>;
  readonly fetchedAt: number;
}

/** Reads and caches approval secrets by id (name or ARN). */
export class ApprovalSecretSource {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheMs: number;
  private readonly clock: () => Date;

  constructor(
    private readonly client: SecretsManagerClient = new SecretsManagerClient({}),
    options: ApprovalSecretSourceOptions = {},
  ) {
    this.cacheMs = (options.cacheSeconds ?? SECRET_CACHE_SECONDS) * 1000;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * The secret's current `SecretString`. Concurrent callers share one request; a failed read is not
   * cached, so the next call tries again.
   *
   * @throws ApprovalSecretUnusableError when the secret has no usable `SecretString`
   * @throws AwsAccessDeniedError / AwsResourceNotFoundError / TransientAwsError / AwsOperationError from the call
   */
  async getSecret(secretId: string): Promise<string> {
    const now = this.clock().getTime();
    const cached = this.cache.get(secretId);
    if (cached && now - cached.fetchedAt < this.cacheMs) return cached.value;
    const value = this.fetch(secretId);
    this.cache.set(secretId, { value, fetchedAt: now });
    try {
      return await value;
    } catch (error) {
      if (this.cache.get(secretId)?.value === value) this.cache.delete(secretId);
      throw error;
    }
  }

  private async fetch(secretId: string): Promise<string> {
    const output = await callAws('Secrets Manager GetSecretValue', `secret ${secretId}`, () => this.client.send(new GetSecretValueCommand({ SecretId: secretId })));
    const secret = output.SecretString;
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new ApprovalSecretUnusableError(`secret ${secretId} has no SecretString (binary secrets are not supported)`);
    }
    if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_LENGTH) {
      throw new ApprovalSecretUnusableError(`secret ${secretId} is shorter than ${MIN_SECRET_LENGTH} bytes; generate at least 32 random characters`);
    }
    return secret;
  }
}
