import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationTopicsProps {
  /**
   * Addresses subscribed by email to the status topic (an update at every phase).
   * @default - no subscriptions
   */
  readonly statusEmails?: readonly string[];
  /**
   * Addresses subscribed by email to the escalation topic (a page when automation cannot help).
   * @default - no subscriptions
   */
  readonly escalationEmails?: readonly string[];
}

/**
 * The two human-facing channels: status updates (Investigating → Identified → Mitigated → Resolved)
 * and escalation pages. Both are encrypted with one customer-managed key so that the key policy,
 * not only IAM, decides who may publish.
 */
export class NotificationTopics extends Construct {
  public readonly key: kms.Key;
  public readonly statusTopic: sns.Topic;
  public readonly escalationTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationTopicsProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Tourniquet status and escalation topics',
      enableKeyRotation: true,
      // SNS keeps no messages at rest: nothing the key protects outlives the topics it is deleted with.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.statusTopic = new sns.Topic(this, 'StatusTopic', {
      displayName: 'Tourniquet status',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.escalationTopic = new sns.Topic(this, 'EscalationTopic', {
      displayName: 'Tourniquet escalation',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.statusEmails ?? []) {
      this.statusTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    for (const email of props.escalationEmails ?? []) {
      this.escalationTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
