import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { WORKFLOW_HANDLERS, type WorkflowHandlerName } from '../handlers.js';
import { acknowledgeNag, nagArnOf } from '../nag.js';
import {
  alarmReadStatements,
  appConfigReadStatements,
  appConfigWriteStatements,
  ecsReadStatements,
  runtimeIdWildcardFindings,
} from '../permissions.js';
import { HANDLER_ENV, HandlerFunction } from './handler-function.js';
import type { IncidentTable } from './incident-table.js';

export interface IncidentFunctionsProps {
  /** The validated config: IAM statements are generated from the resources it names. */
  readonly config: TourniquetConfig;
  /** The incident table every step records to. */
  readonly table: IncidentTable;
  readonly statusTopic: sns.ITopic;
  readonly escalationTopic: sns.ITopic;
  /** ID of the AppConfig strategy the kill switch deploys with. */
  readonly deploymentStrategyId: string;
}

const DESCRIPTIONS: Readonly<Record<WorkflowHandlerName, string>> = {
  'open-incident': 'Tourniquet: open (or fold a re-fire into) the incident for an alarm',
  notify: 'Tourniquet: publish a status update for the current phase',
  triage: 'Tourniquet: gather recent changes and alarm facts',
  decide: 'Tourniquet: pick mitigation candidates from the decision matrix',
  mitigate: 'Tourniquet: apply one mitigation and record its before-state',
  verify: 'Tourniquet: check whether the alarm recovered',
  escalate: 'Tourniquet: page a human with everything known so far',
  'close-incident': 'Tourniquet: close the incident and draft the postmortem timeline',
};

/**
 * The Lambda functions behind the Task states of the incident workflow, each with only the
 * permissions and environment its step needs.
 */
export class IncidentFunctions extends Construct {
  public readonly functions: Readonly<Record<WorkflowHandlerName, HandlerFunction>>;
  /** The same functions as `lambda.IFunction`s, keyed by handler: what the workflow's Task states invoke. */
  public readonly lambdas: Readonly<Record<WorkflowHandlerName, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: IncidentFunctionsProps) {
    super(scope, id);
    const { config, table, statusTopic, escalationTopic } = props;
    const tableEnv = { [HANDLER_ENV.tableName]: table.table.tableName };
    const statusEnv = { ...tableEnv, [HANDLER_ENV.statusTopicArn]: statusTopic.topicArn };

    const environments: Readonly<Record<WorkflowHandlerName, Record<string, string>>> = {
      'open-incident': tableEnv,
      notify: statusEnv,
      triage: tableEnv,
      decide: tableEnv,
      mitigate: { ...tableEnv, [HANDLER_ENV.deploymentStrategyId]: props.deploymentStrategyId },
      verify: tableEnv,
      escalate: { ...statusEnv, [HANDLER_ENV.escalationTopicArn]: escalationTopic.topicArn },
      'close-incident': statusEnv,
    };

    const functions = {} as Record<WorkflowHandlerName, HandlerFunction>;
    const lambdas = {} as Record<WorkflowHandlerName, lambda.IFunction>;
    for (const name of WORKFLOW_HANDLERS) {
      const fn = new HandlerFunction(this, pascalCase(name), {
        handler: name,
        description: DESCRIPTIONS[name],
        environment: environments[name],
      });
      table.grantStoreAccess(fn.role);
      functions[name] = fn;
      lambdas[name] = fn.function;
    }
    this.functions = functions;
    this.lambdas = lambdas;

    const addStatements = (name: WorkflowHandlerName, statements: iam.PolicyStatement[]) =>
      statements.forEach((statement) => functions[name].role.addToPolicy(statement));

    addStatements('triage', [...appConfigReadStatements(this, config), ...ecsReadStatements(this, config), ...alarmReadStatements(this, config)]);
    addStatements('mitigate', [
      ...appConfigReadStatements(this, config),
      // A dry run decides and reports but changes nothing: it does not get the means to change anything either.
      ...(config.dryRun ? [] : appConfigWriteStatements(this, config, props.deploymentStrategyId)),
    ]);
    addStatements('verify', alarmReadStatements(this, config));
    statusTopic.grantPublish(functions.notify.role);
    statusTopic.grantPublish(functions['close-incident'].role);
    statusTopic.grantPublish(functions.escalate.role);
    escalationTopic.grantPublish(functions.escalate.role);

    const tableIndexes = `Resource::${nagArnOf(table.table)}/index/*`;
    for (const fn of Object.values(functions)) {
      acknowledgeNag(fn.role, 'AwsSolutions-IAM5', 'The table grant covers its GSI (gsi1) through <table>/index/*; the stack defines every index.', [
        tableIndexes,
      ]);
    }
    for (const name of ['notify', 'escalate', 'close-incident'] as const) {
      acknowledgeNag(
        functions[name].role,
        'AwsSolutions-IAM5',
        'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* on the topic key; the grant names that one key.',
        ['Action::kms:GenerateDataKey*'],
      );
    }
    const wildcards = runtimeIdWildcardFindings(config);
    const runtimeIdReason =
      'AppConfig deployment and hosted-version numbers and ECS service-deployment IDs are assigned at run time; each wildcard is confined to one configured environment, profile or service.';
    acknowledgeNag(functions.triage.role, 'AwsSolutions-IAM5', runtimeIdReason, [...wildcards.appConfig, ...wildcards.ecs]);
    acknowledgeNag(functions.mitigate.role, 'AwsSolutions-IAM5', runtimeIdReason, wildcards.appConfig);
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}

