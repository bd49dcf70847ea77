import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { EcsConfig, FeatureFlagsConfig, Route53Config, TourniquetConfig, WafConfig } from '../lambdas/core/config.js';
import { type NagArnLocation, nagFormattedArn } from './nag.js';

/**
 * IAM statements generated from the config: the functions may touch exactly the AppConfig
 * profiles, ECS services, Route 53 records and health checks, WAF web ACLs and IP sets, and
 * alarms the config names, nothing else. A service kind absent from the config yields no
 * statement at all (not an empty one, which IAM would reject).
 *
 * ARN shapes and resource-level support follow the Service Authorization Reference for AppConfig,
 * ECS, Route 53, WAFV2 and CloudWatch. Read statements (triage, verify, dry-run previews) and
 * write statements (mitigate only, never in a dry run) are separate functions.
 */

const unique = (values: readonly string[]): string[] => [...new Set(values)];

const allFlags = (config: TourniquetConfig): FeatureFlagsConfig[] =>
  config.services.flatMap((s) => (s.resources.featureFlags ? [s.resources.featureFlags] : []));

const allEcs = (config: TourniquetConfig): EcsConfig[] =>
  config.services.flatMap((s) => (s.resources.ecs ? [s.resources.ecs] : []));

const allRoute53 = (config: TourniquetConfig): Route53Config[] =>
  config.services.flatMap((s) => (s.resources.route53 ? [s.resources.route53] : []));

const allWaf = (config: TourniquetConfig): WafConfig[] =>
  config.services.flatMap((s) => (s.resources.waf ? [s.resources.waf] : []));

/** Every alarm that opens incidents, in config order. */
export function configuredAlarmNames(config: TourniquetConfig): string[] {
  return config.services.flatMap((s) => s.alarms.map((a) => a.name));
}

/** Incident alarms the config marks `composite: true` (symptom alarms are plain names, never marked). */
export function compositeAlarmNames(config: TourniquetConfig): string[] {
  return config.services.flatMap((s) => s.alarms.filter((a) => a.composite).map((a) => a.name));
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

/** ECS accepts a cluster name or ARN; resource ARNs name the cluster by its name. */
const clusterName = (cluster: string): string => (cluster.startsWith('arn:') ? cluster.slice(cluster.lastIndexOf('/') + 1) : cluster);

/** `<cluster>/<service>` of each configured ECS service, deduplicated. */
const ecsServicePaths = (config: TourniquetConfig): string[] => unique(allEcs(config).map((s) => `${clusterName(s.cluster)}/${s.service}`));

function ecsArn(scope: IConstruct, resource: string, resourceName: string): string {
  return Stack.of(scope).formatArn({ service: 'ecs', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * ARNs of the configured ECS services and of their service deployments and service revisions.
 * Deployment and revision IDs are generated by ECS for every rollout, hence the wildcards, each
 * confined to one configured service.
 */
export function ecsArns(scope: IConstruct, config: TourniquetConfig) {
  const paths = ecsServicePaths(config);
  return {
    services: paths.map((p) => ecsArn(scope, 'service', p)),
    deployments: paths.map((p) => ecsArn(scope, 'service-deployment', `${p}/*`)),
    revisions: paths.map((p) => ecsArn(scope, 'service-revision', `${p}/*`)),
  };
}

/**
 * Read the configured ECS services and their deployments (bad-deployment triage, and the
 * before-state of an ECS mitigation). ListServiceDeployments is authorized on the service.
 */
export function ecsReadStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  if (allEcs(config).length === 0) return [];
  const arns = ecsArns(scope, config);
  return [
    new iam.PolicyStatement({ sid: 'EcsDescribeServices', actions: ['ecs:DescribeServices', 'ecs:ListServiceDeployments'], resources: arns.services }),
    new iam.PolicyStatement({ sid: 'EcsDescribeServiceDeployments', actions: ['ecs:DescribeServiceDeployments'], resources: arns.deployments }),
  ];
}

/** Read the service revisions a rollback chooses its target from (task definition of each revision). */
export function ecsRevisionReadStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  if (allEcs(config).length === 0) return [];
  return [
    new iam.PolicyStatement({ sid: 'EcsDescribeServiceRevisions', actions: ['ecs:DescribeServiceRevisions'], resources: ecsArns(scope, config).revisions }),
  ];
}

/** Describe the configured services only: verify waits for steady state after an ECS change. */
export function ecsSteadyStateStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  if (allEcs(config).length === 0) return [];
  return [new iam.PolicyStatement({ sid: 'EcsDescribeConfiguredServices', actions: ['ecs:DescribeServices'], resources: ecsArns(scope, config).services })];
}

/**
 * Roll back (UpdateService to the stable task definition, or StopServiceDeployment with ROLLBACK
 * while the suspect deployment is in progress) and scale out (UpdateService desiredCount).
 *
 * No iam:PassRole: UpdateService is only ever called with `taskDefinition` and `desiredCount`.
 * The task and execution roles were passed when the task definitions were registered; ECS asks
 * for PassRole on UpdateService only for role-carrying parameters (EBS volume, VPC Lattice and
 * lifecycle-hook roles), which Tourniquet never sends.
 */
export function ecsWriteStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  if (allEcs(config).length === 0) return [];
  const arns = ecsArns(scope, config);
  return [
    new iam.PolicyStatement({ sid: 'EcsUpdateService', actions: ['ecs:UpdateService'], resources: arns.services }),
    new iam.PolicyStatement({ sid: 'EcsStopServiceDeployment', actions: ['ecs:StopServiceDeployment'], resources: arns.deployments }),
  ];
}

