import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

import { isRemoteService, type ServiceConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { CATALOGUE, type Mitigation } from '../lambdas/mitigations/index.js';
import type { ArnFormatter, StatementSpec } from '../lambdas/mitigations/mitigation.js';
import { acknowledgeNag, nagFormattedArn } from './nag.js';

export { normalizedRecordName } from '../lambdas/mitigations/route53-failover.js';

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/**
 * IAM statements generated from the config: the functions may touch exactly the resources the config
 * names, nothing else. Each mitigation's statements come from its catalogue module
 * (`permissions(config, arns)`, plain data); this file turns them into `iam.PolicyStatement`s for the
 * functions that need them, and acknowledges each wildcard for cdk-nag with the module's reason.
 * A mitigation absent from the config yields no statement at all (not an empty one, which IAM rejects).
 */

/** ARNs in the stack's partition, region and account (CDK tokens). */
export function stackArns(scope: IConstruct, deploymentStrategyId?: string): ArnFormatter {
  const stack = Stack.of(scope);
  return {
    ...(deploymentStrategyId !== undefined ? { deploymentStrategyId } : {}),
    arn: ({ service, resource, resourceName, region, account, separator }) =>
      stack.formatArn({
        service,
        resource,
        resourceName,
        ...(region !== undefined ? { region } : {}),
        ...(account !== undefined ? { account } : {}),
        arnFormat: separator === ':' ? ArnFormat.COLON_RESOURCE_NAME : ArnFormat.SLASH_RESOURCE_NAME,
      }),
  };
}

/** The same ARNs as cdk-nag prints them in a finding (`arn:<AWS::Partition>:…`). */
function nagArns(deploymentStrategyId?: string): ArnFormatter {
  return {
    ...(deploymentStrategyId !== undefined ? { deploymentStrategyId } : {}),
    arn: ({ service, resource, resourceName, region, account, separator }) =>
      nagFormattedArn(service, `${resource}${separator === ':' ? ':' : '/'}${resourceName}`, {
        ...(region !== undefined ? { region } : {}),
        ...(account !== undefined ? { account } : {}),
      }),
  };
}

/** Which statements of which mitigations a function gets. */
export interface CatalogueGrant {
  /** @default the whole catalogue */
  readonly mitigations?: readonly Mitigation[];
  /** Which of each module's statement groups (see MitigationPermissions). */
  readonly groups: readonly StatementGroup[];
  /** The AppConfig strategy flag changes deploy with (part of StartDeployment's grant). */
  readonly deploymentStrategyId?: string;
}

export type StatementGroup = 'evidence' | 'read' | 'settle' | 'write';

function specsFor(config: TourniquetConfig, grant: CatalogueGrant, arns: ArnFormatter): StatementSpec[] {
  const specs = (grant.mitigations ?? CATALOGUE).flatMap((m) => {
    const p = m.permissions(config, arns);
    return grant.groups.flatMap((group) => p[group] ?? []);
  });
  // Two mitigations on the same resources (kill switch and degrade flag) declare the same statements.
  return [...new Map(specs.map((s) => [s.sid, s])).values()];
}

/**
 * Where ARNs point when a catalogue module leaves region or account out: undefined is the stack's own
 * (a CDK token), a literal is another region or account. Modules that name a region or account
 * themselves (Route 53 and global clusters: none; CLOUDFRONT web ACLs: us-east-1) keep theirs.
 */
export interface ArnLocation {
  /** @default - the stack's region */
  readonly region?: string;
  /** @default - the stack's account */
  readonly account?: string;
}

/** Services that live in one place, and the ARN defaults their statements are formatted with. */
export interface LocatedServices {
  readonly location: ArnLocation;
  readonly services: readonly ServiceConfig[];
  /**
   * The zero-bake AppConfig strategy flag changes deploy with there: a strategy belongs to one account
   * and region. `null`: one this stack cannot name (the member stack of that region creates it), so
   * StartDeployment is granted on that region's strategies, acknowledged with {@link REMOTE_STRATEGY_REASON}.
   * @default - the grant's (CatalogueGrant.deploymentStrategyId)
   */
  readonly deploymentStrategyId?: string | null;
}

/** Why a flag change in another region may deploy with any of that region's strategies. */
export const REMOTE_STRATEGY_REASON =
  'The zero-bake AppConfig strategy of another region is created by the Tourniquet member stack there (docs/accounts.md), so this stack cannot name its ID; the grant is confined to that region and account, and the application, environment and profile are the configured ones.';

/** Groups services by location, in config order of each location's first service. */
function groupByLocation(services: readonly ServiceConfig[], locate: (service: ServiceConfig) => ArnLocation): LocatedServices[] {
  const groups = new Map<string, { location: ArnLocation; services: ServiceConfig[] }>();
  for (const service of services) {
    const location = locate(service);
    const key = `${location.account ?? ''}/${location.region ?? ''}`;
    const group = groups.get(key) ?? { location, services: [] };
    group.services.push(service);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The services the central stack's functions act on with their own roles, by location: every service
 * not in another account (docs/accounts.md). A service in the central account but another region
 * gets ARNs in that region; one with no region, or Tourniquet's (`crossAccount.centralRegion`), the
 * stack's own, so a single-account config yields exactly the statements it always did.
 */
export function centralServices(config: TourniquetConfig): LocatedServices[] {
  const centralRegion = config.crossAccount?.centralRegion;
  return groupByLocation(
    config.services.filter((service) => !isRemoteService(config, service)),
    (service) => (service.region !== undefined && service.region !== centralRegion ? { region: service.region } : {}),
  ).map((group) => (group.location.region !== undefined ? { ...group, deploymentStrategyId: null } : group));
}

/**
 * The services a member role in `account` acts on, by region: ARNs always carry that account and the
 * service's region (Tourniquet's region when the service names none).
 */
export function memberServices(config: TourniquetConfig, account: string): LocatedServices[] {
  const centralRegion = config.crossAccount?.centralRegion;
  return groupByLocation(
    config.services.filter((service) => service.account === account),
    (service) => ({ account, region: service.region ?? centralRegion }),
  );
}

/** `arns` with region and account defaulting to `location`'s, and the strategy of that location. */
function locatedArns(arns: ArnFormatter, { location, deploymentStrategyId }: LocatedServices): ArnFormatter {
  const strategy = deploymentStrategyId === null ? undefined : (deploymentStrategyId ?? arns.deploymentStrategyId);
  return {
    ...(strategy !== undefined ? { deploymentStrategyId: strategy } : {}),
    arn: (parts) =>
      arns.arn({
        ...parts,
        ...(parts.region === undefined && location.region !== undefined ? { region: location.region } : {}),
        ...(parts.account === undefined && location.account !== undefined ? { account: location.account } : {}),
      }),
  };
}

/** "eu-west-1" -> "EuWest1": a statement ID suffix (IDs are alphanumeric). */
const sidSuffix = (region: string) => region.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase());

/**
 * The statements for several locations, twice: as deployed (`real`) and as cdk-nag prints them
 * (`printed`), index for index. Each module runs on a config narrowed to one location's services
 * with ARNs defaulting there, so the catalogue modules need not know about locations. With more than
 * one location, statement IDs of a location with a region get that region as suffix, and a statement
 * identical to one already granted (a read on `*`) is granted once.
 */
function locatedSpecs(
  config: TourniquetConfig,
  grant: CatalogueGrant,
  groups: readonly LocatedServices[],
  real: ArnFormatter,
  printed: ArnFormatter,
): { real: StatementSpec[]; printed: StatementSpec[] } {
  const out: { real: StatementSpec[]; printed: StatementSpec[] } = { real: [], printed: [] };
  const seen = new Set<string>();
  for (const group of groups) {
    const narrowed: TourniquetConfig = { ...config, services: [...group.services] };
    const r = specsFor(narrowed, grant, locatedArns(real, group));
    const p = specsFor(narrowed, grant, locatedArns(printed, group));
    const suffix = groups.length > 1 && group.location.region !== undefined ? sidSuffix(group.location.region) : '';
    p.forEach((spec, i) => {
      const key = JSON.stringify([spec.actions, spec.resources, spec.conditions ?? null]);
      if (seen.has(key)) return;
      seen.add(key);
      const anyStrategy = group.deploymentStrategyId === null && spec.wildcardReason === undefined && spec.resources.some((x) => x.endsWith(':deploymentstrategy/*'));
      const reason = anyStrategy ? { wildcardReason: REMOTE_STRATEGY_REASON } : {};
      out.real.push({ ...r[i]!, sid: `${r[i]!.sid}${suffix}`, ...reason });
      out.printed.push({ ...spec, sid: `${spec.sid}${suffix}`, ...reason });
    });
  }
  return out;
}

/**
 * Adds the catalogue's statements to `role` (read and/or write, for all or some mitigations) and
 * acknowledges each wildcard they carry, by its exact cdk-nag finding, with the module's reason.
 * `services` says which services and where (default: the central stack's, {@link centralServices}).
 */
export function grantCatalogue(role: iam.IRole & IConstruct, config: TourniquetConfig, grant: CatalogueGrant, services = centralServices(config)): void {
  const { real, printed } = locatedSpecs(config, grant, services, stackArns(role, grant.deploymentStrategyId), nagArns(grant.deploymentStrategyId));
  real.forEach((spec, i) => {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: spec.sid,
        actions: [...spec.actions],
        resources: [...spec.resources],
        ...(spec.conditions ? { conditions: spec.conditions as Record<string, Record<string, string[]>> } : {}),
      }),
    );
    const reason = spec.wildcardReason;
    const wildcards = printed[i]!.resources.filter((r) => r.includes('*'));
    if (reason && wildcards.length > 0)
      acknowledgeNag(
        role,
        'AwsSolutions-IAM5',
        reason,
        wildcards.map((r) => `Resource::${r}`),
      );
  });
}

