import { READINESS_SESSION } from '../lambdas/core/accounts.js';
import type { SimCall } from './sim/wire.js';

/**
 * The role chain of a drill with several accounts (docs/accounts.md), judged from the call log:
 * every call of the automation to the workload account was signed by a session of the member role
 * named after the incident it was for, and the functions the scenario names assumed that role
 * themselves, with the first incident's id as session name.
 */

/** The accounts and roles the judgement is about (drill/sim/world.ts). */
export interface RoleChainWorld {
  readonly workload: { readonly account: string };
  readonly memberRoleArn: string;
  functionRoleArn(fn: string): string;
}

/** `arn:aws:sts::<account>:assumed-role/<role>/<session>` → its account, role name and session. */
function sessionOf(caller: string | undefined): { account: string; role: string; session: string } | undefined {
  const match = caller === undefined ? null : /^arn:[\w-]+:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(caller);
  return match ? { account: match[1]!, role: match[2]!, session: match[3]! } : undefined;
}

const roleNameOf = (roleArn: string) => roleArn.split('/').pop()!;

/**
 * Every way the call log breaks the role chain, in words; empty when it holds.
 *
 * @param incidentIds - the drill's incidents: the session names the automation may use (besides readiness's)
 * @param assumedBy - functions that must have assumed the member role with the first incident's id as session name
 */
export function roleChainMismatches(calls: readonly SimCall[], world: RoleChainWorld, incidentIds: readonly string[], assumedBy: readonly string[] = []): string[] {
  const mismatches: string[] = [];
  const member = roleNameOf(world.memberRoleArn);
  const workloadCalls = calls.filter((c) => c.origin === 'drill' && c.service !== 'sns' && c.service !== 'sts');
  const outside = workloadCalls.filter((c) => {
    const s = sessionOf(c.caller);
    return !s || s.account !== world.workload.account || s.role !== member;
  });
  if (outside.length > 0) {
    const sample = outside.slice(0, 3).map((c) => `${c.service} ${c.command} by ${c.caller ?? 'unknown credentials'}${c.error ? ` (${c.error.name})` : ''}`);
    mismatches.push(`${outside.length} call(s) reached workload account ${world.workload.account} without the member role ${member}: ${sample.join('; ')}`);
  }
  const allowed = new Set([...incidentIds, READINESS_SESSION]);
  const strangers = [...new Set(workloadCalls.map((c) => sessionOf(c.caller)?.session).filter((s): s is string => s !== undefined && !allowed.has(s)))];
  if (strangers.length > 0)
    mismatches.push(`calls in workload account ${world.workload.account} ran under session name(s) ${strangers.join(', ')}, which name no incident of this drill`);

  const first = incidentIds[0];
  for (const fn of assumedBy) {
    const role = roleNameOf(world.functionRoleArn(fn));
    const assumed = calls.some((c) => {
      const input = c.input as { RoleArn?: string; RoleSessionName?: string };
      return (
        c.service === 'sts' &&
        c.command === 'AssumeRole' &&
        !c.error &&
        sessionOf(c.caller)?.role === role &&
        input.RoleArn === world.memberRoleArn &&
        input.RoleSessionName === first
      );
    });
    if (!assumed) mismatches.push(`expected ${fn} (role ${role}) to assume ${world.memberRoleArn} with session name ${first ?? '(no incident)'}, it did not`);
  }
  return mismatches;
}

/** What the drill shows of the role chain: who assumed the member role under which session, and how the workload account was called. */
export interface RoleChainSummary {
  readonly memberRoleArn: string;
  readonly workloadAccount: string;
  /** Successful AssumeRole calls for the member role, in order: the caller's role name and the session name. */
  readonly assumed: { at: string; by: string; session: string }[];
  /** Calls of the automation that reached the workload account (SNS and STS aside). */
  readonly workloadCalls: number;
  /** Of those, calls not signed by a member-role session: 0 when the chain holds. */
  readonly callsWithoutRole: number;
}

/** The role chain in numbers, for the drill's report (the judgement is {@link roleChainMismatches}). */
export function roleChainSummary(calls: readonly SimCall[], world: RoleChainWorld): RoleChainSummary {
  const member = roleNameOf(world.memberRoleArn);
  const workloadCalls = calls.filter((c) => c.origin === 'drill' && c.service !== 'sns' && c.service !== 'sts');
  return {
    memberRoleArn: world.memberRoleArn,
    workloadAccount: world.workload.account,
    assumed: calls.flatMap((c) => {
      const input = c.input as { RoleArn?: string; RoleSessionName?: string };
      if (c.service !== 'sts' || c.command !== 'AssumeRole' || c.error || input.RoleArn !== world.memberRoleArn) return [];
      return [{ at: c.at, by: sessionOf(c.caller)?.role ?? c.caller ?? 'unknown', session: input.RoleSessionName ?? '' }];
    }),
    workloadCalls: workloadCalls.length,
    callsWithoutRole: workloadCalls.filter((c) => {
      const s = sessionOf(c.caller);
      return !s || s.account !== world.workload.account || s.role !== member;
    }).length,
  };
}
