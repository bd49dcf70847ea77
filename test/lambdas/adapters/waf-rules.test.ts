import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CheckCapacityCommand,
  GetIPSetCommand,
  GetWebACLCommand,
  UpdateIPSetCommand,
  UpdateWebACLCommand,
  WAFLimitsExceededException,
  WAFOptimisticLockException,
  WAFV2Client,
  type IPSet,
  type Rule,
  type WebACL,
} from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { WafConfigSchema, type WafConfig } from '../../../lambdas/core/config.js';
import { AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import {
  InvalidIpAddressError,
  IpSetChangeResultSchema,
  NotAnAutomationRuleError,
  WafIpSetNotConfiguredError,
  WafLimitsExceededError,
  WafRulesAdapter,
  WebAclChangeResultSchema,
  automationRuleName,
  ipRangeContains,
  isAutomationRuleName,
  normaliseIpAddress,
} from '../../../lambdas/adapters/waf-rules.js';
import { sdkError } from './sdk-errors.js';

const waf = mockClient(WAFV2Client);

const ACL_ID = 'a1b2c3d4-5678-90ab-cdef-111111111111';
const SET_ID = 'b1b2c3d4-5678-90ab-cdef-222222222222';
const SET_ARN = `arn:aws:wafv2:us-east-1:123456789012:regional/ipset/blocked-clients/${SET_ID}`;
const INCIDENT = 'inc-20261123T030900Z-1a2b3c4d';
const RULE = 'tourniquet-20261123T030900Z-1a2b3c4d-rate';

const config: WafConfig = WafConfigSchema.parse({
  webAclName: 'shop-prod',
  webAclId: ACL_ID,
  scope: 'REGIONAL',
  rateLimit: 1000,
  ipSetName: 'blocked-clients',
  ipSetId: SET_ID,
});
const noIpSet: WafConfig = WafConfigSchema.parse({ webAclName: 'shop-prod', webAclId: ACL_ID });

const visibility = (name: string) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: name });

const managedRule: Rule = {
  Name: 'aws-common',
  Priority: 0,
  OverrideAction: { None: {} },
  Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet', ExcludedRules: [{ Name: 'SizeRestrictions_BODY' }] } },
  VisibilityConfig: visibility('aws-common'),
};
const ipSetRule: Rule = {
  Name: 'block-listed',
  Priority: 10,
  Action: { Block: { CustomResponse: { ResponseCode: 403, CustomResponseBodyKey: 'blocked' } } },
  Statement: { IPSetReferenceStatement: { ARN: SET_ARN } },
  RuleLabels: [{ Name: 'shop:blocked' }],
  VisibilityConfig: visibility('block-listed'),
};
const otherAutomationRule: Rule = {
  Name: 'tourniquet-20261120T101010Z-99999999-rate',
  Priority: 5,
  Action: { Block: {} },
  Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
  VisibilityConfig: visibility('tourniquet-20261120T101010Z-99999999-rate'),
};

/** A web ACL with every field GetWebACL can return, so a dropped one shows up in the round trip. */
function fullAcl(rules: Rule[] = [managedRule, ipSetRule, otherAutomationRule]): WebACL {
  return {
    Name: 'shop-prod',
    Id: ACL_ID,
    ARN: `arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop-prod/${ACL_ID}`,
    DefaultAction: { Allow: { CustomRequestHandling: { InsertHeaders: [{ Name: 'x-waf', Value: 'allowed' }] } } },
    Description: 'Shop production ACL',
    Rules: rules,
    VisibilityConfig: visibility('shop-prod'),
    DataProtectionConfig: { DataProtections: [{ Field: { FieldType: 'SINGLE_HEADER', FieldKeys: ['authorization'] }, Action: 'HASH' }] },
    Capacity: 712,
    PreProcessFirewallManagerRuleGroups: [],
    PostProcessFirewallManagerRuleGroups: [],
    ManagedByFirewallManager: false,
    LabelNamespace: 'awswaf:123456789012:webacl:shop-prod:',
    CustomResponseBodies: { blocked: { ContentType: 'APPLICATION_JSON', Content: '{"error":"blocked"}' } },
    CaptchaConfig: { ImmunityTimeProperty: { ImmunityTime: 600 } },
    ChallengeConfig: { ImmunityTimeProperty: { ImmunityTime: 900 } },
    TokenDomains: ['shop.example.com'],
    AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_32' } } },
    RetrofittedByFirewallManager: false,
    OnSourceDDoSProtectionConfig: { ALBLowReputationMode: 'ACTIVE_UNDER_DDOS' },
    ApplicationConfig: { Attributes: [{ Name: 'industry', Values: ['retail'] }] },
  };
}

