import { isDeepStrictEqual } from 'node:util';

import {
  type CheckCapacityCommandInput,
  type CheckCapacityCommandOutput,
  type GetWebACLCommandInput,
  type GetWebACLCommandOutput,
  type ListWebACLsCommandInput,
  type ListWebACLsCommandOutput,
  type ParameterExceptionField,
  type Rule,
  type Scope,
  type Statement,
  type UpdateWebACLCommandInput,
  type UpdateWebACLCommandOutput,
  WAFDuplicateItemException,
  WAFInvalidParameterException,
  WAFLimitsExceededException,
  WAFNonexistentItemException,
  WAFOptimisticLockException,
  WAFV2ServiceException,
  type WebACL,
  type WebACLSummary,
} from '@aws-sdk/client-wafv2';
import * as z from 'zod';

import type { VirtualClock } from './clock.js';
import { SIM_ACCOUNT, SIM_REGION, stableUuid } from './ids.js';
import { type CommandHandler, decodeToken, errorMetadata, type Out, paginate, type SimService, type SimServiceName } from './wire.js';

/**
 * Simulated AWS WAF (WAFv2): web ACLs with optimistic locking, whole-spec updates,
 * WAF's validation of rule names and priorities, a capacity (WCU) limit, and WAF's write-rate
 * throttling. The health model asks {@link SimWafv2.blocks} whether the ACL in force at an instant
 * stops a kind of traffic, so a WAF mitigation helps exactly when the rule it adds would.
 *
 * Throttling: WAF documents at most one call per second to each Create/Put/Update action per
 * account and Region. Its API reference lists `ThrottlingException` (HTTP 400) among the common
 * errors, and that is what callers meet in the field when they exceed the rate ("ThrottlingException:
 * Rate exceeded"). The SDK has no class for it, so the simulation throws the service's base
 * exception named `ThrottlingException`, exactly as the SDK deserializes an unmodelled error.
 * `WAFInternalErrorException` would be wrong here: it means a WAF-side fault, not the caller's rate.
 */

/** Traffic whose fate the health model asks about. */
export const WafTrafficSchema = z.discriminatedUnion('kind', [
  /** Many clients, each above this rate: stopped by a rate-based rule with a lower limit. */
  z.object({ kind: z.literal('flood'), requestsPer5MinPerIp: z.number().positive() }).strict(),
]);
export type WafTraffic = z.infer<typeof WafTrafficSchema>;

/** Options for {@link SimWafv2}. */
export interface SimWafv2Options {
  readonly clock: VirtualClock;
  /** Seconds from a successful write until the new spec is in force everywhere. @default 10 */
  readonly propagationSeconds?: number;
  /** Seconds a rate-based rule needs, once in force, to detect a flood and start blocking. @default 30 */
  readonly rateDetectionSeconds?: number;
  /** Minimum milliseconds between two calls of the same write action in the account. @default 1000 */
  readonly writeIntervalMs?: number;
  /** Web ACL capacity units allowed per web ACL. @default 5000 */
  readonly capacityLimit?: number;
}

/** The mutable spec of a web ACL: what UpdateWebACL sets. */
export type WebAclSpec = Omit<UpdateWebACLCommandInput, 'Name' | 'Scope' | 'Id' | 'LockToken'>;

/** Plain-JSON view of the WAF state, for snapshots. */
export interface Wafv2Snapshot {
  webAcls: {
    name: string;
    id: string;
    scope: Scope;
    arn: string;
    lockToken: string;
    defaultAction: 'Allow' | 'Block';
    capacity: number;
    /** Rules as the API returns them, in priority order. */
    rules: Rule[];
    /** Writes since seeding (UpdateWebACL calls that succeeded). */
    writes: number;
    lastWriteAt?: string;
  }[];
}

interface Versioned<T> {
  readonly value: T;
  /** When the version is in force (write time + propagation); -Infinity for seeded state. */
  readonly effectiveAt: number;
}

interface AclRecord {
  readonly name: string;
  readonly id: string;
  readonly scope: Scope;
  readonly arn: string;
  lockToken: string;
  tokenCounter: number;
  pendingConflicts: number;
  readonly versions: Versioned<WebAclSpec>[];
  lastWriteAt?: number;
}

