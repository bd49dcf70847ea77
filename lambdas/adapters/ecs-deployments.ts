import {
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type Service,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import * as z from 'zod';

import { type EcsDeploymentChange, EcsDeploymentChangeSchema } from '../core/model.js';
import { awsErrorName, AwsOperationError, AwsResourceNotFoundError, callAws } from './errors.js';

/**
 * ECS service deployments: what was rolled out recently (triage), the service's current shape, and
 * the two ECS mitigations with their undo: roll back to the last stable task definition, and
 * scale out (only when saturation is confirmed). Every change records the before-state, is
 * idempotent, and has a read-only preview for dry runs.
 */

/** One ECS service. `cluster` may be a name or an ARN, as ECS accepts both. */
export const EcsServiceRefSchema = z.object({
  cluster: z.string().min(1),
  service: z.string().min(1),
});
export type EcsServiceRef = z.infer<typeof EcsServiceRefSchema>;

/** One entry of the service's `deployments`, with the task counts a rollback decision looks at. */
export const EcsDeploymentInfoSchema = EcsDeploymentChangeSchema.extend({
  desiredCount: z.number().int().min(0),
  runningCount: z.number().int().min(0),
  failedTasks: z.number().int().min(0),
  rolloutStateReason: z.string().optional(),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});
export type EcsDeploymentInfo = z.infer<typeof EcsDeploymentInfoSchema>;

/** The service as DescribeServices shows it now. Deployments are sorted newest first. */
export const EcsServiceSnapshotSchema = z.object({
  cluster: z.string(),
  service: z.string(),
  /** ACTIVE, DRAINING (being deleted). INACTIVE services are reported as not found. */
  status: z.string(),
  /** Task definition of the service (the PRIMARY deployment's). */
  taskDefinition: z.string(),
  desiredCount: z.number().int().min(0),
  runningCount: z.number().int().min(0),
  pendingCount: z.number().int().min(0),
  deployments: z.array(EcsDeploymentInfoSchema),
});
export type EcsServiceSnapshot = z.infer<typeof EcsServiceSnapshotSchema>;

const describeRef = (ref: EcsServiceRef): string => `service ${ref.service} in cluster ${ref.cluster}`;

/** What a mitigation found before it acted: exactly what an undo needs. */
export const EcsBeforeStateSchema = z.object({
  /** Task definition of the PRIMARY deployment (ARN, as ECS reports it). Recorded by rollback and restore. */
  taskDefinition: z.string().optional(),
  desiredCount: z.number().int().min(0),
  /** The PRIMARY deployment ("ecs-svc/…") at that moment. */
  deploymentId: z.string().optional(),
});
export type EcsBeforeState = z.infer<typeof EcsBeforeStateSchema>;

/** The ECS calls a mitigation makes. */
export const EcsChangeCallSchema = z.enum(['UpdateService', 'StopServiceDeployment']);
export type EcsChangeCall = z.infer<typeof EcsChangeCallSchema>;

/** Where a mitigation leaves the service (or found it, when nothing had to change). */
export const EcsAfterStateSchema = z.object({
  taskDefinition: z.string().optional(),
  desiredCount: z.number().int().min(0).optional(),
  /** The call made; null when nothing had to change. */
  call: EcsChangeCallSchema.nullable(),
  /** The service deployment stopped with ROLLBACK, or the one in progress that already does the work. */
  serviceDeploymentArn: z.string().optional(),
  /** The PRIMARY deployment ("ecs-svc/…") after UpdateService, or the one already under way. */
  deploymentId: z.string().optional(),
});
export type EcsAfterState = z.infer<typeof EcsAfterStateSchema>;

/** Result of `rollback`, `scaleOut` and `restoreService`. */
export const EcsChangeResultSchema = z.object({
  status: z.enum(['applied', 'already-applied']),
  action: z.enum(['ecs-rollback', 'ecs-scale-out', 'ecs-restore']),
  before: EcsBeforeStateSchema,
  after: EcsAfterStateSchema,
  /** One human sentence: what was found and done. */
  detail: z.string(),
  /** Rollback only: why the target counts as the last stable task definition. */
  evidence: z.string().optional(),
});
export type EcsChangeResult = z.infer<typeof EcsChangeResultSchema>;

/** What `rollback` or `scaleOut` would do, without doing it (dry run). */
export const EcsChangePreviewSchema = z.object({
  action: z.enum(['ecs-rollback', 'ecs-scale-out']),
  /** False when the service is already where the mitigation would take it. */
  wouldChange: z.boolean(),
  call: EcsChangeCallSchema.nullable(),
  before: EcsBeforeStateSchema,
  after: z.object({ taskDefinition: z.string().optional(), desiredCount: z.number().int().min(0).optional() }),
  detail: z.string(),
  evidence: z.string().optional(),
});
export type EcsChangePreview = z.infer<typeof EcsChangePreviewSchema>;

/** The rollback target and why. Task definitions are ARNs, as ECS reports them. */
export const StableTaskDefinitionSchema = z.object({
  /** Task definition of the PRIMARY deployment now. */
  current: z.string(),
  /** The last stable task definition; equal to `current` when the service already runs it again. */
  stable: z.string(),
  /** One readable sentence: which deployment proves `stable` stable, and what was skipped. */
  evidence: z.string(),
  /** Where the proof came from: the service deployment history, or (fallback) DescribeServices. */
  basis: z.enum(['service-deployments', 'describe-services']),
});
export type StableTaskDefinition = z.infer<typeof StableTaskDefinitionSchema>;

/** A task definition's registration status, as DescribeTaskDefinition reports it. */
export const TaskDefinitionStatusSchema = z.object({
  taskDefinition: z.string(),
  /** ACTIVE, INACTIVE (deregistered) or DELETE_IN_PROGRESS. */
  status: z.string(),
  /** Only an ACTIVE revision can be deployed with UpdateService. */
  active: z.boolean(),
});
export type TaskDefinitionStatus = z.infer<typeof TaskDefinitionStatusSchema>;

/** Whether the service has settled: what verify waits for besides the alarm. */
export const DeploymentSteadinessSchema = z.object({
  steady: z.boolean(),
  detail: z.string(),
  taskDefinition: z.string(),
  desiredCount: z.number().int().min(0),
  runningCount: z.number().int().min(0),
  /** Entries in DescribeServices `deployments` (1 when steady). */
  deployments: z.number().int().min(0),
});
export type DeploymentSteadiness = z.infer<typeof DeploymentSteadinessSchema>;

/** Options of `rollback`. */
export interface RollbackRequest {
  /** Why: kept in the log and the incident timeline (ECS UpdateService has no description field). */
  readonly description: string;
}

/** Options of `scaleOut` and `previewScaleOut`. */
export interface ScaleOutRequest {
  /** Never ask for more tasks than this. */
  readonly maxDesiredCount: number;
  /** Growth factor over the baseline. @default 1.5 */
  readonly factor?: number;
  /**
   * The desired count the decision was made on. With it the target is computed from this baseline,
   * so a retry after a successful call finds the target reached and reports `already-applied`.
   * Without it the target is computed from the current count, and every call scales again (up to the cap).
   */
  readonly fromDesiredCount?: number;
}

/** What `restoreService` rolls forward to; pass only what the mitigation being undone changed. */
export interface EcsRestoreTarget {
  readonly taskDefinition?: string;
  readonly desiredCount?: number;
}

/** The service deployment history and DescribeServices show no task definition, other than the current one, that ever reached a successful deployment. */
export class NoStableTaskDefinitionError extends Error {
  override readonly name = 'NoStableTaskDefinitionError';
  constructor(
    readonly ref: EcsServiceRef,
    readonly current: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`no stable task definition to roll ${describeRef(ref)} back to from ${shortTaskDefinition(current)}: ${reason}`, options);
  }
}

