import * as z from 'zod';

import { TransientAwsError } from '../adapters/errors.js';
import { type ServiceAccess, sessionNameFor } from '../core/accounts.js';
import type { ServiceConfig } from '../core/config.js';
import { isCatalogued, mitigationOf } from '../mitigations/index.js';
import type { DeploymentStrategyRef } from '../mitigations/mitigation.js';
import type { MitigationAdapters } from '../mitigations/ports.js';
import type { AutomationBrake } from '../store/brake.js';
import type { ActionRecord, IncidentStore } from '../store/incident-store.js';
import type { MetricsSink } from './ports.js';
import { atService, deploymentStrategyAt, type ForService, type StrategyLookup } from './service-scope.js';

/**
 * Reverts an incident's mitigations, newest first, one change at a time: the operator's way back
 * once the cause is fixed. Each step is recorded on the incident timeline and the action is marked
 * undone, so a second run changes nothing.
 */

const BeforeSchema = z.object({ params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), state: z.unknown() });

/** What undo works with: the store (ledger, timeline, lock), the catalogue's adapters, the config, who is undoing. */
export interface UndoDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'listActions' | 'appendTimeline' | 'markActionUndone' | 'acquireMutationLock' | 'releaseMutationLock'>;
  /** The adapters the catalogue's mitigations undo through. */
  readonly adapters: MitigationAdapters;
  /** The config slice of the incident's service: the only resources undo may touch. */
  readonly serviceFor: (serviceName: string) => ServiceConfig | undefined;
  /** The central stack's zero-bake strategy; a service elsewhere gets its place's (`deploymentStrategyOf`). */
  readonly deploymentStrategyId: DeploymentStrategyRef;
  readonly clock: () => Date;
  /** Who runs the undo (the caller's identity), for the timeline. */
  readonly by: string;
  /** The brake's per-resource caps: an undone action stops counting against its resource. */
  readonly brake?: Pick<AutomationBrake, 'releaseResource'>;
  /** MitigationsReverted. The CLI passes none: no function log turns its EMF into metrics. */
  readonly metrics?: MetricsSink;
  /** Where the incident's service is (lambdas/core/accounts.ts `serviceAccess`). @default here */
  readonly accessOf?: (service: ServiceConfig) => ServiceAccess;
  /** The adapters of a service elsewhere (another region, or a workload account through the member role), and its deployment strategy lookup. */
  readonly forService?: ForService<Pick<UndoDeps, 'adapters' | 'deploymentStrategyOf'>>;
  /** Finds the zero-bake strategy of a service elsewhere (from `forService`). */
  readonly deploymentStrategyOf?: StrategyLookup;
  /** The config's stage, which names the strategy of a service elsewhere. Needed with `accessOf`. */
  readonly stage?: string;
}

/** One action reverted (or not) by undo. */
export const UndoStepSchema = z.object({
  cursor: z.number().int(),
  type: z.string(),
  target: z.string(),
  status: z.enum(['undone', 'would-undo', 'already-undone', 'skipped']),
  detail: z.string(),
});
export type UndoStep = z.infer<typeof UndoStepSchema>;

/** Undo cannot proceed (the incident's service is not in the config). */
export class UndoError extends Error {
  override readonly name = 'UndoError';
}

/** Reverts every applied action of an incident, newest first, under the service's mutation lock (or reports what it would do). */
export async function undoIncident(home: UndoDeps, incidentId: string, options: { dryRun?: boolean } = {}): Promise<UndoStep[]> {
  const incident = await home.store.getIncident(incidentId);
  const service = home.serviceFor(incident.service);
  if (!service) throw new UndoError(`Service ${incident.service} of incident ${incidentId} is not in the config; nothing may be touched`);
  // In the service's account under the incident's session name: CloudTrail there ties the undo to the incident.
  const access = home.accessOf?.(service);
  const scoped = await atService(home, access, sessionNameFor(incidentId));
  const deps = { ...scoped, deploymentStrategyId: deploymentStrategyAt(home.deploymentStrategyId, access, home.stage ?? '', scoped.deploymentStrategyOf) };
  const actions = (await deps.store.listActions(incidentId)).sort((a, b) => b.cursor - a.cursor);
  const steps: UndoStep[] = [];
  const lockOwner = `${incidentId}#undo`;
  if (!options.dryRun && !(await deps.store.acquireMutationLock(service.name, lockOwner, 15 * 60))) {
    throw new TransientAwsError(`Another change to ${service.name} is in progress; try the undo again in a minute`);
  }
  try {
    for (const action of actions) steps.push(await undoOne(deps, incidentId, service, action, options.dryRun ?? false));
  } finally {
    if (!options.dryRun) await deps.store.releaseMutationLock(service.name, lockOwner);
  }
  return steps;
}

/** What reverting one action needs: the adapters, and the store's ledger and timeline. */
export type UndoActionDeps = Pick<UndoDeps, 'adapters' | 'deploymentStrategyId' | 'clock' | 'by' | 'brake' | 'metrics'> & {
  readonly store: Pick<IncidentStore, 'markActionUndone' | 'appendTimeline'>;
};

/**
 * Reverts one applied action to its recorded before-state and marks it undone (also used by the
 * workflow to take back a mitigation that had no measurable effect before trying the next one).
 */
export async function undoAction(deps: UndoActionDeps, incidentId: string, service: ServiceConfig, action: ActionRecord, options: { dryRun?: boolean } = {}): Promise<UndoStep> {
  return undoOne(deps, incidentId, service, action, options.dryRun ?? false);
}

async function undoOne(deps: UndoActionDeps, incidentId: string, service: ServiceConfig, action: ActionRecord, dryRun: boolean): Promise<UndoStep> {
  const base = { cursor: action.cursor, type: action.type, target: action.target };
  if (action.status === 'undone') return { ...base, status: 'already-undone', detail: action.undoDetail ?? 'Already undone.' };
  if (action.status !== 'applied') {
    return { ...base, status: 'skipped', detail: `Nothing to undo: the action ended ${action.status}${action.status === 'already-applied' ? ' (it changed nothing)' : ''}.` };
  }
  if (!isCatalogued(action.type)) return { ...base, status: 'skipped', detail: `This build cannot undo ${action.type}: it is not in the catalogue; undo it by hand.` };
  const before = BeforeSchema.parse(action.before);
  const result = await mitigationOf(action.type).undo(
    { service, adapters: deps.adapters, incidentId, reason: `Tourniquet undo of ${incidentId} by ${deps.by}`, deploymentStrategyId: deps.deploymentStrategyId, clock: deps.clock },
    { params: before.params, before: before.state, after: action.after, by: deps.by, dryRun },
  );
  if (result.status !== 'undone') return { ...base, status: result.status, detail: result.detail };
  const detail = result.detail;
  await deps.store.markActionUndone(incidentId, action.cursor, action.type, detail, { service: service.name, ...(action.effect ? { effect: action.effect } : {}) });
  // After the ledger says undone: a retry reads `undone` above and counts nothing twice.
  deps.metrics?.record('mitigationsReverted', 1, { service: service.name, mitigation: action.type });
  await deps.brake?.releaseResource(action.type, action.target, incidentId);
  await deps.store.appendTimeline(incidentId, { at: deps.clock().toISOString(), kind: 'mitigation', message: `Undo by ${deps.by}: ${detail}` });
  return { ...base, status: 'undone', detail };
}
