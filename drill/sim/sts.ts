import type { AssumeRoleCommandInput, AssumeRoleCommandOutput, GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import { STSServiceException } from '@aws-sdk/client-sts';

import type { VirtualClock } from './clock.js';
import { accessDeniedError, deniedCallMessage } from './faults.js';
import { type CommandHandler, errorMetadata, type Out, type SimCallers, type SimPrincipal, type SimService, type SimServiceName } from './wire.js';

/**
 * Identities and STS for drills with several accounts: who is behind each access key (the central
 * account's function roles, and the sessions STS hands out), AssumeRole checked against each role's
 * trust policy (trusted role ARNs, optionally `aws:PrincipalOrgID`), and the guard a workload
 * account's services put in front of every call: only its member role's sessions get through.
 */

/** A principal behind an access key, until its credentials expire. */
interface KeyHolder extends SimPrincipal {
  readonly expiresAt?: Date;
}

/** Who is behind each access key the drill knows. */
export class SimIdentity implements SimCallers {
  readonly #keys = new Map<string, KeyHolder>();
  readonly #orgOf = new Map<string, string>();

  /** Long-lived credentials of a role session (a Lambda function's execution role in the central account). */
  addRoleSession(accessKeyId: string, principal: SimPrincipal): void {
    this.#keys.set(accessKeyId, principal);
  }

  /** Temporary credentials STS issued. */
  addIssued(accessKeyId: string, principal: SimPrincipal, expiresAt: Date): void {
    this.#keys.set(accessKeyId, { ...principal, expiresAt });
  }

  /** Makes `account` a member of the AWS Organization `organizationId`. */
  addToOrganization(account: string, organizationId: string): void {
    this.#orgOf.set(account, organizationId);
  }

  organizationOf(account: string): string | undefined {
    return this.#orgOf.get(account);
  }

  /** The principal behind `accessKeyId`, or undefined for an unknown key or expired credentials. */
  callerOf(accessKeyId: string | undefined, at: Date): SimPrincipal | undefined {
    const holder = accessKeyId === undefined ? undefined : this.#keys.get(accessKeyId);
    if (!holder || (holder.expiresAt && holder.expiresAt.getTime() <= at.getTime())) return undefined;
    return { arn: holder.arn, account: holder.account, roleArn: holder.roleArn, session: holder.session };
  }
}

/** A role that may be assumed: who its trust policy admits. */
export interface AssumableRole {
  readonly roleArn: string;
  /** Role ARNs the trust policy names as principals. */
  readonly trusted: readonly string[];
  /** `aws:PrincipalOrgID` condition: the caller's account must be in this organization. */
  readonly organizationId?: string;
}

/** The principal of a role session: `arn:aws:sts::<account>:assumed-role/<role name>/<session>`. */
export function rolePrincipal(roleArn: string, session: string): SimPrincipal {
  const [, partition, , , account, resource] = roleArn.split(':');
  const roleName = resource!.split('/').pop()!;
  return { arn: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${session}`, account: account!, roleArn, session };
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** Simulated STS (the central account's regional endpoint): AssumeRole and GetCallerIdentity. */
export class SimSts implements SimService {
  readonly service: SimServiceName = 'sts';
  readonly #clock: VirtualClock;
  readonly #identity: SimIdentity;
  readonly #roles = new Map<string, AssumableRole>();
  #issued = 0;

  constructor(options: { clock: VirtualClock; identity: SimIdentity; roles?: readonly AssumableRole[] }) {
    this.#clock = options.clock;
    this.#identity = options.identity;
    for (const role of options.roles ?? []) this.#roles.set(role.roleArn, role);
  }

  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      AssumeRole: ((input: AssumeRoleCommandInput, context) => this.assumeRole(input, context.caller)) as CommandHandler,
      GetCallerIdentity: ((_input: unknown, context) => this.getCallerIdentity(context.caller)) as CommandHandler,
    };
  }

  assumeRole(input: AssumeRoleCommandInput, caller: SimPrincipal | undefined): Out<AssumeRoleCommandOutput> {
    const now = this.#clock.now();
    if (!caller) throw invalidToken();
    const roleArn = input.RoleArn ?? '';
    const session = input.RoleSessionName ?? '';
    if (!SESSION_NAME.test(session)) {
      throw new STSServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: `1 validation error detected: Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
        $metadata: errorMetadata(400),
      });
    }
    const role = this.#roles.get(roleArn);
    const org = role?.organizationId;
    const admitted = role !== undefined && role.trusted.includes(caller.roleArn) && (org === undefined || this.#identity.organizationOf(caller.account) === org);
    if (!admitted) throw accessDeniedError('sts', deniedCallMessage(caller.arn, 'sts', 'AssumeRole', { RoleArn: roleArn }, 'no trust policy allows'));
    const duration = input.DurationSeconds ?? 3600;
    const expiration = new Date(now.getTime() + duration * 1000);
    const n = ++this.#issued;
    const accessKeyId = `ASIASIM${String(n).padStart(13, '0')}`;
    const principal = rolePrincipal(roleArn, session);
    this.#identity.addIssued(accessKeyId, principal, expiration);
    return {
      Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: `sim-secret-${n}`, SessionToken: `sim-session-token-${n}`, Expiration: expiration },
      AssumedRoleUser: { Arn: principal.arn, AssumedRoleId: `AROASIM${principal.account}:${session}` },
    };
  }

  getCallerIdentity(caller: SimPrincipal | undefined): Out<GetCallerIdentityCommandOutput> {
    if (!caller) throw invalidToken();
    return { Account: caller.account, Arn: caller.arn, UserId: `AROASIM${caller.account}:${caller.session}` };
  }
}

function invalidToken(): Error {
  return new STSServiceException({
    name: 'InvalidClientTokenId',
    $fault: 'client',
    message: 'The security token included in the request is invalid.',
    $metadata: errorMetadata(403),
  });
}

/**
 * The guard of a workload account's services: a call gets through only with credentials of a session
 * of `memberRoleArn`; anything else (the central functions' own credentials, another role) is denied
 * with the service's access-denied exception, as a resource in another account is to a principal no policy admits.
 */
export function memberRoleGuard(memberRoleArn: string, account: string) {
  return (caller: SimPrincipal | undefined, call: { readonly service: SimServiceName; readonly command: string; readonly input: Record<string, unknown> }): Error | undefined => {
    if (caller && caller.roleArn === memberRoleArn && caller.account === account) return undefined;
    const who = caller?.arn ?? 'an unknown or expired access key';
    return accessDeniedError(
      call.service,
      deniedCallMessage(who, call.service, call.command, call.input, `only ${memberRoleArn} is admitted in account ${account}: no policy allows`),
    );
  };
}
