import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

import {
  type Change,
  type ChangeInfo,
  type ChangeResourceRecordSetsCommandInput,
  type ChangeResourceRecordSetsCommandOutput,
  type GetChangeCommandInput,
  type GetChangeCommandOutput,
  type GetHealthCheckCommandInput,
  type GetHealthCheckCommandOutput,
  type GetHealthCheckStatusCommandInput,
  type GetHealthCheckStatusCommandOutput,
  type HealthCheck,
  type HealthCheckConfig,
  type HealthCheckType,
  HealthCheckVersionMismatch,
  InvalidChangeBatch,
  InvalidInput,
  type ListResourceRecordSetsCommandInput,
  type ListResourceRecordSetsCommandOutput,
  NoSuchChange,
  NoSuchHealthCheck,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  type RRType,
  type UpdateHealthCheckCommandInput,
  type UpdateHealthCheckCommandOutput,
} from '@aws-sdk/client-route-53';
import * as z from 'zod';

import { canonicalName } from '../../lambdas/adapters/route53-failover.js';
import type { VirtualClock } from './clock.js';
import { type CommandHandler, errorMetadata, type Out, type SimService, type SimServiceName } from './wire.js';

/**
 * Simulated Amazon Route 53: hosted zones with simple, weighted and failover records, health
 * checks, and change batches that go from PENDING to INSYNC on the virtual clock. What DNS
 * clients *see* is modelled too ({@link SimRoute53.servingShares}), because the health model
 * needs it: a failover helps only once Route 53 answers with the secondary and resolvers have
 * let the old answer expire.
 *
 * Modelling choices, each a simplification of the real service:
 * - **One change at a time per zone.** Real Route 53 queues most changes and answers
 *   `PriorRequestNotComplete` only when it cannot keep up. Here a change to a zone that still has
 *   a PENDING change is always refused with `PriorRequestNotComplete` (turn off with
 *   `rejectWhilePending: false`), so drills exercise the retry path the real error needs.
 * - **INSYNC after `propagationSeconds`** (60 s by default, Route 53's usual figure).
 *   ListResourceRecordSets shows a change at once (as the real API does), DNS answers only from INSYNC.
 * - **Health checks react after RequestInterval × FailureThreshold**: Route 53's status at `t`
 *   is what the endpoint did at `t − reaction`, and a configuration change (Inverted, Disabled)
 *   counts from `reaction` seconds after it was made. Disabled reads healthy; Inverted flips the status.
 * - **Resolvers keep the old answer for the TTL**: clients at `t` see the answer Route 53 gave
 *   at `t − TTL` (the largest TTL of the record group; alias records use `aliasTtlSeconds`).
 * - Alias targets are considered healthy (EvaluateTargetHealth is stored, not evaluated).
 * - Only simple, weighted and failover routing; latency, geo, multivalue and CIDR routing are refused.
 */

// 'route53' is not yet a member of SimServiceName (drill/sim/wire.ts); drop the cast once it is.
const SERVICE: SimServiceName = 'route53';

/** Offsets as drill/scenario.ts writes them ("+HH:MM[:SS]"); duplicated because scenario.ts imports this module. */
const OFFSET_PATTERN = /^([+-])(\d{2,3}):([0-5]\d)(?::([0-5]\d))?$/;
const OFFSET_MESSAGE = 'offset must look like "+HH:MM" or "+HH:MM:SS" ("-HH:MM" before startsAt)';

const MAX_LIST_ITEMS = 300;
const MAX_CHANGES = 1000;
const MAX_COMMENT = 256;
const MAX_TTL = 2_147_483_647;
const ENDPOINT_TYPES: ReadonlySet<string> = new Set(['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP']);
/** Fields of a record set the simulation does not model: refusing them beats answering wrongly. */
const UNMODELLED_RECORD_FIELDS = ['Region', 'GeoLocation', 'MultiValueAnswer', 'CidrRoutingConfig', 'GeoProximityLocation', 'TrafficPolicyInstanceId'] as const;
/** Health checkers the simulation reports observations from (real ones run in eight regions). */
const CHECKERS = [
  { Region: 'us-east-1', IPAddress: '15.177.2.10' },
  { Region: 'eu-west-1', IPAddress: '15.177.62.10' },
  { Region: 'ap-southeast-1', IPAddress: '15.177.34.10' },
] as const;

// ---- scenario section ----

const OffsetSchema = z.string().regex(OFFSET_PATTERN, OFFSET_MESSAGE);

const HealthCheckSpecSchema = z
  .object({
    id: z.uuid('health check id must be a UUID'),
    type: z.enum(['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP']).default('HTTPS'),
    fqdn: z.string().min(1).max(255).optional(),
    ipAddress: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    resourcePath: z.string().max(255).optional(),
    /** Route 53 checks every 10 or 30 seconds. */
    requestIntervalSeconds: z.union([z.literal(10), z.literal(30)]).default(30),
    failureThreshold: z.number().int().min(1).max(10).default(3),
    inverted: z.boolean().default(false),
    disabled: z.boolean().default(false),
    /** Whether the endpoint answers the checkers at startsAt (the scenario's side of the story). */
    healthy: z.boolean().default(true),
    /** Later changes of the endpoint's health, e.g. the primary region failing at "+00:02". */
    changes: z.array(z.object({ at: OffsetSchema, healthy: z.boolean() }).strict()).default([]),
  })
  .strict();

