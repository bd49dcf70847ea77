import { AsyncLocalStorage } from 'node:async_hooks';

import { AppConfigServiceException, ConflictException as AppConfigConflictException, InternalServerException } from '@aws-sdk/client-appconfig';
import { CloudWatchServiceException, InternalServiceFault } from '@aws-sdk/client-cloudwatch';
import { AccessDeniedException as EcsAccessDeniedException, ConflictException as EcsConflictException, ECSServiceException, ServerException } from '@aws-sdk/client-ecs';
import { RDSServiceException } from '@aws-sdk/client-rds';
import { PriorRequestNotComplete, Route53ServiceException, ThrottlingException as Route53ThrottlingException } from '@aws-sdk/client-route-53';
import {
  AccessDeniedException as ArcAccessDeniedException,
  InternalServerException as ArcInternalServerException,
  ThrottlingException as ArcThrottlingException,
} from '@aws-sdk/client-route53-recovery-cluster';
import { AuthorizationErrorException, InternalErrorException, ThrottledException } from '@aws-sdk/client-sns';
import { STSServiceException } from '@aws-sdk/client-sts';
import { WAFInternalErrorException, WAFOptimisticLockException, WAFV2ServiceException } from '@aws-sdk/client-wafv2';
import * as z from 'zod';

import { SIM_ACCOUNT, SIM_REGION } from './ids.js';
import type { SimServiceName } from './wire.js';

/**
 * Fault injection for the simulated account: per service and operation, a call can be throttled,
 * fail with a server error, be denied by IAM, lose an optimistic-lock race, answer slowly, or
 * succeed and then take the calling Lambda invocation down with it; SNS can be down for a window.
 * One kind is not about an API call: `taskFailure` makes a Task state of the workflow fail with a
 * given error (the runner wires it to the state's handler and checks the state exists).
 * Every error is the exception AWS SDK v3 raises for that failure (the modelled class where the
 * service's SDK has one, else the service's base exception with AWS's error code as `name`), so the
 * adapters classify it exactly as they would in production. docs/scenarios.md ("faults") documents
 * the scenario field.
 */

