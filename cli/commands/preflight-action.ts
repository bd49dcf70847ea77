import { readFileSync } from 'node:fs';

import { PREFLIGHT_SESSION } from '../../lambdas/core/accounts.js';
import { parseConfig, type TourniquetConfig } from '../../lambdas/core/config.js';
import type { MitigationAdapters } from '../../lambdas/mitigations/ports.js';
import { checkReadiness, type ServiceReadinessReport } from '../../lambdas/operations/readiness.js';
import type { ForService, StrategyLookup } from '../../lambdas/operations/service-scope.js';
import { awsClients } from '../../lambdas/runtime/clients.js';
import { mitigationAdapters, serviceAdapters } from '../../lambdas/runtime/compose/index.js';
import { describeFailure } from '../runtime/errors.js';
import type { AccountLocation, PermissionSimulator } from './preflight-permissions.js';
import { type PreflightContext, preflightJson, renderPreflight } from './preflight-report.js';

/** What `tourniquet preflight` does, loaded only when it runs (registration: preflight.ts). */

export interface PreflightOptions {
  readonly config: string;
  readonly stack?: string;
  readonly service?: string;
  readonly region?: string;
  readonly json?: boolean;
  readonly deploymentStrategy?: string;
  readonly role?: string;
}

/** Stack outputs preflight reads. */
export const MITIGATE_ROLE_OUTPUT = 'MitigateRoleArn';
export const DEPLOYMENT_STRATEGY_OUTPUT = 'DeploymentStrategyId';