const RecordSpecSchema = z
  .object({
    name: z.string().min(1).max(255),
    type: z.enum(['A', 'AAAA', 'CNAME', 'TXT']).default('A'),
    setIdentifier: z.string().min(1).max(128).optional(),
    weight: z.number().int().min(0).max(255).optional(),
    failover: z.enum(['PRIMARY', 'SECONDARY']).optional(),
    ttl: z.number().int().min(0).max(MAX_TTL).optional(),
    values: z.array(z.string().min(1)).min(1).optional(),
    alias: z
      .object({ hostedZoneId: z.string().min(1), dnsName: z.string().min(1), evaluateTargetHealth: z.boolean().default(false) })
      .strict()
      .optional(),
    healthCheckId: z.uuid().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const plain = r.ttl !== undefined && r.values !== undefined;
    if (r.alias !== undefined ? r.ttl !== undefined || r.values !== undefined : !plain) {
      ctx.addIssue({ code: 'custom', message: 'a record has either alias, or both ttl and values' });
    }
    const routed = r.weight !== undefined || r.failover !== undefined;
    if (r.weight !== undefined && r.failover !== undefined) ctx.addIssue({ code: 'custom', message: 'a record is weighted or failover, not both' });
    if (routed !== (r.setIdentifier !== undefined)) ctx.addIssue({ code: 'custom', message: 'weighted and failover records need a setIdentifier; simple records have none' });
  });

/**
 * The `route53` section of a drill scenario: one hosted zone, its records, and the health
 * checks they use. Offsets count from the scenario's `startsAt`.
 */
export const Route53ScenarioSchema = z
  .object({
    hostedZone: z.object({ id: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'hostedZone.id must look like Z0123456789ABC'), name: z.string().min(1).max(255) }).strict(),
    healthChecks: z.array(HealthCheckSpecSchema).default([]),
    records: z.array(RecordSpecSchema).min(1),
    /** Seconds from ChangeResourceRecordSets to INSYNC. */
    propagationSeconds: z.number().int().min(0).max(3600).default(60),
    /** TTL resolvers use for alias records (the target's TTL; 60 s for load balancers). */
    aliasTtlSeconds: z.number().int().min(0).max(86_400).default(60),
    /** Refuse a change while the zone has one PENDING (PriorRequestNotComplete). */
    rejectWhilePending: z.boolean().default(true),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.healthChecks.forEach((h, i) => {
      if (ids.has(h.id)) ctx.addIssue({ code: 'custom', path: ['healthChecks', i, 'id'], message: `duplicate health check id ${h.id}` });
      ids.add(h.id);
    });
    s.records.forEach((r, i) => {
      if (r.healthCheckId !== undefined && !ids.has(r.healthCheckId)) {
        ctx.addIssue({ code: 'custom', path: ['records', i, 'healthCheckId'], message: `health check ${r.healthCheckId} is not declared in healthChecks` });
      }
    });
  });
export type Route53Scenario = z.infer<typeof Route53ScenarioSchema>;
export type Route53ScenarioInput = z.input<typeof Route53ScenarioSchema>;

// ---- public types ----

/** Options for {@link SimRoute53}. */
export interface SimRoute53Options {
  readonly clock: VirtualClock;
  /** Seconds from ChangeResourceRecordSets to INSYNC; default 60. */
  readonly propagationSeconds?: number;
  /** TTL resolvers use for alias records; default 60. */
  readonly aliasTtlSeconds?: number;
  /** Refuse a change while the zone has one PENDING; default true. */
  readonly rejectWhilePending?: boolean;
  /**
   * Endpoint health from the health model, asked for the instant the checkers observed. Return
   * undefined to fall back to the scenario's `healthy`/`changes`. Must not depend on which record
   * DNS serves (that would loop): ask about the endpoint itself.
   */
  readonly endpointHealth?: (healthCheckId: string, at: Date) => boolean | undefined;
}

/** A health check as the simulation is seeded with it. */
export interface HealthCheckSeed {
  readonly id: string;
  readonly type?: HealthCheckType;
  readonly fqdn?: string;
  readonly ipAddress?: string;
  readonly port?: number;
  readonly resourcePath?: string;
  readonly requestIntervalSeconds?: number;
  readonly failureThreshold?: number;
  readonly inverted?: boolean;
  readonly disabled?: boolean;
  /** The endpoint's health from the start of time until the first {@link SimRoute53.setEndpointHealth}. */
  readonly healthy?: boolean;
}

/** Plain-JSON view of the Route 53 state, for snapshots. */
export interface Route53Snapshot {
  hostedZones: { id: string; name: string; records: ResourceRecordSet[] }[];
  changes: { id: string; hostedZoneId: string; status: 'PENDING' | 'INSYNC'; submittedAt: string; insyncAt: string; comment?: string }[];
  healthChecks: {
    id: string;
    type: string;
    inverted: boolean;
    disabled: boolean;
    version: number;
    requestIntervalSeconds: number;
    failureThreshold: number;
    endpointHealthy: boolean;
    status: 'Healthy' | 'Unhealthy';
  }[];
  /** What DNS clients see now, per record group: share of answers by set identifier ("" for a simple record). */
  dns: { hostedZoneId: string; name: string; type: string; shares: Record<string, number> }[];
}

// ---- internal state ----

interface Version {
  /** When Route 53's servers answer from this version (INSYNC time); -Infinity for the seeded state. */
  readonly effectiveAt: number;
  readonly records: ReadonlyMap<string, ResourceRecordSet>;
}
interface Zone {
  readonly id: string;
  readonly name: string;
  readonly versions: Version[];
}
interface ChangeRecord {
  readonly id: string;
  readonly zoneId: string;
  readonly submittedAt: number;
  readonly insyncAt: number;
  readonly comment?: string;
}
interface Check {
  readonly id: string;
  readonly callerReference: string;
  config: HealthCheckConfig;
  version: number;
  /** Inverted/Disabled over time; each entry counts from `at + reaction`. */
  readonly settings: { at: number; inverted: boolean; disabled: boolean }[];
  /** The endpoint's own health over time (scenario-controlled). */
  readonly endpoint: { at: number; healthy: boolean }[];
}

