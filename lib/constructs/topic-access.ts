import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct, IConstruct } from 'constructs';

/**
 * Confused-deputy conditions for an AWS service principal that publishes to a topic of this stack
 * (and uses its KMS key): `aws:SourceAccount` is this account and `aws:SourceArn` is a resource of
 * that service in this account and region. Without them any account's EventBridge rule or alarm
 * could publish through the service principal (a fake page). AWS documents both keys for SNS
 * topic policies and for the key policy of an SNS-encrypted topic ("Enable compatibility between
 * event sources from AWS services and encrypted topics"; EventBridge: "Amazon SNS permissions").
 * `kms:EncryptionContext` does not help here: SNS sets the encryption context, not the publisher.
 *
 * Returns undefined for a service Tourniquet does not know the source ARN shape of: those get
 * `aws:SourceAccount` only (see {@link GuardedTopic}).
 */
export function sourceConditions(scope: IConstruct, service: string): Record<string, Record<string, unknown>> {
  const stack = Stack.of(scope);
  const sourceArn = SOURCE_ARNS[service]?.(stack);
  return {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ...(sourceArn ? { ArnLike: { 'aws:SourceArn': sourceArn } } : {}),
  };
}

/** What may publish on behalf of each service principal: any rule, or any alarm, of this account and region. */
const SOURCE_ARNS: Readonly<Record<string, (stack: Stack) => string>> = {
  'events.amazonaws.com': (stack) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
  'cloudwatch.amazonaws.com': (stack) => stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
};

/**
 * An SNS topic whose publish grants to AWS service principals always carry
 * {@link sourceConditions}, on the topic policy and on the key policy alike. CDK's own integrations
 * (an EventBridge rule's `SnsTopic` target, a CodeStar notification rule) call `grantPublish` with
 * a bare service principal; this is where that grant is narrowed, so every such integration,
 * present or future, is covered without each caller remembering the conditions.
 */
export class GuardedTopic extends sns.Topic {
  constructor(scope: Construct, id: string, props: sns.TopicProps = {}) {
    super(scope, id, props);
  }

  public override grantPublish(grantee: iam.IGrantable): iam.Grant {
    const principal = grantee.grantPrincipal;
    if (principal instanceof iam.ServicePrincipal) {
      return super.grantPublish(principal.withConditions(sourceConditions(this, principal.service)));
    }
    return super.grantPublish(grantee);
  }
}

/**
 * Lets CloudWatch alarms of this account and region publish to a KMS-encrypted topic.
 *
 * Both grants carry `aws:SourceAccount` and `aws:SourceArn` so the CloudWatch service principal
 * cannot be used by another account's alarms to reach the topic (confused deputy). CloudWatch
 * needs the key too: SNS encrypts each message with a data key generated for the publisher.
 */
export function allowCloudWatchAlarmsToPublish(topic: sns.Topic, key: kms.Key): void {
  const principal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  const conditions = sourceConditions(topic, principal.service);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [principal],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions,
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: `AllowCloudWatchAlarmsToEncryptFor${topic.node.id}`,
      principals: [principal],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      // In a key policy "*" means "this key".
      resources: ['*'],
      conditions,
    }),
  );
}
