import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { centralBusName } from '../../lambdas/core/accounts.js';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { busSourceAccounts, forwardingLocations } from '../locations.js';
import { readableAlarmNames } from '../permissions.js';
import { chunkByLength, MAX_ALARM_NAMES_CHARS_PER_RULE } from './alarm-intake.js';

/** The only events the central bus admits: CloudWatch alarm state changes (docs/accounts.md). */
export const FORWARDED_SOURCE = 'aws.cloudwatch';
export const FORWARDED_DETAIL_TYPE = 'CloudWatch Alarm State Change';

export interface CentralAlarmBusProps {
  /** The validated config: its forwarding locations say who may put events, their alarms what the rules match. */
  readonly config: TourniquetConfig;
  /** The starter the rules invoke, as AlarmIntake's default-bus rules do. */
  readonly starter: lambda.IFunction;
  /** Where undeliverable events go (AlarmIntake's, which pages). */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * EventBridge delivery attempts to the starter before the event goes to the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
}

/**
 * The central event bus (`centralBusName(stage)`) that member stacks forward their alarms' state
 * changes to, from workload accounts and from the central account's other regions. Its resource
 * policy admits PutEvents of CloudWatch alarm state changes only from the configured accounts, or
 * from the organization when `crossAccount.organizationId` is set; its rules match the configured
 * alarms of services away from the central region and invoke the starter like the default-bus rules.
 */
export class CentralAlarmBus extends Construct {
  public readonly bus: events.EventBus;
  public readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: CentralAlarmBusProps) {
    super(scope, id);
    const { config } = props;
    const locations = forwardingLocations(config);
    if (locations.length === 0) throw new Error('CentralAlarmBus: every service is where Tourniquet runs; there is nothing to forward (see needsCentralBus)');

    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: centralBusName(config.stage),
      description: `Tourniquet (${config.stage}): alarm state changes forwarded from workload accounts and other regions`,
    });
    const organizationId = config.crossAccount?.organizationId;
    // Only alarm state changes: a member account's role could otherwise put anything it likes on the bus.
    const onlyAlarmEvents = {
      'ForAllValues:StringEquals': { 'events:source': [FORWARDED_SOURCE] },
      StringEquals: { 'events:detail-type': FORWARDED_DETAIL_TYPE, ...(organizationId !== undefined ? { 'aws:PrincipalOrgID': organizationId } : {}) },
    };
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: organizationId !== undefined ? 'OrganizationForwardsAlarms' : 'MemberAccountsForwardAlarms',
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        principals: organizationId !== undefined ? [new iam.AnyPrincipal()] : busSourceAccounts(config).map((account) => new iam.AccountPrincipal(account)),
        conditions: onlyAlarmEvents,
      }),
    );

    const names = [...new Set(readableAlarmNames({ ...config, services: locations.flatMap((l) => [...l.services]) }))];
    this.rules = chunkByLength(names, MAX_ALARM_NAMES_CHARS_PER_RULE).map(
      (chunk, i) =>
        new events.Rule(this, i === 0 ? 'ForwardedAlarmStateChange' : `ForwardedAlarmStateChange${i + 1}`, {
          eventBus: this.bus,
          description: `Tourniquet: forwarded state changes of configured alarms (${i + 1})`,
          eventPattern: { source: [FORWARDED_SOURCE], detailType: [FORWARDED_DETAIL_TYPE], detail: { alarmName: chunk } },
          targets: [
            new targets.LambdaFunction(props.starter, {
              retryAttempts: props.retryAttempts ?? 8,
              maxEventAge: Duration.hours(2),
              deadLetterQueue: props.deadLetterQueue,
            }),
          ],
        }),
    );
  }
}

/** Whether the config has services away from the central account or region, whose alarms arrive on the central bus. */
export function needsCentralBus(config: TourniquetConfig): boolean {
  return forwardingLocations(config).length > 0;
}