// ---- Route 53 ----

type WeightedRoute53 = Extract<Route53Config, { mode: 'weighted' }>;
type HealthCheckRoute53 = Extract<Route53Config, { mode: 'health-check' }>;

/** Route 53 is global: its ARNs have neither region nor account. */
function route53Arn(scope: IConstruct, resource: string, resourceName: string): string {
  return Stack.of(scope).formatArn({ service: 'route53', region: '', account: '', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * A record name as the `route53:ChangeResourceRecordSetsNormalizedRecordNames` condition key
 * carries it (Route 53 Developer Guide, "Normalizing the Route 53 condition key values"): lower
 * case, no trailing dot, and every character other than a-z, 0-9, `-`, `_` and `.` written as
 * `\` and its three-digit octal code (`*` is `\052`).
 */
export function normalizedRecordName(name: string): string {
  return [...name.toLowerCase().replace(/\.$/, '')]
    .map((c) => (/[a-z0-9_.-]/.test(c) ? c : `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`))
    .join('');
}

/** Read the failover setup: the records at the configured name, and the primary's health check. */
export function route53ReadStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  const all = allRoute53(config);
  if (all.length === 0) return [];
  const checks = all.filter((r): r is HealthCheckRoute53 => r.mode === 'health-check');
  return [
    new iam.PolicyStatement({
      sid: 'Route53ListRecords',
      actions: ['route53:ListResourceRecordSets'],
      resources: unique(all.map((r) => route53Arn(scope, 'hostedzone', r.hostedZoneId))),
    }),
    ...(checks.length === 0
      ? []
      : [
          new iam.PolicyStatement({
            sid: 'Route53GetHealthCheck',
            actions: ['route53:GetHealthCheck'],
            resources: unique(checks.map((r) => route53Arn(scope, 'healthcheck', r.primaryHealthCheckId))),
          }),
        ]),
  ];
}

/**
 * Fail over: invert/disable the configured health check (health-check mode), or UPSERT the two
 * configured weighted records (weighted mode). ChangeResourceRecordSets is confined by condition
 * keys to the configured record name and type and to UPSERT, so the grant on the hosted zone does
 * not reach any other record in it. GetChange follows a record change to INSYNC; change IDs are
 * assigned by Route 53, hence `change/*` (health-check mode makes no record change to follow).
 */
export function route53WriteStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  const all = allRoute53(config);
  const checks = all.filter((r): r is HealthCheckRoute53 => r.mode === 'health-check');
  const weighted = all.filter((r): r is WeightedRoute53 => r.mode === 'weighted');
  const records = [
    ...new Map(weighted.map((r) => [`${r.hostedZoneId} ${normalizedRecordName(r.recordName)} ${r.recordType}`, r] as const)).values(),
  ];
  return [
    ...records.map(
      (r, i) =>
        new iam.PolicyStatement({
          sid: `Route53UpsertWeightedRecords${i + 1}`,
          actions: ['route53:ChangeResourceRecordSets'],
          resources: [route53Arn(scope, 'hostedzone', r.hostedZoneId)],
          conditions: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [normalizedRecordName(r.recordName)],
              'route53:ChangeResourceRecordSetsRecordTypes': [r.recordType],
              'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
            },
          },
        }),
    ),
    ...(weighted.length === 0 ? [] : [new iam.PolicyStatement({ sid: 'Route53GetChange', actions: ['route53:GetChange'], resources: [route53Arn(scope, 'change', '*')] })]),
    ...(checks.length === 0
      ? []
      : [
          new iam.PolicyStatement({
            sid: 'Route53UpdateHealthCheck',
            actions: ['route53:UpdateHealthCheck'],
            resources: unique(checks.map((r) => route53Arn(scope, 'healthcheck', r.primaryHealthCheckId))),
          }),
        ]),
  ];
}

