import type { VirtualClock } from './clock.js';
import { crashInvocation, currentInvocation, faultError, type FaultInjector, type FaultKind, retryDelayMs, sdkRetries } from './faults.js';

/**
 * How real SDK v3 clients are wired to the simulation: a middleware at the `initialize` step
 * (before serialization, signing, endpoint resolution and retries) answers the command from
 * the simulated service and never lets the request reach the network.
 */

/** The AWS services the simulated account answers. */
export type SimServiceName = 'appconfig' | 'ecs' | 'cloudwatch' | 'sns' | 'route53' | 'wafv2' | 'route53-recovery-cluster' | 'rds' | 'sts';

/** Who made a call: the scenario's own history, or the code under drill (handlers, adapters). */
export type CallOrigin = 'scenario' | 'drill';

/** An SDK output without the `$metadata` the wire adds. */
export type Out<T> = Omit<T, '$metadata'>;

/** Who signed a call: the principal behind the client's credentials (drill/sim/sts.ts). */
export interface SimPrincipal {
  /** The caller's ARN as AWS names it in messages (`arn:aws:sts::<account>:assumed-role/<role>/<session>`). */
  readonly arn: string;
  readonly account: string;
  /** The IAM role the session belongs to. */
  readonly roleArn: string;
  /** The role session name. */
  readonly session: string;
}

/** Tells who is behind an access key (drill/sim/sts.ts `SimIdentity`). */
export interface SimCallers {
  callerOf(accessKeyId: string | undefined, at: Date): SimPrincipal | undefined;
}

/**
 * One command handler: takes the command input (and who made the call, for STS), returns the
 * output body or throws an SDK exception.
 */
export type CommandHandler = (input: never, context: { readonly caller?: SimPrincipal | undefined }) => unknown;

/** A simulated service: its name and the commands it answers, keyed by operation name ("ListDeployments"). */
export interface SimService {
  readonly service: SimServiceName;
  commands(): Readonly<Record<string, CommandHandler>>;
}

/** One recorded SDK call, as plain JSON (for the drill report). */
export interface SimCall {
  /** 1-based order of the call across the whole account. */
  readonly seq: number;
  readonly origin: CallOrigin;
  readonly service: SimServiceName;
  /** Operation name without the "Command" suffix ("StartDeployment"). */
  readonly command: string;
  /** The command input, JSON-safe: Dates become ISO strings, byte arrays their UTF-8 text. */
  readonly input: unknown;
  /** Virtual time of the call (ISO-8601). */
  readonly at: string;
  /** The endpoint the client was sent to, for services called per endpoint (the ARC cluster's). */
  readonly endpoint?: string;
  /** Who signed the call (its principal's ARN), in drills with several accounts. */
  readonly caller?: string;
  /** Set when the call failed: the exception's name and message. */
  readonly error?: { readonly name: string; readonly message: string };
  /**
   * Set when a scenario fault hit the call (drill/sim/faults.ts). A `crashAfterMutation` call has no
   * `error`: AWS accepted it (the change is made); the invocation that made it died afterwards.
   */
  readonly fault?: FaultKind;
}

/** Thrown for a command the simulation does not implement: never answer with a silent empty result. */
export class UnsupportedCommandError extends Error {
  override readonly name = 'UnsupportedCommandError';
  constructor(
    readonly service: SimServiceName,
    readonly command: string,
  ) {
    super(`The simulated AWS account does not implement ${service} ${command}. ` + `Add it to drill/sim/${service}.ts, or keep the code under drill away from this call.`);
  }
}

const decoder = new TextDecoder();

/** Converts SDK inputs to plain JSON: Dates to ISO strings, byte arrays to their UTF-8 text. */
export function toJsonSafe(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return decoder.decode(value);
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) out[key] = toJsonSafe(v);
    }
    return out;
  }
  return value;
}

/** Commands that only read (Get…, List…, Describe…, Check…): they never change the simulated state. */
export function isReadOnlyCommand(command: string): boolean {
  return /^(Get|List|Describe|Check)/.test(command);
}

/**
 * Whether a recorded call changed the simulated account: a write (not a read, not an SNS publish)
 * that the service accepted. A throttled, denied, conflicting or failed call changed nothing; a call
 * whose invocation crashed afterwards (`crashAfterMutation`) did.
 */