/** A mitigation was asked for something that makes no sense (a factor of 1, a negative cap, nothing to restore). */
export class InvalidEcsChangeRequestError extends Error {
  override readonly name = 'InvalidEcsChangeRequestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const ScaleOutRequestSchema = z.object({
  // 0 is allowed and means "never scale out": a preview without a configured cap then says so instead of failing.
  maxDesiredCount: z.number().int().min(0),
  factor: z.number().gt(1).max(100).default(1.5),
  fromDesiredCount: z.number().int().min(0).optional(),
});

/**
 * The desired count a scale-out asks for: `ceil(current × factor)`, at least one more task, never
 * above `maxDesiredCount`. A count already at or above the cap is returned unchanged (never scales in).
 */
export function scaleOutTarget(current: number, options: { maxDesiredCount: number; factor?: number }): number {
  const factor = options.factor ?? 1.5;
  if (current >= options.maxDesiredCount) return current;
  // The epsilon keeps float noise (10 × 1.1 = 11.000000000000002) from adding a task.
  const grown = Math.max(current + 1, Math.ceil(current * factor - 1e-9));
  return Math.min(options.maxDesiredCount, grown);
}

/** How many service deployments (newest first) the stable-revision search reads. */
const HISTORY_LIMIT = 40;
/** ListServiceDeployments pages read at most (100 each). */
const MAX_HISTORY_PAGES = 3;
/** DescribeServiceDeployments and DescribeServiceRevisions take at most 20 ARNs per call. */
const DESCRIBE_BATCH = 20;
/** Service deployment statuses that mean a deployment (or its rollback) is still moving tasks. */
const ONGOING_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'IN_PROGRESS', 'STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS']);
/** Statuses StopServiceDeployment turns into a rollback. */
const STOPPABLE_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'IN_PROGRESS']);
const ROLLING_BACK_STATUSES: ReadonlySet<string> = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS']);

/** ECS reads, rollback and scale-out over `@aws-sdk/client-ecs`. */
export class EcsAdapter {
  constructor(private readonly client: ECSClient = new ECSClient({})) {}

  /**
   * Deployments of the service created inside `window` (inclusive), oldest first.
   * DescribeServices lists the PRIMARY and ACTIVE deployments and, for a while, recent INACTIVE ones,
   * which is the span a change window covers.
   *
   * @throws AwsResourceNotFoundError when the service or its cluster does not exist
   */
  async recentDeployments(ref: EcsServiceRef, window: { from: Date; to: Date }): Promise<EcsDeploymentChange[]> {
    const service = await this.fetchService(ref);
    const from = window.from.getTime();
    const to = window.to.getTime();
    return toDeployments(ref, service)
      .filter((d) => {
        const created = Date.parse(d.createdAt);
        return created >= from && created <= to;
      })
      .reverse()
      .map(({ cluster, service: name, deploymentId, taskDefinition, status, rolloutState, createdAt }) =>
        EcsDeploymentChangeSchema.parse({
          cluster,
          service: name,
          deploymentId,
          taskDefinition,
          status,
          ...(rolloutState !== undefined ? { rolloutState } : {}),
          createdAt,
        }),
      );
  }

