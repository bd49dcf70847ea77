import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { INCIDENT_STORE_ACTIONS } from '../../lib/constructs/incident-table.js';
import { HANDLER_NAMES } from '../../lib/handlers.js';
import {
  type CfnResource,
  ROOT,
  actionsOf,
  asArray,
  configWith,
  functionsByHandler,
  render,
  resourcesFor,
  sampleConfig,
  statementsOf,
  templateFor,
} from './support.js';

const ARN = (service: string, rest: string) => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${rest}`;
const ENV = ARN('appconfig', 'application/chk4app/environment/prd5env');
const PROFILE = ARN('appconfig', 'application/chk4app/configurationprofile/flg6prf');
const ALARMS = [ARN('cloudwatch', 'alarm:checkout-5xx-rate'), ARN('cloudwatch', 'alarm:checkout-p99-latency')];
/** Symptom alarms are readable (triage consults them) but never start a workflow. */
const SYMPTOM_ALARMS = [ARN('cloudwatch', 'alarm:recommendations-api-errors')];

describe('IAM generated from the config', () => {
  let template: Template;
  beforeAll(() => {
    template = templateFor(sampleConfig());
  });

  it('never grants a service-wide action or an appconfig/ecs/cloudwatch/dynamodb action on "*"', () => {
    for (const handler of HANDLER_NAMES) {
      for (const statement of statementsOf(template, handler)) {
        const actions = asArray(statement.Action);
        expect(actions.filter((a) => a.endsWith(':*'))).toEqual([]);
        if (actions.some((a) => /^(appconfig|ecs|cloudwatch|dynamodb|sns|states):/.test(a))) {
          expect({ handler, actions, resources: asArray(statement.Resource) }).not.toMatchObject({ resources: expect.arrayContaining(['*']) });
        }
      }
    }
  });

  it('lets triage read exactly the configured AppConfig environment and profile', () => {
    const s = statementsOf(template, 'triage');
    expect(resourcesFor(s, 'appconfig:ListDeployments')).toEqual([ENV]);
    expect(resourcesFor(s, 'appconfig:GetDeployment')).toEqual([`${ENV}/deployment/*`]);
    expect(resourcesFor(s, 'appconfig:ListHostedConfigurationVersions')).toEqual([PROFILE]);
    expect(resourcesFor(s, 'appconfig:GetHostedConfigurationVersion')).toEqual([`${PROFILE}/hostedconfigurationversion/*`]);
    expect(actionsOf(s)).not.toContain('appconfig:StartDeployment');
    expect(actionsOf(s)).not.toContain('appconfig:CreateHostedConfigurationVersion');
  });

  it('lets triage describe exactly the configured ECS service and its deployments', () => {
    const s = statementsOf(template, 'triage');
    const service = ARN('ecs', 'service/shop-prod/checkout');
    expect(resourcesFor(s, 'ecs:DescribeServices')).toEqual([service]);
    expect(resourcesFor(s, 'ecs:ListServiceDeployments')).toEqual([service]);
    expect(resourcesFor(s, 'ecs:DescribeServiceDeployments')).toEqual([ARN('ecs', 'service-deployment/shop-prod/checkout/*')]);
    expect(actionsOf(s).filter((a) => a.startsWith('ecs:')).sort()).toEqual([
      'ecs:DescribeServiceDeployments',
      'ecs:DescribeServices',
      'ecs:ListServiceDeployments',
    ]);
  });

  it('lets triage and verify describe only the configured alarms', () => {
    for (const handler of ['triage', 'verify']) {
      expect(resourcesFor(statementsOf(template, handler), 'cloudwatch:DescribeAlarms')).toEqual([...ALARMS, ...SYMPTOM_ALARMS]);
    }
  });

  it('lets mitigate write a new flag version and deploy it only with the stack strategy', () => {
    const s = statementsOf(template, 'mitigate');
    const strategyId = Object.keys(template.findResources('AWS::AppConfig::DeploymentStrategy'))[0]!;
    expect(resourcesFor(s, 'appconfig:CreateHostedConfigurationVersion')).toEqual([PROFILE]);
    expect(resourcesFor(s, 'appconfig:StartDeployment').sort()).toEqual(
      [ARN('appconfig', 'application/chk4app'), ENV, PROFILE, ARN('appconfig', `deploymentstrategy/\${${strategyId}}`)].sort(),
    );
    expect(resourcesFor(s, 'appconfig:GetDeployment')).toEqual([`${ENV}/deployment/*`]);
    expect(actionsOf(s).filter((a) => /^(ecs|cloudwatch|sns):/.test(a))).toEqual([]);
  });

  it('gives AWS-service actions only to the steps that call them', () => {
    const services = (handler: string) =>
      [...new Set(actionsOf(statementsOf(template, handler)).map((a) => a.split(':')[0]))].filter((p) => !['logs', 'xray'].includes(p!)).sort();
    expect(services('open-incident')).toEqual(['dynamodb']);
    expect(services('decide')).toEqual(['dynamodb']);
    expect(services('notify')).toEqual(['dynamodb', 'kms', 'sns']);
    expect(services('close-incident')).toEqual(['dynamodb', 'kms', 'sns']);
    expect(services('escalate')).toEqual(['dynamodb', 'kms', 'sns']);
    expect(services('verify')).toEqual(['cloudwatch', 'dynamodb']);
    expect(services('triage')).toEqual(['appconfig', 'cloudwatch', 'dynamodb', 'ecs']);
    expect(services('mitigate')).toEqual(['appconfig', 'dynamodb']);
    expect(services('start-execution')).toEqual(['kms', 'sns', 'sqs', 'states']);
  });

  it('scopes topic publishing: notify/close to status, escalate to both, the starter to escalation', () => {
    const topics = template.findResources('AWS::SNS::Topic') as Record<string, CfnResource>;
    const idOf = (displayName: string) => Object.entries(topics).find(([, t]) => t.Properties.DisplayName === displayName)![0];
    const status = `\${${idOf('Tourniquet status')}}`;
    const escalation = `\${${idOf('Tourniquet escalation')}}`;
    expect(resourcesFor(statementsOf(template, 'notify'), 'sns:Publish')).toEqual([status]);
    expect(resourcesFor(statementsOf(template, 'close-incident'), 'sns:Publish')).toEqual([status]);
    expect(resourcesFor(statementsOf(template, 'escalate'), 'sns:Publish').sort()).toEqual([escalation, status].sort());
    expect(resourcesFor(statementsOf(template, 'start-execution'), 'sns:Publish')).toEqual([escalation]);
  });

  it('lets the starter start executions of the incident state machine only', () => {
    const machineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    expect(resourcesFor(statementsOf(template, 'start-execution'), 'states:StartExecution')).toEqual([`\${${machineId}}`]);
  });

  it('writes logs only to the function own log group', () => {
    for (const [handler, fn] of Object.entries(functionsByHandler(template))) {
      expect({ handler, resources: resourcesFor(statementsOf(template, handler), 'logs:PutLogEvents') }).toEqual({
        handler,
        resources: [`\${${fn.Properties.LoggingConfig.LogGroup.Ref}.Arn}`],
      });
    }
  });

  it('grants the table actions the incident store uses, on the table and its index, and nothing broader', () => {
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
    const s = statementsOf(template, 'open-incident');
    expect(actionsOf(s).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([...INCIDENT_STORE_ACTIONS].sort());
    expect(resourcesFor(s, 'dynamodb:Query')).toEqual([`\${${tableId}.Arn}`, `\${${tableId}.Arn}/index/*`]);
  });

  it('keeps the granted table actions in step with the commands the incident store sends', () => {
    // TransactWriteItems has no IAM action of its own: each contained write is authorized separately.
    const needed: Record<string, string[]> = {
      GetCommand: ['dynamodb:GetItem'],
      PutCommand: ['dynamodb:PutItem'],
      UpdateCommand: ['dynamodb:UpdateItem'],
      DeleteCommand: ['dynamodb:DeleteItem'],
      QueryCommand: ['dynamodb:Query'],
      TransactWriteCommand: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
    };
    const source = readFileSync(path.join(ROOT, 'lambdas/store/incident-store.ts'), 'utf8');
    const commands = [...new Set(source.match(/\b[A-Z][A-Za-z]+Command\b/g) ?? [])];
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      expect({ command, known: command in needed }).toEqual({ command, known: true });
      for (const action of needed[command]!) expect(INCIDENT_STORE_ACTIONS).toContain(action);
    }
  });

  it('gives a config without ECS no ECS actions at all', () => {
    const noEcs = templateFor(configWith((raw) => delete raw.services[0].resources.ecs));
    for (const handler of HANDLER_NAMES) {
      expect(actionsOf(statementsOf(noEcs, handler)).filter((a) => a.startsWith('ecs:'))).toEqual([]);
    }
  });

  it('gives a config without feature flags no AppConfig actions at all', () => {
    const noFlags = templateFor(configWith((raw) => delete raw.services[0].resources.featureFlags));
    for (const handler of HANDLER_NAMES) {
      expect(actionsOf(statementsOf(noFlags, handler)).filter((a) => a.startsWith('appconfig:'))).toEqual([]);
    }
  });

  it('withholds the write actions from mitigate in a dry run', () => {
    const dry = templateFor(configWith((raw) => (raw.dryRun = true)));
    const actions = actionsOf(statementsOf(dry, 'mitigate'));
    expect(actions).toContain('appconfig:GetHostedConfigurationVersion');
    expect(actions).not.toContain('appconfig:StartDeployment');
    expect(actions).not.toContain('appconfig:CreateHostedConfigurationVersion');
  });

  it('covers every configured service and deduplicates shared AppConfig resources', () => {
    const two = templateFor(
      configWith((raw) => {
        raw.services.push({
          name: 'search',
          alarms: [{ name: 'search-errors' }],
          resources: {
            featureFlags: { ...raw.services[0].resources.featureFlags, killSwitchFlags: ['fuzzy'], degradeFlags: [] },
            ecs: { cluster: 'shop-prod', service: 'search' },
          },
        });
      }),
    );
    const s = statementsOf(two, 'triage');
    expect(resourcesFor(s, 'appconfig:ListDeployments')).toEqual([ENV]);
    expect(resourcesFor(s, 'ecs:DescribeServices')).toEqual([ARN('ecs', 'service/shop-prod/checkout'), ARN('ecs', 'service/shop-prod/search')]);
    expect(resourcesFor(s, 'cloudwatch:DescribeAlarms')).toEqual([...ALARMS, ARN('cloudwatch', 'alarm:search-errors'), ...SYMPTOM_ALARMS]);
  });

  it('lets CloudWatch alarms of this account only publish to the intake topic and use its key', () => {
    const intake = Object.values(template.findResources('AWS::SNS::TopicPolicy') as Record<string, CfnResource>)
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Principal?: { Service?: string }; Condition?: Record<string, any> }[])
      .filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    const keyStatements = Object.values(template.findResources('AWS::KMS::Key') as Record<string, CfnResource>)
      .flatMap((k) => k.Properties.KeyPolicy.Statement as { Principal?: { Service?: string }; Condition?: Record<string, any> }[])
      .filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    // Intake topic (alarm actions) and escalation topic (the intake dead-letter alarm).
    expect(intake).toHaveLength(2);
    expect(keyStatements).toHaveLength(2);
    for (const statement of [...intake, ...keyStatements]) {
      expect(statement.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(render(statement.Condition?.ArnLike['aws:SourceArn'])).toBe(ARN('cloudwatch', 'alarm:*'));
    }
  });
});
