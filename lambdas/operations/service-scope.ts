import { isElsewhere, type ServiceAccess } from '../core/accounts.js';

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
