import { beforeEach, describe, expect, it } from '@jest/globals';
import { ClusterNotFoundException, DescribeServicesCommand, ECSClient, type Deployment } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsAdapter } from '../../../lambdas/adapters/ecs-deployments.js';
import { AwsAccessDeniedError, AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { sdkError } from './sdk-errors.js';

const ecs = mockClient(ECSClient);
const ref = { cluster: 'shop-prod', service: 'checkout' };
const window = { from: new Date('2026-11-02T10:00:00Z'), to: new Date('2026-11-02T10:30:00Z') };
const td = (revision: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/checkout:${revision}`;

const deployment = (id: string, revision: number, status: string, createdAt: string, extra: Partial<Deployment> = {}): Deployment => ({
  id,
  status,
  taskDefinition: td(revision),
  createdAt: new Date(createdAt),
  updatedAt: new Date(createdAt),
  desiredCount: 4,
  runningCount: status === 'PRIMARY' ? 2 : 4,
  pendingCount: 0,
  failedTasks: 0,
  ...extra,
});

function givenService(deployments: Deployment[], extra: Record<string, unknown> = {}): void {
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'checkout',
        serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-prod/checkout',
        status: 'ACTIVE',
        taskDefinition: td(42),
        desiredCount: 4,
        runningCount: 6,
        pendingCount: 0,
        deployments,
        ...extra,
      },
    ],
    failures: [],
  });
}

describe('EcsAdapter.recentDeployments', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);

  beforeEach(() => {
    ecs.reset();
  });

  it('returns the deployments created in the window, oldest first', async () => {
    // Listed newest-last on purpose: the adapter sorts by createdAt itself.
    givenService([
      deployment('ecs-svc/old', 40, 'INACTIVE', '2026-11-01T09:00:00Z', { rolloutState: 'COMPLETED' }),
      deployment('ecs-svc/prev', 41, 'ACTIVE', '2026-11-02T10:00:00Z', { rolloutState: 'COMPLETED' }),
      deployment('ecs-svc/new', 42, 'PRIMARY', '2026-11-02T10:12:00Z', { rolloutState: 'IN_PROGRESS' }),
    ]);

    const changes = await adapter.recentDeployments(ref, window);

    expect(changes).toEqual([
      {
        cluster: 'shop-prod',
        service: 'checkout',
        deploymentId: 'ecs-svc/prev',
        taskDefinition: td(41),
        status: 'ACTIVE',
        rolloutState: 'COMPLETED',
        createdAt: '2026-11-02T10:00:00.000Z',
      },
      {
        cluster: 'shop-prod',
        service: 'checkout',
        deploymentId: 'ecs-svc/new',
        taskDefinition: td(42),
        status: 'PRIMARY',
        rolloutState: 'IN_PROGRESS',
        createdAt: '2026-11-02T10:12:00.000Z',
      },
    ]);
    expect(ecs.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'shop-prod', services: ['checkout'] }]);
  });

  it('leaves rolloutState out when ECS does not report it', async () => {
    givenService([deployment('ecs-svc/new', 42, 'PRIMARY', '2026-11-02T10:12:00Z')]);

    const [change] = await adapter.recentDeployments(ref, window);

    expect(change).not.toHaveProperty('rolloutState');
  });

  it('returns nothing when no deployment is in the window', async () => {
    givenService([
      deployment('ecs-svc/later', 43, 'PRIMARY', '2026-11-02T10:30:01Z'),
      deployment('ecs-svc/old', 42, 'ACTIVE', '2026-11-02T09:59:59Z'),
    ]);

    await expect(adapter.recentDeployments(ref, window)).resolves.toEqual([]);
  });

  it('throws AwsResourceNotFoundError when DescribeServices reports the service MISSING', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [],
      failures: [{ arn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-prod/checkout', reason: 'MISSING' }],
    });

    await expect(adapter.recentDeployments(ref, window)).rejects.toThrow(
      new AwsResourceNotFoundError('ECS DescribeServices on service checkout in cluster shop-prod failed: MISSING'),
    );
  });

  it('throws AwsResourceNotFoundError when no service comes back', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [] });

    await expect(adapter.recentDeployments(ref, window)).rejects.toThrow(AwsResourceNotFoundError);
  });

  it('treats an INACTIVE (deleted) service as not found', async () => {
    givenService([deployment('ecs-svc/new', 42, 'PRIMARY', '2026-11-02T10:12:00Z')], { status: 'INACTIVE' });

    await expect(adapter.recentDeployments(ref, window)).rejects.toThrow(/INACTIVE/);
  });

  it('maps ClusterNotFoundException to AwsResourceNotFoundError', async () => {
    ecs.on(DescribeServicesCommand).rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: { httpStatusCode: 400 } }));

    await expect(adapter.recentDeployments(ref, window)).rejects.toThrow(AwsResourceNotFoundError);
  });

  it('maps throttling to TransientAwsError', async () => {
    ecs.on(DescribeServicesCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));

    await expect(adapter.recentDeployments(ref, window)).rejects.toThrow(TransientAwsError);
  });

  it('maps access denied to AwsAccessDeniedError', async () => {
    ecs.on(DescribeServicesCommand).rejects(sdkError('AccessDeniedException', 'not authorized to perform ecs:DescribeServices', { status: 403 }));

    await expect(adapter.recentDeployments(ref, window)).rejects.toThrow(AwsAccessDeniedError);
  });
});

describe('EcsAdapter.describeService', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);

  beforeEach(() => {
    ecs.reset();
  });

  it('returns the task definition, counts and deployments newest first', async () => {
    givenService([
      deployment('ecs-svc/prev', 41, 'ACTIVE', '2026-11-02T10:00:00Z', { rolloutState: 'COMPLETED', runningCount: 4 }),
      deployment('ecs-svc/new', 42, 'PRIMARY', '2026-11-02T10:12:00Z', {
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: 'ECS deployment ecs-svc/new in progress.',
        runningCount: 2,
        failedTasks: 3,
      }),
    ]);

    const snapshot = await adapter.describeService(ref);

    expect(snapshot).toEqual({
      cluster: 'shop-prod',
      service: 'checkout',
      status: 'ACTIVE',
      taskDefinition: td(42),
      desiredCount: 4,
      runningCount: 6,
      pendingCount: 0,
      deployments: [
        {
          cluster: 'shop-prod',
          service: 'checkout',
          deploymentId: 'ecs-svc/new',
          taskDefinition: td(42),
          status: 'PRIMARY',
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: 'ECS deployment ecs-svc/new in progress.',
          createdAt: '2026-11-02T10:12:00.000Z',
          updatedAt: '2026-11-02T10:12:00.000Z',
          desiredCount: 4,
          runningCount: 2,
          failedTasks: 3,
        },
        {
          cluster: 'shop-prod',
          service: 'checkout',
          deploymentId: 'ecs-svc/prev',
          taskDefinition: td(41),
          status: 'ACTIVE',
          rolloutState: 'COMPLETED',
          createdAt: '2026-11-02T10:00:00.000Z',
          updatedAt: '2026-11-02T10:00:00.000Z',
          desiredCount: 4,
          runningCount: 4,
          failedTasks: 0,
        },
      ],
    });
    expect(ecs.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toEqual({ cluster: 'shop-prod', services: ['checkout'] });
  });

  it('falls back to the PRIMARY deployment task definition', async () => {
    givenService([deployment('ecs-svc/new', 43, 'PRIMARY', '2026-11-02T10:12:00Z')], { taskDefinition: undefined });

    await expect(adapter.describeService(ref)).resolves.toMatchObject({ taskDefinition: td(43) });
  });
});