const NAME_PATTERN = /^[\w-]{1,128}$/;
const METRIC_NAME_PATTERN = /^[\w#:.\-/]{1,255}$/;
const EVALUATION_WINDOWS = new Set([60, 120, 300, 600]);
const MAX_LIST_LIMIT = 100;

/**
 * WCU of the AWS managed rule groups a scenario is likely to use (from their documentation);
 * other rule groups count as 100, since the simulation cannot see inside them.
 */
const MANAGED_GROUP_WCU: Readonly<Record<string, number>> = {
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesSQLiRuleSet: 200,
  AWSManagedRulesLinuxRuleSet: 200,
  AWSManagedRulesAmazonIpReputationList: 25,
  AWSManagedRulesAnonymousIpList: 50,
  AWSManagedRulesBotControlRuleSet: 50,
};
const UNKNOWN_GROUP_WCU = 100;

function invalid(message: string, field?: ParameterExceptionField, parameter?: string): WAFInvalidParameterException {
  return new WAFInvalidParameterException({
    message,
    ...(field !== undefined ? { Field: field } : {}),
    ...(parameter !== undefined ? { Parameter: parameter } : {}),
    Reason: message,
    $metadata: errorMetadata(400),
  });
}

function nonexistent(message: string): WAFNonexistentItemException {
  return new WAFNonexistentItemException({ message, Message: message, $metadata: errorMetadata(400) });
}

function lockConflict(what: string): WAFOptimisticLockException {
  const message = `AWS WAF couldn’t save your changes because someone changed the ${what} after you started to edit it. Reapply your changes.`;
  return new WAFOptimisticLockException({ message, Message: message, $metadata: errorMetadata(400) });
}

function limitsExceeded(message: string, sourceType: string): WAFLimitsExceededException {
  return new WAFLimitsExceededException({ message, Message: message, SourceType: sourceType, $metadata: errorMetadata(400) });
}

function throttled(): WAFV2ServiceException {
  return new WAFV2ServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: errorMetadata(400) });
}

/** Simulated WAFv2 control plane, plus what its rules do to traffic. */
export class SimWafv2 implements SimService {
  // 'wafv2' is not in SimServiceName yet (wire.ts belongs to the lead); the cast goes once it is.
  readonly service: SimServiceName = 'wafv2';
  readonly #clock: VirtualClock;
  readonly #propagationMs: number;
  readonly #rateDetectionMs: number;
  readonly #writeIntervalMs: number;
  readonly #capacityLimit: number;
  readonly #acls = new Map<string, AclRecord>();
  /** Last accepted call per write action, for the account-wide rate limit. */
  readonly #lastWrite = new Map<string, number>();

  constructor(options: SimWafv2Options) {
    this.#clock = options.clock;
    this.#propagationMs = (options.propagationSeconds ?? 10) * 1000;
    this.#rateDetectionMs = (options.rateDetectionSeconds ?? 30) * 1000;
    this.#writeIntervalMs = options.writeIntervalMs ?? 1000;
    this.#capacityLimit = options.capacityLimit ?? 5000;
  }

  /** Builds the simulation from a scenario's `wafv2` section. */
  static fromScenario(section: WafScenario, options: SimWafv2Options): SimWafv2 {
    const s = WafScenarioSchema.parse(section);
    const sim = new SimWafv2({
      ...options,
      ...(s.propagationSeconds !== undefined ? { propagationSeconds: s.propagationSeconds } : {}),
      ...(s.rateDetectionSeconds !== undefined ? { rateDetectionSeconds: s.rateDetectionSeconds } : {}),
      ...(s.capacityLimit !== undefined ? { capacityLimit: s.capacityLimit } : {}),
    });
    for (const acl of s.webAcls) {
      const id = acl.id ?? stableUuid(`wafv2:webacl:${acl.scope}:${acl.name}`);
      sim.addWebAcl({
        name: acl.name,
        id,
        scope: acl.scope,
        spec: {
          DefaultAction: acl.defaultAction === 'Block' ? { Block: {} } : { Allow: {} },
          ...(acl.description !== undefined ? { Description: acl.description } : {}),
          Rules: acl.rules.map((r) => sim.#ruleFromScenario(r)),
          VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: acl.name },
        },
      });
      if (acl.concurrentEdits > 0) sim.injectConcurrentEdits(id, acl.concurrentEdits);
    }
    return sim;
  }

  // ---- seeding (initial state; not AWS API) ----