/** The fault kinds a scenario can inject. */
export const FAULT_KINDS = ['throttle', '5xx', 'accessDenied', 'lockConflict', 'slow', 'crashAfterMutation', 'snsDown', 'taskFailure'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** The kinds that hit calls to the simulated account (all but taskFailure, which hits a Task state). */
export type ApiFaultKind = Exclude<FaultKind, 'taskFailure'>;

/**
 * The operations each simulated service implements (what a fault may name). Kept in step with the
 * simulators' `commands()` by test/drill/sim/faults.test.ts.
 */
export const SIMULATED_OPERATIONS: Readonly<Record<SimServiceName, readonly string[]>> = {
  appconfig: [
    'ListDeployments',
    'GetDeployment',
    'StartDeployment',
    'StopDeployment',
    'ListHostedConfigurationVersions',
    'GetHostedConfigurationVersion',
    'CreateHostedConfigurationVersion',
    'GetConfigurationProfile',
    'ListDeploymentStrategies',
    'GetDeploymentStrategy',
    'GetEnvironment',
  ],
  ecs: ['DescribeServices', 'UpdateService', 'DescribeTaskDefinition', 'ListServiceDeployments', 'DescribeServiceDeployments', 'DescribeServiceRevisions', 'StopServiceDeployment'],
  cloudwatch: ['DescribeAlarms', 'DescribeAlarmHistory', 'GetMetricData'],
  sns: ['Publish'],
  route53: ['ListResourceRecordSets', 'ChangeResourceRecordSets', 'GetChange', 'GetHealthCheck', 'UpdateHealthCheck', 'GetHealthCheckStatus'],
  wafv2: ['GetWebACL', 'UpdateWebACL', 'ListWebACLs', 'CheckCapacity'],
  'route53-recovery-cluster': ['GetRoutingControlState', 'ListRoutingControls', 'UpdateRoutingControlState', 'UpdateRoutingControlStates'],
  rds: ['DescribeDBClusters', 'DescribeDBInstances', 'FailoverDBCluster'],
  sts: ['AssumeRole', 'GetCallerIdentity'],
};

const SERVICES = Object.keys(SIMULATED_OPERATIONS) as SimServiceName[];
/** Services with an optimistic lock or a one-change-at-a-time rule that a concurrent writer can trip. */
const LOCKING_SERVICES: readonly SimServiceName[] = ['appconfig', 'ecs', 'route53', 'wafv2'];
/** Longest a `slow` fault may delay one call (a Lambda runs at most 15 minutes). */
export const MAX_SLOW_SECONDS = 900;

const isRead = (operation: string): boolean => /^(Get|List|Describe|Check)/.test(operation);

/**
 * The schema of one scenario fault. Built from the scenario's offset schema (passed in rather than
 * imported, so drill/scenario.ts can use this module without an import cycle).
 */
export function faultSpecSchema(offset: z.ZodType<string>, offsetSeconds: (offset: string) => number) {
  return z
    .object({
      kind: z.enum(FAULT_KINDS, { error: () => `kind must be one of ${FAULT_KINDS.join(', ')}` }),
      /** The simulated service whose calls fail (not for snsDown: that is every SNS Publish). */
      service: z.enum(SERVICES as [SimServiceName, ...SimServiceName[]], { error: () => `service must be one of ${SERVICES.join(', ')}` }).optional(),
      /** The operation, as the SDK command without "Command" ("StartDeployment"). */
      operation: z.string().min(1).optional(),
      /** How many calls the fault hits (each SDK attempt counts); default every matching call in the window. */
      times: z.number().int().min(1).max(1000).optional(),
      /** The fault applies from this offset on (default: from the start). */
      from: offset.optional(),
      /** The fault applies before this offset (default: to the end). */
      until: offset.optional(),
      /** slow only: seconds of simulated time before the call is answered. */
      seconds: z.number().positive().max(MAX_SLOW_SECONDS).optional(),
      /** taskFailure only: the Task state of the workflow that fails ("OpenIncident"); the runner checks it against the synthesized definition. */
      state: z.string().min(1).optional(),
      /** taskFailure only: the error name the Task fails with (what Retry and Catch match, e.g. "StoreError"). */
      error: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_.]{0,127}$/, 'error is an error name: letters, digits, _ and .')
        .optional(),
      /** taskFailure only: the error's message (the Cause Step Functions reports). */
      cause: z.string().min(1).max(2000).optional(),
      description: z.string().max(500).optional(),
    })
    .strict()
    .superRefine((f, ctx) => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (f.kind === 'taskFailure') {
        if (f.state === undefined) issue('state', 'a taskFailure fault needs the Task state that fails, e.g. "OpenIncident"');
        if (f.error === undefined) issue('error', 'a taskFailure fault needs the error name the Task fails with, e.g. "StoreError"');
        if (f.service !== undefined) issue('service', 'a taskFailure fault hits a Task state, not an AWS service: leave out service');
        if (f.operation !== undefined) issue('operation', 'a taskFailure fault hits a Task state, not an AWS operation: leave out operation');
      } else if (f.kind === 'snsDown') {
        if (f.service !== undefined && f.service !== 'sns') issue('service', 'snsDown is about SNS: leave out service (or write "sns")');
        if (f.operation !== undefined && f.operation !== 'Publish') issue('operation', 'snsDown fails every SNS Publish: leave out operation (or write "Publish")');
      } else {
        if (f.service === undefined) issue('service', `a ${f.kind} fault needs the service whose calls fail (${SERVICES.join(', ')})`);
        if (f.operation === undefined) issue('operation', `a ${f.kind} fault needs the operation that fails, e.g. "StartDeployment"`);
      }
      if (f.service !== undefined && f.operation !== undefined && !SIMULATED_OPERATIONS[f.service].includes(f.operation)) {
        issue('operation', `the simulated ${f.service} does not implement "${f.operation}" (it implements ${SIMULATED_OPERATIONS[f.service].join(', ')})`);
      }
      if (f.kind === 'slow' && f.seconds === undefined) issue('seconds', 'a slow fault needs seconds: how long the call takes, in simulated time');
      if (f.kind !== 'slow' && f.seconds !== undefined) issue('seconds', 'seconds is for slow faults only');
      if (f.kind !== 'taskFailure') {
        for (const key of ['state', 'error', 'cause'] as const) if (f[key] !== undefined) issue(key, `${key} is for taskFailure faults only`);
      }
      if (f.kind === 'lockConflict' && f.service !== undefined && !LOCKING_SERVICES.includes(f.service)) {
        issue('service', `lockConflict is modelled for ${LOCKING_SERVICES.join(', ')} (their conflict errors), not ${f.service}`);
      }
      if (f.kind === 'crashAfterMutation' && f.operation !== undefined && (isRead(f.operation) || f.service === 'sns')) {
        issue('operation', `crashAfterMutation needs an operation that changes the account, not ${f.operation}`);
      }
      const valid = (o: string | undefined) => o !== undefined && offset.safeParse(o).success;
      if (valid(f.from) && valid(f.until) && offsetSeconds(f.until!) <= offsetSeconds(f.from!)) issue('until', 'until must be later than from');
    });
}
/** One fault of a scenario's `faults`. */
export type FaultSpec = z.infer<ReturnType<typeof faultSpecSchema>>;

