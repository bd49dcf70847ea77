import { describe, expect, it } from '@jest/globals';

import type { ServiceConfig } from '../../../lambdas/core/config.js';
import { decide, nextExecutableCursor } from '../../../lambdas/core/decision.js';
import { ALARM_AT, checkout, triage } from '../../fixtures/workflow.js';

const flagOn = (flag: string, changedAt = '2026-11-23T03:03:00.000Z') => ({
  flag,
  from: false,
  to: true,
  deploymentNumber: 7,
  configurationVersion: '2',
  changedAt,
});
const deployment = {
  cluster: 'shop-prod',
  service: 'checkout',
  deploymentId: 'ecs-svc/123',
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:42',
  status: 'PRIMARY',
  rolloutState: 'COMPLETED',
  createdAt: '2026-11-23T03:00:00.000Z',
};
const withResources = (resources: Partial<ServiceConfig['resources']>): ServiceConfig => ({ ...checkout, resources: { ...checkout.resources, ...resources } });

describe('decision matrix', () => {
  it('feature regression: a kill-switch flag turned on in the window → switch it off first', () => {
    const plan = decide(triage({ flagChanges: [flagOn('new-checkout-flow')] }), checkout, ALARM_AT);
    expect(plan.scenario).toBe('feature-regression');
    expect(plan.candidates.map((c) => c.type)).toEqual(['feature-flag-off']);
    expect(plan.candidates[0]).toMatchObject({ params: { flag: 'new-checkout-flow' }, risk: 'low', executable: true });
    expect(plan.candidates[0]!.rationale).toContain('7 min before the alarm');
    expect(plan.hasCandidate).toBe(true);
  });

  it('never proposes a flag that is not a configured kill switch, and says so', () => {
    const plan = decide(triage({ flagChanges: [flagOn('beta-ui')] }), checkout, ALARM_AT);
    expect(plan.candidates).toEqual([]);
    expect(plan.hasCandidate).toBe(false);
    expect(plan.rationale).toContain('"beta-ui" was turned on but is not a configured kill switch');
  });

  it('ignores flags switched off in the window (turning them off cannot have caused errors we can undo by switching off)', () => {
    const plan = decide(triage({ flagChanges: [{ ...flagOn('express-pay'), from: true, to: false }] }), checkout, ALARM_AT);
    expect(plan.candidates).toEqual([]);
  });

  it('bad deployment: an ECS rollback, automatic at SEV2 by default', () => {
    const plan = decide(triage({ ecsDeployments: [deployment] }), checkout, ALARM_AT);
    expect(plan.scenario).toBe('bad-deployment');
    expect(plan.candidates).toMatchObject([{ type: 'ecs-rollback', executable: true, policy: 'auto', params: { cluster: 'shop-prod', service: 'checkout' } }]);
    expect(plan.hasCandidate).toBe(true);
  });

  it('policy: rollback needs approval below SEV2 by default, and a service can forbid a mitigation', () => {
    const sev3 = decide(triage({ severity: 'SEV3', ecsDeployments: [deployment] }), checkout, ALARM_AT);
    expect(sev3.candidates[0]).toMatchObject({ policy: 'approval', executable: true, policyReason: 'default policy: ecs-rollback is approval for SEV3' });
    expect(sev3.rationale).toContain('Will try, one at a time with verification after each: ecs-rollback (after approval).');
    const never = decide(triage({ ecsDeployments: [deployment] }), { ...checkout, policy: { 'ecs-rollback': 'never' } }, ALARM_AT);
    expect(never.candidates[0]).toMatchObject({ policy: 'never', executable: false });
    expect(never.hasCandidate).toBe(false);
    expect(never.rationale).toContain('Policy forbids ecs-rollback');
    const perSeverity = decide(triage({ severity: 'SEV1', ecsDeployments: [deployment] }), { ...checkout, policy: { 'ecs-rollback': { SEV1: 'approval' } } }, ALARM_AT);
    expect(perSeverity.candidates[0]).toMatchObject({ policy: 'approval', policyReason: 'service policy sets ecs-rollback to approval for SEV1' });
  });

  it('mixed change: the kill switch comes before the rollback', () => {
    const plan = decide(triage({ flagChanges: [flagOn('express-pay')], ecsDeployments: [deployment] }), checkout, ALARM_AT);
    expect(plan.scenario).toBe('mixed-change');
    expect(plan.candidates.map((c) => c.type)).toEqual(['feature-flag-off', 'ecs-rollback']);
  });

  it('several flags: newest change first, each once', () => {
    const plan = decide(
      triage({
        flagChanges: [
          flagOn('express-pay', '2026-11-23T02:50:00.000Z'),
          flagOn('new-checkout-flow', '2026-11-23T03:05:00.000Z'),
          flagOn('new-checkout-flow', '2026-11-23T03:01:00.000Z'),
        ],
      }),
      checkout,
      ALARM_AT,
    );
    expect(plan.candidates.map((c) => c.params.flag)).toEqual(['new-checkout-flow', 'express-pay']);
  });

  it('downstream failure → degrade flag on', () => {
    const plan = decide(
      triage({ symptoms: { downstreamFailure: true, regionalFailure: false, trafficFlood: false, saturation: false, databaseFailure: false } }),
      checkout,
      ALARM_AT,
    );
    expect(plan.scenario).toBe('downstream-failure');
    expect(plan.candidates).toMatchObject([{ type: 'degrade-flag-on', params: { flag: 'serve-cached-recommendations' } }]);
  });

  it('region failure → failover, only when Route 53 is configured', () => {
    const symptoms = { downstreamFailure: false, regionalFailure: true, trafficFlood: false, saturation: false, databaseFailure: false };
    const { route53: _route53, ...withoutRoute53 } = checkout.resources;
    expect(decide(triage({ symptoms }), { ...checkout, resources: withoutRoute53 }, ALARM_AT).candidates).toEqual([]);
    const service = withResources({
      route53: { mode: 'weighted', hostedZoneId: 'Z123ABC', recordName: 'api.example.com', recordType: 'A', primarySetIdentifier: 'use1', secondarySetIdentifier: 'usw2' },
    });
    expect(decide(triage({ symptoms }), service, ALARM_AT)).toMatchObject({
      scenario: 'region-outage',
      candidates: [{ type: 'route53-failover', risk: 'high', policy: 'approval' }],
    });
  });

  it('traffic flood → WAF rule when a web ACL is configured', () => {
    const service = withResources({ waf: { webAclName: 'shop', webAclId: 'a1b2', scope: 'REGIONAL', rateLimit: 1000 } });
    const plan = decide(
      triage({ symptoms: { downstreamFailure: false, regionalFailure: false, trafficFlood: true, saturation: false, databaseFailure: false } }),
      service,
      ALARM_AT,
    );
    expect(plan).toMatchObject({ scenario: 'traffic-flood', candidates: [{ type: 'waf-block' }] });
  });

  it('saturation → scale out, but only with no recent change and a configured cap', () => {
    const symptoms = { downstreamFailure: false, regionalFailure: false, trafficFlood: false, saturation: true, databaseFailure: false };
    expect(decide(triage({ symptoms }), checkout, ALARM_AT)).toMatchObject({
      scenario: 'capacity-saturation',
      candidates: [{ type: 'ecs-scale-out', params: { maxDesiredCount: 12 } }],
    });
    expect(decide(triage({ symptoms, ecsDeployments: [deployment] }), checkout, ALARM_AT).candidates.map((c) => c.type)).toEqual(['ecs-rollback']);
    const uncapped = withResources({ ecs: { cluster: 'shop-prod', service: 'checkout' } });
    expect(decide(triage({ symptoms }), uncapped, ALARM_AT).candidates).toEqual([]);
  });

  it('no evidence → no action, page a human, and the rationale says why', () => {
    const plan = decide(triage(), checkout, ALARM_AT);
    expect(plan).toMatchObject({ scenario: 'unknown', candidates: [], hasCandidate: false });
    expect(plan.rationale).toContain('No deployment or flag change in the 30 min before the alarm');
  });

  it('reports triage gaps in the rationale', () => {
    expect(decide(triage({ gaps: ['ECS deployments (access denied)'] }), checkout, ALARM_AT).rationale).toContain('Triage could not read: ECS deployments (access denied)');
  });

  it('nextExecutableCursor skips candidates that will not run automatically', () => {
    const plan = decide(triage({ flagChanges: [flagOn('express-pay')], ecsDeployments: [deployment] }), { ...checkout, policy: { 'ecs-rollback': 'never' } }, ALARM_AT);
    expect(nextExecutableCursor(plan, -1)).toBe(0);
    expect(nextExecutableCursor(plan, 0)).toBeUndefined();
    const both = decide(triage({ flagChanges: [flagOn('express-pay')], ecsDeployments: [deployment] }), checkout, ALARM_AT);
    expect(nextExecutableCursor(both, 0)).toBe(1);
  });
});
