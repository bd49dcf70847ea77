import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { FUNCTION_MANIFEST } from '../../lambdas/runtime/manifest.js';
import { STARTER_HANDLER } from '../handlers.js';
import { acknowledgeNag } from '../nag.js';
import { readableAlarmNames } from '../permissions.js';
import type { ConfigLayer } from './config-layer.js';
import { deadLetterAlarm, selfAlarmName } from './dead-letter-alarm.js';
import { grantManifest, manifestEnvironment } from './function-access.js';
import { HandlerFunction } from './handler-function.js';
import type { IncidentStoreAction, IncidentTable } from './incident-table.js';
import { allowCloudWatchAlarmsToPublish } from './topic-access.js';

/**
 * The incident-store calls the starter makes: `getEpisode`, `getIncident` (GetItem),
 * `countActiveIncidents` (Query on gsi1), `listActions` (Query), `openIncident`, `recordSignal`,
 * `reopenIncident`, `transition` (PutItem and UpdateItem in transactions), `updateIncident` (UpdateItem).
 */
export const STARTER_TABLE_ACTIONS: readonly IncidentStoreAction[] = FUNCTION_MANIFEST['start-execution'].table;

/**
 * EventBridge's default quota for one event pattern is 2048 characters. Alarm names are split
 * over as many rules as needed to stay under it, with room for the rest of the pattern.
 */
export const MAX_ALARM_NAMES_CHARS_PER_RULE = 1700;

export interface AlarmIntakeProps {
  /** The validated config: its alarm names filter the rule. */
  readonly config: TourniquetConfig;
  /** The config layer (config.json): the starter reads the whole config from it at cold start. */
  readonly configLayer: ConfigLayer;
  /** The incident workflow the starter starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** Where unknown alarms and undeliverable alarm events are reported, and re-fires of escalated incidents paged. */
  readonly escalationTopic: sns.ITopic;
  /** Where every status update and page also goes, as an AWS Chatbot custom notification (docs/chat.md). */
  readonly chatTopic: sns.ITopic;
  /** The incident table: the starter reads each service's episode and opens, joins or re-opens its incident. */
  readonly table: IncidentTable;
  /**
   * EventBridge delivery attempts to the starter before the event goes to the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
}

/**
 * How alarms reach Tourniquet: EventBridge "CloudWatch Alarm State Change" events for the configured
 * alarms, and an SNS topic alarm actions can point at. Both invoke the starter, which names the
 * execution deterministically (so at-least-once delivery starts one incident) and starts it.
 * Undeliverable events land in a dead-letter queue that pages the escalation topic.
 */
export class AlarmIntake extends Construct {
  public readonly starter: HandlerFunction;
  public readonly rules: events.Rule[];
  public readonly deadLetterQueue: sqs.Queue;
  public readonly intakeKey: kms.Key;
  public readonly intakeTopic: sns.Topic;
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AlarmIntakeProps) {
    super(scope, id);
    const { config } = props;

    this.starter = new HandlerFunction(this, 'StartExecution', {
      handler: STARTER_HANDLER,
      description: 'Tourniquet: turn an alarm (EventBridge or SNS) into a named workflow execution',
      environment: manifestEnvironment(STARTER_HANDLER, {
        TABLE_NAME: props.table.table.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        ESCALATION_TOPIC_ARN: props.escalationTopic.topicArn,
        CHAT_TOPIC_ARN: props.chatTopic.topicArn,
      }),
    });
    // The whole config exceeds Lambda's 4 KB environment budget; it comes in the config layer instead.
    props.configLayer.attachTo(this.starter);
    grantManifest(this.starter, STARTER_HANDLER, {
      config,
      table: props.table,
      topics: { escalation: props.escalationTopic, chat: props.chatTopic },
      stateMachine: props.stateMachine,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Events EventBridge could not deliver, and invocations the function failed after Lambda's own retries.
    this.starter.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    // Every state change (ALARM and OK) of incident and symptom alarms: the starter records them on
    // the service's current incident, and only an incident alarm entering ALARM can open one.
    this.rules = chunkByLength([...new Set(readableAlarmNames(config))], MAX_ALARM_NAMES_CHARS_PER_RULE).map(
      (names, i) =>
        new events.Rule(this, i === 0 ? 'AlarmStateChange' : `AlarmStateChange${i + 1}`, {
          description: `Tourniquet: state changes of configured alarms (${i + 1})`,
          eventPattern: {
            source: ['aws.cloudwatch'],
            detailType: ['CloudWatch Alarm State Change'],
            detail: { alarmName: names },
          },
          targets: [
            new targets.LambdaFunction(this.starter.function, {
              retryAttempts: props.retryAttempts ?? 8,
              maxEventAge: Duration.hours(2),
              deadLetterQueue: this.deadLetterQueue,
            }),
          ],
        }),
    );

    this.intakeKey = new kms.Key(this, 'IntakeKey', {
      description: 'Tourniquet alarm intake topic',
      enableKeyRotation: true,
      // SNS keeps no messages at rest: nothing the key protects outlives the topics it is deleted with.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.intakeTopic = new sns.Topic(this, 'AlarmIntakeTopic', {
      displayName: 'Tourniquet alarm intake',
      masterKey: this.intakeKey,
      enforceSSL: true,
    });
    allowCloudWatchAlarmsToPublish(this.intakeTopic, this.intakeKey);
    this.intakeTopic.addSubscription(new subscriptions.LambdaSubscription(this.starter.function));

    this.deadLetterAlarm = deadLetterAlarm(
      this,
      'DeadLetterAlarm',
      this.deadLetterQueue,
      `Tourniquet could not take in an alarm: EventBridge could not deliver a CloudWatch alarm event to the start-execution function, or the function failed on it after its retries, so that alarm may have no incident. ` +
        `Read the messages in queue ${this.deadLetterQueue.queueName} (each holds the alarm event and the error), check the start-execution function's log, ` +
        'handle the alarm it names by hand, then delete the message.',
      props.escalationTopic,
      { alarmName: selfAlarmName(config.stage, 'intake-dead-letters') },
    );

    acknowledgeNag(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the intake rule target and of the starter function.');
  }
}

/**
 * Splits names into consecutive groups whose JSON-encoded length stays within `maxChars`, keeping
 * config order so rule contents (and their logical IDs) do not reshuffle when an alarm is appended.
 */
export function chunkByLength(names: readonly string[], maxChars: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const name of names) {
    const cost = JSON.stringify(name).length + 1;
    if (current.length > 0 && size + cost > maxChars) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(name);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
