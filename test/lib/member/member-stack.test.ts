import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { centralBusArn, trustedFunctionRoleArns } from '../../../lambdas/core/accounts.js';
import { createMemberApp, memberStackName, TourniquetMemberStack } from '../../../lib/member/member-stack.js';
import { CENTRAL, crossAccountConfig, WORKLOAD } from '../cross-account-support.js';
import { asArray, type CfnResource, type PolicyStatement, render, sampleConfig } from '../support.js';

/** The member stacks (lib/member): the role the central functions assume, and the alarm forwarding. */

const BUS = centralBusArn({ stage: 'prod' }, CENTRAL, 'us-east-1');
/** Read-only actions with no resource-level permissions (or, for composite alarms, none but "*"). */
const RESOURCELESS_READS = [
  'cloudwatch:DescribeAlarms',
  'cloudwatch:GetMetricData',
  'ecs:DescribeTaskDefinition',
  'wafv2:CheckCapacity',
  'route53-recovery-cluster:ListRoutingControls',
  // Finding the member stack's zero-bake strategy by name: no resource type (Service Authorization Reference).
  'appconfig:ListDeploymentStrategies',
];

function templates(config = crossAccountConfig()): Record<string, Template> {
  const { stacks } = createMemberApp(config);
  return Object.fromEntries(stacks.map((s) => [s.stackName, Template.fromStack(s)]));
}
const resources = (t: Template, type: string) => Object.entries(t.findResources(type) as Record<string, CfnResource>);
const statements = (t: Template): PolicyStatement[] => resources(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as PolicyStatement[]);
const rendered = (s: PolicyStatement) => asArray(s.Resource).map(render);

const EU = memberStackName(crossAccountConfig(), WORKLOAD, 'eu-west-1');
const US = memberStackName(crossAccountConfig(), WORKLOAD, 'us-west-2');
const SEARCH = memberStackName(crossAccountConfig(), CENTRAL, 'eu-central-1');

