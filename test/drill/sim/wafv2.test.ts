import {
  GetWebACLCommand,
  ListWebACLsCommand,
  type Rule,
  UpdateWebACLCommand,
  type UpdateWebACLCommandInput,
  WAFDuplicateItemException,
  WAFInvalidParameterException,
  WAFLimitsExceededException,
  WAFNonexistentItemException,
  WAFOptimisticLockException,
  WAFV2Client,
  WAFV2ServiceException,
} from '@aws-sdk/client-wafv2';
import { describe, expect, it } from '@jest/globals';

import { VirtualClock } from '../../../drill/sim/clock.js';
import { SIM_REGION } from '../../../drill/sim/ids.js';
import { SimWafv2, type SimWafv2Options, type WafScenario, WafScenarioSchema } from '../../../drill/sim/wafv2.js';
import { CallRecorder, wireClient } from '../../../drill/sim/wire.js';
import { TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { WafRulesAdapter } from '../../../lambdas/adapters/waf-rules.js';
import { WafConfigSchema } from '../../../lambdas/core/config.js';

const START = '2026-11-23T10:00:00.000Z';
const ACL_ID = 'a1b2c3d4-5678-90ab-cdef-111111111111';
const SET_ARN = 'arn:aws:wafv2:us-east-1:123456789012:regional/ipset/blocked-clients/b1b2c3d4-5678-90ab-cdef-222222222222';
const ACL_ARN = `arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop-prod/${ACL_ID}`;

/** Shop ACL: labelled partner traffic allowed first, a managed group, then a country block (1 + 700 + 1 WCU). */
function section(edit?: (s: WafScenario) => void): WafScenario {
  const s: WafScenario = {
    webAcls: [
      {
        name: 'shop-prod',
        id: ACL_ID,
        description: 'Shop production',
        rules: [
          { kind: 'raw', rule: PARTNERS_RULE },
          { kind: 'managed', name: 'aws-common', priority: 1, group: 'AWSManagedRulesCommonRuleSet' },
          { kind: 'raw', rule: GEO_RULE },
        ],
      },
    ],
  };
  edit?.(s);
  return s;
}

function setup(options: { edit?: (s: WafScenario) => void; sim?: Partial<SimWafv2Options> } = {}) {
  const clock = new VirtualClock(START);
  const sim = SimWafv2.fromScenario(section(options.edit), { clock, ...options.sim });
  const recorder = new CallRecorder();
  const client = wireClient(new WAFV2Client({ region: SIM_REGION, credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
    service: sim,
    clock,
    recorder,
    origin: 'drill',
  });
  return { clock, sim, recorder, client };
}

const at = (seconds: number) => new Date(new Date(START).getTime() + seconds * 1000);
const visibility = (name: string) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: name });
const PARTNERS_RULE = {
  Name: 'allow-partners',
  Priority: 0,
  Action: { Allow: {} },
  Statement: { LabelMatchStatement: { Scope: 'LABEL' as const, Key: 'shop:partner' } },
  VisibilityConfig: visibility('allow-partners'),
};
const GEO_RULE = {
  Name: 'geo-block',
  Priority: 10,
  Action: { Block: {} },
  Statement: { GeoMatchStatement: { CountryCodes: ['KP' as const] } },
  VisibilityConfig: visibility('geo-block'),
};
const rateRule = (name: string, priority: number, limit: number, extra: Partial<Rule> = {}, window = 300): Rule => ({
  Name: name,
  Priority: priority,
  Action: { Block: {} },
  Statement: { RateBasedStatement: { Limit: limit, AggregateKeyType: 'IP', EvaluationWindowSec: window } },
  VisibilityConfig: visibility(name),
  ...extra,
});

/** Reads the ACL and writes it back with `rules` (or a changed spec), the way a careful caller does. */
async function rewrite(client: WAFV2Client, change: (input: UpdateWebACLCommandInput) => UpdateWebACLCommandInput) {
  const { WebACL: acl, LockToken } = await client.send(new GetWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID }));
  const base: UpdateWebACLCommandInput = {
    Name: 'shop-prod',
    Scope: 'REGIONAL',
    Id: ACL_ID,
    DefaultAction: acl!.DefaultAction,
    Rules: acl!.Rules,
    VisibilityConfig: acl!.VisibilityConfig,
    LockToken,
    ...(acl!.Description !== undefined ? { Description: acl!.Description } : {}),
  };
  return client.send(new UpdateWebACLCommand(change(base)));
}