function invalidInput(message: string): InvalidInput {
  return new InvalidInput({ message, $metadata: errorMetadata(400) });
}

/** Simulated Route 53 control plane, plus what DNS clients see. */
export class SimRoute53 implements SimService {
  readonly service = SERVICE;
  readonly #clock: VirtualClock;
  readonly #propagationMs: number;
  readonly #aliasTtl: number;
  readonly #rejectWhilePending: boolean;
  readonly #endpointHealth: SimRoute53Options['endpointHealth'];
  readonly #zones = new Map<string, Zone>();
  readonly #checks = new Map<string, Check>();
  readonly #changes = new Map<string, ChangeRecord>();

  constructor(options: SimRoute53Options) {
    this.#clock = options.clock;
    this.#propagationMs = (options.propagationSeconds ?? 60) * 1000;
    this.#aliasTtl = options.aliasTtlSeconds ?? 60;
    this.#rejectWhilePending = options.rejectWhilePending ?? true;
    this.#endpointHealth = options.endpointHealth;
  }

  /**
   * Builds the simulation from a scenario's `route53` section (already parsed with
   * {@link Route53ScenarioSchema}); offsets count from `startsAt`.
   */
  static fromScenario(section: Route53Scenario, options: { clock: VirtualClock; startsAt: Date | string; endpointHealth?: SimRoute53Options['endpointHealth'] }): SimRoute53 {
    const s = Route53ScenarioSchema.parse(section);
    const start = new Date(options.startsAt).getTime();
    const sim = new SimRoute53({
      clock: options.clock,
      propagationSeconds: s.propagationSeconds,
      aliasTtlSeconds: s.aliasTtlSeconds,
      rejectWhilePending: s.rejectWhilePending,
      ...(options.endpointHealth ? { endpointHealth: options.endpointHealth } : {}),
    });
    sim.addHostedZone(s.hostedZone);
    for (const h of s.healthChecks) {
      sim.addHealthCheck({
        id: h.id,
        type: h.type,
        ...(h.fqdn !== undefined ? { fqdn: h.fqdn } : {}),
        ...(h.ipAddress !== undefined ? { ipAddress: h.ipAddress } : {}),
        ...(h.port !== undefined ? { port: h.port } : {}),
        ...(h.resourcePath !== undefined ? { resourcePath: h.resourcePath } : {}),
        requestIntervalSeconds: h.requestIntervalSeconds,
        failureThreshold: h.failureThreshold,
        inverted: h.inverted,
        disabled: h.disabled,
        healthy: h.healthy,
      });
      for (const c of h.changes) sim.setEndpointHealth(h.id, c.healthy, new Date(start + offsetSeconds(c.at) * 1000));
    }
    sim.addRecords(
      s.hostedZone.id,
      s.records.map((r): ResourceRecordSet => ({
        Name: r.name,
        Type: r.type,
        ...(r.setIdentifier !== undefined ? { SetIdentifier: r.setIdentifier } : {}),
        ...(r.weight !== undefined ? { Weight: r.weight } : {}),
        ...(r.failover !== undefined ? { Failover: r.failover } : {}),
        ...(r.ttl !== undefined ? { TTL: r.ttl } : {}),
        ...(r.values !== undefined ? { ResourceRecords: r.values.map((Value) => ({ Value })) } : {}),
        ...(r.alias !== undefined ? { AliasTarget: { HostedZoneId: r.alias.hostedZoneId, DNSName: r.alias.dnsName, EvaluateTargetHealth: r.alias.evaluateTargetHealth } } : {}),
        ...(r.healthCheckId !== undefined ? { HealthCheckId: r.healthCheckId } : {}),
      })),
    );
    return sim;
  }

  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      ListResourceRecordSets: (i: ListResourceRecordSetsCommandInput) => this.listResourceRecordSets(i),
      ChangeResourceRecordSets: (i: ChangeResourceRecordSetsCommandInput) => this.changeResourceRecordSets(i),
      GetChange: (i: GetChangeCommandInput) => this.getChange(i),
      GetHealthCheck: (i: GetHealthCheckCommandInput) => this.getHealthCheck(i),
      UpdateHealthCheck: (i: UpdateHealthCheckCommandInput) => this.updateHealthCheck(i),
      GetHealthCheckStatus: (i: GetHealthCheckStatusCommandInput) => this.getHealthCheckStatus(i),
    };
  }

  // ---- seeding (initial state; not AWS API) ----

  addHostedZone(zone: { id: string; name: string }): void {
    const id = stripPrefix(zone.id);
    if (this.#zones.has(id)) throw new RangeError(`hosted zone ${id} already exists`);
    this.#zones.set(id, { id, name: canonicalName(zone.name), versions: [{ effectiveAt: -Infinity, records: new Map() }] });
  }

  addHealthCheck(seed: HealthCheckSeed): void {
    if (this.#checks.has(seed.id)) throw new RangeError(`health check ${seed.id} already exists`);
    const type = seed.type ?? 'HTTPS';
    if (!ENDPOINT_TYPES.has(type)) throw new RangeError(`health check ${seed.id}: the simulation models endpoint checks only (${[...ENDPOINT_TYPES].join(', ')}), not ${type}`);
    const interval = seed.requestIntervalSeconds ?? 30;
    if (interval !== 10 && interval !== 30) throw new RangeError(`health check ${seed.id}: requestIntervalSeconds must be 10 or 30`);
    const threshold = seed.failureThreshold ?? 3;
    checkThreshold(threshold);
    const inverted = seed.inverted ?? false;
    const disabled = seed.disabled ?? false;
    this.#checks.set(seed.id, {
      id: seed.id,
      callerReference: `tourniquet-sim-${seed.id}`,
      config: {
        Type: type,
        ...(seed.ipAddress !== undefined ? { IPAddress: seed.ipAddress } : {}),
        ...(seed.fqdn !== undefined ? { FullyQualifiedDomainName: seed.fqdn } : {}),
        Port: seed.port ?? (type.startsWith('HTTPS') ? 443 : 80),
        ...(seed.resourcePath !== undefined ? { ResourcePath: seed.resourcePath } : {}),
        RequestInterval: interval,
        FailureThreshold: threshold,
        MeasureLatency: false,
        Inverted: inverted,
        Disabled: disabled,
        ...(type.startsWith('HTTPS') ? { EnableSNI: true } : {}),
      },
      version: 1,
      settings: [{ at: -Infinity, inverted, disabled }],
      endpoint: [{ at: -Infinity, healthy: seed.healthy ?? true }],
    });
  }

  /** Sets the endpoint's own health from `from` on (default now): the scenario's lever. */
  setEndpointHealth(healthCheckId: string, healthy: boolean, from: Date = this.#clock.now()): void {
    const check = this.#requireCheck(healthCheckId);
    check.endpoint.push({ at: from.getTime(), healthy });
    check.endpoint.sort((a, b) => a.at - b.at);
  }

  /** Stores records as initial state: validated like a CREATE batch, INSYNC since forever. */
  addRecords(hostedZoneId: string, records: readonly ResourceRecordSet[]): void {
    const zone = this.#requireZone(hostedZoneId);
    if (zone.versions.length > 1) throw new RangeError(`hosted zone ${zone.id}: seed records before any change`);
    const next = this.#applyBatch(
      zone,
      records.map((r) => ({ Action: 'CREATE', ResourceRecordSet: r })),
    );
    zone.versions[0] = { effectiveAt: -Infinity, records: next };
  }

  // ---- what DNS clients see ----

  /**
   * Route 53's own view of a health check at `at` (default now): the endpoint's health as the
   * checkers saw it `RequestInterval × FailureThreshold` seconds earlier, under the
   * Inverted/Disabled settings in force by then.
   */
  healthCheckStatus(healthCheckId: string, at: Date = this.#clock.now()): 'Healthy' | 'Unhealthy' {
    return this.#healthy(this.#requireCheck(healthCheckId), at.getTime()) ? 'Healthy' : 'Unhealthy';
  }

  /**
   * Share (0..1) of DNS answers for `recordName` that each record gives at `at`, keyed by set
   * identifier ("" for a simple record), as clients see them: the answer Route 53's servers gave
   * one TTL earlier (changes count from INSYNC; health checks with their reaction time).
   * Empty when the name has no records. `type` defaults to the only type at the name (A if several).
   */
  servingShares(hostedZoneId: string, recordName: string, at: Date, type?: RRType): Record<string, number> {
    const zone = this.#requireZone(hostedZoneId);
    const name = canonicalName(recordName);
    const t = at.getTime();
    const group = this.#group(this.#versionAt(zone, t), name, type);
    if (group.length === 0) return {};
    const lag = Math.max(...group.map((r) => this.#ttl(r))) * 1000;
    const seen = this.#group(this.#versionAt(zone, t - lag), name, group[0]!.Type);
    return this.#answer(seen, t - lag);
  }

  /** Share (0..1) of answers for `recordName` that the record `setIdentifier` gives at `at` (see {@link servingShares}). */
  servingShare(hostedZoneId: string, recordName: string, setIdentifier: string, at: Date, type?: RRType): number {
    return this.servingShares(hostedZoneId, recordName, at, type)[setIdentifier] ?? 0;
  }

  /**
   * The record that answers most DNS queries for `recordName` at `at`: its set identifier ("" for
   * a simple record), or undefined when the name has no records. Ties go to the record listed first.
   */
  servingSetIdentifier(hostedZoneId: string, recordName: string, at: Date, type?: RRType): string | undefined {
    let best: [string, number] | undefined;
    for (const entry of Object.entries(this.servingShares(hostedZoneId, recordName, at, type))) {
      if (!best || entry[1] > best[1]) best = entry;
    }
    return best?.[0];
  }

  // ---- commands ----

  listResourceRecordSets(input: ListResourceRecordSetsCommandInput): Out<ListResourceRecordSetsCommandOutput> {
    const zone = this.#requireZone(input.HostedZoneId);
    if (input.StartRecordType !== undefined && input.StartRecordName === undefined) throw invalidInput('The input is not valid: StartRecordType requires StartRecordName');
    if (input.StartRecordIdentifier !== undefined && input.StartRecordType === undefined)
      throw invalidInput('The input is not valid: StartRecordIdentifier requires StartRecordName and StartRecordType');
    let max = MAX_LIST_ITEMS;
    if (input.MaxItems !== undefined) {
      if (!Number.isInteger(input.MaxItems) || input.MaxItems < 1) throw invalidInput('MaxItems must be a positive integer');
      max = Math.min(MAX_LIST_ITEMS, input.MaxItems);
    }
    // The latest records, PENDING changes included, as the real API lists them.
    const all = sortRecords([...zone.versions.at(-1)!.records.values()]);
    const startKey =
      input.StartRecordName === undefined ? undefined : [reverseName(canonicalName(input.StartRecordName)), input.StartRecordType ?? '', input.StartRecordIdentifier ?? ''];
    const from = startKey ? all.filter((r) => compareKeys(sortKey(r), startKey) >= 0) : all;
    const page = from.slice(0, max);
    const next = from[max];
    return {
      ResourceRecordSets: page.map(copyRecord),
      IsTruncated: next !== undefined,
      MaxItems: max,
      ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type, ...(next.SetIdentifier !== undefined ? { NextRecordIdentifier: next.SetIdentifier } : {}) } : {}),
    };
  }

  changeResourceRecordSets(input: ChangeResourceRecordSetsCommandInput): Out<ChangeResourceRecordSetsCommandOutput> {
    const zone = this.#requireZone(input.HostedZoneId);
    const batch = input.ChangeBatch;
    if (!batch?.Changes || batch.Changes.length === 0) throw invalidInput('1 validation error detected: ChangeBatch.Changes must have at least 1 member');
    if (batch.Changes.length > MAX_CHANGES) throw invalidInput(`ChangeBatch.Changes must have at most ${MAX_CHANGES} members`);
    if (batch.Comment !== undefined && batch.Comment.length > MAX_COMMENT) throw invalidInput(`ChangeBatch.Comment must be at most ${MAX_COMMENT} characters`);
    const now = this.#clock.nowMs();
    const pending = [...this.#changes.values()].find((c) => c.zoneId === zone.id && c.insyncAt > now);
    if (pending && this.#rejectWhilePending) {
      throw new PriorRequestNotComplete({
        message: `The request was rejected because Route 53 was still processing a prior request (change /change/${pending.id} to hosted zone ${zone.id} is PENDING).`,
        $metadata: errorMetadata(400),
      });
    }
    const records = this.#applyBatch(zone, batch.Changes);
    const change: ChangeRecord = {
      id: changeId(this.#changes.size + 1, zone.id),
      zoneId: zone.id,
      submittedAt: now,
      insyncAt: now + this.#propagationMs,
      ...(batch.Comment !== undefined ? { comment: batch.Comment } : {}),
    };
    this.#changes.set(change.id, change);
    zone.versions.push({ effectiveAt: change.insyncAt, records });
    return { ChangeInfo: this.#changeInfo(change) };
  }

  getChange(input: GetChangeCommandInput): Out<GetChangeCommandOutput> {
    const change = this.#changes.get(stripPrefix(input.Id ?? ''));
    if (!change) throw new NoSuchChange({ message: `A change with the specified change ID does not exist: ${input.Id ?? '(missing)'}`, $metadata: errorMetadata(404) });
    return { ChangeInfo: this.#changeInfo(change) };
  }

  getHealthCheck(input: GetHealthCheckCommandInput): Out<GetHealthCheckCommandOutput> {
    return { HealthCheck: this.#out(this.#requireCheck(input.HealthCheckId)) };
  }

  updateHealthCheck(input: UpdateHealthCheckCommandInput): Out<UpdateHealthCheckCommandOutput> {
    const check = this.#requireCheck(input.HealthCheckId);
    if (input.HealthCheckVersion !== undefined && input.HealthCheckVersion !== check.version) {
      throw new HealthCheckVersionMismatch({
        message: `The value of HealthCheckVersion in the request (${input.HealthCheckVersion}) doesn't match the value of HealthCheckVersion in the health check (${check.version}).`,
        $metadata: errorMetadata(409),
      });
    }
    for (const field of ['ChildHealthChecks', 'HealthThreshold', 'Regions', 'AlarmIdentifier', 'InsufficientDataHealthStatus', 'ResetElements'] as const) {
      if (input[field] !== undefined) throw invalidInput(`The simulated Route 53 does not model ${field} on health checks`);
    }
    if (input.FailureThreshold !== undefined) checkThreshold(input.FailureThreshold);
    if (input.Port !== undefined && (!Number.isInteger(input.Port) || input.Port < 1 || input.Port > 65535)) throw invalidInput('Port must be between 1 and 65535');
    const c = check.config;
    check.config = {
      ...c,
      ...(input.IPAddress !== undefined ? { IPAddress: input.IPAddress } : {}),
      ...(input.Port !== undefined ? { Port: input.Port } : {}),
      ...(input.ResourcePath !== undefined ? { ResourcePath: input.ResourcePath } : {}),
      ...(input.FullyQualifiedDomainName !== undefined ? { FullyQualifiedDomainName: input.FullyQualifiedDomainName } : {}),
      ...(input.SearchString !== undefined ? { SearchString: input.SearchString } : {}),
      ...(input.FailureThreshold !== undefined ? { FailureThreshold: input.FailureThreshold } : {}),
      ...(input.EnableSNI !== undefined ? { EnableSNI: input.EnableSNI } : {}),
      ...(input.Inverted !== undefined ? { Inverted: input.Inverted } : {}),
      ...(input.Disabled !== undefined ? { Disabled: input.Disabled } : {}),
    };
    const inverted = check.config.Inverted ?? false;
    const disabled = check.config.Disabled ?? false;
    const last = check.settings.at(-1)!;
    if (last.inverted !== inverted || last.disabled !== disabled) check.settings.push({ at: this.#clock.nowMs(), inverted, disabled });
    check.version += 1;
    return { HealthCheck: this.#out(check) };
  }

  /** The checkers' latest observations of the endpoint itself (before Inverted/Disabled are applied). */
  getHealthCheckStatus(input: GetHealthCheckStatusCommandInput): Out<GetHealthCheckStatusCommandOutput> {
    const check = this.#requireCheck(input.HealthCheckId);
    const interval = (check.config.RequestInterval ?? 30) * 1000;
    const now = this.#clock.nowMs();
    const checkedAt = Math.floor(now / interval) * interval;
    const healthy = this.#endpointHealthy(check, checkedAt);
    const tcp = check.config.Type === 'TCP';
    const status = healthy
      ? tcp
        ? 'Success: TCP connection established'
        : 'Success: HTTP Status Code 200, OK'
      : tcp
        ? 'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.'
        : 'Failure: HTTP Status Code 503, Service Unavailable';
    return {
      HealthCheckObservations: CHECKERS.map((c) => ({ Region: c.Region, IPAddress: c.IPAddress, StatusReport: { Status: status, CheckedTime: new Date(checkedAt) } })),
    };
  }

  // ---- snapshot ----

  /** Plain JSON of the whole Route 53 state at the current virtual time. */
  snapshot(): Route53Snapshot {
    const now = this.#clock.now();
    const zones = [...this.#zones.values()];
    const dns: Route53Snapshot['dns'] = [];
    for (const zone of zones) {
      const seen = new Set<string>();
      for (const r of sortRecords([...zone.versions.at(-1)!.records.values()])) {
        const key = `${r.Name}|${r.Type}`;
        if (seen.has(key)) continue;
        seen.add(key);
        dns.push({ hostedZoneId: zone.id, name: r.Name!, type: r.Type!, shares: this.servingShares(zone.id, r.Name!, now, r.Type) });
      }
    }
    return structuredClone({
      hostedZones: zones.map((z) => ({ id: z.id, name: z.name, records: sortRecords([...z.versions.at(-1)!.records.values()]).map(copyRecord) })),
      changes: [...this.#changes.values()].map((c) => ({
        id: `/change/${c.id}`,
        hostedZoneId: c.zoneId,
        status: c.insyncAt <= now.getTime() ? ('INSYNC' as const) : ('PENDING' as const),
        submittedAt: new Date(c.submittedAt).toISOString(),
        insyncAt: new Date(c.insyncAt).toISOString(),
        ...(c.comment !== undefined ? { comment: c.comment } : {}),
      })),
      healthChecks: [...this.#checks.values()].map((c) => ({
        id: c.id,
        type: c.config.Type ?? 'HTTPS',
        inverted: c.config.Inverted ?? false,
        disabled: c.config.Disabled ?? false,
        version: c.version,
        requestIntervalSeconds: c.config.RequestInterval ?? 30,
        failureThreshold: c.config.FailureThreshold ?? 3,
        endpointHealthy: this.#endpointHealthy(c, now.getTime()),
        status: this.healthCheckStatus(c.id, now),
      })),
      dns,
    });
  }

  // ---- internals ----

  #requireZone(id: string | undefined): Zone {
    const zone = this.#zones.get(stripPrefix(id ?? ''));
    if (!zone) throw new NoSuchHostedZone({ message: `No hosted zone found with ID: ${id ?? '(missing)'}`, $metadata: errorMetadata(404) });
    return zone;
  }

  #requireCheck(id: string | undefined): Check {
    const check = this.#checks.get(id ?? '');
    if (!check) throw new NoSuchHealthCheck({ message: `A health check with id ${id ?? '(missing)'} does not exist.`, $metadata: errorMetadata(404) });
    return check;
  }

  #changeInfo(c: ChangeRecord): ChangeInfo {
    return {
      Id: `/change/${c.id}`,
      Status: this.#clock.nowMs() >= c.insyncAt ? 'INSYNC' : 'PENDING',
      SubmittedAt: new Date(c.submittedAt),
      ...(c.comment !== undefined ? { Comment: c.comment } : {}),
    };
  }

  #out(c: Check): HealthCheck {
    return { Id: c.id, CallerReference: c.callerReference, HealthCheckConfig: structuredClone(c.config), HealthCheckVersion: c.version };
  }

  #reactionMs(c: Check): number {
    return (c.config.RequestInterval ?? 30) * (c.config.FailureThreshold ?? 3) * 1000;
  }

  #endpointHealthy(c: Check, atMs: number): boolean {
    const fromModel = this.#endpointHealth?.(c.id, new Date(atMs));
    if (fromModel !== undefined) return fromModel;
    let healthy = c.endpoint[0]!.healthy;
    for (const e of c.endpoint) if (e.at <= atMs) healthy = e.healthy;
    return healthy;
  }

  #healthy(c: Check, atMs: number): boolean {
    const reaction = this.#reactionMs(c);
    let setting = c.settings[0]!;
    for (const s of c.settings) if (s.at + reaction <= atMs) setting = s;
    // Disabled stops the checkers and reads healthy; Inverted then flips it (the documented way to force unhealthy).
    const base = setting.disabled ? true : this.#endpointHealthy(c, atMs - reaction);
    return setting.inverted ? !base : base;
  }

  #recordHealthy(r: ResourceRecordSet, atMs: number): boolean {
    if (r.HealthCheckId === undefined) return true;
    const check = this.#checks.get(r.HealthCheckId);
    return check ? this.#healthy(check, atMs) : true;
  }

  #ttl(r: ResourceRecordSet): number {
    return r.AliasTarget ? this.#aliasTtl : (r.TTL ?? 0);
  }

  #versionAt(zone: Zone, atMs: number): ReadonlyMap<string, ResourceRecordSet> {
    let records = zone.versions[0]!.records;
    for (const v of zone.versions) if (v.effectiveAt <= atMs) records = v.records;
    return records;
  }

  /** The records of one name and type, in listing order. */
  #group(records: ReadonlyMap<string, ResourceRecordSet>, name: string, type: string | undefined): ResourceRecordSet[] {
    const atName = sortRecords([...records.values()].filter((r) => r.Name === name));
    if (type !== undefined) return atName.filter((r) => r.Type === type);
    const types = [...new Set(atName.map((r) => r.Type))];
    if (types.length <= 1) return atName;
    if (types.includes('A')) return atName.filter((r) => r.Type === 'A');
    throw new RangeError(`${name} has records of several types (${types.join(', ')}); say which one`);
  }

  /** How Route 53 answers for one record group at `atMs`, as shares by set identifier. */
  #answer(group: readonly ResourceRecordSet[], atMs: number): Record<string, number> {
    if (group.length === 0) return {};
    const id = (r: ResourceRecordSet) => r.SetIdentifier ?? '';
    if (group.some((r) => r.Failover !== undefined)) {
      const primary = group.find((r) => r.Failover === 'PRIMARY');
      const secondary = group.find((r) => r.Failover === 'SECONDARY');
      // With both unhealthy Route 53 treats both as healthy, and so answers with the primary.
      if (primary && (this.#recordHealthy(primary, atMs) || !secondary || !this.#recordHealthy(secondary, atMs))) return { [id(primary)]: 1 };
      return { [id(secondary!)]: 1 };
    }
    if (group.some((r) => r.Weight !== undefined)) {
      const healthy = group.filter((r) => this.#recordHealthy(r, atMs));
      const pool = healthy.length > 0 ? healthy : [...group];
      // Zero-weight records get traffic only when no record with a weight above 0 is left.
      const weighted = pool.filter((r) => (r.Weight ?? 0) > 0);
      const total = weighted.reduce((sum, r) => sum + (r.Weight ?? 0), 0);
      const shares: Record<string, number> = {};
      if (weighted.length > 0) for (const r of weighted) shares[id(r)] = (r.Weight ?? 0) / total;
      else for (const r of pool) shares[id(r)] = 1 / pool.length;
      return shares;
    }
    return { [id(group[0]!)]: 1 };
  }

  /** Applies a batch to a copy of the zone's latest records; throws like Route 53 and changes nothing on error. */
  #applyBatch(zone: Zone, changes: readonly Change[]): Map<string, ResourceRecordSet> {
    const records = new Map(zone.versions.at(-1)!.records);
    const problems: string[] = [];
    const touched = new Set<string>();
    for (const change of changes) {
      const action = change.Action;
      if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') throw invalidInput(`Invalid request: Action must be CREATE, DELETE or UPSERT, got ${String(action)}`);
      const given = change.ResourceRecordSet;
      if (!given?.Name || !given.Type) throw invalidInput('Invalid request: every change needs ResourceRecordSet.Name and Type');
      const record = this.#checkShape(action, canonicalRecord(given), problems);
      const label = describe(record);
      if (record.Name !== zone.name && !record.Name!.endsWith(`.${zone.name}`)) {
        problems.push(`RRSet with DNS name ${record.Name} is not permitted in zone ${zone.name}`);
        continue;
      }
      const key = recordKey(record);
      const existing = records.get(key);
      touched.add(record.Name!);
      if (action === 'CREATE') {
        if (existing) problems.push(`Tried to create resource record set ${label} but it already exists`);
        else records.set(key, record);
      } else if (action === 'DELETE') {
        if (!existing) problems.push(`Tried to delete resource record set ${label} but it was not found`);
        else if (fingerprint(existing) !== fingerprint(record))
          problems.push(`Tried to delete resource record set ${label} but the values provided do not match the current values`);
        else records.delete(key);
      } else {
        records.set(key, record);
      }
    }
    for (const name of touched) problems.push(...this.#groupProblems(zone, records, name));
    if (problems.length > 0) {
      throw new InvalidChangeBatch({ message: `[${problems.join(', ')}]`, messages: problems, $metadata: errorMetadata(400) });
    }
    return records;
  }

  /** Checks one record's own fields: malformed requests are InvalidInput, bad values are collected for InvalidChangeBatch. */
  #checkShape(action: string, r: ResourceRecordSet, problems: string[]): ResourceRecordSet {
    const where = `Change with [Action=${action}, Name=${r.Name}, Type=${r.Type}, SetIdentifier=${r.SetIdentifier ?? 'null'}]`;
    for (const field of UNMODELLED_RECORD_FIELDS) {
      if (r[field] !== undefined) throw invalidInput(`The simulated Route 53 models simple, weighted and failover records only; ${field} is not supported (${where})`);
    }
    const plainValue = r.TTL !== undefined && r.ResourceRecords !== undefined;
    if (r.AliasTarget ? r.TTL !== undefined || r.ResourceRecords !== undefined : !plainValue) {
      throw invalidInput(
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${r.AliasTarget ? 'more than one' : 'none'} in ${where}`,
      );
    }
    const policies = [r.Weight, r.Failover].filter((p) => p !== undefined).length;
    if (policies > 1)
      throw invalidInput(
        `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found more than one in ${where}`,
      );
    if (policies === 1 && r.SetIdentifier === undefined) throw invalidInput(`Invalid request: Missing field 'SetIdentifier' in ${where}`);
    if (policies === 0 && r.SetIdentifier !== undefined)
      throw invalidInput(
        `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none in ${where}`,
      );
    if (r.SetIdentifier !== undefined && (r.SetIdentifier.length < 1 || r.SetIdentifier.length > 128)) throw invalidInput(`SetIdentifier must be 1 to 128 characters (${where})`);
    if (r.Weight !== undefined && (!Number.isInteger(r.Weight) || r.Weight < 0 || r.Weight > 255))
      throw invalidInput(`1 validation error detected: Value '${r.Weight}' at 'resourceRecordSet.weight' failed to satisfy constraint: Member must have value between 0 and 255`);
    if (r.Failover !== undefined && r.Failover !== 'PRIMARY' && r.Failover !== 'SECONDARY') throw invalidInput(`Failover must be PRIMARY or SECONDARY (${where})`);
    if (r.TTL !== undefined && (!Number.isInteger(r.TTL) || r.TTL < 0 || r.TTL > MAX_TTL)) throw invalidInput(`TTL must be between 0 and ${MAX_TTL} (${where})`);
    if (r.HealthCheckId !== undefined && !this.#checks.has(r.HealthCheckId)) {
      throw new NoSuchHealthCheck({ message: `A health check with id ${r.HealthCheckId} does not exist (${where}).`, $metadata: errorMetadata(404) });
    }
    const values = (r.ResourceRecords ?? []).map((v) => v.Value ?? '');
    if (r.ResourceRecords !== undefined && values.length === 0) throw invalidInput(`ResourceRecords must have at least 1 member (${where})`);
    for (const value of values) {
      if (r.Type === 'A' && !isIPv4(value))
        problems.push(`Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${value}''`);
      if (r.Type === 'AAAA' && !isIPv6(value))
        problems.push(`Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '${value}''`);
    }
    if (r.Type === 'CNAME' && values.length > 1) problems.push(`RRSet of type CNAME with DNS name ${r.Name} has more than one value; a CNAME has exactly one`);
    return r;
  }

  /** Rules across the records of one name: routing policies do not mix, one PRIMARY and one SECONDARY, CNAME stands alone. */
  #groupProblems(zone: Zone, records: ReadonlyMap<string, ResourceRecordSet>, name: string): string[] {
    const atName = [...records.values()].filter((r) => r.Name === name);
    const problems: string[] = [];
    const types = [...new Set(atName.map((r) => r.Type!))];
    if (types.includes('CNAME')) {
      if (name === zone.name) problems.push(`RRSet of type CNAME with DNS name ${name} is not permitted at apex in zone ${zone.name}`);
      else if (types.length > 1)
        problems.push(`RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`);
    }
    for (const type of types) {
      const group = atName.filter((r) => r.Type === type);
      const policy = (r: ResourceRecordSet) => (r.Failover !== undefined ? 'failover' : r.Weight !== undefined ? 'weighted' : 'simple');
      const policies = new Set(group.map(policy));
      if (policies.size > 1 || (policies.has('simple') && group.length > 1)) {
        problems.push(
          `RRSet with DNS name ${name}, type ${type} cannot mix routing policies (${[...policies].sort().join(', ')}): every record of a name and type uses the same one`,
        );
      }
      for (const role of ['PRIMARY', 'SECONDARY'] as const) {
        if (group.filter((r) => r.Failover === role).length > 1) problems.push(`RRSet with DNS name ${name}, type ${type} has more than one ${role} failover record`);
      }
    }
    return problems;
  }
}

