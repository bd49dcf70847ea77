import {
  ConflictException,
  EndpointTemporarilyUnavailableException,
  type GetRoutingControlStateCommandInput,
  type GetRoutingControlStateCommandOutput,
  type ListRoutingControlsCommandInput,
  type ListRoutingControlsCommandOutput,
  ResourceNotFoundException,
  type RoutingControl,
  type RoutingControlState,
  type UpdateRoutingControlStateCommandInput,
  type UpdateRoutingControlStateCommandOutput,
  type UpdateRoutingControlStatesCommandInput,
  type UpdateRoutingControlStatesCommandOutput,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import * as z from 'zod';

import type { VirtualClock } from './clock.js';
import { SIM_ACCOUNT } from './ids.js';
import { type CommandHandler, decodeToken, errorMetadata, type Out, paginate, type SimService, type SimServiceName } from './wire.js';

/**
 * Simulated Route 53 Application Recovery Controller (ARC) routing control: one cluster with its
 * regional data-plane endpoints, one control panel of routing controls (On/Off switches), and
 * assertion safety rules that refuse an update leaving too few (or too many) controls On. What users
 * experience is modelled too ({@link SimArc.servingShare}): routing controls drive Route 53 health
 * checks on the cells' DNS records, so traffic follows a change only once the health check has
 * flipped and resolvers have let the old answer expire.
 *
 * Modelling choices, each a simplification of the real service:
 * - **Endpoints fail one by one.** Each endpoint can be out for a window (`outages`): it answers
 *   `EndpointTemporarilyUnavailableException` (`unavailable`) or not at all (`unreachable`, a
 *   connection timeout). The state itself is one consensus view that every endpoint serves.
 * - **Assertion rules only** (ATLEAST / AND / OR over asserted controls, optionally inverted), checked
 *   against the state an update would leave; a refusal is a `ConflictException` naming the rule's
 *   ARN, as ARC's message does. Gating rules and the rule's wait period are not modelled.
 * - **Traffic:** `traffic.cells` lists routing controls in failover order: DNS answers with the first
 *   cell whose control is On (with none On, Route 53 treats every record as unhealthy and answers
 *   with the primary); `weighted` splits traffic evenly among the cells that are On. Clients at `t`
 *   see the states of `t − healthCheckSeconds − ttlSeconds`.
 */

const SERVICE: SimServiceName = 'route53-recovery-cluster';

/** Offsets as drill/scenario.ts writes them ("+HH:MM[:SS]"); duplicated because scenario.ts imports this module. */
const OFFSET_PATTERN = /^([+-])(\d{2,3}):([0-5]\d)(?::([0-5]\d))?$/;
const OffsetSchema = z.string().regex(OFFSET_PATTERN, 'offset must look like "+HH:MM" or "+HH:MM:SS" ("-HH:MM" before startsAt)');
const ID = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'ARC IDs are letters, digits and -');
const NAME = z.string().regex(/^[\x21-\x7E]{1,64}$/, 'ARC names are 1-64 printable ASCII characters without spaces');
/** ARC's default page size for ListRoutingControls. */
const DEFAULT_PAGE = 500;
const MAX_PAGE = 1000;
/** Routing controls one UpdateRoutingControlStates call may change (ARC's quota is larger; the drill needs few). */
const MAX_ENTRIES = 100;

// ---- scenario section ----

const OutageSchema = z
  .object({
    /** From this offset on (default: since forever). */
    from: OffsetSchema.optional(),
    /** Before this offset (default: for ever). */
    until: OffsetSchema.optional(),
    /** unavailable: EndpointTemporarilyUnavailableException. unreachable: no answer (a connection timeout). */
    kind: z.enum(['unavailable', 'unreachable']).default('unavailable'),
  })
  .strict();

const SafetyRuleSpecSchema = z
  .object({
    id: ID,
    name: NAME,
    /** Names of the routing controls the rule asserts on. */
    assertedControls: z.array(NAME).min(1),
    /** ATLEAST: at least `threshold` On; AND: all On; OR: at least one On. */
    type: z.enum(['ATLEAST', 'AND', 'OR']).default('ATLEAST'),
    threshold: z.number().int().min(1).default(1),
    /** The rule holds when its condition does not. */
    inverted: z.boolean().default(false),
  })
  .strict();

/**
 * The `arc` section of a drill scenario: the cluster and its endpoints, one control panel with its
 * routing controls and safety rules, and which cell takes traffic. Offsets count from `startsAt`.
 */