/** The fields of `fullAcl` that UpdateWebACL takes, i.e. all but identity and computed ones. */
function updatableSpec(acl: WebACL): Record<string, unknown> {
  const { Name: _n, Id: _i, ARN: _a, Capacity: _c, PreProcessFirewallManagerRuleGroups: _pre, PostProcessFirewallManagerRuleGroups: _post, ManagedByFirewallManager: _m, LabelNamespace: _l, RetrofittedByFirewallManager: _r, ...rest } = acl;
  return rest;
}

const ipSet = (addresses: string[], version: 'IPV4' | 'IPV6' = 'IPV4'): IPSet => ({
  Name: 'blocked-clients',
  Id: SET_ID,
  ARN: SET_ARN,
  Description: 'Clients blocked by the on-call',
  IPAddressVersion: version,
  Addresses: addresses,
});

/** A fake clock and timer: sleeping moves the clock, and every wait is recorded. */
function fakeTime() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function adapter(time = fakeTime(), random = () => 0.5) {
  return new WafRulesAdapter(waf as unknown as WAFV2Client, { sleep: time.sleep, now: time.now, random });
}

const lockError = () => new WAFOptimisticLockException({ message: 'changed', Message: 'changed', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  waf.reset();
});

describe('automation rule names', () => {
  it('derives the rule name from the incident id', () => {
    expect(automationRuleName(INCIDENT)).toBe(RULE);
    expect(isAutomationRuleName(RULE)).toBe(true);
    expect(isAutomationRuleName('block-listed')).toBe(false);
    expect(isAutomationRuleName('tourniquet-')).toBe(false);
  });

  it('keeps odd or long incident ids within WAF naming rules and distinct', () => {
    const odd = automationRuleName('inc 2026/11/23 #1');
    expect(odd).toBe('tourniquet-inc-2026-11-23-1-rate');
    const long1 = automationRuleName(`inc-${'x'.repeat(200)}-1`);
    const long2 = automationRuleName(`inc-${'x'.repeat(200)}-2`);
    for (const n of [odd, long1, long2]) {
      expect(n).toMatch(/^[\w-]{1,128}$/);
      expect(n.startsWith('tourniquet-')).toBe(true);
    }
    expect(long1).not.toBe(long2);
    expect(automationRuleName('!!!')).toMatch(/^tourniquet-[0-9a-f]{8}-rate$/);
  });
});

