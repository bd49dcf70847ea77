import { describe, expect, it } from '@jest/globals';
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';

import { createTourniquetApp } from '../../lib/app.js';
import { ALARM_METRIC_READ_REASON, COMPOSITE_ALARM_READ_REASON } from '../../lib/nag.js';
import { configWith, fastStack, sampleConfig } from './support.js';

/**
 * cdk-nag 3 is a CDK policy-validation plugin (not an Aspect); findings are acknowledged one by one
 * with `Validations.of(scope).acknowledge`, and any finding left fails synth.
 */
describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding on the sample stack', () => {
    const report = new AwsSolutionsChecks().validateScope(fastStack(sampleConfig()));
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('reports no finding on a multi-service, ECS-less, dry-run variant either', () => {
    const config = configWith((raw) => {
      raw.dryRun = true;
      delete raw.services[0].resources.ecs;
      raw.services.push({
        name: 'search',
        alarms: [{ name: 'search errors (5xx)' }],
        resources: { featureFlags: { applicationId: 'srch1ap', environmentId: 'prd9env', configurationProfileId: 'flg7prf', killSwitchFlags: ['fuzzy'] } },
      });
    });
    expect(new AwsSolutionsChecks().validateScope(fastStack(config)).violations).toEqual([]);
  });

  it('reports no finding with every mitigation kind configured: health-check failover, a CLOUDFRONT web ACL, two ECS services', () => {
    const config = configWith((raw) => {
      raw.services[0].resources.waf = { webAclName: 'shop-edge', webAclId: 'e1e2e3e4-0000-4000-8000-000000000002', scope: 'CLOUDFRONT' };
      raw.services.push({
        name: 'search',
        alarms: [{ name: 'search-errors' }],
        resources: {
          ecs: { cluster: 'shop-prod', service: 'search' },
          route53: { mode: 'health-check', hostedZoneId: 'Z0SEARCH', recordName: 'search.shop.example.com', primaryHealthCheckId: '3f2c6b1e-1111-4222-8333-944455556666' },
          waf: { webAclName: 'search', webAclId: 'abcdabcd-0000-4000-8000-000000000003' },
        },
      });
    });
    expect(new AwsSolutionsChecks().validateScope(fastStack(config)).violations).toEqual([]);
    const dry = configWith((raw) => (raw.dryRun = true));
    expect(new AwsSolutionsChecks().validateScope(fastStack(dry)).violations).toEqual([]);
  });

  it('acknowledges DescribeAlarms on "*" for composite alarms with its reason, and only that finding', () => {
    const stack = fastStack(configWith((raw) => raw.services[0].alarms.push({ name: 'checkout-unhealthy', composite: true })));
    const findings = new AwsSolutionsChecks().validateScope(stack).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`));
    expect(findings.filter((f) => f.includes('[Resource::*]') || f.includes('CompositeAlarmRead'))).toEqual([]);
    const policies = stack.node.findAll().filter((c) => c.node.id === 'CompositeAlarmRead');
    expect(policies.map((p) => p.node.path.split('/').slice(-2, -1)[0])).toEqual(['Triage', 'Verify']);
    for (const policy of policies) {
      const acknowledged = policy.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data as Record<string, string>);
      expect(acknowledged).toEqual([{ [Object.keys(acknowledged[0]!)[0]!]: COMPOSITE_ALARM_READ_REASON }]);
      expect(Object.keys(acknowledged[0]!)[0]).toContain('AwsSolutions-IAM5[Resource::*]');
    }
  });

  it('acknowledges triage\'s GetMetricData on "*" on its own policy, with its reason', () => {
    const stack = fastStack(sampleConfig());
    const policies = stack.node.findAll().filter((c) => c.node.id === 'AlarmMetricRead');
    expect(policies.map((p) => p.node.path.split('/').slice(-2, -1)[0])).toEqual(['Triage']);
    const acknowledged = policies[0]!.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data as Record<string, string>);
    expect(acknowledged).toEqual([{ [Object.keys(acknowledged[0]!)[0]!]: ALARM_METRIC_READ_REASON }]);
    expect(Object.keys(acknowledged[0]!)[0]).toContain('AwsSolutions-IAM5[Resource::*]');
  });

  it('needs that acknowledgement: the role-level X-Ray one does not reach the composite read policy', () => {
    const stack = fastStack(sampleConfig());
    new iam.Policy(stack.functions.functions.verify, 'Unacknowledged', {
      roles: [stack.functions.functions.verify.role],
      statements: [new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] })],
    });
    const findings = new AwsSolutionsChecks().validateScope(stack).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`));
    expect(findings.filter((f) => f.includes('Unacknowledged'))).toEqual(['AwsSolutions-IAM5[Resource::*] @ Tourniquet-prod/Default/Functions/Verify/Unacknowledged/Resource']);
  });

  it('still catches a new wildcard: acknowledgements are per finding, not per rule', () => {
    const stack = fastStack(sampleConfig());
    stack.functions.functions.decide.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['arn:aws:dynamodb:*:*:table/*'] }));
    const names = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(names).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:dynamodb:*:*:table/*]']);
  });

  it('passes as a synth-time plugin, together with CDK template validation, as bin/app.ts runs it', () => {
    const { app } = createTourniquetApp(sampleConfig(), { skipBundling: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synth when a finding is left unacknowledged', () => {
    const { app, stack } = createTourniquetApp(sampleConfig(), { skipBundling: true, validateTemplate: false });
    new iam.Role(Stack.of(stack), 'Unjustified', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM4/);
  });
});
