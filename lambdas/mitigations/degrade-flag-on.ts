import { describeFlag, flagPermissions, flagSwitchOperations } from './flag-switch.js';
import type { Mitigation } from './mitigation.js';

/**
 * The circuit breaker: when a downstream dependency is failing (a configured symptom alarm says so),
 * the service's first degrade flag is switched on, so it serves degraded results (cached, reduced)
 * instead of cascading timeouts. Low risk and quick to revert; reverted when it had no effect.
 */
export const degradeFlagOn: Mitigation = {
  type: 'degrade-flag-on',
  title: 'degrade flag',
  risk: 'low',
  defaultPolicy: { SEV1: 'auto', SEV2: 'auto', SEV3: 'auto', SEV4: 'auto' },
  revertWhenIneffective: true,
  writesPerChange: 2,
  evidence: 'downstream-failure',
  matrixCase: 'downstream-failure',
  configured: (service) => (service.resources.featureFlags?.degradeFlags.length ?? 0) > 0,
  propose({ triage, service }) {
    const flags = service.resources.featureFlags;
    const flag = flags?.degradeFlags[0];
    if (!triage.symptoms.downstreamFailure || !flags || flag === undefined) return { proposals: [] };
    return {
      proposals: [
        {
          target: describeFlag(flags, flag),
          params: { flag },
          rationale: `A downstream dependency is failing; turning on "${flag}" serves degraded results instead of cascading timeouts.`,
        },
      ],
    };
  },
  ...flagSwitchOperations({ enabled: true, allowed: (f) => f.degradeFlags, role: 'degrade flag' }),
  permissions: flagPermissions,
};
