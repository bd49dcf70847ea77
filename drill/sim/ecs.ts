import {
  ClientException,
  ClusterNotFoundException,
  InvalidParameterException,
  ServiceNotFoundException,
  type Deployment,
  type DescribeServiceDeploymentsCommandInput,
  type DescribeServiceDeploymentsCommandOutput,
  type DescribeServiceRevisionsCommandInput,
  type DescribeServiceRevisionsCommandOutput,
  type DescribeServicesCommandInput,
  type DescribeServicesCommandOutput,
  type DescribeTaskDefinitionCommandInput,
  type DescribeTaskDefinitionCommandOutput,
  type Failure,
  type ListServiceDeploymentsCommandInput,
  type ListServiceDeploymentsCommandOutput,
  type Service,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  type ServiceDeploymentStatus,
  type ServiceEvent,
  type TaskDefinition,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from '@aws-sdk/client-ecs';
import type { VirtualClock } from './clock.js';
import { SIM_ACCOUNT, SIM_REGION, stableDigits, stableUuid } from './ids.js';
import { decodeToken, errorMetadata, paginate, type CommandHandler, type Out, type SimService } from './wire.js';

/**
 * Simulated Amazon ECS: clusters, services and task definitions, with rolling deployments
 * that shift tasks from the old task definition to the new one over a configurable number of
 * seconds. Honest rather than exhaustive: enough for triage to read what changed, and for the
 * health model to know which task definition is serving traffic.
 */

const ARN_PREFIX = `arn:aws:ecs:${SIM_REGION}:${SIM_ACCOUNT}`;

interface TaskDefinitionRecord {
  readonly family: string;
  readonly revision: number;
  readonly registeredAt: number;
}

interface EcsDeploymentRecord {
  readonly id: string;
  readonly shortId: string;
  readonly taskDefinition: string;
  desiredCount: number;
  readonly createdAt: number;
}

interface ServiceRecord {
  readonly cluster: string;
  readonly name: string;
  readonly createdAt: number;
  desiredCount: number;
  readonly deployments: EcsDeploymentRecord[];
  /** Scaling requests that did not create a deployment, for the service's event log. */
  readonly scalings: { readonly at: number; readonly desiredCount: number }[];
}

/** Options for {@link SimEcs}. */
export interface SimEcsOptions {
  readonly clock: VirtualClock;
  /** Seconds a rolling deployment takes to replace every task. @default 120 */
  readonly deploymentSeconds?: number;
}

/** Plain-JSON view of the ECS state, for snapshots. */
export interface EcsSnapshot {
  taskDefinitions: string[];
  services: {
    cluster: string;
    name: string;
    desiredCount: number;
    taskDefinition: string;
    deployments: { id: string; taskDefinition: string; status: string; rolloutState: string; createdAt: string; runningCount: number }[];
  }[];
}

const date = (ms: number): Date => new Date(ms);

function clusterNotFound(): ClusterNotFoundException {
  return new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: errorMetadata(400) });
}
function serviceNotFound(): ServiceNotFoundException {
  return new ServiceNotFoundException({ message: 'Service not found.', $metadata: errorMetadata(400) });
}
function clientError(message: string): ClientException {
  return new ClientException({ message, $metadata: errorMetadata(400) });
}
function invalidParameter(message: string): InvalidParameterException {
  return new InvalidParameterException({ message, $metadata: errorMetadata(400) });
}