  /** Adds a web ACL as it stands before the drill (validated like UpdateWebACL); returns its ARN. */
  addWebAcl(acl: { name: string; id: string; scope: Scope; spec: WebAclSpec }): string {
    if (!NAME_PATTERN.test(acl.name)) throw new RangeError(`web ACL name ${JSON.stringify(acl.name)} does not match [\\w-]{1,128}`);
    const spec = structuredClone(acl.spec);
    this.#validateSpec(spec, acl.scope);
    const arn = webAclArn(acl.scope, acl.name, acl.id);
    const record: AclRecord = {
      name: acl.name,
      id: acl.id,
      scope: acl.scope,
      arn,
      lockToken: '',
      tokenCounter: 0,
      pendingConflicts: 0,
      versions: [{ value: spec, effectiveAt: -Infinity }],
    };
    rotate(record);
    this.#acls.set(key(acl.scope, acl.id), record);
    return arn;
  }

  /**
   * Makes the next `count` updates of the web ACL with this ID meet a concurrent writer:
   * just before each, someone else saves the resource (same content, new LockToken), so the update
   * fails with `WAFOptimisticLockException` and the caller must re-read.
   */
  injectConcurrentEdits(id: string, count: number): void {
    const record = [...this.#acls.values()].find((r) => r.id === id);
    if (!record) throw new RangeError(`no web ACL with ID ${id}`);
    record.pendingConflicts += count;
  }

  // ---- queries for the health model ----

  /**
   * Whether the web ACL in force at `at` blocks the traffic. Rules are evaluated in priority order
   * as WAF does: the first matching rule with a terminating action decides (Block, CAPTCHA and
   * Challenge stop the simulated traffic, which is automated; Allow lets it through; Count goes on),
   * then the default action. A flood matches a rate-based rule (IP or forwarded-IP aggregation, no
   * scope-down) whose limit, scaled to its window, is below the flood's rate, once the rule has been
   * in force for the detection delay. Statements the simulation cannot judge (managed groups, byte
   * matches...) never match.
   */
  blocks(webAclId: string, traffic: WafTraffic, at: Date): boolean {
    const acl = this.#aclById(webAclId);
    const atMs = at.getTime();
    const spec = versionAt(acl.versions, atMs);
    const rules = [...(spec.Rules ?? [])].sort((a, b) => (a.Priority ?? 0) - (b.Priority ?? 0));
    for (const rule of rules) {
      if (!rule.Action || !rule.Statement) continue;
      if (this.#matches(rule.Statement, traffic, atMs, { acl, rule }) !== true) continue;
      if (rule.Action.Block || rule.Action.Captcha || rule.Action.Challenge) return true;
      if (rule.Action.Allow) return false;
    }
    return spec.DefaultAction?.Block !== undefined;
  }

  /** ID of the web ACL with this name (the health model's scenarios name ACLs, not IDs). */
  webAclId(name: string, scope: Scope = 'REGIONAL'): string {
    const acl = [...this.#acls.values()].find((a) => a.name === name && a.scope === scope);
    if (!acl) throw new RangeError(`no ${scope} web ACL named ${name}`);
    return acl.id;
  }

  // ---- AWS API ----

  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      GetWebACL: (input: GetWebACLCommandInput) => this.getWebAcl(input),
      UpdateWebACL: (input: UpdateWebACLCommandInput) => this.updateWebAcl(input),
      ListWebACLs: (input: ListWebACLsCommandInput) => this.listWebAcls(input),
      CheckCapacity: (input: CheckCapacityCommandInput) => this.checkCapacity(input),
    };
  }

  /**
   * The WCU of a rule list, priced as UpdateWebACL prices it. A scenario's lowered `capacityLimit`
   * stands for capacity taken by what the simulation does not price, so it is added here: a caller
   * comparing the answer with WAF's 5,000 WCU limit sees the same "no room" UpdateWebACL would give.
   */
  checkCapacity(input: CheckCapacityCommandInput): Out<CheckCapacityCommandOutput> {
    requireScope(input.Scope);
    return { Capacity: capacityOf(input.Rules ?? []) + (WEB_ACL_WCU_LIMIT - this.#capacityLimit) };
  }

  getWebAcl(input: GetWebACLCommandInput): Out<GetWebACLCommandOutput> {
    const acl = input.ARN !== undefined ? this.#aclByArn(input.ARN) : this.#acl(input.Name, input.Scope, input.Id);
    return { WebACL: this.#webAclOut(acl), LockToken: acl.lockToken };
  }

  updateWebAcl(input: UpdateWebACLCommandInput): Out<UpdateWebACLCommandOutput> {
    this.#throttle('UpdateWebACL');
    const acl = this.#acl(input.Name, input.Scope, input.Id);
    this.#checkLock(acl, input.LockToken);
    const current = versionAt(acl.versions, Infinity);
    const { Name: _n, Scope: _s, Id: _i, LockToken: _l, ...given } = structuredClone(input);
    // Only UpdateWebACL's own members count; the SDK serializer would drop anything else.
    const spec: WebAclSpec = pickSpec(given);
    // ApplicationConfig is the one member WAF keeps when omitted; when given it must not change.
    if (spec.ApplicationConfig === undefined && current.ApplicationConfig !== undefined) spec.ApplicationConfig = current.ApplicationConfig;
    else if (spec.ApplicationConfig !== undefined && current.ApplicationConfig !== undefined && !isDeepStrictEqual(spec.ApplicationConfig, current.ApplicationConfig)) {
      throw invalid('ApplicationConfig entries cannot be modified', 'WEB_ACL', 'ApplicationConfig');
    }
    this.#validateSpec(spec, acl.scope);
    this.#commit(acl, spec);
    return { NextLockToken: acl.lockToken };
  }

  listWebAcls(input: ListWebACLsCommandInput): Out<ListWebACLsCommandOutput> {
    const scope = requireScope(input.Scope);
    const items = [...this.#acls.values()].filter((a) => a.scope === scope);
    const { page, nextToken } = this.#page(items, input.NextMarker, input.Limit);
    return {
      WebACLs: page.map((a): WebACLSummary => {
        const spec = versionAt(a.versions, Infinity);
        return { Name: a.name, Id: a.id, ARN: a.arn, LockToken: a.lockToken, ...(spec.Description !== undefined ? { Description: spec.Description } : {}) };
      }),
      ...(nextToken !== undefined ? { NextMarker: nextToken } : {}),
    };
  }

  // ---- snapshot ----

  /** Plain JSON of the current state (what the API would return now, not what is in force yet). */
  snapshot(): Wafv2Snapshot {
    return structuredClone({
      webAcls: [...this.#acls.values()].map((a) => {
        const spec = versionAt(a.versions, Infinity);
        return {
          name: a.name,
          id: a.id,
          scope: a.scope,
          arn: a.arn,
          lockToken: a.lockToken,
          defaultAction: spec.DefaultAction?.Block ? ('Block' as const) : ('Allow' as const),
          capacity: capacityOf(spec.Rules ?? []),
          rules: [...(spec.Rules ?? [])].sort((x, y) => (x.Priority ?? 0) - (y.Priority ?? 0)),
          writes: a.versions.length - 1,
          ...(a.lastWriteAt !== undefined ? { lastWriteAt: new Date(a.lastWriteAt).toISOString() } : {}),
        };
      }),
    });
  }

  // ---- internals ----

  #throttle(action: string): void {
    const now = this.#clock.nowMs();
    const last = this.#lastWrite.get(action);
    if (last !== undefined && now - last < this.#writeIntervalMs) throw throttled();
    // Rejected calls (lock conflicts, validation) still count: the limit is on requests.
    this.#lastWrite.set(action, now);
  }

  #checkLock(record: AclRecord, token: string | undefined): void {
    if (record.pendingConflicts > 0) {
      record.pendingConflicts--;
      rotate(record);
    }
    if (token === undefined || token === '') throw invalid('LockToken is required', 'WEB_ACL', 'LockToken');
    if (token !== record.lockToken) throw lockConflict('web ACL');
  }

  #commit(record: AclRecord, spec: WebAclSpec): void {
    const now = this.#clock.nowMs();
    record.versions.push({ value: spec, effectiveAt: now + this.#propagationMs });
    record.lastWriteAt = now;
    rotate(record);
  }

  #page<T>(items: readonly T[], marker: string | undefined, limit: number | undefined): { page: T[]; nextToken?: string } {
    const offset = decodeToken(marker);
    if (offset === undefined) throw invalid('NextMarker is not valid', undefined, 'NextMarker');
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)) {
      throw invalid(`Limit must be between 1 and ${MAX_LIST_LIMIT}`, undefined, 'Limit');
    }
    return paginate(items, offset, limit ?? MAX_LIST_LIMIT);
  }

  #acl(name: string | undefined, scope: Scope | undefined, id: string | undefined): AclRecord {
    const acl = this.#acls.get(key(requireScope(scope), id ?? ''));
    if (!acl || acl.name !== name)
      throw nonexistent(`AWS WAF couldn’t perform the operation because your resource doesn’t exist (web ACL ${name ?? '(no name)'}, ${id ?? '(no id)'}, ${scope}).`);
    return acl;
  }

