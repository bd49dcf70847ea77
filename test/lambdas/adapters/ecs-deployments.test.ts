import {
  ClusterNotFoundException,
  ConflictException,
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type ServiceDeployment,
  ServiceDeploymentNotFoundException,
  type ServiceDeploymentStatus,
  ServiceNotFoundException,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { EcsAdapter, EcsChangeResultSchema, InvalidEcsChangeRequestError, NoStableTaskDefinitionError, scaleOutTarget } from '../../../lambdas/adapters/ecs-deployments.js';
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
    givenService([deployment('ecs-svc/later', 43, 'PRIMARY', '2026-11-02T10:30:01Z'), deployment('ecs-svc/old', 42, 'ACTIVE', '2026-11-02T09:59:59Z')]);

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

// ---- rollback, scale-out, restore ----

const sdArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-prod/checkout/${id}`;
const revArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-revision/shop-prod/checkout/${id}`;

/** One service deployment of the history; task definitions are revision numbers of checkout. */
interface HistoryItem {
  id: string;
  td: number;
  status: ServiceDeploymentStatus;
  created: string;
  finished?: string;
  rollbackTo?: number;
  sources?: number[];
}

/**
 * Answers ListServiceDeployments (as listed, newest first), DescribeServiceDeployments and
 * DescribeServiceRevisions. Each deployment targets its own revision ("rev-<id>"); rollbacks and
 * sources point at the revision of the newest listed deployment of that task definition, or at
 * "old-<td>" when none is listed (a revision older than the history).
 */
function givenHistory(items: HistoryItem[]): void {
  const revisionFor = (tdRevision: number, olderThan: number): string => {
    const owner = items.slice(olderThan).find((i) => i.td === tdRevision);
    return revArn(owner ? `rev-${owner.id}` : `old-${tdRevision}`);
  };
  const described = new Map<string, ServiceDeployment>(
    items.map((i, index) => [
      sdArn(i.id),
      {
        serviceDeploymentArn: sdArn(i.id),
        createdAt: new Date(i.created),
        startedAt: new Date(i.created),
        ...(i.finished ? { finishedAt: new Date(i.finished) } : {}),
        status: i.status,
        targetServiceRevision: { arn: revArn(`rev-${i.id}`), requestedTaskCount: 4, runningTaskCount: 0, pendingTaskCount: 0 },
        sourceServiceRevisions: (i.sources ?? []).map((t) => ({ arn: revisionFor(t, index + 1), requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 })),
        ...(i.rollbackTo !== undefined ? { rollback: { reason: 'stopped', startedAt: new Date(i.created), serviceRevisionArn: revisionFor(i.rollbackTo, index + 1) } } : {}),
      },
    ]),
  );
  const tdOfRevision = new Map<string, number>();
  items.forEach((i) => tdOfRevision.set(revArn(`rev-${i.id}`), i.td));
  for (const i of items)
    for (const t of [...(i.sources ?? []), ...(i.rollbackTo !== undefined ? [i.rollbackTo] : [])]) {
      if (!items.some((x) => x.td === t)) tdOfRevision.set(revArn(`old-${t}`), t);
    }

  ecs.on(ListServiceDeploymentsCommand).resolves({
    serviceDeployments: items.map((i) => ({
      serviceDeploymentArn: sdArn(i.id),
      createdAt: new Date(i.created),
      startedAt: new Date(i.created),
      targetServiceRevisionArn: revArn(`rev-${i.id}`),
      status: i.status,
    })),
  });
  ecs.on(DescribeServiceDeploymentsCommand).callsFake((input: { serviceDeploymentArns: string[] }) => ({
    serviceDeployments: input.serviceDeploymentArns.map((a) => described.get(a)).filter((d) => d !== undefined),
    failures: input.serviceDeploymentArns.filter((a) => !described.has(a)).map((arn) => ({ arn, reason: 'MISSING' })),
  }));
  ecs.on(DescribeServiceRevisionsCommand).callsFake((input: { serviceRevisionArns: string[] }) => ({
    serviceRevisions: input.serviceRevisionArns.filter((a) => tdOfRevision.has(a)).map((a) => ({ serviceRevisionArn: a, taskDefinition: td(tdOfRevision.get(a)!) })),
    failures: [],
  }));
}

/** A service whose PRIMARY runs `primary` (COMPLETED unless stated), plus the other deployments given. */
function givenRunning(primary: number, options: { rollout?: 'IN_PROGRESS' | 'COMPLETED'; others?: Deployment[]; desiredCount?: number; runningCount?: number } = {}): void {
  const desiredCount = options.desiredCount ?? 4;
  givenService(
    [
      deployment('ecs-svc/primary', primary, 'PRIMARY', '2026-11-02T10:12:00Z', {
        rolloutState: options.rollout ?? 'COMPLETED',
        desiredCount,
        runningCount: options.runningCount ?? desiredCount,
      }),
      ...(options.others ?? []),
    ],
    { taskDefinition: td(primary), desiredCount, runningCount: options.runningCount ?? desiredCount },
  );
}

const STABLE_41 = { id: 'd41', td: 41, status: 'SUCCESSFUL', created: '2026-11-01T09:00:00Z', finished: '2026-11-01T09:02:00Z' } as const;
const writes = () => [...ecs.commandCalls(UpdateServiceCommand), ...ecs.commandCalls(StopServiceDeploymentCommand)];

describe('EcsAdapter.findStableTaskDefinition', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);

  beforeEach(() => {
    ecs.reset();
  });

  it('takes the revision of the last SUCCESSFUL deployment before the current one', async () => {
    givenRunning(42);
    givenHistory([{ id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' }, STABLE_41]);

    const found = await adapter.findStableTaskDefinition(ref);

    expect(found).toEqual({
      current: td(42),
      stable: td(41),
      basis: 'service-deployments',
      evidence: 'checkout:41 is the last stable task definition before checkout:42: service deployment d41 of checkout:41 reached SUCCESSFUL at 2026-11-01T09:02:00.000Z.',
    });
    expect(ecs.commandCalls(ListServiceDeploymentsCommand)[0]!.args[0].input).toEqual({ cluster: 'shop-prod', service: 'checkout', maxResults: 100 });
    expect(ecs.commandCalls(DescribeServiceDeploymentsCommand)[0]!.args[0].input).toEqual({ serviceDeploymentArns: [sdArn('d42'), sdArn('d41')] });
  });

  it.each<[ServiceDeploymentStatus, Partial<HistoryItem>]>([
    ['STOPPED', {}],
    ['ROLLBACK_SUCCESSFUL', { rollbackTo: 41 }],
    ['ROLLBACK_FAILED', { rollbackTo: 41 }],
  ])('skips revision N-1 when its deployment ended %s, however recent', async (status, extra) => {
    givenRunning(43);
    givenHistory([
      { id: 'd43', td: 43, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' },
      { id: 'd42', td: 42, status, created: '2026-11-02T08:00:00Z', finished: '2026-11-02T08:03:00Z', ...extra },
      STABLE_41,
    ]);

    const found = await adapter.findStableTaskDefinition(ref);

    expect(found.stable).toBe(td(41));
    expect(found.evidence).toContain(`skipped checkout:42 (service deployment d42, ${status}), which never reached a successful deployment`);
  });

  it('counts the revision an ECS rollback restored as stable, even when its own deployment is older than the history', async () => {
    givenRunning(43);
    givenHistory([
      { id: 'd43', td: 43, status: 'IN_PROGRESS', created: '2026-11-02T10:12:00Z' },
      { id: 'd42', td: 42, status: 'ROLLBACK_SUCCESSFUL', created: '2026-11-02T08:00:00Z', finished: '2026-11-02T08:03:00Z', rollbackTo: 40 },
    ]);

    const found = await adapter.findStableTaskDefinition(ref);

    expect(found.stable).toBe(td(40));
    expect(found.evidence).toContain('ECS rolled service deployment d42 back to checkout:40');
  });

  it('takes the only revision running before the oldest recorded deployment', async () => {
    givenRunning(43);
    givenHistory([{ id: 'd43', td: 43, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z', sources: [41] }]);

    await expect(adapter.findStableTaskDefinition(ref)).resolves.toMatchObject({
      stable: td(41),
      evidence: expect.stringContaining('checkout:41 was the only revision running when service deployment d43, the oldest in the history, started'),
    });
  });

  it('reports the current revision as stable once the service is back on it', async () => {
    givenRunning(41);
    givenHistory([
      { id: 'd41b', td: 41, status: 'SUCCESSFUL', created: '2026-11-02T10:20:00Z', finished: '2026-11-02T10:22:00Z' },
      { id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' },
      STABLE_41,
    ]);

    await expect(adapter.findStableTaskDefinition(ref)).resolves.toMatchObject({
      current: td(41),
      stable: td(41),
      evidence: expect.stringMatching(
        /^checkout:41 \(current\) is the last stable task definition: service deployment d41 .* before service deployment d42 moved the service to checkout:42/,
      ),
    });
  });

  it('falls back to the completed ACTIVE deployment when the history is empty', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS', others: [deployment('ecs-svc/prev', 41, 'ACTIVE', '2026-11-01T09:00:00Z', { rolloutState: 'COMPLETED' })] });
    ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });

    await expect(adapter.findStableTaskDefinition(ref)).resolves.toMatchObject({ stable: td(41), basis: 'describe-services' });
    expect(ecs.commandCalls(DescribeServiceDeploymentsCommand)).toHaveLength(0);
  });

  it('throws NoStableTaskDefinitionError when no other revision ever succeeded', async () => {
    givenRunning(42);
    givenHistory([
      { id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' },
      { id: 'd40', td: 40, status: 'STOPPED', created: '2026-11-01T09:00:00Z', finished: '2026-11-01T09:01:00Z' },
    ]);

    const error = await adapter.findStableTaskDefinition(ref).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NoStableTaskDefinitionError);
    expect((error as Error).message).toBe(
      'no stable task definition to roll service checkout in cluster shop-prod back to from checkout:42: none of the 2 service deployments in the history shows another revision that succeeded, and DescribeServices lists no completed ACTIVE deployment of another revision',
    );
  });

  it('reads every page of the history and describes it 20 ARNs at a time', async () => {
    givenRunning(42);
    const items: HistoryItem[] = Array.from({ length: 25 }, (_, i) => ({
      id: `d${i}`,
      td: i === 0 ? 42 : 30 + (i % 3),
      status: i === 0 ? 'SUCCESSFUL' : 'STOPPED',
      created: new Date(Date.parse('2026-11-02T10:00:00Z') - i * 3_600_000).toISOString(),
      finished: new Date(Date.parse('2026-11-02T10:02:00Z') - i * 3_600_000).toISOString(),
    }));
    items[24] = { ...items[24]!, td: 41, status: 'SUCCESSFUL' };
    givenHistory(items);
    // Serve the list in two pages.
    const briefs = items.map((i) => ({ serviceDeploymentArn: sdArn(i.id), createdAt: new Date(i.created), status: i.status, targetServiceRevisionArn: revArn(`rev-${i.id}`) }));
    ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: briefs.slice(0, 10), nextToken: 'page-2' });
    ecs.on(ListServiceDeploymentsCommand, { cluster: 'shop-prod', service: 'checkout', maxResults: 100, nextToken: 'page-2' }).resolves({ serviceDeployments: briefs.slice(10) });

    await expect(adapter.findStableTaskDefinition(ref)).resolves.toMatchObject({ stable: td(41) });
    expect(ecs.commandCalls(ListServiceDeploymentsCommand)).toHaveLength(2);
    expect(ecs.commandCalls(DescribeServiceDeploymentsCommand).map((c) => c.args[0].input.serviceDeploymentArns!.length)).toEqual([20, 5]);
  });
});

describe('EcsAdapter.rollback', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);
  const request = { description: 'INC-7 checkout-5xx-rate' };

  beforeEach(() => {
    ecs.reset();
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/rollback', status: 'PRIMARY' }] } });
    ecs.on(StopServiceDeploymentCommand).callsFake((input: { serviceDeploymentArn: string }) => ({ serviceDeploymentArn: input.serviceDeploymentArn }));
  });

  it('deploys the last stable task definition with UpdateService when no deployment is in progress', async () => {
    givenRunning(42);
    givenHistory([{ id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' }, STABLE_41]);

    const result = await adapter.rollback(ref, request);

    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'shop-prod', service: 'checkout', taskDefinition: td(41) }]);
    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(EcsChangeResultSchema.parse(result)).toEqual(result);
    expect(result).toEqual({
      status: 'applied',
      action: 'ecs-rollback',
      before: { taskDefinition: td(42), desiredCount: 4, deploymentId: 'ecs-svc/primary' },
      after: { taskDefinition: td(41), call: 'UpdateService', deploymentId: 'ecs-svc/rollback' },
      detail: 'Rolled service checkout in cluster shop-prod back from checkout:42 to checkout:41 with UpdateService (deployment ecs-svc/rollback) — INC-7 checkout-5xx-rate.',
      evidence: expect.stringContaining('service deployment d41 of checkout:41 reached SUCCESSFUL'),
    });
  });

  it('skips a revision that never succeeded instead of going to revision - 1', async () => {
    givenRunning(43);
    givenHistory([
      { id: 'd43', td: 43, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' },
      { id: 'd42', td: 42, status: 'STOPPED', created: '2026-11-02T08:00:00Z', finished: '2026-11-02T08:01:00Z' },
      STABLE_41,
    ]);

    const result = await adapter.rollback(ref, request);

    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.taskDefinition).toBe(td(41));
    expect(result.after.taskDefinition).toBe(td(41));
  });

  it('stops a deployment in progress with StopServiceDeployment ROLLBACK', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS', others: [deployment('ecs-svc/prev', 41, 'ACTIVE', '2026-11-01T09:00:00Z', { rolloutState: 'COMPLETED' })] });
    givenHistory([{ id: 'd42', td: 42, status: 'IN_PROGRESS', created: '2026-11-02T10:12:00Z', sources: [41] }, STABLE_41]);

    const result = await adapter.rollback(ref, request);

    expect(ecs.commandCalls(StopServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ serviceDeploymentArn: sdArn('d42'), stopType: 'ROLLBACK' }]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'applied',
      before: { taskDefinition: td(42), desiredCount: 4, deploymentId: 'ecs-svc/primary' },
      after: { taskDefinition: td(41), call: 'StopServiceDeployment', serviceDeploymentArn: sdArn('d42') },
      detail:
        'Stopped the in-progress service deployment d42 of checkout:42 on service checkout in cluster shop-prod with ROLLBACK; ECS restores checkout:41 — INC-7 checkout-5xx-rate.',
    });
  });

  it('uses UpdateService when ECS would roll the in-progress deployment back to the suspect revision itself', async () => {
    // A forced redeploy of 42 is in progress; ECS's "last successful revision" is 42, the suspect.
    givenRunning(42, { rollout: 'IN_PROGRESS' });
    givenHistory([
      { id: 'd42b', td: 42, status: 'IN_PROGRESS', created: '2026-11-02T10:20:00Z' },
      { id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' },
      STABLE_41,
    ]);

    await adapter.rollback(ref, request);

    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.taskDefinition).toBe(td(41));
  });

  it('changes nothing on a re-run while its own UpdateService rollout is under way', async () => {
    givenRunning(41, { rollout: 'IN_PROGRESS', others: [deployment('ecs-svc/bad', 42, 'ACTIVE', '2026-11-02T10:12:00Z', { rolloutState: 'COMPLETED' })] });
    givenHistory([
      { id: 'd41b', td: 41, status: 'IN_PROGRESS', created: '2026-11-02T10:20:00Z', sources: [42] },
      { id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' },
      STABLE_41,
    ]);

    const result = await adapter.rollback(ref, request);

    expect(writes()).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'already-applied',
      before: { taskDefinition: td(41) },
      after: { taskDefinition: td(41), call: null, deploymentId: 'ecs-svc/primary', serviceDeploymentArn: sdArn('d41b') },
      detail:
        'Service checkout in cluster shop-prod is already moving to checkout:41, the last stable task definition (deployment ecs-svc/primary, service deployment IN_PROGRESS); nothing more to roll back.',
    });
  });

  it('changes nothing on a re-run after the rollback completed', async () => {
    givenRunning(41);
    givenHistory([
      { id: 'd41b', td: 41, status: 'SUCCESSFUL', created: '2026-11-02T10:20:00Z', finished: '2026-11-02T10:22:00Z' },
      { id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' },
      STABLE_41,
    ]);

    const result = await adapter.rollback(ref, request);

    expect(writes()).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'already-applied',
      detail: 'Service checkout in cluster shop-prod already runs checkout:41, the last stable task definition; nothing to roll back.',
    });
  });

  it('changes nothing on a re-run after StopServiceDeployment, while ECS rolls back', async () => {
    givenRunning(41, { rollout: 'IN_PROGRESS', others: [deployment('ecs-svc/bad', 42, 'ACTIVE', '2026-11-02T10:12:00Z', { rolloutState: 'FAILED' })] });
    givenHistory([{ id: 'd42', td: 42, status: 'ROLLBACK_IN_PROGRESS', created: '2026-11-02T10:12:00Z', rollbackTo: 41, sources: [41] }, STABLE_41]);

    const result = await adapter.rollback(ref, request);

    expect(writes()).toHaveLength(0);
    expect(result.status).toBe('already-applied');
  });

  it('changes nothing when ECS is rolling back to the stable revision although DescribeServices still shows the suspect', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS' });
    givenHistory([{ id: 'd42', td: 42, status: 'ROLLBACK_REQUESTED', created: '2026-11-02T10:12:00Z', rollbackTo: 41 }, STABLE_41]);

    const result = await adapter.rollback(ref, request);

    expect(writes()).toHaveLength(0);
    expect(result.detail).toBe(
      'ECS is already rolling service deployment d42 on service checkout in cluster shop-prod back to checkout:41 (ROLLBACK_REQUESTED); nothing more to do.',
    );
  });

  it('rolls back with UpdateService to the DescribeServices fallback when the history is empty', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS', others: [deployment('ecs-svc/prev', 41, 'ACTIVE', '2026-11-01T09:00:00Z', { rolloutState: 'COMPLETED' })] });
    ecs.on(ListServiceDeploymentsCommand).resolves({});

    const result = await adapter.rollback(ref, request);

    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.taskDefinition).toBe(td(41));
    expect(result.evidence).toContain('its deployment ecs-svc/prev completed and is still ACTIVE while checkout:42 rolls out (the service deployment history is empty)');
  });

  it('changes nothing and throws NoStableTaskDefinitionError when there is nothing to go back to', async () => {
    givenRunning(42);
    givenHistory([{ id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' }]);

    await expect(adapter.rollback(ref, request)).rejects.toBeInstanceOf(NoStableTaskDefinitionError);
    expect(writes()).toHaveLength(0);
  });

  it('maps throttling of the history read to TransientAwsError', async () => {
    givenRunning(42);
    ecs.on(ListServiceDeploymentsCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));

    await expect(adapter.rollback(ref, request)).rejects.toThrow(TransientAwsError);
    expect(writes()).toHaveLength(0);
  });

  it('maps throttling of UpdateService to TransientAwsError', async () => {
    givenRunning(42);
    givenHistory([{ id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' }, STABLE_41]);
    ecs.on(UpdateServiceCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));

    await expect(adapter.rollback(ref, request)).rejects.toThrow(TransientAwsError);
  });

  it('maps a deployment that finished between read and stop (ConflictException) to TransientAwsError, so a retry re-reads', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS' });
    givenHistory([{ id: 'd42', td: 42, status: 'IN_PROGRESS', created: '2026-11-02T10:12:00Z' }, STABLE_41]);
    ecs.on(StopServiceDeploymentCommand).rejects(new ConflictException({ message: 'The service deployment is SUCCESSFUL.', $metadata: { httpStatusCode: 400 } }));

    await expect(adapter.rollback(ref, request)).rejects.toThrow(TransientAwsError);
  });

  it('maps AccessDenied on the history to AwsAccessDeniedError', async () => {
    givenRunning(42);
    givenHistory([STABLE_41]);
    ecs.on(DescribeServiceDeploymentsCommand).rejects(sdkError('AccessDeniedException', 'not authorized to perform ecs:DescribeServiceDeployments'));

    await expect(adapter.rollback(ref, request)).rejects.toThrow(AwsAccessDeniedError);
  });

  it('maps AccessDenied on UpdateService to AwsAccessDeniedError', async () => {
    givenRunning(42);
    givenHistory([{ id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' }, STABLE_41]);
    ecs.on(UpdateServiceCommand).rejects(sdkError('AccessDeniedException', 'not authorized to perform ecs:UpdateService'));

    await expect(adapter.rollback(ref, request)).rejects.toThrow(AwsAccessDeniedError);
  });

  it('maps ServiceNotFoundException to AwsResourceNotFoundError', async () => {
    givenRunning(42);
    givenHistory([{ id: 'd42', td: 42, status: 'SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:14:00Z' }, STABLE_41]);
    ecs.on(UpdateServiceCommand).rejects(new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } }));

    await expect(adapter.rollback(ref, request)).rejects.toThrow(AwsResourceNotFoundError);
  });

  it('maps ServiceDeploymentNotFoundException to AwsResourceNotFoundError', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS' });
    givenHistory([{ id: 'd42', td: 42, status: 'IN_PROGRESS', created: '2026-11-02T10:12:00Z' }, STABLE_41]);
    ecs.on(StopServiceDeploymentCommand).rejects(new ServiceDeploymentNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 400 } }));

    await expect(adapter.rollback(ref, request)).rejects.toThrow(AwsResourceNotFoundError);
  });

  it('reports a missing service before reading the history', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'x', reason: 'MISSING' }] });

    await expect(adapter.rollback(ref, request)).rejects.toThrow(AwsResourceNotFoundError);
    expect(ecs.commandCalls(ListServiceDeploymentsCommand)).toHaveLength(0);
  });
});

