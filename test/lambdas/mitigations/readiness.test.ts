import { describe, expect, it } from '@jest/globals';

import { type ServiceConfig, ServiceConfigSchema } from '../../../lambdas/core/config.js';
import { mitigationOf } from '../../../lambdas/mitigations/index.js';
import type { MitigationContext, ReadinessContext } from '../../../lambdas/mitigations/mitigation.js';
import { fakeAdapters } from '../../support/adapters.js';

/**
 * Readiness and incident-time previews of the catalogue's modules over fake adapters: what each
 * module checks, how it words a failing check, and which findings make a candidate not executable.
 */

const STRATEGY = 'imm0str';
const HC = '8f2b6a1e-3c4d-4e5f-9a0b-1c2d3e4f5a6b';
const ACL = 'a1b2c3d4-5678-90ab-cdef-111111111111';

const service: ServiceConfig = ServiceConfigSchema.parse({
  name: 'checkout',
  alarms: [{ name: 'checkout-5xx-rate' }],
  resources: {
    featureFlags: {
      applicationId: 'chk4app',
      environmentId: 'prd5env',
      configurationProfileId: 'flg6prf',
      killSwitchFlags: ['new-checkout-flow', 'express-pay'],
      degradeFlags: ['serve-cached'],
    },
    ecs: { cluster: 'shop-prod', service: 'checkout', maxDesiredCount: 12 },
    route53: { mode: 'health-check', hostedZoneId: 'Z0SHOP0EXAMPLE', recordName: 'checkout.shop.example.com', primaryHealthCheckId: HC },
    waf: { webAclName: 'shop-prod', webAclId: ACL },
  },
});

