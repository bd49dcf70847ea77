import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';

import { WORKFLOW_TABLE_ACTIONS } from '../../lib/constructs/incident-functions.js';
import { INCIDENT_STORE_ACTIONS } from '../../lib/constructs/incident-table.js';
import { HANDLER_NAMES, WORKFLOW_HANDLERS } from '../../lib/handlers.js';
import { normalizedRecordName } from '../../lib/permissions.js';
import { actionsOf, asArray, type CfnResource, configWith, functionsByHandler, render, resourcesFor, ROOT, sampleConfig, statementsOf, templateFor } from './support.js';

/** A handler's source with the operations it runs (lambdas/operations/*.ts it imports, and theirs): where its store calls are. */
function handlerSource(handler: string): string {
  const files = new Set<string>([path.join(ROOT, `lambdas/handlers/${handler}.ts`)]);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [, name] of text.matchAll(/from '(?:\.\.\/operations|\.)\/(\w[\w-]*)\.js'/g)) {
      const operation = path.join(ROOT, 'lambdas/operations', `${name}.ts`);
      if ((file.includes('/operations/') || text.includes(`../operations/${name}.js`)) && existsSync(operation)) files.add(operation);
    }
  }
  return [...files].map((f) => readFileSync(f, 'utf8')).join('\n');
}

