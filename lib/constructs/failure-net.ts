import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Execution outcomes that mean nobody may have been told what happened. */
export const UNHANDLED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface FailureNetProps {
  /** The workflow whose abnormal endings are reported. */
  readonly stateMachine: sfn.IStateMachine;
  /** Where the page goes. */
  readonly escalationTopic: sns.ITopic;
}

/**
 * The last line of defence: when an execution fails, times out or is aborted (including a failed
 * Escalate step), EventBridge pages the escalation topic directly, so no incident ends silently.
 */
export class FailureNet extends Construct {
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: FailureNetProps) {
    super(scope, id);
    const field = (path: string) => events.EventField.fromPath(path);
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
          message: events.RuleTargetInput.fromText(
            `Tourniquet workflow ${field('$.detail.name')} ended ${field('$.detail.status')}: a human must check the incident. ` +
              `Execution: ${field('$.detail.executionArn')} (stopped at ${field('$.time')}).`,
          ),
        }),
      ],
    });
  }
}
