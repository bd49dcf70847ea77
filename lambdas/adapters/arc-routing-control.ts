import {
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  Route53RecoveryClusterClient,
  type RoutingControl,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';

import type { ArcConfig } from '../core/config.js';
import { type ArcState, ArcStateSchema, routingControlId, type RoutingControlState, RoutingControlStateSchema } from './arc-state.js';
import { awsErrorName, AwsResourceNotFoundError, classifyAwsError, TransientAwsError } from './errors.js';

export { type ArcState, ArcStateSchema, routingControlId, type RoutingControlState, RoutingControlStateSchema };

/**
 * Route 53 Application Recovery Controller (ARC) routing controls: failover turns the secondary
 * cell's routing control On and the primary's Off, and undo puts both back.
 *
 * - **One call.** Both states change in one `UpdateRoutingControlStates` call, secondary On and
 *   primary Off together, so an assertion safety rule such as "at least one cell On" holds at every
 *   moment: there is no instant with both Off (or both On, for a rule that forbids that).
 * - **Safety rules are honoured.** ARC refuses a change that breaks a safety rule with a
 *   `ConflictException` whose message names the rule's ARN; that becomes a
 *   {@link ArcSafetyRuleConflictError}, which the workflow does not retry. Rules are overridden only
 *   when the config lists them in `arc.safetyRulesToOverride`.
 * - **Every endpoint in turn.** A cluster has five regional data-plane endpoints and any of them
 *   may be down during the very outage the failover is for. As AWS recommends, calls start at a
 *   random endpoint and move on to the next one on throttling, a server error or an unreachable
 *   endpoint; the endpoint that answered is reported, and the next call starts there. A definitive
 *   answer (access denied, no such routing control, a safety rule) is not asked again elsewhere:
 *   every endpoint holds the same consensus state.
 *
 * Routing controls drive Route 53 health checks; DNS follows once the health check flips (seconds)
 * and resolvers let the old answer expire (the record's TTL). The catalogue module says how long that is.
 */

/** What `failover` and `restore` did. */
export interface ArcChangeResult {
  readonly status: 'applied' | 'already-applied';
  /** The states found; pass them to `restore` to undo (from the `applied` failover). */
  readonly before: ArcState;
  /** The states written (equal to `before` when nothing had to change). */
  readonly after: ArcState;
  /** One human sentence: what was found and done, and which endpoint answered. */
  readonly detail: string;
  /** The cluster endpoint that answered the last call. */
  readonly endpoint: string;
}

/** What `failover` would do (dry run, and the before-state the mitigate step records first). */
export interface ArcPreview {
  /** Absent only when a routing control could not be read (then `notExecutable` says why). */
  readonly before?: ArcState;
  /** False when traffic is already on the secondary cell (secondary On, primary Off). */
  readonly wouldChange: boolean;
  readonly detail: string;
  /** Set when the failover cannot run: a routing control the config names is not on the cluster. */
  readonly notExecutable?: string;
  readonly endpoint?: string;
}

/** One readiness check (the same shape as the catalogue's ReadinessCheck). */
export interface ArcReadinessCheck {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** A cluster endpoint as the config lists it. */
export interface ArcEndpoint {
  readonly endpoint: string;
  readonly region: string;
}

/** Where the adapter gets the data-plane client of one cluster endpoint. */
export type ArcClientFor = (endpoint: ArcEndpoint) => Route53RecoveryClusterClient | Promise<Route53RecoveryClusterClient>;

/** Options of {@link ArcRoutingControlAdapter}. */
export interface ArcAdapterOptions {
  /**
   * Picks the endpoint the first call starts at: `Math.floor(random() * endpoints)`. Default
   * `Math.random`; the drill passes a fixed one so its story is the same on every run.
   */
  readonly random?: () => number;
}

/**
 * ARC refused the change because it would break a safety rule. Not retried: the rule is a
 * deliberate guard (say, "at least one cell On"), and a human decides whether to override it.
 */
export class ArcSafetyRuleConflictError extends Error {
  override readonly name = 'ArcSafetyRuleConflictError';
  constructor(
    message: string,
    /** The safety rules ARC named, when it named them. */
    readonly safetyRuleArns: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** None of the cluster's endpoints answered (each throttled, failed or was unreachable): the workflow retries. */
export class ArcEndpointsUnavailableError extends TransientAwsError {}

/** A routing control the config names does not exist on the cluster. */
export class ArcRoutingControlNotFoundError extends AwsResourceNotFoundError {
  override readonly name = 'ArcRoutingControlNotFoundError';
}

/** A recorded state does not belong to the configured routing controls: restoring it would touch something else. */
export class ArcStateMismatchError extends Error {
  override readonly name = 'ArcStateMismatchError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A safety rule's ARN: `arn:aws:route53-recovery-control::<account>:controlpanel/<id>/safetyrule/<id>`. */
const SAFETY_RULE_ARN = /arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/[A-Za-z0-9-]+\/safetyrule\/[A-Za-z0-9-]+/g;

/**
 * Errors after which the next endpoint is worth asking: the endpoint itself is unavailable or
 * unreachable. Throttling and server faults are recognised by the shared classification.
 */
const NEXT_ENDPOINT_NAMES: ReadonlySet<string> = new Set([
  'EndpointTemporarilyUnavailableException',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
  'NetworkingError',
]);

/** Safety net for ListRoutingControls pagination (a control panel holds far fewer controls). */
const MAX_PAGES = 20;

/** What one endpoint answered when it was skipped. */
interface Skipped {
  readonly endpoint: ArcEndpoint;
  readonly error: string;
}

interface Answer<T> {
  readonly value: T;
  readonly endpoint: ArcEndpoint;
  readonly skipped: readonly Skipped[];
}

/** One routing control as read from the cluster. */
interface ControlView {
  readonly arn: string;
  readonly name: string;
  readonly state: RoutingControlState;
}

/** ARC routing-control failover and its undo over `@aws-sdk/client-route53-recovery-cluster`. */
export class ArcRoutingControlAdapter {
  readonly #clientFor: ArcClientFor;
  readonly #random: () => number;
  /** Per cluster (its endpoint list): the index of the endpoint that answered last. */
  readonly #preferred = new Map<string, number>();

  constructor(clientFor: ArcClientFor = defaultClients(), options: ArcAdapterOptions = {}) {
    this.#clientFor = clientFor;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Reads both routing controls and says what a failover would change, without changing anything.
   * `wouldChange` is false when traffic is already on the secondary cell; `notExecutable` is set
   * when a routing control the config names does not exist on the cluster.
   *
   * @throws ArcEndpointsUnavailableError when no endpoint answered
   * @throws AwsAccessDeniedError when the role may not read the routing controls
   */
  async preview(config: ArcConfig): Promise<ArcPreview> {
    let read: Answer<{ primary: ControlView; secondary: ControlView }>;
    try {
      read = await this.#readBoth(config);
    } catch (err) {
      if (!(err instanceof ArcRoutingControlNotFoundError)) throw err;
      return { wouldChange: false, detail: err.message, notExecutable: err.message };
    }
    const { primary, secondary } = read.value;
    const before = stateOf(primary, secondary);
    const via = viaNote(read);
    if (isFailedOver(before)) {
      return {
        before,
        wouldChange: false,
        endpoint: read.endpoint.endpoint,
        detail: `ARC routing control ${describe(secondary)} is already On and ${describe(primary)} Off: traffic is already on the secondary cell; nothing to do (${via}).`,
      };
    }
    return {
      before,
      wouldChange: true,
      endpoint: read.endpoint.endpoint,
      detail:
        `Would set ARC routing control ${describe(secondary)} On (now ${secondary.state}) and ${describe(primary)} Off (now ${primary.state}) ` +
        `in one UpdateRoutingControlStates call${overrideNote(config)} (${via}).`,
    };
  }

  /**
   * Moves traffic to the secondary cell: secondary On and primary Off in one call. Idempotent:
   * when the secondary is already On and the primary Off, nothing is written (`already-applied`).
   *
   * @throws ArcSafetyRuleConflictError when a safety rule refuses the change (not retried)
   * @throws ArcRoutingControlNotFoundError when a configured routing control is not on the cluster
   * @throws ArcEndpointsUnavailableError when no endpoint answered (retried by the workflow)
   */
  async failover(config: ArcConfig): Promise<ArcChangeResult> {
    const read = await this.#readBoth(config);
    const { primary, secondary } = read.value;
    const before = stateOf(primary, secondary);
    if (isFailedOver(before)) {
      return {
        status: 'already-applied',
        before,
        after: before,
        endpoint: read.endpoint.endpoint,
        detail: `ARC routing control ${describe(secondary)} was already On and ${describe(primary)} Off; nothing written (${viaNote(read)}).`,
      };
    }
    const after: ArcState = { ...before, primary: 'Off', secondary: 'On' };
    const write = await this.#update(config, after);
    return {
      status: 'applied',
      before,
      after,
      endpoint: write.endpoint.endpoint,
      detail:
        `Set ARC routing control ${describe(secondary)} On (was ${secondary.state}) and ${describe(primary)} Off (was ${primary.state}) ` +
        `in one UpdateRoutingControlStates call${overrideNote(config)} (${viaNote({ endpoint: write.endpoint, skipped: [...read.skipped, ...write.skipped] })}).`,
    };
  }

  /**
   * Undoes a failover: puts both routing controls back to the recorded states in one call.
   * Idempotent: when they already are, nothing is written (`already-applied`).
   *
   * @throws ArcStateMismatchError when `before` names other routing controls than the config
   * @throws ArcSafetyRuleConflictError, ArcEndpointsUnavailableError as for `failover`
   */
  async restore(config: ArcConfig, before: ArcState): Promise<ArcChangeResult> {
    const recorded = ArcStateSchema.parse(before);
    if (recorded.primaryArn !== config.primaryRoutingControlArn || recorded.secondaryArn !== config.secondaryRoutingControlArn) {
      throw new ArcStateMismatchError(
        `the recorded state (primary ${recorded.primaryArn}, secondary ${recorded.secondaryArn}) does not belong to the configured routing controls ` +
          `(primary ${config.primaryRoutingControlArn}, secondary ${config.secondaryRoutingControlArn}); refusing to restore it`,
      );
    }
    const read = await this.#readBoth(config);
    const { primary, secondary } = read.value;
    const current = stateOf(primary, secondary);
    if (current.primary === recorded.primary && current.secondary === recorded.secondary) {
      return {
        status: 'already-applied',
        before: current,
        after: current,
        endpoint: read.endpoint.endpoint,
        detail: `ARC routing controls ${describe(primary)} (${primary.state}) and ${describe(secondary)} (${secondary.state}) already match the recorded states; nothing written (${viaNote(read)}).`,
      };
    }
    const write = await this.#update(config, recorded);
    return {
      status: 'applied',
      before: current,
      after: recorded,
      endpoint: write.endpoint.endpoint,
      detail:
        `Restored ARC routing controls in one UpdateRoutingControlStates call: ${describe(primary)} ${primary.state} → ${recorded.primary}, ` +
        `${describe(secondary)} ${secondary.state} → ${recorded.secondary}${overrideNote(config)} (${viaNote({ endpoint: write.endpoint, skipped: [...read.skipped, ...write.skipped] })}).`,
    };
  }

  /**
   * Read-only proof that a failover could run now: which cluster endpoints answer (at least one
   * must), both routing controls exist on the cluster, the primary is On (else there is nothing to
   * fail over), and which safety rules, if any, the config allows a failover to override.
   */
  async readiness(config: ArcConfig): Promise<ArcReadinessCheck[]> {
    const checks: ArcReadinessCheck[] = [];
    const panels = [...new Set([controlPanelOf(config.primaryRoutingControlArn), controlPanelOf(config.secondaryRoutingControlArn)])];
    const answered: { endpoint: ArcEndpoint; controls: RoutingControl[] }[] = [];
    const failed: Skipped[] = [];
    // Every endpoint, not the first that answers: the point is to know how many could carry a failover.
    for (const endpoint of config.clusterEndpoints) {
      try {
        const client = await this.#clientFor(endpoint);
        const controls: RoutingControl[] = [];
        for (const panel of panels) controls.push(...(await listControls(client, panel)));
        answered.push({ endpoint, controls });
      } catch (err) {
        failed.push({ endpoint, error: errorText(err) });
      }
    }
    const total = config.clusterEndpoints.length;
    checks.push({
      check: `ARC cluster endpoints answer (${config.clusterArn})`,
      ok: answered.length > 0,
      detail:
        `${answered.length} of ${total} endpoint(s) answered ListRoutingControls` +
        (answered.length > 0 ? ` (${answered.map((a) => `${a.endpoint.endpoint} in ${a.endpoint.region}`).join(', ')})` : '') +
        (failed.length > 0 ? `; no answer from ${failed.map((f) => `${f.endpoint.endpoint} (${f.error})`).join('; ')}` : ''),
    });
    const listed = answered[0]?.controls;
    const find = (arn: string) => listed?.find((c) => c.RoutingControlArn === arn);
    const primary = find(config.primaryRoutingControlArn);
    const secondary = find(config.secondaryRoutingControlArn);
    for (const [role, arn, control] of [
      ['primary', config.primaryRoutingControlArn, primary],
      ['secondary', config.secondaryRoutingControlArn, secondary],
    ] as const) {
      checks.push({
        check: `${role} routing control ${arn} on the cluster`,
        ok: control !== undefined,
        detail: control
          ? `${control.RoutingControlName ?? arn} in control panel ${control.ControlPanelName ?? controlPanelOf(arn)} is ${control.RoutingControlState}`
          : listed
            ? `not listed in control panel ${controlPanelOf(arn)}; check arc.${role}RoutingControlArn`
            : 'could not be read: no endpoint answered',
      });
    }
    if (primary && secondary) {
      const p = primary.RoutingControlState;
      const s = secondary.RoutingControlState;
      checks.push({
        check: 'primary cell takes the traffic',
        ok: p === 'On',
        detail:
          p === 'On'
            ? `primary On, secondary ${s}: a failover would set the secondary On and the primary Off`
            : s === 'On'
              ? 'primary Off, secondary On: traffic is already on the secondary cell; a failover would change nothing'
              : 'primary and secondary both Off: traffic is not routed by these controls as expected; look before failing over',
      });
    }
    checks.push({
      check: 'safety rules a failover may override',
      ok: true,
      detail:
        config.safetyRulesToOverride.length === 0
          ? 'none: every safety rule is honoured (a rule that refuses the failover stops it and a human is paged)'
          : `configured to override ${config.safetyRulesToOverride.join(', ')}: a failover may break these rules`,
    });
    return checks;
  }

  // ---- internals ----

  async #readBoth(config: ArcConfig): Promise<Answer<{ primary: ControlView; secondary: ControlView }>> {
    const primary = await this.#get(config, config.primaryRoutingControlArn, 'primary');
    const secondary = await this.#get(config, config.secondaryRoutingControlArn, 'secondary');
    return { value: { primary: primary.value, secondary: secondary.value }, endpoint: secondary.endpoint, skipped: [...primary.skipped, ...secondary.skipped] };
  }

  async #get(config: ArcConfig, arn: string, role: 'primary' | 'secondary'): Promise<Answer<ControlView>> {
    return this.#onAnyEndpoint(config, 'GetRoutingControlState', `${role} routing control ${arn}`, async (client) => {
      const out = await client.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }));
      const state = RoutingControlStateSchema.safeParse(out.RoutingControlState);
      if (!state.success) throw new TypeError(`ARC GetRoutingControlState on ${arn} returned state ${String(out.RoutingControlState)}, not On or Off`);
      return { arn, name: out.RoutingControlName ?? arn, state: state.data };
    });
  }

  async #update(config: ArcConfig, target: ArcState): Promise<Answer<void>> {
    const resource = `routing controls ${routingControlId(target.secondaryArn)} → ${target.secondary} and ${routingControlId(target.primaryArn)} → ${target.primary}`;
    return this.#onAnyEndpoint(config, 'UpdateRoutingControlStates', resource, async (client) => {
      await client.send(
        new UpdateRoutingControlStatesCommand({
          // Secondary first: the entries apply together, but a reader of the request sees the intent.
          UpdateRoutingControlStateEntries: [
            { RoutingControlArn: target.secondaryArn, RoutingControlState: target.secondary },
            { RoutingControlArn: target.primaryArn, RoutingControlState: target.primary },
          ],
          // Only what the config allows; never on our own initiative.
          ...(config.safetyRulesToOverride.length > 0 ? { SafetyRulesToOverride: [...config.safetyRulesToOverride] } : {}),
        }),
      );
    });
  }

  /**
   * Runs `call` against the cluster's endpoints in turn, starting at the one that answered last
   * (at first a random one), until one answers. Moves on only when the endpoint is the problem.
   */
  async #onAnyEndpoint<T>(config: ArcConfig, operation: string, resource: string, call: (client: Route53RecoveryClusterClient) => Promise<T>): Promise<Answer<T>> {
    const endpoints = config.clusterEndpoints;
    const key = endpoints.map((e) => e.endpoint).join(' ');
    const start = this.#preferred.get(key) ?? Math.min(endpoints.length - 1, Math.floor(this.#random() * endpoints.length));
    const skipped: Skipped[] = [];
    for (let i = 0; i < endpoints.length; i++) {
      const index = (start + i) % endpoints.length;
      const endpoint = endpoints[index]!;
      try {
        const value = await call(await this.#clientFor(endpoint));
        this.#preferred.set(key, index);
        return { value, endpoint, skipped };
      } catch (err) {
        const classified = arcError(err, operation, resource, endpoint);
        // A conflict is about the routing controls, not the endpoint: the workflow backs off instead.
        if (!(classified instanceof TransientAwsError) || awsErrorName(err) === 'ConflictException') throw classified;
        skipped.push({ endpoint, error: errorText(err) });
      }
    }
    throw new ArcEndpointsUnavailableError(
      `ARC ${operation} on ${resource}: none of the ${endpoints.length} cluster endpoint(s) answered ` +
        `(${skipped.map((s) => `${s.endpoint.endpoint}: ${s.error}`).join('; ')}); the step is retried`,
      { cause: skipped },
    );
  }
}