/** A fault with its window resolved to instants. */
export interface ResolvedFault {
  readonly spec: FaultSpec;
  readonly from?: Date;
  readonly until?: Date;
}

/** One call a fault hit (for taskFailure: one invocation of the Task state's handler). */
export interface FaultFiring {
  readonly at: string;
  /** The simulated service called; `states` for a taskFailure (the call is the Task state's invocation). */
  readonly service: SimServiceName | 'states';
  /** The command; for a taskFailure, the Task state's name. */
  readonly command: string;
  /** The error the caller saw (for slow: none, the call went on). */
  readonly error?: string;
}

/** What each fault of the scenario did, for the drill report. */
export interface FaultReport {
  /** Position in the scenario's `faults`. */
  readonly index: number;
  readonly kind: FaultKind;
  readonly service?: string;
  readonly operation?: string;
  /** taskFailure: the Task state it fails. */
  readonly state?: string;
  /** Calls the fault hit. */
  readonly fired: number;
  readonly calls: FaultFiring[];
}

/** The name AWS Step Functions gives an unhandled Lambda failure: a crash, an out-of-memory kill or a function timeout. */
export const LAMBDA_CRASH_ERROR = 'Lambda.Unknown';

/**
 * The Lambda invocation died right after an AWS call returned (`crashAfterMutation`): the change is
 * made, nothing after the call ran. Its `name` is what Step Functions reports for a crashed function
 * ("Unhandled errors in Lambda are reported as Lambda.Unknown", AWS Step Functions developer guide,
 * Handle Lambda service exceptions), so Retry/Catch rules match it as they would in production.
 */
export class SimulatedCrashError extends Error {
  override readonly name = LAMBDA_CRASH_ERROR;
  constructor(
    readonly service: SimServiceName,
    readonly command: string,
    readonly invocation: string | undefined,
  ) {
    super(
      `RequestId: sim-crash Error: Runtime exited with error: signal: killed (simulated crash of ${invocation ?? 'the invocation'} right after ${service} ${command} returned)`,
    );
  }
}

interface Invocation {
  readonly name: string;
  readonly crash: (error: SimulatedCrashError) => void;
}
const invocations = new AsyncLocalStorage<Invocation>();

/**
 * Runs `fn` as one Lambda invocation named `name` (the handler name, "mitigate"). A
 * `crashAfterMutation` fault inside it ends the invocation at once with {@link SimulatedCrashError}:
 * the pending call never returns to the code, so no catch block, ledger write or log line after the
 * call runs, as when the process dies. Outside any invocation the error is simply thrown.
 */
export function runAsInvocation<T>(name: string, fn: () => Promise<T>): Promise<T> {
  let crash!: (error: SimulatedCrashError) => void;
  const crashed = new Promise<never>((_resolve, reject) => {
    crash = reject;
  });
  return Promise.race([invocations.run({ name, crash }, fn), crashed]);
}

