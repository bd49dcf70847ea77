import type { MitigationAdapters } from '../../mitigations/ports.js';
import type { ForService } from '../../operations/service-scope.js';
import { type AwsClients, memo } from '../clients.js';
import type { AdapterOptions } from './runtime.js';

/** The mitigations' adapters over `clients`, each built on first use. */
export function mitigationAdapters(clients: AwsClients, options: AdapterOptions = {}): MitigationAdapters {
  const once = <T>(make: () => Promise<T>) => memo<string, T>(make);
  const flags = once(async () => new (await import('../../adapters/appconfig-flags.js')).AppConfigFlagsAdapter(await clients.appconfig()));
  const ecs = once(async () => new (await import('../../adapters/ecs-deployments.js')).EcsAdapter(await clients.ecs()));
  const route53 = once(async () => new (await import('../../adapters/route53-failover.js')).Route53FailoverAdapter(await clients.route53()));
  const waf = memo<'REGIONAL' | 'CLOUDFRONT', import('../../adapters/waf-rules.js').WafRulesAdapter>(async (scope) => {
    const { WafRulesAdapter } = await import('../../adapters/waf-rules.js');
    return new WafRulesAdapter(await clients.wafv2(scope === 'CLOUDFRONT' ? 'us-east-1' : undefined), {
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  });
  const arc = once(async () => {
    const { ArcRoutingControlAdapter } = await import('../../adapters/arc-routing-control.js');
    return new ArcRoutingControlAdapter(({ endpoint, region }) => clients.arcCluster(endpoint, region), options.random ? { random: options.random } : {});
  });
  const aurora = once(async () => {
    const { AuroraFailoverAdapter } = await import('../../adapters/aurora-failover.js');
    return new AuroraFailoverAdapter(await clients.rds(), await clients.cloudwatch(), {
      // Global databases: the secondary's region, where its lag is published and a failover still answers when the primary region is down.
      clientsIn: async (region) => ({ rds: await clients.rds(region), cloudwatch: await clients.cloudwatch(region) }),
      ...(options.now ? { now: options.now } : {}),
    });
  });
  return { flags: () => flags(''), ecs: () => ecs(''), route53: () => route53(''), waf, arc: () => arc(''), aurora: () => aurora('') };
}

/**
 * The mitigations' adapters of a service elsewhere: over `clients.forService` (its region; the member
 * role of its account under the session name), one set per place and session.
 */
export function serviceAdapters(clients: AwsClients, options: AdapterOptions = {}): ForService<{ adapters: MitigationAdapters }> {
  const sets = new WeakMap<AwsClients, MitigationAdapters>();
  return async (access, sessionName) => {
    const place = clients.forService(access, sessionName);
    let adapters = sets.get(place);
    if (!adapters) sets.set(place, (adapters = mitigationAdapters(place, options)));
    return { adapters };
  };
}
