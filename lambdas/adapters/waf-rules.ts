import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import { CheckCapacityCommand, GetWebACLCommand, type Rule, UpdateWebACLCommand, type UpdateWebACLCommandInput, WAFV2Client, type WebACL } from '@aws-sdk/client-wafv2';
import * as z from 'zod';

import type { WafConfig } from '../core/config.js';
import { awsErrorName, AwsOperationError, classifyAwsError, TransientAwsError } from './errors.js';

/**
 * WAF (WAFv2) mitigation for traffic floods: a rate-based blocking rule appended to the web ACL,
 * and its undo.
 *
 * UpdateWebACL replaces the whole web ACL and is guarded by a LockToken (optimistic locking).
 * Every change here is therefore read → change → write with the token just read; when
 * someone else wrote in between (`WAFOptimisticLockException`) the whole cycle runs again on a fresh
 * read, after a jittered pause, so the other writer's change is kept rather than overwritten.
 * WAF allows about one call per second to each Create/Put/Update action per account and Region,
 * so writes from one adapter are spaced at least that far apart.
 */

/** Every rule the automation creates starts with this; undo removes only rules carrying it. */
export const AUTOMATION_RULE_PREFIX = 'tourniquet-';

/** The rate-based rule's evaluation window: the config's limit is per 5 minutes. */
const EVALUATION_WINDOW_SEC = 300;

/** GetWebACL fields UpdateWebACL does not accept (identity, computed values, Firewall Manager's parts). */
const READ_ONLY_WEB_ACL_FIELDS = [
  'Name',
  'Id',
  'ARN',
  'Capacity',
  'PreProcessFirewallManagerRuleGroups',
  'PostProcessFirewallManagerRuleGroups',
  'ManagedByFirewallManager',
  'RetrofittedByFirewallManager',
  'LabelNamespace',
] as const satisfies readonly (keyof WebACL)[];
type ReadOnlyWebAclField = (typeof READ_ONLY_WEB_ACL_FIELDS)[number];

/**
 * Web ACL capacity units (WCU) one web ACL may use: 5,000 since April 2023, without a quota increase
 * (AWS WAF Developer Guide, "Web ACL capacity units"; above 1,500 WCU WAF charges extra).
 */
export const WEB_ACL_CAPACITY_LIMIT = 5000;

// ---- result schemas ----

/** One rule of a web ACL, reduced to what a human (and an undo) needs to recognise it. */
export const WafRuleSummarySchema = z.object({
  name: z.string(),
  priority: z.number().int(),
  /** Block, Allow, Count, Captcha, Challenge; `Override:None` / `Override:Count` for rule groups. */
  action: z.string(),
  /** The top-level statement type ("RateBasedStatement", "ManagedRuleGroupStatement", ...). */
  statement: z.string(),
  /** The limit of a rate-based rule. */
  rateLimit: z.number().int().optional(),
  /** True for rules this automation created (their name starts with `tourniquet-`). */
  automation: z.boolean(),
});
export type WafRuleSummary = z.infer<typeof WafRuleSummarySchema>;

/** A web ACL without its LockToken: enough to see what changed and to undo it. */
export const WebAclStateSchema = z.object({
  kind: z.literal('web-acl'),
  webAclName: z.string(),
  webAclId: z.string(),
  scope: z.enum(['REGIONAL', 'CLOUDFRONT']),
  defaultAction: z.enum(['Allow', 'Block', 'unknown']),
  /** Rule names in priority order. */
  ruleNames: z.array(z.string()),
  rules: z.array(WafRuleSummarySchema),
});
export type WebAclState = z.infer<typeof WebAclStateSchema>;

const changeResult = <S extends z.ZodType>(state: S) =>
  z.object({
    status: z.enum(['applied', 'already-applied']),
    /** State before the change; exactly what the undo needs. */
    before: state,
    /** State after the change (equal to `before` when nothing was written). */
    after: state,
    /** Rule names added and removed by this call (empty when already applied). */
    changed: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
    /** Read-modify-write cycles it took (more than 1 after lock conflicts); 0 when nothing was written. */
    attempts: z.number().int().min(0),
    /** One sentence on what was found and done. */
    detail: z.string(),
  });

