import type { ExecutionRecord } from './local-workflow.js';
import type { Scheduler } from './scheduler.js';

/**
 * The failure net as the drill plays it (lib/constructs/failure-net.ts deploys the real one): when
 * an execution ends FAILED or TIMED_OUT, EventBridge hands its status-change event to two targets,
 * the escalation topic (the page) and the escalate function (the record). Each target is retried as
 * EventBridge retries, with exponential backoff, until it succeeds, 185 attempts were made or the
 * event is 24 hours old; then the event goes to the dead-letter queue. So an SNS outage delays the
 * page until the topic is back, and a drill can show that it arrives.
 */

/** EventBridge's retry policy of the deployed targets (FAILURE_NET_RETRY_ATTEMPTS, FAILURE_NET_MAX_EVENT_AGE). */
export const FAILURE_NET_MAX_ATTEMPTS = 185;
export const FAILURE_NET_MAX_AGE_SECONDS = 24 * 3600;
/** Backoff between attempts: 1 s, 2 s, 4 s ... capped at 10 minutes (EventBridge's own jitter is left out so drills repeat). */
const MAX_BACKOFF_SECONDS = 600;

/** The "Step Functions Execution Status Change" event EventBridge delivers. */
export interface ExecutionStatusChangeEvent {
  readonly source: 'aws.states';
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly time: string;
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly name: string;
    readonly status: string;
    readonly startDate: number;
    readonly stopDate: number;
    readonly input: string;
    readonly error: string | null;
    readonly cause: string | null;
  };
}

/** What happened to one target's delivery of one event. */
export interface FailureNetDelivery {
  readonly execution: string;
  readonly target: 'page' | 'record';
  readonly attempts: number;
  readonly deliveredAt?: string;
  readonly messageId?: string;
  /** Set when the event went to the dead-letter queue: the last error. */
  readonly deadLettered?: string;
}

export interface DrillFailureNetOptions {
  readonly scheduler: Pick<Scheduler, 'spawn' | 'sleep' | 'now'>;
  readonly stateMachineArn: string;
  /** The rule's SNS target: publish `message` (no subject, as EventBridge sends it) to the escalation topic. */
  readonly publish: (message: string) => Promise<{ messageId: string }>;
  /** The rule's Lambda target: the escalate function, given the event. */
  readonly record: (event: ExecutionStatusChangeEvent) => Promise<unknown>;
}

/** The page the rule's input transformer renders (keep in step with lib/constructs/failure-net.ts). */
export function failureNetMessage(event: ExecutionStatusChangeEvent): string {
  const d = event.detail;
  return (
    `Tourniquet workflow ${d.name} ended ${d.status}: a human must check the incident. ` +
    `Error: ${d.error ?? 'null'}: ${d.cause ?? 'null'}. ` +
    `Execution: ${d.executionArn} (stopped at ${event.time}).`
  );
}

/** The status-change event of an execution that stopped. */
export function statusChangeEvent(execution: ExecutionRecord, stateMachineArn: string): ExecutionStatusChangeEvent {
  const stopped = execution.stoppedAt ?? execution.startedAt;
  return {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    // EventBridge's `time` has second precision.
    time: `${stopped.slice(0, 19)}Z`,
    detail: {
      executionArn: execution.arn,
      stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: Date.parse(execution.startedAt),
      stopDate: Date.parse(stopped),
      input: execution.input ?? '{}',
      error: execution.errorName ?? null,
      cause: execution.cause ?? null,
    },
  };
}

export class DrillFailureNet {
  readonly #deliveries: FailureNetDelivery[] = [];

  constructor(private readonly options: DrillFailureNetOptions) {}

  /** Every delivery so far (finished ones; a delivery still retrying is not listed). */
  get deliveries(): readonly FailureNetDelivery[] {
    return [...this.#deliveries];
  }

  /** Message ids of the pages the net delivered, so a report can mark them. */
  get pageIds(): ReadonlySet<string> {
    return new Set(this.#deliveries.flatMap((d) => (d.messageId ? [d.messageId] : [])));
  }

  /** The rule's pattern: FAILED, TIMED_OUT and ABORTED executions of the workflow. Call when an execution stops. */
  onExecutionEnded(execution: ExecutionRecord): void {
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(execution.status)) return;
    const event = statusChangeEvent(execution, this.options.stateMachineArn);
    this.#deliver(event, 'page', async () => (await this.options.publish(failureNetMessage(event))).messageId);
    this.#deliver(event, 'record', async () => {
      await this.options.record(event);
      return undefined;
    });
  }

  #deliver(event: ExecutionStatusChangeEvent, target: FailureNetDelivery['target'], send: () => Promise<string | undefined>): void {
    const { scheduler } = this.options;
    const name = event.detail.name;
    const expires = Date.parse(event.time) + FAILURE_NET_MAX_AGE_SECONDS * 1000;
    scheduler.spawn(`failure net: ${target} for ${name}`, async () => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const messageId = await send();
          this.#deliveries.push({ execution: name, target, attempts: attempt, deliveredAt: scheduler.now().toISOString(), ...(messageId ? { messageId } : {}) });
          return;
        } catch (error) {
          const backoff = Math.min(2 ** (attempt - 1), MAX_BACKOFF_SECONDS);
          if (attempt >= FAILURE_NET_MAX_ATTEMPTS || scheduler.now().getTime() + backoff * 1000 > expires) {
            this.#deliveries.push({ execution: name, target, attempts: attempt, deadLettered: `${(error as Error).name}: ${(error as Error).message}` });
            return;
          }
          await scheduler.sleep(backoff);
        }
      }
    });
  }
}
