import { SendTaskSuccessCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsAccessDeniedError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { StepFunctionsTasks, TaskNoLongerWaitingError, TaskOutputInvalidError } from '../../../lambdas/adapters/step-functions-tasks.js';
import { sdkError } from './sdk-errors.js';

const sfn = mockClient(SFNClient);
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAexampletoken==';

describe('StepFunctionsTasks.sendDecision', () => {
  const tasks = new StepFunctionsTasks(sfn as unknown as SFNClient);

  beforeEach(() => {
    sfn.reset();
    sfn.on(SendTaskSuccessCommand).resolves({});
  });

  it('sends the output as JSON with SendTaskSuccess', async () => {
    await tasks.sendDecision(TOKEN, { decision: 'approved', by: 'email link', reason: null });
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([{ taskToken: TOKEN, output: '{"decision":"approved","by":"email link","reason":null}' }]);
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
  ])('reports %s as TaskNoLongerWaitingError', async (code, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error);
    await expect(tasks.sendDecision(TOKEN, {})).rejects.toMatchObject({ name: 'TaskNoLongerWaitingError', code });
    await expect(tasks.sendDecision(TOKEN, {})).rejects.toBeInstanceOf(TaskNoLongerWaitingError);
  });

  it('classifies other failures and never repeats the token in the message', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(sdkError('ThrottlingException', `rate exceeded for token ${TOKEN}`));
    const error = (await tasks.sendDecision(TOKEN, {}).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).toContain('<task token>');

    sfn.on(SendTaskSuccessCommand).rejects(sdkError('AccessDeniedException', 'no states:SendTaskSuccess'));
    await expect(tasks.sendDecision(TOKEN, {})).rejects.toBeInstanceOf(AwsAccessDeniedError);
  });

  it('refuses outputs Step Functions would reject, without calling it', async () => {
    await expect(tasks.sendDecision(TOKEN, { big: 'x'.repeat(262_144) })).rejects.toBeInstanceOf(TaskOutputInvalidError);
    await expect(tasks.sendDecision(TOKEN, undefined)).rejects.toBeInstanceOf(TaskOutputInvalidError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(tasks.sendDecision(TOKEN, circular)).rejects.toBeInstanceOf(TaskOutputInvalidError);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });
});
