import { describeFlag, flagPermissions, flagSwitchOperations } from './flag-switch.js';
import type { Mitigation, Proposal } from './mitigation.js';

const minutesBefore = (earlier: string, later: string): number => Math.max(0, Math.round((Date.parse(later) - Date.parse(earlier)) / 60_000));

/**
 * The kill switch: a configured kill-switch flag that was turned on inside the change window is
 * switched off again. The smallest, fastest-to-revert change there is, so it runs on its own at
 * every severity by default, and it stays off when it had no measurable effect (a suspect feature
 * off is the safe state).
 */
export const featureFlagOff: Mitigation = {
  type: 'feature-flag-off',
  title: 'kill switch',
  risk: 'low',
  defaultPolicy: { SEV1: 'auto', SEV2: 'auto', SEV3: 'auto', SEV4: 'auto' },
  revertWhenIneffective: false,
  writesPerChange: 2,
  evidence: 'flag-turned-on',
  matrixCase: 'feature-regression',
  configured: (service) => (service.resources.featureFlags?.killSwitchFlags.length ?? 0) > 0,
  propose({ triage, service, alarmAt }) {
    const flags = service.resources.featureFlags;
    const proposals: Proposal[] = [];
    const notes: string[] = [];
    // Newest first: the latest flag turned on is the likeliest suspect.
    const turnedOn = triage.flagChanges.filter((c) => c.to && c.from !== true).sort((a, b) => b.changedAt.localeCompare(a.changedAt));
    for (const change of turnedOn) {
      if (!flags || !flags.killSwitchFlags.includes(change.flag)) {
        notes.push(`Flag "${change.flag}" was turned on but is not a configured kill switch, so it is left alone.`);
        continue;
      }
      if (proposals.some((p) => p.params.flag === change.flag)) continue;
      proposals.push({
        target: describeFlag(flags, change.flag),
        params: { flag: change.flag },
        rationale: `Flag "${change.flag}" was turned on ${minutesBefore(change.changedAt, alarmAt)} min before the alarm (deployment #${change.deploymentNumber}); switching it off is the smallest change that removes it.`,
      });
    }
    return { proposals, notes };
  },
  ...flagSwitchOperations({ enabled: false, allowed: (f) => f.killSwitchFlags, role: 'kill switch' }),
  permissions: flagPermissions,
};
