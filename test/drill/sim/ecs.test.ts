import {
  ClientException,
  ClusterNotFoundException,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServiceDeploymentsCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from '@jest/globals';
import { at, fixtureAccount } from './fixture.js';

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

    const described = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [serviceDeployments![0]!.serviceDeploymentArn!, 'arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-prod/checkout/nope'] }));
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
