import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';

/** One structured logger for all handlers (service name and level come from POWERTOOLS_* variables). */
export const logger = new Logger({ serviceName: 'tourniquet' });

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
