import type { PolicyConfig, PolicyMode, Severity } from './config.js';
import type { MitigationType } from './model.js';

/**
 * Who decides, per mitigation and severity. Defaults follow the risk of each change:
 * - flag kill switch and degrade flag: auto (the smallest, fastest-to-revert changes);
 * - ECS rollback: auto for SEV1–SEV2 (a known-good revision beats a long outage), approval below;
 * - Route 53 failover and WAF rule: approval (they move or block real users' traffic);
 * - scale-out: auto, within the configured cap.
 * A service's `policy` overrides any of these, for all severities or per severity.
 */
export const DEFAULT_POLICY: Readonly<Record<MitigationType, Readonly<Record<Severity, PolicyMode>>>> = {
  'feature-flag-off': { SEV1: 'auto', SEV2: 'auto', SEV3: 'auto', SEV4: 'auto' },
  'degrade-flag-on': { SEV1: 'auto', SEV2: 'auto', SEV3: 'auto', SEV4: 'auto' },
  'ecs-rollback': { SEV1: 'auto', SEV2: 'auto', SEV3: 'approval', SEV4: 'approval' },
  'route53-failover': { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
  'waf-block': { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
  'ecs-scale-out': { SEV1: 'auto', SEV2: 'auto', SEV3: 'auto', SEV4: 'auto' },
};

export interface PolicyDecision {
  readonly mode: PolicyMode;
  readonly reason: string;
}

export function resolvePolicy(type: MitigationType, severity: Severity, overrides: PolicyConfig = {}): PolicyDecision {
  const rule = overrides[type];
  const override = typeof rule === 'string' ? rule : rule?.[severity];
  if (override) return { mode: override, reason: `service policy sets ${type} to ${override}${typeof rule === 'string' ? '' : ` for ${severity}`}` };
  const mode = DEFAULT_POLICY[type][severity];
  return { mode, reason: `default policy: ${type} is ${mode} for ${severity}` };
}