/** Result of a web ACL change (rate-based rule added, automation rules removed). */
export const WebAclChangeResultSchema = changeResult(WebAclStateSchema);
export type WebAclChangeResult = z.infer<typeof WebAclChangeResultSchema>;

const preview = <S extends z.ZodType>(state: S) =>
  z.object({
    /** False when the change is already in place (the real call would report `already-applied`). */
    wouldChange: z.boolean(),
    before: state,
    /** The state the change would produce, computed from the current one. */
    after: state,
    changed: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
    detail: z.string(),
  });

/** What `capacityForRateBasedBlock` found. */
export const WebAclCapacitySchema = z.object({
  /** WCU the web ACL uses now, as GetWebACL reports it. */
  current: z.number().int().min(0).optional(),
  /** WCU of the ACL's rules plus the rate-based rule (CheckCapacity). */
  withRule: z.number().int().min(0),
  limit: z.number().int().positive(),
  fits: z.boolean(),
  detail: z.string(),
});
export type WebAclCapacity = z.infer<typeof WebAclCapacitySchema>;

/** Dry run of `addRateBasedBlock`. */
export const WebAclPreviewSchema = preview(WebAclStateSchema);
export type WebAclPreview = z.infer<typeof WebAclPreviewSchema>;

// ---- errors ----

/**
 * The web ACL has no room for the change (web ACL capacity units). Waiting does not help; a human
 * must make room or raise a quota.
 */
export class WafLimitsExceededError extends Error {
  override readonly name = 'WafLimitsExceededError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Asked to remove rules none of which is an automation rule; the automation never touches those. */
export class NotAnAutomationRuleError extends Error {
  override readonly name = 'NotAnAutomationRuleError';
  constructor(readonly ruleNames: readonly string[]) {
    super(
      ruleNames.length === 0
        ? 'no rule names given to remove'
        : `refusing to remove ${ruleNames.join(', ')}: only rules whose names start with "${AUTOMATION_RULE_PREFIX}" are removed automatically`,
    );
  }
}

// ---- adapter ----

/** Knobs for retries and spacing; tests inject `sleep`, `random` and `now` to stay deterministic. */
export interface WafRulesAdapterOptions {
  /** Waits `ms` milliseconds. Default: a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform random number in [0, 1) for jitter. Default: Math.random. */
  readonly random?: () => number;
  /** Current time in epoch milliseconds, to space writes. Default: Date.now. */
  readonly now?: () => number;
  /** Read-modify-write cycles before a run of lock conflicts becomes a TransientAwsError. @default 5 */
  readonly maxAttempts?: number;
  /** Backoff before the second cycle; doubled for each further one, with ±50% jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** Minimum gap between two writes of this adapter (WAF: ~1 write/s per action and account). @default 1000 */
  readonly minWriteIntervalMs?: number;
  /** Web ACL capacity units a web ACL may use ({@link WEB_ACL_CAPACITY_LIMIT}). @default 5000 */
  readonly capacityLimit?: number;
}

/** What the rate-based rule mitigation needs: the incident it belongs to names the rule. */
export interface RateBasedBlockRequest {
  readonly incidentId: string;
}

/** Automation rules to take out of the web ACL (the undo of `addRateBasedBlock`). */
export interface RemoveAutomationRulesRequest {
  readonly ruleNames: readonly string[];
}

/** The outcome of one planning step: the new spec to write, or nothing to do. */
interface Plan<T> {
  readonly write?: T;
  readonly added: string[];
  readonly removed: string[];
  readonly note: string;
}

/**
 * WAF web ACL changes over `@aws-sdk/client-wafv2`. For `scope: 'CLOUDFRONT'` the client
 * must be built for us-east-1, where WAF keeps global (CloudFront) resources.
 */
export class WafRulesAdapter {
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #minWriteIntervalMs: number;
  readonly #capacityLimit: number;
  /** When this adapter last sent a write; kept across calls because a warm Lambda reuses it. */
  #lastWriteAt: number | undefined;

