import { describe, expect, it } from '@jest/globals';

import { StoreError, storeErrorFor, StoreUnavailableError } from '../../../lambdas/store/errors.js';

describe('storeErrorFor', () => {
  it('makes throttling and server faults retryable by the workflow (named TransientAwsError), keeping the code', () => {
    for (const name of ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError']) {
      const error = storeErrorFor('put on table t failed', Object.assign(new Error('busy'), { name }));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect({ name: error.name, code: error.code }).toEqual({ name: 'TransientAwsError', code: name });
    }
  });

  it('leaves everything else a plain StoreError: a failed condition or a bad request is not retried', () => {
    for (const name of ['ConditionalCheckFailedException', 'ValidationException', 'ResourceNotFoundException']) {
      const error = storeErrorFor('put on table t failed', Object.assign(new Error('no'), { name }));
      expect(error).not.toBeInstanceOf(StoreUnavailableError);
      expect(error).toBeInstanceOf(StoreError);
      expect(error.name).toBe('StoreError');
    }
  });
});
