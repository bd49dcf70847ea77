import type { SimulatedDecision, SimulationRequest } from '../../lambdas/adapters/iam-simulation.js';
import { memberRoleArn } from '../../lambdas/core/accounts.js';
import { isRemoteService, type TourniquetConfig } from '../../lambdas/core/config.js';
import { CATALOGUE } from '../../lambdas/mitigations/index.js';
import type { ArnFormatter, Mitigation, ReadinessCheck, StatementSpec } from '../../lambdas/mitigations/mitigation.js';
import type { ServiceReadinessReport } from '../../lambdas/operations/readiness.js';
import { catalogueStatements } from '../../lib/permissions.js';

/**
 * Preflight's permission check: the mitigate role is asked (iam:SimulatePrincipalPolicy) whether it
 * may make each configured mitigation's change, on exactly the statements the stack grants it
 * (`catalogueStatements`, the catalogue's write statements for the service's resources). A role that
 * lost a permission since the deploy (a hand edit, a permissions boundary, a new SCP) shows here
 * instead of in the middle of an incident.
 */

/** What the check needs of IAM (`IamPolicySimulator`). */
export interface PermissionSimulator {
  simulate(request: SimulationRequest): Promise<SimulatedDecision[]>;
}

/** The account the ARNs are formatted for (the stack's partition, region and account). */
export interface AccountLocation {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

export const PERMISSION_CHECK = 'mitigate role may make the change';

/** ARNs as the stack formats them, with literal partition, region and account. */
export function literalArns(where: AccountLocation, deploymentStrategyId?: string): ArnFormatter {
  return {
    ...(deploymentStrategyId !== undefined && deploymentStrategyId !== '' ? { deploymentStrategyId } : {}),
    arn: ({ service, resource, resourceName, region, account, separator }) =>
      `arn:${where.partition}:${service}:${region ?? where.region}:${account ?? where.account}:${resource}${separator === ':' ? ':' : '/'}${resourceName}`,
  };
}

/** The partition and account of an IAM role ARN (`arn:aws:iam::123456789012:role/name`), or undefined when it is not one. */
export function roleLocation(roleArn: string): { partition: string; account: string } | undefined {
  const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/.+$/.exec(roleArn);
  return m ? { partition: m[1]!, account: m[2]! } : undefined;
}

/**
 * Adds the permission check to every report of a mitigation that writes: allowed when the role may
 * call every write action on every resource it is granted, with the condition keys of the real call.
 * A report's `ready` then also requires that check.
 */
export async function withPermissionChecks(
  reports: readonly ServiceReadinessReport[],
  config: TourniquetConfig,
  options: {
    readonly roleArn: string;
    readonly where: AccountLocation;
    readonly deploymentStrategyId?: string;
    readonly simulator: PermissionSimulator;
    readonly catalogue?: readonly Mitigation[];
  },
): Promise<ServiceReadinessReport[]> {
  const arns = literalArns(options.where, options.deploymentStrategyId);
  // Two mitigations on the same statements (kill switch, degrade flag) are simulated once.
  const simulated = new Map<string, Promise<ReadinessCheck>>();
  const checkFor = (service: string, type: string): Promise<ReadinessCheck> | undefined => {
    const mitigation = (options.catalogue ?? CATALOGUE).find((m) => m.type === type);
    const serviceConfig = config.services.find((s) => s.name === service);
    if (!mitigation || !serviceConfig) return undefined;
    const statements = catalogueStatements(
      { ...config, services: [serviceConfig] },
      { mitigations: [mitigation], groups: ['write'], ...(arns.deploymentStrategyId ? { deploymentStrategyId: arns.deploymentStrategyId } : {}) },
      arns,
    );
    if (statements.length === 0) return undefined;
    const key = JSON.stringify(statements);
    let check = simulated.get(key);
    if (!check) {
      check = simulate(options.simulator, options.roleArn, statements);
      simulated.set(key, check);
    }
    return check;
  };
  const out: ServiceReadinessReport[] = [];
  for (const report of reports) {
    const elsewhere = notSimulated(config, report, options.catalogue ?? CATALOGUE);
    if (elsewhere) {
      out.push({ ...report, checks: [...report.checks, elsewhere] });
      continue;
    }
    const pending = checkFor(report.service, report.type);
    if (!pending) {
      out.push(report);
      continue;
    }
    const checks = [...report.checks, await pending];
    out.push({ ...report, checks, ready: checks.every((c) => c.ok) });
  }
  return out;
}

/**
 * The check of a writing mitigation of a service in a workload account: not simulated, and why. The
 * member role makes that change, and iam:SimulatePrincipalPolicy answers only for roles of the
 * caller's own account; the member stack's policy is generated from the same catalogue.
 */
function notSimulated(config: TourniquetConfig, report: ServiceReadinessReport, catalogue: readonly Mitigation[]): ReadinessCheck | undefined {
  const service = config.services.find((s) => s.name === report.service);
  if (!service || !isRemoteService(config, service) || service.account === undefined) return undefined;
  const mitigation = catalogue.find((m) => m.type === report.type);
  if (!mitigation || mitigation.permissions(config, literalArns({ partition: 'aws', region: 'us-east-1', account: service.account })).write.length === 0) return undefined;
  return {
    check: PERMISSION_CHECK,
    ok: true,
    detail:
      `not simulated: ${service.name} is in account ${service.account}, where ${memberRoleArn(config, service.account)} makes the change; ` +
      'iam:SimulatePrincipalPolicy answers only for roles of the caller’s account; the member stack grants it from the same catalogue (docs/accounts.md)',
  };
}

async function simulate(simulator: PermissionSimulator, roleArn: string, statements: readonly StatementSpec[]): Promise<ReadinessCheck> {
  const role = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  try {
    const decisions: SimulatedDecision[] = [];
    for (const s of statements) {
      const context = Object.fromEntries(Object.values(s.conditions ?? {}).flatMap((byKey) => Object.entries(byKey)));
      decisions.push(...(await simulator.simulate({ principalArn: roleArn, actions: s.actions, resources: s.resources, context })));
    }
    const denied = decisions.filter((d) => d.decision !== 'allowed');
    const actions = [...new Set(statements.flatMap((s) => s.actions))].sort();
    if (denied.length === 0) return { check: PERMISSION_CHECK, ok: true, detail: `${role} is allowed ${actions.join(', ')} on the configured resources` };
    const shown = denied.slice(0, 3).map((d) => `${d.action} on ${d.resource} (${d.decision})`);
    return {
      check: PERMISSION_CHECK,
      ok: false,
      detail: `${role} is denied ${shown.join('; ')}${denied.length > 3 ? ` and ${denied.length - 3} more` : ''}: redeploy the stack or fix the role`,
    };
  } catch (error) {
    return { check: PERMISSION_CHECK, ok: false, detail: `could not simulate the policies of ${role}: ${(error as Error).message}` };
  }
}