  constructor(
    private readonly client: WAFV2Client = new WAFV2Client({}),
    options: WafRulesAdapterOptions = {},
  ) {
    this.#sleep = options.sleep ?? ((ms) => delay(ms).then(() => undefined));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#baseDelayMs = options.baseDelayMs ?? 500;
    this.#minWriteIntervalMs = options.minWriteIntervalMs ?? 1000;
    this.#capacityLimit = options.capacityLimit ?? WEB_ACL_CAPACITY_LIMIT;
  }

  /**
   * Appends a rate-based rule that blocks any client IP sending more than `config.rateLimit`
   * requests per 5 minutes. The rule is named after the incident (see {@link automationRuleName})
   * and gets the priority one above the highest in use, so no existing rule moves. Idempotent:
   * a rule of that name already in the ACL means `already-applied`, whatever it contains.
   *
   * @throws WafLimitsExceededError when the web ACL has no capacity (WCU) left for the rule
   * @throws TransientAwsError on throttling, or when the ACL kept changing under every attempt
   * @throws AwsResourceNotFoundError when the web ACL does not exist (in that scope)
   */
  async addRateBasedBlock(config: WafConfig, request: RateBasedBlockRequest): Promise<WebAclChangeResult> {
    const ruleName = automationRuleName(request.incidentId);
    return this.#changeWebAcl(config, (acl) => planRateRule(acl, ruleName, config.rateLimit));
  }

  /** Read-only form of {@link addRateBasedBlock}: what it would add, and where. */
  async previewRateBasedBlock(config: WafConfig, request: RateBasedBlockRequest): Promise<WebAclPreview> {
    const ruleName = automationRuleName(request.incidentId);
    const { acl } = await this.#readWebAcl(config);
    const plan = planRateRule(acl, ruleName, config.rateLimit);
    return WebAclPreviewSchema.parse({
      wouldChange: plan.write !== undefined,
      before: webAclState(config, acl),
      after: webAclState(config, plan.write ? { ...acl, Rules: plan.write } : acl),
      changed: { added: plan.added, removed: plan.removed },
      detail: `Dry run: ${plan.write ? 'would have ' : ''}${plan.note}.`,
    });
  }

  /**
   * Whether the web ACL has room for the rate-based rule {@link addRateBasedBlock} would add
   * (readiness): WAFV2 CheckCapacity prices the ACL's rules plus that rule, and the total must stay
   * within the web ACL capacity limit (5,000 WCU per web ACL; above 1,500 WAF charges extra).
   * Read-only: CheckCapacity changes nothing.
   *
   * @throws AwsResourceNotFoundError when the web ACL does not exist (in that scope)
   */
  async capacityForRateBasedBlock(config: WafConfig, request: RateBasedBlockRequest): Promise<WebAclCapacity> {
    const resource = describeAcl(config);
    const { acl } = await this.#readWebAcl(config);
    const ruleName = automationRuleName(request.incidentId);
    const plan = planRateRule(acl, ruleName, config.rateLimit);
    const rules = plan.write ?? acl.Rules ?? [];
    let out;
    try {
      out = await this.client.send(new CheckCapacityCommand({ Scope: config.scope, Rules: rules }));
    } catch (err) {
      throw classifyWafError(err, 'WAFV2 CheckCapacity', resource);
    }
    if (typeof out.Capacity !== 'number') throw new AwsOperationError(`WAFV2 CheckCapacity on ${resource} returned no capacity`);
    const withRule = out.Capacity;
    const limit = this.#capacityLimit;
    const fits = withRule <= limit;
    const current = typeof acl.Capacity === 'number' ? ` (${acl.Capacity} WCU now)` : '';
    return WebAclCapacitySchema.parse({
      ...(typeof acl.Capacity === 'number' ? { current: acl.Capacity } : {}),
      withRule,
      limit,
      fits,
      detail: fits
        ? `${capitalise(resource)}${current} would use ${withRule} of ${limit} WCU with a rate-based rule added`
        : `${capitalise(resource)}${current} would need ${withRule} WCU with a rate-based rule added, more than the ${limit} WCU a web ACL may use: make room before an incident needs it`,
    });
  }