describe('WafRulesAdapter.addRateBasedBlock', () => {
  it('writes the whole spec back with the new rule and the LockToken it read (nothing dropped)', async () => {
    const acl = fullAcl();
    waf.on(GetWebACLCommand).resolves({ WebACL: acl, LockToken: 'token-1' });
    waf.on(UpdateWebACLCommand).resolves({ NextLockToken: 'token-2' });

    const result = await adapter().addRateBasedBlock(config, { incidentId: INCIDENT });

    expect(waf.commandCalls(GetWebACLCommand)[0]!.args[0].input).toEqual({ Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID });
    const calls = waf.commandCalls(UpdateWebACLCommand);
    expect(calls).toHaveLength(1);
    const newRule: Rule = {
      Name: RULE,
      Priority: 11,
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: RULE },
    };
    expect(calls[0]!.args[0].input).toEqual({
      ...updatableSpec(acl),
      Name: 'shop-prod',
      Scope: 'REGIONAL',
      Id: ACL_ID,
      Rules: [managedRule, ipSetRule, otherAutomationRule, newRule],
      LockToken: 'token-1',
    });
    // Every updatable field GetWebACL returned is in the update, unchanged.
    const input = calls[0]!.args[0].input as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(updatableSpec(acl))) {
      if (field !== 'Rules') expect(input[field]).toEqual(value);
    }
    expect(input).not.toHaveProperty('ARN');
    expect(input).not.toHaveProperty('Capacity');
    expect(input).not.toHaveProperty('LabelNamespace');

    expect(WebAclChangeResultSchema.parse(result)).toEqual(result);
    expect(result.status).toBe('applied');
    expect(result.attempts).toBe(1);
    expect(result.changed).toEqual({ added: [RULE], removed: [] });
    expect(result.before.ruleNames).toEqual(['aws-common', 'tourniquet-20261120T101010Z-99999999-rate', 'block-listed']);
    expect(result.before.rules[1]).toEqual({ name: otherAutomationRule.Name, priority: 5, action: 'Block', statement: 'RateBasedStatement', rateLimit: 2000, automation: true });
    expect(result.before.rules[0]).toEqual({ name: 'aws-common', priority: 0, action: 'Override:None', statement: 'ManagedRuleGroupStatement', automation: false });
    expect(result.before.defaultAction).toBe('Allow');
    expect(result.after.ruleNames).toEqual([...result.before.ruleNames, RULE]);
    expect(JSON.stringify(result)).not.toContain('token-1');
    expect(result.detail).toBe(`Added rule ${RULE} to web ACL shop-prod at priority 11, blocking client IPs above 1000 requests per 5 minutes.`);
  });

  it('takes the priority one above the highest in use, whatever the order, and 0 in an empty ACL', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl([{ ...ipSetRule, Priority: 3 }, { ...managedRule, Priority: 40 }, { ...otherAutomationRule, Priority: 7 }]), LockToken: 't' });
    waf.on(UpdateWebACLCommand).resolves({ NextLockToken: 't2' });
    await adapter().addRateBasedBlock(config, { incidentId: INCIDENT });
    expect(waf.commandCalls(UpdateWebACLCommand)[0]!.args[0].input.Rules!.at(-1)!.Priority).toBe(41);

    waf.reset();
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl([]), LockToken: 't' });
    waf.on(UpdateWebACLCommand).resolves({ NextLockToken: 't2' });
    const result = await adapter().addRateBasedBlock(config, { incidentId: INCIDENT });
    expect(waf.commandCalls(UpdateWebACLCommand)[0]!.args[0].input.Rules).toEqual([expect.objectContaining({ Name: RULE, Priority: 0 })]);
    expect(result.before.ruleNames).toEqual([]);
  });

  it('is idempotent: a rule of the same name means already-applied and no write', async () => {
    const existing: Rule = { ...otherAutomationRule, Name: RULE, Priority: 20, Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP' } } };
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl([managedRule, existing]), LockToken: 't' });

    const result = await adapter().addRateBasedBlock(config, { incidentId: INCIDENT });

    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(0);
    expect(result.status).toBe('already-applied');
    expect(result.attempts).toBe(0);
    expect(result.after).toEqual(result.before);
    expect(result.changed).toEqual({ added: [], removed: [] });
    expect(result.detail).toBe(`Nothing to do: rule ${RULE} is already in web ACL shop-prod (its limit 500 differs from the configured 1000 and was left as is).`);
  });

  it('on WAFOptimisticLockException re-reads, keeps the other writer’s change and retries with the new token', async () => {
    const intruder: Rule = { ...ipSetRule, Name: 'added-by-someone', Priority: 30 };
    waf
      .on(GetWebACLCommand)
      .resolvesOnce({ WebACL: fullAcl(), LockToken: 'token-1' })
      .resolves({ WebACL: fullAcl([managedRule, ipSetRule, otherAutomationRule, intruder]), LockToken: 'token-2' });
    waf.on(UpdateWebACLCommand).rejectsOnce(lockError()).resolves({ NextLockToken: 'token-3' });
    const time = fakeTime();

    const result = await adapter(time).addRateBasedBlock(config, { incidentId: INCIDENT });

    const updates = waf.commandCalls(UpdateWebACLCommand);
    expect(updates).toHaveLength(2);
    expect(updates[0]!.args[0].input.LockToken).toBe('token-1');
    expect(updates[1]!.args[0].input.LockToken).toBe('token-2');
    expect(updates[1]!.args[0].input.Rules!.map((r) => [r.Name, r.Priority])).toEqual([
      ['aws-common', 0],
      ['block-listed', 10],
      [otherAutomationRule.Name, 5],
      ['added-by-someone', 30],
      [RULE, 31],
    ]);
    expect(waf.commandCalls(GetWebACLCommand)).toHaveLength(2);
    // Backoff 500 ms (random 0.5 → factor 1), then the rest of the 1 s write spacing.
    expect(time.sleeps).toEqual([500, 500]);
    expect(result.status).toBe('applied');
    expect(result.attempts).toBe(2);
    expect(result.before.ruleNames).toContain('added-by-someone');
    expect(result.detail).toMatch(/after 1 lock conflict with another writer\.$/);
  });

  it('reports already-applied when the re-read after a conflict shows the rule (a concurrent run added it)', async () => {
    const ours: Rule = { ...otherAutomationRule, Name: RULE, Priority: 11 };
    waf
      .on(GetWebACLCommand)
      .resolvesOnce({ WebACL: fullAcl(), LockToken: 'token-1' })
      .resolves({ WebACL: fullAcl([managedRule, ipSetRule, otherAutomationRule, ours]), LockToken: 'token-2' });
    waf.on(UpdateWebACLCommand).rejects(lockError());

    const result = await adapter().addRateBasedBlock(config, { incidentId: INCIDENT });

    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(1);
    expect(result.status).toBe('already-applied');
  });

  it('gives up after 5 conflicting attempts with a TransientAwsError, backing off with jitter', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 'stale' });
    waf.on(UpdateWebACLCommand).rejects(lockError());
    const time = fakeTime();
    const randoms = [0, 0.99, 0.25, 0.5];
    const a = adapter(time, () => randoms.shift() ?? 0);

    const err = await a.addRateBasedBlock(config, { incidentId: INCIDENT }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TransientAwsError);
    expect((err as Error).name).toBe('TransientAwsError');
    expect((err as Error).message).toContain('WAFOptimisticLockException on all 5 attempts');
    expect(((err as Error).cause as Error).name).toBe('WAFOptimisticLockException');
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(5);
    expect(waf.commandCalls(GetWebACLCommand)).toHaveLength(5);
    // Backoffs 500·2^k·(0.5+r): 250, 1490, 1500, 4000; the first is topped up to the 1 s write spacing.
    expect(time.sleeps).toEqual([250, 750, 1490, 1500, 4000]);
  });

  it('spaces writes made by the same adapter at least a second apart', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(UpdateWebACLCommand).resolves({ NextLockToken: 't2' });
    const time = fakeTime();
    const a = adapter(time);
    await a.addRateBasedBlock(config, { incidentId: 'inc-1' });
    time.advance(300);
    await a.addRateBasedBlock(config, { incidentId: 'inc-2' });
    time.advance(5000);
    await a.addRateBasedBlock(config, { incidentId: 'inc-3' });
    expect(time.sleeps).toEqual([700]);
  });

  it('turns WAFLimitsExceededException into a clear, non-transient WafLimitsExceededError', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(UpdateWebACLCommand).rejects(
      new WAFLimitsExceededException({ message: 'You exceeded your resource limit', Message: 'You exceeded your resource limit', $metadata: { httpStatusCode: 400 } }),
    );

    const err = await adapter().addRateBasedBlock(config, { incidentId: INCIDENT }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WafLimitsExceededError);
    expect(err).not.toBeInstanceOf(TransientAwsError);
    expect((err as Error).name).toBe('WafLimitsExceededError');
    expect((err as Error).message).toContain('no capacity left');
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(1);
  });

  it('classifies throttling as transient and a missing ACL as not found, without retrying', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(UpdateWebACLCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));
    const throttled = await adapter().addRateBasedBlock(config, { incidentId: INCIDENT }).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientAwsError);
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(1);

    waf.reset();
    waf.on(GetWebACLCommand).rejects(sdkError('WAFNonexistentItemException', 'no such web ACL'));
    const missing = await adapter().addRateBasedBlock(config, { incidentId: INCIDENT }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AwsResourceNotFoundError);
    expect((missing as Error).message).toContain(`web ACL shop-prod (${ACL_ID}, REGIONAL)`);

    waf.reset();
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(UpdateWebACLCommand).rejects(sdkError('WAFUnavailableEntityException', 'propagating'));
    expect(await adapter().addRateBasedBlock(config, { incidentId: INCIDENT }).catch((e: unknown) => e)).toBeInstanceOf(TransientAwsError);
  });
});

