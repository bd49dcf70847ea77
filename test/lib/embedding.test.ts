import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';

import { ConfigInvalidError, parseConfig } from '../../lambdas/core/config.js';
import { substituteTokens } from '../../lambdas/runtime/deployed-config.js';
import { SKIP_BUNDLING_CONTEXT } from '../../lib/app.js';
import { resolveTourniquetConfig } from '../../lib/config-props.js';
import { Tourniquet } from '../../lib/tourniquet.js';
import { actionsOf, fastStack, functionsByHandler, resourcesFor, sampleConfig, statementsOf, statementsOfRole } from './support.js';

/**
 * The logical IDs (and types) of the standalone stack's resources and outputs for the sample config,
 * taken from a synth just before its body moved into the `Tourniquet` construct. A resource whose
 * logical ID changes is replaced on the next deploy (the incident table with its data), so none may.
 */
const BEFORE = JSON.parse(readFileSync(new URL('./embedding-logical-ids.json', import.meta.url), 'utf8')) as {
  resources: Record<string, string>;
  outputs: string[];
};

describe('TourniquetStack holds one Tourniquet construct (id Default)', () => {
  const stack = fastStack(sampleConfig());
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string }>; Outputs: Record<string, unknown> };

  it('keeps every logical ID the stack had before the move, with the same type', () => {
    const now = Object.fromEntries(Object.entries(template.Resources).map(([id, r]) => [id, r.Type]));
    expect(Object.keys(BEFORE.resources).length).toBeGreaterThan(100);
    for (const [id, type] of Object.entries(BEFORE.resources)) expect({ id, type: now[id] }).toEqual({ id, type });
    // The ones a replacement would hurt most, by name.
    expect(now.IncidentTable6A6B881D).toBe('AWS::DynamoDB::Table');
    expect(now.WorkflowStateMachine8F1B1C15).toBe('AWS::StepFunctions::StateMachine');
  });

  it('keeps the output names the CLI reads with --stack', () => {
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(BEFORE.outputs));
    expect(BEFORE.outputs).toEqual(expect.arrayContaining(['IncidentTableName', 'StatusTopicArn', 'DeploymentStrategyId', 'MitigateRoleArn']));
  });

  it('re-exposes the construct and its parts on the stack', () => {
    expect(stack.tourniquet.node.id).toBe('Default');
    expect(stack.table).toBe(stack.tourniquet.table);
    expect(stack.functions).toBe(stack.tourniquet.functions);
  });
});

