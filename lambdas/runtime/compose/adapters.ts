import { immediateStrategyName, memberStackName, type ServiceAccess } from '../../core/accounts.js';
import { DeploymentStrategyMissingError } from '../../mitigations/mitigation.js';
import type { MitigationAdapters } from '../../mitigations/ports.js';
import type { ForService, StrategyLookup } from '../../operations/service-scope.js';
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
 * role of its account under the session name), one set per place and session; and the lookup of the
 * zero-bake deployment strategy there, whose ID is cached per account and region (a found ID does not
 * change; a miss is asked again, so deploying the member stack mends it without a restart).
 */
export function serviceAdapters(clients: AwsClients, options: AdapterOptions = {}): ForService<{ adapters: MitigationAdapters; deploymentStrategyOf: StrategyLookup }> {
  const sets = new WeakMap<AwsClients, MitigationAdapters>();
  const strategies = new Map<string, Promise<string>>();
  return async (access, sessionName) => {
    const place = clients.forService(access, sessionName);
    let adapters = sets.get(place);
    if (!adapters) sets.set(place, (adapters = mitigationAdapters(place, options)));
    const at = adapters;
    const deploymentStrategyOf: StrategyLookup = (stage) => {
      const key = `${access.account ?? ''}/${access.region ?? ''}/${stage}`;
      let id = strategies.get(key);
      if (!id) {
        const found = findImmediateStrategy(at, access, stage);
        strategies.set(key, (id = found));
        found.catch(() => strategies.get(key) === found && strategies.delete(key));
      }
      return id;
    };
    return { adapters, deploymentStrategyOf };
  };
}

/**
 * The ID of the strategy named `immediateStrategyName(stage)` at `access`'s place.
 * @throws DeploymentStrategyMissingError naming the member stack that creates it
 */
async function findImmediateStrategy(adapters: MitigationAdapters, access: ServiceAccess, stage: string): Promise<string> {
  const name = immediateStrategyName(stage);
  const ids = await (await adapters.flags()).deploymentStrategiesNamed(name);
  if (ids.length === 0) {
    const where = [access.account && `account ${access.account}`, access.region && `region ${access.region}`].filter(Boolean).join(', ');
    const stack =
      access.account !== undefined && access.region !== undefined
        ? `member stack ${memberStackName(stage, access.account, access.region)}`
        : 'member stack of that account and region';
    throw new DeploymentStrategyMissingError(
      `No AppConfig deployment strategy named ${name} in ${where || 'the service’s place'}: the ${stack} creates it for services with feature flags; deploy it (docs/accounts.md)`,
    );
  }
  // Names are not unique in AppConfig: the first listed, as a repeat deploy of the member stack keeps one.
  return ids[0]!;
}
