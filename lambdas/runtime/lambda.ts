import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';

import { logger } from './logger.js';

export { logger };

/**
 * Wraps a handler factory for Lambda: dependencies (clients, env) are built on the first
 * invocation, not at import, so the drill and tests can import handler modules without an AWS environment.
 */
export function lambdaHandler<R>(factory: () => (event: unknown) => Promise<R>) {
  let handle: ((event: unknown) => Promise<R>) | undefined;
  return middy(async (event: unknown) => {
    handle ??= factory();
    return handle(event);
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