const named = (name: string, message: string) => Object.assign(new Error(message), { name });
const td = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:${revision}`;

function readiness(adapters: Parameters<typeof fakeAdapters>[0], strategy = STRATEGY): ReadinessContext {
  return { service, adapters: fakeAdapters(adapters), deploymentStrategyId: strategy, clock: () => new Date('2026-11-23T03:00:00Z') };
}
function incident(adapters: Parameters<typeof fakeAdapters>[0]): MitigationContext {
  return { ...readiness(adapters), incidentId: 'inc-1', reason: 'Tourniquet inc-1' };
}

/** A flag adapter whose deployed configuration holds `flags` (flag → enabled) as version 3, and a strategy. */
function flagsAdapter(
  flags: Record<string, boolean>,
  strategy: { immediate: boolean; detail: string } | Error = { immediate: true, detail: 'deployment strategy imm0str deploys at once with no bake (growth 100%)' },
) {
  return {
    previewFlag: async (_target: unknown, request: { flag: string; enabled: boolean }) => {
      if (!(request.flag in flags)) {
        throw named(
          'FlagNotInProfileError',
          `flag "${request.flag}" is not defined in configuration version 3 of the profile (flags there: ${Object.keys(flags).join(', ')}); refusing to create it`,
        );
      }
      const current = flags[request.flag]!;
      return {
        flag: request.flag,
        enabled: request.enabled,
        wouldChange: current !== request.enabled,
        before: { deployedVersion: '3', enabled: current, deploymentNumber: 3 },
        detail: 'live configuration is version 3 (deployment #3)',
      };
    },
    deploymentStrategy: async () => {
      if (strategy instanceof Error) throw strategy;
      return { id: STRATEGY, durationMinutes: 0, finalBakeMinutes: strategy.immediate ? 0 : 10, growthFactor: 100, ...strategy };
    },
  };
}

describe('kill switch and degrade flag readiness', () => {
  it('is ready for a flag in the deployed configuration, whatever its value, with the zero-bake strategy', async () => {
    const reports = await mitigationOf('feature-flag-off').readiness(
      readiness({ flags: flagsAdapter({ 'new-checkout-flow': true, 'express-pay': false, 'serve-cached': false }) }),
    );

    expect(reports.map((r) => [r.target, r.ready])).toEqual([
      ['flag new-checkout-flow (chk4app/prd5env/flg6prf)', true],
      ['flag express-pay (chk4app/prd5env/flg6prf)', true],
    ]);
    expect(reports[1]!.checks).toEqual([
      { check: 'express-pay in the deployed configuration', ok: true, detail: 'deployed version 3 has express-pay off; the kill switch has nothing to switch now' },
      { check: 'zero-bake deployment strategy', ok: true, detail: 'deployment strategy imm0str deploys at once with no bake (growth 100%)' },
    ]);
  });

  it('names a kill switch deleted from the profile, and the switch is not executable at incident time', async () => {
    const flags = flagsAdapter({ 'express-pay': true, 'serve-cached': false });
    const [deleted] = await mitigationOf('feature-flag-off').readiness(readiness({ flags }));

    expect(deleted).toMatchObject({ type: 'feature-flag-off', ready: false });
    expect(deleted!.checks[0]).toEqual({
      check: 'new-checkout-flow in the deployed configuration',
      ok: false,
      detail: 'flag "new-checkout-flow" is not defined in configuration version 3 of the profile (flags there: express-pay, serve-cached); refusing to create it',
    });

    const preview = await mitigationOf('feature-flag-off').preview(incident({ flags }), { flag: 'new-checkout-flow' });
    expect(preview.notExecutable).toContain('flag "new-checkout-flow" is not defined in configuration version 3');
    expect(preview.wouldChange).toBe(false);
  });

  it('fails every flag of the profile when the strategy bakes or is gone, and reads it once', async () => {
    let reads = 0;
    const baking = flagsAdapter(
      { 'new-checkout-flow': true, 'express-pay': true },
      { immediate: false, detail: 'deployment strategy imm0str takes 0 min to roll out and bakes 10 min' },
    );
    const counted = { ...baking, deploymentStrategy: async () => (reads++, baking.deploymentStrategy()) };

    const reports = await mitigationOf('feature-flag-off').readiness(readiness({ flags: counted }));

    expect(reports.every((r) => !r.ready)).toBe(true);
    expect(reports[0]!.checks[1]).toMatchObject({ check: 'zero-bake deployment strategy', ok: false });
    expect(reads).toBe(1);

    const gone = await mitigationOf('degrade-flag-on').readiness(
      readiness({ flags: flagsAdapter({ 'serve-cached': false }, new Error('AppConfig GetDeploymentStrategy on deployment strategy imm0str failed: ResourceNotFoundException')) }),
    );
    expect(gone[0]!.checks[1]).toEqual({
      check: 'zero-bake deployment strategy',
      ok: false,
      detail: 'AppConfig GetDeploymentStrategy on deployment strategy imm0str failed: ResourceNotFoundException',
    });
  });

  it('says the strategy was not checked when no strategy ID is known', async () => {
    const [report] = await mitigationOf('degrade-flag-on').readiness(readiness({ flags: flagsAdapter({ 'serve-cached': false }) }, ''));

    expect(report!.ready).toBe(true);
    expect(report!.checks[1]!.detail).toMatch(/^not checked: no deployment strategy ID given/);
  });
});

describe('ECS rollback readiness', () => {
  const stable = { current: td(42), stable: td(41), evidence: 'deployment ecs-svc/1 of checkout:41 completed successfully', basis: 'service-deployments' as const };
  const preview = (call: 'UpdateService' | 'StopServiceDeployment') => ({
    action: 'ecs-rollback',
    wouldChange: true,
    call,
    before: { taskDefinition: td(42), desiredCount: 4 },
    after: { taskDefinition: td(41) },
    detail: 'Would roll ECS service shop-prod/checkout back from checkout:42 to checkout:41 with UpdateService.',
  });

  it('is ready when the stable revision is found and ACTIVE', async () => {
    const ecs = { findStableTaskDefinition: async () => stable, taskDefinitionStatus: async (t: string) => ({ taskDefinition: t, status: 'ACTIVE', active: true }) };

    const [report] = await mitigationOf('ecs-rollback').readiness(readiness({ ecs }));

    expect(report).toMatchObject({ ready: true, target: 'ECS service shop-prod/checkout' });
    expect(report!.checks.map((c) => c.check)).toEqual(['a stable previous task definition', 'checkout:41 is ACTIVE']);
  });

  it('is not ready, and not executable by UpdateService, when the stable revision was deregistered', async () => {
    const ecs = {
      findStableTaskDefinition: async () => stable,
      previewRollback: async () => preview('UpdateService'),
      taskDefinitionStatus: async (t: string) => ({ taskDefinition: t, status: 'INACTIVE', active: false }),
    };

    const [report] = await mitigationOf('ecs-rollback').readiness(readiness({ ecs }));
    expect(report!.ready).toBe(false);
    expect(report!.checks[1]!.detail).toBe(
      'the stable task definition checkout:41 is INACTIVE (deregistered): ECS refuses UpdateService to it; register it again or roll forward by hand',
    );

    const look = await mitigationOf('ecs-rollback').preview(incident({ ecs }), {});
    expect(look.notExecutable).toContain('checkout:41 is INACTIVE');
  });

  it('leaves a StopServiceDeployment rollback to ECS without reading the revision', async () => {
    const ecs = { previewRollback: async () => preview('StopServiceDeployment'), taskDefinitionStatus: async () => Promise.reject(new Error('not expected')) };

    const look = await mitigationOf('ecs-rollback').preview(incident({ ecs }), {});

    expect(look.notExecutable).toBeUndefined();
    expect(look.wouldChange).toBe(true);
  });

  it('reports no stable revision as one failing check', async () => {
    const ecs = {
      findStableTaskDefinition: async () =>
        Promise.reject(
          named('NoStableTaskDefinitionError', 'no stable task definition to roll ECS service shop-prod/checkout back to from checkout:42: only one revision ever ran'),
        ),
    };

    const [report] = await mitigationOf('ecs-rollback').readiness(readiness({ ecs }));

    expect(report).toMatchObject({ ready: false, checks: [{ check: 'a stable previous task definition', ok: false }] });
  });
});

describe('Route 53 failover readiness', () => {
  const failoverPreview = {
    mode: 'health-check',
    wouldChange: true,
    before: { mode: 'health-check', healthCheckId: HC, inverted: false, disabled: false, healthCheckVersion: 1 },
    detail: 'Would invert and disable health check.',
    settleSeconds: 150,
  };
  const route53 = (status: 'healthy' | 'unhealthy' | 'unknown') => ({
    previewFailover: async () => failoverPreview,
    secondaryHealth: async () => ({
      record: 'checkout.shop.example.com. A "us-west-2"',
      status,
      healthyCheckers: status === 'healthy' ? 16 : 0,
      checkers: 16,
      detail: `health check of the secondary is ${status}`,
    }),
  });

  it('checks the records and the health of the secondary', async () => {
    const [report] = await mitigationOf('route53-failover').readiness(readiness({ route53: route53('healthy') }));

    expect(report).toMatchObject({ ready: true });
    expect(report!.checks.map((c) => [c.check, c.ok])).toEqual([
      ['failover records and primary health check readable', true],
      ['secondary healthy', true],
    ]);
  });

  it('is not ready, and not executable at incident time, while the secondary is unhealthy', async () => {
    const [report] = await mitigationOf('route53-failover').readiness(readiness({ route53: route53('unhealthy') }));
    expect(report!.ready).toBe(false);

    const look = await mitigationOf('route53-failover').preview(incident({ route53: route53('unhealthy') }), {});
    expect(look).toMatchObject({ wouldChange: false, notExecutable: 'health check of the secondary is unhealthy' });
  });

  it('fails over onto a secondary whose health nobody can tell, and says so', async () => {
    const look = await mitigationOf('route53-failover').preview(incident({ route53: route53('unknown') }), {});

    expect(look.notExecutable).toBeUndefined();
    expect(look.detail).toContain('Secondary: health check of the secondary is unknown.');
  });
});

describe('WAF block readiness', () => {
  const webAcl = (fits: boolean) => ({
    previewRateBasedBlock: async () => ({
      wouldChange: true,
      before: { ruleNames: [] },
      after: {},
      changed: { added: ['tourniquet-inc-1-rate'], removed: [] },
      detail: 'Dry run: would have added rule.',
    }),
    capacityForRateBasedBlock: async () => ({
      withRule: fits ? 702 : 5001,
      limit: 5000,
      fits,
      detail: fits ? 'would use 702 of 5000 WCU' : 'would need 5001 WCU, more than the 5000 WCU a web ACL may use',
    }),
  });

  it('checks the web ACL and its capacity for one more rule', async () => {
    const [report] = await mitigationOf('waf-block').readiness(readiness({ waf: webAcl(true) }));

    expect(report!.checks.map((c) => [c.check, c.ok])).toEqual([
      ['web ACL readable and a rate-based rule can be added', true],
      ['capacity (WCU) for one more rule', true],
    ]);
  });

  it('is not ready, and not executable at incident time, without room for the rule', async () => {
    const [report] = await mitigationOf('waf-block').readiness(readiness({ waf: webAcl(false) }));
    expect(report!.ready).toBe(false);

    const look = await mitigationOf('waf-block').preview(incident({ waf: webAcl(false) }), {});
    expect(look.notExecutable).toBe('would need 5001 WCU, more than the 5000 WCU a web ACL may use');
  });
});
