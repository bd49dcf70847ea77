import type { MitigationType } from '../core/mitigation-types.js';
import { MITIGATION_TYPES } from '../core/mitigation-types.js';
import { arcRoutingControl } from './arc-routing-control.js';
import { dbFailover } from './db-failover.js';
import { degradeFlagOn } from './degrade-flag-on.js';
import { ecsRollback } from './ecs-rollback.js';
import { ecsScaleOut } from './ecs-scale-out.js';
import { featureFlagOff } from './feature-flag-off.js';
import type { Mitigation } from './mitigation.js';
import { route53Failover } from './route53-failover.js';
import { wafBlock } from './waf-block.js';

/**
 * The catalogue: every mitigation Tourniquet can run, one module each, in the doctrine's order of
 * preference (kill switch > rollback > failover > circuit break > scale; MITIGATION_TYPES). Adding a
 * mitigation means adding its module here (docs/mitigations.md has the checklist).
 */
const MODULES: readonly Mitigation[] = [featureFlagOff, ecsRollback, route53Failover, arcRoutingControl, dbFailover, degradeFlagOn, wafBlock, ecsScaleOut];

/** The catalogue in the doctrine's order: the order the decision matrix tries candidates in. */
export const CATALOGUE: readonly Mitigation[] = [...MODULES].sort((a, b) => MITIGATION_TYPES.indexOf(a.type) - MITIGATION_TYPES.indexOf(b.type));

const BY_TYPE = new Map<string, Mitigation>(CATALOGUE.map((m) => [m.type, m]));

/** Whether this build can run mitigations of this type (a type named in a plan from an older build may not be). */
export function isCatalogued(type: string): type is MitigationType {
  return BY_TYPE.has(type);
}

/** The catalogue module of a mitigation type. */
export function mitigationOf(type: string): Mitigation {
  const mitigation = BY_TYPE.get(type);
  if (!mitigation) throw new Error(`Mitigation type ${type} is not in this build's catalogue (${CATALOGUE.map((m) => m.type).join(', ')})`);
  return mitigation;
}

/** The contract of a catalogue module (lambdas/mitigations/mitigation.ts). */
export type { Mitigation } from './mitigation.js';
