import type { AppConfigFlagsAdapter } from '../adapters/appconfig-flags.js';
import type { ArcRoutingControlAdapter } from '../adapters/arc-routing-control.js';
import type { AuroraFailoverAdapter } from '../adapters/aurora-failover.js';
import type { EcsAdapter } from '../adapters/ecs-deployments.js';
import type { Route53FailoverAdapter } from '../adapters/route53-failover.js';
import type { WafRulesAdapter } from '../adapters/waf-rules.js';

/**
 * The adapters the catalogue's mitigations act through, each built on first use (and only then is
 * its SDK client loaded). The composition root (`lambdas/runtime/compose.ts`) builds them over real
 * clients for Lambda and the CLI, and over the simulated account's clients in the drill.
 */
export interface MitigationAdapters {
  flags(): Promise<AppConfigFlagsAdapter>;
  ecs(): Promise<EcsAdapter>;
  route53(): Promise<Route53FailoverAdapter>;
  /** CLOUDFRONT web ACLs are managed in us-east-1 whatever the stack's region. */
  waf(scope: 'REGIONAL' | 'CLOUDFRONT'): Promise<WafRulesAdapter>;
  /** ARC routing controls: one data-plane client per cluster endpoint, each created when first tried. */
  arc(): Promise<ArcRoutingControlAdapter>;
  /** Aurora failover: RDS and CloudWatch (replica lag) in the stack's region, and in a global database's secondary region. */
  aurora(): Promise<AuroraFailoverAdapter>;
}