  /**
   * Removes the named automation rules from the web ACL, leaving every other rule, priority and
   * setting as it is. Names without the `tourniquet-` prefix are ignored (and said so in `detail`).
   * Idempotent: when none of the rules is present any more, nothing is written.
   *
   * @throws NotAnAutomationRuleError when no name given is an automation rule's
   */
  async removeAutomationRules(config: WafConfig, request: RemoveAutomationRulesRequest): Promise<WebAclChangeResult> {
    const wanted = [...new Set(request.ruleNames)];
    const refused = wanted.filter((n) => !isAutomationRuleName(n));
    const names = new Set(wanted.filter(isAutomationRuleName));
    if (names.size === 0) throw new NotAnAutomationRuleError(refused);
    const ignored = refused.length > 0 ? ` (ignored ${refused.join(', ')}: not automation rules)` : '';
    return this.#changeWebAcl(config, (acl) => {
      const rules = acl.Rules ?? [];
      const removed = rules.filter((r) => r.Name !== undefined && names.has(r.Name)).map((r) => r.Name!);
      if (removed.length === 0) {
        return { added: [], removed: [], note: `none of ${[...names].join(', ')} is in web ACL ${config.webAclName} any more${ignored}` };
      }
      return {
        write: rules.filter((r) => !(r.Name !== undefined && names.has(r.Name))),
        added: [],
        removed,
        note: `removed ${removed.join(', ')} from web ACL ${config.webAclName}${ignored}`,
      };
    });
  }

  // ---- read-modify-write cycles ----

  async #changeWebAcl(config: WafConfig, planFor: (acl: WebACL) => Plan<Rule[]>): Promise<WebAclChangeResult> {
    const resource = describeAcl(config);
    return this.#cycle('WAFV2 UpdateWebACL', resource, async () => {
      const { acl, lockToken } = await this.#readWebAcl(config);
      const plan = planFor(acl);
      const before = webAclState(config, acl);
      const write = plan.write;
      return {
        plan,
        before,
        after: write ? webAclState(config, { ...acl, Rules: write }) : before,
        send: write ? () => this.client.send(new UpdateWebACLCommand(updateWebAclInput(config, acl, write, lockToken))) : undefined,
      };
    }).then((r) => WebAclChangeResultSchema.parse(r));
  }

  /**
   * Runs read → plan → write until the write goes through with a fresh LockToken, nothing needs
   * writing, or `maxAttempts` cycles all met a concurrent writer. Each cycle re-reads, so a change
   * another writer made in between is seen (and kept, or found to make ours unnecessary).
   */
  async #cycle<S>(
    operation: string,
    resource: string,
    attempt: () => Promise<{ plan: Plan<unknown>; before: S; after: S; send?: () => Promise<unknown> }>,
  ): Promise<{ status: 'applied' | 'already-applied'; before: S; after: S; changed: { added: string[]; removed: string[] }; attempts: number; detail: string }> {
    let lastConflict: unknown;
    for (let n = 1; n <= this.#maxAttempts; n++) {
      if (n > 1) await this.#sleep(this.#backoff(n - 1));
      const { plan, before, after, send } = await attempt();
      if (!send) {
        return { status: 'already-applied', before, after: before, changed: { added: [], removed: [] }, attempts: 0, detail: `Nothing to do: ${plan.note}.` };
      }
      await this.#spaceWrite();
      try {
        await send();
      } catch (err) {
        if (awsErrorName(err) === 'WAFOptimisticLockException') {
          lastConflict = err;
          continue;
        }
        throw classifyWafError(err, operation, resource);
      }
      const retried = n > 1 ? ` after ${n - 1} lock conflict${n > 2 ? 's' : ''} with another writer` : '';
      return { status: 'applied', before, after, changed: { added: plan.added, removed: plan.removed }, attempts: n, detail: `${capitalise(plan.note)}${retried}.` };
    }
    throw new TransientAwsError(
      `${operation} on ${resource} failed: WAFOptimisticLockException on all ${this.#maxAttempts} attempts ` + '(another writer keeps changing it); the step re-reads and retries',
      { cause: lastConflict },
    );
  }

  /** Exponential backoff with ±50% jitter, so concurrent writers drift apart instead of colliding again. */
  #backoff(retry: number): number {
    const base = this.#baseDelayMs * 2 ** (retry - 1);
    return Math.round(base * (0.5 + this.#random()));
  }

  /** Waits until at least `minWriteIntervalMs` has passed since this adapter's previous write. */
  async #spaceWrite(): Promise<void> {
    if (this.#lastWriteAt !== undefined) {
      const wait = this.#lastWriteAt + this.#minWriteIntervalMs - this.#now();
      if (wait > 0) await this.#sleep(wait);
    }
    this.#lastWriteAt = this.#now();
  }

  async #readWebAcl(config: WafConfig): Promise<{ acl: WebACL; lockToken: string }> {
    const resource = describeAcl(config);
    let out;
    try {
      out = await this.client.send(new GetWebACLCommand({ Name: config.webAclName, Scope: config.scope, Id: config.webAclId }));
    } catch (err) {
      throw classifyWafError(err, 'WAFV2 GetWebACL', resource);
    }
    if (!out.WebACL || !out.LockToken) throw new AwsOperationError(`WAFV2 GetWebACL on ${resource} returned no web ACL or no LockToken`);
    return { acl: out.WebACL, lockToken: out.LockToken };
  }
}

