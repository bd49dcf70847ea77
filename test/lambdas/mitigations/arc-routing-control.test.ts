import { describe, expect, it } from '@jest/globals';

import type { ArcConfig } from '../../../lambdas/core/config.js';
import { type ServiceConfig, ServiceConfigSchema, TourniquetConfigSchema } from '../../../lambdas/core/config.js';
import { type Triage, TriageSchema } from '../../../lambdas/core/model.js';
import { ALLOW_SAFETY_RULES_OVERRIDES, ARC_TAKES_EFFECT_SECONDS, arcRoutingControl } from '../../../lambdas/mitigations/arc-routing-control.js';
import { CATALOGUE } from '../../../lambdas/mitigations/index.js';
import { type ArnFormatter, type MitigationContext, MitigationNotExecutableError } from '../../../lambdas/mitigations/mitigation.js';
import { fakeAdapters } from '../../support/adapters.js';

const PANEL = 'arn:aws:route53-recovery-control::111122223333:controlpanel/0123456789abcdef0123456789abcdef';
const PRIMARY = `${PANEL}/routingcontrol/abcdef0123456789`;
const SECONDARY = `${PANEL}/routingcontrol/0123456789abcdef`;
const RULE = `${PANEL}/safetyrule/aaaabbbbccccdddd`;
const CLUSTER = 'arn:aws:route53-recovery-control::111122223333:cluster/4b325d3b-0e28-4dcf-ba4a-97e5d3a0e6b1';

const arc = (overrides: Record<string, unknown> = {}) => ({
  clusterArn: CLUSTER,
  clusterEndpoints: [{ endpoint: 'https://aaaaaaaa.route53-recovery-cluster.us-east-1.amazonaws.com/v1', region: 'us-east-1' }],
  primaryRoutingControlArn: PRIMARY,
  secondaryRoutingControlArn: SECONDARY,
  ...overrides,
});
const serviceWith = (resources: Record<string, unknown>, name = 'checkout'): ServiceConfig =>
  ServiceConfigSchema.parse({ name, alarms: [{ name: `${name}-5xx-rate` }], resources });
const service = serviceWith({ arc: arc() });

function triage(regionalFailure: boolean): Triage {
  return TriageSchema.parse({
    severity: 'SEV2',
    window: { from: '2026-11-23T12:40:00Z', to: '2026-11-23T13:13:00Z' },
    alarm: { name: 'checkout-5xx-rate', state: 'ALARM' },
    alarms: ['checkout-5xx-rate'],
    flagChanges: [],
    ecsDeployments: [],
    symptoms: { regionalFailure },
    gaps: [],
  });
}
const propose = (t: Triage, s: ServiceConfig = service) => arcRoutingControl.propose({ triage: t, service: s, alarmAt: t.window.to, changeExplains: false });

const before = { primaryArn: PRIMARY, primary: 'On', secondaryArn: SECONDARY, secondary: 'Off' } as const;
const after = { primaryArn: PRIMARY, primary: 'Off', secondaryArn: SECONDARY, secondary: 'On' } as const;
const params = { clusterArn: CLUSTER, primary: PRIMARY, secondary: SECONDARY };

/** A fake ARC adapter that records what it was asked. */
function fakeArc() {
  const calls: { method: string; config: ArcConfig; state?: unknown }[] = [];
  return {
    calls,
    preview: async (config: ArcConfig) => (calls.push({ method: 'preview', config }), { before, wouldChange: true, detail: 'Would set …', endpoint: 'e1' }),
    failover: async (config: ArcConfig) => (calls.push({ method: 'failover', config }), { status: 'applied' as const, before, after, detail: 'Set …', endpoint: 'e1' }),
    restore: async (config: ArcConfig, state: unknown) => (
      calls.push({ method: 'restore', config, state }),
      { status: 'applied' as const, before: after, after: before, detail: 'Restored …', endpoint: 'e2' }
    ),
    readiness: async (config: ArcConfig) => (
      calls.push({ method: 'readiness', config }),
      [
        { check: 'ARC cluster endpoints answer', ok: true, detail: '1 of 1' },
        { check: 'primary cell takes the traffic', ok: false, detail: 'primary Off, secondary On' },
      ]
    ),
  };
}
const ctx = (arcAdapter: object, s: ServiceConfig = service): MitigationContext => ({
  service: s,
  adapters: fakeAdapters({ arc: arcAdapter }),
  incidentId: 'inc-1',
  reason: 'Tourniquet inc-1: ARC failover for checkout-5xx-rate',
  deploymentStrategyId: 'imm0str',
  clock: () => new Date('2026-11-23T13:14:00Z'),
});

