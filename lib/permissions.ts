import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { EcsConfig, FeatureFlagsConfig, TourniquetConfig } from '../lambdas/core/config.js';
import { nagFormattedArn } from './nag.js';

/**
 * IAM statements generated from the config: the functions may touch exactly the AppConfig
 * profiles, ECS services and alarms the config names, nothing else. A service kind absent from
 * the config yields no statement at all (not an empty one, which IAM would reject).
 *
 * ARN shapes follow the Service Authorization Reference for AppConfig, ECS and CloudWatch.
 */

const unique = (values: readonly string[]): string[] => [...new Set(values)];

const allFlags = (config: TourniquetConfig): FeatureFlagsConfig[] =>
  config.services.flatMap((s) => (s.resources.featureFlags ? [s.resources.featureFlags] : []));

const allEcs = (config: TourniquetConfig): EcsConfig[] =>
  config.services.flatMap((s) => (s.resources.ecs ? [s.resources.ecs] : []));

/** Every alarm that opens incidents, in config order. */
export function configuredAlarmNames(config: TourniquetConfig): string[] {
  return config.services.flatMap((s) => s.alarms.map((a) => a.name));
}

/** Alarms the functions may read: the incident alarms plus the symptom alarms triage consults. */
export function readableAlarmNames(config: TourniquetConfig): string[] {
  return [
    ...configuredAlarmNames(config),
    ...config.services.flatMap((s) => Object.values(s.symptomAlarms).flat()),
  ];
}

function appConfigArn(scope: IConstruct, resourceName: string): string {
  return Stack.of(scope).formatArn({ service: 'appconfig', resource: 'application', resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/** ARNs of the AppConfig resources named in the config, deduplicated. */
export function appConfigArns(scope: IConstruct, config: TourniquetConfig) {
  const flags = allFlags(config);
  const env = (f: FeatureFlagsConfig) => `${f.applicationId}/environment/${f.environmentId}`;
  const profile = (f: FeatureFlagsConfig) => `${f.applicationId}/configurationprofile/${f.configurationProfileId}`;
  return {
    applications: unique(flags.map((f) => appConfigArn(scope, f.applicationId))),
    environments: unique(flags.map((f) => appConfigArn(scope, env(f)))),
    // Deployment numbers are assigned by AppConfig at StartDeployment time, hence the wildcard.
    deployments: unique(flags.map((f) => appConfigArn(scope, `${env(f)}/deployment/*`))),
    profiles: unique(flags.map((f) => appConfigArn(scope, profile(f)))),
    // Hosted version numbers are assigned at CreateHostedConfigurationVersion time.
    hostedVersions: unique(flags.map((f) => appConfigArn(scope, `${profile(f)}/hostedconfigurationversion/*`))),
  };
}

/** Read the deployment history and the hosted flag versions (triage, and mitigate's before-state). */
export function appConfigReadStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  if (allFlags(config).length === 0) return [];
  const arns = appConfigArns(scope, config);
  return [
    new iam.PolicyStatement({ sid: 'AppConfigListDeployments', actions: ['appconfig:ListDeployments'], resources: arns.environments }),
    new iam.PolicyStatement({ sid: 'AppConfigGetDeployment', actions: ['appconfig:GetDeployment'], resources: arns.deployments }),
    new iam.PolicyStatement({
      sid: 'AppConfigListHostedVersions',
      actions: ['appconfig:ListHostedConfigurationVersions'],
      resources: arns.profiles,
    }),
    new iam.PolicyStatement({
      sid: 'AppConfigGetHostedVersion',
      actions: ['appconfig:GetHostedConfigurationVersion'],
      resources: arns.hostedVersions,
    }),
  ];
}

/**
 * Write a new flag version and deploy it with the stack's own strategy (the kill switch).
 * StartDeployment is authorized against the application, environment, profile and strategy together.
 */
export function appConfigWriteStatements(scope: IConstruct, config: TourniquetConfig, deploymentStrategyId: string): iam.PolicyStatement[] {
  if (allFlags(config).length === 0) return [];
  const arns = appConfigArns(scope, config);
  const strategyArn = Stack.of(scope).formatArn({
    service: 'appconfig',
    resource: 'deploymentstrategy',
    resourceName: deploymentStrategyId,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  return [
    new iam.PolicyStatement({
      sid: 'AppConfigCreateHostedVersion',
      actions: ['appconfig:CreateHostedConfigurationVersion'],
      resources: arns.profiles,
    }),
    new iam.PolicyStatement({
      sid: 'AppConfigStartDeployment',
      actions: ['appconfig:StartDeployment'],
      resources: [...arns.applications, ...arns.environments, ...arns.profiles, strategyArn],
    }),
  ];
}

/** Read the configured ECS services and their deployments (bad-deployment triage). */
export function ecsReadStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  const services = allEcs(config);
  if (services.length === 0) return [];
  const stack = Stack.of(scope);
  const arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ecs', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  return [
    new iam.PolicyStatement({
      sid: 'EcsDescribeServices',
      actions: ['ecs:DescribeServices', 'ecs:ListServiceDeployments'],
      resources: unique(services.map((s) => arn('service', `${s.cluster}/${s.service}`))),
    }),
    new iam.PolicyStatement({
      sid: 'EcsDescribeServiceDeployments',
      actions: ['ecs:DescribeServiceDeployments'],
      // Service deployment IDs are generated by ECS for every rollout.
      resources: unique(services.map((s) => arn('service-deployment', `${s.cluster}/${s.service}/*`))),
    }),
  ];
}

/**
 * Describe the configured alarms (triage reads their period, verify reads their state).
 * Composite alarms are an exception AWS documents: describing them needs `*`, which is not granted.
 */
export function alarmReadStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  return [
    new iam.PolicyStatement({
      sid: 'CloudWatchDescribeConfiguredAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: unique(readableAlarmNames(config)).map((name) =>
        stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ),
    }),
  ];
}

/**
 * The wildcard resources above as cdk-nag prints them (`AwsSolutions-IAM5[Resource::...]`), so
 * each can be acknowledged by name: they stand for IDs the services assign at run time.
 */
export function runtimeIdWildcardFindings(config: TourniquetConfig): { appConfig: string[]; ecs: string[] } {
  const finding = (service: string, resource: string) => `Resource::${nagFormattedArn(service, resource)}`;
  return {
    appConfig: unique(
      allFlags(config).flatMap((f) => [
        finding('appconfig', `application/${f.applicationId}/environment/${f.environmentId}/deployment/*`),
        finding('appconfig', `application/${f.applicationId}/configurationprofile/${f.configurationProfileId}/hostedconfigurationversion/*`),
      ]),
    ),
    ecs: unique(allEcs(config).map((s) => finding('ecs', `service-deployment/${s.cluster}/${s.service}/*`))),
  };
}
