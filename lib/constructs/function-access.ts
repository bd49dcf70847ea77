import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

import { functionRoleName, memberRoleArn, WORKLOAD_ACCESS_HANDLERS, type WorkloadAccessHandler } from '../../lambdas/core/accounts.js';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import type { Env } from '../../lambdas/runtime/env.js';
import { FUNCTION_MANIFEST, type ManifestedFunction, type TopicName } from '../../lambdas/runtime/manifest.js';
import { TABLE_KEYS } from '../../lambdas/store/table.js';
import { memberAccounts } from '../locations.js';
import { acknowledgeAlarmMetricRead, acknowledgeCompositeAlarmRead, acknowledgeNag } from '../nag.js';
import { alarmMetricReadStatements, alarmReadStatements, compositeAlarmReadStatements, grantCatalogue } from '../permissions.js';
import type { HandlerFunction } from './handler-function.js';
import type { IncidentTable } from './incident-table.js';

/**
 * Sets up a function from its manifest entry (lambdas/runtime/manifest.ts): the environment its
 * handler reads and the access its code needs, nothing more. The handler reads the same entry
 * (`readEnvFor`), so what the stack sets and what the code reads cannot drift apart.
 */

/** The values of the stack's environment variables; a function gets the ones its manifest names. */
export type EnvironmentValues = Partial<Record<keyof Env, string>>;

/** The environment of one function, from its manifest; a value the manifest needs but the stack lacks fails synth. */
export function manifestEnvironment(name: ManifestedFunction, values: EnvironmentValues): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of FUNCTION_MANIFEST[name].env) {
    const value = values[variable];
    if (value === undefined) throw new Error(`Function ${name} reads ${variable} (lambdas/runtime/manifest.ts) but the stack provides no value for it`);
    env[variable] = value;
  }
  return env;
}

/** The stack's resources a manifest entry may refer to. */
export interface StackAccess {
  /** Needed for the catalogue's statements and the alarm reads. */
  readonly config?: TourniquetConfig;
  readonly table: IncidentTable;
  readonly topics?: Partial<Record<TopicName, sns.ITopic>>;
  /** The AppConfig strategy flag changes deploy with. */
  readonly deploymentStrategyId?: string;
  readonly approvalSecretArn?: string;
  readonly stateMachine?: sfn.IStateMachine;
  /** For `send-task-success`: the state machine is built after the endpoint, so by ARN. */
  readonly stateMachineArn?: string;
}

/** Grants one function exactly the access its manifest entry lists. */
export function grantManifest(fn: HandlerFunction, name: ManifestedFunction, access: StackAccess): void {
  const entry: import('../../lambdas/runtime/manifest.js').FunctionManifest = FUNCTION_MANIFEST[name];
  const role = fn.role;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`Function ${name} needs ${what} (lambdas/runtime/manifest.ts) but the stack provides none`);
    return value;
  };
  if (entry.tableKeyPrefix === undefined) access.table.grantItemActions(role, entry.table);
  else {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnTableItems',
        actions: [...entry.table],
        resources: [access.table.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${entry.tableKeyPrefix}*`] } },
      }),
    );
  }
  if (entry.queriesEpisodeIndex) {
    // The episode index by name: a grant on <table>/index/* would be a wildcard cdk-nag (rightly) refuses.
    iam.Grant.addToPrincipal({ grantee: role, actions: ['dynamodb:Query'], resourceArns: [`${access.table.table.tableArn}/index/${TABLE_KEYS.gsi1Name}`] });
  }
  for (const topic of entry.publishes ?? []) need(access.topics?.[topic], `the ${topic} topic`).grantPublish(role);
  if ((entry.publishes ?? []).length > 0) {
    acknowledgeNag(role, 'AwsSolutions-IAM5', 'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* on the topic key; the grant names that one key.', [
      'Action::kms:GenerateDataKey*',
    ]);
  }
  const groups = (entry.catalogue ?? []).filter((group) => group !== 'write' || !need(access.config, 'the config').dryRun);
  // A dry run decides and reports but changes nothing: it does not get the means to change anything either.
  if (groups.length > 0)
    grantCatalogue(role, need(access.config, 'the config'), {
      groups,
      ...(access.deploymentStrategyId !== undefined ? { deploymentStrategyId: access.deploymentStrategyId } : {}),
    });
  if (entry.readsAlarms) {
    const config = need(access.config, 'the config');
    alarmReadStatements(role, config).forEach((statement) => role.addToPrincipalPolicy(statement));
    // DescribeAlarms on `*` goes in a policy of its own, outside the role, so the role's X-Ray acknowledgement of `*` does not cover it.
    const composite = compositeAlarmReadStatements(config);
    if (composite.length > 0) acknowledgeCompositeAlarmRead(new iam.Policy(fn, 'CompositeAlarmRead', { roles: [role], statements: composite }));
  }
  // GetMetricData on `*` in a policy of its own too, acknowledged there with its own reason.
  if (entry.readsAlarmMetrics) acknowledgeAlarmMetricRead(new iam.Policy(fn, 'AlarmMetricRead', { roles: [role], statements: alarmMetricReadStatements() }));
  if (isWorkloadAccessHandler(name) && access.config?.crossAccount !== undefined) grantWorkloadAccess(fn, name, access.config);
  if (entry.readsApprovalSecret) {
    iam.Grant.addToPrincipal({ grantee: role, actions: ['secretsmanager:GetSecretValue'], resourceArns: [need(access.approvalSecretArn, 'the approval secret')] });
  }
  if (entry.stateMachine === 'start-execution') need(access.stateMachine, 'the state machine').grantStartExecution(role);
  if (entry.stateMachine === 'send-task-success') {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'AnswerAwaitApproval', actions: ['states:SendTaskSuccess'], resources: [need(access.stateMachineArn, 'the state machine ARN')] }),
    );
  }
}

const isWorkloadAccessHandler = (name: ManifestedFunction): name is WorkloadAccessHandler => (WORKLOAD_ACCESS_HANDLERS as readonly string[]).includes(name);

/**
 * A function that acts in workload accounts (docs/accounts.md): its role gets the fixed name member
 * roles trust by ARN (so a member stack can be deployed before or after this one), and may assume
 * the member role of exactly the configured workload accounts.
 */
function grantWorkloadAccess(fn: HandlerFunction, name: WorkloadAccessHandler, config: TourniquetConfig): void {
  (fn.role.node.defaultChild as iam.CfnRole).roleName = functionRoleName(config.stage, name);
  const accounts = memberAccounts(config);
  if (accounts.length === 0) return;
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'AssumeMemberRoles',
      actions: ['sts:AssumeRole'],
      resources: accounts.map((account) => memberRoleArn(config, account, Aws.PARTITION)),
    }),
  );
}
