import { Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

import { CADENCE_SCHEDULE_MINUTES, cadenceSettingsFor } from '../lambdas/core/cadence.js';
import type { TourniquetConfig } from '../lambdas/core/config.js';
import { CADENCE_FILE, CONFIG_FILE } from '../lambdas/runtime/deployed-config.js';
import { TABLE_KEYS } from '../lambdas/store/table.js';
import { resolveTourniquetConfig, type TourniquetConfigProps } from './config-props.js';
import { AlarmIntake } from './constructs/alarm-intake.js';
import { Approvals } from './constructs/approvals.js';
import { CentralAlarmBus, needsCentralBus } from './constructs/central-bus.js';
import { ChatChannels } from './constructs/chat-channels.js';
import { ConfigLayer } from './constructs/config-layer.js';
import { selfAlarmName } from './constructs/dead-letter-alarm.js';
import { FailureNet } from './constructs/failure-net.js';
import { HandlerFunction } from './constructs/handler-function.js';
import { ImmediateDeploymentStrategy } from './constructs/immediate-deployment-strategy.js';
import { IncidentFunctions } from './constructs/incident-functions.js';
import { INCIDENT_STORE_ACTIONS, IncidentTable } from './constructs/incident-table.js';
import { IncidentWorkflow } from './constructs/incident-workflow.js';
import { NotificationTopics } from './constructs/notification-topics.js';
import { Observability } from './constructs/observability.js';
import { ReadinessCheck } from './constructs/readiness-check.js';
import { StatusCadence } from './constructs/status-cadence.js';
import { allowCloudWatchAlarmsToPublish } from './constructs/topic-access.js';
import { acknowledgeNag } from './nag.js';

export interface TourniquetProps {
  /**
   * What Tourniquet watches and may do: the shape of `tourniquet.config.json` (docs/configuration.md), as
   * read from the file (`parseConfig`) or written in code, where CDK objects may stand in for names and
   * IDs: an alarm may be a `cloudwatch.IAlarm`, ECS resources an `ecs.IBaseService`, a Route 53 zone an
   * `route53.IHostedZone`, a web ACL a `wafv2.CfnWebACL` (docs/embedding.md). Validated here: a bad
   * config throws ConfigInvalidError listing every problem.
   */
  readonly config: TourniquetConfigProps | TourniquetConfig;
  /**
   * Add the stack outputs the `tourniquet` CLI reads with `--stack` (`IncidentTableName`, `StatusTopicArn`,
   * `DeploymentStrategyId`, ...), under those exact names at the top of the enclosing stack. Turn it off
   * for a second Tourniquet in one stack (the names would collide) and pass the CLI explicit flags instead.
   * @default true
   */
  readonly stackOutputs?: boolean;
}

/**
 * Everything Tourniquet deploys, as one construct to embed in any stack: alarm intake → incident
 * workflow (Step Functions + Lambda) → incident table and notification topics, the approval endpoint
 * for mitigations a human must approve, the failure net that pages when a workflow dies, the status
 * cadence that keeps open incidents' update promises, and the scheduled readiness check that proves
 * every mitigation could run before an incident needs it; a dashboard of what Tourniquet does and
 * alarms that page when Tourniquet itself fails.
 * Environment-agnostic: it synthesizes offline, without credentials or lookups.
 */
export class Tourniquet extends Construct {
  /** The validated config; values known only at deploy time (tokens) are tokens here. */
  public readonly config: TourniquetConfig;
  /** What the functions read at cold start: config.json and cadence.json (lib/constructs/config-layer.ts). */
  public readonly configLayer: ConfigLayer;
  public readonly table: IncidentTable;
  public readonly topics: NotificationTopics;
  /** AWS Chatbot Slack/Teams configurations on the chat topic (docs/chat.md); none unless the config's `chat` lists channels. */
  public readonly chatChannels: ChatChannels;
  public readonly deploymentStrategy: ImmediateDeploymentStrategy;
  public readonly approvals: Approvals;
  public readonly functions: IncidentFunctions;
  public readonly workflow: IncidentWorkflow;
  public readonly intake: AlarmIntake;
  /** The event bus alarms of other accounts and regions arrive on (docs/accounts.md); only when the config has such services. */
  public readonly centralBus?: CentralAlarmBus;
  public readonly failureNet: FailureNet;
  public readonly statusCadence: StatusCadence;
  public readonly readiness: ReadinessCheck;
  public readonly observability: Observability;

  constructor(scope: Construct, id: string, props: TourniquetProps) {
    super(scope, id);
    const resolved = resolveTourniquetConfig(props.config, `${this.node.path} (Tourniquet config)`);
    const { config } = resolved;
    this.config = config;
    this.configLayer = new ConfigLayer(this, 'ConfigLayer', {
      files: { [CONFIG_FILE]: JSON.stringify(resolved.deployed), [CADENCE_FILE]: JSON.stringify(cadenceSettingsFor(resolved.deployed)) },
      tokens: resolved.tokens,
    });

    this.table = new IncidentTable(this, 'IncidentTable');
    this.topics = new NotificationTopics(this, 'Notifications', {
      statusEmails: config.notifications.statusEmails,
      escalationEmails: config.notifications.escalationEmails,
      approverEmails: config.notifications.approverEmails,
    });
    this.chatChannels = new ChatChannels(this, 'ChatChannels', { chat: config.chat, chatTopic: this.topics.chatTopic, stage: config.stage });
    // The self-monitoring alarms (dead-letter queues, function errors, ...) page through the escalation topic.
    allowCloudWatchAlarmsToPublish(this.topics.escalationTopic, this.topics.key);
    this.deploymentStrategy = new ImmediateDeploymentStrategy(this, 'DeploymentStrategy', { stage: config.stage });

    // One name for both: the approval endpoint's permission is built from it (see ApprovalsProps).
    const stateMachineName = `Tourniquet-${config.stage}`;
    this.approvals = new Approvals(this, 'Approvals', { table: this.table, stateMachineName });

    this.functions = new IncidentFunctions(this, 'Functions', {
      config,
      table: this.table,
      statusTopic: this.topics.statusTopic,
      escalationTopic: this.topics.escalationTopic,
      approversTopic: this.topics.approversTopic,
      chatTopic: this.topics.chatTopic,
      approverEmails: config.notifications.approverEmails,
      deploymentStrategyId: this.deploymentStrategy.strategyId,
      approvals: this.approvals,
    });
    this.workflow = new IncidentWorkflow(this, 'Workflow', {
      stateMachineName,
      functions: this.functions.lambdas,
    });
    this.intake = new AlarmIntake(this, 'Intake', {
      config,
      configLayer: this.configLayer,
      stateMachine: this.workflow.stateMachine,
      escalationTopic: this.topics.escalationTopic,
      chatTopic: this.topics.chatTopic,
      table: this.table,
    });
    // Services in other accounts or regions: their alarms arrive on the central bus, forwarded by member stacks.
    if (needsCentralBus(config)) {
      this.centralBus = new CentralAlarmBus(this, 'CentralBus', { config, starter: this.intake.starter.function, deadLetterQueue: this.intake.deadLetterQueue });
    }
    this.failureNet = new FailureNet(this, 'FailureNet', {
      stateMachine: this.workflow.stateMachine,
      escalationTopic: this.topics.escalationTopic,
      recorder: this.functions.lambdas.escalate,
      deadLetterAlarmName: selfAlarmName(config.stage, 'failure-net-dead-letters'),
    });

    this.statusCadence = new StatusCadence(this, 'StatusCadence', {
      config,
      configLayer: this.configLayer,
      table: this.table,
      statusTopic: this.topics.statusTopic,
      escalationTopic: this.topics.escalationTopic,
      chatTopic: this.topics.chatTopic,
    });

    this.readiness = new ReadinessCheck(this, 'Readiness', {
      config,
      configLayer: this.configLayer,
      table: this.table,
      statusTopic: this.topics.statusTopic,
      deploymentStrategyId: this.deploymentStrategy.strategyId,
    });

    // Last: it watches every function of Tourniquet, found in the construct tree so that a new one cannot be missed.
    this.observability = new Observability(this, 'Observability', {
      config,
      functions: this.node
        .findAll()
        .filter((c): c is HandlerFunction => c instanceof HandlerFunction)
        .map((fn) => ({
          fn,
          everyMinutes: fn === this.statusCadence.handler ? CADENCE_SCHEDULE_MINUTES : fn === this.readiness.handler ? this.readiness.everyMinutes : undefined,
        })),
      stateMachine: this.workflow.stateMachine,
      deadLetterQueues: [
        { label: 'intake', queue: this.intake.deadLetterQueue, alarm: this.intake.deadLetterAlarm },
        { label: 'failure net', queue: this.failureNet.deadLetterQueue, alarm: this.failureNet.deadLetterAlarm },
      ],
      escalationTopic: this.topics.escalationTopic,
    });

    if (props.stackOutputs ?? true) this.addStackOutputs(Stack.of(this));
  }

  /**
   * Lets `grantee` run the read-only `tourniquet` commands (incidents, show, postmortem, stats) against this
   * install: GetItem and Query on the incident table and its gsi1 index (by name), and DescribeStacks of
   * the enclosing stack for `--stack`.
   */
  public grantReadIncidents(grantee: iam.IGrantable): iam.Grant {
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resourceArns: [this.table.table.tableArn, `${this.table.table.tableArn}/index/${TABLE_KEYS.gsi1Name}`],
    });
    return read.combine(this.grantDescribeStack(grantee));
  }

  /**
   * Lets `grantee` operate this install with the `tourniquet` CLI: everything {@link grantReadIncidents}
   * allows, plus approve/reject (the incident store's writes, the approval secret that opens the sealed
   * task token, states:SendTaskSuccess on the workflow), pause/resume and ack/resolve (store writes; with
   * `--notify`, publishing to the status topic and its key). Not `undo`: reverting a mitigation needs the
   * same write access to the workload as the mitigate function (see docs/embedding.md).
   */
  public grantOperate(grantee: iam.IGrantable): iam.Grant {
    return this.grantReadIncidents(grantee)
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: [...INCIDENT_STORE_ACTIONS],
          resourceArns: [this.table.table.tableArn, `${this.table.table.tableArn}/index/${TABLE_KEYS.gsi1Name}`],
        }),
      )
      .combine(this.approvals.grantSecretRead(grantee))
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:SendTaskSuccess'], resourceArns: [this.workflow.stateMachine.stateMachineArn] }))
      .combine(this.publishStatus(grantee));
  }

  /** Publish to the status topic; the key's `kms:GenerateDataKey*` is acknowledged on the grantee for cdk-nag, as on the functions. */
  private publishStatus(grantee: iam.IGrantable): iam.Grant {
    const grant = this.topics.statusTopic.grantPublish(grantee);
    if (Construct.isConstruct(grantee)) {
      acknowledgeNag(grantee, 'AwsSolutions-IAM5', 'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* on the topic key; the grant names that one key.', [
        'Action::kms:GenerateDataKey*',
      ]);
    }
    return grant;
  }

  /** DescribeStacks of the enclosing stack: how the CLI finds the table, topic and strategy with `--stack`. */
  private grantDescribeStack(grantee: iam.IGrantable): iam.Grant {
    // The stack's own ID (AWS::StackId) is its full ARN: no wildcard for the unique suffix.
    return iam.Grant.addToPrincipal({ grantee, actions: ['cloudformation:DescribeStacks'], resourceArns: [Stack.of(this).stackId] });
  }

  /**
   * The outputs `tourniquet --stack` reads, at the top of `stack` so that their names are exactly these
   * (cli/commands/stack-options.ts) wherever the construct sits in the tree.
   */
  private addStackOutputs(stack: Stack): void {
    new CfnOutput(stack, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn, description: 'Incident workflow' });
    new CfnOutput(stack, 'IncidentTableName', { value: this.table.table.tableName, description: 'Incident table' });
    new CfnOutput(stack, 'StatusTopicArn', { value: this.topics.statusTopic.topicArn, description: 'Status updates' });
    new CfnOutput(stack, 'EscalationTopicArn', { value: this.topics.escalationTopic.topicArn, description: 'Escalation pages' });
    new CfnOutput(stack, 'ApproversTopicArn', { value: this.topics.approversTopic.topicArn, description: 'Approval requests (signed links)' });
    new CfnOutput(stack, 'ChatTopicArn', { value: this.topics.chatTopic.topicArn, description: 'Status updates and pages as AWS Chatbot custom notifications' });
    new CfnOutput(stack, 'AlarmIntakeTopicArn', {
      value: this.intake.intakeTopic.topicArn,
      description: 'Point alarm actions here to deliver alarms by SNS',
    });
    new CfnOutput(stack, 'ApprovalEndpointUrl', {
      value: this.approvals.functionUrl.url,
      description: 'Approval links point here (HMAC-signed; GET confirms, POST decides)',
    });
    // `tourniquet preflight --stack` reads these two: the role whose write permissions it simulates, and the strategy it checks.
    new CfnOutput(stack, 'MitigateRoleArn', {
      value: this.functions.functions.mitigate.role.roleArn,
      description: 'Role of the mitigate function (preflight simulates its write permissions)',
    });
    new CfnOutput(stack, 'DeploymentStrategyId', { value: this.deploymentStrategy.strategyId, description: 'AppConfig strategy flag changes deploy with (zero bake)' });
    new CfnOutput(stack, 'ApprovalSecretArn', { value: this.approvals.secret.secretArn, description: 'HMAC key of approval links' });
    new CfnOutput(stack, 'DashboardName', { value: this.observability.dashboard.dashboardName, description: 'CloudWatch dashboard: what Tourniquet did and its own health' });
    new CfnOutput(stack, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.observability.dashboard.dashboardName}`,
      description: 'The dashboard in the CloudWatch console',
    });
  }
}