const addRules =
  (...rules: Rule[]) =>
  (input: UpdateWebACLCommandInput) => ({ ...input, Rules: [...(input.Rules ?? []), ...rules] });

const config = WafConfigSchema.parse({ webAclName: 'shop-prod', webAclId: ACL_ID, rateLimit: 1000 });

describe('simulated WAFv2: web ACLs', () => {
  it('returns the seeded web ACL with ARN, capacity and a LockToken, by name+ID or by ARN', async () => {
    const { client } = setup();
    const out = await client.send(new GetWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID }));
    expect(out.LockToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.WebACL).toEqual({
      Name: 'shop-prod',
      Id: ACL_ID,
      ARN: ACL_ARN,
      DefaultAction: { Allow: {} },
      Description: 'Shop production',
      Rules: [
        PARTNERS_RULE,
        {
          Name: 'aws-common',
          Priority: 1,
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
          VisibilityConfig: visibility('aws-common'),
        },
        GEO_RULE,
      ],
      VisibilityConfig: visibility('shop-prod'),
      Capacity: 702,
      ManagedByFirewallManager: false,
      RetrofittedByFirewallManager: false,
      LabelNamespace: 'awswaf:123456789012:webacl:shop-prod:',
    });
    const byArn = await client.send(new GetWebACLCommand({ ARN: ACL_ARN }));
    expect(byArn.LockToken).toBe(out.LockToken);
  });

  it('answers WAFNonexistentItemException for a wrong name, ID or scope', async () => {
    const { client } = setup();
    for (const input of [
      { Name: 'shop-staging', Scope: 'REGIONAL' as const, Id: ACL_ID },
      { Name: 'shop-prod', Scope: 'REGIONAL' as const, Id: 'nope' },
      { Name: 'shop-prod', Scope: 'CLOUDFRONT' as const, Id: ACL_ID },
    ]) {
      await expect(client.send(new GetWebACLCommand(input))).rejects.toBeInstanceOf(WAFNonexistentItemException);
    }
  });

  it('replaces the whole spec on UpdateWebACL, rotates the LockToken and refuses the stale one', async () => {
    const { client, clock } = setup();
    const first = await client.send(new GetWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID }));
    const written = await rewrite(client, (input) => {
      const { Description: _d, ...rest } = input;
      return { ...rest, TokenDomains: ['shop.example.com'] };
    });
    expect(written.NextLockToken).not.toBe(first.LockToken);
    const after = await client.send(new GetWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID }));
    expect(after.LockToken).toBe(written.NextLockToken);
    expect(after.WebACL?.Description).toBeUndefined();
    expect(after.WebACL?.TokenDomains).toEqual(['shop.example.com']);

    clock.advanceBy(1);
    const stale = client.send(
      new UpdateWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID, DefaultAction: { Block: {} }, VisibilityConfig: visibility('x'), LockToken: first.LockToken }),
    );
    await expect(stale).rejects.toBeInstanceOf(WAFOptimisticLockException);
    expect((await client.send(new GetWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID }))).WebACL?.DefaultAction).toEqual({ Allow: {} });
  });

  it('keeps ApplicationConfig when it is omitted and refuses to change it', async () => {
    const clock = new VirtualClock(START);
    const sim = new SimWafv2({ clock });
    sim.addWebAcl({
      name: 'app',
      id: 'app-id',
      scope: 'REGIONAL',
      spec: { DefaultAction: { Allow: {} }, VisibilityConfig: visibility('app'), ApplicationConfig: { Attributes: [{ Name: 'industry', Values: ['retail'] }] } },
    });
    const client = wireClient(new WAFV2Client({ region: SIM_REGION, credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
      service: sim,
      clock,
      recorder: new CallRecorder(),
      origin: 'drill',
    });
    const get = () => client.send(new GetWebACLCommand({ Name: 'app', Scope: 'REGIONAL', Id: 'app-id' }));
    await client.send(
      new UpdateWebACLCommand({
        Name: 'app',
        Scope: 'REGIONAL',
        Id: 'app-id',
        DefaultAction: { Allow: {} },
        VisibilityConfig: visibility('app'),
        LockToken: (await get()).LockToken,
      }),
    );
    expect((await get()).WebACL?.ApplicationConfig).toEqual({ Attributes: [{ Name: 'industry', Values: ['retail'] }] });
    clock.advanceBy(1);
    const change = client.send(
      new UpdateWebACLCommand({
        Name: 'app',
        Scope: 'REGIONAL',
        Id: 'app-id',
        DefaultAction: { Allow: {} },
        VisibilityConfig: visibility('app'),
        ApplicationConfig: { Attributes: [{ Name: 'industry', Values: ['banking'] }] },
        LockToken: (await get()).LockToken,
      }),
    );
    await expect(change).rejects.toBeInstanceOf(WAFInvalidParameterException);
  });

  it('validates rule names, priorities, statements and actions as WAF does', async () => {
    const { client, clock } = setup();
    const attempt = async (rules: Rule[]) => {
      clock.advanceBy(1);
      return rewrite(client, addRules(...rules)).catch((e: unknown) => e);
    };
    expect(await attempt([rateRule('geo-block', 20, 1000)])).toBeInstanceOf(WAFDuplicateItemException);
    const clash = await attempt([rateRule('flood', 10, 1000)]);
    expect(clash).toBeInstanceOf(WAFInvalidParameterException);
    expect((clash as WAFInvalidParameterException).Field).toBe('RULE');
    expect(await attempt([rateRule('bad name', 20, 1000)])).toBeInstanceOf(WAFInvalidParameterException);
    expect(await attempt([rateRule('low', 20, 5)])).toBeInstanceOf(WAFInvalidParameterException);
    expect(await attempt([rateRule('window', 20, 1000, {}, 30)])).toBeInstanceOf(WAFInvalidParameterException);
    expect(await attempt([rateRule('no-metric', 20, 1000, { VisibilityConfig: visibility('has space') })])).toBeInstanceOf(WAFInvalidParameterException);
    expect(await attempt([{ ...rateRule('group-action', 20, 1000), Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'X' } } }])).toBeInstanceOf(
      WAFInvalidParameterException,
    );
    // The simulation has no IP sets: a reference to one is a reference to a set that does not exist.
    expect(
      await attempt([{ Name: 'ghost', Priority: 20, Action: { Block: {} }, Statement: { IPSetReferenceStatement: { ARN: SET_ARN } }, VisibilityConfig: visibility('ghost') }]),
    ).toBeInstanceOf(WAFNonexistentItemException);
    // None of the failed writes changed anything.
    expect((await client.send(new GetWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID }))).WebACL?.Rules).toHaveLength(3);
    expect(await attempt([rateRule('flood', 20, 1000)])).toEqual(expect.objectContaining({ NextLockToken: expect.any(String) }));
  });

  it('refuses a spec above the capacity limit with WAFLimitsExceededException', async () => {
    const badInputs: Rule = {
      Name: 'bad-inputs',
      Priority: 2,
      OverrideAction: { None: {} },
      Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
      VisibilityConfig: visibility('bad-inputs'),
    };
    const small = setup({ edit: (s) => void (s.capacityLimit = 710) });
    const err = await rewrite(small.client, addRules(badInputs)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WAFLimitsExceededException);
    expect((err as Error).message).toContain('902 WCU, more than 710');
    small.clock.advanceBy(1);
    await rewrite(small.client, addRules(rateRule('flood', 20, 1000)));
    expect(small.sim.snapshot().webAcls[0]!.capacity).toBe(704);

    // The default limit (5000) has room for it.
    const roomy = setup();
    await rewrite(roomy.client, addRules(badInputs));
    expect(roomy.sim.snapshot().webAcls[0]!.capacity).toBe(902);
  });

  it('throttles a second call of the same write action within a simulated second', async () => {
    const { client, clock } = setup();
    await rewrite(client, addRules(rateRule('flood', 20, 1000)));
    const err = await rewrite(client, (i) => i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WAFV2ServiceException);
    expect((err as WAFV2ServiceException).name).toBe('ThrottlingException');
    expect((err as WAFV2ServiceException).$fault).toBe('client');
    clock.advanceBy(0.999);
    await expect(rewrite(client, (i) => i)).rejects.toThrow('Rate exceeded');
    clock.advanceBy(0.001);
    await expect(rewrite(client, (i) => i)).resolves.toEqual(expect.objectContaining({ NextLockToken: expect.any(String) }));
  });

  it('lists web ACLs of a scope page by page', async () => {
    const clock = new VirtualClock(START);
    const sim = SimWafv2.fromScenario(
      section((s) => {
        s.webAcls.push({ name: 'shop-admin', rules: [] }, { name: 'edge', scope: 'CLOUDFRONT', rules: [] });
      }),
      { clock },
    );
    const client = wireClient(new WAFV2Client({ region: SIM_REGION, credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
      service: sim,
      clock,
      recorder: new CallRecorder(),
      origin: 'drill',
    });
    const first = await client.send(new ListWebACLsCommand({ Scope: 'REGIONAL', Limit: 1 }));
    expect(first.WebACLs).toEqual([{ Name: 'shop-prod', Id: ACL_ID, ARN: ACL_ARN, LockToken: expect.any(String), Description: 'Shop production' }]);
    const second = await client.send(new ListWebACLsCommand({ Scope: 'REGIONAL', Limit: 1, NextMarker: first.NextMarker }));
    expect(second.WebACLs?.map((a) => a.Name)).toEqual(['shop-admin']);
    expect(second.NextMarker).toBeUndefined();
    expect((await client.send(new ListWebACLsCommand({ Scope: 'CLOUDFRONT' }))).WebACLs?.map((a) => a.ARN)).toEqual([
      `arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/${sim.webAclId('edge', 'CLOUDFRONT')}`,
    ]);
    await expect(client.send(new ListWebACLsCommand({ Scope: 'REGIONAL', NextMarker: 'garbage' }))).rejects.toBeInstanceOf(WAFInvalidParameterException);
    await expect(client.send(new ListWebACLsCommand({ Scope: 'REGIONAL', Limit: 101 }))).rejects.toBeInstanceOf(WAFInvalidParameterException);
  });

  it('makes injected concurrent edits fail the next update with a lock conflict', async () => {
    const { client, clock } = setup({ edit: (s) => void (s.webAcls[0]!.concurrentEdits = 1) });
    await expect(rewrite(client, addRules(rateRule('flood', 20, 1000)))).rejects.toBeInstanceOf(WAFOptimisticLockException);
    clock.advanceBy(1);
    await expect(rewrite(client, addRules(rateRule('flood', 20, 1000)))).resolves.toEqual(expect.objectContaining({ NextLockToken: expect.any(String) }));
  });
});