/** Wraps a handler so every call of it is one invocation (see {@link runAsInvocation}). */
export function asInvocation<A extends unknown[], R>(name: string, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args: A) => runAsInvocation(name, () => handler(...args));
}

/** The current invocation's name, if the caller runs inside one. */
export function currentInvocation(): string | undefined {
  return invocations.getStore()?.name;
}

/**
 * Ends the current invocation with a crash; returns a promise that never settles for the call that
 * triggered it. Outside an invocation, throws the crash error instead.
 */
export function crashInvocation(service: SimServiceName, command: string): Promise<never> {
  const invocation = invocations.getStore();
  const error = new SimulatedCrashError(service, command, invocation?.name);
  if (!invocation) throw error;
  invocation.crash(error);
  return new Promise<never>(() => undefined);
}

/** Kinds that fail the call with an exception (slow delays it, crashAfterMutation lets it succeed). */
export type ErrorFaultKind = Exclude<ApiFaultKind, 'slow' | 'crashAfterMutation'>;

/**
 * A Task state failed by a `taskFailure` fault. Its `name` is the scenario's `error`, since Step
 * Functions matches Retry and Catch on the error name the function reports.
 */
export class InjectedTaskFailureError extends Error {
  override readonly name: string;
  constructor(
    name: string,
    message: string,
    readonly state: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** Whether the SDK's standard retry strategy retries the error (throttling and server errors). */
export function sdkRetries(kind: ErrorFaultKind, service: SimServiceName): boolean {
  return kind === 'throttle' || kind === '5xx' || kind === 'snsDown' || (kind === 'lockConflict' && service === 'route53');
}

/** Base delay of the standard retry strategy: 500 ms after throttling, 100 ms otherwise. */
export function retryDelayMs(kind: ErrorFaultKind, service: SimServiceName, attempt: number): number {
  const base = kind === 'throttle' || (kind === 'lockConflict' && service === 'route53') ? 500 : 100;
  // The strategy draws from [0, base × 2^attempt); its mean, without jitter, keeps drills reproducible.
  return Math.min(20_000, base * 2 ** (attempt - 1));
}

const meta = (httpStatusCode: number, attempts: number, totalRetryDelay: number) => ({ httpStatusCode, attempts, totalRetryDelay, requestId: 'sim-fault' });

/** The IAM action prefix of each service, as AWS spells it in access-denied messages. */
const IAM_PREFIX: Record<SimServiceName, string> = {
  appconfig: 'appconfig',
  ecs: 'ecs',
  cloudwatch: 'cloudwatch',
  sns: 'SNS',
  route53: 'route53',
  wafv2: 'wafv2',
  'route53-recovery-cluster': 'route53-recovery-cluster',
  rds: 'rds',
  sts: 'sts',
};

/** The ARN an access-denied message names for a call (what the IAM policy would have to allow). */
export function resourceArn(service: SimServiceName, command: string, input: Record<string, unknown>): string {
  const s = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : '*');
  const region = `${SIM_REGION}:${SIM_ACCOUNT}`;
  switch (service) {
    case 'ecs': {
      if (command === 'StopServiceDeployment' || command === 'DescribeServiceDeployments') return s('serviceDeploymentArn');
      if (command === 'DescribeTaskDefinition') return `arn:aws:ecs:${region}:task-definition/${s('taskDefinition')}`;
      const cluster = s('cluster').split('/').pop()!;
      const service = typeof input['service'] === 'string' ? s('service') : Array.isArray(input['services']) ? String(input['services'][0]) : '*';
      return service.startsWith('arn:') ? service : `arn:aws:ecs:${region}:service/${cluster}/${service}`;
    }
    case 'appconfig': {
      const app = `arn:aws:appconfig:${region}:application/${s('ApplicationId')}`;
      if (/Deployment$|Deployments$|Environment$/.test(command) && command !== 'GetDeploymentStrategy' && command !== 'ListDeploymentStrategies')
        return `${app}/environment/${s('EnvironmentId')}`;
      if (/Strateg/.test(command)) return `arn:aws:appconfig:${region}:deploymentstrategy/${s('DeploymentStrategyId')}`;
      return `${app}/configurationprofile/${s('ConfigurationProfileId')}`;
    }
    case 'route53':
      return /HealthCheck/.test(command)
        ? `arn:aws:route53:::healthcheck/${s('HealthCheckId')}`
        : command === 'GetChange'
          ? `arn:aws:route53:::change/${s('Id')}`
          : `arn:aws:route53:::hostedzone/${s('HostedZoneId')}`;
    case 'wafv2': {
      const scope = input['Scope'] === 'CLOUDFRONT' ? 'global' : 'regional';
      return `arn:aws:wafv2:${region}:${scope}/webacl/${s('Name')}/${s('Id')}`;
    }
    case 'sns':
      return s('TopicArn');
    case 'cloudwatch':
      return `arn:aws:cloudwatch:${region}:alarm:*`;
    case 'route53-recovery-cluster': {
      // ListRoutingControls has no resource type; the updates name their first routing control.
      const entries = input['UpdateRoutingControlStateEntries'];
      const first = Array.isArray(entries) ? (entries[0] as { RoutingControlArn?: unknown } | undefined)?.RoutingControlArn : undefined;
      return typeof first === 'string' ? first : s('RoutingControlArn');
    }
    case 'rds':
      return command === 'DescribeDBInstances' ? `arn:aws:rds:${region}:db:${s('DBInstanceIdentifier')}` : `arn:aws:rds:${region}:cluster:${s('DBClusterIdentifier')}`;
    case 'sts':
      return command === 'AssumeRole' ? s('RoleArn') : '*';
  }
}

/**
 * The exception AWS SDK v3 raises for a fault: the modelled class where the service's SDK has one,
 * else the service's base exception carrying AWS's error code as `name` (what the SDK builds for an
 * error code it has no class for), with `$fault`, the HTTP status and the attempts made.
 */
export function faultError(
  kind: ErrorFaultKind,
  call: { service: SimServiceName; command: string; input: Record<string, unknown>; invocation?: string | undefined },
  attempts = 1,
  totalRetryDelay = 0,
): Error {
  const { service, command } = call;
  const m = (status: number) => meta(status, attempts, totalRetryDelay);
  const generic = (Base: typeof AppConfigServiceException, name: string, fault: 'client' | 'server', status: number, message: string) =>
    new Base({ name, $fault: fault, message, $metadata: m(status) });
  switch (kind) {
    case 'throttle': {
      const message = 'Rate exceeded';
      if (service === 'sts') return generic(STSServiceException, 'Throttling', 'client', 400, message);
      if (service === 'route53') return new Route53ThrottlingException({ message, $metadata: m(400) });
      if (service === 'sns') return new ThrottledException({ message, $metadata: m(429) });
      if (service === 'cloudwatch') return generic(CloudWatchServiceException, 'Throttling', 'client', 400, message);
      if (service === 'route53-recovery-cluster') return new ArcThrottlingException({ message, $metadata: m(429) });
      if (service === 'rds') return generic(RDSServiceException, 'Throttling', 'client', 400, message);
      const base = { appconfig: AppConfigServiceException, ecs: ECSServiceException, wafv2: WAFV2ServiceException }[service];
      return generic(base, 'ThrottlingException', 'client', 400, message);
    }
    case '5xx':
    case 'snsDown': {
      const message = 'We encountered an internal error. Please try again.';
      if (service === 'appconfig') return new InternalServerException({ message, Message: message, $metadata: m(500) } as never);
      if (service === 'ecs') return new ServerException({ message, $metadata: m(500) });
      if (service === 'wafv2') return new WAFInternalErrorException({ message, Message: message, $metadata: m(500) } as never);
      if (service === 'sns') return new InternalErrorException({ message: 'Internal Error', $metadata: m(500) });
      if (service === 'cloudwatch') return new InternalServiceFault({ message, Message: message, $metadata: m(500) } as never);
      if (service === 'route53-recovery-cluster') return new ArcInternalServerException({ message, $metadata: m(500) });
      if (service === 'rds') return generic(RDSServiceException, 'InternalFailure', 'server', 500, message);
      if (service === 'sts') return generic(STSServiceException, 'InternalFailure', 'server', 500, message);
      return generic(Route53ServiceException, 'ServiceUnavailable', 'server', 503, 'Service Unavailable');
    }
    case 'accessDenied': {
      const fn = call.invocation ?? 'drill';
      const action = `${IAM_PREFIX[service]}:${command}`;
      const message =
        `User: arn:aws:sts::${SIM_ACCOUNT}:assumed-role/tourniquet-${fn}-role/tourniquet-${fn} is not authorized to perform: ${action} ` +
        `on resource: ${resourceArn(service, command, call.input)} because no identity-based policy allows the ${action} action`;
      return accessDeniedError(service, message, m(service === 'ecs' || service === 'wafv2' ? 400 : 403));
    }
    case 'lockConflict': {
      if (service === 'wafv2') {
        const message =
          'AWS WAF couldn’t save your changes because you tried to update or delete a resource that has changed since you last retrieved it. Get the resource again, make any changes you need to make to the new copy, and retry your operation.';
        return new WAFOptimisticLockException({ message, Message: message, $metadata: m(400) } as never);
      }
      if (service === 'route53')
        return new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', $metadata: m(400) });
      if (service === 'appconfig') {
        const message = 'Deployment number 0 already in progress (another change was made to this environment at the same time).';
        return new AppConfigConflictException({ message, Message: message, $metadata: m(409) } as never);
      }
      if (service === 'ecs')
        return new EcsConflictException({ message: 'The request could not be processed because of conflict in the current state of the resource.', $metadata: m(400) } as never);
      throw new RangeError(`lockConflict is not modelled for ${service}`);
    }
  }
}

/** AWS's access-denied message for a call by `callerArn` that no policy allows. */
export function deniedCallMessage(
  callerArn: string,
  service: SimServiceName,
  command: string,
  input: Record<string, unknown>,
  because = 'no identity-based policy allows',
): string {
  const action = `${IAM_PREFIX[service]}:${command}`;
  return `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resourceArn(service, command, input)} because ${because} the ${action} action`;
}

/** AWS's access-denied exception of `service`, as SDK v3 raises it (the modelled class, else the base exception with AWS's code). */
export function accessDeniedError(service: SimServiceName, message: string, $metadata = meta(service === 'ecs' || service === 'wafv2' ? 400 : 403, 1, 0)): Error {
  const generic = (Base: typeof AppConfigServiceException, name: string, status: number) =>
    new Base({ name, $fault: 'client', message, $metadata: { ...$metadata, httpStatusCode: status } });
  if (service === 'ecs') return new EcsAccessDeniedException({ message, $metadata });
  if (service === 'sns') return new AuthorizationErrorException({ message, $metadata });
  if (service === 'route53') return generic(Route53ServiceException, 'AccessDenied', 403);
  if (service === 'cloudwatch') return generic(CloudWatchServiceException, 'AccessDenied', 403);
  if (service === 'route53-recovery-cluster') return new ArcAccessDeniedException({ message, $metadata });
  if (service === 'rds') return generic(RDSServiceException, 'AccessDenied', 403);
  if (service === 'sts') return generic(STSServiceException, 'AccessDenied', 403);
  return generic(service === 'appconfig' ? AppConfigServiceException : WAFV2ServiceException, 'AccessDeniedException', service === 'appconfig' ? 403 : 400);
}

/**
 * The faults of one drill and what they did. Faults apply to the automation's calls only (origin
 * "drill"), never to the scenario's own history. Several faults may match a call: every matching
 * slow fault delays it, then the first matching error or crash fault (in scenario order) decides it.
 */
export class FaultInjector {
  readonly #faults: { readonly fault: ResolvedFault; left: number; readonly calls: FaultFiring[] }[];