  #aclByArn(arn: string): AclRecord {
    const acl = [...this.#acls.values()].find((a) => a.arn === arn);
    if (!acl) throw nonexistent(`AWS WAF couldn’t perform the operation because your resource doesn’t exist (${arn}).`);
    return acl;
  }

  #aclById(id: string): AclRecord {
    const acl = [...this.#acls.values()].find((a) => a.id === id);
    if (!acl) throw new RangeError(`the simulated WAF has no web ACL with ID ${id}`);
    return acl;
  }

  #webAclOut(acl: AclRecord): WebACL {
    const spec = structuredClone(versionAt(acl.versions, Infinity));
    return {
      Name: acl.name,
      Id: acl.id,
      ARN: acl.arn,
      ...spec,
      Capacity: capacityOf(spec.Rules ?? []),
      ManagedByFirewallManager: false,
      RetrofittedByFirewallManager: false,
      LabelNamespace: `awswaf:${SIM_ACCOUNT}:webacl:${acl.name}:`,
    };
  }

  /** The checks WAF makes on a web ACL spec, with the exceptions it answers. */
  #validateSpec(spec: WebAclSpec, scope: Scope): void {
    const d = spec.DefaultAction;
    if (!d || (d.Allow === undefined) === (d.Block === undefined)) throw invalid('DefaultAction must set exactly one of Allow and Block', 'DEFAULT_ACTION');
    checkVisibility(spec.VisibilityConfig, 'web ACL');
    const rules = spec.Rules ?? [];
    const names = new Set<string>();
    const priorities = new Set<number>();
    for (const rule of rules) {
      if (rule.Name === undefined || !NAME_PATTERN.test(rule.Name)) throw invalid(`rule name ${JSON.stringify(rule.Name)} must match [\\w-]{1,128}`, 'RULE', rule.Name);
      if (names.has(rule.Name)) {
        const message = `AWS WAF couldn’t perform the operation because some resource in your request is a duplicate of an existing one (rule name ${rule.Name}).`;
        throw new WAFDuplicateItemException({ message, Message: message, $metadata: errorMetadata(400) });
      }
      names.add(rule.Name);
      if (rule.Priority === undefined || !Number.isInteger(rule.Priority) || rule.Priority < 0)
        throw invalid(`rule ${rule.Name}: Priority must be a non-negative integer`, 'RULE', rule.Name);
      if (priorities.has(rule.Priority)) throw invalid(`rule ${rule.Name}: another rule already has priority ${rule.Priority}`, 'RULE', String(rule.Priority));
      priorities.add(rule.Priority);
      checkVisibility(rule.VisibilityConfig, `rule ${rule.Name}`);
      const statement = rule.Statement;
      if (!statement || setKeys(statement).length !== 1) throw invalid(`rule ${rule.Name}: Statement must set exactly one statement`, 'STATEMENT', rule.Name);
      const isGroup = statement.ManagedRuleGroupStatement !== undefined || statement.RuleGroupReferenceStatement !== undefined;
      if (isGroup ? rule.OverrideAction === undefined || rule.Action !== undefined : rule.Action === undefined || rule.OverrideAction !== undefined) {
        throw invalid(
          `rule ${rule.Name}: ${isGroup ? 'rule group references take OverrideAction, not Action' : 'rules take Action, not OverrideAction'}`,
          isGroup ? 'OVERRIDE_ACTION' : 'RULE_ACTION',
          rule.Name,
        );
      }
      const action = rule.Action ?? rule.OverrideAction;
      if (!action || setKeys(action).length !== 1) throw invalid(`rule ${rule.Name}: the action must set exactly one type`, 'RULE_ACTION', rule.Name);
      this.#validateStatement(statement, scope, rule.Name, true);
    }
    const capacity = capacityOf(rules);
    if (capacity > this.#capacityLimit) {
      throw limitsExceeded(
        `AWS WAF couldn’t perform the operation because you exceeded your resource limit: the web ACL would use ${capacity} WCU, more than ${this.#capacityLimit}.`,
        'WebACL',
      );
    }
  }

  #validateStatement(statement: Statement, scope: Scope, ruleName: string, topLevel: boolean): void {
    const rate = statement.RateBasedStatement;
    if (rate) {
      if (!topLevel) throw invalid(`rule ${ruleName}: a rate-based statement cannot be nested`, 'RATE_BASED_STATEMENT', ruleName);
      if (rate.Limit === undefined || !Number.isInteger(rate.Limit) || rate.Limit < 10 || rate.Limit > 2_000_000_000) {
        throw invalid(`rule ${ruleName}: Limit must be an integer from 10 to 2000000000`, 'RATE_BASED_STATEMENT', String(rate.Limit));
      }
      if (rate.EvaluationWindowSec !== undefined && !EVALUATION_WINDOWS.has(rate.EvaluationWindowSec)) {
        throw invalid(`rule ${ruleName}: EvaluationWindowSec must be 60, 120, 300 or 600`, 'RATE_BASED_STATEMENT', String(rate.EvaluationWindowSec));
      }
      if (!['IP', 'FORWARDED_IP', 'CUSTOM_KEYS', 'CONSTANT'].includes(rate.AggregateKeyType ?? '')) {
        throw invalid(`rule ${ruleName}: AggregateKeyType must be IP, FORWARDED_IP, CUSTOM_KEYS or CONSTANT`, 'RATE_BASED_STATEMENT', String(rate.AggregateKeyType));
      }
      if (rate.ScopeDownStatement) this.#validateStatement(rate.ScopeDownStatement, scope, ruleName, false);
    }
    // The simulation has no IP sets, so a reference to one is a reference to a set that does not exist.
    const ref = statement.IPSetReferenceStatement;
    if (ref) throw nonexistent(`AWS WAF couldn’t perform the operation because your resource doesn’t exist (IP set ${ref.ARN ?? '(no ARN)'} in scope ${scope}).`);
    for (const child of [...(statement.AndStatement?.Statements ?? []), ...(statement.OrStatement?.Statements ?? [])]) this.#validateStatement(child, scope, ruleName, false);
    if (statement.NotStatement?.Statement) this.#validateStatement(statement.NotStatement.Statement, scope, ruleName, false);
  }

  /** Three-valued: true (matches), false (does not), undefined (the simulation cannot tell). */
  #matches(statement: Statement, traffic: WafTraffic, atMs: number, context: { acl: AclRecord; rule: Rule }): boolean | undefined {
    if (statement.RateBasedStatement) {
      const rate = statement.RateBasedStatement;
      if (traffic.kind !== 'flood') return undefined;
      if (rate.AggregateKeyType !== 'IP' && rate.AggregateKeyType !== 'FORWARDED_IP') return undefined;
      if (rate.ScopeDownStatement && this.#matches(rate.ScopeDownStatement, traffic, atMs, context) !== true) return undefined;
      const window = rate.EvaluationWindowSec ?? 300;
      if (traffic.requestsPer5MinPerIp * (window / 300) <= (rate.Limit ?? Infinity)) return false;
      return atMs >= this.#rateRuleSince(context.acl, context.rule, atMs) + this.#rateDetectionMs;
    }
    // Rate-based statements cannot be nested, and nothing else is judged, so NOT, AND and OR of
    // statements the simulation cannot tell about cannot be told either.
    return undefined;
  }

  /** When the rule's current rate settings came into force: changing them restarts detection. */
  #rateRuleSince(acl: AclRecord, rule: Rule, atMs: number): number {
    const same = (spec: WebAclSpec) => {
      const r = (spec.Rules ?? []).find((x) => x.Name === rule.Name);
      return r !== undefined && isDeepStrictEqual(r.Statement?.RateBasedStatement, rule.Statement?.RateBasedStatement);
    };
    let index = acl.versions.findLastIndex((v) => v.effectiveAt <= atMs);
    let since = acl.versions[index]!.effectiveAt;
    while (index >= 0 && same(acl.versions[index]!.value)) {
      since = acl.versions[index]!.effectiveAt;
      index--;
    }
    return since;
  }

  #ruleFromScenario(rule: WafScenarioRule): Rule {
    // Raw rules get UpdateWebACL's own validation when the ACL is seeded.
    if (rule.kind === 'raw') return structuredClone(rule.rule) as unknown as Rule;
    const visibility = { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: rule.name };
    const base = { Name: rule.name, Priority: rule.priority, VisibilityConfig: visibility };
    switch (rule.kind) {
      case 'rate':
        return {
          ...base,
          Action: { [rule.action]: {} },
          Statement: { RateBasedStatement: { Limit: rule.limit, AggregateKeyType: 'IP', EvaluationWindowSec: rule.evaluationWindowSec } },
        };
      case 'managed':
        return {
          ...base,
          OverrideAction: { [rule.override]: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: rule.vendor, Name: rule.group } },
        };
    }
  }
}