// ---- naming ----

/**
 * The rule name for an incident's rate-based rule: `tourniquet-<short id>-rate`. The short id is the
 * incident id without its `inc-` prefix, reduced to WAF's `[A-Za-z0-9_-]`; long ids are cut and
 * suffixed with a hash so two incidents never share a name. Deterministic, so a retried step finds
 * the rule it already added.
 */
export function automationRuleName(incidentId: string, kind = 'rate'): string {
  const slug = incidentId
    .replace(/^inc-/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const hash = createHash('sha256').update(incidentId).digest('hex').slice(0, 8);
  const shortId = slug.length === 0 ? hash : slug.length > 48 ? `${slug.slice(0, 39)}-${hash}` : slug;
  return `${AUTOMATION_RULE_PREFIX}${shortId}-${kind}`;
}

/** True for names of rules the automation created. */
export function isAutomationRuleName(name: string): boolean {
  return name.startsWith(AUTOMATION_RULE_PREFIX) && name.length > AUTOMATION_RULE_PREFIX.length;
}

// ---- planning (pure) ----

function planRateRule(acl: WebACL, ruleName: string, limit: number): Plan<Rule[]> {
  const rules = acl.Rules ?? [];
  const existing = rules.find((r) => r.Name === ruleName);
  if (existing) {
    const current = existing.Statement?.RateBasedStatement?.Limit;
    const differs = current !== undefined && current !== limit ? ` (its limit ${current} differs from the configured ${limit} and was left as is)` : '';
    return { added: [], removed: [], note: `rule ${ruleName} is already in web ACL ${acl.Name}${differs}` };
  }
  // One above the highest priority in use: no existing rule has to move, and none can clash.
  const priority = rules.reduce((max, r) => Math.max(max, r.Priority ?? -1), -1) + 1;
  const rule: Rule = {
    Name: ruleName,
    Priority: priority,
    Action: { Block: {} },
    Statement: { RateBasedStatement: { Limit: limit, AggregateKeyType: 'IP', EvaluationWindowSec: EVALUATION_WINDOW_SEC } },
    VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: ruleName },
  };
  return {
    write: [...rules, rule],
    added: [ruleName],
    removed: [],
    note: `added rule ${ruleName} to web ACL ${acl.Name} at priority ${priority}, blocking client IPs above ${limit} requests per 5 minutes`,
  };
}