/**
 * What an ARC data-plane error means. A ConflictException that names a safety rule is a refusal,
 * not a race: it is not retried (the shared classification retries ConflictException, which is
 * right for AppConfig and ECS, not here). Unavailable and unreachable endpoints are transient, so
 * the next endpoint is tried.
 */
export function arcError(err: unknown, operation: string, resource: string, endpoint: ArcEndpoint): Error {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  const where = `ARC ${operation} on ${resource} via ${endpoint.endpoint}`;
  if (name === 'ConflictException') {
    const resourceId = (err as { resourceId?: unknown }).resourceId;
    const rules = [...new Set([...(message.match(SAFETY_RULE_ARN) ?? []), ...(typeof resourceId === 'string' ? (resourceId.match(SAFETY_RULE_ARN) ?? []) : [])])];
    if (rules.length > 0 || /safety rule/i.test(message)) {
      const named = rules.length > 0 ? `safety rule ${rules.join(', ')}` : 'a safety rule';
      return new ArcSafetyRuleConflictError(
        `ARC ${named} refused ${operation} (${resource}) via ${endpoint.endpoint}: "${message}". The rule is honoured, not overridden: ` +
          'a human decides (list the rule in arc.safetyRulesToOverride only if the automation may break it)',
        rules,
        { cause: err },
      );
    }
    return new TransientAwsError(`${where}: ARC reported a conflict that names no safety rule (${message}); retrying`, { cause: err });
  }
  if (name === 'ResourceNotFoundException') {
    return new ArcRoutingControlNotFoundError(
      `${where}: the cluster has no such routing control or control panel; check the routing control ARNs and arc.clusterEndpoints (a routing control lives on one cluster) (${message})`,
      { cause: err },
    );
  }
  if (name !== undefined && NEXT_ENDPOINT_NAMES.has(name)) return new TransientAwsError(`${where}: endpoint unavailable or unreachable (${name}: ${message})`, { cause: err });
  return classifyAwsError(err, `ARC ${operation}`, `${resource} via ${endpoint.endpoint}`);
}