// ---- scenario section ----

const wafName = z.string().regex(NAME_PATTERN, 'WAF names are 1-128 letters, digits, _ or -');
const wafId = z.string().regex(/^[\w-]{1,128}$/, 'WAF IDs are 1-128 letters, digits, _ or -');
const scopeSchema = z.enum(['REGIONAL', 'CLOUDFRONT']).default('REGIONAL');
const ruleBase = { name: wafName, priority: z.number().int().min(0) };

const WafScenarioRuleSchema = z.discriminatedUnion('kind', [
  /** A rate-based rule aggregating by client IP. */
  z
    .object({
      kind: z.literal('rate'),
      ...ruleBase,
      limit: z.number().int().min(10).max(2_000_000_000),
      evaluationWindowSec: z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)]).default(300),
      action: z.enum(['Block', 'Count', 'Captcha', 'Challenge']).default('Block'),
    })
    .strict(),
  /** A managed rule group (its rules are opaque to the simulation; it counts toward capacity). */
  z
    .object({ kind: z.literal('managed'), ...ruleBase, vendor: z.string().min(1).default('AWS'), group: z.string().min(1), override: z.enum(['None', 'Count']).default('None') })
    .strict(),
  /** Any rule, written exactly as the WAFv2 API takes it (Name, Priority, Statement, Action, VisibilityConfig...). */
  z.object({ kind: z.literal('raw'), rule: z.looseObject({ Name: wafName, Priority: z.number().int().min(0) }) }).strict(),
]);
export type WafScenarioRule = z.infer<typeof WafScenarioRuleSchema>;

