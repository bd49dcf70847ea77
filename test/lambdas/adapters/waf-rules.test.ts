import {
  CheckCapacityCommand,
  GetWebACLCommand,
  type Rule,
  UpdateWebACLCommand,
  WAFLimitsExceededException,
  WAFOptimisticLockException,
  WAFV2Client,
  type WebACL,
} from '@aws-sdk/client-wafv2';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import {
  automationRuleName,
  isAutomationRuleName,
  NotAnAutomationRuleError,
  WafLimitsExceededError,
  WafRulesAdapter,
  WebAclChangeResultSchema,
} from '../../../lambdas/adapters/waf-rules.js';
import { type WafConfig, WafConfigSchema } from '../../../lambdas/core/config.js';
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
});

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
  const {
    Name: _n,
    Id: _i,
    ARN: _a,
    Capacity: _c,
    PreProcessFirewallManagerRuleGroups: _pre,
    PostProcessFirewallManagerRuleGroups: _post,
    ManagedByFirewallManager: _m,
    LabelNamespace: _l,
    RetrofittedByFirewallManager: _r,
    ...rest
  } = acl;
  return rest;
}

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
    waf.on(GetWebACLCommand).resolves({
      WebACL: fullAcl([
        { ...ipSetRule, Priority: 3 },
        { ...managedRule, Priority: 40 },
        { ...otherAutomationRule, Priority: 7 },
      ]),
      LockToken: 't',
    });
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
    waf
      .on(UpdateWebACLCommand)
      .rejects(new WAFLimitsExceededException({ message: 'You exceeded your resource limit', Message: 'You exceeded your resource limit', $metadata: { httpStatusCode: 400 } }));

    const err = await adapter()
      .addRateBasedBlock(config, { incidentId: INCIDENT })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WafLimitsExceededError);
    expect(err).not.toBeInstanceOf(TransientAwsError);
    expect((err as Error).name).toBe('WafLimitsExceededError');
    expect((err as Error).message).toContain('no capacity left');
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(1);
  });

  it('classifies throttling as transient and a missing ACL as not found, without retrying', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(UpdateWebACLCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));
    const throttled = await adapter()
      .addRateBasedBlock(config, { incidentId: INCIDENT })
      .catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientAwsError);
    expect(waf.commandCalls(UpdateWebACLCommand)).toHaveLength(1);

    waf.reset();
    waf.on(GetWebACLCommand).rejects(sdkError('WAFNonexistentItemException', 'no such web ACL'));
    const missing = await adapter()
      .addRateBasedBlock(config, { incidentId: INCIDENT })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AwsResourceNotFoundError);
    expect((missing as Error).message).toContain(`web ACL shop-prod (${ACL_ID}, REGIONAL)`);

    waf.reset();
    waf.on(GetWebACLCommand).resolves({ WebACL: fullAcl(), LockToken: 't' });
    waf.on(UpdateWebACLCommand).rejects(sdkError('WAFUnavailableEntityException', 'propagating'));
    expect(
      await adapter()
        .addRateBasedBlock(config, { incidentId: INCIDENT })
        .catch((e: unknown) => e),
    ).toBeInstanceOf(TransientAwsError);
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
    waf
      .on(GetWebACLCommand)
      .resolves({ WebACL: fullAcl([{ ...otherAutomationRule, Name: RULE, Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP' } } }]), LockToken: 't' });
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
    waf
      .on(GetWebACLCommand)
      .resolvesOnce({ WebACL: fullAcl([ours]), LockToken: 'a' })
      .resolves({ WebACL: fullAcl([ours, ipSetRule]), LockToken: 'b' });
    waf.on(UpdateWebACLCommand).rejectsOnce(lockError()).resolves({ NextLockToken: 'c' });
    const result = await adapter().removeAutomationRules(config, { ruleNames: [RULE] });
    expect(waf.commandCalls(UpdateWebACLCommand)[1]!.args[0].input).toEqual(expect.objectContaining({ Rules: [ipSetRule], LockToken: 'b' }));
    expect(result.attempts).toBe(2);
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
    expect(capacity.detail).toBe(
      'Web ACL shop-prod (a1b2c3d4-5678-90ab-cdef-111111111111, REGIONAL) (4999 WCU now) would need 5001 WCU with a rate-based rule added, more than the 5000 WCU a web ACL may use: make room before an incident needs it',
    );
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
