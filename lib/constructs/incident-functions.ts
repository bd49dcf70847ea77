import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { MITIGATE_TIMEOUT_SECONDS } from '../../lambdas/core/mutation.js';
import { FUNCTION_MANIFEST } from '../../lambdas/runtime/manifest.js';
import { WORKFLOW_HANDLERS, type WorkflowHandlerName } from '../handlers.js';
import type { Approvals } from './approvals.js';
import { type EnvironmentValues, grantManifest, manifestEnvironment, type StackAccess } from './function-access.js';
import { HandlerFunction } from './handler-function.js';
import type { IncidentStoreAction, IncidentTable } from './incident-table.js';

export interface IncidentFunctionsProps {
  /** The validated config: IAM statements are generated from the resources it names. */
  readonly config: TourniquetConfig;
  /** The incident table every step records to. */
  readonly table: IncidentTable;
  readonly statusTopic: sns.ITopic;
  readonly escalationTopic: sns.ITopic;
  /** Where every status update and page also goes, as an AWS Chatbot custom notification (docs/chat.md). */
  readonly chatTopic: sns.ITopic;
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

/** The table actions of each workflow step, from the function manifest (lambdas/runtime/manifest.ts). */
export const WORKFLOW_TABLE_ACTIONS: Readonly<Record<WorkflowHandlerName, readonly IncidentStoreAction[]>> = Object.fromEntries(
  WORKFLOW_HANDLERS.map((name) => [name, FUNCTION_MANIFEST[name].table]),
) as unknown as Record<WorkflowHandlerName, readonly IncidentStoreAction[]>;

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
    // The values of every variable a workflow step may read; each function gets the ones its manifest names.
    const values: EnvironmentValues = {
      TABLE_NAME: table.table.tableName,
      STATUS_TOPIC_ARN: statusTopic.topicArn,
      ESCALATION_TOPIC_ARN: escalationTopic.topicArn,
      APPROVERS_TOPIC_ARN: props.approversTopic.topicArn,
      CHAT_TOPIC_ARN: props.chatTopic.topicArn,
      // `-` for none: an empty value is not worth finding out whether every deploy path accepts.
      APPROVER_EMAILS: props.approverEmails?.length ? props.approverEmails.join(',') : '-',
      APPROVAL_SECRET_ARN: approvals.secret.secretArn,
      APPROVAL_ENDPOINT_URL: approvals.functionUrl.url,
      DEPLOYMENT_STRATEGY_ID: props.deploymentStrategyId,
    };
    const access: StackAccess = {
      config,
      table,
      topics: { status: statusTopic, escalation: escalationTopic, approvers: props.approversTopic, chat: props.chatTopic },
      deploymentStrategyId: props.deploymentStrategyId,
      approvalSecretArn: approvals.secret.secretArn,
    };

    const functions = {} as Record<WorkflowHandlerName, HandlerFunction>;
    const lambdas = {} as Record<WorkflowHandlerName, lambda.IFunction>;
    for (const name of WORKFLOW_HANDLERS) {
      const fn = new HandlerFunction(this, pascalCase(name), {
        handler: name,
        description: DESCRIPTIONS[name],
        environment: manifestEnvironment(name, values),
        // Mitigate's claim lease is derived from its timeout (lambdas/core/mutation.ts): keep them together.
        ...(name === 'mitigate' ? { timeout: Duration.seconds(MITIGATE_TIMEOUT_SECONDS) } : {}),
      });
      grantManifest(fn, name, access);
      functions[name] = fn;
      lambdas[name] = fn.function;
    }
    this.functions = functions;
    this.lambdas = lambdas;
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}
