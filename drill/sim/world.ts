import { functionRoleName, memberRoleArn, partitionOf, trustedFunctionRoleArns, WORKLOAD_ACCESS_HANDLERS } from '../../lambdas/core/accounts.js';
import { isRemoteService, type TourniquetConfig } from '../../lambdas/core/config.js';
import type { AwsClients } from '../../lambdas/runtime/clients.js';
import { simulatedAwsClients } from '../clients.js';
import type { SimulatedAccount, SimulatedAccountOptions } from './account.js';
import { memberRoleGuard, rolePrincipal, SimIdentity, SimSts } from './sts.js';

/**
 * A drill with several accounts (docs/accounts.md): the central account Tourniquet runs in (its
 * function roles, its STS, its topics) and the workload account the scenario's `account` section
 * describes, whose services answer only the member role. Built from the config: a drill is
 * cross-account when `crossAccount` is set and a service lives in another account.
 */
export class CrossAccountWorld {
  readonly identity = new SimIdentity();
  readonly central: { readonly account: string; readonly region: string };
  readonly workload: { readonly account: string; readonly region: string };
  readonly memberRoleArn: string;
  /**
   * The central stack's zero-bake strategy, which the functions get as DEPLOYMENT_STRATEGY_ID. It lives
   * in the central account, not in the simulated (workload) AppConfig: a flag change that deployed
   * with it would fail there as in AWS (ResourceNotFoundException), so the drill proves the functions
   * use the workload account's own strategy, found by name.
   */
  readonly centralStrategyId = 'cen1str';
  readonly #stage: string;
  readonly #trusted: readonly string[];
  readonly #organizationId: string | undefined;
  readonly #keys = new Map<string, string>();

  /**
   * @param trusts - the functions whose roles the member role trusts. @default WORKLOAD_ACCESS_HANDLERS, as the member stack deploys it
   */
  private constructor(config: TourniquetConfig, workload: { account: string; region: string }, trusts: readonly string[] | undefined) {
    const cross = config.crossAccount!;
    this.central = { account: cross.centralAccount, region: cross.centralRegion };
    this.workload = workload;
    this.#stage = config.stage;
    const partition = partitionOf(workload.region);
    this.memberRoleArn = memberRoleArn(config, workload.account, partition);
    this.#trusted =
      trusts === undefined
        ? trustedFunctionRoleArns(config, cross.centralAccount, partition)
        : trusts.map((fn) => `arn:${partition}:iam::${cross.centralAccount}:role/${this.#roleName(fn)}`);
    this.#organizationId = cross.organizationId;
    if (cross.organizationId) {
      this.identity.addToOrganization(cross.centralAccount, cross.organizationId);
      this.identity.addToOrganization(workload.account, cross.organizationId);
    }
  }

  /** The world of a config whose services live in another account, else undefined (one account). */
  static of(config: TourniquetConfig, options: { trusts?: readonly string[] } = {}): CrossAccountWorld | undefined {
    const remote = config.crossAccount ? config.services.find((s) => isRemoteService(config, s)) : undefined;
    if (!remote) return undefined;
    const others = config.services.filter((s) => isRemoteService(config, s) && s.account !== remote.account);
    if (others.length > 0) throw new RangeError(`a drill simulates one workload account; services ${others.map((s) => s.name).join(', ')} name another one`);
    return new CrossAccountWorld(config, { account: remote.account!, region: remote.region ?? config.crossAccount!.centralRegion }, options.trusts);
  }

  /** What the scenario's account needs to be this world's workload account. */
  accountOptions(clock: SimulatedAccountOptions['clock'] & object): Pick<SimulatedAccountOptions, 'location' | 'access'> {
    const sts = new SimSts({
      clock,
      identity: this.identity,
      roles: [{ roleArn: this.memberRoleArn, trusted: this.#trusted, ...(this.#organizationId ? { organizationId: this.#organizationId } : {}) }],
    });
    return { location: this.workload, access: { callers: this.identity, sts, guard: memberRoleGuard(this.memberRoleArn, this.workload.account) } };
  }

  /** The ARN of a Tourniquet function's role in the central account. */
  functionRoleArn(fn: string): string {
    return `arn:${partitionOf(this.central.region)}:iam::${this.central.account}:role/${this.#roleName(fn)}`;
  }

  /**
   * The clients a Tourniquet function gets: its own role's credentials in the central region; a
   * service's clients come from production's role chain (`forService`: STS AssumeRole of the member role).
   */
  functionClients(account: SimulatedAccount, fn: string, now: () => number): AwsClients {
    let key = this.#keys.get(fn);
    if (!key) {
      key = `AKIASIM${fn.toUpperCase().replace(/[^A-Z0-9]/g, '')}`.slice(0, 20);
      // A Lambda function's session: its role, the function's name as session name.
      this.identity.addRoleSession(key, rolePrincipal(this.functionRoleArn(fn), this.#roleName(fn)));
      this.#keys.set(fn, key);
    }
    const own = account.clientsWith({ region: this.central.region, credentials: { accessKeyId: key, secretAccessKey: 'sim' } });
    return simulatedAwsClients(own, (settings) => account.clientsWith(settings), now);
  }

  #roleName(fn: string): string {
    return (WORKLOAD_ACCESS_HANDLERS as readonly string[]).includes(fn)
      ? functionRoleName(this.#stage, fn as (typeof WORKLOAD_ACCESS_HANDLERS)[number])
      : `Tourniquet-${this.#stage}-${fn}`;
  }
}