/**
 * The `account.wafv2` section of a drill scenario: the web ACLs before the drill.
 * IDs may be left out (a stable UUID is derived from the name).
 */
export const WafScenarioSchema = z
  .object({
    /** Seconds from a write until it is in force. Default 10. */
    propagationSeconds: z.number().min(0).max(600).optional(),
    /** Seconds a rate-based rule needs to start blocking a flood. Default 30. */
    rateDetectionSeconds: z.number().min(0).max(600).optional(),
    /** WCU allowed per web ACL; lower it to drill the "no capacity left" path. Default 5000. */
    capacityLimit: z.number().int().min(1).max(5000).optional(),
    webAcls: z
      .array(
        z
          .object({
            name: wafName,
            id: wafId.optional(),
            scope: scopeSchema,
            description: z.string().max(256).optional(),
            defaultAction: z.enum(['Allow', 'Block']).default('Allow'),
            rules: z.array(WafScenarioRuleSchema).default([]),
            /** Updates that meet a concurrent writer (WAFOptimisticLockException) before one goes through. */
            concurrentEdits: z.number().int().min(0).max(20).default(0),
          })
          .strict(),
      )
      .min(1, 'at least one web ACL is needed'),
  })
  .strict();
export type WafScenario = z.input<typeof WafScenarioSchema>;

