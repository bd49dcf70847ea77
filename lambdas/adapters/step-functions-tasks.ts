import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';

import { awsErrorName, classifyAwsError } from './errors.js';

/**
 * Answers Step Functions tasks that wait for a task token (`.waitForTaskToken`).
 */

/** Step Functions' limit for a task output (256 KiB of UTF-8). */
export const MAX_TASK_OUTPUT_BYTES = 262_144;

/**
 * The task no longer waits: it timed out (`TaskTimedOut`), or the execution ended or the token was
 * already used (`TaskDoesNotExist`). The execution moved on; there is nothing to retry.
 */
export class TaskNoLongerWaitingError extends Error {
  override readonly name = 'TaskNoLongerWaitingError';
  /** `TaskTimedOut` or `TaskDoesNotExist`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The output is not JSON-serializable or larger than Step Functions accepts. */
export class TaskOutputInvalidError extends Error {
  override readonly name = 'TaskOutputInvalidError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const GONE: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist']);

/** Sends task results to Step Functions over `@aws-sdk/client-sfn`. */
export class StepFunctionsTasks {
  constructor(private readonly client: SFNClient = new SFNClient({})) {}

  /**
   * Completes the waiting task with `output` (serialized to JSON) through SendTaskSuccess.
   *
   * @throws TaskNoLongerWaitingError when the task timed out or no longer exists
   * @throws TaskOutputInvalidError when the output cannot be sent
   * @throws TransientAwsError / AwsAccessDeniedError / AwsOperationError, classified by `classifyAwsError`
   */
  async sendDecision(taskToken: string, output: unknown): Promise<void> {
    let json: string | undefined;
    try {
      json = JSON.stringify(output);
    } catch (error) {
      throw new TaskOutputInvalidError('task output is not JSON-serializable', { cause: error });
    }
    if (json === undefined) throw new TaskOutputInvalidError('task output is not JSON-serializable');
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_TASK_OUTPUT_BYTES) throw new TaskOutputInvalidError(`task output is ${bytes} bytes, over the ${MAX_TASK_OUTPUT_BYTES}-byte limit`);

    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: json }));
    } catch (error) {
      const name = awsErrorName(error);
      if (name && GONE.has(name)) {
        const what = name === 'TaskTimedOut' ? 'timed out' : 'no longer exists (the execution ended or the task was already answered)';
        throw new TaskNoLongerWaitingError(name, `Step Functions SendTaskSuccess: the waiting task ${what}`, { cause: error });
      }
      const classified = classifyAwsError(error, 'Step Functions SendTaskSuccess', 'the waiting approval task');
      // Never let the token reach logs or pages: it is a bearer credential for the task.
      classified.message = classified.message.split(taskToken).join('<task token>');
      throw classified;
    }
  }
}
