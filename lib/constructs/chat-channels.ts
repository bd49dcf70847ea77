import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import type { ChatConfig } from '../../lambdas/core/config.js';

export interface ChatChannelsProps {
  /** The Slack and Teams channels (config `chat`). */
  readonly chat: ChatConfig;
  /** The topic every status update and page goes to as a Chatbot custom notification. */
  readonly chatTopic: sns.ITopic;
  /** Names the configurations (`Tourniquet-<stage>-slack-1`): unique per account. */
  readonly stage: string;
  /**
   * What AWS Chatbot logs to CloudWatch Logs about deliveries.
   * @default 'ERROR'
   */
  readonly loggingLevel?: 'ERROR' | 'INFO' | 'NONE';
}

/**
 * AWS Chatbot (Amazon Q Developer in chat applications) channel configurations that post the chat
 * topic to the configured Slack and Microsoft Teams channels (docs/chat.md). The channels only
 * receive: the channel role has no permissions and the guardrail is `AWSDenyAll`, so nobody can
 * run AWS commands from the channel through Tourniquet's configuration. CloudFormation's default
 * guardrail would be AdministratorAccess; it is always set here. The Slack workspace or Teams team
 * must be authorised in the Chatbot console once (that step has no API).
 */
export class ChatChannels extends Construct {
  /** Assumed by Chatbot for the channels; no policy: notifications only. Undefined when no channel is configured. */
  public readonly role?: iam.Role;
  public readonly slack: chatbot.CfnSlackChannelConfiguration[] = [];
  public readonly teams: chatbot.CfnMicrosoftTeamsChannelConfiguration[] = [];

  constructor(scope: Construct, id: string, props: ChatChannelsProps) {
    super(scope, id);
    const { chat, chatTopic, stage } = props;
    if (chat.slack.length + chat.teams.length === 0) return;
    const role = new iam.Role(this, 'ChannelRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'Tourniquet chat channels: notifications only, no AWS permissions',
    });
    this.role = role;
    const common = {
      iamRoleArn: role.roleArn,
      snsTopicArns: [chatTopic.topicArn],
      loggingLevel: props.loggingLevel ?? 'ERROR',
      guardrailPolicies: ['arn:aws:iam::aws:policy/AWSDenyAll'],
      userRoleRequired: false,
    };
    chat.slack.forEach((channel, i) => {
      this.slack.push(
        new chatbot.CfnSlackChannelConfiguration(this, `Slack${i + 1}`, {
          configurationName: `Tourniquet-${stage}-slack-${i + 1}`,
          slackWorkspaceId: channel.workspaceId,
          slackChannelId: channel.channelId,
          ...common,
        }),
      );
    });
    chat.teams.forEach((channel, i) => {
      this.teams.push(
        new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams${i + 1}`, {
          configurationName: `Tourniquet-${stage}-teams-${i + 1}`,
          teamId: channel.teamId,
          teamsTenantId: channel.tenantId,
          teamsChannelId: channel.channelId,
          ...common,
        }),
      );
    });
  }
}