// ---- helpers ----

function key(scope: Scope, id: string): string {
  return `${scope}/${id}`;
}

function requireScope(scope: Scope | undefined): Scope {
  if (scope !== 'REGIONAL' && scope !== 'CLOUDFRONT') throw invalid('Scope must be REGIONAL or CLOUDFRONT', 'SCOPE_VALUE', String(scope));
  return scope;
}

function webAclArn(scope: Scope, name: string, id: string): string {
  return `arn:aws:wafv2:${SIM_REGION}:${SIM_ACCOUNT}:${scope === 'CLOUDFRONT' ? 'global' : 'regional'}/webacl/${name}/${id}`;
}

function rotate(record: AclRecord): void {
  record.tokenCounter++;
  record.lockToken = stableUuid(`wafv2:webacl:${record.id}:lock:${record.tokenCounter}`);
}

/** The version in force at `atMs` (the newest with effectiveAt ≤ atMs; Infinity gives the latest written). */
function versionAt<T>(versions: readonly Versioned<T>[], atMs: number): T {
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.effectiveAt <= atMs) return versions[i]!.value;
  return versions[0]!.value;
}

/** UpdateWebACL's members, so read-only fields a caller sends along (ARN, Capacity...) are not stored. */
function pickSpec(given: Record<string, unknown>): WebAclSpec {
  const members = [
    'DefaultAction',
    'Description',
    'Rules',
    'VisibilityConfig',
    'DataProtectionConfig',
    'CustomResponseBodies',
    'CaptchaConfig',
    'ChallengeConfig',
    'TokenDomains',
    'AssociationConfig',
    'OnSourceDDoSProtectionConfig',
    'ApplicationConfig',
    'MonetizationConfig',
  ] as const satisfies readonly (keyof WebAclSpec)[];
  const spec: Record<string, unknown> = {};
  for (const m of members) if (given[m] !== undefined) spec[m] = given[m];
  return spec as WebAclSpec;
}

