import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';

/**
 * Lets CloudWatch alarms of this account and region publish to a KMS-encrypted topic.
 *
 * Both grants carry `aws:SourceAccount` and `aws:SourceArn` so the CloudWatch service principal
 * cannot be used by another account's alarms to reach the topic (confused deputy). CloudWatch
 * needs the key too: SNS encrypts each message with a data key generated for the publisher.
 */
export function allowCloudWatchAlarmsToPublish(topic: sns.Topic, key: kms.Key): void {
  const stack = Stack.of(topic);
  const principal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  const conditions = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: '*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
  };
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
