import { isRemoteService, type ServiceConfig, type TourniquetConfig } from '../lambdas/core/config.js';

/**
 * Where the config's services live, as the stacks need it (docs/accounts.md): which workload accounts
 * get a member role, which (account, region) pairs forward their alarms to the central bus, and which
 * accounts that bus admits. CDK-free, so the tests and the drill can read it too.
 */

/** One account and region that forwards the state changes of its services' alarms to the central bus. */
export interface ForwardingLocation {
  readonly account: string;
  readonly region: string;
  /** The services there, in config order. */
  readonly services: readonly ServiceConfig[];
}

/** The central account and region, or a one-line error naming what is missing. */
export function centralLocation(config: TourniquetConfig): { account: string; region: string } {
  const central = config.crossAccount;
  if (central === undefined)
    throw new Error('the config has no crossAccount: set crossAccount.centralAccount and crossAccount.centralRegion (where Tourniquet runs) to deploy member stacks');
  return { account: central.centralAccount, region: central.centralRegion };
}

/** Whether a service lives where the central stack does (its own account and region, named or not). */
export function isAtCentral(config: TourniquetConfig, service: ServiceConfig): boolean {
  const centralRegion = config.crossAccount?.centralRegion;
  return !isRemoteService(config, service) && (service.region === undefined || service.region === centralRegion);
}

/** Workload accounts: the distinct accounts of remote services, in config order. Each gets the member role. */
export function memberAccounts(config: TourniquetConfig): string[] {
  return [...new Set(config.services.filter((s) => isRemoteService(config, s)).map((s) => s.account!))];
}

/**
 * Every (account, region) whose alarms reach Tourniquet through the central bus: the remote services'
 * accounts and the central account's other regions. A service without a region is in the central
 * region. Empty when every service is where Tourniquet runs.
 */
export function forwardingLocations(config: TourniquetConfig): ForwardingLocation[] {
  const away = config.services.filter((s) => !isAtCentral(config, s));
  if (away.length === 0) return [];
  const central = centralLocation(config);
  const out = new Map<string, { account: string; region: string; services: ServiceConfig[] }>();
  for (const service of away) {
    const account = service.account ?? central.account;
    const region = service.region ?? central.region;
    const key = `${account}/${region}`;
    const entry = out.get(key) ?? { account, region, services: [] };
    entry.services.push(service);
    out.set(key, entry);
  }
  return [...out.values()];
}

/** The accounts the central bus admits PutEvents from: every forwarding location's account, sorted. */
export function busSourceAccounts(config: TourniquetConfig): string[] {
  return [...new Set(forwardingLocations(config).map((l) => l.account))].sort();
}

/** The region of an account where its member role is created: the first of its forwarding locations (IAM is global). */
export function memberRoleRegion(config: TourniquetConfig, account: string): string | undefined {
  if (!memberAccounts(config).includes(account)) return undefined;
  return forwardingLocations(config).find((l) => l.account === account)?.region;
}
