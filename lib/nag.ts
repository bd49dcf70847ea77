import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag 3 reads acknowledgements from CDK's `Validations` metadata, one finding at a time
 * (`AwsSolutions-IAM5[Resource::...]`): there is no rule-wide or pattern suppression, so every
 * acknowledged wildcard is named exactly and a new one fails synth until someone justifies it.
 */
export function acknowledgeNag(scope: IConstruct, ruleId: string, reason: string, findings?: readonly string[]): void {
  const ids = findings === undefined ? [ruleId] : findings.map((finding) => `${ruleId}[${finding}]`);
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}

/** Why the functions that read alarms get DescribeAlarms on `*` when the config has composite alarms. */
export const COMPOSITE_ALARM_READ_REASON = "DescribeAlarms returns composite alarms only when the policy's Resource is *; the action is read-only";

/** Acknowledges the `*` of the composite-alarm read statement on the policy (or role) that carries it. */
export function acknowledgeCompositeAlarmRead(scope: IConstruct): void {
  acknowledgeNag(scope, 'AwsSolutions-IAM5', COMPOSITE_ALARM_READ_REASON, ['Resource::*']);
}

/** Why triage gets GetMetricData on `*`. */
export const ALARM_METRIC_READ_REASON =
  'cloudwatch:GetMetricData supports no resource-level permissions; triage reads the alarm metric back to find the first breaching datapoint (impact start, MTTD); read-only';

/** Acknowledges the `*` of the GetMetricData statement on the policy that carries it. */
export function acknowledgeAlarmMetricRead(scope: IConstruct): void {
  acknowledgeNag(scope, 'AwsSolutions-IAM5', ALARM_METRIC_READ_REASON, ['Resource::*']);
}

/** How cdk-nag prints `Fn::GetAtt <resource>.Arn` inside a finding. */
export function nagArnOf(resource: IConstruct): string {
  const element = resource.node.defaultChild as CfnElement | undefined;
  if (!element) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return `<${Stack.of(resource).getLogicalId(element)}.Arn>`;
}

/** How cdk-nag prints an ARN built with `Stack.formatArn` in an environment-agnostic stack. */
export function nagFormattedArn(service: string, resource: string, where: NagArnLocation = {}): string {
  const region = where.region ?? '<AWS::Region>';
  const account = where.account ?? '<AWS::AccountId>';
  return `arn:<AWS::Partition>:${service}:${region}:${account}:${resource}`;
}

/**
 * Region and account of an ARN as `Stack.formatArn` was given them: left out, they are the
 * stack's (printed as pseudo parameters); a literal (`''` for global services, `us-east-1`, `*`)
 * is printed as is.
 */
export interface NagArnLocation {
  /** @default - the stack's region */
  readonly region?: string;
  /** @default - the stack's account */
  readonly account?: string;
}