/** "family:revision" of a task definition reference (name, family:revision or ARN); revision undefined for a bare family. */
function parseTaskDefinitionRef(ref: string): { family: string; revision?: number } {
  const bare = ref.startsWith('arn:') ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length) : ref;
  const match = /^([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(bare);
  if (!match) return { family: bare };
  return match[2] === undefined ? { family: match[1]! } : { family: match[1]!, revision: Number(match[2]) };
}

/** Simulated ECS control plane, plus which task definition serves traffic when. */
export class SimEcs implements SimService {
  readonly service = 'ecs' as const;
  readonly #clock: VirtualClock;
  readonly #deploymentMs: number;
  readonly #clusters = new Set<string>();
  readonly #taskDefinitions = new Map<string, TaskDefinitionRecord>();
  readonly #services = new Map<string, ServiceRecord>();
  #deploymentSeq = 0;

  constructor(options: SimEcsOptions) {
    this.#clock = options.clock;
    this.#deploymentMs = (options.deploymentSeconds ?? 120) * 1000;
  }

  // ---- seeding (initial state; not AWS API) ----

  addCluster(name: string): void {
    this.#clusters.add(name);
  }

  /** Registers "family:revision" as an ACTIVE task definition. */
  registerTaskDefinition(ref: string, registeredAt: Date): void {
    const { family, revision } = parseTaskDefinitionRef(ref);
    if (revision === undefined) throw new RangeError(`task definition "${ref}" must be family:revision`);
    this.#taskDefinitions.set(`${family}:${revision}`, { family, revision, registeredAt: registeredAt.getTime() });
  }

  /** Creates a service whose first deployment of `taskDefinition` started (and completed) at `createdAt`. */
  addService(s: { cluster: string; name: string; taskDefinition: string; desiredCount: number; createdAt: Date }): void {
    if (!this.#clusters.has(s.cluster)) throw clusterNotFound();
    const td = this.#resolveTaskDefinition(s.taskDefinition);
    if (!td) throw clientError(`TaskDefinition not found: ${s.taskDefinition}`);
    const record: ServiceRecord = { cluster: s.cluster, name: s.name, createdAt: s.createdAt.getTime(), desiredCount: s.desiredCount, deployments: [], scalings: [] };
    record.deployments.push(this.#newDeployment(record, `${td.family}:${td.revision}`, s.createdAt.getTime()));
    this.#services.set(`${s.cluster}/${s.name}`, record);
  }

  // ---- what is serving traffic ----

  /** The task definition ("family:revision") running the largest share of the service's tasks at `at`. */
  runningTaskDefinition(cluster: string, service: string, at: Date): string | undefined {
    const svc = this.#services.get(`${cluster}/${service}`);
    if (!svc) return undefined;
    let best: { td: string; share: number } | undefined;
    const byTd = new Map<string, number>();
    for (const [d, share] of this.#shares(svc, at.getTime())) byTd.set(d.taskDefinition, (byTd.get(d.taskDefinition) ?? 0) + share);
    for (const [td, share] of byTd) if (!best || share >= best.share) best = { td, share };
    return best?.td;
  }

  /** Share (0..1) of the service's tasks running `taskDefinition` ("family:revision") at `at`. */
  taskDefinitionShare(cluster: string, service: string, taskDefinition: string, at: Date): number {
    const svc = this.#services.get(`${cluster}/${service}`);
    if (!svc) return 0;
    const wanted = parseTaskDefinitionRef(taskDefinition);
    let total = 0;
    for (const [d, share] of this.#shares(svc, at.getTime())) {
      if (d.taskDefinition === `${wanted.family}:${wanted.revision}`) total += share;
    }
    return total;
  }

  // ---- AWS API ----

  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      DescribeServices: (i: DescribeServicesCommandInput) => this.describeServices(i),
      UpdateService: (i: UpdateServiceCommandInput) => this.updateService(i),
      DescribeTaskDefinition: (i: DescribeTaskDefinitionCommandInput) => this.describeTaskDefinition(i),
      ListServiceDeployments: (i: ListServiceDeploymentsCommandInput) => this.listServiceDeployments(i),
      DescribeServiceDeployments: (i: DescribeServiceDeploymentsCommandInput) => this.describeServiceDeployments(i),
      DescribeServiceRevisions: (i: DescribeServiceRevisionsCommandInput) => this.describeServiceRevisions(i),
    };
  }

  describeServices(input: DescribeServicesCommandInput): Out<DescribeServicesCommandOutput> {
    const cluster = this.#requireCluster(input.cluster);
    const names = input.services ?? [];
    if (names.length < 1 || names.length > 10) throw invalidParameter('services must list between 1 and 10 services');
    const now = this.#clock.nowMs();
    const services: Service[] = [];
    const failures: Failure[] = [];
    for (const ref of names) {
      const svc = this.#services.get(`${cluster}/${serviceName(ref)}`);
      if (svc) services.push(this.#serviceOut(svc, now, input.include?.includes('TAGS') ?? false));
      else failures.push({ arn: ref.startsWith('arn:') ? ref : `${ARN_PREFIX}:service/${cluster}/${ref}`, reason: 'MISSING' });
    }
    return { services, failures };
  }

  updateService(input: UpdateServiceCommandInput): Out<UpdateServiceCommandOutput> {
    const cluster = this.#requireCluster(input.cluster);
    const svc = this.#services.get(`${cluster}/${serviceName(input.service ?? '')}`);
    if (!svc) throw serviceNotFound();
    const now = this.#clock.nowMs();
    if (input.desiredCount !== undefined && (!Number.isInteger(input.desiredCount) || input.desiredCount < 0)) {
      throw invalidParameter('desiredCount must be a non-negative integer');
    }
    const primary = svc.deployments.at(-1)!;
    let taskDefinition = primary.taskDefinition;
    if (input.taskDefinition !== undefined) {
      const td = this.#resolveTaskDefinition(input.taskDefinition);
      if (!td) throw clientError('TaskDefinition not found.');
      taskDefinition = `${td.family}:${td.revision}`;
    }
    if (input.desiredCount !== undefined) svc.desiredCount = input.desiredCount;
    // ECS starts a new deployment only when what the tasks run changes (or when forced);
    // a desiredCount change alone scales the current deployment in place.
    if (taskDefinition !== primary.taskDefinition || input.forceNewDeployment) {
      svc.deployments.push(this.#newDeployment(svc, taskDefinition, now));
    } else if (input.desiredCount !== undefined) {
      primary.desiredCount = input.desiredCount;
      svc.scalings.push({ at: now, desiredCount: input.desiredCount });
    }
    return { service: this.#serviceOut(svc, now, false) };
  }

  describeTaskDefinition(input: DescribeTaskDefinitionCommandInput): Out<DescribeTaskDefinitionCommandOutput> {
    const td = this.#resolveTaskDefinition(input.taskDefinition ?? '');
    if (!td) throw clientError('Unable to describe task definition.');
    return { taskDefinition: taskDefinitionOut(td), ...(input.include?.includes('TAGS') ? { tags: [] } : {}) };
  }

  /** Service deployments of one service, newest first. */
  listServiceDeployments(input: ListServiceDeploymentsCommandInput): Out<ListServiceDeploymentsCommandOutput> {
    const cluster = this.#requireCluster(input.cluster);
    const svc = this.#services.get(`${cluster}/${serviceName(input.service ?? '')}`);
    if (!svc) throw serviceNotFound();
    const max = input.maxResults ?? 20;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParameter('maxResults must be between 1 and 100');
    const offset = decodeToken(input.nextToken);
    if (offset === undefined) throw invalidParameter('Invalid nextToken');
    const now = this.#clock.nowMs();
    const after = input.createdAt?.after?.getTime() ?? -Infinity;
    const before = input.createdAt?.before?.getTime() ?? Infinity;
    const items = [...svc.deployments]
      .reverse()
      .filter((d) => d.createdAt <= now && d.createdAt >= after && d.createdAt <= before)
      .map((d) => this.#brief(svc, d, now))
      .filter((b) => !input.status?.length || input.status.includes(b.status!));
    const { page, nextToken } = paginate(items, offset, max);
    return { serviceDeployments: page, ...(nextToken ? { nextToken } : {}) };
  }

  describeServiceDeployments(input: DescribeServiceDeploymentsCommandInput): Out<DescribeServiceDeploymentsCommandOutput> {
    const arns = input.serviceDeploymentArns ?? [];
    if (arns.length < 1 || arns.length > 20) throw invalidParameter('serviceDeploymentArns must list between 1 and 20 ARNs');
    const now = this.#clock.nowMs();
    const serviceDeployments: ServiceDeployment[] = [];
    const failures: Failure[] = [];
    for (const arn of arns) {
      const found = this.#findByShortId(arn, 'service-deployment');
      if (found) serviceDeployments.push(this.#serviceDeployment(found.svc, found.d, now));
      else failures.push({ arn, reason: 'MISSING' });
    }
    return { serviceDeployments, failures };
  }

  describeServiceRevisions(input: DescribeServiceRevisionsCommandInput): Out<DescribeServiceRevisionsCommandOutput> {
    const arns = input.serviceRevisionArns ?? [];
    if (arns.length < 1 || arns.length > 20) throw invalidParameter('serviceRevisionArns must list between 1 and 20 ARNs');
    const serviceRevisions: NonNullable<DescribeServiceRevisionsCommandOutput['serviceRevisions']> = [];
    const failures: Failure[] = [];
    for (const arn of arns) {
      const found = this.#findByShortId(arn, 'service-revision');
      if (!found) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      serviceRevisions.push({
        serviceRevisionArn: revisionArn(found.svc, found.d),
        serviceArn: serviceArn(found.svc),
        clusterArn: clusterArn(found.svc.cluster),
        taskDefinition: `${ARN_PREFIX}:task-definition/${found.d.taskDefinition}`,
        launchType: 'FARGATE',
        platformVersion: '1.4.0',
        platformFamily: 'Linux',
        createdAt: date(found.d.createdAt),
      });
    }
    return { serviceRevisions, failures };
  }

  // ---- snapshot ----

  snapshot(): EcsSnapshot {
    const now = this.#clock.nowMs();
    return {
      taskDefinitions: [...this.#taskDefinitions.keys()],
      services: [...this.#services.values()].map((svc) => {
        const shares = this.#shares(svc, now);
        return {
          cluster: svc.cluster,
          name: svc.name,
          desiredCount: svc.desiredCount,
          taskDefinition: svc.deployments.at(-1)!.taskDefinition,
          deployments: svc.deployments.map((d) => ({
            id: d.id,
            taskDefinition: d.taskDefinition,
            status: this.#status(svc, d, now),
            rolloutState: this.#rollout(svc, d, now).state,
            createdAt: new Date(d.createdAt).toISOString(),
            runningCount: Math.round(svc.desiredCount * (shares.get(d) ?? 0)),
          })),
        };
      }),
    };
  }

  // ---- internals ----

  #requireCluster(ref: string | undefined): string {
    const name = ref === undefined ? 'default' : ref.startsWith('arn:') ? ref.slice(ref.indexOf(':cluster/') + ':cluster/'.length) : ref;
    if (!this.#clusters.has(name)) throw clusterNotFound();
    return name;
  }

  #resolveTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    const { family, revision } = parseTaskDefinitionRef(ref);
    if (revision !== undefined) return this.#taskDefinitions.get(`${family}:${revision}`);
    // A bare family means its latest ACTIVE revision.
    return [...this.#taskDefinitions.values()].filter((t) => t.family === family).sort((a, b) => b.revision - a.revision)[0];
  }

  #newDeployment(svc: Pick<ServiceRecord, 'cluster' | 'name' | 'desiredCount'>, taskDefinition: string, at: number): EcsDeploymentRecord {
    this.#deploymentSeq += 1;
    const digits = stableDigits(`${svc.cluster}/${svc.name}/${this.#deploymentSeq}`, 19);
    return { id: `ecs-svc/${digits}`, shortId: digits, taskDefinition, desiredCount: svc.desiredCount, createdAt: at };
  }

  #findByShortId(arn: string, kind: 'service-deployment' | 'service-revision'): { svc: ServiceRecord; d: EcsDeploymentRecord } | undefined {
    const match = new RegExp(`:${kind}/([^/]+)/([^/]+)/([^/]+)$`).exec(arn);
    if (!match) return undefined;
    const svc = this.#services.get(`${match[1]}/${match[2]}`);
    const d = svc?.deployments.find((x) => x.shortId === match[3] && x.createdAt <= this.#clock.nowMs());
    return svc && d ? { svc, d } : undefined;
  }

  /**
   * Share of the service's tasks each deployment runs at `atMs`. The newest deployment grows
   * linearly to 100% over the rollout time; the mix it replaces shrinks in proportion.
   */
  #shares(svc: ServiceRecord, atMs: number, upTo = svc.deployments.length - 1): Map<EcsDeploymentRecord, number> {
    let last = upTo;
    while (last >= 0 && svc.deployments[last]!.createdAt > atMs) last--;
    if (last < 0) return new Map();
    const newest = svc.deployments[last]!;
    if (last === 0) return new Map([[newest, 1]]);
    const share = Math.min(1, (atMs - newest.createdAt) / this.#deploymentMs);
    const before = this.#shares(svc, newest.createdAt, last - 1);
    const out = new Map<EcsDeploymentRecord, number>();
    for (const [d, s] of before) if (s * (1 - share) > 0) out.set(d, s * (1 - share));
    out.set(newest, share);
    return out;
  }

  /** Rollout of one deployment: COMPLETED once it ran every task before a newer one started. */
  #rollout(svc: ServiceRecord, d: EcsDeploymentRecord, now: number): { state: 'IN_PROGRESS' | 'COMPLETED'; completedAt?: number; supersededAt?: number } {
    const index = svc.deployments.indexOf(d);
    const first = index === 0;
    const doneAt = first ? d.createdAt : d.createdAt + this.#deploymentMs;
    const next = svc.deployments[index + 1];
    const supersededAt = next && next.createdAt <= now ? next.createdAt : undefined;
    if (doneAt <= now && (supersededAt === undefined || doneAt <= supersededAt)) {
      return { state: 'COMPLETED', completedAt: doneAt, ...(supersededAt !== undefined ? { supersededAt } : {}) };
    }
    return { state: 'IN_PROGRESS', ...(supersededAt !== undefined ? { supersededAt } : {}) };
  }

  #status(svc: ServiceRecord, d: EcsDeploymentRecord, now: number): 'PRIMARY' | 'ACTIVE' | 'INACTIVE' {
    const visible = svc.deployments.filter((x) => x.createdAt <= now);
    if (visible.at(-1) === d) return 'PRIMARY';
    return (this.#shares(svc, now).get(d) ?? 0) > 0 ? 'ACTIVE' : 'INACTIVE';
  }

  #deploymentOut(svc: ServiceRecord, d: EcsDeploymentRecord, now: number, share: number): Deployment {
    const rollout = this.#rollout(svc, d, now);
    const running = Math.round(d.desiredCount * share);
    const updatedAt = Math.max(d.createdAt, Math.min(now, rollout.completedAt ?? rollout.supersededAt ?? now));
    return {
      id: d.id,
      status: this.#status(svc, d, now),
      taskDefinition: `${ARN_PREFIX}:task-definition/${d.taskDefinition}`,
      desiredCount: d.desiredCount,
      pendingCount: 0,
      runningCount: running,
      failedTasks: 0,
      createdAt: date(d.createdAt),
      updatedAt: date(updatedAt),
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      rolloutState: rollout.state,
      rolloutStateReason: rollout.state === 'COMPLETED' ? `ECS deployment ${d.id} completed.` : `ECS deployment ${d.id} in progress.`,
    };
  }

  #serviceOut(svc: ServiceRecord, now: number, withTags: boolean): Service {
    const shares = this.#shares(svc, now);
    const visible = svc.deployments.filter((d) => d.createdAt <= now);
    const primary = visible.at(-1)!;
    // DescribeServices lists the PRIMARY deployment and the ACTIVE ones still draining; INACTIVE ones drop out.
    const deployments = [...visible]
      .reverse()
      .filter((d) => d === primary || (shares.get(d) ?? 0) > 0)
      .map((d) => this.#deploymentOut(svc, d, now, shares.get(d) ?? 0));
    const running = deployments.reduce((sum, d) => sum + (d.runningCount ?? 0), 0);
    return {
      serviceArn: serviceArn(svc),
      serviceName: svc.name,
      clusterArn: clusterArn(svc.cluster),
      loadBalancers: [],
      serviceRegistries: [],
      status: 'ACTIVE',
      desiredCount: svc.desiredCount,
      runningCount: running,
      pendingCount: 0,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
      taskDefinition: `${ARN_PREFIX}:task-definition/${primary.taskDefinition}`,
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: false, rollback: false },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deployments,
      events: this.#events(svc, now),
      createdAt: date(svc.createdAt),
      currentServiceDeployment: deploymentArn(svc, primary),
      placementConstraints: [],
      placementStrategy: [],
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      enableECSManagedTags: false,
      propagateTags: 'NONE',
      enableExecuteCommand: false,
      ...(withTags ? { tags: [] } : {}),
    };
  }

  /** The service event log up to `now`, newest first, in the style of the ECS console messages. */
  #events(svc: ServiceRecord, now: number): ServiceEvent[] {
    const events: { at: number; message: string }[] = [];
    svc.deployments.forEach((d, i) => {
      if (d.createdAt > now) return;
      if (i > 0) events.push({ at: d.createdAt, message: `(service ${svc.name}) has started ${d.desiredCount} tasks for deployment ${d.id} (${d.taskDefinition}).` });
      const rollout = this.#rollout(svc, d, now);
      if (rollout.completedAt !== undefined && rollout.completedAt <= now) {
        // Same instant: listed newest first after the stable sort, so the steady state goes in first.
        events.push({ at: rollout.completedAt, message: `(service ${svc.name}) has reached a steady state.` });
        events.push({ at: rollout.completedAt, message: `(service ${svc.name}) (deployment ${d.id}) deployment completed.` });
      }
    });
    for (const s of svc.scalings) {
      if (s.at <= now) events.push({ at: s.at, message: `(service ${svc.name}) desired count changed to ${s.desiredCount}.` });
    }
    return events
      .sort((a, b) => b.at - a.at)
      .slice(0, 100)
      .map((e, i) => ({ id: stableUuid(`${svc.cluster}/${svc.name}/${e.at}/${i}`), createdAt: date(e.at), message: e.message }));
  }

  #serviceDeploymentStatus(svc: ServiceRecord, d: EcsDeploymentRecord, now: number): { status: ServiceDeploymentStatus; reason?: string; finishedAt?: number } {
    const rollout = this.#rollout(svc, d, now);
    if (rollout.state === 'COMPLETED') return { status: 'SUCCESSFUL', finishedAt: rollout.completedAt! };
    if (rollout.supersededAt !== undefined) {
      return { status: 'STOPPED', reason: 'A newer service deployment replaced this one before it completed.', finishedAt: rollout.supersededAt };
    }
    return { status: 'IN_PROGRESS' };
  }

  #brief(svc: ServiceRecord, d: EcsDeploymentRecord, now: number): ServiceDeploymentBrief {
    const st = this.#serviceDeploymentStatus(svc, d, now);
    return {
      serviceDeploymentArn: deploymentArn(svc, d),
      serviceArn: serviceArn(svc),
      clusterArn: clusterArn(svc.cluster),
      startedAt: date(d.createdAt),
      createdAt: date(d.createdAt),
      ...(st.finishedAt !== undefined ? { finishedAt: date(st.finishedAt) } : {}),
      targetServiceRevisionArn: revisionArn(svc, d),
      status: st.status,
      ...(st.reason ? { statusReason: st.reason } : {}),
    };
  }

  #serviceDeployment(svc: ServiceRecord, d: EcsDeploymentRecord, now: number): ServiceDeployment {
    const st = this.#serviceDeploymentStatus(svc, d, now);
    const index = svc.deployments.indexOf(d);
    const sources = index === 0 ? new Map<EcsDeploymentRecord, number>() : this.#shares(svc, d.createdAt, index - 1);
    const shares = this.#shares(svc, now);
    return {
      serviceDeploymentArn: deploymentArn(svc, d),
      serviceArn: serviceArn(svc),
      clusterArn: clusterArn(svc.cluster),
      createdAt: date(d.createdAt),
      startedAt: date(d.createdAt),
      ...(st.finishedAt !== undefined ? { finishedAt: date(st.finishedAt) } : {}),
      ...(st.status === 'STOPPED' ? { stoppedAt: date(st.finishedAt!) } : {}),
      updatedAt: date(st.finishedAt ?? now),
      // What this deployment replaced: the revisions running when it started, scaled to zero by it.
      sourceServiceRevisions: [...sources.keys()].map((src) => ({
        arn: revisionArn(svc, src),
        requestedTaskCount: 0,
        runningTaskCount: Math.round(svc.desiredCount * (shares.get(src) ?? 0)),
        pendingTaskCount: 0,
      })),
      targetServiceRevision: {
        arn: revisionArn(svc, d),
        requestedTaskCount: d.desiredCount,
        runningTaskCount: Math.round(d.desiredCount * (shares.get(d) ?? 0)),
        pendingTaskCount: 0,
      },
      status: st.status,
      ...(st.reason ? { statusReason: st.reason } : {}),
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: false, rollback: false },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deploymentCircuitBreaker: { status: 'DISABLED', failureCount: 0, threshold: 0 },
      alarms: { status: 'DISABLED' },
    };
  }
}

