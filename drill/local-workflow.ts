import { SFNClient, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/**
 * Runs the synthesized state machine definition locally with aws-local-stepfunctions.
 *
 * - Task states run the real handlers (overridden by state name; the result is the raw return value,
 *   as with `payloadResponseOnly` in the deployed machine).
 * - Wait states run on the simulated clock: each is swapped for a Task with the same transitions whose
 *   local handler advances the clock to the wait's due time and passes its input through unchanged,
 *   so a drill takes seconds and is deterministic.
 * - Retry intervals are zero in real time.
 */

type Json = Parameters<StateMachine['run']>[0];
export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalWorkflowOptions {
  readonly definition: object;
  /** Task state name → handler. Every Task state of the definition needs one. */
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  readonly clock: { now(): Date; advanceTo(t: Date): void };
  readonly stateMachineArn: string;
  /**
   * Simulated seconds each Task takes (a warm Lambda invocation plus Step Functions overhead), so the
   * timeline shows steps in order rather than all at one instant. @default 1
   */
  readonly taskSeconds?: number;
}

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  /** States entered, in order (what the Step Functions console would show). */
  readonly states: readonly string[];
  /** Task failures, caught or not, with the error each handler threw. */
  readonly failures: readonly { state: string; error: string; cause: string }[];
  readonly startedAt: string;
  readonly stoppedAt: string;
}

export class LocalWorkflowError extends Error {
  override readonly name = 'LocalWorkflowError';
}

const DRILL_WAIT_RESOURCE = 'arn:aws:states:::drill:virtual-wait';

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

export class LocalWorkflow {
  private readonly definition: StateMachineDefinition;
  private readonly waitStates: Record<string, WaitSpec> = {};
  private readonly executionsByName = new Map<string, ExecutionRecord>();

  constructor(private readonly options: LocalWorkflowOptions) {
    // A JSON round trip, not structuredClone: the library checks for plain objects by prototype, which a
    // clone made in another realm (jest runs tests in a VM context) would fail.
    const definition = JSON.parse(JSON.stringify(options.definition)) as StateMachineDefinition;
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type === 'Wait') {
        const { Type: _type, Seconds, SecondsPath, Timestamp, TimestampPath, ...transitions } = state as unknown as WaitSpec & Record<string, unknown>;
        this.waitStates[name] = { Seconds, SecondsPath, Timestamp, TimestampPath } as WaitSpec;
        (definition.States as Record<string, unknown>)[name] = { ...transitions, Type: 'Task', Resource: DRILL_WAIT_RESOURCE };
      } else if (state.Type === 'Task' && !options.handlers[name]) {
        throw new LocalWorkflowError(`Task state ${name} has no local handler`);
      }
    }
    this.definition = definition;
  }

  get executions(): readonly ExecutionRecord[] {
    return [...this.executionsByName.values()];
  }

  /** Runs one execution to completion (Standard semantics: a name is used once). */
  async start(name: string, input: unknown): Promise<ExecutionRecord> {
    if (this.executionsByName.has(name)) {
      const error = new LocalWorkflowError(`Execution ${name} already exists`);
      Object.defineProperty(error, 'name', { value: 'ExecutionAlreadyExists' });
      throw error;
    }
    const arn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const startedAt = this.options.clock.now().toISOString();
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const taskMs = (this.options.taskSeconds ?? 1) * 1000;
    for (const [state, handler] of Object.entries(this.options.handlers)) {
      handlers[state] = async (taskInput) => {
        const result = (await handler(taskInput)) as Json;
        this.options.clock.advanceTo(new Date(this.options.clock.now().getTime() + taskMs));
        return result;
      };
    }
    for (const [state, wait] of Object.entries(this.waitStates)) {
      handlers[state] = async (taskInput) => {
        // A due time in the past proceeds at once, as in Step Functions.
        const due = dueTime(wait, taskInput, this.options.clock.now());
        if (due > this.options.clock.now()) this.options.clock.advanceTo(due);
        return taskInput;
      };
    }
    const retryIntervalOverrides = Object.fromEntries(Object.keys(this.definition.States).map((s) => [s, 0]));
    const machine = new StateMachine(this.definition, { validationOptions: { checkArn: false } });
    const execution = machine.run(input as Json, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
      // Task.Token stands in for the token Step Functions hands a .waitForTaskToken state; the drill answers those states itself.
      context: { Execution: { Id: arn, Name: name, StartTime: startedAt, Input: input as Json }, Task: { Token: `drill-task-token-${name}` } },
    });

    const states: string[] = [];
    const failures: { state: string; error: string; cause: string }[] = [];
    const collect = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') states.push(event.state.name);
        if (event.type === 'StateFailed') failures.push({ state: event.state.name, error: event.Error, cause: String(event.Cause) });
      }
    })();
    let record: ExecutionRecord;
    try {
      const output = await execution.result;
      await collect;
      record = { name, arn, status: 'SUCCEEDED', output, states, failures, startedAt, stoppedAt: this.options.clock.now().toISOString() };
    } catch (error) {
      await collect.catch(() => undefined);
      record = { name, arn, status: 'FAILED', error: (error as Error).message, states, failures, startedAt, stoppedAt: this.options.clock.now().toISOString() };
    }
    this.executionsByName.set(name, record);
    return record;
  }

  /** An SFN client whose StartExecution runs here, so the real starter function needs no changes. */
  client(): SFNClient {
    const client = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'drill', secretAccessKey: 'drill' } });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        if (context.commandName !== 'StartExecutionCommand') throw new LocalWorkflowError(`The drill's Step Functions supports StartExecution only, not ${context.commandName}`);
        const input = args.input as StartExecutionCommandInput;
        if (input.stateMachineArn !== this.options.stateMachineArn) throw new LocalWorkflowError(`Unknown state machine ${input.stateMachineArn}`);
        const record = await this.start(input.name ?? `execution-${this.executionsByName.size + 1}`, JSON.parse(input.input ?? '{}'));
        return { output: { executionArn: record.arn, startDate: new Date(record.startedAt), $metadata: {} }, response: {} } as never;
      },
      { step: 'initialize', name: 'drillLocalWorkflow' },
    );
    return client;
  }
}
