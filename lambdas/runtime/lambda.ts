import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';

import { awsClients } from './clients.js';
import type { Runtime } from './compose/runtime.js';
import { functionRegion, readEnvFor } from './env.js';
import { logger } from './logger.js';
import type { EnvOf, ManifestedFunction } from './manifest.js';

export { logger };

/**
 * Wraps a handler factory for Lambda: dependencies (clients, env) are built on the first
 * invocation, not at import, so the drill and tests can import handler modules without an AWS environment.
 */
export function lambdaHandler<R>(factory: () => ((event: unknown) => Promise<R>) | Promise<(event: unknown) => Promise<R>>) {
  let handle: Promise<(event: unknown) => Promise<R>> | undefined;
  return middy(async (event: unknown) => {
    // A failed start is not cached: the next invocation tries again.
    handle ??= Promise.resolve(factory()).catch((error: unknown) => {
      handle = undefined;
      throw error;
    });
    return (await handle)(event);
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

/**
 * The Lambda entry point of a function in the manifest: its dependencies come from the composition
 * root (lambdas/runtime/compose.ts) over real clients, the wall clock and the function's environment.
 */
export function composedHandler<F extends ManifestedFunction, D, R>(
  name: F,
  compose: (rt: Runtime, env: EnvOf<F>) => Promise<D>,
  create: (deps: D) => (event: unknown) => Promise<R>,
  runtime: () => Partial<Runtime> = () => ({}),
) {
  return lambdaHandler(async () => {
    // What the bundle carries (the config) first: a bundle built without it is the clearer error.
    const extra = runtime();
    const env = readEnvFor(name);
    const region = functionRegion();
    return create(await compose({ clients: awsClients(), clock: () => new Date(), ...(region ? { region } : {}), ...extra }, env));
  });
}