  /**
   * The service's task definition, counts and deployments (newest first).
   *
   * @throws AwsResourceNotFoundError when the service or its cluster does not exist
   */
  async describeService(ref: EcsServiceRef): Promise<EcsServiceSnapshot> {
    const service = await this.fetchService(ref);
    const deployments = toDeployments(ref, service);
    const taskDefinition = service.taskDefinition ?? deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition;
    if (taskDefinition === undefined) {
      throw new AwsResourceNotFoundError(`ECS DescribeServices on ${describeRef(ref)} returned no task definition`);
    }
    return EcsServiceSnapshotSchema.parse({
      cluster: ref.cluster,
      service: ref.service,
      status: service.status ?? 'UNKNOWN',
      taskDefinition,
      desiredCount: service.desiredCount ?? 0,
      runningCount: service.runningCount ?? 0,
      pendingCount: service.pendingCount ?? 0,
      deployments,
    });
  }

  /**
   * The task definition a rollback goes back to, read from the service deployment history
   * (ListServiceDeployments → DescribeServiceDeployments → DescribeServiceRevisions), with
   * DescribeServices as the fallback when the history has nothing to say.
   *
   * "Stable" means a revision ECS saw succeed: the target of a SUCCESSFUL service deployment, the
   * revision a rollback restored (ECS rolls back to the last successful revision), or the one
   * revision that ran alone when the oldest recorded deployment started. A revision whose
   * deployments were all STOPPED, rolled back or are still in progress is never stable, however
   * recent. The current task definition is the suspect, unless it was already stable before the
   * most recent change to another revision: then the service has been rolled back already and
   * `stable` equals `current`.
   *
   * @throws NoStableTaskDefinitionError when no other revision ever succeeded
   * @throws AwsResourceNotFoundError when the service or its cluster does not exist
   */
  async findStableTaskDefinition(ref: EcsServiceRef): Promise<StableTaskDefinition> {
    const { finding } = await this.planRollback(ref);
    // zod drops the internal currentIsStable flag.
    return StableTaskDefinitionSchema.parse(finding);
  }

  /** What `rollback` would do now, without changing anything. */
  async previewRollback(ref: EcsServiceRef): Promise<EcsChangePreview> {
    const plan = await this.planRollback(ref);
    const stable = shortTaskDefinition(plan.finding.stable);
    const current = shortTaskDefinition(plan.finding.current);
    const detail =
      plan.step.kind === 'none'
        ? `Nothing to do: ${plan.step.detail}`
        : plan.step.kind === 'stop'
          ? `Would stop the in-progress service deployment ${lastSegment(plan.step.serviceDeploymentArn)} of ${current} on ${describeRef(ref)} with StopServiceDeployment ROLLBACK, which restores ${stable}.`
          : `Would roll ${describeRef(ref)} back from ${current} to ${stable} with UpdateService.`;
    return EcsChangePreviewSchema.parse({
      action: 'ecs-rollback',
      wouldChange: plan.step.kind !== 'none',
      call: plan.step.kind === 'none' ? null : plan.step.kind === 'stop' ? 'StopServiceDeployment' : 'UpdateService',
      before: plan.before,
      after: { taskDefinition: plan.finding.stable },
      detail,
      evidence: plan.finding.evidence,
    });
  }