  constructor(faults: readonly ResolvedFault[] = []) {
    this.#faults = faults.map((fault) => ({ fault, left: fault.spec.times ?? Number.POSITIVE_INFINITY, calls: [] }));
  }

  /** Whether the scenario injects any fault at all. */
  get empty(): boolean {
    return this.#faults.length === 0;
  }

  #matching(service: SimServiceName, command: string, at: Date) {
    return this.#faults
      .map((f, index) => ({ ...f, index }))
      .filter(({ fault: { spec, from, until }, left }) => {
        if (left <= 0) return false;
        if (from && at.getTime() < from.getTime()) return false;
        if (until && at.getTime() >= until.getTime()) return false;
        if (spec.kind === 'taskFailure') return false;
        if (spec.kind === 'snsDown') return service === 'sns' && command === 'Publish';
        return spec.service === service && spec.operation === command;
      });
  }

  /** Seconds the matching slow faults delay this call (each counts the call as one of its `times`). */
  takeDelay(service: SimServiceName, command: string, at: Date): number {
    let seconds = 0;
    for (const f of this.#matching(service, command, at).filter((x) => x.fault.spec.kind === 'slow')) {
      seconds += f.fault.spec.seconds ?? 0;
      this.#fire(f.index, { at: at.toISOString(), service, command });
    }
    return seconds;
  }