/** The real clients: one per endpoint, one attempt each (the adapter tries the next endpoint instead). */
function defaultClients(): ArcClientFor {
  const clients = new Map<string, Route53RecoveryClusterClient>();
  return ({ endpoint, region }) => {
    let client = clients.get(endpoint);
    if (!client) clients.set(endpoint, (client = new Route53RecoveryClusterClient({ endpoint, region, maxAttempts: 1 })));
    return client;
  };
}

async function listControls(client: Route53RecoveryClusterClient, controlPanelArn: string): Promise<RoutingControl[]> {
  const out: RoutingControl[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.send(new ListRoutingControlsCommand({ ControlPanelArn: controlPanelArn, ...(token !== undefined ? { NextToken: token } : {}) }));
    out.push(...(res.RoutingControls ?? []));
    token = res.NextToken;
    if (token === undefined) return out;
  }
  return out;
}

/** The control panel a routing control belongs to: its ARN up to "/routingcontrol/". */
export function controlPanelOf(routingControlArn: string): string {
  const i = routingControlArn.indexOf('/routingcontrol/');
  return i < 0 ? routingControlArn : routingControlArn.slice(0, i);
}

function stateOf(primary: ControlView, secondary: ControlView): ArcState {
  return { primaryArn: primary.arn, primary: primary.state, secondaryArn: secondary.arn, secondary: secondary.state };
}

function isFailedOver(s: ArcState): boolean {
  return s.secondary === 'On' && s.primary === 'Off';
}

function describe(c: ControlView): string {
  return c.name === c.arn ? routingControlId(c.arn) : `${c.name} (${routingControlId(c.arn)})`;
}

function overrideNote(config: ArcConfig): string {
  return config.safetyRulesToOverride.length > 0 ? `, overriding safety rule(s) ${config.safetyRulesToOverride.join(', ')} as configured` : ', honouring every safety rule';
}

function viaNote(answer: Pick<Answer<unknown>, 'endpoint' | 'skipped'>): string {
  const via = `via ${answer.endpoint.endpoint} in ${answer.endpoint.region}`;
  if (answer.skipped.length === 0) return via;
  return `${via}, after ${answer.skipped.map((s) => `${s.endpoint.endpoint} (${s.error})`).join(', ')}`;
}

function errorText(err: unknown): string {
  const name = awsErrorName(err) ?? 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return message ? `${name}: ${message}` : name;
}
