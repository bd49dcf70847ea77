import { checkConfig, type TourniquetConfig } from '../../lambdas/core/config.js';
import { SAMPLE_FLAG } from './workload/stack.js';

/** The service name Tourniquet knows the sample workload by (its episode pointer is `EPISODE#<this>`). */
export const SAMPLE_SERVICE = 'checkout';

/** Runbook link carried into the sample's pages and status updates (validate warns without one). */
export const SAMPLE_RUNBOOK = 'https://example.com/runbooks/tourniquet-aws-test';

/** What the config is written from: the caller's identity and the sample stack's outputs. */
export interface SampleConfigInput {
  readonly stage: string;
  readonly account: string;
  readonly region: string;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly configurationProfileId: string;
  readonly alarmName: string;
}

/**
 * The Tourniquet config for the sample workload (parsed, and as the JSON file to deploy with): one service whose kill switch is the sample's flag,
 * triggered by the sample's alarm, in the caller's account and region (named explicitly, with that
 * same account as the central one, so the config reads like a real one). The change window is two
 * hours because the sample's flag deployment happens before Tourniquet's stack is deployed; the
 * flag propagates at once (nothing polls it). No email subscriptions: nobody gets mail from a test.
 *
 * @throws Error naming every problem when the result is not a valid config (a bug in this file or a
 *   stack output that is not what it should be): better before a deploy than after.
 */
export function sampleConfig(input: SampleConfigInput): { config: TourniquetConfig; json: string } {
  const raw = {
    version: 1,
    stage: input.stage,
    changeWindowMinutes: 120,
    dryRun: false,
    crossAccount: { centralAccount: input.account, centralRegion: input.region },
    services: [
      {
        name: SAMPLE_SERVICE,
        severity: 'SEV3',
        account: input.account,
        region: input.region,
        runbook: SAMPLE_RUNBOOK,
        alarms: [{ name: input.alarmName, summary: 'checkout errors', impact: 'Sample customers of the real-AWS test cannot pay (nobody real).' }],
        resources: {
          featureFlags: {
            applicationId: input.applicationId,
            environmentId: input.environmentId,
            configurationProfileId: input.configurationProfileId,
            killSwitchFlags: [SAMPLE_FLAG],
            propagationSeconds: 0,
          },
        },
      },
    ],
  };
  const checked = checkConfig(raw);
  if (!checked.ok) throw new Error(`the sample Tourniquet config is not valid: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return { config: checked.config, json: `${JSON.stringify(raw, null, 2)}\n` };
}