describe('WafRulesAdapter.previewRateBasedBlock', () => {
  it('reads only and tells what would be added', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    const preview = await adapter().previewRateBasedBlock(config, { incidentId: INCIDENT });
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(0);
    expect(preview.wouldChange).toBe(true);
    expect(preview.changed.added).toEqual([RULE]);
    expect(preview.after.rules.at(-1)).toEqual({ name: RULE, priority: 11, action: 'Block', statement: 'RateBasedStatement', rateLimit: 1000, automation: true });
    expect(preview.detail).toMatch(/^Dry run: would have added rule /);
  });

  it('says nothing would change when the rule is there', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl([{ ...otherAutomationRule, Name: RULE, Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP' } } }]), LockToken: 't' });
    const preview = await adapter().previewRateBasedBlock(config, { incidentId: INCIDENT });
    expect(preview.wouldChange).toBe(false);
    expect(preview.after).toEqual(preview.before);
    expect(preview.detail).toBe(`Dry run: rule ${RULE} is already in web ACL shop-prod.`);
  });
});

describe('WafRulesAdapter.removeAutomationRules', () => {
  const ours: Rule = { ...otherAutomationRule, Name: RULE, Priority: 11 };

  it('removes only the named automation rules and keeps everything else as it was', async () => {
    const acl = fullAcl([managedRule, ipSetRule, otherAutomationRule, ours]);
    waf.on(GetWebACLCommand).resolves({ WebACL: acl, LockToken: 't' });
    waf.on(UpdateWebACLCommand).resolves({ NextLockToken: 't2' });

    const result = await adapter().removeAutomationRules(config, { ruleNames: [RULE, 'block-listed'] });

    const input = waf.commandCalls(UpdateWebACLCommand)[0]!.args[0].input;
    expect(input).toEqual({ ...updatableSpec(acl), Name: 'shop-prod', Scope: 'REGIONAL', Id: ACL_ID, Rules: [managedRule, ipSetRule, otherAutomationRule], LockToken: 't' });
    expect(result.status).toBe('applied');
    expect(result.changed).toEqual({ added: [], removed: [RULE] });
    expect(result.after.ruleNames).toEqual(['aws-common', otherAutomationRule.Name, 'block-listed']);
    expect(result.detail).toBe(`Removed ${RULE} from web ACL shop-prod (ignored block-listed: not automation rules).`);
  });

  it('is idempotent: rules already gone mean already-applied and no write', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    const result = await adapter().removeAutomationRules(config, { ruleNames: [RULE] });
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(0);
    expect(result.status).toBe('already-applied');
  });

  it('refuses when no name is an automation rule, before calling WAF', async () => {
    await expect(adapter().removeAutomationRules(config, { ruleNames: ['block-listed', 'aws-common'] })).rejects.toBeInstanceOf(NotAnAutomationRuleError);
    await expect(adapter().removeAutomationRules(config, { ruleNames: [] })).rejects.toThrow('no rule names given');
    expect(waf.calls()).toHaveLength(0);
  });

  it('retries a lock conflict on a fresh read', async () => {
    waf.on(GetWebACLCommand).resolvesOnce({ WebACL: fullAcl([ours]), LockToken: 'a' }).resolves({ WebACL: fullAcl([ours, ipSetRule]), LockToken: 'b' });
    waf.on(UpdateWebACLCommand).rejectsOnce(lockError()).resolves({ NextLockToken: 'c' });
    const result = await adapter().removeAutomationRules(config, { ruleNames: [RULE] });
    expect(waf.commandCalls(UpdateWebACLCommand)[1]!.args[0].input).toEqual(expect.objectContaining({ Rules: [ipSetRule], LockToken: 'b' }));
    expect(result.attempts).toBe(2);
  });
});