  /** The first error or crash fault that matches the call, without using it up (see {@link fire}). */
  peek(service: SimServiceName, command: string, at: Date): { index: number; kind: Exclude<ApiFaultKind, 'slow'> } | undefined {
    const f = this.#matching(service, command, at).find((x) => x.fault.spec.kind !== 'slow');
    return f ? { index: f.index, kind: f.fault.spec.kind as Exclude<ApiFaultKind, 'slow'> } : undefined;
  }

  /** The Task states the scenario's taskFailure faults name, with each fault's index (for validation). */
  taskFailureStates(): { index: number; state: string }[] {
    return this.#faults.flatMap(({ fault: { spec } }, index) => (spec.kind === 'taskFailure' && spec.state !== undefined ? [{ index, state: spec.state }] : []));
  }

  /**
   * The first taskFailure fault that hits this invocation of Task state `state` at `at`, used up by
   * it (each invocation, Step Functions' retries included, counts as one of its `times`): the error to
   * fail the Task with. Undefined when none matches.
   */
  takeTaskFailure(state: string, at: Date): InjectedTaskFailureError | undefined {
    const index = this.#faults.findIndex(({ fault: { spec, from, until }, left }) => {
      if (spec.kind !== 'taskFailure' || spec.state !== state || left <= 0) return false;
      if (from && at.getTime() < from.getTime()) return false;
      return !(until && at.getTime() >= until.getTime());
    });
    if (index < 0) return undefined;
    const spec = this.#faults[index]!.fault.spec;
    const error = new InjectedTaskFailureError(spec.error!, spec.cause ?? `injected failure of Task state ${state} (scenario fault #${index})`, state);
    this.#fire(index, { at: at.toISOString(), service: 'states', command: state, error: `${error.name}: ${error.message}` });
    return error;
  }

  /** Counts one call against fault `index`. */
  fire(index: number, firing: FaultFiring): void {
    this.#fire(index, firing);
  }

  #fire(index: number, firing: FaultFiring): void {
    const f = this.#faults[index]!;
    f.left -= 1;
    f.calls.push(firing);
  }

  /** Every fault of the scenario with the calls it hit (faults that never fired too: a scenario worth fixing). */
  report(): FaultReport[] {
    return this.#faults.map(({ fault: { spec }, calls }, index) => ({
      index,
      kind: spec.kind,
      ...(spec.service !== undefined ? { service: spec.service } : spec.kind === 'snsDown' ? { service: 'sns' } : {}),
      ...(spec.operation !== undefined ? { operation: spec.operation } : spec.kind === 'snsDown' ? { operation: 'Publish' } : {}),
      ...(spec.state !== undefined ? { state: spec.state } : {}),
      fired: calls.length,
      calls: calls.map((c) => ({ ...c })),
    }));
  }
}
