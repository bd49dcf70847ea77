import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

import { GuardedTopic } from './topic-access.js';

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
  /**
   * Addresses subscribed by email to the approvers topic: the only topic whose messages carry
   * signed Approve and Reject links.
   * @default - no subscriptions (approvals are then answered with `tourniquet approve|reject`)
   */
  readonly approverEmails?: readonly string[];
}

/**
 * The human-facing channels: status updates (Investigating → Identified → Mitigated → Resolved),
 * escalation pages, approval requests (signed links, for approvers only), and chat (every status
 * update and page again, in AWS Chatbot's custom notification format: docs/chat.md). All are
 * encrypted with one customer-managed key so that the key policy, not only IAM, decides who may
 * publish; AWS service principals may publish only from this account (see {@link GuardedTopic}).
 */
export class NotificationTopics extends Construct {
  public readonly key: kms.Key;
  public readonly statusTopic: sns.Topic;
  public readonly escalationTopic: sns.Topic;
  /** Approval requests with their signed links: a narrower list than the status topic. */
  public readonly approversTopic: sns.Topic;
  /**
   * Every status update and page as an AWS Chatbot custom notification (JSON, not email text):
   * subscribe Chatbot's Slack or Teams channel configurations to it (ChatChannels does, from `chat`).
   * Never the approval links.
   */
  public readonly chatTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationTopicsProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Tourniquet status and escalation topics',
      enableKeyRotation: true,
      // SNS keeps no messages at rest: nothing the key protects outlives the topics it is deleted with.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.statusTopic = new GuardedTopic(this, 'StatusTopic', {
      displayName: 'Tourniquet status',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.escalationTopic = new GuardedTopic(this, 'EscalationTopic', {
      displayName: 'Tourniquet escalation',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.approversTopic = new GuardedTopic(this, 'ApproversTopic', {
      displayName: 'Tourniquet approvals',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.chatTopic = new GuardedTopic(this, 'ChatTopic', {
      displayName: 'Tourniquet chat',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.statusEmails ?? []) {
      this.statusTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    for (const email of props.escalationEmails ?? []) {
      this.escalationTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    for (const email of props.approverEmails ?? []) {
      this.approversTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
