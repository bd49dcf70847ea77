import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { StepFunctionsExecutions } from '../../../lambdas/adapters/step-functions-executions.js';
import { sdkError } from './sdk-errors.js';

const sfn = mockClient(SFNClient);
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Tourniquet-prod';
const executions = () => new StepFunctionsExecutions(STATE_MACHINE, new SFNClient({ region: 'us-east-1' }));

beforeEach(() => {
  sfn.reset();
});

describe('StepFunctionsExecutions.start', () => {
  it('starts the named execution with its input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    expect(await executions().start('checkout-5xx-rate-1', { incidentId: 'inc-1' })).toBe('started');
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE, name: 'checkout-5xx-rate-1', input: '{"incidentId":"inc-1"}' });
  });

  it('says already-running when an execution of that name exists', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await executions().start('checkout-5xx-rate-1', {})).toBe('already-running');
  });

  it('classifies other failures: throttling is transient, access denied is not', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(sdkError('ThrottlingException', 'Rate exceeded', { status: 400 }))
      .rejectsOnce(sdkError('AccessDeniedException', 'no', { status: 400 }));
    await expect(executions().start('a', {})).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('StartExecution a') });
    await expect(executions().start('a', {})).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
  });
});