/**
 * The plain statements a function would get: for tests and `preflight`'s permission simulation.
 * `services` as for {@link grantCatalogue}.
 */
export function catalogueStatements(config: TourniquetConfig, grant: CatalogueGrant, arns: ArnFormatter, services = centralServices(config)): StatementSpec[] {
  return locatedSpecs(config, grant, services, arns, arns).real;
}

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
  return [...configuredAlarmNames(config), ...config.services.flatMap((s) => Object.values(s.symptomAlarms).flat())];
}

/**
 * Describe the configured alarms (triage reads their period, verify reads their state), each in its
 * service's location (`services`: default the central stack's, {@link centralServices}); none when
 * no service is there. Composite alarms are an exception AWS documents: see {@link compositeAlarmReadStatements}.
 */
export function alarmReadStatements(scope: IConstruct, config: TourniquetConfig, services = centralServices(config)): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const resources = unique(
    services.flatMap(({ location, services: located }) =>
      unique(readableAlarmNames({ ...config, services: [...located] })).map((name) =>
        stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          ...(location.region !== undefined ? { region: location.region } : {}),
          ...(location.account !== undefined ? { account: location.account } : {}),
        }),
      ),
    ),
  );
  if (resources.length === 0) return [];
  return [new iam.PolicyStatement({ sid: 'CloudWatchDescribeConfiguredAlarms', actions: ['cloudwatch:DescribeAlarms'], resources })];
}

/**
 * Describe composite alarms and their children: DescribeAlarms returns composite alarms only when
 * the policy's Resource is `*`, so this read-only action is granted on `*`, and only when the
 * config marks an alarm `composite: true`. Without one there is no statement at all.
 */
export function compositeAlarmReadStatements(config: TourniquetConfig, services = centralServices(config)): iam.PolicyStatement[] {
  if (compositeAlarmNames({ ...config, services: services.flatMap((group) => [...group.services]) }).length === 0) return [];
  return [new iam.PolicyStatement({ sid: 'CloudWatchDescribeCompositeAlarms', actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] })];
}

/**
 * Read an alarm's metric back (triage: the first breaching datapoint of the run that led to the
 * alarm). GetMetricData supports no resource-level permissions, so it is granted on `*`, read-only.
 */
export function alarmMetricReadStatements(): iam.PolicyStatement[] {
  return [new iam.PolicyStatement({ sid: 'CloudWatchGetAlarmMetricData', actions: ['cloudwatch:GetMetricData'], resources: ['*'] })];
}
