import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { READINESS_HANDLER } from '../../../lib/handlers.js';
import { actionsOf, asArray, type CfnResource, configWith, fastStack, functionsByHandler, resourcesFor, sampleConfig, statementsOf, templateFor } from '../support.js';

const logicalIdOf = (template: Template, type: string, match: (r: CfnResource) => boolean = () => true): string => {
  const found = Object.entries(template.findResources(type) as Record<string, CfnResource>).filter(([, r]) => match(r));
  expect(found).toHaveLength(1);
  return found[0]![0];
};

const scheduleOf = (template: Template, fnId: string): CfnResource[] =>
  Object.values(template.findResources('AWS::Events::Rule') as Record<string, CfnResource>).filter(
    (r) => r.Properties.ScheduleExpression && JSON.stringify(r.Properties.Targets).includes(`"${fnId}"`),
  );

describe('ReadinessCheck', () => {
  let template: Template;
  let fnId: string;
  let tableId: string;
  beforeAll(() => {
    template = templateFor(sampleConfig());
    fnId = functionsByHandler(template)[READINESS_HANDLER]!.logicalId;
    tableId = logicalIdOf(template, 'AWS::DynamoDB::Table');
  });

  it('invokes the readiness function from an EventBridge schedule, hourly by default; a failed run waits for the next', () => {
    const schedules = scheduleOf(template, fnId);
    expect(schedules).toHaveLength(1);
    expect(schedules[0]!.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fnId }, MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 3600 });
  });

  it('runs as often as readinessCheckMinutes says', () => {
    const every15 = templateFor(configWith((raw) => (raw.readinessCheckMinutes = 15)));
    const id = functionsByHandler(every15)[READINESS_HANDLER]!.logicalId;
    expect(scheduleOf(every15, id)[0]!.Properties.ScheduleExpression).toBe('rate(15 minutes)');
  });

  it('gives the function the table name, the status topic and the strategy ID, and the config layer', () => {
    const statusTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet status');
    const strategyId = logicalIdOf(template, 'AWS::AppConfig::DeploymentStrategy');
    const fn = functionsByHandler(template)[READINESS_HANDLER]!;
    const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
    const own = Object.fromEntries(Object.entries(variables).filter(([k]) => !k.startsWith('POWERTOOLS_') && k !== 'NODE_OPTIONS'));
    expect(own).toEqual({ TABLE_NAME: { Ref: tableId }, STATUS_TOPIC_ARN: { Ref: statusTopicId }, DEPLOYMENT_STRATEGY_ID: { Ref: strategyId } });
    expect(fn.Properties.Layers).toEqual([{ Ref: logicalIdOf(template, 'AWS::Lambda::LayerVersion') }]);
    expect(fn.Properties.Timeout).toBe(120);
  });

  it('lets the function read what readiness reads, write nothing of the mitigations, and touch only the READINESS# items', () => {
    const s = statementsOf(template, READINESS_HANDLER);
    const actions = actionsOf(s);
    for (const read of [
      'appconfig:GetHostedConfigurationVersion',
      'appconfig:GetDeploymentStrategy',
      'ecs:DescribeServiceRevisions',
      'ecs:DescribeTaskDefinition',
      'route53:ListResourceRecordSets',
      'route53:GetHealthCheckStatus',
      'wafv2:GetWebACL',
      'wafv2:CheckCapacity',
    ]) {
      expect(actions).toContain(read);
    }
    for (const write of [
      'appconfig:StartDeployment',
      'appconfig:CreateHostedConfigurationVersion',
      'appconfig:StopDeployment',
      'ecs:UpdateService',
      'ecs:StopServiceDeployment',
      'route53:ChangeResourceRecordSets',
      'route53:UpdateHealthCheck',
      'wafv2:UpdateWebACL',
    ]) {
      expect(actions).not.toContain(write);
    }
    const strategy = logicalIdOf(template, 'AWS::AppConfig::DeploymentStrategy');
    expect(resourcesFor(s, 'appconfig:GetDeploymentStrategy')).toEqual([`arn:\${AWS::Partition}:appconfig:\${AWS::Region}:\${AWS::AccountId}:deploymentstrategy/\${${strategy}}`]);

    const table = s.filter((st) => asArray(st.Action).some((a) => a.startsWith('dynamodb:')));
    expect(table).toEqual([
      {
        Sid: 'OwnTableItems',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['READINESS#*'] } },
      },
    ]);
  });

  it('lets the function publish to the status topic only, with the topic key', () => {
    const statusTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet status');
    const s = statementsOf(template, READINESS_HANDLER);
    expect(resourcesFor(s, 'sns:Publish')).toEqual([`\${${statusTopicId}}`]);
  });

  it('exports the mitigate role and the strategy ID for tourniquet preflight --stack', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const mitigateRole = functionsByHandler(template)['mitigate']!.Properties.Role;
    expect(outputs['MitigateRoleArn']!.Value).toEqual(mitigateRole);
    expect(outputs['DeploymentStrategyId']!.Value).toEqual({ Ref: logicalIdOf(template, 'AWS::AppConfig::DeploymentStrategy') });
  });

  it('passes cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(fastStack(sampleConfig())).violations).toEqual([]);
  });
});