// ---- helpers ----

function checkThreshold(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 10) throw invalidInput('FailureThreshold must be between 1 and 10');
}

function offsetSeconds(offset: string): number {
  const m = OFFSET_PATTERN.exec(offset);
  if (!m) throw new RangeError(`not an offset: ${JSON.stringify(offset)}`);
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

/** Route 53 IDs come bare ("Z123", "C123") or with the prefix its responses use ("/hostedzone/Z123"). */
function stripPrefix(id: string): string {
  return id.replace(/^\/(hostedzone|change|delegationset)\//, '');
}

/** Deterministic change IDs shaped like Route 53's ("C" and 13 upper-case letters and digits). */
function changeId(seq: number, zoneId: string): string {
  const hex = createHash('sha256').update(`route53/change/${seq}/${zoneId}`).digest('hex');
  return `C${BigInt(`0x${hex.slice(0, 20)}`)
    .toString(36)
    .toUpperCase()
    .padStart(13, '0')
    .slice(0, 13)}`;
}

/** DNS names as Route 53 stores them: one normalisation, shared with the adapter. */
export { canonicalName };

/** A stored copy of a record with canonical names and no undefined members. */
function canonicalRecord(r: ResourceRecordSet): ResourceRecordSet {
  const copy = JSON.parse(JSON.stringify(r)) as ResourceRecordSet;
  copy.Name = canonicalName(r.Name!);
  if (copy.AliasTarget) {
    copy.AliasTarget = { ...copy.AliasTarget, HostedZoneId: stripPrefix(copy.AliasTarget.HostedZoneId ?? ''), DNSName: canonicalName(copy.AliasTarget.DNSName ?? '') };
  }
  return copy;
}

function copyRecord(r: ResourceRecordSet): ResourceRecordSet {
  return structuredClone(r);
}

function recordKey(r: ResourceRecordSet): string {
  return `${r.Name}|${r.Type}|${r.SetIdentifier ?? ''}`;
}

function describe(r: ResourceRecordSet): string {
  return `[name='${r.Name}', type='${r.Type}'${r.SetIdentifier !== undefined ? `, set-identifier='${r.SetIdentifier}'` : ''}]`;
}

/** Route 53 compares a DELETE with the stored record field by field; value order does not matter. */
function fingerprint(r: ResourceRecordSet): string {
  const norm = { ...r, ResourceRecords: r.ResourceRecords?.map((v) => v.Value).sort() };
  return JSON.stringify(norm, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** "www.example.com." → "com.example.www.": Route 53 lists names with their labels reversed. */
function reverseName(name: string): string {
  return `${name.replace(/\.$/, '').split('.').reverse().join('.')}.`;
}

function sortKey(r: ResourceRecordSet): string[] {
  return [reverseName(r.Name!), r.Type!, r.SetIdentifier ?? ''];
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

function sortRecords(records: ResourceRecordSet[]): ResourceRecordSet[] {
  return records.sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
}