const ARN = (service: string, rest: string) => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${rest}`;
const ENV = ARN('appconfig', 'application/chk4app/environment/prd5env');
const PROFILE = ARN('appconfig', 'application/chk4app/configurationprofile/flg6prf');
const ALARMS = [ARN('cloudwatch', 'alarm:checkout-5xx-rate'), ARN('cloudwatch', 'alarm:checkout-p99-latency')];
/** Symptom alarms are readable (triage consults them) but never start a workflow. */
const SYMPTOM_ALARMS = sampleConfig().services.flatMap((s) =>
  Object.values(s.symptomAlarms)
    .flat()
    .map((name) => ARN('cloudwatch', `alarm:${name}`)),
);

describe('IAM generated from the config', () => {
  let template: Template;
  beforeAll(() => {
    template = templateFor(sampleConfig());
  });

  it('never grants a service-wide action or an action of a service Tourniquet touches on "*"', () => {
    for (const handler of HANDLER_NAMES) {
      for (const statement of statementsOf(template, handler)) {
        const actions = asArray(statement.Action);
        expect(actions.filter((a) => a.endsWith(':*'))).toEqual([]);
        // Read-only actions AWS authorizes on "*" only stand alone in their statement, so "*" covers nothing else.
        if (actions.every((a) => RESOURCELESS_READS.includes(a))) continue;
        if (actions.some((a) => /^(appconfig|ecs|route53|wafv2|cloudwatch|dynamodb|sns|states|secretsmanager|iam):/.test(a))) {
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
    expect(
      actionsOf(s)
        .filter((a) => a.startsWith('ecs:'))
        .sort(),
    ).toEqual(['ecs:DescribeServiceDeployments', 'ecs:DescribeServices', 'ecs:ListServiceDeployments']);
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
    expect(actionsOf(s).filter((a) => /^(cloudwatch|sns|iam):/.test(a))).toEqual([]);
  });

  it('gives AWS-service actions only to the steps that call them', () => {
    const services = (handler: string) => [...new Set(actionsOf(statementsOf(template, handler)).map((a) => a.split(':')[0]))].filter((p) => !['logs', 'xray'].includes(p!)).sort();
    expect(services('open-incident')).toEqual(['dynamodb']);
    expect(services('decide')).toEqual(['dynamodb']);
    expect(services('notify')).toEqual(['dynamodb', 'kms', 'sns']);
    expect(services('close-incident')).toEqual(['dynamodb']);
    expect(services('escalate')).toEqual(['dynamodb', 'kms', 'sns']);
    expect(services('verify')).toEqual(['cloudwatch', 'dynamodb', 'ecs']);
    expect(services('triage')).toEqual(['appconfig', 'cloudwatch', 'dynamodb', 'ecs']);
    expect(services('mitigate')).toEqual(['appconfig', 'dynamodb', 'ecs', 'route53', 'wafv2']);
    expect(services('start-execution')).toEqual(['dynamodb', 'kms', 'sns', 'sqs', 'states']);
    expect(services('request-approval')).toEqual(['dynamodb', 'kms', 'secretsmanager', 'sns']);
    expect(services('approval-endpoint')).toEqual(['dynamodb', 'secretsmanager', 'states']);
  });

  it('scopes topic publishing: notify to status, escalate to both, the starter to escalation, close to none; chat copies from the notifiers only', () => {
    const topics = template.findResources('AWS::SNS::Topic') as Record<string, CfnResource>;
    const idOf = (displayName: string) => Object.entries(topics).find(([, t]) => t.Properties.DisplayName === displayName)![0];
    const status = `\${${idOf('Tourniquet status')}}`;
    const escalation = `\${${idOf('Tourniquet escalation')}}`;
    const chat = `\${${idOf('Tourniquet chat')}}`;
    expect(resourcesFor(statementsOf(template, 'notify'), 'sns:Publish').sort()).toEqual([chat, status].sort());
    expect(resourcesFor(statementsOf(template, 'close-incident'), 'sns:Publish')).toEqual([]);
    expect(resourcesFor(statementsOf(template, 'escalate'), 'sns:Publish').sort()).toEqual([chat, escalation, status].sort());
    expect(resourcesFor(statementsOf(template, 'start-execution'), 'sns:Publish').sort()).toEqual([chat, escalation].sort());
    const approvers = `\${${idOf('Tourniquet approvals')}}`;
    expect(resourcesFor(statementsOf(template, 'request-approval'), 'sns:Publish').sort()).toEqual([approvers, chat, escalation, status].sort());
    // Readiness notices stay on the status topic: the chat topic gets incident updates and pages only.
    expect(resourcesFor(statementsOf(template, 'readiness'), 'sns:Publish')).toEqual([status]);
    for (const handler of HANDLER_NAMES.filter((h) => h !== 'request-approval')) {
      expect({ handler, approvers: resourcesFor(statementsOf(template, handler), 'sns:Publish').includes(approvers) }).toEqual({ handler, approvers: false });
    }
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

  it('grants each workflow step only the table actions its store calls send, on the base table only', () => {
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
    for (const handler of WORKFLOW_HANDLERS) {
      const s = statementsOf(template, handler).filter((st) => asArray(st.Action).some((a) => a.startsWith('dynamodb:')));
      const unconditioned = s.filter((st) => st.Condition === undefined);
      expect({ handler, actions: actionsOf(unconditioned).sort() }).toEqual({ handler, actions: [...WORKFLOW_TABLE_ACTIONS[handler]].sort() });
      expect({ handler, resources: [...new Set(s.flatMap((st) => asArray(st.Resource).map(render)))] }).toEqual({ handler, resources: [`\${${tableId}.Arn}`] });
    }
  });

  it('lets no workflow step delete anything (the mutation lock is released by an update that expires it)', () => {
    for (const handler of WORKFLOW_HANDLERS) {
      const deletes = statementsOf(template, handler).filter((st) => asArray(st.Action).some((a) => a === 'dynamodb:DeleteItem' || a === 'dynamodb:*'));
      expect({ handler, deletes }).toEqual({ handler, deletes: [] });
    }
  });

  it('keeps each workflow step table grant in step with the store methods its handler declares and calls', () => {
    const storeSource = readFileSync(path.join(ROOT, 'lambdas/store/incident-store.ts'), 'utf8');
    const methods = new Map<string, string>();
    const starts = [...storeSource.matchAll(/^ {2}(?:private |public )?(?:async )?(\w+)(?:<[^>]*>)?\(/gm)];
    starts.forEach((m, i) => methods.set(m[1]!, storeSource.slice(m.index, starts[i + 1]?.index ?? storeSource.length)));
    const DIRECT: Record<string, string> = {
      GetCommand: 'dynamodb:GetItem',
      QueryCommand: 'dynamodb:Query',
      PutCommand: 'dynamodb:PutItem',
      UpdateCommand: 'dynamodb:UpdateItem',
      DeleteCommand: 'dynamodb:DeleteItem',
      'Put:': 'dynamodb:PutItem',
      'Update:': 'dynamodb:UpdateItem',
      'Delete:': 'dynamodb:DeleteItem',
      'ConditionCheck:': 'dynamodb:ConditionCheckItem',
      IndexName: 'index',
    };
    const memo = new Map<string, Set<string>>();
    const actionsOfMethod = (name: string, seen = new Set<string>()): Set<string> => {
      if (memo.has(name)) return memo.get(name)!;
      const body = methods.get(name) ?? '';
      const out = new Set(
        Object.entries(DIRECT)
          .filter(([k]) => body.includes(k))
          .map(([, v]) => v),
      );
      for (const [, callee] of body.matchAll(/this\.(\w+)\(/g)) {
        if (callee === name || seen.has(callee!) || !methods.has(callee!)) continue;
        for (const a of actionsOfMethod(callee!, new Set([...seen, name]))) out.add(a);
      }
      memo.set(name, out);
      return out;
    };
    for (const handler of WORKFLOW_HANDLERS.filter((h) => h !== 'request-approval')) {
      const source = handlerSource(handler);
      const declared = [...source.matchAll(/Pick<IncidentStore,([^>]*)>/g)].flatMap((m) => [...m[1]!.matchAll(/'(\w+)'/g)].map((n) => n[1]!));
      const called = [...source.matchAll(/\bstore\.(\w+)\(/g)].map((m) => m[1]!);
      const used = [...new Set([...declared, ...called])].filter((m) => methods.has(m));
      expect(used.length).toBeGreaterThan(0);
      const granted = new Set<string>(WORKFLOW_TABLE_ACTIONS[handler]);
      // Other store modules the handler builds (pause switch, brake): every command they send.
      for (const [, module] of source.matchAll(/from '\.\.\/store\/(\w[\w-]*)\.js'/g)) {
        if (['incident-store', 'errors', 'keys', 'records', 'table'].includes(module!)) continue;
        const other = readFileSync(path.join(ROOT, `lambdas/store/${module}.ts`), 'utf8');
        for (const [k, action] of Object.entries(DIRECT)) {
          if (other.includes(k)) expect({ handler, module, action, granted: granted.has(action) }).toEqual({ handler, module, action, granted: true });
        }
      }
      for (const method of used) {
        for (const action of actionsOfMethod(method)) {
          const ok = granted.has(action);
          expect({ handler, method, action, ok }).toEqual({ handler, method, action, ok: true });
        }
      }
    }
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

  it('withholds every write action from mitigate in a dry run, and keeps the reads its previews need', () => {
    const dry = templateFor(
      configWith((raw) => {
        raw.dryRun = true;
        raw.services.push({ name: 'search', alarms: [{ name: 'search-errors' }], resources: { route53: HEALTH_CHECK } });
      }),
    );
    const actions = actionsOf(statementsOf(dry, 'mitigate'));
    expect(actions.filter((a) => !READ_ONLY.test(a) && !a.startsWith('dynamodb:') && !a.startsWith('logs:') && !a.startsWith('xray:'))).toEqual([]);
    for (const write of MITIGATION_WRITES) expect(actions).not.toContain(write);
    expect(actions).toEqual(
      expect.arrayContaining([
        'appconfig:GetHostedConfigurationVersion',
        'ecs:DescribeServices',
        'ecs:ListServiceDeployments',
        'ecs:DescribeServiceDeployments',
        'ecs:DescribeServiceRevisions',
        'route53:ListResourceRecordSets',
        'route53:GetHealthCheck',
        'wafv2:GetWebACL',
      ]),
    );
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

/** Every write action an ECS, Route 53, WAF or flag mitigation needs. */
const MITIGATION_WRITES = [
  'appconfig:StartDeployment',
  'appconfig:CreateHostedConfigurationVersion',
  'ecs:UpdateService',
  'ecs:StopServiceDeployment',
  'route53:ChangeResourceRecordSets',
  'route53:UpdateHealthCheck',
  'wafv2:UpdateWebACL',
  'wafv2:UpdateIPSet',
];
const READ_ONLY = /^[a-z0-9]+:(Get|List|Describe|Check)/;
/** Read-only actions with no resource-level permission (Service Authorization Reference): granted on "*", each alone. */
const RESOURCELESS_READS = ['ecs:DescribeTaskDefinition', 'wafv2:CheckCapacity', 'cloudwatch:GetMetricData'];
const HEALTH_CHECK = {
  mode: 'health-check',
  hostedZoneId: 'Z0SEARCH0EXAMPLE',
  recordName: 'search.shop.example.com',
  primaryHealthCheckId: '3f2c6b1e-1111-4222-8333-944455556666',
};
const ZONE = 'arn:${AWS::Partition}:route53:::hostedzone/Z0SHOP0EXAMPLE';
const WEB_ACL = ARN('wafv2', 'regional/webacl/shop-prod/a1b2c3d4-5678-90ab-cdef-111111111111');

describe('IAM for the mitigation catalogue (sample config: flags, ECS, weighted Route 53, regional WAF)', () => {
  let template: Template;
  beforeAll(() => {
    template = templateFor(sampleConfig());
  });

  it('lets mitigate roll back and scale exactly the configured ECS service', () => {
    const s = statementsOf(template, 'mitigate');
    const service = ARN('ecs', 'service/shop-prod/checkout');
    expect(resourcesFor(s, 'ecs:UpdateService')).toEqual([service]);
    expect(resourcesFor(s, 'ecs:StopServiceDeployment')).toEqual([ARN('ecs', 'service-deployment/shop-prod/checkout/*')]);
    expect(resourcesFor(s, 'ecs:DescribeServices')).toEqual([service]);
    expect(resourcesFor(s, 'ecs:ListServiceDeployments')).toEqual([service]);
    expect(resourcesFor(s, 'ecs:DescribeServiceDeployments')).toEqual([ARN('ecs', 'service-deployment/shop-prod/checkout/*')]);
    expect(resourcesFor(s, 'ecs:DescribeServiceRevisions')).toEqual([ARN('ecs', 'service-revision/shop-prod/checkout/*')]);
    // UpdateService only ever changes the task definition or the desired count: no role is passed.
    expect(actionsOf(s).filter((a) => a.startsWith('iam:'))).toEqual([]);
  });

  it('lets verify describe the configured ECS service (steady state), and nothing else of ECS', () => {
    const s = statementsOf(template, 'verify');
    expect(actionsOf(s).filter((a) => a.startsWith('ecs:'))).toEqual(['ecs:DescribeServices']);
    expect(resourcesFor(s, 'ecs:DescribeServices')).toEqual([ARN('ecs', 'service/shop-prod/checkout')]);
  });

  it('lets mitigate UPSERT only the configured weighted record, by name and type, in the configured zone', () => {
    const s = statementsOf(template, 'mitigate');
    const change = s.filter((st) => asArray(st.Action).includes('route53:ChangeResourceRecordSets'));
    expect(change).toHaveLength(1);
    expect(render(change[0]!.Resource)).toBe(ZONE);
    expect(change[0]!.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['checkout.shop.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
    expect(resourcesFor(s, 'route53:ListResourceRecordSets')).toEqual([ZONE]);
    expect(resourcesFor(s, 'route53:GetChange')).toEqual(['arn:${AWS::Partition}:route53:::change/*']);
    // Weighted mode never touches a health check; it only reads the status of the secondary record's (readiness, preview).
    expect(actionsOf(s).filter((a) => /HealthCheck/.test(a))).toEqual(['route53:GetHealthCheckStatus']);
    expect(resourcesFor(s, 'route53:GetHealthCheckStatus')).toEqual(['arn:${AWS::Partition}:route53:::healthcheck/*']);
  });

  it('lets mitigate read and update only the configured web ACL, plus what UpdateWebACL authorizes for its references', () => {
    const s = statementsOf(template, 'mitigate');
    expect(resourcesFor(s, 'wafv2:GetWebACL')).toEqual([WEB_ACL]);
    const update = s.filter((st) => asArray(st.Action).includes('wafv2:UpdateWebACL'));
    expect(update.map((st) => st.Sid)).toEqual(['WafUpdateWebAcl', 'WafKeepWebAclReferences']);
    expect(asArray(update[0]!.Resource).map(render)).toEqual([WEB_ACL]);
    expect(asArray(update[1]!.Resource).map(render)).toEqual([
      ARN('wafv2', 'regional/ipset/*'),
      ARN('wafv2', 'regional/regexpatternset/*'),
      'arn:${AWS::Partition}:wafv2:${AWS::Region}:*:regional/rulegroup/*',
      'arn:${AWS::Partition}:wafv2:${AWS::Region}:*:regional/managedruleset/*',
    ]);
    // No IP set configured: no IP set actions.
    expect(actionsOf(s).filter((a) => /IPSet/.test(a))).toEqual([]);
  });

  it('gives only mitigate the Route 53 and WAF actions (readiness their reads), and only mitigate the ECS write actions', () => {
    for (const handler of HANDLER_NAMES.filter((h) => h !== 'mitigate')) {
      const actions = actionsOf(statementsOf(template, handler));
      // The scheduled readiness check reads what the mitigations' readiness reads, and writes none of it.
      const forbidden = (a: string) => (handler === 'readiness' ? !READ_ONLY.test(a) && /^(route53|wafv2):/.test(a) : /^(route53|wafv2):/.test(a)) || MITIGATION_WRITES.includes(a);
      expect({ handler, actions: actions.filter(forbidden) }).toEqual({ handler, actions: [] });
    }
  });
});

describe('IAM for the mitigation catalogue, per configured kind', () => {
  const mitigateActions = (t: Template) => actionsOf(statementsOf(t, 'mitigate'));

  it('grants no Route 53 action without resources.route53, and no WAF action without resources.waf', () => {
    const bare = templateFor(
      configWith((raw) => {
        delete raw.services[0].resources.route53;
        delete raw.services[0].resources.waf;
      }),
    );
    for (const handler of HANDLER_NAMES) {
      expect(actionsOf(statementsOf(bare, handler)).filter((a) => /^(route53|wafv2):/.test(a))).toEqual([]);
    }
    expect(mitigateActions(bare)).toContain('ecs:UpdateService');
  });

  it('in health-check mode, lets mitigate read and update exactly the configured health check and change no record', () => {
    const t = templateFor(configWith((raw) => (raw.services[0].resources.route53 = HEALTH_CHECK)));
    const s = statementsOf(t, 'mitigate');
    const check = 'arn:${AWS::Partition}:route53:::healthcheck/3f2c6b1e-1111-4222-8333-944455556666';
    expect(resourcesFor(s, 'route53:GetHealthCheck')).toEqual([check]);
    expect(resourcesFor(s, 'route53:UpdateHealthCheck')).toEqual([check]);
    expect(resourcesFor(s, 'route53:ListResourceRecordSets')).toEqual(['arn:${AWS::Partition}:route53:::hostedzone/Z0SEARCH0EXAMPLE']);
    expect(mitigateActions(t)).not.toContain('route53:ChangeResourceRecordSets');
    expect(mitigateActions(t)).not.toContain('route53:GetChange');
  });

  it('scopes a CLOUDFRONT web ACL to us-east-1 and the global scope', () => {
    const t = templateFor(
      configWith(
        (raw) =>
          (raw.services[0].resources.waf = {
            webAclName: 'shop-edge',
            webAclId: 'e1e2e3e4-0000-4000-8000-000000000002',
            scope: 'CLOUDFRONT',
          }),
      ),
    );
    const s = statementsOf(t, 'mitigate');
    const global = (rest: string) => `arn:\${AWS::Partition}:wafv2:us-east-1:\${AWS::AccountId}:global/${rest}`;
    expect(resourcesFor(s, 'wafv2:GetWebACL')).toEqual([global('webacl/shop-edge/e1e2e3e4-0000-4000-8000-000000000002')]);
    expect(actionsOf(s)).not.toContain('wafv2:UpdateIPSet');
    expect(resourcesFor(s, 'wafv2:UpdateWebACL')).toEqual([
      global('webacl/shop-edge/e1e2e3e4-0000-4000-8000-000000000002'),
      global('ipset/*'),
      global('regexpatternset/*'),
      'arn:${AWS::Partition}:wafv2:us-east-1:*:global/rulegroup/*',
      'arn:${AWS::Partition}:wafv2:us-east-1:*:global/managedruleset/*',
    ]);
    expect(JSON.stringify(s)).not.toContain(':regional/');
  });

  it('covers every configured service: one UPSERT statement per weighted record, deduplicated zones and ECS services', () => {
    const t = templateFor(
      configWith((raw) => {
        raw.services.push({
          name: 'search',
          alarms: [{ name: 'search-errors' }],
          resources: {
            ecs: { cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-prod', service: 'search' },
            route53: { ...raw.services[0].resources.route53, recordName: 'Search.Shop.Example.com.', recordType: 'AAAA' },
          },
        });
      }),
    );
    const s = statementsOf(t, 'mitigate');
    expect(resourcesFor(s, 'ecs:UpdateService')).toEqual([ARN('ecs', 'service/shop-prod/checkout'), ARN('ecs', 'service/shop-prod/search')]);
    expect(resourcesFor(s, 'route53:ListResourceRecordSets')).toEqual([ZONE]);
    const upserts = s.filter((st) => asArray(st.Action).includes('route53:ChangeResourceRecordSets'));
    expect(upserts.map((st) => st.Condition?.['ForAllValues:StringEquals'])).toEqual([
      expect.objectContaining({ 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['checkout.shop.example.com'], 'route53:ChangeResourceRecordSetsRecordTypes': ['A'] }),
      expect.objectContaining({ 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['search.shop.example.com'], 'route53:ChangeResourceRecordSetsRecordTypes': ['AAAA'] }),
    ]);
    expect(new Set(upserts.map((st) => st.Sid)).size).toBe(2);
  });
});

describe('normalizedRecordName', () => {
  it('lower-cases, drops the trailing dot and escapes other characters as three-digit octal, as Route 53 documents', () => {
    expect(normalizedRecordName('Checkout.Shop.Example.COM.')).toBe('checkout.shop.example.com');
    expect(normalizedRecordName('*.shop.example.com')).toBe('\\052.shop.example.com');
    expect(normalizedRecordName('a_b-c.example.com')).toBe('a_b-c.example.com');
  });
});

describe('IAM for reading alarm metrics back (impact start)', () => {
  it('gives triage, and only triage, GetMetricData on "*" alone in its statement, in a policy of its own', () => {
    const t = templateFor(sampleConfig());
    const readers = HANDLER_NAMES.filter((h) => statementsOf(t, h).some((st) => asArray(st.Action).includes('cloudwatch:GetMetricData') && asArray(st.Resource).includes('*')));
    // mitigate and verify read Aurora lag with GetMetricData only when a database is configured (not in the sample).
    expect(readers).toEqual(['triage']);
    expect(statementsOf(t, 'triage').filter((st) => asArray(st.Action).includes('cloudwatch:GetMetricData'))).toEqual([
      { Sid: 'CloudWatchGetAlarmMetricData', Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
    expect(Object.keys(t.findResources('AWS::IAM::Policy')).filter((id) => id.includes('AlarmMetricRead'))).toHaveLength(1);
  });
});

describe('IAM for composite alarms (alarms marked composite: true)', () => {
  const COMPOSITE = 'checkout-unhealthy';
  const withComposite = () => configWith((raw) => raw.services[0].alarms.push({ name: COMPOSITE, composite: true }));
  const describeReaders = (t: Template) => HANDLER_NAMES.filter((h) => actionsOf(statementsOf(t, h)).includes('cloudwatch:DescribeAlarms'));

  it('without one, grants DescribeAlarms on no "*" and adds no policy', () => {
    const t = templateFor(sampleConfig());
    for (const handler of HANDLER_NAMES)
      expect({ handler, resources: resourcesFor(statementsOf(t, handler), 'cloudwatch:DescribeAlarms') }).not.toMatchObject({ resources: expect.arrayContaining(['*']) });
    expect(Object.keys(t.findResources('AWS::IAM::Policy')).filter((id) => id.includes('CompositeAlarmRead'))).toEqual([]);
  });

  it('with one, gives every function that describes alarms (triage, verify) DescribeAlarms on "*", alone in its statement, and keeps metric alarms scoped', () => {
    const t = templateFor(withComposite());
    expect(describeReaders(t)).toEqual(['triage', 'verify']);
    for (const handler of ['triage', 'verify']) {
      const s = statementsOf(t, handler);
      expect(resourcesFor(s, 'cloudwatch:DescribeAlarms')).toEqual([...ALARMS, ARN('cloudwatch', `alarm:${COMPOSITE}`), ...SYMPTOM_ALARMS, '*']);
      const star = s.filter((st) => asArray(st.Resource).includes('*') && !asArray(st.Action).some((a) => a.startsWith('xray:') || a === 'cloudwatch:GetMetricData'));
      expect(star).toEqual([{ Sid: 'CloudWatchDescribeCompositeAlarms', Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: '*' }]);
    }
  });

  it('keeps the marked alarm an ordinary incident alarm in the config (default false)', () => {
    const config = withComposite();
    expect(config.services[0]!.alarms.map((a) => [a.name, a.composite])).toEqual([...sampleConfig().services[0]!.alarms.map((a) => [a.name, false]), [COMPOSITE, true]]);
  });
});
