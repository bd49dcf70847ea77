import { SFNClient, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

import type { Scheduler } from './scheduler.js';

/**
 * Runs the synthesized state machine definition locally with aws-local-stepfunctions, one
 * execution per scheduler actor, so many executions run interleaved on one virtual clock.
 *
 * - `StartExecution` returns at once with the execution ARN, as in Step Functions; the execution
 *   then proceeds as an actor of the drill's {@link Scheduler}.
 * - Task states run the real handlers (overridden by state name; the result is the raw return value,
 *   as with `payloadResponseOnly` in the deployed machine). Each invocation takes `taskSeconds` of
 *   virtual time, slept on the scheduler, so other actors run in between.
 * - Wait states sleep on the scheduler: each is swapped for a Task with the same transitions whose
 *   local handler sleeps until the wait's due time and passes its input through unchanged.
 * - Timeouts are virtual. aws-local-stepfunctions measures Task and execution `TimeoutSeconds` with
 *   real timers (and gives every Task a real 60 s limit by default), which would fire at random while
 *   other actors have the turn; the local copy of the definition lifts those timers, and the drill
 *   applies the declared limits in virtual time instead (see {@link ExecutionRecord.status}).
 * - Retry intervals are zero in real time.
 */

type Json = Parameters<StateMachine['run']>[0];
export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

/** What the local workflow needs from the drill's scheduler. */
export type WorkflowScheduler = Pick<Scheduler, 'now' | 'sleep' | 'sleepUntil' | 'spawn'>;

export interface LocalWorkflowOptions {
  readonly definition: object;
  /** Task state name → handler. Every Task state of the definition needs one. */
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  readonly scheduler: WorkflowScheduler;
  readonly stateMachineArn: string;
  /**
   * Simulated seconds each Task takes (a warm Lambda invocation plus Step Functions overhead), so the
   * timeline shows steps in order rather than all at one instant. @default 1
   */
  readonly taskSeconds?: number;
  /**
   * Called when an execution stops, as Step Functions emits its status-change event to EventBridge
   * (the drill's failure net listens for FAILED and TIMED_OUT). Runs inside the execution's actor.
   */
  readonly onEnded?: (execution: ExecutionRecord) => void;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  /** TIMED_OUT: the definition's `TimeoutSeconds` passed in virtual time (Step Functions' States.Timeout). */
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  readonly error?: string;
  /** The error name and cause of a FAILED execution (what the status-change event carries). */
  readonly errorName?: string;
  readonly cause?: string;
  /** The execution's input as a JSON string. */
  readonly input?: string;
  /** States entered, in order (what the Step Functions console would show). */
  readonly states: readonly string[];
  /** Task failures, caught or not, with the error each handler threw. */
  readonly failures: readonly { state: string; error: string; cause: string }[];
  readonly startedAt: string;
  /** Absent while RUNNING. */
  readonly stoppedAt?: string;
}

export class LocalWorkflowError extends Error {
  override readonly name = 'LocalWorkflowError';
}

/** What Step Functions raises when a task or an execution runs past its TimeoutSeconds. */
class StatesTimeoutError extends Error {
  override readonly name = 'States.Timeout';
}

const DRILL_WAIT_RESOURCE = 'arn:aws:states:::drill:virtual-wait';
/**
 * The real-time limit put on every local Task instead of the declared one: far beyond any drill
 * (and below setTimeout's 24.8-day ceiling, past which Node fires at once).
 */
const REAL_TIME_LIMIT_SECONDS = 20 * 86_400;

/** Resolves a reference path such as `$.attempt.checkAt` (the only form Wait states use here). */
function readPath(input: unknown, path: string): unknown {
  if (path === '$') return input;
  if (!path.startsWith('$.')) throw new LocalWorkflowError(`Unsupported path ${path} in a Wait state`);
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), input);
}

interface WaitSpec {
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
}

function dueTime(wait: WaitSpec, input: unknown, now: Date): Date {
  if (wait.Seconds !== undefined) return new Date(now.getTime() + wait.Seconds * 1000);
  if (wait.Timestamp !== undefined) return new Date(wait.Timestamp);
  if (wait.SecondsPath !== undefined) return new Date(now.getTime() + Number(readPath(input, wait.SecondsPath)) * 1000);
  if (wait.TimestampPath !== undefined) {
    const value = readPath(input, wait.TimestampPath);
    const due = new Date(String(value));
    if (Number.isNaN(due.getTime())) throw new LocalWorkflowError(`Wait ${wait.TimestampPath} is not a timestamp: ${JSON.stringify(value)}`);
    return due;
  }
  throw new LocalWorkflowError('Wait state without Seconds, SecondsPath, Timestamp or TimestampPath');
}