describe('arc-routing-control: doctrine', () => {
  it('is a high-risk failover a human approves at every severity, reverted when ineffective, one write', () => {
    expect(arcRoutingControl).toMatchObject({
      type: 'arc-routing-control',
      risk: 'high',
      defaultPolicy: { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
      revertWhenIneffective: true,
      writesPerChange: 1,
      evidence: 'regional-failure',
      matrixCase: 'region-outage',
    });
  });

  it('sits in the catalogue right after route53-failover', () => {
    const types = CATALOGUE.map((m) => m.type);
    expect(types.indexOf('arc-routing-control')).toBe(types.indexOf('route53-failover') + 1);
  });

  it('is configured when the service names ARC resources', () => {
    expect(arcRoutingControl.configured(service)).toBe(true);
    expect(arcRoutingControl.configured(serviceWith({}))).toBe(false);
  });
});

describe('arc-routing-control: propose', () => {
  it('proposes one failover with plain string parameters when a regional failure is confirmed', () => {
    const { proposals } = propose(triage(true));
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toEqual({
      target: 'ARC routing controls abcdef0123456789 → 0123456789abcdef (cluster 4b325d3b-0e28-4dcf-ba4a-97e5d3a0e6b1)',
      params,
      rationale: expect.stringContaining('within every ARC safety rule'),
    });
    expect(Object.values(proposals[0]!.params).every((v) => typeof v === 'string')).toBe(true);
  });

  it('says in the rationale which safety rules it is configured to override', () => {
    const { proposals } = propose(triage(true), serviceWith({ arc: arc({ safetyRulesToOverride: [RULE] }) }));
    expect(proposals[0]!.rationale).toContain(`overriding safety rule(s) ${RULE} as configured`);
  });

  it('proposes nothing without the symptom or without ARC resources', () => {
    expect(propose(triage(false)).proposals).toEqual([]);
    expect(propose(triage(true), serviceWith({})).proposals).toEqual([]);
  });
});

describe('arc-routing-control: preview, apply, undo, readiness', () => {
  it('applies through the adapter and allows health check + TTL to take effect', async () => {
    const adapter = fakeArc();
    const applied = await arcRoutingControl.apply(ctx(adapter), params);
    expect(applied).toEqual({ status: 'applied', before, after, detail: 'Set …', takesEffectSeconds: ARC_TAKES_EFFECT_SECONDS });
    expect(ARC_TAKES_EFFECT_SECONDS).toBe(70);
    expect(adapter.calls.map((c) => c.method)).toEqual(['failover']);
    expect(adapter.calls[0]!.config.primaryRoutingControlArn).toBe(PRIMARY);
  });

  it('previews through the adapter, passing notExecutable on', async () => {
    const adapter = { ...fakeArc(), preview: async () => ({ wouldChange: false, detail: 'not found', notExecutable: 'routing control not found' }) };
    expect(await arcRoutingControl.preview(ctx(adapter), params)).toEqual({
      before: undefined,
      wouldChange: false,
      detail: 'not found',
      notExecutable: 'routing control not found',
    });
  });

  it('refuses parameters that no longer match the config', async () => {
    const adapter = fakeArc();
    await expect(arcRoutingControl.apply(ctx(adapter), { ...params, secondary: `${PANEL}/routingcontrol/ffff` })).rejects.toBeInstanceOf(MitigationNotExecutableError);
    expect(adapter.calls).toEqual([]);
  });

  it('undoes by restoring the recorded states, or says what it would do in a dry run', async () => {
    const adapter = fakeArc();
    const undo = await arcRoutingControl.undo(ctx(adapter), { params, before, after, by: 'alice', dryRun: false });
    expect(undo).toEqual({ status: 'undone', detail: 'Restored …' });
    expect(adapter.calls).toEqual([{ method: 'restore', config: expect.objectContaining({ primaryRoutingControlArn: PRIMARY }), state: before }]);

    const dry = await arcRoutingControl.undo(ctx(fakeArc()), { params, before, after, by: 'alice', dryRun: true });
    expect(dry).toEqual({ status: 'would-undo', detail: 'Would set ARC routing controls back in one call: primary abcdef0123456789 On, secondary 0123456789abcdef Off.' });
  });

  it('reports readiness from the adapter checks: not ready when one fails', async () => {
    const [report] = await arcRoutingControl.readiness(ctx(fakeArc()));
    expect(report).toMatchObject({ type: 'arc-routing-control', ready: false, target: expect.stringContaining('ARC routing controls') });
    expect(report!.checks).toHaveLength(2);
    expect(await arcRoutingControl.readiness(ctx(fakeArc(), serviceWith({})))).toEqual([]);
    const broken = { ...fakeArc(), readiness: async () => Promise.reject(new Error('AccessDenied')) };
    const [failed] = await arcRoutingControl.readiness(ctx(broken));
    expect(failed).toMatchObject({ ready: false, checks: [{ ok: false, detail: 'AccessDenied' }] });
  });
});

describe('arc-routing-control: permissions', () => {
  const arns: ArnFormatter = { arn: () => 'unused' };
  const config = (services: ServiceConfig[]) =>
    TourniquetConfigSchema.parse({ version: 1, notifications: { statusEmails: ['a@example.com'], escalationEmails: ['b@example.com'] }, services });

  it('reads and updates only the configured routing controls; ListRoutingControls needs * with a reason; no override allowed', () => {
    const p = arcRoutingControl.permissions(config([service]), arns);
    expect(p.read).toEqual([
      { sid: 'ArcGetRoutingControlState', actions: ['route53-recovery-cluster:GetRoutingControlState'], resources: [PRIMARY, SECONDARY] },
      {
        sid: 'ArcListRoutingControls',
        actions: ['route53-recovery-cluster:ListRoutingControls'],
        resources: ['*'],
        wildcardReason: expect.stringContaining('no resource-level permissions'),
      },
    ]);
    expect(p.write).toEqual([
      {
        sid: 'ArcUpdateRoutingControlStates',
        actions: ['route53-recovery-cluster:UpdateRoutingControlStates'],
        resources: [PRIMARY, SECONDARY],
        conditions: { BoolIfExists: { [ALLOW_SAFETY_RULES_OVERRIDES]: ['false'] } },
      },
    ]);
  });

  it('drops the no-override condition only for routing controls whose service may override a rule', () => {
    const other = `${PANEL}/routingcontrol/1111222233334444`;
    const other2 = `${PANEL}/routingcontrol/5555666677778888`;
    const p = arcRoutingControl.permissions(
      config([service, serviceWith({ arc: arc({ primaryRoutingControlArn: other, secondaryRoutingControlArn: other2, safetyRulesToOverride: [RULE] }) }, 'payments')]),
      arns,
    );
    expect(p.write.map((s) => [s.sid, s.resources, s.conditions !== undefined])).toEqual([
      ['ArcUpdateRoutingControlStates', [PRIMARY, SECONDARY], true],
      ['ArcUpdateRoutingControlStatesWithOverrides', [other, other2], false],
    ]);
  });

  it('grants nothing when no service uses ARC', () => {
    expect(arcRoutingControl.permissions(config([serviceWith({})]), arns)).toEqual({ read: [], write: [] });
  });
});
