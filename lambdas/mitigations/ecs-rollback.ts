import * as z from 'zod';

import { describeEcs, ECS_DEPLOYMENT_SECONDS, ecsOf, ecsPermissions, ecsSettled } from './ecs-service.js';
import type { Mitigation, ReadinessCheck } from './mitigation.js';

const minutesBefore = (earlier: string, later: string): number => Math.max(0, Math.round((Date.parse(later) - Date.parse(earlier)) / 60_000));
const shortTaskDefinition = (arn: string): string => arn.split('/').pop() ?? arn;

const inactive = (taskDefinition: string, status: string): string =>
  `the stable task definition ${shortTaskDefinition(taskDefinition)} is ${status}${status === 'INACTIVE' ? ' (deregistered)' : ''}: ECS refuses UpdateService to it; register it again or roll forward by hand`;

const BeforeSchema = z.object({ taskDefinition: z.string().optional(), desiredCount: z.number().int().min(0) });

/**
 * ECS rollback: a new deployment of the configured service inside the change window is rolled back to
 * the last task definition that proved stable (StopServiceDeployment ROLLBACK while the rollout is still
 * in progress, UpdateService otherwise). Runs on its own for SEV1–SEV2 (a known-good revision beats a
 * long outage), after approval below; reverted when it had no effect.
 */
export const ecsRollback: Mitigation = {
  type: 'ecs-rollback',
  title: 'ECS rollback',
  risk: 'medium',
  defaultPolicy: { SEV1: 'auto', SEV2: 'auto', SEV3: 'approval', SEV4: 'approval' },
  revertWhenIneffective: true,
  writesPerChange: 1,
  evidence: 'new-deployment',
  matrixCase: 'bad-deployment',
  configured: (service) => service.resources.ecs !== undefined,
  propose({ triage, service, alarmAt }) {
    const ecs = service.resources.ecs;
    if (!ecs) return { proposals: [] };
    const newest = triage.ecsDeployments.filter((d) => d.cluster === ecs.cluster && d.service === ecs.service).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (!newest) return { proposals: [] };
    return {
      proposals: [
        {
          target: describeEcs(ecs),
          params: { cluster: ecs.cluster, service: ecs.service, fromTaskDefinition: newest.taskDefinition },
          rationale: `Deployment ${newest.deploymentId} (${shortTaskDefinition(newest.taskDefinition)}) started ${minutesBefore(newest.createdAt, alarmAt)} min before the alarm; rolling back restores the last stable task definition.`,
        },
      ],
    };
  },
  async preview(ctx) {
    try {
      const adapter = await ctx.adapters.ecs();
      const p = await adapter.previewRollback(ecsOf(ctx.service));
      // ECS refuses UpdateService to a deregistered revision; StopServiceDeployment leaves the choice to ECS.
      if (p.call === 'UpdateService' && p.after.taskDefinition !== undefined) {
        const td = await adapter.taskDefinitionStatus(p.after.taskDefinition);
        if (!td.active) {
          const why = inactive(td.taskDefinition, td.status);
          return { before: p.before, wouldChange: false, detail: `${p.detail} ${why}`, notExecutable: why };
        }
      }
      return { before: p.before, wouldChange: p.wouldChange, detail: p.detail };
    } catch (error) {
      // By name: importing the adapter's error class would load the ECS client with the catalogue.
      if ((error as Error).name === 'NoStableTaskDefinitionError')
        return { before: undefined, wouldChange: false, detail: (error as Error).message, notExecutable: (error as Error).message };
      throw error;
    }
  },
  async apply(ctx) {
    const result = await (await ctx.adapters.ecs()).rollback(ecsOf(ctx.service), { description: ctx.reason });
    return {
      status: result.status,
      before: result.before,
      after: result.after,
      detail: [result.detail, result.evidence].filter(Boolean).join(' '),
      takesEffectSeconds: ECS_DEPLOYMENT_SECONDS,
    };
  },
  async undo(ctx, action) {
    const ecs = ecsOf(ctx.service);
    // Roll forward to exactly what the rollback replaced.
    const { taskDefinition } = BeforeSchema.parse(action.before);
    if (action.dryRun) return { status: 'would-undo', detail: `Would restore ${ecs.cluster}/${ecs.service} to ${taskDefinition ?? 'its recorded task definition'}.` };
    const result = await (await ctx.adapters.ecs()).restoreService(ecs, { taskDefinition });
    return { status: 'undone', detail: `ECS ${ecs.cluster}/${ecs.service} restored: ${result.detail}` };
  },
  async readiness(ctx) {
    const ecs = ctx.service.resources.ecs;
    if (!ecs) return [];
    const adapter = await ctx.adapters.ecs();
    const target = describeEcs(ecs);
    const found = 'a stable previous task definition';
    let stable;
    try {
      stable = await adapter.findStableTaskDefinition(ecs);
    } catch (error) {
      return [{ type: 'ecs-rollback', target, ready: false, checks: [{ check: found, ok: false, detail: (error as Error).message }] }];
    }
    const checks: ReadinessCheck[] = [{ check: found, ok: true, detail: `${shortTaskDefinition(stable.stable)}: ${stable.evidence}` }];
    const registered = `${shortTaskDefinition(stable.stable)} is ACTIVE`;
    try {
      const td = await adapter.taskDefinitionStatus(stable.stable);
      checks.push({
        check: registered,
        ok: td.active,
        detail: td.active ? `${shortTaskDefinition(td.taskDefinition)} is registered (ACTIVE)` : inactive(td.taskDefinition, td.status),
      });
    } catch (error) {
      checks.push({ check: registered, ok: false, detail: (error as Error).message });
    }
    return [{ type: 'ecs-rollback', target, ready: checks.every((c) => c.ok), checks }];
  },
  settled: ecsSettled,
  permissions: ecsPermissions,
};