describe('simulated WAFv2: what the ACL in force blocks', () => {
  const flood = (rate: number) => ({ kind: 'flood' as const, requestsPer5MinPerIp: rate });

  it('blocks a flood once a rate-based rule with a lower limit is in force and has detected it', async () => {
    const { client, sim, clock } = setup();
    clock.advanceTo(at(60));
    expect(sim.blocks(ACL_ID, flood(5000), at(60))).toBe(false);
    await rewrite(client, addRules(rateRule('flood', 20, 1000)));
    // In force after 10 s of propagation, blocking after 30 s more of detection.
    expect(sim.blocks(ACL_ID, flood(5000), at(99.999))).toBe(false);
    expect(sim.blocks(ACL_ID, flood(5000), at(100))).toBe(true);
    expect(sim.blocks(ACL_ID, flood(800), at(200))).toBe(false);
    expect(sim.blocks(ACL_ID, flood(1000), at(200))).toBe(false);
    // The past is not rewritten.
    expect(sim.blocks(ACL_ID, flood(5000), at(60))).toBe(false);
  });

  it('restarts detection when a rate rule’s settings change, and scales the limit to its window', async () => {
    const { client, sim, clock } = setup();
    await rewrite(client, addRules(rateRule('flood', 20, 1000)));
    clock.advanceTo(at(300));
    await rewrite(client, (input) => ({ ...input, Rules: [...input.Rules!.filter((r) => r.Name !== 'flood'), rateRule('flood', 20, 500, {}, 60)] }));
    expect(sim.blocks(ACL_ID, flood(5000), at(309))).toBe(true); // old rule still in force
    expect(sim.blocks(ACL_ID, flood(3000), at(320))).toBe(false); // new one in force, still detecting
    expect(sim.blocks(ACL_ID, flood(3000), at(340))).toBe(true); // 3000/5 min = 600/min > 500
    expect(sim.blocks(ACL_ID, flood(2000), at(340))).toBe(false); // 400/min
    // Rewriting the ACL without touching the rule does not restart detection.
    clock.advanceTo(at(400));
    await rewrite(client, (input) => ({ ...input, Description: 'touched' }));
    expect(sim.blocks(ACL_ID, flood(3000), at(415))).toBe(true);
  });

  it('treats Count as non-terminating and CAPTCHA as stopping automated traffic', async () => {
    const { client, sim, clock } = setup();
    await rewrite(client, addRules(rateRule('count-only', 20, 100, { Action: { Count: {} } })));
    expect(sim.blocks(ACL_ID, flood(5000), at(100))).toBe(false);
    clock.advanceBy(1);
    await rewrite(client, addRules(rateRule('captcha', 21, 100, { Action: { Captcha: {} } })));
    expect(sim.blocks(ACL_ID, flood(5000), at(100))).toBe(true);
  });

  it('falls back to the default action, and never matches statements it cannot judge (NOT included)', async () => {
    const { sim } = setup({
      edit: (s) => {
        s.webAcls[0]!.defaultAction = 'Block';
        s.webAcls.push({
          name: 'partners-only',
          id: 'partners-only-id',
          rules: [
            {
              kind: 'raw',
              rule: {
                Name: 'not-partner',
                Priority: 0,
                Action: { Block: {} },
                Statement: { NotStatement: { Statement: { LabelMatchStatement: { Scope: 'LABEL', Key: 'shop:partner' } } } },
                VisibilityConfig: visibility('not-partner'),
              },
            },
          ],
        });
      },
    });
    // No rule of shop-prod judges a flood (allow-partners included): its default action decides.
    expect(sim.blocks(ACL_ID, flood(5000), at(0))).toBe(true);
    expect(sim.blocks('partners-only-id', flood(5000), at(0))).toBe(false);
    expect(() => sim.blocks('nope', flood(5000), at(0))).toThrow(RangeError);
  });
});