describe('EcsAdapter.previewRollback', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);

  beforeEach(() => {
    ecs.reset();
  });

  it('says what it would do and calls nothing that writes', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS' });
    givenHistory([{ id: 'd42', td: 42, status: 'IN_PROGRESS', created: '2026-11-02T10:12:00Z' }, STABLE_41]);

    const preview = await adapter.previewRollback(ref);

    expect(writes()).toHaveLength(0);
    expect(preview).toMatchObject({
      action: 'ecs-rollback',
      wouldChange: true,
      call: 'StopServiceDeployment',
      before: { taskDefinition: td(42), desiredCount: 4 },
      after: { taskDefinition: td(41) },
      detail:
        'Would stop the in-progress service deployment d42 of checkout:42 on service checkout in cluster shop-prod with StopServiceDeployment ROLLBACK, which restores checkout:41.',
    });
  });

  it('says when there is nothing to do', async () => {
    givenRunning(41);
    givenHistory([{ id: 'd42', td: 42, status: 'ROLLBACK_SUCCESSFUL', created: '2026-11-02T10:12:00Z', finished: '2026-11-02T10:13:00Z', rollbackTo: 41 }, STABLE_41]);

    await expect(adapter.previewRollback(ref)).resolves.toMatchObject({ wouldChange: false, call: null, detail: expect.stringMatching(/^Nothing to do: /) });
  });
});

