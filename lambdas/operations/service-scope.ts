import { isElsewhere, type ServiceAccess } from '../core/accounts.js';
import type { DeploymentStrategyRef } from '../mitigations/mitigation.js';

/**
 * The dependencies of an operation that reach a service's resources, built for where the service
 * is: its region and, in a workload account, the member role under the incident's session name
 * (lambdas/runtime/clients.ts `forService`). Operations take their home dependencies plus
 * `forService`, and act through {@link atService}'s result.
 */
export type ForService<T> = (access: ServiceAccess, sessionName: string) => Promise<T>;

/** A service is elsewhere but the operation was given no way to reach it. */
export class ServiceUnreachableError extends Error {
  override readonly name = 'ServiceUnreachableError';
}

/**
 * `deps` with the parts `forService` builds for `access`, or `deps` itself when the service is in
 * the function's own account and region. Never falls back to the home clients for a service elsewhere.
 *
 * @throws ServiceUnreachableError when the service is elsewhere and `deps` has no `forService`
 */
export async function atService<D extends { readonly forService?: ForService<Partial<D>> | undefined }>(
  deps: D,
  access: ServiceAccess | undefined,
  sessionName: string,
): Promise<D> {
  if (!isElsewhere(access)) return deps;
  if (!deps.forService) {
    throw new ServiceUnreachableError(
      `The service is in ${[access.account && `account ${access.account}`, access.region && `region ${access.region}`].filter(Boolean).join(', ')} but this function has no clients for it`,
    );
  }
  return { ...deps, ...(await deps.forService(access, sessionName)) };
}

/**
 * Finds the zero-bake AppConfig strategy of a service's place by its name for `stage`
 * (`immediateStrategyName`): the member stack's there, whose ID the central stack cannot know.
 */
export type StrategyLookup = (stage: string) => Promise<string>;

/**
 * The strategy a service's flag changes deploy with: `home` (the central stack's, from the
 * function's environment) when the service is here; elsewhere the one `lookup` finds there by name,
 * looked up only when a flag change or its readiness check needs it.
 */
export function deploymentStrategyAt(home: DeploymentStrategyRef, access: ServiceAccess | undefined, stage: string, lookup: StrategyLookup | undefined): DeploymentStrategyRef {
  if (!isElsewhere(access)) return home;
  if (!lookup) return () => Promise.reject(new ServiceUnreachableError('The service is elsewhere but this function cannot look up the deployment strategy there'));
  return () => lookup(stage);
}