describe('simulated WAFv2: scenario section and snapshot', () => {
  it('applies defaults and refuses what WAF would', () => {
    const parsed = WafScenarioSchema.parse({ webAcls: [{ name: 'a', rules: [{ kind: 'rate', name: 'r', priority: 0, limit: 100 }] }] });
    expect(parsed).toEqual({
      webAcls: [
        {
          name: 'a',
          scope: 'REGIONAL',
          defaultAction: 'Allow',
          concurrentEdits: 0,
          rules: [{ kind: 'rate', name: 'r', priority: 0, limit: 100, evaluationWindowSec: 300, action: 'Block' }],
        },
      ],
    });
    expect(WafScenarioSchema.safeParse({ webAcls: [] }).success).toBe(false);
    expect(WafScenarioSchema.safeParse({ webAcls: [{ name: 'a', extra: 1 }] }).success).toBe(false);
    expect(WafScenarioSchema.safeParse({ webAcls: [{ name: 'a', rules: [{ kind: 'rate', name: 'r', priority: 0, limit: 5 }] }] }).success).toBe(false);
    expect(() =>
      SimWafv2.fromScenario(
        {
          webAcls: [
            {
              name: 'a',
              rules: [
                { kind: 'rate', name: 'r', priority: 0, limit: 100 },
                { kind: 'rate', name: 's', priority: 0, limit: 100 },
              ],
            },
          ],
        },
        { clock: new VirtualClock(START) },
      ),
    ).toThrow(WAFInvalidParameterException);
  });

  it('derives stable IDs when the scenario leaves them out', () => {
    const a = SimWafv2.fromScenario({ webAcls: [{ name: 'x' }] }, { clock: new VirtualClock(START) });
    const b = SimWafv2.fromScenario({ webAcls: [{ name: 'x' }] }, { clock: new VirtualClock(START) });
    expect(a.webAclId('x')).toBe(b.webAclId('x'));
    expect(a.snapshot()).toEqual(b.snapshot());
  });

  it('snapshots the current state as plain JSON and records calls under the wafv2 service', async () => {
    const { client, sim, recorder, clock } = setup();
    clock.advanceTo(at(5));
    await rewrite(client, addRules(rateRule('flood', 20, 1000)));
    const snap = sim.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.webAcls[0]).toEqual(
      expect.objectContaining({ name: 'shop-prod', id: ACL_ID, arn: ACL_ARN, defaultAction: 'Allow', capacity: 704, writes: 1, lastWriteAt: at(5).toISOString() }),
    );
    expect(snap.webAcls[0]!.rules.map((r) => r.Name)).toEqual(['allow-partners', 'aws-common', 'geo-block', 'flood']);
    expect(recorder.list().map((c) => [c.service, c.command])).toEqual([
      ['wafv2', 'GetWebACL'],
      ['wafv2', 'UpdateWebACL'],
    ]);
  });
});

