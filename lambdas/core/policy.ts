import { CATALOGUE } from '../mitigations/index.js';
import type { PolicyConfig, PolicyMode, Severity } from './config.js';
import type { MitigationType } from './mitigation-types.js';

/**
 * Who decides, per mitigation and severity: each catalogue module's `defaultPolicy` (the smallest,
 * fastest-to-revert changes run on their own; changes that move or block real users' traffic wait for
 * a human). A service's `policy` overrides any of these, for all severities or per severity.
 */
export const DEFAULT_POLICY: Readonly<Record<MitigationType, Readonly<Record<Severity, PolicyMode>>>> = Object.fromEntries(
  CATALOGUE.map((m) => [m.type, m.defaultPolicy]),
) as Record<MitigationType, Readonly<Record<Severity, PolicyMode>>>;

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
