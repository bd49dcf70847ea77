import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { WORKFLOW_HANDLERS, type WorkflowHandlerName } from '../handlers.js';
import { acknowledgeCompositeAlarmRead, acknowledgeNag } from '../nag.js';
import { alarmReadStatements, compositeAlarmReadStatements, grantCatalogue } from '../permissions.js';
import { MITIGATE_TIMEOUT_SECONDS } from '../../lambdas/core/mutation.js';
import { APPROVAL_REQUEST_TABLE_ACTIONS, type Approvals } from './approvals.js';
import { HANDLER_ENV, HandlerFunction } from './handler-function.js';
import type { IncidentStoreAction, IncidentTable } from './incident-table.js';

export interface IncidentFunctionsProps {
  /** The validated config: IAM statements are generated from the resources it names. */
  readonly config: TourniquetConfig;
  /** The incident table every step records to. */
  readonly table: IncidentTable;
  readonly statusTopic: sns.ITopic;
  readonly escalationTopic: sns.ITopic;
  /** Where `request-approval` sends approval requests with their signed links. */
  readonly approversTopic: sns.ITopic;
  /**
   * The addresses subscribed to the approvers topic: each approval records them as the recipients
   * of its links.
   * @default - none
   */
  readonly approverEmails?: readonly string[];
  /** ID of the AppConfig strategy the kill switch deploys with. */
  readonly deploymentStrategyId: string;
  /** The approval secret and endpoint `request-approval` signs links with and points them at. */
  readonly approvals: Approvals;
}

const DESCRIPTIONS: Readonly<Record<WorkflowHandlerName, string>> = {
  'open-incident': 'Tourniquet: open (or fold a re-fire into) the incident for an alarm',
  notify: 'Tourniquet: publish a status update for the current phase',
  triage: 'Tourniquet: gather recent changes and alarm facts',
  decide: 'Tourniquet: pick mitigation candidates from the decision matrix',
  mitigate: 'Tourniquet: apply one mitigation and record its before-state',
  'request-approval': 'Tourniquet: ask a human to approve a mitigation (signed links by SNS) and wait',
  verify: 'Tourniquet: check whether the alarm recovered',
  escalate: 'Tourniquet: page a human with everything known so far',
  'close-incident': "Tourniquet: end the execution's part: metrics and summary on the incident",
};

/**
 * The table actions of each workflow step: exactly what its handler's store calls send (see
 * `lambdas/store/incident-store.ts`; a test maps each handler's calls to these lists).
 * getIncident/findIncident and the pause switch → GetItem; appendTimeline → UpdateItem (the event
 * counter) + PutItem (the event); updateIncident, renewLease, transition, completeAction,
 * setActionEffect → UpdateItem (transition reads the incident first: GetItem); listActions →
 * Query; acquireMutationLock → PutItem; recordActionStart → ConditionCheckItem + PutItem.
 * None of them queries the index, and none may delete: releasing the mutation lock is an update
 * that expires it (TTL removes the item later).
 */
export const WORKFLOW_TABLE_ACTIONS: Readonly<Record<WorkflowHandlerName, readonly IncidentStoreAction[]>> = {
  'open-incident': ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  notify: ['dynamodb:UpdateItem', 'dynamodb:PutItem'],
  triage: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  decide: ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  mitigate: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
  'request-approval': APPROVAL_REQUEST_TABLE_ACTIONS,
  verify: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  escalate: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  'close-incident': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
};

