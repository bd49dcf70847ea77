import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

import type { TourniquetConfig } from '../lambdas/core/config.js';
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
 * Adds the catalogue's statements to `role` (read and/or write, for all or some mitigations) and
 * acknowledges each wildcard they carry, by its exact cdk-nag finding, with the module's reason.
 */
export function grantCatalogue(role: iam.IRole & IConstruct, config: TourniquetConfig, grant: CatalogueGrant): void {
  const real = specsFor(config, grant, stackArns(role, grant.deploymentStrategyId));
  const printed = specsFor(config, grant, nagArns(grant.deploymentStrategyId));
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

/** The plain statements a function would get: for tests and `preflight`'s permission simulation. */
export function catalogueStatements(config: TourniquetConfig, grant: CatalogueGrant, arns: ArnFormatter): StatementSpec[] {
  return specsFor(config, grant, arns);
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
 * Read an alarm's metric back (triage: the first breaching datapoint of the run that led to the
 * alarm). GetMetricData supports no resource-level permissions, so it is granted on `*`, read-only.
 */
export function alarmMetricReadStatements(): iam.PolicyStatement[] {
  return [new iam.PolicyStatement({ sid: 'CloudWatchGetAlarmMetricData', actions: ['cloudwatch:GetMetricData'], resources: ['*'] })];
}