describe('EcsAdapter.deploymentSteady', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);

  beforeEach(() => {
    ecs.reset();
  });

  it('is steady with one COMPLETED deployment and every task running', async () => {
    givenRunning(41);

    await expect(adapter.deploymentSteady(ref)).resolves.toEqual({
      steady: true,
      detail: 'Service checkout in cluster shop-prod is steady on checkout:41: one deployment, rollout COMPLETED, 4 of 4 tasks running.',
      taskDefinition: td(41),
      desiredCount: 4,
      runningCount: 4,
      deployments: 1,
    });
  });

  it('is not steady while an older deployment still drains', async () => {
    givenRunning(41, { rollout: 'IN_PROGRESS', others: [deployment('ecs-svc/bad', 42, 'ACTIVE', '2026-11-02T10:12:00Z')] });

    await expect(adapter.deploymentSteady(ref)).resolves.toMatchObject({
      steady: false,
      detail: 'Service checkout in cluster shop-prod is not steady yet: 2 deployment(s), PRIMARY checkout:41 rollout IN_PROGRESS, 4 of 4 tasks running.',
    });
  });

  it('is not steady while scaled-out tasks are still starting', async () => {
    givenRunning(41, { desiredCount: 6, runningCount: 4 });

    await expect(adapter.deploymentSteady(ref)).resolves.toMatchObject({ steady: false, runningCount: 4, desiredCount: 6 });
  });
});