/** The steps that describe alarms: triage (evaluation settings) and verify (state). */
export const ALARM_READERS = ['triage', 'verify'] as const satisfies readonly WorkflowHandlerName[];

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
    const { config, table, statusTopic, escalationTopic, approvals } = props;
    const tableEnv = { [HANDLER_ENV.tableName]: table.table.tableName };
    const statusEnv = { ...tableEnv, [HANDLER_ENV.statusTopicArn]: statusTopic.topicArn };

    const environments: Readonly<Record<WorkflowHandlerName, Record<string, string>>> = {
      'open-incident': tableEnv,
      notify: statusEnv,
      triage: tableEnv,
      decide: tableEnv,
      mitigate: { ...tableEnv, [HANDLER_ENV.deploymentStrategyId]: props.deploymentStrategyId },
      'request-approval': {
        ...statusEnv,
        [HANDLER_ENV.escalationTopicArn]: escalationTopic.topicArn,
        [HANDLER_ENV.approversTopicArn]: props.approversTopic.topicArn,
        // `-` for none: an empty value is not worth finding out whether every deploy path accepts.
        [HANDLER_ENV.approverEmails]: props.approverEmails?.length ? props.approverEmails.join(',') : '-',
        [HANDLER_ENV.approvalSecretArn]: approvals.secret.secretArn,
        [HANDLER_ENV.approvalEndpointUrl]: approvals.functionUrl.url,
      },
      verify: tableEnv,
      escalate: { ...statusEnv, [HANDLER_ENV.escalationTopicArn]: escalationTopic.topicArn },
      'close-incident': tableEnv,
    };

    const functions = {} as Record<WorkflowHandlerName, HandlerFunction>;
    const lambdas = {} as Record<WorkflowHandlerName, lambda.IFunction>;
    for (const name of WORKFLOW_HANDLERS) {
      const fn = new HandlerFunction(this, pascalCase(name), {
        handler: name,
        description: DESCRIPTIONS[name],
        environment: environments[name],
        // Mitigate's claim lease is derived from its timeout (lambdas/core/mutation.ts): keep them together.
        ...(name === 'mitigate' ? { timeout: Duration.seconds(MITIGATE_TIMEOUT_SECONDS) } : {}),
      });
      table.grantItemActions(fn.role, WORKFLOW_TABLE_ACTIONS[name]);
      functions[name] = fn;
      lambdas[name] = fn.function;
    }
    this.functions = functions;
    this.lambdas = lambdas;

    const addStatements = (name: WorkflowHandlerName, statements: iam.PolicyStatement[]) =>
      statements.forEach((statement) => functions[name].role.addToPolicy(statement));

    // Triage reads what changed: each mitigation's evidence reads (flag deployments, ECS deployments).
    grantCatalogue(functions.triage.role, config, { groups: ['evidence'] });
    addStatements('triage', alarmReadStatements(this, config));
    // Mitigate reads every mitigation's before-state (and what a dry run reports); a dry run gets no means to change anything.
    grantCatalogue(functions.mitigate.role, config, { groups: config.dryRun ? ['read'] : ['read', 'write'], deploymentStrategyId: props.deploymentStrategyId });
    // Verify reads the alarms, and whether a change has settled (each mitigation's settle reads).
    addStatements('verify', alarmReadStatements(this, config));
    grantCatalogue(functions.verify.role, config, { groups: ['settle'] });
    // The functions given alarmReadStatements above. DescribeAlarms on `*` goes in a policy of its own,
    // outside the role, so the role's X-Ray acknowledgement of `*` does not cover it: this one must.
    for (const name of ALARM_READERS) {
      const statements = compositeAlarmReadStatements(config);
      if (statements.length === 0) continue;
      acknowledgeCompositeAlarmRead(new iam.Policy(functions[name], 'CompositeAlarmRead', { roles: [functions[name].role], statements }));
    }
    approvals.grantSecretRead(functions['request-approval'].role);
    statusTopic.grantPublish(functions['request-approval'].role);
    escalationTopic.grantPublish(functions['request-approval'].role);
    props.approversTopic.grantPublish(functions['request-approval'].role);
    statusTopic.grantPublish(functions.notify.role);
    statusTopic.grantPublish(functions.escalate.role);
    escalationTopic.grantPublish(functions.escalate.role);

    for (const name of ['notify', 'escalate', 'request-approval'] as const) {
      acknowledgeNag(
        functions[name].role,
        'AwsSolutions-IAM5',
        'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* on the topic key; the grant names that one key.',
        ['Action::kms:GenerateDataKey*'],
      );
    }
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}