  /**
   * Rolls the service back to the last stable task definition ({@link findStableTaskDefinition}).
   * While the suspect deployment is still rolling out and ECS would roll it back to that same
   * revision, the deployment is stopped with `StopServiceDeployment` (stop type ROLLBACK);
   * otherwise `UpdateService` deploys the stable revision. Idempotent: a service that already
   * runs, or is already moving to, the stable revision is left alone (`already-applied`).
   * `before` holds the task definition, desired count and PRIMARY deployment found.
   *
   * @throws NoStableTaskDefinitionError when there is nothing stable to go back to
   * @throws TransientAwsError on throttling, or when the deployment finished between read and stop (ConflictException): a retry re-reads
   * @throws AwsAccessDeniedError, AwsResourceNotFoundError, AwsOperationError as classified
   */
  async rollback(ref: EcsServiceRef, request: RollbackRequest): Promise<EcsChangeResult> {
    const plan = await this.planRollback(ref);
    const { finding, before, step } = plan;
    const stable = shortTaskDefinition(finding.stable);
    const current = shortTaskDefinition(finding.current);
    // ECS keeps no description on a deployment; the sentence carries it into the incident timeline.
    const reason = request.description.trim() ? ` — ${request.description.trim()}` : '';

    if (step.kind === 'none') {
      return EcsChangeResultSchema.parse({
        status: 'already-applied',
        action: 'ecs-rollback',
        before,
        after: { taskDefinition: finding.stable, call: null, ...step.after },
        detail: step.detail,
        evidence: finding.evidence,
      });
    }

    if (step.kind === 'stop') {
      const out = await callEcs('ECS StopServiceDeployment', ref, () =>
        this.client.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: step.serviceDeploymentArn, stopType: 'ROLLBACK' })),
      );
      const arn = out.serviceDeploymentArn ?? step.serviceDeploymentArn;
      return EcsChangeResultSchema.parse({
        status: 'applied',
        action: 'ecs-rollback',
        before,
        after: { taskDefinition: finding.stable, call: 'StopServiceDeployment', serviceDeploymentArn: arn },
        detail: `Stopped the in-progress service deployment ${lastSegment(arn)} of ${current} on ${describeRef(ref)} with ROLLBACK; ECS restores ${stable}${reason}.`,
        evidence: finding.evidence,
      });
    }

    const service = await this.updateService(ref, { taskDefinition: finding.stable });
    const deploymentId = primaryDeploymentId(service);
    return EcsChangeResultSchema.parse({
      status: 'applied',
      action: 'ecs-rollback',
      before,
      after: { taskDefinition: finding.stable, call: 'UpdateService', ...(deploymentId ? { deploymentId } : {}) },
      detail: `Rolled ${describeRef(ref)} back from ${current} to ${stable} with UpdateService${deploymentId ? ` (deployment ${deploymentId})` : ''}${reason}.`,
      evidence: finding.evidence,
    });
  }

  /**
   * Whether the service has settled: exactly one deployment (the PRIMARY), its rollout COMPLETED,
   * and as many tasks running as desired. Verify waits for this as well as for the alarm, since an
   * alarm can clear while a rollback or scale-out is still half done.
   *
   * @throws AwsResourceNotFoundError when the service or its cluster does not exist
   */
  async deploymentSteady(ref: EcsServiceRef): Promise<DeploymentSteadiness> {
    const snapshot = await this.describeService(ref);
    const primary = snapshot.deployments.find((d) => d.status === 'PRIMARY');
    // Services behind a Classic Load Balancer report no rolloutState; one deployment is all there is to see then.
    const rolloutDone = primary !== undefined && (primary.rolloutState ?? 'COMPLETED') === 'COMPLETED';
    const steady = snapshot.deployments.length === 1 && rolloutDone && snapshot.runningCount === snapshot.desiredCount;
    const td = shortTaskDefinition(snapshot.taskDefinition);
    const tasks = `${snapshot.runningCount} of ${snapshot.desiredCount} tasks running`;
    const detail = steady
      ? `${capitalize(describeRef(ref))} is steady on ${td}: one deployment, rollout COMPLETED, ${tasks}.`
      : `${capitalize(describeRef(ref))} is not steady yet: ${snapshot.deployments.length} deployment(s), PRIMARY ${td} rollout ${primary?.rolloutState ?? 'unknown'}, ${tasks}.`;
    return DeploymentSteadinessSchema.parse({
      steady,
      detail,
      taskDefinition: snapshot.taskDefinition,
      desiredCount: snapshot.desiredCount,
      runningCount: snapshot.runningCount,
      deployments: snapshot.deployments.length,
    });
  }

  /**
   * A task definition's registration status (readiness of a rollback): ECS refuses UpdateService to
   * an INACTIVE (deregistered) revision, and a DELETE_IN_PROGRESS one is about to disappear.
   *
   * @throws AwsResourceNotFoundError when ECS does not know the task definition at all
   */
  async taskDefinitionStatus(taskDefinition: string): Promise<TaskDefinitionStatus> {
    const td = shortTaskDefinition(taskDefinition);
    const out = await callAws('ECS DescribeTaskDefinition', `task definition ${td}`, async () => {
      try {
        return await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
      } catch (err) {
        // ECS answers an unknown (or deleted) revision with a ClientException, not a not-found error.
        if (awsErrorName(err) === 'ClientException' && /unable to describe task definition/i.test((err as Error).message)) {
          throw new AwsResourceNotFoundError(`ECS DescribeTaskDefinition on ${td} failed: ${(err as Error).message}`, { cause: err });
        }
        throw err;
      }
    });
    const status = out.taskDefinition?.status ?? 'UNKNOWN';
    return TaskDefinitionStatusSchema.parse({ taskDefinition: out.taskDefinition?.taskDefinitionArn ?? taskDefinition, status, active: status === 'ACTIVE' });
  }

  /** What `scaleOut` would do now, without changing anything. */
  async previewScaleOut(ref: EcsServiceRef, request: ScaleOutRequest): Promise<EcsChangePreview> {
    const plan = await this.planScaleOut(ref, request);
    return EcsChangePreviewSchema.parse({
      action: 'ecs-scale-out',
      wouldChange: plan.change,
      call: plan.change ? 'UpdateService' : null,
      before: plan.before,
      after: { desiredCount: plan.target },
      detail: plan.change
        ? `Would scale ${describeRef(ref)} from ${plan.before.desiredCount} to ${plan.target} desired tasks with UpdateService (${plan.rule}).${plan.rollout}`
        : `Nothing to do: ${plan.reason}`,
    });
  }

  /**
   * Scales the service out in place: `UpdateService` with desiredCount `min(maxDesiredCount,
   * ceil(baseline × factor))`, at least one task more. Never exceeds the cap and never scales in;
   * at (or above) the cap it reports `already-applied`. Pass `fromDesiredCount` to make retries
   * idempotent (see {@link ScaleOutRequest}). `before` is `{ desiredCount }`.
   *
   * @throws InvalidEcsChangeRequestError for a negative cap or a factor of 1 or less
   * @throws TransientAwsError, AwsAccessDeniedError, AwsResourceNotFoundError, AwsOperationError as classified
   */
  async scaleOut(ref: EcsServiceRef, request: ScaleOutRequest): Promise<EcsChangeResult> {
    const plan = await this.planScaleOut(ref, request);
    if (!plan.change) {
      return EcsChangeResultSchema.parse({
        status: 'already-applied',
        action: 'ecs-scale-out',
        before: plan.before,
        after: { desiredCount: plan.before.desiredCount, call: null },
        detail: plan.reason,
      });
    }
    await this.updateService(ref, { desiredCount: plan.target });
    return EcsChangeResultSchema.parse({
      status: 'applied',
      action: 'ecs-scale-out',
      before: plan.before,
      after: { desiredCount: plan.target, call: 'UpdateService' },
      detail: `Scaled ${describeRef(ref)} from ${plan.before.desiredCount} to ${plan.target} desired tasks (${plan.rule}); new tasks count once they run.${plan.rollout}`,
    });
  }

  /**
   * Undo: rolls the service forward to a recorded task definition and/or desired count with one
   * `UpdateService`. Pass only what the undone mitigation changed: `{ taskDefinition }` from a
   * rollback's `before`, `{ desiredCount }` (the whole `before`) from a scale-out's. Idempotent:
   * when the PRIMARY deployment already has that task definition and the service that desired
   * count, nothing is called (`already-applied`, even while that deployment still rolls out).
   *
   * @throws InvalidEcsChangeRequestError when `target` names nothing to restore
   */
  async restoreService(ref: EcsServiceRef, target: EcsRestoreTarget): Promise<EcsChangeResult> {
    if (target.taskDefinition === undefined && target.desiredCount === undefined) {
      throw new InvalidEcsChangeRequestError(`restoreService on ${describeRef(ref)} needs a taskDefinition or a desiredCount to restore`);
    }
    if (target.desiredCount !== undefined && (!Number.isInteger(target.desiredCount) || target.desiredCount < 0)) {
      throw new InvalidEcsChangeRequestError(`restoreService on ${describeRef(ref)}: desiredCount must be a non-negative integer, got ${target.desiredCount}`);
    }
    const snapshot = await this.describeService(ref);
    const before = beforeState(snapshot);
    const changes: { taskDefinition?: string; desiredCount?: number } = {};
    if (target.taskDefinition !== undefined && taskDefinitionKey(target.taskDefinition) !== taskDefinitionKey(snapshot.taskDefinition)) {
      changes.taskDefinition = target.taskDefinition;
    }
    if (target.desiredCount !== undefined && target.desiredCount !== snapshot.desiredCount) changes.desiredCount = target.desiredCount;
    const wanted = [
      target.taskDefinition !== undefined ? `task definition ${shortTaskDefinition(target.taskDefinition)}` : '',
      target.desiredCount !== undefined ? `${target.desiredCount} desired tasks` : '',
    ]
      .filter(Boolean)
      .join(' and ');

    if (changes.taskDefinition === undefined && changes.desiredCount === undefined) {
      return EcsChangeResultSchema.parse({
        status: 'already-applied',
        action: 'ecs-restore',
        before,
        after: { taskDefinition: snapshot.taskDefinition, desiredCount: snapshot.desiredCount, call: null },
        detail: `${capitalize(describeRef(ref))} already has ${wanted}; nothing to restore.`,
      });
    }
    const service = await this.updateService(ref, changes);
    const deploymentId = changes.taskDefinition !== undefined ? primaryDeploymentId(service) : undefined;
    return EcsChangeResultSchema.parse({
      status: 'applied',
      action: 'ecs-restore',
      before,
      after: {
        taskDefinition: changes.taskDefinition ?? snapshot.taskDefinition,
        desiredCount: changes.desiredCount ?? snapshot.desiredCount,
        call: 'UpdateService',
        ...(deploymentId ? { deploymentId } : {}),
      },
      detail: `Restored ${describeRef(ref)} to ${wanted} with UpdateService${deploymentId ? ` (deployment ${deploymentId})` : ''}.`,
    });
  }

  private async planScaleOut(ref: EcsServiceRef, request: ScaleOutRequest): Promise<ScaleOutPlan> {
    const parsed = ScaleOutRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new InvalidEcsChangeRequestError(`scaleOut on ${describeRef(ref)}: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
    }
    const { maxDesiredCount, factor, fromDesiredCount } = parsed.data;
    const snapshot = await this.describeService(ref);
    const current = snapshot.desiredCount;
    const before: EcsBeforeState = { desiredCount: current };
    const rollout = rolloutNote(snapshot);
    if (current >= maxDesiredCount) {
      const where = current === maxDesiredCount ? 'the cap' : 'above the cap';
      return {
        before,
        target: current,
        change: false,
        rule: '',
        rollout,
        reason: `${capitalize(describeRef(ref))} already asks for ${current} tasks, ${where} of ${maxDesiredCount} (maxDesiredCount); not scaling further.${rollout}`,
      };
    }
    const base = fromDesiredCount ?? current;
    const target = scaleOutTarget(base, { maxDesiredCount, factor });
    const rule = `${base} × ${factor}, at least +1, capped at ${maxDesiredCount}`;
    if (current >= target) {
      return {
        before,
        target: current,
        change: false,
        rule,
        rollout,
        reason: `${capitalize(describeRef(ref))} already asks for ${current} tasks, at or above the target ${target} (${rule}).${rollout}`,
      };
    }
    return { before, target, change: true, rule, rollout, reason: '' };
  }

  private async planRollback(ref: EcsServiceRef): Promise<RollbackPlan> {
    // DescribeServices first: a missing service fails fast, before any history reads.
    const snapshot = await this.describeService(ref);
    const history = await this.readHistory(ref);
    const finding = chooseStable(ref, snapshot, history);
    const before = beforeState(snapshot);
    const primary = snapshot.deployments.find((d) => d.status === 'PRIMARY');
    const newest = history[0];
    const ongoing = newest !== undefined && ONGOING_STATUSES.has(newest.status) ? newest : undefined;
    const stableKey = taskDefinitionKey(finding.stable);
    const stable = shortTaskDefinition(finding.stable);
    const underWay = {
      ...(primary ? { deploymentId: primary.deploymentId } : {}),
      ...(ongoing ? { serviceDeploymentArn: ongoing.arn } : {}),
    };

    if (finding.currentIsStable) {
      const moving = primary?.rolloutState === 'IN_PROGRESS' || snapshot.deployments.length > 1 || ongoing !== undefined;
      const detail = moving
        ? `${capitalize(describeRef(ref))} is already moving to ${stable}, the last stable task definition (deployment ${primary?.deploymentId ?? 'unknown'}${ongoing ? `, service deployment ${ongoing.status}` : ''}); nothing more to roll back.`
        : `${capitalize(describeRef(ref))} already runs ${stable}, the last stable task definition; nothing to roll back.`;
      return { snapshot, finding, before, step: { kind: 'none', detail, after: underWay } };
    }
    if (ongoing && ROLLING_BACK_STATUSES.has(ongoing.status) && ongoing.rollbackTo?.key === stableKey) {
      const detail = `ECS is already rolling service deployment ${ongoing.id} on ${describeRef(ref)} back to ${stable} (${ongoing.status}); nothing more to do.`;
      return { snapshot, finding, before, step: { kind: 'none', detail, after: underWay } };
    }
    if (
      ongoing &&
      STOPPABLE_STATUSES.has(ongoing.status) &&
      ongoing.target?.key === taskDefinitionKey(finding.current) &&
      // StopServiceDeployment restores ECS's own "last successful revision"; use it only when that is our target too.
      predictEcsRollback(history, ongoing)?.key === stableKey
    ) {
      return { snapshot, finding, before, step: { kind: 'stop', serviceDeploymentArn: ongoing.arn } };
    }
    return { snapshot, finding, before, step: { kind: 'update' } };
  }

  /** The newest service deployments (at most HISTORY_LIMIT), described, newest first. */
  private async readHistory(ref: EcsServiceRef): Promise<HistoryEntry[]> {
    const briefs: ServiceDeploymentBrief[] = [];
    let nextToken: string | undefined;
    // No status filter: the search needs the failed and stopped deployments too, to know what to skip.
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const out = await callEcs('ECS ListServiceDeployments', ref, () =>
        this.client.send(new ListServiceDeploymentsCommand({ cluster: ref.cluster, service: ref.service, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      );
      briefs.push(...(out.serviceDeployments ?? []));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    const newest = briefs
      .filter((b): b is ServiceDeploymentBrief & { serviceDeploymentArn: string } => typeof b.serviceDeploymentArn === 'string')
      .sort((a, b) => timeOf(b) - timeOf(a))
      .slice(0, HISTORY_LIMIT);
    if (newest.length === 0) return [];

    const described = new Map<string, ServiceDeployment>();
    for (const arns of chunks(
      newest.map((b) => b.serviceDeploymentArn),
      DESCRIBE_BATCH,
    )) {
      const out = await callEcs('ECS DescribeServiceDeployments', ref, () => this.client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns })));
      // Failures are deployments ECS no longer describes (MISSING, e.g. older than the history); the brief still counts.
      for (const sd of out.serviceDeployments ?? []) if (sd.serviceDeploymentArn) described.set(sd.serviceDeploymentArn, sd);
    }

    const oldest = newest.at(-1)!;
    const revisionArns = new Set<string>();
    for (const b of newest) {
      const sd = described.get(b.serviceDeploymentArn);
      const target = sd?.targetServiceRevision?.arn ?? b.targetServiceRevisionArn;
      if (target) revisionArns.add(target);
      if (sd?.rollback?.serviceRevisionArn) revisionArns.add(sd.rollback.serviceRevisionArn);
    }
    for (const s of described.get(oldest.serviceDeploymentArn)?.sourceServiceRevisions ?? []) if (s.arn) revisionArns.add(s.arn);

    const taskDefinitions = new Map<string, string>();
    for (const arns of chunks([...revisionArns], DESCRIBE_BATCH)) {
      const out = await callEcs('ECS DescribeServiceRevisions', ref, () => this.client.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: arns })));
      for (const r of out.serviceRevisions ?? []) if (r.serviceRevisionArn && r.taskDefinition) taskDefinitions.set(r.serviceRevisionArn, r.taskDefinition);
    }
    const tdOf = (revisionArn: string | undefined): TaskDefinitionRef | undefined => {
      const td = revisionArn === undefined ? undefined : taskDefinitions.get(revisionArn);
      return td === undefined ? undefined : { arn: td, key: taskDefinitionKey(td), revisionArn: revisionArn! };
    };

    return newest.map((b): HistoryEntry => {
      const sd = described.get(b.serviceDeploymentArn);
      const finished = sd?.finishedAt ?? b.finishedAt;
      const target = tdOf(sd?.targetServiceRevision?.arn ?? b.targetServiceRevisionArn);
      const rollbackTo = tdOf(sd?.rollback?.serviceRevisionArn);
      return {
        arn: b.serviceDeploymentArn,
        id: lastSegment(b.serviceDeploymentArn),
        createdAt: timeOf(b),
        ...(finished instanceof Date ? { finishedAt: finished.getTime() } : {}),
        status: sd?.status ?? b.status ?? 'UNKNOWN',
        ...(target ? { target } : {}),
        ...(rollbackTo ? { rollbackTo } : {}),
        sources: (sd?.sourceServiceRevisions ?? []).map((s) => ({ revisionArn: s.arn ?? '', ...(tdOf(s.arn) ? { td: tdOf(s.arn)! } : {}) })),
      };
    });
  }

  private async updateService(ref: EcsServiceRef, changes: Pick<UpdateServiceCommandInput, 'taskDefinition' | 'desiredCount'>): Promise<Service | undefined> {
    const out = await callEcs('ECS UpdateService', ref, () => this.client.send(new UpdateServiceCommand({ cluster: ref.cluster, service: ref.service, ...changes })));
    return out.service;
  }

  private async fetchService(ref: EcsServiceRef): Promise<Service> {
    const output = await callAws('ECS DescribeServices', describeRef(ref), () => this.client.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] })));
    const failure = output.failures?.[0];
    if (failure) {
      const message = `ECS DescribeServices on ${describeRef(ref)} failed: ${failure.reason ?? 'unknown reason'}${failure.detail ? ` (${failure.detail})` : ''}`;
      throw failure.reason === 'MISSING' ? new AwsResourceNotFoundError(message) : new AwsOperationError(message);
    }
    // ECS matches by name or ARN; take the one answer we asked for.
    const service = output.services?.[0];
    if (!service) throw new AwsResourceNotFoundError(`ECS DescribeServices on ${describeRef(ref)} returned no service`);
    // Deleted services stay visible as INACTIVE for a while; there is nothing to roll back there.
    if (service.status === 'INACTIVE') throw new AwsResourceNotFoundError(`ECS ${describeRef(ref)} is INACTIVE (deleted)`);
    return service;
  }
}

/** The service's deployments that carry the fields triage needs, newest first. */
function toDeployments(ref: EcsServiceRef, service: Service): EcsDeploymentInfo[] {
  return (service.deployments ?? [])
    .filter((d): d is Deployment & { id: string; taskDefinition: string; createdAt: Date } => d.id !== undefined && d.taskDefinition !== undefined && d.createdAt instanceof Date)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((d) => ({
      cluster: ref.cluster,
      service: ref.service,
      deploymentId: d.id,
      taskDefinition: d.taskDefinition,
      status: d.status ?? 'UNKNOWN',
      ...(d.rolloutState !== undefined ? { rolloutState: d.rolloutState } : {}),
      createdAt: d.createdAt.toISOString(),
      desiredCount: d.desiredCount ?? 0,
      runningCount: d.runningCount ?? 0,
      failedTasks: d.failedTasks ?? 0,
      ...(d.rolloutStateReason !== undefined ? { rolloutStateReason: d.rolloutStateReason } : {}),
      ...(d.updatedAt instanceof Date ? { updatedAt: d.updatedAt.toISOString() } : {}),
    }));
}

/** A task definition as ECS reported it (`arn`), its "family:revision" (`key`), and the service revision that named it. */
interface TaskDefinitionRef {
  readonly arn: string;
  readonly key: string;
  readonly revisionArn: string;
}

/** One service deployment of the history, reduced to what the stable-revision search reads. */
interface HistoryEntry {
  readonly arn: string;
  readonly id: string;
  readonly createdAt: number;
  readonly finishedAt?: number;
  readonly status: string;
  readonly target?: TaskDefinitionRef;
  /** The revision a rollback of this deployment restores (or restored). */
  readonly rollbackTo?: TaskDefinitionRef;
  readonly sources: readonly { readonly revisionArn: string; readonly td?: TaskDefinitionRef }[];
}

type StableFinding = StableTaskDefinition & { readonly currentIsStable: boolean };

interface RollbackPlan {
  readonly snapshot: EcsServiceSnapshot;
  readonly finding: StableFinding;
  readonly before: EcsBeforeState;
  readonly step:
    | { readonly kind: 'none'; readonly detail: string; readonly after: { deploymentId?: string; serviceDeploymentArn?: string } }
    | { readonly kind: 'stop'; readonly serviceDeploymentArn: string }
    | { readonly kind: 'update' };
}

/**
 * " A deployment is still in progress: …" when the service is mid-rollout. Scaling then adds tasks of
 * the revision being rolled out, and the service is not steady until that rollout ends.
 */
function rolloutNote(snapshot: EcsServiceSnapshot): string {
  const primary = snapshot.deployments.find((d) => d.status === 'PRIMARY');
  const moving = primary?.rolloutState === 'IN_PROGRESS' || snapshot.deployments.length > 1;
  if (!primary || !moving) return '';
  const others = snapshot.deployments.filter((d) => d !== primary).map((d) => `${shortTaskDefinition(d.taskDefinition)} ${d.status}`);
  return (
    ` A deployment is still in progress (PRIMARY ${primary.deploymentId} ${shortTaskDefinition(primary.taskDefinition)}, rollout ${primary.rolloutState ?? 'unknown'}` +
    `${others.length > 0 ? `; also ${others.join(', ')}` : ''}): added tasks run ${shortTaskDefinition(primary.taskDefinition)}, and the service is not steady until the rollout ends.`
  );
}

interface ScaleOutPlan {
  readonly before: EcsBeforeState;
  readonly target: number;
  readonly change: boolean;
  /** How the target was computed, for the detail sentence. */
  readonly rule: string;
  /** Why nothing changes, when `change` is false. */
  readonly reason: string;
  /** A deployment still rolling out, in words (empty when none): scaling does not make the service steady. */
  readonly rollout: string;
}

/** A revision ECS saw succeed: `since` is the earliest instant it is known stable, `at` orders claims newest first. */
interface Claim {
  readonly td: TaskDefinitionRef;
  readonly at: number;
  readonly since: number;
  readonly why: string;
}

function claimsOf(history: readonly HistoryEntry[]): Claim[] {
  const claims: Claim[] = [];
  for (const e of history) {
    if (e.status === 'SUCCESSFUL' && e.target) {
      const at = e.finishedAt ?? e.createdAt;
      claims.push({ td: e.target, at, since: at, why: `service deployment ${e.id} of ${e.target.key} reached SUCCESSFUL at ${iso(at)}` });
    }
    if (e.rollbackTo && (e.status === 'ROLLBACK_SUCCESSFUL' || ROLLING_BACK_STATUSES.has(e.status))) {
      // ECS rolls back to the last revision that succeeded, so the revision was stable before this deployment began.
      claims.push({
        td: e.rollbackTo,
        at: e.finishedAt ?? e.createdAt,
        since: e.createdAt,
        why: `ECS rolled service deployment ${e.id} back to ${e.rollbackTo.key}, its last successful revision (${e.status})`,
      });
    }
  }
  // The history is only 90 days long: the revision that ran alone before the oldest recorded deployment
  // had finished its own deployment, even if that deployment is no longer listed.
  const oldest = history.at(-1);
  const only = oldest?.sources.length === 1 ? oldest.sources[0] : undefined;
  if (oldest && only?.td && !history.some((e) => e.target?.revisionArn === only.revisionArn)) {
    claims.push({
      td: only.td,
      at: oldest.createdAt,
      since: oldest.createdAt,
      why: `${only.td.key} was the only revision running when service deployment ${oldest.id}, the oldest in the history, started`,
    });
  }
  return claims;
}

/** The stable-revision search over plain data; see `EcsAdapter.findStableTaskDefinition`. */
function chooseStable(ref: EcsServiceRef, snapshot: EcsServiceSnapshot, history: readonly HistoryEntry[]): StableFinding {
  const current = { arn: snapshot.taskDefinition, key: taskDefinitionKey(snapshot.taskDefinition) };
  const claims = claimsOf(history);

  // Already rolled back: the current revision was stable before the latest move to another revision.
  const otherChange = history.find((e) => e.target !== undefined && e.target.key !== current.key);
  if (otherChange) {
    const known = claims.filter((c) => c.td.key === current.key && c.since <= otherChange.createdAt).sort((a, b) => b.since - a.since)[0];
    if (known) {
      return {
        current: current.arn,
        stable: current.arn,
        currentIsStable: true,
        basis: 'service-deployments',
        evidence:
          `${current.key} (current) is the last stable task definition: ${known.why}, before service deployment ${otherChange.id} ` +
          `moved the service to ${otherChange.target!.key} (${otherChange.status}).`,
      };
    }
  }

  const best = claims.filter((c) => c.td.key !== current.key).sort((a, b) => b.at - a.at)[0];
  if (best) {
    const claimed = new Set(claims.map((c) => c.td.key));
    const skipped = new Map<string, string>();
    for (const e of history) {
      if (!e.target || e.createdAt < best.since || claimed.has(e.target.key) || e.target.key === current.key) continue;
      if (!skipped.has(e.target.key)) skipped.set(e.target.key, `${e.target.key} (service deployment ${e.id}, ${e.status})`);
    }
    const skip = skipped.size > 0 ? `; skipped ${[...skipped.values()].join(', ')}, which never reached a successful deployment` : '';
    return {
      current: current.arn,
      stable: best.td.arn,
      currentIsStable: false,
      basis: 'service-deployments',
      evidence: `${best.td.key} is the last stable task definition before ${current.key}: ${best.why}${skip}.`,
    };
  }

  // DescribeServices lists deployments newest first; an ACTIVE one with a COMPLETED rollout ran the service before the PRIMARY.
  const active = snapshot.deployments.find((d) => d.status === 'ACTIVE' && d.rolloutState === 'COMPLETED' && taskDefinitionKey(d.taskDefinition) !== current.key);
  const historyNote =
    history.length === 0 ? 'the service deployment history is empty' : `none of the ${history.length} service deployments in the history shows another revision that succeeded`;
  if (active) {
    return {
      current: current.arn,
      stable: active.taskDefinition,
      currentIsStable: false,
      basis: 'describe-services',
      evidence:
        `${shortTaskDefinition(active.taskDefinition)} is the last stable task definition before ${current.key}: its deployment ${active.deploymentId} ` +
        `completed and is still ACTIVE while ${current.key} rolls out (${historyNote}).`,
    };
  }
  throw new NoStableTaskDefinitionError(ref, current.arn, `${historyNote}, and DescribeServices lists no completed ACTIVE deployment of another revision`);
}

/** The revision ECS's own rollback of `entry` would restore: the newest older deployment that succeeded, or what an older rollback restored. */
function predictEcsRollback(history: readonly HistoryEntry[], entry: HistoryEntry): TaskDefinitionRef | undefined {
  for (const e of history.slice(history.indexOf(entry) + 1)) {
    if (e.status === 'SUCCESSFUL' && e.target) return e.target;
    if (e.status === 'ROLLBACK_SUCCESSFUL' && e.rollbackTo) return e.rollbackTo;
  }
  return undefined;
}

function beforeState(snapshot: EcsServiceSnapshot): EcsBeforeState {
  const primary = snapshot.deployments.find((d) => d.status === 'PRIMARY');
  return { taskDefinition: snapshot.taskDefinition, desiredCount: snapshot.desiredCount, ...(primary ? { deploymentId: primary.deploymentId } : {}) };
}

function primaryDeploymentId(service: Service | undefined): string | undefined {
  return service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
}

/**
 * Runs one ECS call through `callAws`, first naming the ECS-only "deployment is gone" error as
 * not-found (the shared classifier does not know it and would call it a bad request).
 */
async function callEcs<T>(operation: string, ref: EcsServiceRef, call: () => Promise<T>): Promise<T> {
  return callAws(operation, describeRef(ref), async () => {
    try {
      return await call();
    } catch (err) {
      if (awsErrorName(err) === 'ServiceDeploymentNotFoundException') {
        throw new AwsResourceNotFoundError(`${operation} on ${describeRef(ref)} failed: ServiceDeploymentNotFoundException: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
  });
}

/** "family:revision" of a task definition ARN or reference, for comparing and for sentences. */
function taskDefinitionKey(taskDefinition: string): string {
  const marker = 'task-definition/';
  const at = taskDefinition.indexOf(marker);
  return at >= 0 ? taskDefinition.slice(at + marker.length) : taskDefinition;
}

function shortTaskDefinition(taskDefinition: string): string {
  return taskDefinitionKey(taskDefinition);
}

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function timeOf(d: { createdAt?: Date | undefined; startedAt?: Date | undefined }): number {
  return (d.createdAt ?? d.startedAt)?.getTime() ?? 0;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
