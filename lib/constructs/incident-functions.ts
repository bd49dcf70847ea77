import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { WORKFLOW_HANDLERS, type WorkflowHandlerName } from '../handlers.js';
import { alarmReadStatements, appConfigReadStatements, appConfigWriteStatements, ecsReadStatements } from '../permissions.js';
import { HANDLER_ENV, HandlerFunction } from './handler-function.js';

export interface IncidentFunctionsProps {
  /** The validated config: IAM statements are generated from the resources it names. */
  readonly config: TourniquetConfig;
  /** The incident table every step records to. */
  readonly table: dynamodb.ITable;
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

  constructor(scope: Construct, id: string, props: IncidentFunctionsProps) {
    super(scope, id);
    const { config, table, statusTopic, escalationTopic } = props;
    const tableEnv = { [HANDLER_ENV.tableName]: table.tableName };
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
    for (const name of WORKFLOW_HANDLERS) {
      const fn = new HandlerFunction(this, pascalCase(name), {
        handler: name,
        description: DESCRIPTIONS[name],
        environment: environments[name],
      });
      table.grantReadWriteData(fn.role);
      functions[name] = fn;
    }
    this.functions = functions;

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

    for (const fn of Object.values(functions)) {
      NagSuppressions.addResourceSuppressions(
        fn.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: 'Table grant covers the table and its GSI (gsi1) via <table>/index/*; the index name set is fixed by the stack.',
            appliesTo: [{ regex: `/^Resource::<${escapeRegex(Stack.of(this).getLogicalId(table.node.defaultChild as never))}\\.Arn>\\/index\\/\\*$/g` }],
          },
          {
            id: 'AwsSolutions-IAM5',
            reason: 'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* on the topic key (granted on that one key only).',
            appliesTo: ['Action::kms:GenerateDataKey*'],
          },
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'AppConfig deployment and hosted-version numbers, and ECS service-deployment IDs, are assigned by the services at run time; the wildcard is confined to the configured environment/profile/service.',
            appliesTo: [
              { regex: '/^Resource::arn:<AWS::Partition>:appconfig:<AWS::Region>:<AWS::AccountId>:application\\/[a-z0-9]+\\/environment\\/[a-z0-9]+\\/deployment\\/\\*$/g' },
              {
                regex:
                  '/^Resource::arn:<AWS::Partition>:appconfig:<AWS::Region>:<AWS::AccountId>:application\\/[a-z0-9]+\\/configurationprofile\\/[a-z0-9]+\\/hostedconfigurationversion\\/\\*$/g',
              },
              { regex: '/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service-deployment\\/[^/*]+\\/[^/*]+\\/\\*$/g' },
            ],
          },
        ],
        true,
      );
    }
  }

  /** The Lambda function of one workflow step. */
  public fn(name: WorkflowHandlerName): lambda.IFunction {
    return this.functions[name].function;
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
