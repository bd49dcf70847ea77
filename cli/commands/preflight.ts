import type { Command } from 'commander';

import type { PreflightOptions } from './preflight-action.js';
import { DEFAULT_CONFIG_FILE } from './validate.js';

/** `tourniquet preflight`. Registration only: what it does is loaded when it runs (preflight-action.ts). */
export function registerPreflight(program: Command): void {
  program
    .command('preflight')
    .description(
      "prove every configured mitigation could run now (read-only): flags in the deployed configuration, ACTIVE rollback targets, a healthy secondary, web ACL capacity, scale headroom, the mitigate role's permissions",
    )
    .option('--config <file>', 'Tourniquet config (the mitigations and resources to check)', DEFAULT_CONFIG_FILE)
    .option('--stack <name>', 'deployed Tourniquet stack: its MitigateRoleArn and DeploymentStrategyId outputs add the permission and strategy checks')
    .option('--service <name>', 'check one service of the config (default: all)')
    .option('--region <region>', 'AWS region (default: your AWS profile or AWS_REGION)')
    .option('--json', 'print the reports, every check included, as JSON')
    .option('--deployment-strategy <id>', 'AppConfig deployment strategy ID, instead of the stack output (or TOURNIQUET_DEPLOYMENT_STRATEGY_ID)')
    .option('--role <arn>', "the mitigate function's role ARN, instead of the stack output")
    .addHelpText(
      'after',
      [
        '',
        "Runs each configured mitigation's readiness with your AWS credentials and changes nothing. With the mitigate",
        'role (--stack or --role), also asks IAM (iam:SimulatePrincipalPolicy) whether that role may make each change;',
        'a service in a workload account is changed by the member role there, which is not simulated (the check says so).',
        'The stack runs the same checks on a schedule (config readinessCheckMinutes) and pages the status topic when',
        'one stops being ready; docs/readiness.md lists every check. In a drill: npx tourniquet drill --scenario <name> --preflight',
        '',
        'Exit status: 0 when every mitigation target is ready, 1 when one is not, 2 for bad input (config, service,',
        'stack) or AWS credentials that cannot be used.',
      ].join('\n'),
    )
    .action(async (options: PreflightOptions) => {
      const { runPreflight } = await import('./preflight-action.js');
      process.exitCode = await runPreflight(options);
    });
}
