import {
  ClientException,
  ClusterNotFoundException,
  ConflictException,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  ListServiceDeploymentsCommand,
  ServiceDeploymentNotFoundException,
  ServiceNotFoundException,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from '@jest/globals';

import { VirtualClock } from '../../../drill/sim/clock.js';
import { SimEcs } from '../../../drill/sim/ecs.js';
import { CallRecorder, wireClient } from '../../../drill/sim/wire.js';
import { EcsAdapter } from '../../../lambdas/adapters/ecs-deployments.js';
import { at, fixtureAccount, START } from './fixture.js';

const TD = (rev: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:${rev}`;
const describeCheckout = new DescribeServicesCommand({ cluster: 'shop-prod', services: ['checkout'] });

describe('simulated ECS', () => {
  it('describes a steady service with one PRIMARY deployment', async () => {
    const { ecs } = fixtureAccount().clients();
    const { services, failures } = await ecs.send(describeCheckout);
    expect(failures).toEqual([]);
    const svc = services![0]!;
    expect(svc).toMatchObject({
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop-prod/checkout',
      serviceName: 'checkout',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop-prod',
      status: 'ACTIVE',
      desiredCount: 4,
      runningCount: 4,
      taskDefinition: TD(41),
    });
    expect(svc.deployments).toHaveLength(1);
    expect(svc.deployments![0]).toMatchObject({ status: 'PRIMARY', taskDefinition: TD(41), rolloutState: 'COMPLETED', runningCount: 4, desiredCount: 4 });
    expect(svc.deployments![0]!.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(svc.deployments![0]!.createdAt).toBeInstanceOf(Date);
  });

  it('rolls a new task definition out over deploymentSeconds, then drops the old deployment', async () => {
    const account = fixtureAccount();
    const { ecs } = account.clients();
    account.clock.advanceTo(at(60));
    const updated = await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    expect(updated.service?.taskDefinition).toBe(TD(42));

    account.clock.advanceTo(at(120));
    const mid = (await ecs.send(describeCheckout)).services![0]!;
    expect(mid.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState, d.runningCount])).toEqual([
      ['PRIMARY', TD(42), 'IN_PROGRESS', 2],
      ['ACTIVE', TD(41), 'COMPLETED', 2],
    ]);
    expect(account.ecs.taskDefinitionShare('shop-prod', 'checkout', 'checkout:42', at(120))).toBe(0.5);

    account.clock.advanceTo(at(180));
    const done = (await ecs.send(describeCheckout)).services![0]!;
    expect(done.deployments?.map((d) => [d.status, d.rolloutState, d.runningCount])).toEqual([['PRIMARY', 'COMPLETED', 4]]);
    expect(account.ecs.runningTaskDefinition('shop-prod', 'checkout', at(179))).toBe('checkout:42');
    expect(account.ecs.runningTaskDefinition('shop-prod', 'checkout', at(60))).toBe('checkout:41');
    expect(done.events?.[0]?.message).toBe('(service checkout) has reached a steady state.');
  });

  it('scales in place when only desiredCount changes', async () => {
    const { ecs } = fixtureAccount().clients();
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', desiredCount: 8 }));
    const svc = (await ecs.send(describeCheckout)).services![0]!;
    expect(svc.desiredCount).toBe(8);
    expect(svc.deployments).toHaveLength(1);
    expect(svc.deployments![0]).toMatchObject({ desiredCount: 8, taskDefinition: TD(41) });
  });

  it('lists service deployments newest first and describes them', async () => {
    const account = fixtureAccount();
    const { ecs } = account.clients();
    account.clock.advanceTo(at(60));
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    account.clock.advanceTo(at(90));
    const { serviceDeployments } = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout' }));
    expect(serviceDeployments?.map((d) => d.status)).toEqual(['IN_PROGRESS', 'SUCCESSFUL']);
    expect(serviceDeployments?.[0]?.startedAt).toEqual(at(60));
    const recent = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout', createdAt: { after: at(0) } }));
    expect(recent.serviceDeployments).toHaveLength(1);

    const described = await ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [serviceDeployments![0]!.serviceDeploymentArn!, 'arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-prod/checkout/nope'],
      }),
    );
    expect(described.serviceDeployments?.[0]).toMatchObject({
      status: 'IN_PROGRESS',
      targetServiceRevision: { requestedTaskCount: 4, runningTaskCount: 1 },
      sourceServiceRevisions: [{ arn: serviceDeployments![1]!.targetServiceRevisionArn, runningTaskCount: 3 }],
    });
    expect(described.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-prod/checkout/nope', reason: 'MISSING' }]);
  });

  it('describes registered task definitions and refuses unknown ones', async () => {
    const { ecs } = fixtureAccount().clients();
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout' }));
    expect(latest.taskDefinition).toMatchObject({ taskDefinitionArn: TD(42), family: 'checkout', revision: 42, status: 'ACTIVE' });
    await expect(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout:7' }))).rejects.toBeInstanceOf(ClientException);
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:7' }))).rejects.toBeInstanceOf(ClientException);
  });

  it('reports missing services as failures and unknown clusters as errors', async () => {
    const { ecs } = fixtureAccount().clients();
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'shop-prod', services: ['checkout', 'ghost'] }));
    expect(out.services).toHaveLength(1);
    expect(out.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/shop-prod/ghost', reason: 'MISSING' }]);
    await expect(ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['checkout'] }))).rejects.toBeInstanceOf(ClusterNotFoundException);
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'ghost', desiredCount: 1 }))).rejects.toBeInstanceOf(ServiceNotFoundException);
  });
});

const ref = { cluster: 'shop-prod', service: 'checkout' };
const checkout = (account: ReturnType<typeof fixtureAccount>) => account.ecs.snapshot().services[0]!;
const with43 = () => fixtureAccount((s) => s.account.ecs.taskDefinitions.push('checkout:43'));

/** A SimEcs on its own (for options the scenario does not set), wired to a real ECS client. */
function standalone(options: { deploymentStartSeconds?: number; taskStartSeconds?: number } = {}) {
  const clock = new VirtualClock(START);
  const sim = new SimEcs({ clock, deploymentSeconds: 120, ...options });
  sim.addCluster('shop-prod');
  for (const td of ['checkout:41', 'checkout:42']) sim.registerTaskDefinition(td, at(-86_400));
  sim.addService({ cluster: 'shop-prod', name: 'checkout', taskDefinition: 'checkout:41', desiredCount: 4, createdAt: at(-3600) });
  const client = wireClient(new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
    service: sim,
    clock,
    recorder: new CallRecorder(),
    origin: 'drill',
  });
  return { clock, sim, ecs: client };
}

describe('simulated ECS: StopServiceDeployment', () => {
  it('rolls an in-progress deployment back to the last successful revision, in proportion to how far it got', async () => {
    const account = fixtureAccount();
    const { ecs } = account.clients();
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    account.clock.advanceTo(at(60));
    const [bad, seed] = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout' }))).serviceDeployments!;

    const out = await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: bad!.serviceDeploymentArn!, stopType: 'ROLLBACK' }));
    expect(out.serviceDeploymentArn).toBe(bad!.serviceDeploymentArn);

    // Half the tasks ran checkout:42, so the rollback takes half a deployment: done at +120 s.
    account.clock.advanceTo(at(90));
    const during = (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [bad!.serviceDeploymentArn!] }))).serviceDeployments![0]!;
    expect(during).toMatchObject({
      status: 'ROLLBACK_IN_PROGRESS',
      stoppedAt: at(60),
      rollback: { startedAt: at(60), serviceRevisionArn: seed!.targetServiceRevisionArn },
      targetServiceRevision: { arn: bad!.targetServiceRevisionArn, requestedTaskCount: 0, runningTaskCount: 1 },
    });
    const service = (await ecs.send(describeCheckout)).services![0]!;
    expect(service.taskDefinition).toBe(TD(41));
    expect(service.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState, d.runningCount])).toEqual([
      ['PRIMARY', TD(41), 'IN_PROGRESS', 3],
      ['ACTIVE', TD(42), 'FAILED', 1],
    ]);
    expect(service.currentServiceDeployment).toBe(bad!.serviceDeploymentArn);
    expect(account.ecs.taskDefinitionShare('shop-prod', 'checkout', 'checkout:42', at(90))).toBe(0.25);

    account.clock.advanceTo(at(120));
    const after = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout' }))).serviceDeployments!;
    // A rollback creates no new service deployment.
    expect(after.map((d) => [d.serviceDeploymentArn, d.status, d.finishedAt])).toEqual([
      [bad!.serviceDeploymentArn, 'ROLLBACK_SUCCESSFUL', at(120)],
      [seed!.serviceDeploymentArn, 'SUCCESSFUL', seed!.finishedAt],
    ]);
    expect((await ecs.send(describeCheckout)).services![0]!.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState, d.runningCount])).toEqual([
      ['PRIMARY', TD(41), 'COMPLETED', 4],
    ]);
    expect(account.ecs.runningTaskDefinition('shop-prod', 'checkout', at(120))).toBe('checkout:41');
    // The past stays as it was.
    expect(account.ecs.taskDefinitionShare('shop-prod', 'checkout', 'checkout:42', at(60))).toBe(0.5);
  });

  it('keeps a rollback going when asked again, refuses finished deployments, and knows no other stop type', async () => {
    const account = fixtureAccount();
    const { ecs } = account.clients();
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    account.clock.advanceTo(at(30));
    const [bad, seed] = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout' }))).serviceDeployments!;

    await expect(ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: bad!.serviceDeploymentArn!, stopType: 'ABORT' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: bad!.serviceDeploymentArn!, stopType: 'ROLLBACK' }));
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: bad!.serviceDeploymentArn!, stopType: 'ROLLBACK' }));
    expect(checkout(account).deployments).toHaveLength(3);
    await expect(ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: seed!.serviceDeploymentArn!, stopType: 'ROLLBACK' }))).rejects.toBeInstanceOf(ConflictException);
    await expect(
      ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-prod/checkout/nope', stopType: 'ROLLBACK' })),
    ).rejects.toBeInstanceOf(ServiceDeploymentNotFoundException);
  });

  it('shows PENDING and ROLLBACK_REQUESTED while a deployment waits to start', async () => {
    const { clock, ecs } = standalone({ deploymentStartSeconds: 10 });
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    const list = () => ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout' })).then((o) => o.serviceDeployments!);
    expect((await list())[0]!.status).toBe('PENDING');
    clock.advanceTo(at(70));
    const [bad] = await list();
    expect(bad!.status).toBe('IN_PROGRESS');
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: bad!.serviceDeploymentArn!, stopType: 'ROLLBACK' }));
    expect((await list())[0]!.status).toBe('ROLLBACK_REQUESTED');
    clock.advanceTo(at(80));
    expect((await list())[0]!.status).toBe('ROLLBACK_IN_PROGRESS');
    // 60 s of a 120 s rollout moved half the tasks; rolling them back takes 10 s + 60 s.
    clock.advanceTo(at(140));
    expect((await list())[0]!.status).toBe('ROLLBACK_SUCCESSFUL');
  });
});

describe('simulated ECS: history and scaling', () => {
  it('marks a deployment replaced before it completed STOPPED, and its revision is described', async () => {
    const account = with43();
    const { ecs } = account.clients();
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    account.clock.advanceTo(at(30));
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:43' }));
    account.clock.advanceTo(at(200));
    const list = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout' }))).serviceDeployments!;
    expect(list.map((d) => [d.status, d.finishedAt])).toEqual([
      ['SUCCESSFUL', at(150)],
      ['STOPPED', at(30)],
      ['SUCCESSFUL', at(-72 * 3600)],
    ]);
    const onlyStopped = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout', status: ['STOPPED'] }));
    expect(onlyStopped.serviceDeployments).toHaveLength(1);
    const revisions = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: list.map((d) => d.targetServiceRevisionArn!) }));
    expect(revisions.serviceRevisions?.map((r) => r.taskDefinition)).toEqual([TD(43), TD(42), TD(41)]);
    // 42 ran on a quarter of the tasks when 43 started.
    const [latest] = (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [list[0]!.serviceDeploymentArn!] }))).serviceDeployments!;
    expect(latest!.sourceServiceRevisions?.map((s) => s.arn)).toEqual([list[2]!.targetServiceRevisionArn, list[1]!.targetServiceRevisionArn]);
  });

  it('scales in place: new tasks are pending for taskStartSeconds, removed ones stop at once', async () => {
    const account = fixtureAccount();
    const { ecs } = account.clients();
    account.clock.advanceTo(at(10));
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', desiredCount: 6 }));

    account.clock.advanceTo(at(40));
    const mid = (await ecs.send(describeCheckout)).services![0]!;
    expect(mid).toMatchObject({ desiredCount: 6, runningCount: 4, pendingCount: 2 });
    expect(mid.deployments?.map((d) => [d.status, d.desiredCount, d.runningCount, d.pendingCount, d.rolloutState])).toEqual([['PRIMARY', 6, 4, 2, 'COMPLETED']]);
    expect(account.ecs.capacity('shop-prod', 'checkout', at(69))).toBe(4);
    expect(account.ecs.capacity('shop-prod', 'checkout', at(70))).toBe(6);

    account.clock.advanceTo(at(100));
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', desiredCount: 3 }));
    expect(account.ecs.capacity('shop-prod', 'checkout', at(100))).toBe(3);
    expect(account.ecs.capacity('shop-prod', 'checkout', at(0))).toBe(4);
    expect(account.ecs.capacity('shop-prod', 'ghost', at(100))).toBe(0);
    expect(checkout(account)).toMatchObject({ desiredCount: 3, runningCount: 3 });
  });

  it('counts tasks per deployment in whole numbers that add up, during a rollout on a scaled service', async () => {
    const account = fixtureAccount();
    const { ecs } = account.clients();
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', desiredCount: 5, taskDefinition: 'checkout:42' }));
    account.clock.advanceTo(at(100));
    const svc = (await ecs.send(describeCheckout)).services![0]!;
    expect(svc.runningCount).toBe(5);
    expect(svc.deployments!.reduce((n, d) => n + d.runningCount!, 0)).toBe(5);
  });
});

describe('simulated ECS driven by the EcsAdapter', () => {
  it('rolls a completed bad deployment back with UpdateService, settles, and re-runs as already-applied', async () => {
    const account = fixtureAccount();
    const adapter = new EcsAdapter(account.clients().ecs);
    await account.clients().ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    account.clock.advanceTo(at(300));

    const result = await adapter.rollback(ref, { description: 'drill' });
    expect(result).toMatchObject({ status: 'applied', after: { call: 'UpdateService', taskDefinition: TD(41) }, before: { taskDefinition: TD(42), desiredCount: 4 } });
    await expect(adapter.deploymentSteady(ref)).resolves.toMatchObject({ steady: false });

    account.clock.advanceTo(at(360));
    expect(account.ecs.taskDefinitionShare('shop-prod', 'checkout', 'checkout:42', at(360))).toBe(0.5);
    await expect(adapter.rollback(ref, { description: 'drill' })).resolves.toMatchObject({ status: 'already-applied' });

    account.clock.advanceTo(at(420));
    await expect(adapter.deploymentSteady(ref)).resolves.toMatchObject({ steady: true, taskDefinition: TD(41) });
    await expect(adapter.rollback(ref, { description: 'drill' })).resolves.toMatchObject({ status: 'already-applied', after: { call: null } });
    expect(account.health.errorRate('checkout', at(420))).toBe(0.5);

    // Undo rolls forward again.
    await expect(adapter.restoreService(ref, { taskDefinition: result.before.taskDefinition! })).resolves.toMatchObject({ status: 'applied' });
    await expect(adapter.restoreService(ref, { taskDefinition: result.before.taskDefinition! })).resolves.toMatchObject({ status: 'already-applied' });
    expect(
      account
        .calls()
        .filter((c) => c.command === 'UpdateService')
        .map((c) => (c.input as { taskDefinition?: string }).taskDefinition),
    ).toEqual(['checkout:42', TD(41), TD(42)]);
  });

  it('stops an in-progress bad deployment with StopServiceDeployment and skips a revision that never succeeded', async () => {
    const account = with43();
    const { ecs } = account.clients();
    const adapter = new EcsAdapter(ecs);
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:42' }));
    account.clock.advanceTo(at(30));
    await ecs.send(new UpdateServiceCommand({ cluster: 'shop-prod', service: 'checkout', taskDefinition: 'checkout:43' }));
    account.clock.advanceTo(at(90));

    await expect(adapter.findStableTaskDefinition(ref)).resolves.toMatchObject({ current: TD(43), stable: TD(41) });
    const result = await adapter.rollback(ref, { description: 'drill' });
    expect(result).toMatchObject({ status: 'applied', after: { call: 'StopServiceDeployment', taskDefinition: TD(41) } });
    expect(result.evidence).toContain('skipped checkout:42');
    await expect(adapter.rollback(ref, { description: 'drill' })).resolves.toMatchObject({ status: 'already-applied' });

    account.clock.advanceTo(at(600));
    expect(account.ecs.runningTaskDefinition('shop-prod', 'checkout', at(600))).toBe('checkout:41');
    await expect(adapter.deploymentSteady(ref)).resolves.toMatchObject({ steady: true });
    expect(account.calls().filter((c) => c.command === 'StopServiceDeployment')).toHaveLength(1);
  });

  it('scales out to the cap, settles once the tasks run, and restores the count', async () => {
    const account = fixtureAccount();
    const adapter = new EcsAdapter(account.clients().ecs);

    const result = await adapter.scaleOut(ref, { maxDesiredCount: 5, fromDesiredCount: 4 });
    expect(result).toMatchObject({ status: 'applied', before: { desiredCount: 4 }, after: { desiredCount: 5 } });
    await expect(adapter.scaleOut(ref, { maxDesiredCount: 5, fromDesiredCount: 4 })).resolves.toMatchObject({ status: 'already-applied' });
    await expect(adapter.deploymentSteady(ref)).resolves.toMatchObject({ steady: false, runningCount: 4, desiredCount: 5 });

    account.clock.advanceTo(at(60));
    expect(account.ecs.capacity('shop-prod', 'checkout', at(60))).toBe(5);
    await expect(adapter.deploymentSteady(ref)).resolves.toMatchObject({ steady: true });
    await expect(adapter.restoreService(ref, result.before)).resolves.toMatchObject({ status: 'applied', after: { desiredCount: 4 } });
    expect(checkout(account)).toMatchObject({ desiredCount: 4, runningCount: 4 });
  });
});
