import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { preflightScenario } from '../../drill/preflight.js';
import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { checkScenario, loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: readiness-broken. The kill-switch flag was deleted from the profile while the config
 * still names it. Preflight against the simulated account says so before any incident; when the
 * incident comes, the kill switch is skipped as not executable and a human is paged at once, with
 * nothing changed.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

describe('drill: readiness-broken', () => {
  it('preflight reports the deleted kill switch not ready, with the reason, and the other flags ready', async () => {
    const preflight = await preflightScenario(loadScenario('readiness-broken'));

    expect(preflight.configFile).toBe('drill/configs/readiness-broken.json');
    expect(preflight.reports.map((r) => [r.type, r.target, r.ready])).toEqual([
      ['feature-flag-off', 'flag new-checkout-flow (chk4app/prd5env/flg6prf)', false],
      ['feature-flag-off', 'flag express-pay (chk4app/prd5env/flg6prf)', true],
      ['degrade-flag-on', 'flag serve-cached-recommendations (chk4app/prd5env/flg6prf)', true],
    ]);
    expect(preflight.reports[0]!.checks).toEqual([
      {
        check: 'new-checkout-flow in the deployed configuration',
        ok: false,
        detail: 'flag "new-checkout-flow" is not defined in configuration version 3 of the profile (flags there: express-pay, serve-cached-recommendations); refusing to create it',
      },
      { check: 'zero-bake deployment strategy', ok: true, detail: 'deployment strategy tourniquet-prod-immediate (imm0str) deploys at once with no bake (growth 100%)' },
    ]);
  });

  describe('the incident', () => {
    let run: ScenarioRun;
    beforeAll(async () => {
      run = await runScenario(loadScenario('readiness-broken'), session);
    });

    it('skips the kill switch as not executable, changes nothing and pages a human at once', () => {
      expect(run.result.mismatches).toEqual([]);
      expect(run.result).toMatchObject({ restored: false, escalated: true, passed: true, actions: [], mutations: 0 });
      const timeline = run.result.incidents[0]!.timeline;
      const skipped = timeline.find((e) => e.kind === 'decision' && e.message.startsWith('Skipped feature-flag-off'))!;
      expect(skipped.message).toContain('flag "new-checkout-flow" is not defined in configuration version 3 of the profile');
      const escalation = timeline.find((e) => e.kind === 'escalation')!;
      // Paged within seconds of the skip: no verification wait, no retry of a change that cannot be made.
      expect(Date.parse(escalation.at) - Date.parse(skipped.at)).toBeLessThan(5_000);
      expect(run.result.notifications.filter((n) => n.topic === 'escalation')).toHaveLength(1);
    });

    it('triage still finds the flag turned on in the window (the earlier deployments of the scenario)', () => {
      const triage = run.result.incidents[0]!.timeline.find((e) => e.kind === 'triage')!;
      expect(triage.message).toContain('flag new-checkout-flow off → on (deployment #2 at 02:40:00)');
    });
  });

  it('refuses a version that deletes a flag and still sets it, and earlier deployments out of order', () => {
    const raw = JSON.parse(JSON.stringify(loadScenario('readiness-broken'))) as Record<string, any>;
    raw.account.appconfig.versions[2].values['new-checkout-flow'] = true;
    raw.account.appconfig.earlierDeployments[1].at = '-30:00';
    const result = checkScenario(raw);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual(
      expect.arrayContaining([
        { path: 'account.appconfig.versions[2].values.new-checkout-flow', message: 'flag "new-checkout-flow" is deleted in this version (withoutFlags): it can have no value' },
        { path: 'account.appconfig.earlierDeployments[1].at', message: 'earlier deployments come oldest first, each before account.appconfig.deployed' },
      ]),
    );
  });
});