describe('EcsAdapter.scaleOut', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);

  beforeEach(() => {
    ecs.reset();
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
  });

  it('asks for ceil(current × factor) tasks and records the desired count before', async () => {
    givenRunning(41, { desiredCount: 4 });

    const result = await adapter.scaleOut(ref, { maxDesiredCount: 10 });

    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'shop-prod', service: 'checkout', desiredCount: 6 }]);
    expect(result).toEqual({
      status: 'applied',
      action: 'ecs-scale-out',
      before: { desiredCount: 4 },
      after: { desiredCount: 6, call: 'UpdateService' },
      detail: 'Scaled service checkout in cluster shop-prod from 4 to 6 desired tasks (4 × 1.5, at least +1, capped at 10); new tasks count once they run.',
    });
  });

  it('says so when a deployment is still rolling out: the added tasks run that revision, and the service is not steady', async () => {
    givenRunning(42, { rollout: 'IN_PROGRESS', desiredCount: 4, others: [deployment('ecs-svc/old', 41, 'ACTIVE', '2026-11-02T09:00:00Z', { rolloutState: 'COMPLETED' })] });

    const result = await adapter.scaleOut(ref, { maxDesiredCount: 10 });
    const preview = await adapter.previewScaleOut(ref, { maxDesiredCount: 10 });

    const note =
      ' A deployment is still in progress (PRIMARY ecs-svc/primary checkout:42, rollout IN_PROGRESS; also checkout:41 ACTIVE): added tasks run checkout:42, and the service is not steady until the rollout ends.';
    expect(result.detail).toBe(
      `Scaled service checkout in cluster shop-prod from 4 to 6 desired tasks (4 × 1.5, at least +1, capped at 10); new tasks count once they run.${note}`,
    );
    expect(preview.detail.endsWith(note)).toBe(true);
  });

  it('never exceeds the cap', async () => {
    givenRunning(41, { desiredCount: 8 });

    const result = await adapter.scaleOut(ref, { maxDesiredCount: 10, factor: 2 });

    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.desiredCount).toBe(10);
    expect(result.after.desiredCount).toBe(10);
  });

  it.each([
    [10, 'Service checkout in cluster shop-prod already asks for 10 tasks, the cap of 10 (maxDesiredCount); not scaling further.'],
    [12, 'Service checkout in cluster shop-prod already asks for 12 tasks, above the cap of 10 (maxDesiredCount); not scaling further.'],
  ])('reports already-applied at %i desired tasks with a cap of 10, and never scales in', async (desiredCount, detail) => {
    givenRunning(41, { desiredCount });

    const result = await adapter.scaleOut(ref, { maxDesiredCount: 10 });

    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(result).toEqual({ status: 'already-applied', action: 'ecs-scale-out', before: { desiredCount }, after: { desiredCount, call: null }, detail });
  });

  it('is idempotent across retries when given the baseline it decided on', async () => {
    givenRunning(41, { desiredCount: 6 });

    const result = await adapter.scaleOut(ref, { maxDesiredCount: 10, fromDesiredCount: 4 });

    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'already-applied',
      detail: 'Service checkout in cluster shop-prod already asks for 6 tasks, at or above the target 6 (4 × 1.5, at least +1, capped at 10).',
    });
  });

  it('rejects a factor of 1 or a negative cap without calling ECS', async () => {
    await expect(adapter.scaleOut(ref, { maxDesiredCount: 10, factor: 1 })).rejects.toBeInstanceOf(InvalidEcsChangeRequestError);
    await expect(adapter.scaleOut(ref, { maxDesiredCount: -1 })).rejects.toBeInstanceOf(InvalidEcsChangeRequestError);
    await expect(adapter.scaleOut(ref, { maxDesiredCount: 2.5 })).rejects.toBeInstanceOf(InvalidEcsChangeRequestError);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('treats a cap of 0 as "never scale out"', async () => {
    givenRunning(41, { desiredCount: 4 });

    await expect(adapter.previewScaleOut(ref, { maxDesiredCount: 0 })).resolves.toMatchObject({
      wouldChange: false,
      detail: 'Nothing to do: Service checkout in cluster shop-prod already asks for 4 tasks, above the cap of 0 (maxDesiredCount); not scaling further.',
    });
  });

  it('maps throttling to TransientAwsError and AccessDenied to AwsAccessDeniedError', async () => {
    givenRunning(41);
    ecs.on(UpdateServiceCommand).rejectsOnce(sdkError('ThrottlingException', 'Rate exceeded')).rejectsOnce(sdkError('AccessDeniedException', 'no'));

    await expect(adapter.scaleOut(ref, { maxDesiredCount: 10 })).rejects.toThrow(TransientAwsError);
    await expect(adapter.scaleOut(ref, { maxDesiredCount: 10 })).rejects.toThrow(AwsAccessDeniedError);
  });

  it('previews without writing', async () => {
    givenRunning(41, { desiredCount: 4 });

    await expect(adapter.previewScaleOut(ref, { maxDesiredCount: 5 })).resolves.toEqual({
      action: 'ecs-scale-out',
      wouldChange: true,
      call: 'UpdateService',
      before: { desiredCount: 4 },
      after: { desiredCount: 5 },
      detail: 'Would scale service checkout in cluster shop-prod from 4 to 5 desired tasks with UpdateService (4 × 1.5, at least +1, capped at 5).',
    });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});

describe('scaleOutTarget', () => {
  it.each([
    [4, 1.5, 10, 6],
    [0, 1.5, 10, 1],
    [1, 1.1, 10, 2],
    [10, 1.1, 100, 11],
    [7, 3, 10, 10],
    [12, 1.5, 10, 12],
  ])('scales %i by %f under a cap of %i to %i', (current, factor, maxDesiredCount, expected) => {
    expect(scaleOutTarget(current, { maxDesiredCount, factor })).toBe(expected);
  });
});

describe('EcsAdapter.restoreService', () => {
  const adapter = new EcsAdapter(ecs as unknown as ECSClient);

  beforeEach(() => {
    ecs.reset();
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/forward', status: 'PRIMARY' }] } });
  });

  it('rolls forward to the recorded task definition only', async () => {
    givenRunning(41, { desiredCount: 6 });

    const result = await adapter.restoreService(ref, { taskDefinition: td(42) });

    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'shop-prod', service: 'checkout', taskDefinition: td(42) }]);
    expect(result).toEqual({
      status: 'applied',
      action: 'ecs-restore',
      before: { taskDefinition: td(41), desiredCount: 6, deploymentId: 'ecs-svc/primary' },
      after: { taskDefinition: td(42), desiredCount: 6, call: 'UpdateService', deploymentId: 'ecs-svc/forward' },
      detail: 'Restored service checkout in cluster shop-prod to task definition checkout:42 with UpdateService (deployment ecs-svc/forward).',
    });
  });

  it('restores the desired count recorded by a scale-out', async () => {
    givenRunning(41, { desiredCount: 6 });

    await adapter.restoreService(ref, { desiredCount: 4 });

    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop-prod', service: 'checkout', desiredCount: 4 });
  });

  it('is idempotent, comparing task definitions by family:revision', async () => {
    givenRunning(42, { desiredCount: 4 });

    const result = await adapter.restoreService(ref, { taskDefinition: 'checkout:42', desiredCount: 4 });

    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'already-applied',
      after: { call: null },
      detail: 'Service checkout in cluster shop-prod already has task definition checkout:42 and 4 desired tasks; nothing to restore.',
    });
  });

  it('refuses an empty target', async () => {
    await expect(adapter.restoreService(ref, {})).rejects.toBeInstanceOf(InvalidEcsChangeRequestError);
  });
});

