import { ConflictException } from '@aws-sdk/client-appconfig';
import { ClusterNotFoundException, ServerException } from '@aws-sdk/client-ecs';
import { AuthorizationErrorException, ThrottledException } from '@aws-sdk/client-sns';
import { describe, expect, it } from '@jest/globals';

import { AwsAccessDeniedError, awsErrorName, AwsOperationError, AwsResourceNotFoundError, callAws, classifyAwsError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { sdkError } from './sdk-errors.js';

describe('classifyAwsError', () => {
  it.each(['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded', 'ServiceUnavailable', 'InternalServerException'])(
    'treats %s as transient',
    (name) => {
      const result = classifyAwsError(sdkError(name, 'slow down'), 'AppConfig ListDeployments', 'application chk4app');
      expect(result).toBeInstanceOf(TransientAwsError);
      expect(result.name).toBe('TransientAwsError');
    },
  );

  it('treats any server fault as transient', () => {
    expect(classifyAwsError(sdkError('SomethingNew', 'boom', { fault: 'server', status: 503 }), 'op')).toBeInstanceOf(TransientAwsError);
  });

  it('treats HTTP 429 as transient whatever the code', () => {
    expect(classifyAwsError(sdkError('SomethingNew', 'slow', { status: 429 }), 'op')).toBeInstanceOf(TransientAwsError);
  });

  it('treats an AppConfig ConflictException (deployment in progress) as transient', () => {
    const err = new ConflictException({ message: 'Deployment #4 is in progress', $metadata: { httpStatusCode: 409 } });
    expect(classifyAwsError(err, 'AppConfig StartDeployment')).toBeInstanceOf(TransientAwsError);
  });

  it('treats SDK-modelled service exceptions by their names', () => {
    expect(classifyAwsError(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }), 'SNS Publish')).toBeInstanceOf(TransientAwsError);
    expect(classifyAwsError(new ServerException({ message: 'oops', $metadata: {} }), 'ECS DescribeServices')).toBeInstanceOf(TransientAwsError);
    expect(classifyAwsError(new AuthorizationErrorException({ message: 'no', $metadata: {} }), 'SNS Publish')).toBeInstanceOf(AwsAccessDeniedError);
    expect(classifyAwsError(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }), 'ECS DescribeServices')).toBeInstanceOf(AwsResourceNotFoundError);
  });

  it('treats network failures reported through `code` as transient', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(awsErrorName(reset)).toBe('ECONNRESET');
    expect(classifyAwsError(reset, 'op')).toBeInstanceOf(TransientAwsError);
  });

  it.each(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation'])('maps %s to AwsAccessDeniedError', (name) => {
    expect(classifyAwsError(sdkError(name, 'denied', { status: 403 }), 'op')).toBeInstanceOf(AwsAccessDeniedError);
  });

  it.each(['ResourceNotFoundException', 'ServiceNotFoundException', 'ClusterNotFoundException', 'NotFoundException'])('maps %s to AwsResourceNotFoundError', (name) => {
    expect(classifyAwsError(sdkError(name, 'missing', { status: 404 }), 'op')).toBeInstanceOf(AwsResourceNotFoundError);
  });

  it('wraps anything else in AwsOperationError with the original as cause', () => {
    const original = sdkError('ValidationException', 'Period must be a multiple of 60');
    const result = classifyAwsError(original, 'CloudWatch DescribeAlarms', 'alarm "checkout-5xx-rate"');
    expect(result).toBeInstanceOf(AwsOperationError);
    expect(result.cause).toBe(original);
    expect(result.message).toBe('CloudWatch DescribeAlarms on alarm "checkout-5xx-rate" failed: ValidationException: Period must be a multiple of 60');
  });

  it('names operation and resource in the message and keeps the cause for every class', () => {
    const original = sdkError('ThrottlingException', 'Rate exceeded');
    const result = classifyAwsError(original, 'AppConfig StartDeployment', 'environment prd5env');
    expect(result.message).toBe('AppConfig StartDeployment on environment prd5env failed: ThrottlingException: Rate exceeded');
    expect(result.cause).toBe(original);
  });

  it('passes already classified errors through unchanged', () => {
    const transient = new TransientAwsError('already decided');
    expect(classifyAwsError(transient, 'op')).toBe(transient);
  });

  it('wraps values that are not errors', () => {
    const result = classifyAwsError('kaput', 'op');
    expect(result).toBeInstanceOf(AwsOperationError);
    expect(result.message).toBe('op failed: UnknownError: kaput');
    expect(result.cause).toBe('kaput');
  });
});

describe('callAws', () => {
  it('returns the call result', async () => {
    await expect(callAws('op', 'res', async () => 42)).resolves.toBe(42);
  });

  it('throws the classified error', async () => {
    const original = sdkError('ThrottlingException', 'Rate exceeded');
    const error = await callAws('op', 'res', async () => {
      throw original;
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientAwsError);
    expect((error as Error).message).toBe('op on res failed: ThrottlingException: Rate exceeded');
    expect((error as Error).cause).toBe(original);
  });
});
