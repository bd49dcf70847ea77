import { beforeAll, describe, expect, it } from '@jest/globals';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { centralBusName, functionRoleName, WORKLOAD_ACCESS_HANDLERS } from '../../lambdas/core/accounts.js';
import { forwardingLocations } from '../../lib/locations.js';
import { CENTRAL, crossAccountConfig, WORKLOAD } from './cross-account-support.js';
import { asArray, type CfnResource, fastStack, functionsByHandler, render, resourcesFor, sampleConfig, statementsOf } from './support.js';

/** The central stack of a config with services in other accounts and regions (docs/accounts.md). */

const MEMBER_ROLE = `arn:\${AWS::Partition}:iam::${WORKLOAD}:role/Tourniquet-prod-member`;
const rootOf = (account: string) => `arn:\${AWS::Partition}:iam::${account}:root`;

function only<T>(values: Record<string, T>): [string, T] {
  const entries = Object.entries(values);
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

describe('central stack with services in other accounts and regions', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(fastStack(crossAccountConfig()));
  });

  it('creates the central bus, whose policy admits alarm state changes from exactly the forwarding accounts', () => {
    const [busId, bus] = only(template.findResources('AWS::Events::EventBus') as Record<string, CfnResource>);
    expect(bus.Properties.Name).toBe(centralBusName('prod'));
    const [, policy] = only(template.findResources('AWS::Events::EventBusPolicy') as Record<string, CfnResource>);
    expect(policy.Properties.EventBusName).toEqual({ Ref: busId });
    const statement = policy.Properties.Statement;
    expect(statement.Effect).toBe('Allow');
    expect(statement.Action).toBe('events:PutEvents');
    expect(render(statement.Resource)).toBe(`\${${busId}.Arn}`);
    // The workload account, and the central account for search in eu-central-1; no one else.
    expect(asArray(statement.Principal.AWS).map(render)).toEqual([rootOf(CENTRAL), rootOf(WORKLOAD)]);
    expect(statement.Condition).toEqual({
      'ForAllValues:StringEquals': { 'events:source': ['aws.cloudwatch'] },
      StringEquals: { 'events:detail-type': 'CloudWatch Alarm State Change' },
    });
  });

  it('admits the organization instead when organizationId is set', () => {
    const org = Template.fromStack(fastStack(crossAccountConfig((raw) => (raw.crossAccount.organizationId = 'o-abc123def4'))));
    const [, policy] = only(org.findResources('AWS::Events::EventBusPolicy') as Record<string, CfnResource>);
    expect(policy.Properties.Statement.Principal).toEqual({ AWS: '*' });
    expect(policy.Properties.Statement.Condition.StringEquals).toEqual({ 'events:detail-type': 'CloudWatch Alarm State Change', 'aws:PrincipalOrgID': 'o-abc123def4' });
  });

  it('routes the forwarded alarms of services away from Tourniquet to the starter, with the intake retries and dead-letter queue', () => {
    const [busId] = only(template.findResources('AWS::Events::EventBus'));
    const rules = Object.values(template.findResources('AWS::Events::Rule') as Record<string, CfnResource>);
    const onBus = rules.filter((r) => r.Properties.EventBusName?.Ref === busId);
    expect(onBus).toHaveLength(1);
    const forwarded = forwardingLocations(crossAccountConfig()).flatMap((l) => l.services.map((s) => s.name));
    expect(forwarded).toEqual(['checkout', 'payments', 'search']);
    expect(onBus[0]!.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        alarmName: [
          // Incident alarms first, then symptom alarms (readableAlarmNames).
          'checkout-5xx-rate',
          'checkout-p99-latency',
          'payments-5xx',
          'search-5xx',
          'recommendations-api-errors',
          'checkout-us-east-1-health',
          'checkout-request-flood',
          'checkout-cpu-high',
        ],
      },
    });
    const starter = functionsByHandler(template)['start-execution']!;
    const [target] = onBus[0]!.Properties.Targets;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [starter.logicalId, 'Arn'] });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 8 });
    const defaultBusTarget = rules.find((r) => r.Properties.EventBusName === undefined && r.Properties.EventPattern?.source?.[0] === 'aws.cloudwatch')!.Properties.Targets[0];
    expect(target.DeadLetterConfig).toEqual(defaultBusTarget.DeadLetterConfig);
  });

  it('names the roles of the workload-access functions as member roles trust them, and only those', () => {
    const roles = template.findResources('AWS::IAM::Role') as Record<string, CfnResource>;
    for (const [handler, fn] of Object.entries(functionsByHandler(template))) {
      const role = roles[fn.Properties.Role['Fn::GetAtt'][0]]!;
      const expected = (WORKLOAD_ACCESS_HANDLERS as readonly string[]).includes(handler) ? functionRoleName('prod', handler as never) : undefined;
      expect({ handler, name: role.Properties.RoleName }).toEqual({ handler, name: expected });
    }
  });

  it('lets exactly the workload-access functions assume the member role of exactly the workload account', () => {
    for (const handler of Object.keys(functionsByHandler(template))) {
      const assumable = resourcesFor(statementsOf(template, handler), 'sts:AssumeRole');
      expect({ handler, assumable }).toEqual({ handler, assumable: (WORKLOAD_ACCESS_HANDLERS as readonly string[]).includes(handler) ? [MEMBER_ROLE] : [] });
    }
  });

  it('grants the central roles nothing on the workload account’s services: the member role holds those', () => {
    for (const handler of WORKLOAD_ACCESS_HANDLERS) {
      const text = JSON.stringify(statementsOf(template, handler).filter((s) => !asArray(s.Action).includes('sts:AssumeRole')));
      expect({ handler, workload: text.includes(WORKLOAD), checkoutFlags: text.includes('chk4app'), payments: text.includes('service/pay/') }).toEqual({
        handler,
        workload: false,
        checkoutFlags: false,
        payments: false,
      });
    }
  });

  it('formats the central account’s other-region services in their region, and Tourniquet’s own in the stack’s', () => {
    const triage = statementsOf(template, 'triage');
    expect(resourcesFor(triage, 'appconfig:ListDeployments')).toEqual([`arn:\${AWS::Partition}:appconfig:eu-central-1:\${AWS::AccountId}:application/srch1ap/environment/prd9env`]);
    expect(resourcesFor(triage, 'ecs:DescribeServices')).toEqual([`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:service/shop-prod/orders`]);
    expect(resourcesFor(triage, 'cloudwatch:DescribeAlarms')).toEqual([
      `arn:\${AWS::Partition}:cloudwatch:eu-central-1:\${AWS::AccountId}:alarm:search-5xx`,
      `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:orders-5xx`,
    ]);
    // The strategy there is the member stack's: granted on that region's strategies, with its own statement ID.
    const start = statementsOf(template, 'mitigate').filter((s) => asArray(s.Action).includes('appconfig:StartDeployment'));
    expect(start.map((s) => s.Sid)).toEqual(['AppConfigStartDeploymentEuCentral1']);
    expect(asArray(start[0]!.Resource).map(render)).toContain(`arn:\${AWS::Partition}:appconfig:eu-central-1:\${AWS::AccountId}:deploymentstrategy/*`);
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(fastStack(crossAccountConfig()));
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('changes nothing for a config without crossAccount: no bus, no fixed role names, no AssumeRole', () => {
    const single = Template.fromStack(fastStack(sampleConfig()));
    expect(single.findResources('AWS::Events::EventBus')).toEqual({});
    expect(Object.values(single.findResources('AWS::IAM::Role') as Record<string, CfnResource>).filter((r) => r.Properties.RoleName !== undefined)).toEqual([]);
    for (const handler of WORKLOAD_ACCESS_HANDLERS) expect(resourcesFor(statementsOf(single, handler), 'sts:AssumeRole')).toEqual([]);
  });
});