interface MutableRecord {
  name: string;
  arn: string;
  input: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  errorName?: string;
  cause?: string;
  states: string[];
  failures: { state: string; error: string; cause: string }[];
  startedAt: string;
  stoppedAt?: string;
}

const snapshot = (r: MutableRecord): ExecutionRecord => ({
  name: r.name,
  arn: r.arn,
  status: r.status,
  ...(r.output !== undefined ? { output: r.output } : {}),
  ...(r.error !== undefined ? { error: r.error } : {}),
  ...(r.errorName !== undefined ? { errorName: r.errorName } : {}),
  ...(r.cause !== undefined ? { cause: r.cause } : {}),
  input: r.input,
  states: [...r.states],
  failures: [...r.failures],
  startedAt: r.startedAt,
  ...(r.stoppedAt !== undefined ? { stoppedAt: r.stoppedAt } : {}),
});

export class LocalWorkflow {
  private readonly definition: StateMachineDefinition;
  private readonly waitStates: Record<string, WaitSpec> = {};
  /** Declared Task timeouts (seconds), applied in virtual time. */
  private readonly taskTimeouts: Record<string, number> = {};
  /** Declared execution timeout (seconds), applied in virtual time. */
  private readonly executionTimeoutSeconds: number | undefined;
  private readonly executionsByName = new Map<string, MutableRecord>();

