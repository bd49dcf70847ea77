import { CATALOGUE } from '../mitigations/index.js';
import type { BrakeConfig } from './config.js';
import type { MitigationType } from './mitigation-types.js';

/**
 * The brake on automation, as pure rules over what the brake ledger holds (lambdas/store/brake.ts
 * reads and writes it with conditional writes). Three limits, checked before every automated change:
 * a global budget per rolling hour, a cooldown per service, and a cap per mitigation type and resource.
 */

/** Default caps per mitigation type and resource; config `brake.perResourceLimits` overrides them. */
export const DEFAULT_PER_RESOURCE_LIMITS: Partial<Record<MitigationType, number>> = Object.fromEntries(
  CATALOGUE.flatMap((m) => (m.perResourceLimit === undefined ? [] : [[m.type, m.perResourceLimit]])),
);

export const BUDGET_WINDOW_SECONDS = 3600;

/** One automated change counted against the hourly budget. */
export interface BudgetEntry {
  /** Incident, ledger cursor and type: the same change counted twice is still one. */
  readonly key: string;
  readonly at: string;
  readonly incidentId: string;
  readonly service: string;
  readonly type: string;
}

/** The last automated change to a service. */
export interface CooldownMark {
  readonly at: string;
  readonly incidentId: string;
  readonly round: number;
  readonly type: string;
}

/** What the ledger holds for one request. */
export interface BrakeLedger {
  readonly budget: readonly BudgetEntry[];
  readonly cooldown?: CooldownMark;
  /** Incident id → when it put its action on the resource, for the request's type and resource. */
  readonly holders: Readonly<Record<string, string>>;
}

/** One automated change asking to go ahead. */
export interface BrakeRequest {
  readonly key: string;
  readonly incidentId: string;
  readonly round: number;
  readonly service: string;
  readonly type: MitigationType;
  /** The resource the change is made on (the candidate's target). */
  readonly target: string;
}

export type BrakeKind = 'budget' | 'cooldown' | 'resource-limit';
export type BrakeVerdict = { readonly ok: true } | { readonly ok: false; readonly kind: BrakeKind; readonly reason: string };

export function perResourceLimit(config: BrakeConfig, type: MitigationType): number | undefined {
  return config.perResourceLimits[type] ?? DEFAULT_PER_RESOURCE_LIMITS[type];
}

/** Budget entries still inside the rolling hour at `now`. */
export function entriesInWindow(budget: readonly BudgetEntry[], now: Date): BudgetEntry[] {
  const from = now.getTime() - BUDGET_WINDOW_SECONDS * 1000;
  return budget.filter((e) => Date.parse(e.at) > from);
}

/**
 * Whether the change may go ahead on its own. A change already counted (the same key: a retried
 * step) always may: the brake limits changes, not attempts.
 */
export function brakeVerdict(config: BrakeConfig, ledger: BrakeLedger, request: BrakeRequest, now: Date): BrakeVerdict {
  const inWindow = entriesInWindow(ledger.budget, now);
  if (inWindow.some((e) => e.key === request.key)) return { ok: true };

  if (inWindow.length >= config.mutationsPerHour) {
    const oldest = inWindow.map((e) => e.at).sort()[0];
    const frees = oldest ? new Date(Date.parse(oldest) + BUDGET_WINDOW_SECONDS * 1000) : now;
    return {
      ok: false,
      kind: 'budget',
      reason:
        `the automation budget is spent: ${inWindow.length} automated change(s) in the last hour ` +
        `(limit ${config.mutationsPerHour}, config brake.mutationsPerHour; services ${[...new Set(inWindow.map((e) => e.service))].join(', ') || 'none'})` +
        (inWindow.length > 0 ? `; the next one frees up at ${hhmm(frees)} UTC` : ''),
    };
  }

  const mark = ledger.cooldown;
  if (mark && !(mark.incidentId === request.incidentId && mark.round === request.round)) {
    const until = new Date(Date.parse(mark.at) + config.serviceCooldownMinutes * 60_000);
    if (until.getTime() > now.getTime()) {
      const who = mark.incidentId === request.incidentId ? `round ${mark.round} of this incident` : `incident ${mark.incidentId}`;
      return {
        ok: false,
        kind: 'cooldown',
        reason:
          `service ${request.service} is cooling down: ${who} changed it (${mark.type}) at ${hhmm(new Date(mark.at))} UTC, ` +
          `and automated changes wait ${config.serviceCooldownMinutes} min after one another (config brake.serviceCooldownMinutes) until ${hhmm(until)} UTC`,
      };
    }
  }

  const limit = perResourceLimit(config, request.type);
  const others = Object.keys(ledger.holders).filter((id) => id !== request.incidentId);
  if (limit !== undefined && others.length >= limit) {
    return {
      ok: false,
      kind: 'resource-limit',
      reason:
        `${request.target} already has ${others.length} automated ${request.type} action(s) in place (incident(s) ${others.join(', ')}; ` +
        `limit ${limit} per resource, config brake.perResourceLimits); undo one first (tourniquet undo <incidentId>)`,
    };
  }
  return { ok: true };
}

const hhmm = (d: Date): string => d.toISOString().slice(11, 16);