describe('member stacks', () => {
  it('are one per account and region away from Tourniquet, pinned there; none for a single-account config', () => {
    const { stacks } = createMemberApp(crossAccountConfig());
    expect(stacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      [EU, WORKLOAD, 'eu-west-1'],
      [US, WORKLOAD, 'us-west-2'],
      [SEARCH, CENTRAL, 'eu-central-1'],
    ]);
    // us-west-2 attaches permissions to the role eu-west-1 creates.
    expect(stacks[1]!.dependencies.map((s) => s.stackName)).toEqual([EU]);
    expect(createMemberApp(sampleConfig()).stacks).toEqual([]);
  });

  it('create the member role in the account’s first region, trusted by the central account only for the workload-access function roles', () => {
    const t = templates();
    const roles = (name: string) => resources(t[name]!, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName === 'Tourniquet-prod-member');
    expect(roles(US)).toEqual([]);
    expect(roles(SEARCH)).toEqual([]);
    const [[, role]] = roles(EU) as [[string, CfnResource]];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toHaveLength(1);
    const [trust] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect({ ...trust, Principal: render(trust.Principal.AWS) }).toEqual({
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: `arn:\${AWS::Partition}:iam::${CENTRAL}:root`,
      Condition: { ArnEquals: { 'aws:PrincipalArn': trustedFunctionRoleArns({ stage: 'prod' }, CENTRAL) } },
    });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('add aws:PrincipalOrgID to the trust when the organization is configured', () => {
    const t = templates(crossAccountConfig((raw) => (raw.crossAccount.organizationId = 'o-abc123def4')));
    const [, role] = resources(t[EU]!, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'Tourniquet-prod-member')!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      ArnEquals: { 'aws:PrincipalArn': trustedFunctionRoleArns({ stage: 'prod' }, CENTRAL) },
      StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' },
    });
  });

  it('also trust the configured operator roles (ArnLike, their accounts), so undo and preflight reach the workload account', () => {
    const sso = `arn:aws:iam::${CENTRAL}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_OnCall_*`;
    const t = templates(crossAccountConfig((raw) => (raw.crossAccount.operatorRoleArns = [sso])));
    const [, role] = resources(t[EU]!, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'Tourniquet-prod-member')!;
    const [functions, operators] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(functions.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': trustedFunctionRoleArns({ stage: 'prod' }, CENTRAL) } });
    expect({ ...operators, Principal: render(operators.Principal.AWS) }).toEqual({
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: `arn:\${AWS::Partition}:iam::${CENTRAL}:root`,
      Condition: { ArnLike: { 'aws:PrincipalArn': [sso] } },
    });
  });

  it('grant the member role the catalogue statements of that region’s services, in the workload account and region, and no admin', () => {
    const t = templates();
    const eu = statements(t[EU]!);
    const update = eu.filter((s) => asArray(s.Action).includes('ecs:UpdateService'));
    expect(update.map(rendered)).toEqual([[`arn:\${AWS::Partition}:ecs:eu-west-1:${WORKLOAD}:service/shop-prod/checkout`]]);
    const strategyId = resources(t[EU]!, 'AWS::AppConfig::DeploymentStrategy')[0]![0];
    expect(rendered(eu.find((s) => asArray(s.Action).includes('appconfig:StartDeployment'))!)).toContain(
      `arn:\${AWS::Partition}:appconfig:eu-west-1:${WORKLOAD}:deploymentstrategy/\${${strategyId}}`,
    );
    expect(rendered(eu.find((s) => s.Sid === 'CloudWatchDescribeConfiguredAlarms')!)).toContain(`arn:\${AWS::Partition}:cloudwatch:eu-west-1:${WORKLOAD}:alarm:checkout-5xx-rate`);
    // The second region's policy names the role (IAM is global) and carries that region's ARNs only.
    const [, usPolicy] = resources(t[US]!, 'AWS::IAM::Policy').find(([, p]) => JSON.stringify(p.Properties).includes('ecs:UpdateService'))!;
    expect(usPolicy.Properties.Roles).toEqual(['Tourniquet-prod-member']);
    expect(rendered(usPolicy.Properties.PolicyDocument.Statement.find((s: PolicyStatement) => s.Sid === 'EcsUpdateService'))).toEqual([
      `arn:\${AWS::Partition}:ecs:us-west-2:${WORKLOAD}:service/pay/payments`,
    ]);
    for (const s of [...eu, ...statements(t[US]!)]) {
      expect(asArray(s.Action).filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
      // "*" only for the read-only actions AWS authorizes on nothing narrower.
      if (rendered(s).includes('*')) expect({ sid: s.Sid, actions: asArray(s.Action).filter((a) => !RESOURCELESS_READS.includes(a)) }).toEqual({ sid: s.Sid, actions: [] });
    }
  });

  it('give a dry run’s member role nothing that changes anything', () => {
    const eu = statements(templates(crossAccountConfig((raw) => (raw.dryRun = true)))[EU]!);
    expect(eu.flatMap((s) => asArray(s.Action)).filter((a) => /UpdateService|StartDeployment|ChangeResourceRecordSets|UpdateWebACL|CreateHosted/.test(a))).toEqual([]);
  });

  it('forward the state changes of the region’s alarms to the central bus, with a role that may only put events there', () => {
    const t = templates();
    for (const [name, alarms] of [
      [EU, ['checkout-5xx-rate', 'checkout-p99-latency', 'recommendations-api-errors', 'checkout-us-east-1-health', 'checkout-request-flood', 'checkout-cpu-high']],
      [US, ['payments-5xx']],
      [SEARCH, ['search-5xx']],
    ] as const) {
      const rules = resources(t[name]!, 'AWS::Events::Rule');
      expect(rules).toHaveLength(1);
      const [, rule] = rules[0]!;
      expect(rule.Properties.EventBusName).toBeUndefined();
      expect(rule.Properties.EventPattern).toEqual({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: alarms } });
      const [target] = rule.Properties.Targets;
      expect(target.Arn).toBe(BUS);
      const roleId = target.RoleArn['Fn::GetAtt'][0];
      const roleStatements = resources(t[name]!, 'AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: { Ref?: string }) => r.Ref === roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(roleStatements).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: BUS }]);
      expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][1]).toBe('Arn');
    }
  });

  it('are cdk-nag clean', () => {
    for (const stack of createMemberApp(crossAccountConfig((raw) => raw.services[0].alarms.push({ name: 'checkout-unhealthy', composite: true }))).stacks) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect({ stack: stack.stackName, findings: report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`) }).toEqual({
        stack: stack.stackName,
        findings: [],
      });
    }
  });

  it('refuse an account or region the config has nothing in, in one line', () => {
    expect(() => new TourniquetMemberStack(new App(), 'X', { config: crossAccountConfig(), account: '333333333333', region: 'eu-west-1' })).toThrow(
      'no configured service lives in account 333333333333, region eu-west-1: nothing for a member stack to do there',
    );
  });
});