describe('WafRulesAdapter against the simulated WAFv2', () => {
  /** An adapter whose waits move the virtual clock, as a drill would wire it. */
  const virtualAdapter = (client: WAFV2Client, clock: VirtualClock) =>
    new WafRulesAdapter(client, {
      sleep: async (ms) => clock.advanceBy(ms / 1000),
      now: () => clock.nowMs(),
      random: () => 0.5,
    });

  it('adds the rate rule that stops the flood, is idempotent, and undoes it', async () => {
    const { client, sim, clock } = setup();
    const adapter = virtualAdapter(client, clock);
    const added = await adapter.addRateBasedBlock(config, { incidentId: 'inc-20261123T100000Z-1a2b3c4d' });
    expect(added.status).toBe('applied');
    expect(added.after.rules.at(-1)).toEqual(expect.objectContaining({ name: 'tourniquet-20261123T100000Z-1a2b3c4d-rate', priority: 11 }));
    expect(sim.blocks(ACL_ID, { kind: 'flood', requestsPer5MinPerIp: 5000 }, at(40))).toBe(true);

    clock.advanceBy(5);
    expect((await adapter.addRateBasedBlock(config, { incidentId: 'inc-20261123T100000Z-1a2b3c4d' })).status).toBe('already-applied');

    const removed = await adapter.removeAutomationRules(config, { ruleNames: added.changed.added });
    expect(removed.status).toBe('applied');
    expect(removed.after).toEqual(added.before);
    expect(sim.blocks(ACL_ID, { kind: 'flood', requestsPer5MinPerIp: 5000 }, new Date(clock.nowMs() + 10_000))).toBe(false);
    expect(sim.snapshot().webAcls[0]!.rules.map((r) => r.Name)).toEqual(['allow-partners', 'aws-common', 'geo-block']);
  });

  it('keeps every field of the ACL through its read-modify-write', async () => {
    const clock = new VirtualClock(START);
    const sim = new SimWafv2({ clock });
    const spec = {
      DefaultAction: { Allow: {} },
      Description: 'everything',
      Rules: [rateRule('existing', 3, 5000)],
      VisibilityConfig: visibility('everything'),
      CustomResponseBodies: { blocked: { ContentType: 'TEXT_PLAIN' as const, Content: 'blocked' } },
      CaptchaConfig: { ImmunityTimeProperty: { ImmunityTime: 600 } },
      ChallengeConfig: { ImmunityTimeProperty: { ImmunityTime: 900 } },
      TokenDomains: ['shop.example.com'],
      AssociationConfig: { RequestBody: { CLOUDFRONT: { DefaultSizeInspectionLimit: 'KB_32' as const } } },
      DataProtectionConfig: { DataProtections: [{ Field: { FieldType: 'SINGLE_HEADER' as const, FieldKeys: ['authorization'] }, Action: 'HASH' as const }] },
      OnSourceDDoSProtectionConfig: { ALBLowReputationMode: 'ALWAYS_ON' as const },
    };
    sim.addWebAcl({ name: 'shop-prod', id: ACL_ID, scope: 'REGIONAL', spec });
    const client = wireClient(new WAFV2Client({ region: SIM_REGION, credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
      service: sim,
      clock,
      recorder: new CallRecorder(),
      origin: 'drill',
    });

    await virtualAdapter(client, clock).addRateBasedBlock(config, { incidentId: 'inc-x' });

    const { WebACL: acl } = await client.send(new GetWebACLCommand({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID }));
    const { Rules, ...rest } = spec;
    expect(acl).toEqual(expect.objectContaining(rest));
    expect(acl?.Rules?.map((r) => r.Name)).toEqual(['existing', 'tourniquet-x-rate']);
  });

  it('rides out a concurrent writer when its backoff moves the virtual clock', async () => {
    const { client, clock } = setup({ edit: (s) => void (s.webAcls[0]!.concurrentEdits = 2) });
    const result = await virtualAdapter(client, clock).addRateBasedBlock(config, { incidentId: 'inc-1' });
    expect(result.status).toBe('applied');
    expect(result.attempts).toBe(3);
  });

  it('meets WAF throttling (a TransientAwsError) when retries do not let simulated time pass', async () => {
    const { client, clock } = setup({ edit: (s) => void (s.webAcls[0]!.concurrentEdits = 1) });
    const adapter = new WafRulesAdapter(client, { sleep: async () => undefined, now: () => clock.nowMs(), random: () => 0.5, minWriteIntervalMs: 0 });
    const err = await adapter.addRateBasedBlock(config, { incidentId: 'inc-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientAwsError);
    expect(((err as Error).cause as Error).name).toBe('ThrottlingException');
  });
});
