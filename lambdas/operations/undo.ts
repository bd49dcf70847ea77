import * as z from 'zod';
import type { ServiceConfig } from '../core/config.js';
import type { AppConfigFlagsAdapter } from '../adapters/appconfig-flags.js';
import { EcsBeforeStateSchema, type EcsAdapter } from '../adapters/ecs-deployments.js';
import { FailoverStateSchema, type Route53FailoverAdapter } from '../adapters/route53-failover.js';
import type { WafRulesAdapter } from '../adapters/waf-rules.js';
import { TransientAwsError } from '../adapters/errors.js';
import type { ActionRecord, IncidentStore } from '../store/incident-store.js';
import type { AutomationBrake } from '../store/brake.js';

/**
 * Reverts an incident's mitigations, newest first, one change at a time: the operator's way back
 * once the cause is fixed. Each step is recorded on the incident timeline and the action is marked
 * undone, so a second run changes nothing.
 */

const BeforeSchema = z.object({ params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), state: z.unknown() });
const FlagBeforeSchema = z.object({ deployedVersion: z.string(), enabled: z.boolean().nullable() });

export interface UndoDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'listActions' | 'appendTimeline' | 'markActionUndone' | 'acquireMutationLock' | 'releaseMutationLock'>;
  readonly flags: Pick<AppConfigFlagsAdapter, 'setFlag' | 'previewFlag'>;
  readonly ecs: Pick<EcsAdapter, 'restoreService'>;
  readonly route53: Pick<Route53FailoverAdapter, 'restore'>;
  readonly wafFor: (scope: 'REGIONAL' | 'CLOUDFRONT') => Pick<WafRulesAdapter, 'removeAutomationRules'>;
  /** The config slice of the incident's service: the only resources undo may touch. */
  readonly serviceFor: (serviceName: string) => ServiceConfig | undefined;
  readonly deploymentStrategyId: string;
  readonly clock: () => Date;
  /** Who runs the undo (the caller's identity), for the timeline. */
  readonly by: string;
  /** The brake's per-resource caps: an undone action stops counting against its resource. */
  readonly brake?: Pick<AutomationBrake, 'releaseResource'>;
}

export const UndoStepSchema = z.object({
  cursor: z.number().int(),
  type: z.string(),
  target: z.string(),
  status: z.enum(['undone', 'would-undo', 'already-undone', 'skipped']),
  detail: z.string(),
});
export type UndoStep = z.infer<typeof UndoStepSchema>;

export class UndoError extends Error {
  override readonly name = 'UndoError';
}

export async function undoIncident(deps: UndoDeps, incidentId: string, options: { dryRun?: boolean } = {}): Promise<UndoStep[]> {
  const incident = await deps.store.getIncident(incidentId);
  const service = deps.serviceFor(incident.service);
  if (!service) throw new UndoError(`Service ${incident.service} of incident ${incidentId} is not in the config; nothing may be touched`);
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
export type UndoActionDeps = Pick<UndoDeps, 'flags' | 'ecs' | 'route53' | 'wafFor' | 'deploymentStrategyId' | 'clock' | 'by' | 'brake'> & {
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
  const before = BeforeSchema.parse(action.before);
  let detail: string;
  switch (action.type) {
    case 'feature-flag-off':
    case 'degrade-flag-on': {
      const flags = service.resources.featureFlags;
      if (!flags) throw new UndoError(`Service ${service.name} has no featureFlags resources in the config`);
      const flag = String(before.params.flag);
      const previous = FlagBeforeSchema.parse(before.state);
      if (previous.enabled === null) return { ...base, status: 'skipped', detail: `Flag ${flag} had no value before the incident; left as it is.` };
      if (dryRun) {
        const preview = await deps.flags.previewFlag(flags, { flag, enabled: previous.enabled });
        return { ...base, status: 'would-undo', detail: `Would set ${flag} back ${previous.enabled ? 'on' : 'off'}. ${preview.detail}` };
      }
      // Set the flag back on the configuration deployed now, rather than redeploying the old version,
      // so changes other people made since the incident are kept. After a kill switch that stopped the
      // suspect deployment (`after.stopped`), the pre-incident state is that stopped version: setFlag
      // redeploys it as is when it differs from the live one only by this flag; otherwise only the flag
      // comes back, and the stopped deployment's other changes are left for their owner to redeploy.
      const result = await deps.flags.setFlag(flags, {
        flag,
        enabled: previous.enabled,
        deploymentStrategyId: deps.deploymentStrategyId,
        description: `Tourniquet undo of ${incidentId} by ${deps.by}`,
      });
      detail = `Flag ${flag} set back ${previous.enabled ? 'on' : 'off'}: ${result.detail}`;
      break;
    }
    case 'ecs-rollback':
    case 'ecs-scale-out': {
      const ecs = service.resources.ecs;
      if (!ecs) throw new UndoError(`Service ${service.name} has no ecs resources in the config`);
      const previous = EcsBeforeStateSchema.parse(before.state);
      // Roll forward to exactly what the mitigation changed: the task definition for a rollback, the count for a scale-out.
      const target = action.type === 'ecs-rollback' ? { taskDefinition: previous.taskDefinition } : { desiredCount: previous.desiredCount };
      if (dryRun) return { ...base, status: 'would-undo', detail: `Would restore ${ecs.cluster}/${ecs.service} to ${JSON.stringify(target)}.` };
      const result = await deps.ecs.restoreService(ecs, target);
      detail = `ECS ${ecs.cluster}/${ecs.service} restored: ${result.detail}`;
      break;
    }
    case 'route53-failover': {
      const route53 = service.resources.route53;
      if (!route53) throw new UndoError(`Service ${service.name} has no route53 resources in the config`);
      const previous = FailoverStateSchema.parse(before.state);
      if (dryRun) return { ...base, status: 'would-undo', detail: `Would restore ${route53.recordName} routing as recorded before the failover.` };
      const changeId = (action.after as { changeId?: unknown } | undefined)?.changeId;
      const result = await deps.route53.restore(route53, previous, {
        comment: `Tourniquet undo of ${incidentId} by ${deps.by}`,
        ...(typeof changeId === 'string' ? { priorChangeId: changeId } : {}),
      });
      detail = `Route 53 ${route53.recordName} restored: ${result.detail}`;
      break;
    }
    case 'waf-block': {
      const waf = service.resources.waf;
      if (!waf) throw new UndoError(`Service ${service.name} has no waf resources in the config`);
      const ruleNames = z.object({ addedRules: z.array(z.string()) }).parse(before.state).addedRules;
      if (dryRun) return { ...base, status: 'would-undo', detail: `Would remove ${ruleNames.join(', ') || 'no rule'} from web ACL ${waf.webAclName}.` };
      const result = await deps.wafFor(waf.scope).removeAutomationRules(waf, { ruleNames });
      detail = `WAF ${waf.webAclName}: ${result.detail}`;
      break;
    }
  }
  await deps.store.markActionUndone(incidentId, action.cursor, action.type, detail);
  await deps.brake?.releaseResource(action.type, action.target, incidentId);
  await deps.store.appendTimeline(incidentId, { at: deps.clock().toISOString(), kind: 'mitigation', message: `Undo by ${deps.by}: ${detail}` });
  return { ...base, status: 'undone', detail };
}