describe('EcsAdapter.taskDefinitionStatus', () => {
  const adapter = new EcsAdapter(new ECSClient({}));
  beforeEach(() => {
    ecs.reset();
  });

  it('reports an ACTIVE revision as deployable', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: td(41) })
      .resolves({ taskDefinition: { taskDefinitionArn: td(41), family: 'checkout', revision: 41, status: 'ACTIVE' } });

    await expect(adapter.taskDefinitionStatus(td(41))).resolves.toEqual({ taskDefinition: td(41), status: 'ACTIVE', active: true });
  });

  it('reports a deregistered revision as INACTIVE, not deployable', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: td(40), status: 'INACTIVE' } });

    await expect(adapter.taskDefinitionStatus(td(40))).resolves.toEqual({ taskDefinition: td(40), status: 'INACTIVE', active: false });
  });

  it("turns ECS's ClientException for an unknown revision into a not-found error", async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(sdkError('ClientException', 'Unable to describe task definition.'));

    const error = await adapter.taskDefinitionStatus('checkout:7').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsResourceNotFoundError);
    expect((error as Error).message).toContain('checkout:7');
  });

  it('classifies access denied like every other ECS call', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(sdkError('AccessDeniedException', 'not authorized to perform: ecs:DescribeTaskDefinition'));

    await expect(adapter.taskDefinitionStatus(td(41))).rejects.toBeInstanceOf(AwsAccessDeniedError);
  });
});
