import { describe, expect, it } from '@jest/globals';

import { checkConfig, type TourniquetConfig } from '../../../lambdas/core/config.js';
import { CONFIG_WARNING_CHECKS, configWarnings } from '../../../lambdas/core/config-warnings.js';
import { failoverRegionWarnings } from '../../../lambdas/core/failover-region.js';

const ARC = {
  clusterArn: 'arn:aws:route53-recovery-control::123456789012:cluster/c1',
  clusterEndpoints: [{ endpoint: 'https://host-aaaaaa.us-west-2.example.com/v1', region: 'us-west-2' }],
  primaryRoutingControlArn: 'arn:aws:route53-recovery-control::123456789012:controlpanel/p1/routingcontrol/primary',
  secondaryRoutingControlArn: 'arn:aws:route53-recovery-control::123456789012:controlpanel/p1/routingcontrol/secondary',
};
const WEIGHTED = { mode: 'weighted', hostedZoneId: 'Z0SHOP', recordName: 'shop.example.com', primarySetIdentifier: 'a', secondarySetIdentifier: 'b' };

function config(raw: Record<string, unknown>, service: Record<string, unknown>): TourniquetConfig {
  const checked = checkConfig({ version: 1, ...raw, services: [{ name: 'checkout', alarms: [{ name: 'checkout-5xx' }], ...service }] });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.config;
}
const central = (centralRegion: string) => ({ crossAccount: { centralAccount: '111111111111', centralRegion } });

describe('validate: a failover driven from the region it fails away from', () => {
  it('is one of the checks validate runs', () => {
    expect(CONFIG_WARNING_CHECKS).toContain(failoverRegionWarnings);
  });

  it('warns when Tourniquet runs in the service’s region, naming the region, the failover and what to set', () => {
    const warnings = failoverRegionWarnings(config(central('eu-west-1'), { region: 'eu-west-1', resources: { route53: WEIGHTED, arc: ARC } }));
    expect(warnings.map((w) => w.path)).toEqual(['services[0].resources.route53', 'services[0].resources.arc']);
    expect(warnings[1]!.message).toBe(
      'service checkout fails over (ARC routing control) away from eu-west-1, the region Tourniquet runs in (crossAccount.centralRegion): if that region fails, the automation that must fail it over fails with it. ' +
        'Deploy Tourniquet in another region (a third region, or the standby region) and set crossAccount.centralRegion to it and services[0].region to the service’s (docs/accounts.md, "Where to run Tourniquet")',
    );
  });

  it('counts a service without a region as being in Tourniquet’s', () => {
    expect(failoverRegionWarnings(config(central('eu-west-1'), { resources: { arc: ARC } })).map((w) => w.path)).toEqual(['services[0].resources.arc']);
  });

  it('says the region is unknown when neither crossAccount.centralRegion nor the service’s region is set', () => {
    const [warning, ...rest] = failoverRegionWarnings(config({}, { resources: { arc: ARC } }));
    expect(rest).toEqual([]);
    expect(warning!.message).toContain('away from the region Tourniquet is deployed to (neither crossAccount.centralRegion nor the service’s region is set, so they are the same)');
  });

  it('is quiet when Tourniquet runs in another region', () => {
    expect(failoverRegionWarnings(config(central('us-west-2'), { region: 'eu-west-1', resources: { route53: WEIGHTED, arc: ARC } }))).toEqual([]);
  });

  it('warns for global database failovers but not for cluster mode, which promotes a reader in the same region', () => {
    const global = { mode: 'global-failover', clusterId: 'db', globalClusterId: 'g', targetClusterArn: 'arn:aws:rds:us-west-2:111111111111:cluster:db-west' };
    expect(failoverRegionWarnings(config(central('eu-west-1'), { resources: { database: global } })).map((w) => w.path)).toEqual(['services[0].resources.database']);
    expect(failoverRegionWarnings(config(central('eu-west-1'), { resources: { database: { mode: 'cluster', clusterId: 'db', targetInstanceId: 'db-2' } } }))).toEqual([]);
  });

  it('ignores services without a regional failover', () => {
    expect(failoverRegionWarnings(config(central('eu-west-1'), { resources: { ecs: { cluster: 'shop', service: 'checkout' } } }))).toEqual([]);
  });

  it('warns that a Route 53 failover away from us-east-1 needs Route 53’s control plane there, wherever Tourniquet runs', () => {
    const warnings = failoverRegionWarnings(config(central('us-west-2'), { region: 'us-east-1', resources: { route53: WEIGHTED, arc: ARC } }));
    expect(warnings).toEqual([{ path: 'services[0].resources.route53', message: expect.stringContaining('prefer an ARC routing control') }]);
    expect(configWarnings(config(central('us-west-2'), { region: 'us-east-1', resources: { route53: WEIGHTED } })).map((w) => w.path)).toContain('services[0].resources.route53');
  });
});

describe('config: a service region needs crossAccount', () => {
  it('refuses a region without crossAccount, saying what to add', () => {
    const checked = checkConfig({ version: 1, services: [{ name: 'checkout', region: 'eu-west-1', alarms: [{ name: 'checkout-5xx' }] }] });
    expect(checked.ok ? [] : checked.problems).toEqual([
      {
        path: 'services[0].region',
        message:
          'service "checkout" names region eu-west-1: add crossAccount (centralAccount, centralRegion: where Tourniquet runs) so its alarms can be forwarded and its failover checked (docs/accounts.md)',
      },
    ]);
  });
});
