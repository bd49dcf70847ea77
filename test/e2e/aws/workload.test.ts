import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { SAMPLE_RUNBOOK, SAMPLE_SERVICE, sampleConfig } from '../../../e2e/aws/sample-config.js';
import { SAMPLE_FLAG, SAMPLE_OUTPUTS, sampleNames, SampleWorkloadStack } from '../../../e2e/aws/workload/stack.js';
import { findAlarm, isRemoteService, parseConfig, runbookFor } from '../../../lambdas/core/config.js';
import { createTourniquetApp, stackNameFor } from '../../../lib/app.js';

const STAGE = 'awst-test01';

describe('the sample workload stack', () => {
  const app = new App();
  const stack = new SampleWorkloadStack(app, sampleNames(STAGE).stackName, { stage: STAGE });
  const template = Template.fromStack(stack);

  it('has a FeatureFlags profile whose hosted version has the flag on, deployed with no bake time', () => {
    template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', { LocationUri: 'hosted', Type: 'AWS.AppConfig.FeatureFlags', DeletionProtectionCheck: 'BYPASS' });
    template.hasResourceProperties('AWS::AppConfig::Environment', { DeletionProtectionCheck: 'BYPASS' });
    const versions = template.findResources('AWS::AppConfig::HostedConfigurationVersion');
    expect(Object.values(versions)).toHaveLength(1);
    const content = JSON.parse(Object.values(versions)[0]!.Properties.Content);
    expect(content.values[SAMPLE_FLAG]).toEqual({ enabled: true });
    expect(content.flags[SAMPLE_FLAG]).toEqual({ name: SAMPLE_FLAG });
    template.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', { DeploymentDurationInMinutes: 0, GrowthFactor: 100, FinalBakeTimeInMinutes: 0, ReplicateTo: 'NONE' });
    template.hasResourceProperties('AWS::AppConfig::Deployment', {
      ConfigurationVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlagsOn'), 'VersionNumber'] },
      DeploymentStrategyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Immediate'), 'Id'] },
    });
  });

  it('has an alarm on the stage-scoped custom metric that returns to OK without data', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `tourniquet-aws-test-${STAGE}-checkout-errors`,
      Namespace: 'TourniquetAwsTest',
      MetricName: 'CheckoutErrors',
      Dimensions: [{ Name: 'Stage', Value: STAGE }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('outputs what the test reads back', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(Object.values(SAMPLE_OUTPUTS).sort());
  });
});

describe('the Tourniquet config written for the sample', () => {
  const input = {
    stage: STAGE,
    account: '123456789012',
    region: 'eu-west-1',
    applicationId: 'app1abc',
    environmentId: 'env1abc',
    configurationProfileId: 'prf1abc',
    alarmName: `tourniquet-aws-test-${STAGE}-checkout-errors`,
  };

  it('is a valid config file: the kill switch on the flag, the alarm with its runbook, the caller as the central account', () => {
    const { config, json } = sampleConfig(input);
    expect(parseConfig(json, 'sample')).toEqual(config);
    expect(stackNameFor(config)).toBe(`Tourniquet-${STAGE}`);
    const found = findAlarm(config, input.alarmName);
    expect(found?.service.name).toBe(SAMPLE_SERVICE);
    expect(runbookFor(found!.service, found!.alarm)).toBe(SAMPLE_RUNBOOK);
    expect(found!.service.resources.featureFlags?.killSwitchFlags).toEqual([SAMPLE_FLAG]);
    // Named explicitly, yet Tourniquet's own account: acted on with the functions' own roles.
    expect(isRemoteService(config, found!.service)).toBe(false);
    // The sample's flag deployment happens before Tourniquet is deployed: the change window must still cover it.
    expect(config.changeWindowMinutes).toBeGreaterThanOrEqual(60);
    expect(config.notifications).toEqual({ statusEmails: [], escalationEmails: [], approverEmails: [] });
  });

  it('refuses, before any deploy, a stack output that cannot be in a config', () => {
    expect(() => sampleConfig({ ...input, applicationId: 'My App' })).toThrow(
      /^the sample Tourniquet config is not valid: services\[0\]\.resources\.featureFlags\.applicationId: /,
    );
  });

  it('deploys: the Tourniquet stack for it synthesizes, cdk-nag clean, with a rule for the sample alarm', () => {
    const { stack } = createTourniquetApp(sampleConfig(input).config, { skipBundling: true, validateTemplate: false });
    expect(stack.stackName).toBe(`Tourniquet-${STAGE}`);
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')).map((r) => JSON.stringify(r.Properties.EventPattern ?? {}));
    expect(rules.some((pattern) => pattern.includes(input.alarmName))).toBe(true);
  });
});
