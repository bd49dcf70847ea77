import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

import { classifyAwsError } from './errors.js';

/**
 * Starts executions of the incident state machine over `@aws-sdk/client-sfn`. Execution names are
 * derived from the alarm transition, so a redelivered signal asks for the same name again and
 * Step Functions refuses it: at most one execution per name ever runs.
 */
export class StepFunctionsExecutions {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: Pick<SFNClient, 'send'> = new SFNClient({}),
  ) {}

  /**
   * Starts execution `name` with `input` (serialized to JSON).
   *
   * @returns 'already-running' when an execution of that name exists (StartExecution's ExecutionAlreadyExists)
   * @throws TransientAwsError / AwsAccessDeniedError / AwsOperationError, classified by `classifyAwsError`
   */
  async start(name: string, input: unknown): Promise<'started' | 'already-running'> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      return 'started';
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') return 'already-running';
      throw classifyAwsError(error, `StartExecution ${name}`);
    }
  }
}