// ---- shaping ----

/**
 * The UpdateWebACL input: everything GetWebACL returned that UpdateWebACL accepts, with the new
 * rules. UpdateWebACL replaces the whole spec, so a field left out here would be reset on the ACL
 * (custom response bodies, CAPTCHA and token settings, association limits, data protection...).
 * Fields are copied by exclusion rather than by a list, so a setting added to WAF later is carried
 * over too (the SDK serializer drops anything the operation does not define).
 */
function updateWebAclInput(config: WafConfig, acl: WebACL, rules: Rule[], lockToken: string): UpdateWebACLCommandInput {
  const spec: Partial<WebACL> = { ...acl };
  for (const field of READ_ONLY_WEB_ACL_FIELDS) delete spec[field];
  return {
    ...(spec as Omit<WebACL, ReadOnlyWebAclField>),
    Name: acl.Name ?? config.webAclName,
    Scope: config.scope,
    Id: acl.Id ?? config.webAclId,
    Rules: rules,
    LockToken: lockToken,
  };
}

function webAclState(config: WafConfig, acl: WebACL): WebAclState {
  const rules = [...(acl.Rules ?? [])].sort((a, b) => (a.Priority ?? 0) - (b.Priority ?? 0)).map(summariseRule);
  return {
    kind: 'web-acl',
    webAclName: acl.Name ?? config.webAclName,
    webAclId: acl.Id ?? config.webAclId,
    scope: config.scope,
    defaultAction: acl.DefaultAction?.Block ? 'Block' : acl.DefaultAction?.Allow ? 'Allow' : 'unknown',
    ruleNames: rules.map((r) => r.name),
    rules,
  };
}

function summariseRule(rule: Rule): WafRuleSummary {
  const name = rule.Name ?? '(unnamed)';
  const action = rule.Action ? (definedKey(rule.Action) ?? 'unknown') : rule.OverrideAction ? `Override:${definedKey(rule.OverrideAction) ?? 'unknown'}` : 'unknown';
  const limit = rule.Statement?.RateBasedStatement?.Limit;
  return {
    name,
    priority: rule.Priority ?? 0,
    action,
    statement: (rule.Statement && definedKey(rule.Statement)) ?? 'unknown',
    ...(limit !== undefined ? { rateLimit: limit } : {}),
    automation: isAutomationRuleName(name),
  };
}

/** The first key of a WAF union-like object whose value is set (actions and statements are such unions). */
function definedKey(obj: object): string | undefined {
  return Object.entries(obj).find(([, v]) => v !== undefined && v !== null)?.[0];
}

const describeAcl = (config: WafConfig): string => `web ACL ${config.webAclName} (${config.webAclId}, ${config.scope})`;

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * `classifyAwsError`, plus the two WAF errors whose meaning it cannot know: a limit (not worth
 * retrying; a human must make room) and an entity WAF cannot reach yet (propagation; worth retrying).
 */
function classifyWafError(err: unknown, operation: string, resource: string): Error {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'WAFLimitsExceededException') {
    return new WafLimitsExceededError(
      `${operation} on ${resource} failed: WAFLimitsExceededException: ${message} ` + '(no capacity left for the change: make room in the web ACL, or raise the quota)',
      { cause: err },
    );
  }
  if (name === 'WAFUnavailableEntityException') {
    return new TransientAwsError(`${operation} on ${resource} failed: ${name}: ${message} (still propagating)`, { cause: err });
  }
  return classifyAwsError(err, operation, resource);
}
