import * as z from 'zod';

import { describeEcs, ECS_DEPLOYMENT_SECONDS, ecsOf, ecsPermissions, ecsSettled } from './ecs-service.js';
import { type Mitigation, MitigationNotExecutableError } from './mitigation.js';

const BeforeSchema = z.object({ desiredCount: z.number().int().min(0) });

function capOf(ctx: Parameters<Mitigation['apply']>[0]): number {
  const ecs = ecsOf(ctx.service);
  if (ecs.maxDesiredCount === undefined) throw new MitigationNotExecutableError(`Service ${ctx.service.name} has no ecs.maxDesiredCount: scale-out is never unbounded`);
  return ecs.maxDesiredCount;
}

/**
 * Scale-out: when saturation is confirmed by a symptom alarm and no recent change explains the
 * alarm, the service asks for more tasks, never above `ecs.maxDesiredCount`. At its cap it cannot
 * help, so it is skipped and a human is paged at once instead of verifying a change never made.
 */
export const ecsScaleOut: Mitigation = {
  type: 'ecs-scale-out',
  title: 'ECS scale-out',
  risk: 'medium',
  defaultPolicy: { SEV1: 'auto', SEV2: 'auto', SEV3: 'auto', SEV4: 'auto' },
  revertWhenIneffective: true,
  writesPerChange: 1,
  evidence: 'saturation',
  matrixCase: 'capacity-saturation',
  configured: (service) => service.resources.ecs?.maxDesiredCount !== undefined,
  propose({ triage, service, changeExplains }) {
    const ecs = service.resources.ecs;
    // Scale only when saturation is confirmed and no change explains the alarm.
    if (!triage.symptoms.saturation || changeExplains || ecs?.maxDesiredCount === undefined) return { proposals: [] };
    return {
      proposals: [
        {
          target: describeEcs(ecs),
          params: { cluster: ecs.cluster, service: ecs.service, maxDesiredCount: ecs.maxDesiredCount },
          rationale: `Saturation is confirmed and nothing changed recently; scaling out (up to ${ecs.maxDesiredCount} tasks) adds capacity.`,
        },
      ],
    };
  },
  async preview(ctx) {
    const p = await (await ctx.adapters.ecs()).previewScaleOut(ecsOf(ctx.service), { maxDesiredCount: capOf(ctx) });
    return {
      before: p.before,
      wouldChange: p.wouldChange,
      detail: p.detail,
      ...(p.wouldChange ? {} : { notExecutable: `no scale headroom: ${p.detail.replace(/^Nothing to do: /, '').replace(/\.$/, '')}` }),
    };
  },
  async apply(ctx) {
    const result = await (await ctx.adapters.ecs()).scaleOut(ecsOf(ctx.service), { maxDesiredCount: capOf(ctx) });
    return { status: result.status, before: result.before, after: result.after, detail: result.detail, takesEffectSeconds: ECS_DEPLOYMENT_SECONDS };
  },
  async undo(ctx, action) {
    const ecs = ecsOf(ctx.service);
    const { desiredCount } = BeforeSchema.parse(action.before);
    if (action.dryRun) return { status: 'would-undo', detail: `Would restore ${ecs.cluster}/${ecs.service} to ${desiredCount} desired tasks.` };
    const result = await (await ctx.adapters.ecs()).restoreService(ecs, { desiredCount });
    return { status: 'undone', detail: `ECS ${ecs.cluster}/${ecs.service} restored: ${result.detail}` };
  },
  async readiness(ctx) {
    const ecs = ctx.service.resources.ecs;
    if (ecs?.maxDesiredCount === undefined) return [];
    const check = 'scale headroom under maxDesiredCount';
    try {
      const p = await (await ctx.adapters.ecs()).previewScaleOut(ecs, { maxDesiredCount: ecs.maxDesiredCount });
      return [{ type: 'ecs-scale-out', target: describeEcs(ecs), ready: p.wouldChange, checks: [{ check, ok: p.wouldChange, detail: p.detail }] }];
    } catch (error) {
      return [{ type: 'ecs-scale-out', target: describeEcs(ecs), ready: false, checks: [{ check, ok: false, detail: (error as Error).message }] }];
    }
  },
  settled: ecsSettled,
  permissions: ecsPermissions,
};
