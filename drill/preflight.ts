import { relative } from 'node:path';

import type { TourniquetConfig } from '../lambdas/core/config.js';
import { checkReadiness, type ServiceReadinessReport } from '../lambdas/operations/readiness.js';
import { mitigationAdapters } from '../lambdas/runtime/compose/index.js';
import { simulatedAwsClients } from './clients.js';
import { loadDrillConfig, REPO_ROOT } from './runner.js';
import type { Scenario } from './scenario.js';
import { SimulatedAccount } from './sim/account.js';
import { SIM_ACCOUNT, SIM_REGION } from './sim/ids.js';

/**
 * `tourniquet drill --preflight`: the readiness checks of `tourniquet preflight`, run against the
 * scenario's simulated account as it stands when the drill begins (before its history), through the
 * same composition root the functions use. Nothing of the drill's workflow runs, so no DynamoDB Local.
 * No IAM is simulated: the simulated account has no roles.
 */
export interface ScenarioPreflight {
  readonly config: TourniquetConfig;
  /** The config file the scenario names (the repository's sample when it names none). */
  readonly configFile: string;
  readonly deploymentStrategyId: string;
  /** The simulated account and region the checks ran against. */
  readonly account: string;
  readonly region: string;
  readonly reports: ServiceReadinessReport[];
}

export async function preflightScenario(scenario: Scenario): Promise<ScenarioPreflight> {
  const config = loadDrillConfig(scenario);
  const account = new SimulatedAccount({ scenario, topicArns: [] });
  const clock = account.clock;
  const adapters = mitigationAdapters(simulatedAwsClients(account.clients()), { sleep: async (ms) => clock.advanceBy(ms / 1000), now: () => clock.nowMs() });
  const deploymentStrategyId = account.immediateStrategyId();
  const reports = await checkReadiness({ adapters, deploymentStrategyId, clock: () => clock.now() }, config);
  return {
    config,
    configFile: scenario.config ? relative(REPO_ROOT, scenario.config) : 'tourniquet.config.json',
    deploymentStrategyId,
    account: SIM_ACCOUNT,
    region: SIM_REGION,
    reports,
  };
}
