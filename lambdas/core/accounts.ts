import { isRemoteService, memberRoleName, type TourniquetConfig } from './config.js';

/**
 * The contract between the central Tourniquet stack and the member stacks of workload accounts
 * (docs/accounts.md). The functions that read or change a service's resources assume the member
 * role in the service's account; the member role trusts exactly those function roles (by name, so
 * the member stack can be deployed before or after the central one); alarm state changes reach the
 * central event bus. CDK-free: the handlers, `lib/` and the drill share it.
 */

/**
 * The functions that act in a service's account: their manifest grants catalogue statements or alarm
 * reads (lambdas/runtime/manifest.ts). A test keeps this list equal to the manifest.
 */
export const WORKLOAD_ACCESS_HANDLERS = ['triage', 'mitigate', 'verify', 'readiness'] as const;
export type WorkloadAccessHandler = (typeof WORKLOAD_ACCESS_HANDLERS)[number];

/** The fixed name of a workload-access function's role in the central account, which member roles trust. */
export function functionRoleName(stage: string, handler: WorkloadAccessHandler): string {
  return `Tourniquet-${stage}-${handler}`;
}

/** The IAM partition of a region ("aws", "aws-cn", "aws-us-gov"). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** ARN of the member role in `account`. */
export function memberRoleArn(config: Pick<TourniquetConfig, 'stage' | 'crossAccount'>, account: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:role/${memberRoleName(config)}`;
}

/** ARNs of the central function roles a member role trusts. */
export function trustedFunctionRoleArns(config: Pick<TourniquetConfig, 'stage'>, centralAccount: string, partition = 'aws'): string[] {
  return WORKLOAD_ACCESS_HANDLERS.map((handler) => `arn:${partition}:iam::${centralAccount}:role/${functionRoleName(config.stage, handler)}`);
}

/** Name of the central event bus member accounts (and other regions) forward alarm state changes to. */
export function centralBusName(stage: string): string {
  return `Tourniquet-${stage}-alarms`;
}

/** ARN of the central event bus. */
export function centralBusArn(config: Pick<TourniquetConfig, 'stage'>, centralAccount: string, centralRegion: string): string {
  return `arn:${partitionOf(centralRegion)}:events:${centralRegion}:${centralAccount}:event-bus/${centralBusName(config.stage)}`;
}

/**
 * Name of the zero-bake AppConfig deployment strategy flag changes deploy with. The central stack and
 * every member stack where a service has flags create one of this name: a strategy belongs to one
 * account and region, so the functions find the one of a service elsewhere by this name.
 */
export function immediateStrategyName(stage: string): string {
  return `Tourniquet-Immediate-${stage}`;
}

/** The member stack name for an account and region: `Tourniquet-<stage>-member-<account>-<region>`. */
export function memberStackName(stage: string, account: string, region: string): string {
  return `Tourniquet-${stage}-member-${account}-${region}`;
}

/** STS role session names: 2-64 of [\w+=,.@-]. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/**
 * The role session name for work on `subject`: the incident id (so CloudTrail in the workload account
 * shows which incident made each call), or what the call is for when no incident is involved
 * ("tourniquet-readiness"). Characters STS refuses become "-".
 */
export function sessionNameFor(subject: string): string {
  const name = subject.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  if (!SESSION_NAME.test(name)) throw new Error(`cannot make an STS session name of "${subject}"`);
  return name;
}

/**
 * Where the functions reach a service: its region (undefined: the function's own) and, for a service
 * in a workload account, the member role to assume there. The starter puts it in the workflow input
 * (`access`); readiness, undo and preflight compute it from the config.
 */
export interface ServiceAccess {
  /** The service's account, when it names one. */
  readonly account?: string;
  /** The service's region, when it names one. */
  readonly region?: string;
  /** The member role in `account`, when the service is remote (isRemoteService). */
  readonly roleArn?: string;
}

/** How the functions reach `service`: its region, and the member role of its account when it is remote. */
export function serviceAccess(config: Pick<TourniquetConfig, 'stage' | 'crossAccount'>, service: { readonly account?: string; readonly region?: string }): ServiceAccess {
  const remote = isRemoteService(config, service) && service.account !== undefined;
  const partition = partitionOf(service.region ?? config.crossAccount?.centralRegion ?? '');
  return {
    ...(service.account !== undefined ? { account: service.account } : {}),
    ...(service.region !== undefined ? { region: service.region } : {}),
    ...(remote ? { roleArn: memberRoleArn(config, service.account!, partition) } : {}),
  };
}

/** Whether reaching the service takes other clients than the function's own (another region, or the member role). */
export function isElsewhere(access: ServiceAccess | undefined): access is ServiceAccess {
  return access !== undefined && (access.region !== undefined || access.roleArn !== undefined);
}

/** The session name of the scheduled readiness check's calls in workload accounts. */
export const READINESS_SESSION = 'tourniquet-readiness';
/** The session name of `tourniquet preflight`'s calls in workload accounts. */
export const PREFLIGHT_SESSION = 'tourniquet-preflight';

/**
 * Whether an alarm from `from` (its event's account and region) can be `service`'s: the service's own
 * account and region, defaulting to the central account and region (`crossAccount`), else to
 * `homeRegion` (the function's). An account or region nothing pins down is accepted.
 */
export function isServiceLocation(
  config: Pick<TourniquetConfig, 'crossAccount'>,
  service: { readonly account?: string; readonly region?: string },
  from: { readonly account: string; readonly region: string },
  homeRegion?: string,
): boolean {
  const account = service.account ?? config.crossAccount?.centralAccount;
  const region = service.region ?? config.crossAccount?.centralRegion ?? homeRegion;
  return (account === undefined || account === from.account) && (region === undefined || region === from.region);
}