function serviceName(ref: string): string {
  return ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
}
function clusterArn(cluster: string): string {
  return `${ARN_PREFIX}:cluster/${cluster}`;
}
function serviceArn(svc: Pick<ServiceRecord, 'cluster' | 'name'>): string {
  return `${ARN_PREFIX}:service/${svc.cluster}/${svc.name}`;
}
function deploymentArn(svc: Pick<ServiceRecord, 'cluster' | 'name'>, d: EcsDeploymentRecord): string {
  return `${ARN_PREFIX}:service-deployment/${svc.cluster}/${svc.name}/${d.shortId}`;
}
function revisionArn(svc: Pick<ServiceRecord, 'cluster' | 'name'>, d: EcsDeploymentRecord): string {
  return `${ARN_PREFIX}:service-revision/${svc.cluster}/${svc.name}/${d.shortId}`;
}

function taskDefinitionOut(td: TaskDefinitionRecord): TaskDefinition {
  return {
    taskDefinitionArn: `${ARN_PREFIX}:task-definition/${td.family}:${td.revision}`,
    family: td.family,
    revision: td.revision,
    status: 'ACTIVE',
    containerDefinitions: [
      {
        name: td.family,
        image: `${SIM_ACCOUNT}.dkr.ecr.${SIM_REGION}.amazonaws.com/${td.family}:r${td.revision}`,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      },
    ],
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '512',
    memory: '1024',
    registeredAt: date(td.registeredAt),
  };
}