describe('IP address normalisation', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9/32'],
    [' 203.0.113.9/32 ', '203.0.113.9/32'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::', '::/128'],
    ['::ffff:198.51.100.7', '198.51.100.7/32'],
    ['fe80::1:2:3:4:5:6', 'fe80:0:1:2:3:4:5:6/128'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseIpAddress(input)).toBe(expected);
  });

  it.each(['300.1.1.1', '1.2.3.4/0', '1.2.3.4/33', '01.2.3.4', 'abc', '1::2::3', '2001:db8::1/129', '1.2.3', 'fe80::1%eth0'])('refuses %s', (input) => {
    expect(() => normaliseIpAddress(input)).toThrow(InvalidIpAddressError);
  });

  it('tells whether a range contains another', () => {
    expect(ipRangeContains('192.0.2.0/24', '192.0.2.44')).toBe(true);
    expect(ipRangeContains('192.0.2.0/24', '192.0.3.1/32')).toBe(false);
    expect(ipRangeContains('2001:db8::/32', '2001:db8:1::5')).toBe(true);
    expect(ipRangeContains('192.0.2.0/24', '2001:db8::1')).toBe(false);
  });
});

describe('WafRulesAdapter.blockIps', () => {
  it('writes the union with normalised, deduplicated addresses and keeps the description', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(['192.0.2.0/24', '198.51.100.7/32']), LockToken: 'ip-1' });
    waf.on(UpdateIPSetCommand).resolves({ NextLockToken: 'ip-2' });

    const result = await adapter().blockIps(config, { addresses: ['203.0.113.9', '203.0.113.9/32', '192.0.2.44', '2001:db8::1', '198.51.100.0/31', '198.51.100.0/24'] });

    expect(waf.commandCalls(GetIPSetCommand)[0]!.args[0].input).toEqual({ Name: 'blocked-clients', Scope: 'REGIONAL', Id: SET_ID });
    expect(waf.commandCalls(UpdateIPSetCommand)[0]!.args[0].input).toEqual({
      Name: 'blocked-clients',
      Scope: 'REGIONAL',
      Id: SET_ID,
      Description: 'Clients blocked by the on-call',
      Addresses: ['192.0.2.0/24', '198.51.100.7/32', '203.0.113.9/32', '198.51.100.0/24'],
      LockToken: 'ip-1',
    });
    expect(IpSetChangeResultSchema.parse(result)).toEqual(result);
    expect(result.status).toBe('applied');
    expect(result.before).toEqual({ kind: 'ip-set', ipSetName: 'blocked-clients', ipSetId: SET_ID, scope: 'REGIONAL', ipAddressVersion: 'IPV4', addresses: ['192.0.2.0/24', '198.51.100.7/32'] });
    expect(result.changed).toEqual({ added: ['203.0.113.9/32', '198.51.100.0/24'], removed: [] });
    expect(result.detail).toBe('Added 203.0.113.9/32, 198.51.100.0/24 to IP set blocked-clients (skipped 2001:db8::1/128: not IPv4).');
  });

  it('normalises IPv6 and IPv4-mapped addresses for the set’s version', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(['2001:db8:ffff::/48'], 'IPV6'), LockToken: 'ip-1' });
    waf.on(UpdateIPSetCommand).resolves({ NextLockToken: 'ip-2' });
    const result = await adapter().blockIps(config, { addresses: ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8:ffff:1::9', '::ffff:198.51.100.7'] });
    expect(waf.commandCalls(UpdateIPSetCommand)[0]!.args[0].input.Addresses).toEqual(['2001:db8:ffff::/48', '2001:db8::1/128']);
    expect(result.detail).toContain('skipped 198.51.100.7/32: not IPv6');
  });

  it('is idempotent: addresses already covered mean already-applied and no write', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(['192.0.2.0/24', '198.51.100.7/32']), LockToken: 'ip-1' });
    const result = await adapter().blockIps(config, { addresses: ['192.0.2.44', '198.51.100.7'] });
    expect(waf.commandCalls(UpdateIPSetCommand)).toHaveLength(0);
    expect(result.status).toBe('already-applied');
    expect(result.detail).toBe('Nothing to do: 192.0.2.44/32, 198.51.100.7/32 already covered by IP set blocked-clients.');
  });

  it('retries a lock conflict with the new token and keeps the address someone else added', async () => {
    waf
      .on(GetIPSetCommand)
      .resolvesOnce({ IPSet: ipSet(['192.0.2.0/24']), LockToken: 'ip-1' })
      .resolves({ IPSet: ipSet(['192.0.2.0/24', '233.252.0.1/32']), LockToken: 'ip-2' });
    waf.on(UpdateIPSetCommand).rejectsOnce(lockError()).resolves({ NextLockToken: 'ip-3' });

    const result = await adapter().blockIps(config, { addresses: ['203.0.113.9'] });

    const updates = waf.commandCalls(UpdateIPSetCommand);
    expect(updates).toHaveLength(2);
    expect(updates[1]!.args[0].input).toEqual(expect.objectContaining({ LockToken: 'ip-2', Addresses: ['192.0.2.0/24', '233.252.0.1/32', '203.0.113.9/32'] }));
    expect(result.before.addresses).toEqual(['192.0.2.0/24', '233.252.0.1/32']);
    expect(result.attempts).toBe(2);
  });

  it('gives up with a TransientAwsError when the set keeps changing', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet([]), LockToken: 'ip-1' });
    waf.on(UpdateIPSetCommand).rejects(lockError());
    await expect(adapter().blockIps(config, { addresses: ['203.0.113.9'] })).rejects.toBeInstanceOf(TransientAwsError);
    expect(waf.commandCalls(UpdateIPSetCommand)).toHaveLength(5);
  });

  it('refuses bad input before calling WAF', async () => {
    await expect(adapter().blockIps(noIpSet, { addresses: ['203.0.113.9'] })).rejects.toBeInstanceOf(WafIpSetNotConfiguredError);
    await expect(adapter().blockIps(config, { addresses: ['203.0.113.9', 'not-an-ip'] })).rejects.toThrow(InvalidIpAddressError);
    await expect(adapter().blockIps(config, { addresses: [] })).rejects.toThrow(InvalidIpAddressError);
    expect(waf.calls()).toHaveLength(0);
  });

  it('refuses when no address matches the set’s IP version', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet([]), LockToken: 'ip-1' });
    await expect(adapter().blockIps(config, { addresses: ['2001:db8::1'] })).rejects.toThrow('not IPv4, the version of IP set blocked-clients');
    expect(waf.commandCalls(UpdateIPSetCommand)).toHaveLength(0);
  });

  it('refuses to grow the set past 10,000 addresses', async () => {
    const full = Array.from({ length: 10_000 }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.0/32`);
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(full), LockToken: 'ip-1' });
    await expect(adapter().blockIps(config, { addresses: ['203.0.113.9'] })).rejects.toBeInstanceOf(WafLimitsExceededError);
    expect(waf.commandCalls(UpdateIPSetCommand)).toHaveLength(0);
  });
});

describe('WafRulesAdapter.previewBlockIps', () => {
  it('reads only and tells what would be added', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(['192.0.2.0/24']), LockToken: 'ip-1' });
    const preview = await adapter().previewBlockIps(config, { addresses: ['203.0.113.9', '192.0.2.1'] });
    expect(waf.commandCalls(UpdateIPSetCommand)).toHaveLength(0);
    expect(preview).toEqual({
      wouldChange: true,
      before: expect.objectContaining({ addresses: ['192.0.2.0/24'] }),
      after: expect.objectContaining({ addresses: ['192.0.2.0/24', '203.0.113.9/32'] }),
      changed: { added: ['203.0.113.9/32'], removed: [] },
      detail: 'Dry run: would have added 203.0.113.9/32 to IP set blocked-clients.',
    });
  });
});

describe('WafRulesAdapter.restoreIpSet', () => {
  const before = { kind: 'ip-set' as const, ipSetName: 'blocked-clients', ipSetId: SET_ID, scope: 'REGIONAL' as const, ipAddressVersion: 'IPV4' as const, addresses: ['192.0.2.0/24'] };

  it('with the added addresses, removes only those and keeps later additions by others', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(['192.0.2.0/24', '203.0.113.9/32', '233.252.0.1/32']), LockToken: 'ip-5' });
    waf.on(UpdateIPSetCommand).resolves({ NextLockToken: 'ip-6' });

    const result = await adapter().restoreIpSet(config, before, { added: ['203.0.113.9/32'] });

    expect(waf.commandCalls(UpdateIPSetCommand)[0]!.args[0].input).toEqual(expect.objectContaining({ Addresses: ['192.0.2.0/24', '233.252.0.1/32'], LockToken: 'ip-5', Description: 'Clients blocked by the on-call' }));
    expect(result.changed).toEqual({ added: [], removed: ['203.0.113.9/32'] });
    expect(result.detail).toBe('Restored IP set blocked-clients: removed 203.0.113.9/32.');
  });

  it('without them, puts the set back exactly as recorded', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(['203.0.113.9/32']), LockToken: 'ip-5' });
    waf.on(UpdateIPSetCommand).resolves({ NextLockToken: 'ip-6' });
    const result = await adapter().restoreIpSet(config, before);
    expect(waf.commandCalls(UpdateIPSetCommand)[0]!.args[0].input.Addresses).toEqual(['192.0.2.0/24']);
    expect(result.changed).toEqual({ added: ['192.0.2.0/24'], removed: ['203.0.113.9/32'] });
  });

  it('is idempotent', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: ipSet(['192.0.2.0/24']), LockToken: 'ip-5' });
    const a = await adapter().restoreIpSet(config, before, { added: ['203.0.113.9/32'] });
    const b = await adapter().restoreIpSet(config, before);
    expect([a.status, b.status]).toEqual(['already-applied', 'already-applied']);
    expect(waf.commandCalls(UpdateIPSetCommand)).toHaveLength(0);
  });

  it('refuses a before-state of another IP set', async () => {
    await expect(adapter().restoreIpSet(config, { ...before, ipSetId: 'other' })).rejects.toThrow('is not the configured one');
    expect(waf.calls()).toHaveLength(0);
  });
});

describe('WafRulesAdapter.capacityForRateBasedBlock', () => {
  it("prices the ACL's rules plus the rate-based rule with CheckCapacity and finds room under 5,000 WCU", async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(CheckCapacityCommand).resolves({ Capacity: 714 });

    const capacity = await adapter().capacityForRateBasedBlock(config, { incidentId: INCIDENT });

    expect(capacity).toMatchObject({ current: 712, withRule: 714, limit: 5000, fits: true });
    const sent = waf.commandCalls(CheckCapacityCommand)[0]!.args[0].input;
    expect(sent.Scope).toBe('REGIONAL');
    expect(sent.Rules?.map((r) => r.Name)).toEqual(['aws-common', 'block-listed', 'tourniquet-20261120T101010Z-99999999-rate', RULE]);
    expect(sent.Rules?.at(-1)?.Statement?.RateBasedStatement).toEqual({ Limit: 1000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(0);
  });

  it('says the web ACL has no room when the rule would take it past the limit', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: { ...fullAcl(), Capacity: 4999 }, LockToken: 't' });
    waf.on(CheckCapacityCommand).resolves({ Capacity: 5001 });

    const capacity = await adapter().capacityForRateBasedBlock(config, { incidentId: INCIDENT });

    expect(capacity.fits).toBe(false);
    expect(capacity.detail).toBe('Web ACL shop-prod (a1b2c3d4-5678-90ab-cdef-111111111111, REGIONAL) (4999 WCU now) would need 5001 WCU with a rate-based rule added, more than the 5000 WCU a web ACL may use: make room before an incident needs it');
  });

  it('prices the ACL as it is when the rule is already there', async () => {
    const present: Rule = { ...otherAutomationRule, Name: RULE };
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl([managedRule, present]), LockToken: 't' });
    waf.on(CheckCapacityCommand).resolves({ Capacity: 702 });

    await adapter().capacityForRateBasedBlock(config, { incidentId: INCIDENT });

    expect(waf.commandCalls(CheckCapacityCommand)[0]!.args[0].input.Rules?.map((r) => r.Name)).toEqual(['aws-common', RULE]);
  });

  it('classifies a CheckCapacity failure (a referenced IP set that is gone)', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(CheckCapacityCommand).rejects(sdkError('WAFNonexistentItemException', 'the IP set does not exist'));

    await expect(adapter().capacityForRateBasedBlock(config, { incidentId: INCIDENT })).rejects.toBeInstanceOf(AwsResourceNotFoundError);
  });
});