export const ArcScenarioSchema = z
  .object({
    cluster: z.object({ id: ID, name: NAME }).strict(),
    endpoints: z
      .array(
        z
          .object({
            endpoint: z.url({ protocol: /^https$/, error: 'an endpoint is an https URL' }),
            region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must be an AWS region'),
            outages: z.array(OutageSchema).default([]),
          })
          .strict(),
      )
      .min(1)
      .max(5),
    controlPanel: z.object({ id: ID, name: NAME }).strict(),
    routingControls: z.array(z.object({ id: ID, name: NAME, state: z.enum(['On', 'Off']) }).strict()).min(1),
    safetyRules: z.array(SafetyRuleSpecSchema).default([]),
    /** Which cell users reach: the routing controls of the cells, primary first. */
    traffic: z
      .object({
        cells: z.array(NAME).min(1),
        routing: z.enum(['failover', 'weighted']).default('failover'),
        /** Seconds for a routing control change to reach its Route 53 health check. */
        healthCheckSeconds: z.number().int().min(0).max(300).default(10),
        /** TTL of the cells' DNS records: how long resolvers keep the old answer. */
        ttlSeconds: z.number().int().min(0).max(86_400).default(60),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const names = new Set<string>();
    s.routingControls.forEach((c, i) => {
      if (names.has(c.name)) issue(['routingControls', i, 'name'], `duplicate routing control "${c.name}"`);
      if (s.routingControls.findIndex((o) => o.id === c.id) !== i) issue(['routingControls', i, 'id'], `duplicate routing control id "${c.id}"`);
      names.add(c.name);
    });
    s.safetyRules.forEach((r, i) => {
      r.assertedControls.forEach((n, j) => {
        if (!names.has(n)) issue(['safetyRules', i, 'assertedControls', j], `routing control "${n}" is not declared in routingControls`);
      });
      if (r.type === 'ATLEAST' && r.threshold > r.assertedControls.length) issue(['safetyRules', i, 'threshold'], 'threshold cannot exceed the number of asserted controls');
    });
    s.traffic?.cells.forEach((n, i) => {
      if (!names.has(n)) issue(['traffic', 'cells', i], `routing control "${n}" is not declared in routingControls`);
    });
    const urls = s.endpoints.map((e) => e.endpoint);
    if (new Set(urls).size !== urls.length) issue(['endpoints'], 'endpoints must be unique');
  });
export type ArcScenario = z.infer<typeof ArcScenarioSchema>;
export type ArcScenarioInput = z.input<typeof ArcScenarioSchema>;

// ---- public types ----

/** Options for {@link SimArc}. */
export interface SimArcOptions {
  readonly clock: VirtualClock;
}

/** Plain-JSON view of the ARC state, for snapshots. */
export interface ArcSnapshot {
  cluster?: { arn: string; name: string };
  endpoints: { endpoint: string; region: string; answering: boolean }[];
  routingControls: { arn: string; name: string; state: RoutingControlState }[];
  safetyRules: { arn: string; name: string; holds: boolean }[];
  /** Share of users each cell serves now (by routing control name), when the scenario says how traffic flows. */
  traffic?: Record<string, number>;
}

// ---- internal state ----

interface Control {
  readonly arn: string;
  readonly name: string;
  /** States over time; the first entry holds since forever. */
  readonly history: { at: number; state: RoutingControlState }[];
}
interface Rule {
  readonly arn: string;
  readonly name: string;
  readonly asserted: readonly string[];
  readonly type: 'ATLEAST' | 'AND' | 'OR';
  readonly threshold: number;
  readonly inverted: boolean;
}
interface Endpoint {
  readonly endpoint: string;
  readonly region: string;
  readonly outages: { from: number; until: number; kind: 'unavailable' | 'unreachable' }[];
}
interface Traffic {
  readonly cells: readonly string[];
  readonly routing: 'failover' | 'weighted';
  readonly lagMs: number;
}

const arnPrefix = `arn:aws:route53-recovery-control::${SIM_ACCOUNT}`;

/** Simulated ARC routing-control data plane, plus which cell users reach. */
export class SimArc implements SimService {
  readonly service = SERVICE;
  readonly #clock: VirtualClock;
  #cluster: { arn: string; name: string } | undefined;
  #panel: { arn: string; name: string } | undefined;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #controls = new Map<string, Control>();
  readonly #rules = new Map<string, Rule>();
  #traffic: Traffic | undefined;

  constructor(options: SimArcOptions) {
    this.#clock = options.clock;
  }

  /** Builds the simulation from a scenario's `arc` section; offsets count from `startsAt`. */
  static fromScenario(section: ArcScenarioInput, options: { clock: VirtualClock; startsAt: Date | string }): SimArc {
    const s = ArcScenarioSchema.parse(section);
    const start = new Date(options.startsAt).getTime();
    const at = (offset: string | undefined, fallback: number) => (offset === undefined ? fallback : start + offsetSeconds(offset) * 1000);
    const sim = new SimArc({ clock: options.clock });
    sim.#cluster = { arn: `${arnPrefix}:cluster/${s.cluster.id}`, name: s.cluster.name };
    sim.#panel = { arn: `${arnPrefix}:controlpanel/${s.controlPanel.id}`, name: s.controlPanel.name };
    for (const e of s.endpoints) {
      sim.#endpoints.set(e.endpoint, {
        endpoint: e.endpoint,
        region: e.region,
        outages: e.outages.map((o) => ({ from: at(o.from, -Infinity), until: at(o.until, Infinity), kind: o.kind })),
      });
    }
    for (const c of s.routingControls) {
      const arn = `${sim.#panel.arn}/routingcontrol/${c.id}`;
      sim.#controls.set(arn, { arn, name: c.name, history: [{ at: -Infinity, state: c.state }] });
    }
    for (const r of s.safetyRules) {
      const arn = `${sim.#panel.arn}/safetyrule/${r.id}`;
      sim.#rules.set(arn, { arn, name: r.name, asserted: r.assertedControls.map((n) => sim.routingControlArn(n)), type: r.type, threshold: r.threshold, inverted: r.inverted });
    }
    if (s.traffic) {
      sim.#traffic = {
        cells: s.traffic.cells.map((n) => sim.routingControlArn(n)),
        routing: s.traffic.routing,
        lagMs: (s.traffic.healthCheckSeconds + s.traffic.ttlSeconds) * 1000,
      };
    }
    return sim;
  }

  /** The commands as every endpoint answers them (availability aside: see {@link endpointService}). */
  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      GetRoutingControlState: (i: GetRoutingControlStateCommandInput) => this.getRoutingControlState(i),
      ListRoutingControls: (i: ListRoutingControlsCommandInput) => this.listRoutingControls(i),
      UpdateRoutingControlState: (i: UpdateRoutingControlStateCommandInput) => this.updateRoutingControlState(i),
      UpdateRoutingControlStates: (i: UpdateRoutingControlStatesCommandInput) => this.updateRoutingControlStates(i),
    };
  }

  /**
   * The service as one cluster endpoint answers it: during an outage of that endpoint every command
   * fails the way the outage says; an endpoint the cluster does not have never answers (as a host
   * that does not resolve).
   */
  endpointService(endpoint: string): SimService {
    const commands = Object.fromEntries(
      Object.entries(this.commands()).map(([name, handler]) => [
        name,
        (input: never) => {
          this.#requireAnswering(endpoint);
          return (handler as (i: never) => unknown)(input);
        },
      ]),
    );
    return { service: SERVICE, commands: () => commands };
  }

  // ---- lookups (not AWS API) ----

  /** The ARN of the routing control called `name` on the control panel. */
  routingControlArn(name: string): string {
    for (const c of this.#controls.values()) if (c.name === name) return c.arn;
    throw new RangeError(`the simulated ARC control panel has no routing control "${name}" (known: ${[...this.#controls.values()].map((c) => c.name).join(', ') || 'none'})`);
  }

  /** The cluster ARN, when the scenario declares one. */
  clusterArn(): string | undefined {
    return this.#cluster?.arn;
  }

  /** The cluster's endpoints as the scenario declares them. */
  endpoints(): { endpoint: string; region: string }[] {
    return [...this.#endpoints.values()].map((e) => ({ endpoint: e.endpoint, region: e.region }));
  }

  /** A routing control's state at `at` (default now). */
  state(routingControlArn: string, at: Date = this.#clock.now()): RoutingControlState {
    return stateAt(this.#require(routingControlArn), at.getTime());
  }

  /**
   * Share (0..1) of users the cell of `routingControlArn` serves at `at`, as clients see it: the
   * routing as it stood `healthCheckSeconds + ttlSeconds` earlier. 0 for a control that is not one
   * of the traffic cells; throws when the scenario does not say how traffic flows.
   */
  servingShare(routingControlArn: string, at: Date): number {
    if (!this.#traffic) throw new RangeError('the simulated ARC has no traffic section: say which routing controls steer users (arc.traffic.cells)');
    return this.#shares(at.getTime() - this.#traffic.lagMs)[routingControlArn] ?? 0;
  }

  /** Overrides the scenario's outages: the endpoint answers (true) or is unavailable (false) from `from` on. */
  setEndpointAnswering(endpoint: string, answering: boolean, from: Date = this.#clock.now()): void {
    const e = this.#endpoints.get(endpoint);
    if (!e) throw new RangeError(`the simulated ARC cluster has no endpoint ${endpoint}`);
    const t = from.getTime();
    // Cut every outage at `from`, then add one from there on when the endpoint goes down.
    for (const [i, o] of e.outages.entries()) if (o.until > t) e.outages[i] = { ...o, until: Math.max(o.from, t) };
    if (!answering) e.outages.push({ from: t, until: Infinity, kind: 'unavailable' });
  }

  // ---- commands ----

  getRoutingControlState(input: GetRoutingControlStateCommandInput): Out<GetRoutingControlStateCommandOutput> {
    const c = this.#require(input.RoutingControlArn);
    return { RoutingControlArn: c.arn, RoutingControlName: c.name, RoutingControlState: stateAt(c, this.#clock.nowMs()) };
  }

  listRoutingControls(input: ListRoutingControlsCommandInput): Out<ListRoutingControlsCommandOutput> {
    if (input.ControlPanelArn !== undefined && input.ControlPanelArn !== this.#panel?.arn) {
      throw new ResourceNotFoundException({
        message: `Control panel ${input.ControlPanelArn} not found`,
        resourceId: input.ControlPanelArn,
        resourceType: 'ControlPanel',
        $metadata: errorMetadata(404),
      });
    }
    const size = input.MaxResults ?? DEFAULT_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw validation(`MaxResults must be between 1 and ${MAX_PAGE}`);
    const offset = decodeToken(input.NextToken);
    if (offset === undefined) throw validation('The NextToken is not valid');
    const now = this.#clock.nowMs();
    const all: RoutingControl[] = [...this.#controls.values()].map((c) => ({
      ControlPanelArn: this.#panel!.arn,
      ControlPanelName: this.#panel!.name,
      RoutingControlArn: c.arn,
      RoutingControlName: c.name,
      RoutingControlState: stateAt(c, now),
      Owner: SIM_ACCOUNT,
    }));
    const { page, nextToken } = paginate(all, offset, size);
    return { RoutingControls: page, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) };
  }

  updateRoutingControlState(input: UpdateRoutingControlStateCommandInput): Out<UpdateRoutingControlStateCommandOutput> {
    return this.updateRoutingControlStates({
      UpdateRoutingControlStateEntries: [{ RoutingControlArn: input.RoutingControlArn, RoutingControlState: input.RoutingControlState }],
      ...(input.SafetyRulesToOverride !== undefined ? { SafetyRulesToOverride: input.SafetyRulesToOverride } : {}),
    });
  }

  /** Applies every entry at once, or none: the state the entries leave must satisfy every safety rule not overridden. */
  updateRoutingControlStates(input: UpdateRoutingControlStatesCommandInput): Out<UpdateRoutingControlStatesCommandOutput> {
    const entries = input.UpdateRoutingControlStateEntries ?? [];
    if (entries.length === 0) throw validation('UpdateRoutingControlStateEntries must have at least 1 member');
    if (entries.length > MAX_ENTRIES) throw validation(`UpdateRoutingControlStateEntries must have at most ${MAX_ENTRIES} members`);
    const now = this.#clock.nowMs();
    const next = new Map<string, RoutingControlState>();
    for (const e of entries) {
      const c = this.#require(e.RoutingControlArn);
      if (e.RoutingControlState !== 'On' && e.RoutingControlState !== 'Off') throw validation(`RoutingControlState must be On or Off, got ${String(e.RoutingControlState)}`);
      if (next.has(c.arn) && next.get(c.arn) !== e.RoutingControlState) throw validation(`routing control ${c.arn} appears twice with different states`);
      next.set(c.arn, e.RoutingControlState);
    }
    const overrides = new Set(input.SafetyRulesToOverride ?? []);
    for (const arn of overrides) {
      if (!this.#rules.has(arn)) throw validation(`SafetyRulesToOverride: no safety rule ${arn} on the control panel`);
    }
    const stateAfter = (arn: string) => next.get(arn) ?? stateAt(this.#controls.get(arn)!, now);
    for (const rule of this.#rules.values()) {
      if (overrides.has(rule.arn) || !rule.asserted.some((arn) => next.has(arn))) continue;
      if (!holds(rule, stateAfter)) {
        throw new ConflictException({
          message: `Cannot update routing control states: the update violates safety rule ${rule.arn} (${rule.name}: ${describeRule(rule, (arn) => this.#controls.get(arn)!.name)}).`,
          resourceId: rule.arn,
          resourceType: 'SafetyRule',
          $metadata: errorMetadata(409),
        });
      }
    }
    for (const [arn, state] of next) {
      const c = this.#controls.get(arn)!;
      if (stateAt(c, now) !== state) c.history.push({ at: now, state });
    }
    return {};
  }

  // ---- snapshot ----

  /** Plain JSON of the ARC state at the current virtual time. */
  snapshot(): ArcSnapshot {
    const now = this.#clock.nowMs();
    const state = (arn: string) => stateAt(this.#controls.get(arn)!, now);
    return structuredClone({
      ...(this.#cluster ? { cluster: this.#cluster } : {}),
      endpoints: [...this.#endpoints.values()].map((e) => ({ endpoint: e.endpoint, region: e.region, answering: outageAt(e, now) === undefined })),
      routingControls: [...this.#controls.values()].map((c) => ({ arn: c.arn, name: c.name, state: stateAt(c, now) })),
      safetyRules: [...this.#rules.values()].map((r) => ({ arn: r.arn, name: r.name, holds: holds(r, state) })),
      ...(this.#traffic ? { traffic: Object.fromEntries(this.#traffic.cells.map((arn) => [this.#controls.get(arn)!.name, this.servingShare(arn, new Date(now))])) } : {}),
    });
  }

  /** Routing control states now, by name: what users' routing depends on (for before/after comparisons). */
  observable(at: Date = this.#clock.now()): Record<string, RoutingControlState> {
    return Object.fromEntries([...this.#controls.values()].map((c) => [c.name, stateAt(c, at.getTime())]));
  }

  // ---- internals ----

  #require(arn: string | undefined): Control {
    const c = this.#controls.get(arn ?? '');
    if (!c) {
      throw new ResourceNotFoundException({
        message: `Routing control ${arn ?? '(missing)'} not found`,
        resourceId: arn ?? '',
        resourceType: 'RoutingControl',
        $metadata: errorMetadata(404),
      });
    }
    return c;
  }

  #requireAnswering(endpoint: string): void {
    const e = this.#endpoints.get(endpoint);
    const host = hostOf(endpoint);
    if (!e) throw networkError('ENOTFOUND', `getaddrinfo ENOTFOUND ${host}`);
    const outage = outageAt(e, this.#clock.nowMs());
    if (outage === 'unreachable') throw networkError('ETIMEDOUT', `connect ETIMEDOUT ${host}:443`);
    if (outage === 'unavailable') {
      throw new EndpointTemporarilyUnavailableException({ message: 'The cluster endpoint isn’t available. Try another cluster endpoint.', $metadata: errorMetadata(503) });
    }
  }

  /** How DNS answers at `t`: share per cell (routing control ARN). */
  #shares(t: number): Record<string, number> {
    const traffic = this.#traffic!;
    const on = traffic.cells.filter((arn) => stateAt(this.#controls.get(arn)!, t) === 'On');
    if (traffic.routing === 'failover') return { [on[0] ?? traffic.cells[0]!]: 1 };
    const pool = on.length > 0 ? on : traffic.cells;
    return Object.fromEntries(pool.map((arn) => [arn, 1 / pool.length]));
  }
}

// ---- helpers ----

function stateAt(c: Control, t: number): RoutingControlState {
  let state = c.history[0]!.state;
  for (const h of c.history) if (h.at <= t) state = h.state;
  return state;
}

function outageAt(e: Endpoint, t: number): 'unavailable' | 'unreachable' | undefined {
  return e.outages.find((o) => o.from <= t && t < o.until)?.kind;
}

/** Whether an assertion rule holds for the states `state` gives. */
function holds(rule: Rule, state: (arn: string) => RoutingControlState): boolean {
  const on = rule.asserted.filter((arn) => state(arn) === 'On').length;
  const met = rule.type === 'AND' ? on === rule.asserted.length : rule.type === 'OR' ? on >= 1 : on >= rule.threshold;
  return rule.inverted ? !met : met;
}

function describeRule(rule: Rule, nameOf: (arn: string) => string): string {
  const names = rule.asserted.map(nameOf).join(', ');
  const what = rule.type === 'AND' ? `all of ${names}` : rule.type === 'OR' ? `at least one of ${names}` : `at least ${rule.threshold} of ${names}`;
  return rule.inverted ? `not (${what}) On` : `${what} must be On`;
}

function validation(message: string): ValidationException {
  return new ValidationException({ message, reason: 'fieldValidationFailed', $metadata: errorMetadata(400) });
}

/** A Node network error as the SDK surfaces it when the host does not answer. */
function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, $metadata: {} });
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

function offsetSeconds(offset: string): number {
  const m = OFFSET_PATTERN.exec(offset);
  if (!m) throw new RangeError(`not an offset: ${JSON.stringify(offset)}`);
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}