// ---- WAFV2 ----

/** CLOUDFRONT web ACLs live in us-east-1 under the `global` scope; REGIONAL ones in the stack's region. */
function wafLocation(waf: WafConfig): { region?: string; scope: 'global' | 'regional' } {
  return waf.scope === 'CLOUDFRONT' ? { region: 'us-east-1', scope: 'global' } : { scope: 'regional' };
}

function wafArn(scope: IConstruct, waf: WafConfig, resourceName: string, account?: string): string {
  const where = wafLocation(waf);
  return Stack.of(scope).formatArn({
    service: 'wafv2',
    ...(where.region !== undefined ? { region: where.region } : {}),
    ...(account !== undefined ? { account } : {}),
    resource: where.scope,
    resourceName,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

const webAclPath = (w: WafConfig) => `webacl/${w.webAclName}/${w.webAclId}`;
const ipSetPath = (w: WafConfig) => (w.ipSetName !== undefined && w.ipSetId !== undefined ? `ipset/${w.ipSetName}/${w.ipSetId}` : undefined);

/**
 * What a web ACL may reference, per the WAFV2 Service Authorization Reference: UpdateWebACL is
 * also authorized against every IP set, regex pattern set, rule group and managed rule set the
 * submitted ACL references, and UpdateWebACL replaces the whole ACL, so it re-submits references
 * the ACL already had. The config cannot name those, hence wildcards, each confined to the web
 * ACL's region and scope. IP sets and regex pattern sets are always the ACL owner's; rule groups
 * may be shared from another account and managed rule sets belong to their vendor, so those two
 * leave the account open. None of this lets the function change a referenced resource: the only
 * thing UpdateWebACL writes is the configured web ACL.
 */
const WAF_REFERENCES: readonly { readonly type: string; readonly account?: string }[] = [
  { type: 'ipset' },
  { type: 'regexpatternset' },
  { type: 'rulegroup', account: '*' },
  { type: 'managedruleset', account: '*' },
];

/** Read the configured web ACLs (and IP sets): the before-state, the lock token, and dry-run previews. */
export function wafReadStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  const all = allWaf(config);
  if (all.length === 0) return [];
  const ipSets = unique(all.flatMap((w) => (ipSetPath(w) ? [wafArn(scope, w, ipSetPath(w)!)] : [])));
  return [
    new iam.PolicyStatement({ sid: 'WafGetWebAcl', actions: ['wafv2:GetWebACL'], resources: unique(all.map((w) => wafArn(scope, w, webAclPath(w)))) }),
    ...(ipSets.length === 0 ? [] : [new iam.PolicyStatement({ sid: 'WafGetIpSet', actions: ['wafv2:GetIPSet'], resources: ipSets })]),
  ];
}

/** Add (and remove) the automation's rate-based rule on the configured web ACLs; add addresses to the configured IP sets. */
export function wafWriteStatements(scope: IConstruct, config: TourniquetConfig): iam.PolicyStatement[] {
  const all = allWaf(config);
  if (all.length === 0) return [];
  const ipSets = unique(all.flatMap((w) => (ipSetPath(w) ? [wafArn(scope, w, ipSetPath(w)!)] : [])));
  return [
    new iam.PolicyStatement({ sid: 'WafUpdateWebAcl', actions: ['wafv2:UpdateWebACL'], resources: unique(all.map((w) => wafArn(scope, w, webAclPath(w)))) }),
    new iam.PolicyStatement({
      sid: 'WafKeepWebAclReferences',
      actions: ['wafv2:UpdateWebACL'],
      resources: unique(all.flatMap((w) => WAF_REFERENCES.map((r) => wafArn(scope, w, `${r.type}/*`, r.account)))),
    }),
    ...(ipSets.length === 0 ? [] : [new iam.PolicyStatement({ sid: 'WafUpdateIpSet', actions: ['wafv2:UpdateIPSet'], resources: ipSets })]),
  ];
}

/**
 * Describe the configured alarms (triage reads their period, verify reads their state).
 * Composite alarms are an exception AWS documents: see {@link compositeAlarmReadStatements}.
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
 * Describe composite alarms and their children: DescribeAlarms returns composite alarms only when
 * the policy's Resource is `*`, so this read-only action is granted on `*`, and only when the
 * config marks an alarm `composite: true`. Without one there is no statement at all.
 */
export function compositeAlarmReadStatements(config: TourniquetConfig): iam.PolicyStatement[] {
  if (compositeAlarmNames(config).length === 0) return [];
  return [new iam.PolicyStatement({ sid: 'CloudWatchDescribeCompositeAlarms', actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] })];
}

/**
 * The wildcard resources above as cdk-nag prints them (`AwsSolutions-IAM5[Resource::...]`), so
 * each can be acknowledged by name: they stand for IDs the services assign at run time, or (WAF)
 * for what a web ACL may reference.
 */
export function runtimeIdWildcardFindings(config: TourniquetConfig): {
  appConfig: string[];
  ecsDeployments: string[];
  ecsRevisions: string[];
  route53Changes: string[];
  wafReferences: string[];
} {
  const finding = (service: string, resource: string, where?: NagArnLocation) => `Resource::${nagFormattedArn(service, resource, where)}`;
  const paths = ecsServicePaths(config);
  return {
    appConfig: unique(
      allFlags(config).flatMap((f) => [
        finding('appconfig', `application/${f.applicationId}/environment/${f.environmentId}/deployment/*`),
        finding('appconfig', `application/${f.applicationId}/configurationprofile/${f.configurationProfileId}/hostedconfigurationversion/*`),
      ]),
    ),
    ecsDeployments: paths.map((p) => finding('ecs', `service-deployment/${p}/*`)),
    ecsRevisions: paths.map((p) => finding('ecs', `service-revision/${p}/*`)),
    route53Changes: allRoute53(config).some((r) => r.mode === 'weighted') ? [finding('route53', 'change/*', { region: '', account: '' })] : [],
    wafReferences: unique(
      allWaf(config).flatMap((w) => {
        const where = wafLocation(w);
        return WAF_REFERENCES.map((r) => finding('wafv2', `${where.scope}/${r.type}/*`, { region: where.region, account: r.account }));
      }),
    ),
  };
}
