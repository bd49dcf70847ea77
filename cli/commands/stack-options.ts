import type { Command } from 'commander';

/**
 * The options every operator command shares: `--stack <name>`, `--region <region>` and one explicit
 * flag per stack value it needs. Registration only (loaded by `--help`, so commander is its only
 * import); cli/runtime/stack-context.ts resolves the values when a command runs: explicit flag >
 * environment variable > the stack's outputs (one DescribeStacks call, only when a value is missing).
 */

/** A value an operator command may need from the deployed stack. */
export type StackValue = 'table' | 'statusTopic' | 'deploymentStrategy';

export interface StackValueSpec {
  /** The option as commander declares it. */
  readonly flag: string;
  /** How the option reads in an error message. */
  readonly flagName: string;
  readonly env: string;
  /** The stack output (CfnOutput of lib/tourniquet.ts, `addStackOutputs`) that holds it. */
  readonly output: string;
  readonly what: string;
}

/** Every stack value, its flag, environment variable and stack output (the names in lib/tourniquet.ts). */
export const STACK_VALUES: Readonly<Record<StackValue, StackValueSpec>> = {
  table: { flag: '--table <name>', flagName: '--table', env: 'TOURNIQUET_TABLE', output: 'IncidentTableName', what: 'incident table' },
  statusTopic: { flag: '--status-topic <arn>', flagName: '--status-topic', env: 'TOURNIQUET_STATUS_TOPIC', output: 'StatusTopicArn', what: 'status topic' },
  deploymentStrategy: {
    flag: '--deployment-strategy <id>',
    flagName: '--deployment-strategy',
    env: 'TOURNIQUET_DEPLOYMENT_STRATEGY_ID',
    output: 'DeploymentStrategyId',
    what: 'AppConfig deployment strategy',
  },
};

/** The stack name's environment variable, so a shell can set it once. */
export const STACK_ENV = 'TOURNIQUET_STACK';

/** Options a command with {@link withStackOptions} receives from commander. */
export interface StackOptions {
  readonly stack?: string;
  readonly region?: string;
  readonly table?: string;
  readonly statusTopic?: string;
  readonly deploymentStrategy?: string;
}

/** Adds `--stack`, `--region` and the flags of `values` to a command, with help naming each env variable and stack output. */
export function withStackOptions(command: Command, values: readonly StackValue[]): Command {
  command
    .option('--stack <name>', `deployed Tourniquet stack: the values below come from its outputs when not given (or ${STACK_ENV})`)
    .option('--region <region>', 'AWS region of the stack (default: AWS_REGION, AWS_DEFAULT_REGION or your AWS profile)');
  for (const value of values) {
    const spec = STACK_VALUES[value];
    command.option(spec.flag, `${spec.what} (or ${spec.env}; default: the stack's ${spec.output} output)`);
  }
  return command;
}