function checkVisibility(v: { SampledRequestsEnabled?: boolean; CloudWatchMetricsEnabled?: boolean; MetricName?: string } | undefined, where: string): void {
  if (!v || typeof v.SampledRequestsEnabled !== 'boolean' || typeof v.CloudWatchMetricsEnabled !== 'boolean') {
    throw invalid(`${where}: VisibilityConfig with SampledRequestsEnabled and CloudWatchMetricsEnabled is required`, 'METRIC_NAME');
  }
  if (v.MetricName === undefined || !METRIC_NAME_PATTERN.test(v.MetricName) || v.MetricName === 'All' || v.MetricName === 'Default_Action') {
    throw invalid(`${where}: MetricName ${JSON.stringify(v.MetricName)} is not a valid metric name`, 'METRIC_NAME', v.MetricName);
  }
}

function setKeys(obj: object): string[] {
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k]) => k);
}

/** WAF's limit on the WCU of one web ACL (the default of `capacityLimit`). */
const WEB_ACL_WCU_LIMIT = 5000;

/** Approximate web ACL capacity units, after WAF's published per-statement costs. */
function capacityOf(rules: readonly Rule[]): number {
  return rules.reduce((sum, r) => sum + (r.Statement ? statementCapacity(r.Statement) : 0), 0);
}

function statementCapacity(s: Statement): number {
  const transforms = (list: readonly { Type?: string }[] | undefined) => (list ?? []).filter((t) => t.Type !== 'NONE').length * 10;
  if (s.RateBasedStatement) return 2 + (s.RateBasedStatement.ScopeDownStatement ? statementCapacity(s.RateBasedStatement.ScopeDownStatement) : 0);
  if (s.IPSetReferenceStatement || s.GeoMatchStatement || s.LabelMatchStatement || s.AsnMatchStatement) return 1;
  if (s.ByteMatchStatement) return 2 + transforms(s.ByteMatchStatement.TextTransformations);
  if (s.SizeConstraintStatement) return 1 + transforms(s.SizeConstraintStatement.TextTransformations);
  if (s.SqliMatchStatement) return 20 + transforms(s.SqliMatchStatement.TextTransformations);
  if (s.XssMatchStatement) return 40 + transforms(s.XssMatchStatement.TextTransformations);
  if (s.RegexMatchStatement) return 3 + transforms(s.RegexMatchStatement.TextTransformations);
  if (s.RegexPatternSetReferenceStatement) return 25 + transforms(s.RegexPatternSetReferenceStatement.TextTransformations);
  if (s.AndStatement) return (s.AndStatement.Statements ?? []).reduce((n, c) => n + statementCapacity(c), 0);
  if (s.OrStatement) return (s.OrStatement.Statements ?? []).reduce((n, c) => n + statementCapacity(c), 0);
  if (s.NotStatement?.Statement) return statementCapacity(s.NotStatement.Statement);
  if (s.ManagedRuleGroupStatement) return MANAGED_GROUP_WCU[s.ManagedRuleGroupStatement.Name ?? ''] ?? UNKNOWN_GROUP_WCU;
  return UNKNOWN_GROUP_WCU;
}
