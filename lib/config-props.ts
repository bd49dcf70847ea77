import { Fn, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type * as z from 'zod';

import {
  checkConfig,
  ConfigInvalidError,
  type EcsConfigSchema,
  type FeatureFlagsConfigSchema,
  type Route53ConfigSchema,
  type SymptomAlarmsSchema,
  type TourniquetConfig,
  type TourniquetConfigSchema,
  type WafConfigSchema,
} from '../lambdas/core/config.js';

/**
 * The config as construct props: the shape of `tourniquet.config.json` (lambdas/core/config.ts, every
 * field documented there and in docs/configuration.md), where CDK objects may stand in for the names
 * and IDs of the resources a team defines in its own stack. Their values may be tokens, known only at
 * deploy time: see {@link resolveTourniquetConfig}.
 */

/** `T` with every array and object readonly, so that props built from `as const` data or readonly arrays fit. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

type ConfigInput = z.input<typeof TourniquetConfigSchema>;
type ServiceInput = ConfigInput['services'][number];
type AlarmInput = ServiceInput['alarms'][number];

/** An alarm by its CloudWatch name, or the alarm itself (`cloudwatch.IAlarm`; a `CompositeAlarm` sets `composite`). */
export type AlarmRef = string | cloudwatch.IAlarm;

/** An incident alarm of a service, as in the config file, where `name` may also be the alarm itself. */
export interface TourniquetAlarmProps extends DeepReadonly<Omit<AlarmInput, 'name'>> {
  /** The alarm: its name exactly as in CloudWatch, or an `IAlarm` (its `alarmName`, a token when CloudFormation names it). */
  readonly name: AlarmRef;
}

/** ECS resources: the cluster and service names (or cluster ARN) as in the config file, or the service itself. */
export type TourniquetEcsProps =
  | DeepReadonly<z.input<typeof EcsConfigSchema>>
  | {
      /** The service to roll back or scale out: its `serviceName` and its cluster's `clusterName` (tokens when CloudFormation names them). */
      readonly service: ecs.IBaseService;
      /** Upper bound for scale-out; scale-out is never chosen without it. @default - none: no scale-out */
      readonly maxDesiredCount?: number;
    };

type Route53Input = z.input<typeof Route53ConfigSchema>;
/** Route 53 failover as in the config file, where `hostedZoneId` may also be the zone itself (`route53.IHostedZone`). */
export type TourniquetRoute53Props = Route53Input extends infer R
  ? R extends { hostedZoneId: string }
    ? DeepReadonly<Omit<R, 'hostedZoneId'>> & {
        /** The zone's ID (Z0123456789ABC), or the zone (`IHostedZone`; its `hostedZoneId` is a token for a zone created in the stack). */
        readonly hostedZoneId: string | route53.IHostedZone;
      }
    : never
  : never;

/** WAF as in the config file, or the web ACL itself (`wafv2.CfnWebACL`: its name, ID and scope). */
export type TourniquetWafProps =
  | DeepReadonly<z.input<typeof WafConfigSchema>>
  | {
      /** The web ACL the rate-based rule goes into: `name` (or the name CloudFormation gives it), `attrId`, `scope`. */
      readonly webAcl: wafv2.CfnWebACL;
      /** Requests per 5 minutes per client IP above which the rule blocks. @default 1000 */
      readonly rateLimit?: number;
    };

/** What the automation may touch for a service; a mitigation with no resources here is never chosen. */
export interface TourniquetResourcesProps extends DeepReadonly<Omit<NonNullable<ServiceInput['resources']>, 'ecs' | 'route53' | 'waf'>> {
  /** @default - no ECS rollback or scale-out */
  readonly ecs?: TourniquetEcsProps;
  /** @default - no Route 53 failover */
  readonly route53?: TourniquetRoute53Props;
  /** @default - no WAF rate-based rule */
  readonly waf?: TourniquetWafProps;
  /** @default - no flag kill switch or degrade mode */
  readonly featureFlags?: DeepReadonly<z.input<typeof FeatureFlagsConfigSchema>>;
}

/** A service, as in the config file, where alarms and resources may be CDK objects. */
export interface TourniquetServiceProps extends DeepReadonly<Omit<ServiceInput, 'alarms' | 'resources' | 'symptomAlarms'>> {
  /** Its incident alarms: entries as in the config file, or the alarms themselves. At least one. */
  readonly alarms: readonly (TourniquetAlarmProps | cloudwatch.IAlarm)[];
  /** @default - none: no mitigation is chosen */
  readonly resources?: TourniquetResourcesProps;
  /** Alarms that confirm symptoms, by name or the alarms themselves. @default - none */
  readonly symptomAlarms?: { readonly [K in keyof z.input<typeof SymptomAlarmsSchema>]?: readonly AlarmRef[] };
}

/** The whole config as construct props (the file's shape, CDK objects allowed where the types say so). */
export interface TourniquetConfigProps extends DeepReadonly<Omit<ConfigInput, 'version' | 'services'>> {
  /** The config format. @default 1 */
  readonly version?: 1;
  /** The services Tourniquet watches and may act on. At least one. */
  readonly services: readonly TourniquetServiceProps[];
}

/** The config, resolved: what the constructs use, what the functions read, and the deploy-time values in between. */
export interface ResolvedConfig {
  /** The validated config with every deploy-time value as its token: for IAM statements, event patterns, alarms. */
  readonly config: TourniquetConfig;
  /** The same config with a placeholder for each token: written into the config layer the functions read. */
  readonly deployed: TourniquetConfig;
  /** Placeholder → token, for the functions to substitute (`TOURNIQUET_CONFIG_TOKENS`). Empty when no value is a token. */
  readonly tokens: Readonly<Record<string, string>>;
}

/**
 * Stand-ins that pass the schema for a field holding a token, chosen by the field's name (only the
 * shape matters at synth: the function validates the deployed value again when it starts). Each
 * ends in a non-digit so that no placeholder is a prefix of another.
 */
function standIn(field: string, index: number): string {
  if (field === 'hostedZoneId') return `ZTOURNIQUETTOKEN${index}X`;
  if (field === 'webAclId' || field === 'primaryHealthCheckId') return `7e1c0000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
  if (['applicationId', 'environmentId', 'configurationProfileId'].includes(field)) return `tq${index.toString(36).padStart(4, '0')}x`;
  return `tourniquet-token-${index}-x`;
}

const isAlarm = (value: unknown): value is cloudwatch.IAlarm => typeof value === 'object' && value !== null && 'alarmArn' in value && 'alarmName' in value;

/** Turns the CDK objects of the props into the config file's plain values (names and IDs, possibly tokens). */
function plainConfig(props: TourniquetConfigProps): unknown {
  const alarmName = (alarm: AlarmRef): string => (typeof alarm === 'string' ? alarm : alarm.alarmName);
  return {
    version: 1,
    ...props,
    services: props.services.map((service) => {
      const { ecs: ecsProps, route53: route53Props, waf: wafProps, ...resources } = service.resources ?? {};
      return {
        ...service,
        alarms: service.alarms.map((entry) => {
          if (isAlarm(entry)) return { name: entry.alarmName, ...(entry instanceof cloudwatch.CompositeAlarm ? { composite: true } : {}) };
          const { name, ...rest } = entry;
          return { name: alarmName(name), ...(name instanceof cloudwatch.CompositeAlarm && rest.composite === undefined ? { composite: true } : {}), ...rest };
        }),
        symptomAlarms:
          service.symptomAlarms === undefined ? undefined : Object.fromEntries(Object.entries(service.symptomAlarms).map(([kind, alarms]) => [kind, alarms?.map(alarmName)])),
        resources:
          service.resources === undefined
            ? undefined
            : {
                ...resources,
                ...(ecsProps === undefined
                  ? {}
                  : {
                      ecs:
                        'cluster' in ecsProps
                          ? ecsProps
                          : { cluster: ecsProps.service.cluster.clusterName, service: ecsProps.service.serviceName, maxDesiredCount: ecsProps.maxDesiredCount },
                    }),
                ...(route53Props === undefined
                  ? {}
                  : {
                      route53: {
                        ...route53Props,
                        hostedZoneId: typeof route53Props.hostedZoneId === 'string' ? route53Props.hostedZoneId : route53Props.hostedZoneId.hostedZoneId,
                      },
                    }),
                ...(wafProps === undefined
                  ? {}
                  : {
                      waf:
                        'webAcl' in wafProps
                          ? {
                              // Ref of a web ACL is "name|id|scope": its name even when CloudFormation chose it.
                              webAclName: wafProps.webAcl.name ?? Fn.select(0, Fn.split('|', wafProps.webAcl.ref)),
                              webAclId: wafProps.webAcl.attrId,
                              scope: wafProps.webAcl.scope,
                              rateLimit: wafProps.rateLimit,
                            }
                          : wafProps,
                    }),
              },
      };
    }),
  };
}

/**
 * Replaces every string that is (or contains) an unresolved token with a stand-in valid for its field;
 * returns the copy and stand-in → token. The same token gets the same stand-in everywhere.
 */
function replaceTokens(value: unknown): { value: unknown; tokens: Map<string, string> } {
  const byToken = new Map<string, string>();
  const tokens = new Map<string, string>();
  const walk = (v: unknown, field: string): unknown => {
    if (typeof v === 'string') {
      if (!Token.isUnresolved(v)) return v;
      let placeholder = byToken.get(v);
      if (placeholder === undefined) {
        placeholder = standIn(field, byToken.size + 1);
        byToken.set(v, placeholder);
        tokens.set(placeholder, v);
      }
      return placeholder;
    }
    if (typeof v === 'number' && Token.isUnresolved(v)) throw new Error(`Tourniquet: ${field} is a number known only at deploy time (a token); give it as a number`);
    if (Array.isArray(v)) return v.map((item) => walk(item, field));
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).flatMap(([k, item]) => (item === undefined ? [] : [[k, walk(item, k)]])));
    return v;
  };
  return { value: walk(value, '(root)'), tokens };
}

/** A copy of `value` with every placeholder in its strings replaced by its token. */
function restoreTokens<T>(value: T, tokens: ReadonlyMap<string, string>): T {
  if (tokens.size === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let out = v;
      for (const [placeholder, token] of tokens) if (out.includes(placeholder)) out = out.split(placeholder).join(token);
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * Validates the props with the config schema at construct time (ConfigInvalidError listing every
 * problem, as `tourniquet validate` would). Values that are tokens (an alarm, service, zone or web ACL
 * created in the same stack) cannot be checked before deploy: a stand-in valid for the field is
 * validated in their place, and the functions that read the config substitute the deployed value
 * (lambdas/runtime/deployed-config.ts) and validate it again.
 */
export function resolveTourniquetConfig(props: TourniquetConfigProps | TourniquetConfig, source: string): ResolvedConfig {
  const { value, tokens } = replaceTokens(plainConfig(props as TourniquetConfigProps));
  const checked = checkConfig(value);
  if (!checked.ok) {
    // A problem quoting a stand-in names the deploy-time value instead.
    const problems = checked.problems.map((p) => ({
      ...p,
      message: [...tokens.keys()].reduce((m, placeholder) => m.split(placeholder).join('<value known at deploy time>'), p.message),
    }));
    throw new ConfigInvalidError(source, problems);
  }
  return { config: restoreTokens(checked.config, tokens), deployed: checked.config, tokens: Object.fromEntries(tokens) };
}