describe('Tourniquet in a team stack, with CDK objects for names and IDs', () => {
  const app = new App({ context: SKIP_BUNDLING_CONTEXT });
  const stack = new Stack(app, 'TeamStack');
  const alarm = new cloudwatch.Alarm(stack, 'Errors', { metric: new cloudwatch.Metric({ namespace: 'Team', metricName: 'Errors' }), threshold: 1, evaluationPeriods: 1 });
  const zone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'example.com' });
  const webAcl = new wafv2.CfnWebACL(stack, 'Acl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'acl', sampledRequestsEnabled: true },
  });
  const tourniquet = new Tourniquet(stack, 'Tourniquet', {
    config: {
      stage: 'team',
      services: [
        {
          name: 'checkout',
          alarms: [alarm],
          resources: {
            route53: { mode: 'health-check', hostedZoneId: zone, recordName: 'api.example.com', primaryHealthCheckId: '11111111-2222-4333-8444-555555555555' },
            waf: { webAcl },
          },
        },
      ],
    },
  });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  tourniquet.grantOperate(operator);
  tourniquet.grantReadIncidents(reader);
  const template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, any> };
  const starter = functionsByHandler(template)['start-execution']!;

  it('filters alarm events by the alarm CloudFormation names, through the token', () => {
    const rules = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern);
    expect(rules.map((r) => r.Properties.EventPattern.detail.alarmName)).toEqual([[{ Ref: stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm) }]]);
  });

  it('writes placeholders into the config layer and gives the functions their deployed values', () => {
    // The construct's config holds the tokens themselves; what the layer gets has a placeholder for each.
    const { deployed, tokens } = resolveTourniquetConfig(tourniquet.config, 'again');
    expect(deployed.services[0]!.alarms[0]!.name).toBe('tourniquet-token-1-x');
    expect(tokens['tourniquet-token-1-x']).toBe(tourniquet.config.services[0]!.alarms[0]!.name);
    expect(stack.resolve(tourniquet.config.services[0]!.alarms[0]!.name)).toEqual({ Ref: stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm) });
    const variable = stack.resolve(starter.Properties.Environment.Variables.TOURNIQUET_CONFIG_TOKENS);
    expect(JSON.stringify(variable)).toContain(stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm));
    expect(JSON.stringify(variable)).toContain(stack.getLogicalId(zone.node.defaultChild as route53.CfnHostedZone));
    expect(JSON.stringify(variable)).toContain(stack.getLogicalId(webAcl));
  });

  it('lets a function parse its config once the deployed values are substituted', () => {
    const resolved = resolveTourniquetConfig(
      {
        services: [
          {
            name: 'checkout',
            alarms: [alarm],
            resources: {
              route53: { mode: 'health-check', hostedZoneId: zone, recordName: 'a.example.com', primaryHealthCheckId: '11111111-2222-4333-8444-555555555555' },
              waf: { webAcl },
            },
          },
        ],
      },
      'test',
    );
    const placeholders = Object.keys(resolved.tokens);
    expect(placeholders).toHaveLength(4); // alarm name, zone ID, web ACL name and ID
    // What CloudFormation would put in the variable at deploy time.
    const deployedValues = ['TeamStack-Errors-1A2B3C', 'Z0123456789ABC', 'TeamStack-Acl-X', 'a1b2c3d4-5678-90ab-cdef-111111111111'];
    const variable = JSON.stringify(Object.fromEntries(placeholders.map((p, i) => [p, deployedValues[i]])));
    const config = parseConfig(substituteTokens(JSON.stringify(resolved.deployed), variable), 'layer');
    expect(config.services[0]!.alarms[0]!.name).toBe('TeamStack-Errors-1A2B3C');
    expect(config.services[0]!.resources.route53).toMatchObject({ hostedZoneId: 'Z0123456789ABC' });
    expect(config.services[0]!.resources.waf).toMatchObject({ webAclName: 'TeamStack-Acl-X', webAclId: 'a1b2c3d4-5678-90ab-cdef-111111111111', scope: 'REGIONAL' });
  });

  it('grants the failover role change access to that zone, by its token', () => {
    const statements = JSON.stringify(statementsOf(template, 'mitigate'));
    expect(statements).toContain(stack.getLogicalId(zone.node.defaultChild as route53.CfnHostedZone));
  });

  it('refuses a bad config at construct time, listing every problem', () => {
    const other = new Stack(new App(), 'Other');
    expect(() => new Tourniquet(other, 'T', { config: { stage: 'Bad Stage', services: [{ name: 'x', alarms: [] }] } })).toThrow(ConfigInvalidError);
    try {
      new Tourniquet(other, 'T2', { config: { stage: 'Bad Stage', services: [{ name: 'x', alarms: [] }] } });
    } catch (error) {
      expect((error as ConfigInvalidError).problems.map((p) => p.path)).toEqual(['stage', 'services[0].alarms']);
      expect((error as Error).message).toMatch(/^Other\/T2 \(Tourniquet config\): 2 problem\(s\)/);
    }
  });

  it('grants the CLI what its commands call, on this install only', () => {
    const t = template;
    const actionsOfRole = (role: iam.Role) => actionsOf(statementsOfRole(t, stack.getLogicalId(role.node.defaultChild as iam.CfnRole))).sort();
    expect(actionsOfRole(reader)).toEqual(['cloudformation:DescribeStacks', 'dynamodb:GetItem', 'dynamodb:Query']);
    expect(actionsOfRole(operator)).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue', 'sns:Publish', 'states:SendTaskSuccess', 'kms:GenerateDataKey*']),
    );
    expect(actionsOfRole(operator)).not.toContain('dynamodb:Scan');
    const tableId = stack.getLogicalId(tourniquet.table.table.node.defaultChild as dynamodb.CfnTable);
    expect(resourcesFor(statementsOfRole(t, stack.getLogicalId(reader.node.defaultChild as iam.CfnRole)), 'dynamodb:Query').sort()).toEqual([
      `\${${tableId}.Arn}`,
      `\${${tableId}.Arn}/index/gsi1`,
    ]);
  });
});
