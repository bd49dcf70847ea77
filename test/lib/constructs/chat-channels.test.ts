import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { asArray, type CfnResource, configWith, fastStack, functionsByHandler, sampleConfig, statementsOf, templateFor } from '../support.js';

const TEAM = { teamId: '11111111-2222-4333-8444-555555555555', tenantId: '66666666-7777-4888-8999-000000000000', channelId: '19:abc@thread.tacv2' };
const withChannels = () =>
  configWith((raw) => {
    raw.chat = { slack: [{ workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' }], teams: [TEAM] };
  });

const chatTopicId = (template: Template): string => {
  const topics = Object.entries(template.findResources('AWS::SNS::Topic') as Record<string, CfnResource>).filter(([, t]) => t.Properties.DisplayName === 'Tourniquet chat');
  expect(topics).toHaveLength(1);
  return topics[0]![0];
};

describe('chat topic and channels', () => {
  let template: Template;
  beforeAll(() => {
    template = templateFor(withChannels());
  });

  it('always has a chat topic, encrypted with the notification key, with its ARN as a stack output', () => {
    const plain = templateFor(sampleConfig());
    const id = chatTopicId(plain);
    const topic = (plain.findResources('AWS::SNS::Topic') as Record<string, CfnResource>)[id]!;
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    expect(plain.toJSON().Outputs.ChatTopicArn.Value).toEqual({ Ref: id });
    // No channel configured: no Chatbot resources, no channel role.
    expect(Object.keys(plain.findResources('AWS::Chatbot::SlackChannelConfiguration'))).toEqual([]);
    expect(Object.keys(plain.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration'))).toEqual([]);
  });

  it('gives the functions that notify CHAT_TOPIC_ARN and publish on the chat topic, and no other function', () => {
    const id = chatTopicId(template);
    const functions = functionsByHandler(template);
    const notifying = Object.entries(functions)
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.CHAT_TOPIC_ARN !== undefined)
      .map(([name]) => name)
      .sort();
    expect(notifying).toEqual(['escalate', 'notify', 'request-approval', 'start-execution', 'status-cadence']);
    for (const name of notifying) {
      expect(functions[name]!.Properties.Environment.Variables.CHAT_TOPIC_ARN).toEqual({ Ref: id });
      expect(statementsOf(template, name).some((s) => asArray(s.Action).includes('sns:Publish') && JSON.stringify(s.Resource) === JSON.stringify({ Ref: id }))).toBe(true);
    }
    expect(statementsOf(template, 'triage').some((s) => JSON.stringify(s.Resource).includes(id))).toBe(false);
  });

  it('subscribes one Slack and one Teams configuration to the chat topic, notifications only', () => {
    const id = chatTopicId(template);
    const slack = Object.values(template.findResources('AWS::Chatbot::SlackChannelConfiguration') as Record<string, CfnResource>);
    const teams = Object.values(template.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration') as Record<string, CfnResource>);
    expect(slack).toHaveLength(1);
    expect(teams).toHaveLength(1);
    const common = { SnsTopicArns: [{ Ref: id }], LoggingLevel: 'ERROR', GuardrailPolicies: ['arn:aws:iam::aws:policy/AWSDenyAll'], UserRoleRequired: false };
    expect(slack[0]!.Properties).toMatchObject({ ConfigurationName: 'Tourniquet-prod-slack-1', SlackWorkspaceId: 'T0123ABCD', SlackChannelId: 'C0123ABCD', ...common });
    expect(teams[0]!.Properties).toMatchObject({
      ConfigurationName: 'Tourniquet-prod-teams-1',
      TeamId: TEAM.teamId,
      TeamsTenantId: TEAM.tenantId,
      TeamsChannelId: TEAM.channelId,
      ...common,
    });
    // The channel role: Chatbot may assume it, and it has no policy at all.
    const roleId = (slack[0]!.Properties.IamRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(teams[0]!.Properties.IamRoleArn).toEqual(slack[0]!.Properties.IamRoleArn);
    const role = (template.findResources('AWS::IAM::Role') as Record<string, CfnResource>)[roleId]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'chatbot.amazonaws.com' } }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, CfnResource>).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    );
    expect(policies).toEqual([]);
  });

  it('is cdk-nag clean', () => {
    expect(new AwsSolutionsChecks().validateScope(fastStack(withChannels())).violations).toEqual([]);
  });
});