/** Where preflight gets AWS from: real clients in the CLI, fakes in tests. */
export interface PreflightDeps {
  /** Who the credentials are, where: fails on missing or expired credentials, or no region. */
  identity(): Promise<AccountLocation>;
  stackOutputs(stackName: string): Promise<Record<string, string>>;
  readonly adapters: MitigationAdapters;
  /** The adapters of a service in another region or workload account (the member role, session tourniquet-preflight), and the lookup of its zero-bake strategy. */
  readonly forService?: ForService<{ adapters: MitigationAdapters; deploymentStrategyOf?: StrategyLookup }>;
  simulator(): Promise<PermissionSimulator>;
  readonly clock: () => Date;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Bad input or unusable credentials: one line on stderr, exit status 2. */
class PreflightInputError extends Error {
  override readonly name = 'PreflightInputError';
}

/**
 * `tourniquet preflight`: runs every configured mitigation's readiness against the account, with
 * the caller's credentials, and (given the mitigate role, from --stack or --role) simulates that the
 * role may make each change. Exit 0 when every target is ready, 1 when one is not, 2 for bad input
 * or AWS credentials that cannot be used.
 */
export async function runPreflight(options: PreflightOptions, deps: PreflightDeps = realDeps(options.region)): Promise<number> {
  try {
    return await preflight(options, deps);
  } catch (error) {
    deps.err(`tourniquet: ${error instanceof PreflightInputError ? error.message : describeFailure(error).message}`);
    return 2;
  }
}

async function preflight(options: PreflightOptions, deps: PreflightDeps): Promise<number> {
  let config: TourniquetConfig;
  try {
    config = parseConfig(readFileSync(options.config, 'utf8'), options.config);
  } catch (error) {
    throw new PreflightInputError((error as Error).message.split('\n')[0]!);
  }
  if (options.service !== undefined && !config.services.some((s) => s.name === options.service)) {
    throw new PreflightInputError(`service "${options.service}" is not in ${options.config} (services: ${config.services.map((s) => s.name).join(', ')})`);
  }
  let where: AccountLocation;
  try {
    where = await deps.identity();
  } catch (error) {
    // The CLI's one mapping of AWS failures (no region, no or expired credentials, ...) to a line with the fix.
    throw new PreflightInputError(describeFailure(error).message);
  }

  const notes: string[] = [];
  let outputs: Record<string, string> = {};
  if (options.stack !== undefined) {
    try {
      outputs = await deps.stackOutputs(options.stack);
    } catch (error) {
      throw new PreflightInputError(
        (error as Error).name === 'AwsResourceNotFoundError'
          ? `stack ${options.stack} not found in ${where.region}: check --stack and --region`
          : `cannot read the outputs of stack ${options.stack}: ${describeFailure(error).message}`,
      );
    }
    for (const key of [MITIGATE_ROLE_OUTPUT, DEPLOYMENT_STRATEGY_OUTPUT]) {
      if (outputs[key] === undefined)
        notes.push(
          `stack ${options.stack} has no ${key} output (deployed by an older Tourniquet?): redeploy it, or pass ${key === MITIGATE_ROLE_OUTPUT ? '--role' : '--deployment-strategy'}`,
        );
    }
  }
  const strategy = options.deploymentStrategy ?? process.env.TOURNIQUET_DEPLOYMENT_STRATEGY_ID ?? outputs[DEPLOYMENT_STRATEGY_OUTPUT];
  const role = options.role ?? outputs[MITIGATE_ROLE_OUTPUT];
  if (role === undefined) notes.push('no mitigate role (--stack or --role): its permissions were not simulated');
  if (strategy === undefined) notes.push('no deployment strategy ID (--stack or --deployment-strategy): the zero-bake strategy was not checked');

  let reports: ServiceReadinessReport[] = await checkReadiness(
    {
      adapters: deps.adapters,
      ...(deps.forService ? { forService: deps.forService } : {}),
      sessionName: PREFLIGHT_SESSION,
      deploymentStrategyId: strategy ?? '',
      clock: deps.clock,
    },
    config,
    options.service !== undefined ? { service: options.service } : {},
  );
  if (role !== undefined) {
    const { roleLocation, withPermissionChecks } = await import('./preflight-permissions.js');
    const owner = roleLocation(role);
    if (!owner) throw new PreflightInputError(`${role} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    reports = await withPermissionChecks(reports, config, {
      roleArn: role,
      // The role's account and partition are the stack's; the region is where the checks ran.
      where: { ...owner, region: where.region },
      ...(strategy !== undefined ? { deploymentStrategyId: strategy } : {}),
      simulator: await deps.simulator(),
    });
  }

  const context: PreflightContext = {
    config: options.config,
    account: where.account,
    region: where.region,
    ...(options.stack !== undefined ? { stack: options.stack } : {}),
    ...(role !== undefined ? { mitigateRole: role } : {}),
    ...(strategy !== undefined ? { deploymentStrategyId: strategy } : {}),
    notes,
  };
  deps.out(options.json ? preflightJson(reports, context) : renderPreflight(reports, context));
  return reports.every((r) => r.ready) ? 0 : 1;
}

/** The real thing: the caller's credentials, the composition root's clients, loaded when first used. */
function realDeps(region: string | undefined): PreflightDeps {
  const options = region ? { region } : {};
  const clients = awsClients(options);
  return {
    async identity() {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient(options);
      const id = await sts.send(new GetCallerIdentityCommand({}));
      return { account: id.Account ?? 'unknown', partition: id.Arn?.split(':')[1] ?? 'aws', region: await sts.config.region() };
    },
    async stackOutputs(stackName) {
      const [{ CloudFormationClient }, { StackOutputsAdapter }] = await Promise.all([import('@aws-sdk/client-cloudformation'), import('../../lambdas/adapters/stack-outputs.js')]);
      return new StackOutputsAdapter(new CloudFormationClient(options)).outputs(stackName);
    },
    // Each SDK client is created (and loaded) on first use.
    adapters: mitigationAdapters(clients),
    forService: serviceAdapters(clients),
    async simulator() {
      const [{ IAMClient }, { IamPolicySimulator }] = await Promise.all([import('@aws-sdk/client-iam'), import('../../lambdas/adapters/iam-simulation.js')]);
      return new IamPolicySimulator(new IAMClient(options));
    },
    clock: () => new Date(),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  };
}