export function isMutation(call: { readonly service: string; readonly command: string; readonly error?: unknown }): boolean {
  return changesState(call) && call.error === undefined;
}

/**
 * Whether a call could change what the health model and the alarms read: not a read, not an SNS
 * publish (SNS only keeps the messages), not STS (credentials change no resource).
 */
export function changesState(call: { readonly service: string; readonly command: string }): boolean {
  return call.service !== 'sns' && call.service !== 'sts' && !isReadOnlyCommand(call.command);
}

/** Keeps the ordered list of every call made against the simulated account. */
export class CallRecorder {
  readonly #calls: SimCall[] = [];
  #writes = 0;

  /** Appends a call and returns its sequence number. */
  record(call: Omit<SimCall, 'seq'>): number {
    const seq = this.#calls.length + 1;
    this.#calls.push({ seq, ...call });
    if (changesState(call)) this.#writes += 1;
    return seq;
  }

  /**
   * How many calls so far could have changed the simulated state (any call that is not a read and
   * not an SNS publish, failed ones included). Cheap to poll: alarm predictions are redone only
   * when it moves.
   */
  writes(): number {
    return this.#writes;
  }

  /** A deep copy of the calls so far. */
  list(): SimCall[] {
    return structuredClone(this.#calls);
  }
}

/** The part of an SDK v3 client the wiring needs (every generated client has it). */
interface MiddlewareClient {
  config?: { maxAttempts?: number | (() => Promise<number>); credentials?: unknown };
  middlewareStack: {
    add(
      middleware: (next: unknown, context: { commandName?: string }) => (args: { input: unknown }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/** Options for {@link wireClient}. */
export interface WireOptions {
  readonly service: SimService;
  readonly clock: VirtualClock;
  readonly recorder: CallRecorder;
  readonly origin: CallOrigin;
  /** Faults the scenario injects; they apply to origin "drill" only. */
  readonly faults?: FaultInjector;
  /**
   * How a slow call or an SDK retry backoff waits, in simulated seconds. The drill passes its
   * scheduler's sleep, so other actors run meanwhile; by default the clock simply moves.
   */
  readonly sleep?: (seconds: number) => Promise<void>;
  /** The endpoint this client is sent to (an ARC cluster endpoint); recorded on each call. */
  readonly endpoint?: string;
  /**
   * Who is behind the client's credentials: with it, every call resolves the client's credentials
   * first (as signing would: an assumed role's provider calls STS AssumeRole) and records its caller.
   */
  readonly callers?: SimCallers;
  /** Refuses a call (an access-denied exception) before anything else happens, e.g. one not made with the account's member role. */
  readonly guard?: (
    caller: SimPrincipal | undefined,
    call: { readonly service: SimServiceName; readonly command: string; readonly input: Record<string, unknown> },
  ) => Error | undefined;
}

/** The access key of the client's credentials, resolved the way signing resolves them (a provider is called). */
async function accessKeyOf(client: MiddlewareClient): Promise<string | undefined> {
  const configured = client.config?.credentials;
  const credentials = (typeof configured === 'function' ? await (configured as () => Promise<unknown>)() : configured) as { accessKeyId?: string } | undefined;
  return credentials?.accessKeyId;
}

/** Attempts the client's retry strategy makes (the SDK's default is 3). */
async function maxAttemptsOf(client: MiddlewareClient): Promise<number> {
  const configured = client.config?.maxAttempts;
  const n = typeof configured === 'function' ? await configured() : configured;
  return typeof n === 'number' && n >= 1 ? n : 3;
}

/**
 * Adds the short-circuit middleware to a real SDK client, so `client.send(new XCommand(input))`
 * is answered by the simulated service. Returns the same client for chaining.
 */
export function wireClient<C>(client: C, options: WireOptions): C {
  const { service, clock, recorder, origin } = options;
  const faults = origin === 'drill' && options.faults && !options.faults.empty ? options.faults : undefined;
  const sleep = options.sleep ?? (async (seconds: number) => clock.advanceBy(seconds));
  const name = service.service;
  const where = options.endpoint !== undefined ? { endpoint: options.endpoint } : {};
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (_next, context) => async (args) => {
      const command = (context.commandName ?? 'UnknownCommand').replace(/Command$/, '');
      // Snapshot the input before the handler runs, so a handler can never alter the record.
      const input = toJsonSafe(args.input);
      const handler = service.commands()[command];
      // Credentials first, as signing needs them: a provider that cannot get them fails the call before it is sent.
      const caller = options.callers ? options.callers.callerOf(await accessKeyOf(client as unknown as MiddlewareClient), clock.now()) : undefined;
      const by = caller ? { caller: caller.arn } : {};
      const refused = options.guard?.(caller, { service: name, command, input: (input ?? {}) as Record<string, unknown> });
      if (refused) {
        recorder.record({ origin, service: name, command, input, at: clock.now().toISOString(), ...where, ...by, error: { name: refused.name, message: refused.message } });
        throw refused;
      }
      // The SDK's retry strategy runs after this middleware, so for injected faults it is replayed
      // here: throttling and server errors are retried up to maxAttempts, backing off in simulated time.
      const maxAttempts = faults ? await maxAttemptsOf(client as unknown as MiddlewareClient) : 1;
      let totalRetryDelay = 0;
      for (let attempt = 1; ; attempt++) {
        if (faults) {
          const delay = faults.takeDelay(name, command, clock.now());
          if (delay > 0) await sleep(delay);
        }
        const at = clock.now().toISOString();
        const fault = faults?.peek(name, command, clock.now());
        if (fault && fault.kind !== 'crashAfterMutation') {
          const error = faultError(
            fault.kind,
            { service: name, command, input: (input ?? {}) as Record<string, unknown>, invocation: currentInvocation() },
            attempt,
            totalRetryDelay,
          );
          faults!.fire(fault.index, { at, service: name, command, error: `${error.name}: ${error.message}` });
          recorder.record({ origin, service: name, command, input, at, ...where, ...by, error: { name: error.name, message: error.message }, fault: fault.kind });
          if (attempt < maxAttempts && sdkRetries(fault.kind, name)) {
            const wait = retryDelayMs(fault.kind, name, attempt);
            totalRetryDelay += wait;
            await sleep(wait / 1000);
            continue;
          }
          throw error;
        }
        let body: unknown;
        try {
          if (!handler) throw new UnsupportedCommandError(name, command);
          body = (handler as (input: unknown, context: { caller?: SimPrincipal }) => unknown)(args.input, caller ? { caller } : {});
        } catch (error) {
          const e = error as Error;
          recorder.record({ origin, service: name, command, input, at, ...where, ...by, error: { name: e.name, message: e.message } });
          throw error;
        }
        const crash = fault?.kind === 'crashAfterMutation';
        const seq = recorder.record({ origin, service: name, command, input, at, ...where, ...by, ...(crash ? { fault: 'crashAfterMutation' as const } : {}) });
        if (crash) {
          faults!.fire(fault.index, { at, service: name, command, error: 'Lambda.Unknown (the invocation crashed after the call returned)' });
          return crashInvocation(name, command);
        }
        return {
          output: {
            ...(body as object),
            $metadata: { httpStatusCode: 200, requestId: `sim-${seq}`, attempts: attempt, totalRetryDelay },
          },
          response: {},
        };
      }
    },
    { step: 'initialize', name: 'tourniquetSimulatedAccount', priority: 'high' },
  );
  return client;
}

/** SDK exception metadata with the HTTP status AWS would have answered. */
export function errorMetadata(httpStatusCode: number): { httpStatusCode: number; attempts: number; totalRetryDelay: number } {
  return { httpStatusCode, attempts: 1, totalRetryDelay: 0 };
}

/** Opaque pagination token for list operations (an offset, base64url-encoded with a prefix). */
export function encodeToken(offset: number): string {
  return Buffer.from(`sim:${offset}`).toString('base64url');
}

/** Decodes {@link encodeToken}; returns undefined for a token this simulation did not issue. */
export function decodeToken(token: string | undefined): number | undefined {
  if (token === undefined) return 0;
  const text = Buffer.from(token, 'base64url').toString();
  const match = /^sim:(\d+)$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Slices a list for one page; returns the page and the token for the next one. */
export function paginate<T>(items: readonly T[], offset: number, pageSize: number): { page: T[]; nextToken?: string } {
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  return next < items.length ? { page, nextToken: encodeToken(next) } : { page };
}
