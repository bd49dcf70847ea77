import { DescribeServicesCommand, ECSClient, type Deployment, type Service } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { EcsDeploymentChangeSchema, type EcsDeploymentChange } from '../core/model.js';
import { AwsOperationError, AwsResourceNotFoundError, callAws } from './errors.js';

/**
 * ECS service deployments: what was rolled out recently (triage) and the service's current shape
 * (the starting point of a rollback or a scale-out).
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

/** ECS reads over `@aws-sdk/client-ecs`. */
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

  private async fetchService(ref: EcsServiceRef): Promise<Service> {
    const output = await callAws('ECS DescribeServices', describeRef(ref), () =>
      this.client.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] })),
    );
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
    .filter((d): d is Deployment & { id: string; taskDefinition: string; createdAt: Date } =>
      d.id !== undefined && d.taskDefinition !== undefined && d.createdAt instanceof Date,
    )
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
