import { beforeAll, describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';

import { MITIGATE_TIMEOUT_SECONDS } from '../../lambdas/core/mutation.js';
import { HANDLER_NAMES } from '../../lib/handlers.js';
import { type CfnResource, configWith, fastStack, functionsByHandler, render, sampleConfig, templateFor } from './support.js';

describe('TourniquetStack (sample config)', () => {
  let template: Template;
  beforeAll(() => {
    template = templateFor(sampleConfig());
  });

  describe('functions', () => {
    it('deploys one function per handler, each tagged with its handler name', () => {
      expect(Object.keys(functionsByHandler(template)).sort()).toEqual([...HANDLER_NAMES].sort());
      template.resourceCountIs('AWS::Lambda::Function', HANDLER_NAMES.length);
    });

    it('runs every function on Node 22 / arm64 with 256 MB, 30 s (mitigate 60 s, readiness 2 min), active tracing and the shared environment', () => {
      for (const [handler, fn] of Object.entries(functionsByHandler(template))) {
        expect({ handler, ...fn.Properties }).toMatchObject({
          handler,
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: 256,
          // Mitigate's claim lease is derived from its longer timeout (lambdas/core/mutation.ts).
          // The readiness check runs every service's checks in one invocation.
          Timeout: handler === 'mitigate' ? MITIGATE_TIMEOUT_SECONDS : handler === 'readiness' ? 120 : 30,
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.stringContaining('LogGroup') } },
          Environment: {
            Variables: expect.objectContaining({
              POWERTOOLS_SERVICE_NAME: 'tourniquet',
              POWERTOOLS_LOG_LEVEL: 'INFO',
              NODE_OPTIONS: '--enable-source-maps',
            }),
          },
        });
      }
    });

    it('gives each function only the environment variables its handler reads', () => {
      const own = (handler: string) =>
        Object.keys(functionsByHandler(template)[handler]!.Properties.Environment.Variables as Record<string, unknown>)
          .filter((k) => !k.startsWith('POWERTOOLS_') && k !== 'NODE_OPTIONS')
          .sort();
      expect(own('start-execution')).toEqual(['CHAT_TOPIC_ARN', 'ESCALATION_TOPIC_ARN', 'STATE_MACHINE_ARN', 'TABLE_NAME']);
      expect(own('open-incident')).toEqual(['TABLE_NAME']);
      expect(own('triage')).toEqual(['TABLE_NAME']);
      expect(own('decide')).toEqual(['TABLE_NAME']);
      expect(own('verify')).toEqual(['TABLE_NAME']);
      expect(own('mitigate')).toEqual(['DEPLOYMENT_STRATEGY_ID', 'TABLE_NAME']);
      expect(own('notify')).toEqual(['CHAT_TOPIC_ARN', 'STATUS_TOPIC_ARN', 'TABLE_NAME']);
      expect(own('close-incident')).toEqual(['TABLE_NAME']);
      expect(own('escalate')).toEqual(['CHAT_TOPIC_ARN', 'ESCALATION_TOPIC_ARN', 'STATUS_TOPIC_ARN', 'TABLE_NAME']);
      expect(own('request-approval')).toEqual([
        'APPROVAL_ENDPOINT_URL',
        'APPROVAL_SECRET_ARN',
        'APPROVERS_TOPIC_ARN',
        'APPROVER_EMAILS',
        'CHAT_TOPIC_ARN',
        'ESCALATION_TOPIC_ARN',
        'STATUS_TOPIC_ARN',
        'TABLE_NAME',
      ]);
      expect(own('approval-endpoint')).toEqual(['APPROVAL_SECRET_ARN', 'TABLE_NAME']);
    });

    it('wires the variables to the stack resources', () => {
      const fns = functionsByHandler(template);
      const strategyId = Object.keys(template.findResources('AWS::AppConfig::DeploymentStrategy'))[0];
      const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];
      const machineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0];
      expect(fns.mitigate!.Properties.Environment.Variables.DEPLOYMENT_STRATEGY_ID).toEqual({ Ref: strategyId });
      expect(fns.triage!.Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: tableId });
      expect(fns['start-execution']!.Properties.Environment.Variables.STATE_MACHINE_ARN).toEqual({ Ref: machineId });
      expect(fns['start-execution']!.Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: tableId });
    });

    it('keeps the config out of the environment (it comes in the config layer)', () => {
      const env = JSON.stringify(functionsByHandler(template)['start-execution']!.Properties.Environment);
      expect(env).not.toContain('checkout-5xx-rate');
      expect(env.length).toBeLessThan(1024);
    });

    it('gives each function its own log group kept for one month', () => {
      const groups = template.findResources('AWS::Logs::LogGroup') as Record<string, CfnResource>;
      for (const fn of Object.values(functionsByHandler(template))) {
        const group = groups[fn.Properties.LoggingConfig.LogGroup.Ref as string];
        expect(group?.Properties.RetentionInDays).toBe(30);
      }
    });

    it('uses its own roles, never an AWS-managed policy', () => {
      for (const role of Object.values(template.findResources('AWS::IAM::Role') as Record<string, CfnResource>)) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('incident table', () => {
    it('is on-demand, encrypted, point-in-time recoverable, with pk/sk, gsi1 and TTL on expiresAt', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });

    it('outlives the stack', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });
  });

  describe('notification topics', () => {
    it('encrypts status and escalation topics with one rotating customer-managed key', () => {
      const keys = template.findResources('AWS::KMS::Key', { Properties: { Description: 'Tourniquet status and escalation topics' } });
      expect(Object.keys(keys)).toHaveLength(1);
      const keyId = Object.keys(keys)[0]!;
      expect((keys[keyId] as CfnResource).Properties.EnableKeyRotation).toBe(true);
      for (const name of ['Tourniquet status', 'Tourniquet escalation', 'Tourniquet approvals', 'Tourniquet chat']) {
        template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: name, KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      }
    });

    it('denies publishing without TLS on every topic', () => {
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy') as Record<string, CfnResource>);
      // Status, escalation, approvers, chat and the alarm intake topic.
      expect(policies).toHaveLength(5);
      for (const policy of policies) {
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      }
    });

    it('subscribes the configured addresses by email', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'pager@example.com' });
      template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 3);
    });

    it('lets EventBridge use the topic key, so the failure net can page through the encrypted escalation topic', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: 'Tourniquet status and escalation topics',
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
    });

    it('lets a service principal publish or use a key only from this account: aws:SourceAccount and aws:SourceArn on every grant', () => {
      const statements = [
        ...Object.values(template.findResources('AWS::SNS::TopicPolicy') as Record<string, CfnResource>).flatMap((p) => p.Properties.PolicyDocument.Statement as any[]),
        ...Object.values(template.findResources('AWS::KMS::Key') as Record<string, CfnResource>).flatMap((k) => k.Properties.KeyPolicy.Statement as any[]),
      ];
      const services = statements.filter((s) => s.Effect === 'Allow' && s.Principal?.Service);
      expect(services.map((s) => s.Principal.Service).sort()).toEqual(expect.arrayContaining(['cloudwatch.amazonaws.com', 'events.amazonaws.com']));
      const sourceArn: Record<string, string> = {
        'events.amazonaws.com': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*',
        'cloudwatch.amazonaws.com': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*',
      };
      for (const statement of services) {
        const service = statement.Principal.Service as string;
        expect({ service, account: statement.Condition?.StringEquals?.['aws:SourceAccount'] }).toEqual({ service, account: { Ref: 'AWS::AccountId' } });
        expect({ service, arn: render(statement.Condition?.ArnLike?.['aws:SourceArn']) }).toEqual({ service, arn: sourceArn[service] });
      }
    });

    it('sends approval links to an encrypted approvers topic the configured approvers subscribe to', () => {
      const [keyId] = Object.keys(template.findResources('AWS::KMS::Key', { Properties: { Description: 'Tourniquet status and escalation topics' } }));
      const topics = template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Tourniquet approvals' } }) as Record<string, CfnResource>;
      expect(Object.values(topics).map((t) => t.Properties.KmsMasterKeyId)).toEqual([{ 'Fn::GetAtt': [keyId, 'Arn'] }]);
      const topicId = Object.keys(topics)[0]!;
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'approver@example.com', TopicArn: { Ref: topicId } });
      expect(functionsByHandler(template)['request-approval']!.Properties.Environment.Variables).toMatchObject({
        APPROVERS_TOPIC_ARN: { Ref: topicId },
        APPROVER_EMAILS: 'approver@example.com',
      });
    });

    it('subscribes no email when the config lists none', () => {
      const quiet = templateFor(configWith((raw) => (raw.notifications = { statusEmails: [], escalationEmails: [] })));
      quiet.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 0);
      expect(functionsByHandler(quiet)['request-approval']!.Properties.Environment.Variables.APPROVER_EMAILS).toBe('-');
    });
  });

  it('owns an immediate AppConfig deployment strategy named after the stage', () => {
    template.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', {
      Name: 'Tourniquet-Immediate-prod',
      DeploymentDurationInMinutes: 0,
      GrowthFactor: 100,
      FinalBakeTimeInMinutes: 0,
      ReplicateTo: 'NONE',
    });
  });

  it('outputs the state machine ARN, table name, topic ARNs, the approval endpoint URL and secret ARN, what preflight reads, and the dashboard', () => {
    const outputs = template.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmIntakeTopicArn',
      'ApprovalEndpointUrl',
      'ApprovalSecretArn',
      'ApproversTopicArn',
      'ChatTopicArn',
      'DashboardName',
      'DashboardUrl',
      'DeploymentStrategyId',
      'EscalationTopicArn',
      'IncidentTableName',
      'MitigateRoleArn',
      'StateMachineArn',
      'StatusTopicArn',
    ]);
    expect(render(outputs.ApprovalEndpointUrl!.Value)).toMatch(/^\$\{ApprovalsEndpointFunctionFunctionUrl\w+\.FunctionUrl\}$/);
    expect(render(outputs.ApprovalSecretArn!.Value)).toMatch(/^\$\{ApprovalsSigningSecret\w+\}$/);
    expect(render(outputs.StateMachineArn!.Value)).toMatch(/^\$\{WorkflowStateMachine/);
    expect(render(outputs.IncidentTableName!.Value)).toMatch(/^\$\{IncidentTable/);
  });

  it('is environment-agnostic: account and region are left to deploy time', () => {
    expect(fastStack(sampleConfig()).environment).toBe('aws://unknown-account/unknown-region');
    expect(JSON.stringify(template.toJSON())).toContain('"Ref":"AWS::AccountId"');
  });
});
