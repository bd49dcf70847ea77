import type { STSClient } from '@aws-sdk/client-sts';

import { AwsAccessDeniedError, awsErrorName, classifyAwsError, TransientAwsError } from './errors.js';

/**
 * Credentials of the member role in a workload account (docs/accounts.md), from STS AssumeRole under
 * a session name that says what the calls are for: the incident id, so CloudTrail in the workload
 * account shows which incident made each call. Cached per (role, session) and renewed before they
 * expire, so one warm function assumes the role once per incident, not once per call.
 */

/** Temporary credentials as the SDK's `credentials` option takes them. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** What the SDK clients of a workload account are given: called before each request, answered from the cache. */
export type RoleCredentialsProvider = () => Promise<RoleCredentials>;

/** AssumeRole was refused: the member role is missing in that account, or does not trust this function's role. */
export class AssumeRoleDeniedError extends AwsAccessDeniedError {
  override readonly name = 'AssumeRoleDeniedError';
  constructor(
    readonly roleArn: string,
    readonly sessionName: string,
    cause: unknown,
  ) {
    const account = roleArn.split(':')[4] ?? 'unknown';
    const why = `${awsErrorName(cause) ?? 'Error'}: ${(cause as Error | undefined)?.message ?? String(cause)}`;
    super(
      `Could not assume ${roleArn} in account ${account} (session ${sessionName}): ${why}. ` +
        `Deploy the member stack in ${account} and check that its role trusts this function's role (docs/accounts.md).`,
      { cause },
    );
  }
}

export interface AssumedRoleOptions {
  /** Requested lifetime of the credentials. @default 900 (STS's minimum: a step's calls take seconds) */
  readonly durationSeconds?: number;
  /** Credentials this close to expiry are renewed before use. @default 300 (the SDK's own margin is 5 min too) */
  readonly refreshMarginSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Assumes member roles through one STS client (loaded on first use), caching credentials per (role, session). */
export class AssumedRoleCredentials {
  readonly #sts: () => Promise<STSClient>;
  readonly #cache = new Map<string, Promise<RoleCredentials>>();
  readonly #duration: number;
  readonly #margin: number;
  readonly #now: () => number;

  constructor(sts: () => Promise<STSClient>, options: AssumedRoleOptions = {}) {
    this.#sts = sts;
    this.#duration = options.durationSeconds ?? 900;
    this.#margin = options.refreshMarginSeconds ?? 300;
    this.#now = options.now ?? Date.now;
  }

  /** A provider for the SDK's `credentials` option: the member role `roleArn` under `sessionName`. */
  provider(roleArn: string, sessionName: string): RoleCredentialsProvider {
    return () => this.credentials(roleArn, sessionName);
  }

  /**
   * Credentials of `roleArn` under `sessionName`: cached ones while they have more than the margin left,
   * else new ones (concurrent callers share one AssumeRole call).
   *
   * @throws AssumeRoleDeniedError when STS refuses; TransientAwsError when it failed transiently
   */
  async credentials(roleArn: string, sessionName: string): Promise<RoleCredentials> {
    const key = `${roleArn} ${sessionName}`;
    const cached = this.#cache.get(key);
    if (cached) {
      const fresh = await cached.then(
        (c) => (c.expiration.getTime() - this.#now() > this.#margin * 1000 ? c : undefined),
        () => undefined,
      );
      if (fresh) return fresh;
    }
    const pending = this.#assume(roleArn, sessionName);
    this.#cache.set(key, pending);
    // A failure is not cached: the next call (a retry of the step) asks STS again.
    pending.catch(() => {
      if (this.#cache.get(key) === pending) this.#cache.delete(key);
    });
    return pending;
  }

  async #assume(roleArn: string, sessionName: string): Promise<RoleCredentials> {
    const [sts, { AssumeRoleCommand }] = await Promise.all([this.#sts(), import('@aws-sdk/client-sts')]);
    let out;
    try {
      out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: this.#duration }));
    } catch (error) {
      const classified = classifyAwsError(error, 'STS AssumeRole', roleArn);
      if (classified instanceof TransientAwsError) throw classified;
      throw new AssumeRoleDeniedError(roleArn, sessionName, error);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new AssumeRoleDeniedError(roleArn, sessionName, new Error('STS answered without credentials'));
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: new Date(c.Expiration) };
  }
}