  constructor(private readonly options: LocalWorkflowOptions) {
    // A JSON round trip, not structuredClone: the library checks for plain objects by prototype, which a
    // clone made in another realm (jest runs tests in a VM context) would fail.
    const definition = JSON.parse(JSON.stringify(options.definition)) as StateMachineDefinition & { TimeoutSeconds?: number };
    this.executionTimeoutSeconds = definition.TimeoutSeconds;
    delete definition.TimeoutSeconds;
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type === 'Wait') {
        const { Type: _type, Seconds, SecondsPath, Timestamp, TimestampPath, ...transitions } = state as unknown as WaitSpec & Record<string, unknown>;
        this.waitStates[name] = { Seconds, SecondsPath, Timestamp, TimestampPath } as WaitSpec;
        (definition.States as Record<string, unknown>)[name] = { ...transitions, Type: 'Task', Resource: DRILL_WAIT_RESOURCE, TimeoutSeconds: REAL_TIME_LIMIT_SECONDS };
      } else if (state.Type === 'Task') {
        if (!options.handlers[name]) throw new LocalWorkflowError(`Task state ${name} has no local handler`);
        const task = state as unknown as { TimeoutSeconds?: number; TimeoutSecondsPath?: string; HeartbeatSeconds?: number };
        if (task.TimeoutSecondsPath !== undefined) throw new LocalWorkflowError(`Task state ${name}: TimeoutSecondsPath is not supported by the drill`);
        if (task.TimeoutSeconds !== undefined) this.taskTimeouts[name] = task.TimeoutSeconds;
        task.TimeoutSeconds = REAL_TIME_LIMIT_SECONDS;
        delete task.HeartbeatSeconds;
      }
    }
    this.definition = definition;
  }

  /** Every execution started so far, in start order (a copy; RUNNING ones keep changing). */
  get executions(): readonly ExecutionRecord[] {
    return [...this.executionsByName.values()].map(snapshot);
  }

  /** Executions not finished yet. */
  get running(): number {
    let n = 0;
    for (const r of this.executionsByName.values()) if (r.status === 'RUNNING') n += 1;
    return n;
  }

  /**
   * Starts an execution and returns at once; it runs as a scheduler actor. Standard semantics: the
   * same name and input as a RUNNING execution is idempotent (the same record comes back); a name
   * used before with other input, or by a finished execution, is ExecutionAlreadyExists.
   */
  start(name: string, input: string): ExecutionRecord {
    const existing = this.executionsByName.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return snapshot(existing);
      const error = new LocalWorkflowError(`Execution ${name} already exists`);
      Object.defineProperty(error, 'name', { value: 'ExecutionAlreadyExists' });
      throw error;
    }
    const arn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const record: MutableRecord = {
      name,
      arn,
      input,
      status: 'RUNNING',
      states: [],
      failures: [],
      startedAt: this.options.scheduler.now().toISOString(),
    };
    this.executionsByName.set(name, record);
    this.options.scheduler.spawn(`execution ${name}`, () => this.execute(record, JSON.parse(input) as Json));
    return snapshot(record);
  }

  /** The body of an execution's actor: runs the machine to its end and fills in the record. */
  private async execute(record: MutableRecord, input: Json): Promise<void> {
    const { scheduler } = this.options;
    const deadline = this.executionTimeoutSeconds === undefined ? undefined : new Date(Date.parse(record.startedAt) + this.executionTimeoutSeconds * 1000);
    let timedOut = false;
    const taskSeconds = this.options.taskSeconds ?? 1;
    let abort = (): void => undefined;
    const timeoutError = () => new StatesTimeoutError(`the execution ran past its TimeoutSeconds (${this.executionTimeoutSeconds} s)`);
    /**
     * Ends the execution as TIMED_OUT at its deadline. The state that noticed fails, so the library
     * unwinds (and clears its own timers); after the abort no handler runs again, retries included.
     */
    const timeOut = async (): Promise<never> => {
      await scheduler.sleepUntil(deadline!);
      timedOut = true;
      abort();
      throw timeoutError();
    };

    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [state, handler] of Object.entries(this.options.handlers)) {
      handlers[state] = async (taskInput) => {
        if (timedOut) throw timeoutError();
        const startedMs = scheduler.now().getTime();
        const result = (await handler(taskInput)) as Json;
        await scheduler.sleep(taskSeconds);
        if (deadline && scheduler.now() > deadline) return timeOut();
        // Step Functions would have failed the state at its deadline; the handler's effects stand either way.
        const limit = this.taskTimeouts[state];
        if (limit !== undefined && scheduler.now().getTime() - startedMs > limit * 1000) {
          throw new StatesTimeoutError(`Task ${state} ran past its TimeoutSeconds (${limit} s)`);
        }
        return result;
      };
    }
    for (const [state, wait] of Object.entries(this.waitStates)) {
      handlers[state] = async (taskInput) => {
        if (timedOut) throw timeoutError();
        // A due time in the past proceeds at once, as in Step Functions.
        const due = dueTime(wait, taskInput, scheduler.now());
        if (deadline && due > deadline) return timeOut();
        await scheduler.sleepUntil(due);
        return taskInput;
      };
    }
    const retryIntervalOverrides = Object.fromEntries(Object.keys(this.definition.States).map((s) => [s, 0]));
    const machine = new StateMachine(this.definition, { validationOptions: { checkArn: false } });
    const execution = machine.run(input, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
      // Task.Token stands in for the token Step Functions hands a .waitForTaskToken state; the drill answers those states itself.
      context: { Execution: { Id: record.arn, Name: record.name, StartTime: record.startedAt, Input: input }, Task: { Token: `drill-task-token-${record.name}` } },
    });
    abort = execution.abort;

    const collect = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') record.states.push(event.state.name);
        if (event.type === 'StateFailed') record.failures.push({ state: event.state.name, error: event.Error, cause: String(event.Cause) });
      }
    })();
    try {
      record.output = await execution.result;
      await collect;
      record.status = 'SUCCEEDED';
    } catch (error) {
      await collect.catch(() => undefined);
      record.status = timedOut ? 'TIMED_OUT' : 'FAILED';
      record.error = timedOut ? `States.Timeout: ${timeoutError().message}` : (error as Error).message;
      // The library wraps the failing state's error (a Fail state's Error and Cause) in an ExecutionError.
      const failed = ((error as Error).cause ?? error) as Error;
      record.errorName = timedOut ? 'States.Timeout' : failed.name;
      record.cause = timedOut ? timeoutError().message : failed.message;
    }
    record.stoppedAt = scheduler.now().toISOString();
    this.options.onEnded?.(snapshot(record));
  }

  /** An SFN client whose StartExecution starts an execution here, so the real starter function needs no changes. */
  client(): SFNClient {
    const client = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'drill', secretAccessKey: 'drill' } });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        if (context.commandName !== 'StartExecutionCommand') throw new LocalWorkflowError(`The drill's Step Functions supports StartExecution only, not ${context.commandName}`);
        const input = args.input as StartExecutionCommandInput;
        if (input.stateMachineArn !== this.options.stateMachineArn) throw new LocalWorkflowError(`Unknown state machine ${input.stateMachineArn}`);
        const record = this.start(input.name ?? `execution-${this.executionsByName.size + 1}`, input.input ?? '{}');
        return { output: { executionArn: record.arn, startDate: new Date(record.startedAt), $metadata: {} }, response: {} } as never;
      },
      { step: 'initialize', name: 'drillLocalWorkflow' },
    );
    return client;
  }
}
