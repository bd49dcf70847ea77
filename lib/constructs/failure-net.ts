import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

import { acknowledgeNag } from '../nag.js';
import { deadLetterAlarm } from './dead-letter-alarm.js';

/** Execution outcomes that mean nobody may have been told what happened. */
export const UNHANDLED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** EventBridge's ceilings, used in full: a page held back by an SNS outage is still worth sending a day later. */
export const FAILURE_NET_RETRY_ATTEMPTS = 185;
export const FAILURE_NET_MAX_EVENT_AGE = Duration.hours(24);

export interface FailureNetProps {
  /** The workflow whose abnormal endings are reported. */
  readonly stateMachine: sfn.IStateMachine;
  /** Where the page goes. */
  readonly escalationTopic: sns.ITopic;
  /**
   * The escalate function: given the status-change event, it moves the execution's incident to
   * ESCALATED and releases its lock, so the record is consistent however the execution ended.
   * @default - no record is written; the page still goes out
   */
  readonly recorder?: lambda.IFunction;
}

/**
 * The last line of defence: when an execution fails, times out or is aborted (including a failed
 * Escalate step), EventBridge pages the escalation topic directly and has the escalate function
 * record the incident as ESCALATED, so no incident ends silently or stays "open" with its lock.
 * Both targets retry for 24 hours; what still fails lands in a dead-letter queue whose alarm pages.
 */
export class FailureNet extends Construct {
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FailureNetProps) {
    super(scope, id);
    const field = (path: string) => events.EventField.fromPath(path);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      // SQS-managed keys: EventBridge can write to them without a key policy.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const delivery = { deadLetterQueue: this.deadLetterQueue, retryAttempts: FAILURE_NET_RETRY_ATTEMPTS, maxEventAge: FAILURE_NET_MAX_EVENT_AGE };

    this.rule = new events.Rule(this, 'ExecutionEndedAbnormally', {
      description: 'Tourniquet: page a human when an incident workflow ends without finishing',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: [...UNHANDLED_EXECUTION_STATUSES],
          stateMachineArn: [props.stateMachine.stateMachineArn],
        },
      },
      targets: [
        new targets.SnsTopic(props.escalationTopic, {
          ...delivery,
          message: events.RuleTargetInput.fromText(
            `Tourniquet workflow ${field('$.detail.name')} ended ${field('$.detail.status')}: a human must check the incident. ` +
              `Error: ${field('$.detail.error')}: ${field('$.detail.cause')}. ` +
              `Execution: ${field('$.detail.executionArn')} (stopped at ${field('$.time')}).`,
          ),
        }),
        ...(props.recorder ? [new targets.LambdaFunction(props.recorder, delivery)] : []),
      ],
    });

    // Anything here is a failed execution nobody may have heard of: page (the topic may be back by then).
    this.deadLetterAlarm = deadLetterAlarm(
      this,
      'DeadLetterAlarm',
      this.deadLetterQueue,
      'Tourniquet: a failed-workflow page or record could not be delivered for 24 hours; inspect the failure-net dead-letter queue.',
      props.escalationTopic,
    );

    acknowledgeNag(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the failure-net rule targets.');
  }
}
