import type { ServiceConfig, TourniquetConfig } from './config.js';
import type { ConfigWarning } from './config-warnings.js';

/**
 * Where to run Tourniquet (docs/accounts.md): a failover that moves a service out of a region must not
 * be driven from that region. If Tourniquet runs where the service fails, the outage that calls for the
 * failover can take the automation (and its alarms, functions and table) down with it.
 */

/** The failovers that move a service to another region, with the words a warning uses. */
const REGIONAL_FAILOVERS: readonly { readonly key: 'route53' | 'arc' | 'database'; readonly title: string; readonly applies: (s: ServiceConfig) => boolean }[] = [
  { key: 'route53', title: 'Route 53 failover', applies: (s) => s.resources.route53 !== undefined },
  { key: 'arc', title: 'ARC routing control', applies: (s) => s.resources.arc !== undefined },
  // Cluster mode promotes a reader in the same region (an instance or AZ failure): it fails over within the region, not away from it.
  { key: 'database', title: 'Aurora global database failover', applies: (s) => s.resources.database !== undefined && s.resources.database.mode !== 'cluster' },
];

/** Route 53's control plane (record and health-check changes) runs in us-east-1 only. */
export const ROUTE53_CONTROL_REGION = 'us-east-1';

/**
 * A regional failover whose control runs in the region it fails away from: Tourniquet's region
 * (`crossAccount.centralRegion`; unknown without it, when the service, naming no region either, is in
 * whatever region Tourniquet is deployed to) equals the service's. Also a Route 53 failover away from
 * us-east-1, whose record and health-check changes go through the control plane there.
 */
export function failoverRegionWarnings(config: TourniquetConfig): ConfigWarning[] {
  const tourniquetRegion = config.crossAccount?.centralRegion;
  return config.services.flatMap((service, i) => {
    const serviceRegion = service.region ?? tourniquetRegion;
    const failovers = REGIONAL_FAILOVERS.filter((f) => f.applies(service));
    const sameRegion = serviceRegion === tourniquetRegion;
    const where =
      tourniquetRegion !== undefined
        ? `${tourniquetRegion}, the region Tourniquet runs in (crossAccount.centralRegion)`
        : 'the region Tourniquet is deployed to (neither crossAccount.centralRegion nor the service’s region is set, so they are the same)';
    const fix =
      'if that region fails, the automation that must fail it over fails with it. Deploy Tourniquet in another region (a third region, or the standby region) and set ' +
      `crossAccount.centralRegion to it and services[${i}].region to the service’s (docs/accounts.md, "Where to run Tourniquet")`;
    return failovers.flatMap((f) => [
      ...(sameRegion ? [{ path: `services[${i}].resources.${f.key}`, message: `service ${service.name} fails over (${f.title}) away from ${where}: ${fix}` }] : []),
      ...(f.key === 'route53' && serviceRegion === ROUTE53_CONTROL_REGION
        ? [
            {
              path: `services[${i}].resources.route53`,
              message:
                `service ${service.name} fails over away from ${ROUTE53_CONTROL_REGION} by changing Route 53 records or health checks, which goes through Route 53’s control plane in ${ROUTE53_CONTROL_REGION}: ` +
                'for failing away from that region, prefer an ARC routing control (its data plane answers on five regional endpoints and is built for failover)',
            },
          ]
        : []),
    ]);
  });
}
