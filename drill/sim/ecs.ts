import { createHash } from 'node:crypto';

import {
  ClientException,
  ClusterNotFoundException,
  ConflictException,
  type Deployment,
  type DeploymentRolloutState,
  type DescribeServiceDeploymentsCommandInput,
  type DescribeServiceDeploymentsCommandOutput,
  type DescribeServiceRevisionsCommandInput,
  type DescribeServiceRevisionsCommandOutput,
  type DescribeServicesCommandInput,
  type DescribeServicesCommandOutput,
  type DescribeTaskDefinitionCommandInput,
  type DescribeTaskDefinitionCommandOutput,
  type Failure,
  InvalidParameterException,
  type ListServiceDeploymentsCommandInput,
  type ListServiceDeploymentsCommandOutput,
  type Service,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  ServiceDeploymentNotFoundException,
  type ServiceDeploymentStatus,
  type ServiceEvent,
  ServiceNotFoundException,
  type ServiceRevisionSummary,
  type StopServiceDeploymentCommandInput,
  type StopServiceDeploymentCommandOutput,
  type TaskDefinition,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from '@aws-sdk/client-ecs';

import type { VirtualClock } from './clock.js';
import { SIM_ACCOUNT, SIM_REGION, stableDigits, stableUuid } from './ids.js';
import { type CommandHandler, decodeToken, errorMetadata, type Out, paginate, type SimService } from './wire.js';

/**
 * Simulated Amazon ECS: clusters, services and task definitions, with rolling deployments,
 * the service deployment history (service deployments and service revisions), manual rollbacks
 * through StopServiceDeployment, and in-place scaling. Honest rather than exhaustive: enough for
 * triage to read what changed, for the rollback and scale-out mitigations to act, and for the
 * health model to know which task definition serves traffic and how many tasks run.
 *
 * How time works here (all of it derived from the virtual clock, so any instant can be asked about):
 * - A **rolling deployment** (UpdateService with a new task definition, or forceNewDeployment)
 *   waits `deploymentStartSeconds` (its service deployment is PENDING meanwhile), then moves the
 *   service's tasks to the new revision at a constant rate: a full replacement takes
 *   `deploymentSeconds`. The tasks it replaces shrink in proportion, so the total stays at the
 *   running count (maximumPercent surge is not modelled). A new deployment that starts before
 *   the previous one finished takes over from whatever mix was running at that instant.
 * - **Traffic shifts gradually**: each task definition serves the share of traffic equal to its
 *   share of the running tasks (tasks behind a load balancer take requests as soon as they run),
 *   so the health model sees a fault fade in or out linearly during a rollout or a rollback.
 * - **StopServiceDeployment (ROLLBACK)** does not create a new service deployment or service
 *   revision (as in ECS): the stopped one goes ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS →
 *   ROLLBACK_SUCCESSFUL, and `rollback.serviceRevisionArn` names the last successful revision.
 *   In DescribeServices a new PRIMARY deployment of that revision appears, and the stopped one
 *   turns FAILED while it drains. Tasks of the restored revision that still run are kept, so a
 *   rollback takes `deploymentSeconds` × (share of tasks on the bad revision).
 * - **desiredCount** changes without a new task definition scale the current deployment in place.
 *   Extra tasks are PENDING for `taskStartSeconds` before they count as running; tasks removed by
 *   a scale-in stop at once. The running count at `t` is the lowest desired count of the last
 *   `taskStartSeconds`, which covers any sequence of scale-ups and scale-ins.
 */

const ARN_PREFIX = `arn:aws:ecs:${SIM_REGION}:${SIM_ACCOUNT}`;

interface TaskDefinitionRecord {
  readonly family: string;
  readonly revision: number;
  readonly registeredAt: number;
}

/** A service revision: the configuration one service deployment rolls out. Immutable. */
interface RevisionRecord {
  readonly id: string;
  /** "family:revision". */
  readonly taskDefinition: string;
  readonly createdAt: number;
}

/** An entry of the service deployment history (ListServiceDeployments). */
interface ServiceDeploymentRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly target: RevisionRecord;
  /** The revisions running when it started, with their share of the tasks then. */
  readonly sources: ReadonlyMap<RevisionRecord, number>;
  /** The ECS deployment (DescribeServices) that rolls it out; set right after creation. */
  rollout?: EcsDeploymentRecord;
  /** Set by StopServiceDeployment ROLLBACK. */
  stop?: { readonly at: number; readonly to: RevisionRecord; readonly deployment: EcsDeploymentRecord };
}

/** An entry of DescribeServices `deployments` ("ecs-svc/…"). */
interface EcsDeploymentRecord {
  readonly id: string;
  /** "family:revision". */
  readonly taskDefinition: string;
  readonly revision: RevisionRecord;
  readonly serviceDeployment: ServiceDeploymentRecord;
  readonly createdAt: number;
  /** "rollout": started by CreateService/UpdateService; "rollback": started by StopServiceDeployment. */
  readonly kind: 'rollout' | 'rollback';
}

/**
 * The stretch of time during which one ECS deployment is the PRIMARY: it grows from `initial`
 * to all tasks, the deployments listed in `others` shrink in proportion.
 */
interface Phase {
  readonly deployment: EcsDeploymentRecord;
  readonly start: number;
  readonly delayMs: number;
  readonly initial: number;
  readonly others: ReadonlyMap<EcsDeploymentRecord, number>;
  readonly completeAt: number;
}

interface ServiceRecord {
  readonly cluster: string;
  readonly name: string;
  readonly createdAt: number;
  /** One per ECS deployment, in creation order (which is also time order). */
  readonly phases: Phase[];
  readonly serviceDeployments: ServiceDeploymentRecord[];
  /** Desired count over time; the first entry is the creation. */
  readonly desired: { readonly at: number; readonly count: number }[];
}

/** Options for {@link SimEcs}. */
export interface SimEcsOptions {
  readonly clock: VirtualClock;
  /** Seconds a rolling deployment takes to replace every task. @default 120 */
  readonly deploymentSeconds?: number;
  /** Seconds a new service deployment (or a rollback) stays PENDING / ROLLBACK_REQUESTED before tasks move. @default 0 */
  readonly deploymentStartSeconds?: number;
  /** Seconds a task added by a scale-out is PENDING before it runs. @default 60 */
  readonly taskStartSeconds?: number;
}

/** Plain-JSON view of the ECS state, for snapshots. */
export interface EcsSnapshot {
  taskDefinitions: string[];
  services: {
    cluster: string;
    name: string;
    desiredCount: number;
    runningCount: number;
    taskDefinition: string;
    deployments: { id: string; taskDefinition: string; status: string; rolloutState: string; createdAt: string; runningCount: number }[];
    serviceDeployments: { arn: string; taskDefinition: string; status: string; createdAt: string; rollbackTo?: string }[];
  }[];
}

const date = (ms: number): Date => new Date(ms);

/** Service deployment statuses from which StopServiceDeployment starts a rollback. */
const STOPPABLE: ReadonlySet<ServiceDeploymentStatus> = new Set(['PENDING', 'IN_PROGRESS']);
/** Statuses in which a rollback is already under way; stopping again just lets it continue. */
const ROLLING_BACK: ReadonlySet<ServiceDeploymentStatus> = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS']);

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

/** A service deployment ID in the style ECS uses (20 URL-safe characters), derived from `seed`. */
function stableToken(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url').slice(0, 20);
}

/**
 * Splits `total` tasks by `shares` (summing to 1) into whole numbers that add up to `total`
 * (largest remainder; ties go to the earlier entry).
 */
function apportion(total: number, shares: readonly number[]): number[] {
  const exact = shares.map((s) => s * total);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, rest: x - counts[i]! })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    counts[i]! += 1;
    left -= 1;
  }
  return counts;
}

/** Simulated ECS control plane, plus which task definition serves traffic when, and on how many tasks. */
export class SimEcs implements SimService {
  readonly service = 'ecs' as const;
  readonly #clock: VirtualClock;
  readonly #deploymentMs: number;
  readonly #startDelayMs: number;
  readonly #taskStartMs: number;
  readonly #clusters = new Set<string>();
  readonly #taskDefinitions = new Map<string, TaskDefinitionRecord>();
  readonly #services = new Map<string, ServiceRecord>();
  #seq = 0;

  constructor(options: SimEcsOptions) {
    this.#clock = options.clock;
    this.#deploymentMs = (options.deploymentSeconds ?? 120) * 1000;
    this.#startDelayMs = (options.deploymentStartSeconds ?? 0) * 1000;
    this.#taskStartMs = (options.taskStartSeconds ?? 60) * 1000;
    if (!(this.#deploymentMs > 0)) throw new RangeError('deploymentSeconds must be positive');
    if (!(this.#startDelayMs >= 0) || !(this.#taskStartMs >= 0)) throw new RangeError('deploymentStartSeconds and taskStartSeconds must not be negative');
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
    const at = s.createdAt.getTime();
    const svc: ServiceRecord = { cluster: s.cluster, name: s.name, createdAt: at, phases: [], serviceDeployments: [], desired: [{ at, count: s.desiredCount }] };
    this.#services.set(`${s.cluster}/${s.name}`, svc);
    // The service is seeded as already running: its first deployment is complete at creation.
    this.#startServiceDeployment(svc, `${td.family}:${td.revision}`, at, { seed: true });
  }

  // ---- what is serving traffic ----

  /**
   * The task definition ("family:revision") running the largest share of the service's tasks at
   * `at`. Traffic follows tasks, so during a rollout or rollback this flips once the new revision
   * runs more than half of the tasks.
   */
  runningTaskDefinition(cluster: string, service: string, at: Date): string | undefined {
    const svc = this.#services.get(`${cluster}/${service}`);
    if (!svc) return undefined;
    let best: { td: string; share: number } | undefined;
    for (const [td, share] of this.#byTaskDefinition(svc, at.getTime())) if (!best || share >= best.share) best = { td, share };
    return best?.td;
  }

  /** Share (0..1) of the service's tasks, and so of its traffic, running `taskDefinition` ("family:revision") at `at`. */
  taskDefinitionShare(cluster: string, service: string, taskDefinition: string, at: Date): number {
    const svc = this.#services.get(`${cluster}/${service}`);
    if (!svc) return 0;
    const wanted = parseTaskDefinitionRef(taskDefinition);
    return this.#byTaskDefinition(svc, at.getTime()).get(`${wanted.family}:${wanted.revision}`) ?? 0;
  }

  /** Tasks of the service running at `at` (RUNNING, not PENDING); 0 for a service that does not exist (yet). */
  capacity(cluster: string, service: string, at: Date): number {
    const svc = this.#services.get(`${cluster}/${service}`);
    if (!svc || at.getTime() < svc.createdAt) return 0;
    return this.#runningAt(svc, at.getTime());
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
      StopServiceDeployment: (i: StopServiceDeploymentCommandInput) => this.stopServiceDeployment(i),
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
      if (svc && svc.createdAt <= now) services.push(this.#serviceOut(svc, now, input.include?.includes('TAGS') ?? false));
      else failures.push({ arn: ref.startsWith('arn:') ? ref : `${ARN_PREFIX}:service/${cluster}/${ref}`, reason: 'MISSING' });
    }
    return { services, failures };
  }

  updateService(input: UpdateServiceCommandInput): Out<UpdateServiceCommandOutput> {
    const svc = this.#requireService(input.cluster, input.service);
    const now = this.#clock.nowMs();
    if (input.desiredCount !== undefined && (!Number.isInteger(input.desiredCount) || input.desiredCount < 0)) {
      throw invalidParameter('desiredCount must be a non-negative integer');
    }
    const primary = svc.phases.at(-1)!.deployment;
    let taskDefinition = primary.taskDefinition;
    if (input.taskDefinition !== undefined) {
      const td = this.#resolveTaskDefinition(input.taskDefinition);
      if (!td) throw clientError('TaskDefinition not found.');
      taskDefinition = `${td.family}:${td.revision}`;
    }
    if (input.desiredCount !== undefined && input.desiredCount !== this.#desiredAt(svc, now)) {
      svc.desired.push({ at: now, count: input.desiredCount });
    }
    // ECS starts a new deployment only when what the tasks run changes (or when forced);
    // a desiredCount change alone scales the current deployment in place.
    if (taskDefinition !== primary.taskDefinition || input.forceNewDeployment) {
      this.#startServiceDeployment(svc, taskDefinition, now, { seed: false });
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
    const svc = this.#requireService(input.cluster, input.service);
    const max = input.maxResults ?? 20;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParameter('maxResults must be between 1 and 100');
    const offset = decodeToken(input.nextToken);
    if (offset === undefined) throw invalidParameter('Invalid nextToken');
    const now = this.#clock.nowMs();
    const after = input.createdAt?.after?.getTime() ?? -Infinity;
    const before = input.createdAt?.before?.getTime() ?? Infinity;
    const items = [...svc.serviceDeployments]
      .reverse()
      .filter((sd) => sd.createdAt <= now && sd.createdAt >= after && sd.createdAt <= before)
      .map((sd) => this.#brief(svc, sd, now))
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
      const found = this.#findServiceDeployment(arn, now);
      if (found) serviceDeployments.push(this.#serviceDeploymentOut(found.svc, found.sd, now));
      else failures.push({ arn, reason: 'MISSING' });
    }
    return { serviceDeployments, failures };
  }

  describeServiceRevisions(input: DescribeServiceRevisionsCommandInput): Out<DescribeServiceRevisionsCommandOutput> {
    const arns = input.serviceRevisionArns ?? [];
    if (arns.length < 1 || arns.length > 20) throw invalidParameter('serviceRevisionArns must list between 1 and 20 ARNs');
    const now = this.#clock.nowMs();
    const serviceRevisions: NonNullable<DescribeServiceRevisionsCommandOutput['serviceRevisions']> = [];
    const failures: Failure[] = [];
    for (const arn of arns) {
      const found = this.#findRevision(arn, now);
      if (!found) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      serviceRevisions.push({
        serviceRevisionArn: revisionArn(found.svc, found.revision),
        serviceArn: serviceArn(found.svc),
        clusterArn: clusterArn(found.svc.cluster),
        taskDefinition: taskDefinitionArn(found.revision.taskDefinition),
        launchType: 'FARGATE',
        platformVersion: '1.4.0',
        platformFamily: 'Linux',
        createdAt: date(found.revision.createdAt),
      });
    }
    return { serviceRevisions, failures };
  }

  /**
   * Stops an ongoing service deployment by rolling it back to the last successful service
   * revision. A deployment already rolling back continues (no error); a finished one cannot be
   * stopped (ConflictException). Only the ROLLBACK stop type is simulated.
   */
  stopServiceDeployment(input: StopServiceDeploymentCommandInput): Out<StopServiceDeploymentCommandOutput> {
    const arn = input.serviceDeploymentArn ?? '';
    if (input.stopType !== undefined && input.stopType !== 'ROLLBACK') {
      throw invalidParameter(`stopType ${input.stopType} is not supported by the simulated account; use ROLLBACK`);
    }
    const now = this.#clock.nowMs();
    const found = this.#findServiceDeployment(arn, now);
    if (!found) {
      throw new ServiceDeploymentNotFoundException({ message: `The service deployment ${arn} does not exist.`, $metadata: errorMetadata(400) });
    }
    const { svc, sd } = found;
    const { status } = this.#serviceDeploymentStatus(svc, sd, now);
    if (ROLLING_BACK.has(status)) return { serviceDeploymentArn: deploymentArn(svc, sd) };
    if (!STOPPABLE.has(status)) {
      throw new ConflictException({ message: `The service deployment ${arn} is ${status} and can no longer be stopped.`, $metadata: errorMetadata(400) });
    }
    const to = this.#lastSuccessfulRevision(svc, sd, now);
    if (!to) throw clientError(`The service deployment ${arn} has no successful service revision to roll back to.`);
    const deployment = this.#newEcsDeployment(svc, to, sd, 'rollback', now);
    sd.stop = { at: now, to, deployment };
    this.#addPhase(svc, deployment, now, { adopt: true });
    return { serviceDeploymentArn: deploymentArn(svc, sd) };
  }

  // ---- snapshot ----

  snapshot(): EcsSnapshot {
    const now = this.#clock.nowMs();
    return {
      taskDefinitions: [...this.#taskDefinitions.keys()],
      services: [...this.#services.values()]
        .filter((svc) => svc.createdAt <= now)
        .map((svc) => {
          const counts = this.#countsAt(svc, now);
          return {
            cluster: svc.cluster,
            name: svc.name,
            desiredCount: this.#desiredAt(svc, now),
            runningCount: this.#runningAt(svc, now),
            taskDefinition: this.#primaryAt(svc, now).taskDefinition,
            deployments: this.#phasesUpTo(svc, now).map(({ deployment: d }) => ({
              id: d.id,
              taskDefinition: d.taskDefinition,
              status: this.#deploymentStatus(svc, d, now),
              rolloutState: this.#rollout(svc, d, now).state,
              createdAt: date(d.createdAt).toISOString(),
              runningCount: counts.get(d) ?? 0,
            })),
            serviceDeployments: svc.serviceDeployments
              .filter((sd) => sd.createdAt <= now)
              .map((sd) => ({
                arn: deploymentArn(svc, sd),
                taskDefinition: sd.target.taskDefinition,
                status: this.#serviceDeploymentStatus(svc, sd, now).status,
                createdAt: date(sd.createdAt).toISOString(),
                ...(sd.stop && sd.stop.at <= now ? { rollbackTo: sd.stop.to.taskDefinition } : {}),
              })),
          };
        }),
    };
  }

  // ---- internals: state changes ----

  #requireCluster(ref: string | undefined): string {
    const name = ref === undefined ? 'default' : ref.startsWith('arn:') ? ref.slice(ref.indexOf(':cluster/') + ':cluster/'.length) : ref;
    if (!this.#clusters.has(name)) throw clusterNotFound();
    return name;
  }

  #requireService(clusterRef: string | undefined, serviceRef: string | undefined): ServiceRecord {
    const cluster = this.#requireCluster(clusterRef);
    const svc = this.#services.get(`${cluster}/${serviceName(serviceRef ?? '')}`);
    if (!svc || svc.createdAt > this.#clock.nowMs()) throw serviceNotFound();
    return svc;
  }

  #resolveTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    const { family, revision } = parseTaskDefinitionRef(ref);
    if (revision !== undefined) return this.#taskDefinitions.get(`${family}:${revision}`);
    // A bare family means its latest ACTIVE revision.
    return [...this.#taskDefinitions.values()].filter((t) => t.family === family).sort((a, b) => b.revision - a.revision)[0];
  }

  /** A new service revision + service deployment + ECS deployment, as CreateService/UpdateService make them. */
  #startServiceDeployment(svc: ServiceRecord, taskDefinition: string, at: number, options: { seed: boolean }): void {
    this.#seq += 1;
    const revision: RevisionRecord = { id: stableDigits(`${svc.cluster}/${svc.name}/revision/${this.#seq}`, 19), taskDefinition, createdAt: at };
    const sources = new Map<RevisionRecord, number>();
    for (const [d, share] of this.#mixAt(svc, at)) if (share > 0) sources.set(d.revision, (sources.get(d.revision) ?? 0) + share);
    const sd: ServiceDeploymentRecord = { id: stableToken(`${svc.cluster}/${svc.name}/service-deployment/${this.#seq}`), createdAt: at, target: revision, sources };
    svc.serviceDeployments.push(sd);
    const deployment = this.#newEcsDeployment(svc, revision, sd, 'rollout', at);
    sd.rollout = deployment;
    this.#addPhase(svc, deployment, at, { adopt: false, seed: options.seed });
  }

  #newEcsDeployment(svc: ServiceRecord, revision: RevisionRecord, sd: ServiceDeploymentRecord, kind: EcsDeploymentRecord['kind'], at: number): EcsDeploymentRecord {
    this.#seq += 1;
    const digits = stableDigits(`${svc.cluster}/${svc.name}/${this.#seq}`, 19);
    return { id: `ecs-svc/${digits}`, taskDefinition: revision.taskDefinition, revision, serviceDeployment: sd, createdAt: at, kind };
  }

  /**
   * Makes `deployment` the PRIMARY from `at`. With `adopt` (a rollback), tasks already running
   * the same revision count towards it instead of being replaced.
   */
  #addPhase(svc: ServiceRecord, deployment: EcsDeploymentRecord, at: number, options: { adopt: boolean; seed?: boolean }): void {
    if (options.seed) {
      svc.phases.push({ deployment, start: at, delayMs: 0, initial: 1, others: new Map(), completeAt: at });
      return;
    }
    let initial = 0;
    const others = new Map<EcsDeploymentRecord, number>();
    for (const [d, share] of this.#mixAt(svc, at)) {
      if (share <= 0) continue;
      if (options.adopt && d.revision === deployment.revision) initial += share;
      else others.set(d, share);
    }
    initial = Math.min(1, initial);
    const completeAt = at + this.#startDelayMs + Math.round((1 - initial) * this.#deploymentMs);
    svc.phases.push({ deployment, start: at, delayMs: this.#startDelayMs, initial, others, completeAt });
  }

  // ---- internals: state at an instant ----

  #phasesUpTo(svc: ServiceRecord, t: number): Phase[] {
    return svc.phases.filter((p) => p.start <= t);
  }

  #phaseIndex(svc: ServiceRecord, d: EcsDeploymentRecord): number {
    return svc.phases.findIndex((p) => p.deployment === d);
  }

  /** The phase after `index`, if it had started by `t`. */
  #nextPhase(svc: ServiceRecord, index: number, t: number): Phase | undefined {
    const next = svc.phases[index + 1];
    return next && next.start <= t ? next : undefined;
  }

  #primaryAt(svc: ServiceRecord, t: number): EcsDeploymentRecord {
    const phases = this.#phasesUpTo(svc, t);
    return (phases.at(-1) ?? svc.phases[0]!).deployment;
  }

  /** Share of the tasks each ECS deployment runs at `t` (older deployments first, the PRIMARY last). */
  #mixAt(svc: ServiceRecord, t: number): Map<EcsDeploymentRecord, number> {
    const phase = this.#phasesUpTo(svc, t).at(-1);
    if (!phase) return new Map();
    const x = t >= phase.completeAt ? 1 : Math.min(1, phase.initial + Math.max(0, t - phase.start - phase.delayMs) / this.#deploymentMs);
    const scale = phase.initial < 1 ? (1 - x) / (1 - phase.initial) : 0;
    const out = new Map<EcsDeploymentRecord, number>();
    for (const [d, share] of phase.others) if (share * scale > 1e-12) out.set(d, share * scale);
    out.set(phase.deployment, x);
    return out;
  }

  #byTaskDefinition(svc: ServiceRecord, t: number): Map<string, number> {
    const byTd = new Map<string, number>();
    for (const [d, share] of this.#mixAt(svc, t)) byTd.set(d.taskDefinition, (byTd.get(d.taskDefinition) ?? 0) + share);
    return byTd;
  }

  #desiredAt(svc: ServiceRecord, t: number): number {
    let count = svc.desired[0]!.count;
    for (const e of svc.desired) if (e.at <= t) count = e.count;
    return count;
  }

  /** The lowest desired count over the last taskStartSeconds: new tasks need that long to run, removed ones stop at once. */
  #runningAt(svc: ServiceRecord, t: number): number {
    let running = this.#desiredAt(svc, t - this.#taskStartMs);
    for (const e of svc.desired) if (e.at > t - this.#taskStartMs && e.at <= t) running = Math.min(running, e.count);
    return running;
  }

  /** Running tasks of each ECS deployment at `t`, in whole tasks that add up to the running count. */
  #countsAt(svc: ServiceRecord, t: number): Map<EcsDeploymentRecord, number> {
    const mix = [...this.#mixAt(svc, t)];
    const counts = apportion(
      this.#runningAt(svc, t),
      mix.map(([, share]) => share),
    );
    return new Map(mix.map(([d], i) => [d, counts[i]!]));
  }

  /** Rollout of one ECS deployment: COMPLETED once it ran every task before a newer one started. */
  #rollout(svc: ServiceRecord, d: EcsDeploymentRecord, t: number): { state: DeploymentRolloutState; completedAt?: number; supersededAt?: number } {
    const index = this.#phaseIndex(svc, d);
    const phase = svc.phases[index]!;
    const next = this.#nextPhase(svc, index, t);
    const supersededAt = next?.start;
    if (phase.completeAt <= t && (supersededAt === undefined || phase.completeAt <= supersededAt)) {
      return { state: 'COMPLETED', completedAt: phase.completeAt, ...(supersededAt !== undefined ? { supersededAt } : {}) };
    }
    // A rollout stopped by its own rollback has failed; one replaced by a newer UpdateService stays IN_PROGRESS while it drains.
    const rolledBack = next?.deployment.kind === 'rollback' && next.deployment.serviceDeployment === d.serviceDeployment;
    return { state: rolledBack ? 'FAILED' : 'IN_PROGRESS', ...(supersededAt !== undefined ? { supersededAt } : {}) };
  }

  #deploymentStatus(svc: ServiceRecord, d: EcsDeploymentRecord, t: number): 'PRIMARY' | 'ACTIVE' | 'INACTIVE' {
    if (this.#primaryAt(svc, t) === d) return 'PRIMARY';
    return (this.#mixAt(svc, t).get(d) ?? 0) > 0 ? 'ACTIVE' : 'INACTIVE';
  }

  #serviceDeploymentStatus(
    svc: ServiceRecord,
    sd: ServiceDeploymentRecord,
    t: number,
  ): { status: ServiceDeploymentStatus; reason?: string; finishedAt?: number; stoppedAt?: number } {
    if (sd.stop && sd.stop.at <= t) {
      const index = this.#phaseIndex(svc, sd.stop.deployment);
      const phase = svc.phases[index]!;
      const next = this.#nextPhase(svc, index, t);
      const stoppedAt = sd.stop.at;
      if (t < phase.start + phase.delayMs && !next) return { status: 'ROLLBACK_REQUESTED', stoppedAt };
      if (phase.completeAt <= t && (!next || phase.completeAt <= next.start)) {
        return { status: 'ROLLBACK_SUCCESSFUL', reason: `Rolled back to ${sd.stop.to.taskDefinition} by StopServiceDeployment.`, finishedAt: phase.completeAt, stoppedAt };
      }
      if (next) return { status: 'STOPPED', reason: 'A newer service deployment started before the rollback completed.', finishedAt: next.start, stoppedAt };
      return { status: 'ROLLBACK_IN_PROGRESS', stoppedAt };
    }
    const index = this.#phaseIndex(svc, sd.rollout!);
    const phase = svc.phases[index]!;
    const next = this.#nextPhase(svc, index, t);
    if (phase.completeAt <= t && (!next || phase.completeAt <= next.start)) return { status: 'SUCCESSFUL', finishedAt: phase.completeAt };
    if (next) return { status: 'STOPPED', reason: 'A newer service deployment replaced this one before it completed.', finishedAt: next.start, stoppedAt: next.start };
    if (t < phase.start + phase.delayMs) return { status: 'PENDING' };
    return { status: 'IN_PROGRESS' };
  }

  /** What ECS rolls back to: the target of the newest earlier deployment that succeeded, or what an earlier rollback restored. */
  #lastSuccessfulRevision(svc: ServiceRecord, sd: ServiceDeploymentRecord, t: number): RevisionRecord | undefined {
    const index = svc.serviceDeployments.indexOf(sd);
    for (let i = index - 1; i >= 0; i--) {
      const older = svc.serviceDeployments[i]!;
      const { status } = this.#serviceDeploymentStatus(svc, older, t);
      if (status === 'SUCCESSFUL') return older.target;
      if (status === 'ROLLBACK_SUCCESSFUL') return older.stop!.to;
    }
    return undefined;
  }

  #findServiceDeployment(arn: string, t: number): { svc: ServiceRecord; sd: ServiceDeploymentRecord } | undefined {
    const match = /:service-deployment\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(arn);
    if (!match) return undefined;
    const svc = this.#services.get(`${match[1]}/${match[2]}`);
    const sd = svc?.serviceDeployments.find((x) => x.id === match[3] && x.createdAt <= t);
    return svc && sd ? { svc, sd } : undefined;
  }

  #findRevision(arn: string, t: number): { svc: ServiceRecord; revision: RevisionRecord } | undefined {
    const match = /:service-revision\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(arn);
    if (!match) return undefined;
    const svc = this.#services.get(`${match[1]}/${match[2]}`);
    const revision = svc?.serviceDeployments.map((x) => x.target).find((r) => r.id === match[3] && r.createdAt <= t);
    return svc && revision ? { svc, revision } : undefined;
  }

  // ---- internals: API shapes ----

  #deploymentOut(svc: ServiceRecord, d: EcsDeploymentRecord, now: number, running: number, pending: number): Deployment {
    const rollout = this.#rollout(svc, d, now);
    const status = this.#deploymentStatus(svc, d, now);
    const updatedAt = Math.max(d.createdAt, Math.min(now, rollout.completedAt ?? rollout.supersededAt ?? now));
    const reason =
      rollout.state === 'COMPLETED'
        ? `ECS deployment ${d.id} completed.`
        : rollout.state === 'FAILED'
          ? `Service deployment rolled back by StopServiceDeployment; ECS deployment ${d.id} stopped.`
          : d.kind === 'rollback'
            ? `ECS deployment ${d.id} in progress: rolling back to ${d.taskDefinition}.`
            : `ECS deployment ${d.id} in progress.`;
    return {
      id: d.id,
      status,
      taskDefinition: taskDefinitionArn(d.taskDefinition),
      // Older deployments are scaled down as they drain; the PRIMARY asks for the service's count.
      desiredCount: status === 'PRIMARY' ? this.#desiredAt(svc, now) : running,
      pendingCount: pending,
      runningCount: running,
      failedTasks: 0,
      createdAt: date(d.createdAt),
      updatedAt: date(updatedAt),
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      rolloutState: rollout.state,
      rolloutStateReason: reason,
    };
  }

  #serviceOut(svc: ServiceRecord, now: number, withTags: boolean): Service {
    const counts = this.#countsAt(svc, now);
    const primary = this.#primaryAt(svc, now);
    const desired = this.#desiredAt(svc, now);
    const running = this.#runningAt(svc, now);
    const pending = Math.max(0, desired - running);
    const mix = this.#mixAt(svc, now);
    // DescribeServices lists the PRIMARY deployment and the ACTIVE ones still draining; INACTIVE ones drop out.
    const deployments = this.#phasesUpTo(svc, now)
      .map((p) => p.deployment)
      .reverse()
      .filter((d) => d === primary || (mix.get(d) ?? 0) > 0)
      .map((d) => this.#deploymentOut(svc, d, now, counts.get(d) ?? 0, d === primary ? pending : 0));
    return {
      serviceArn: serviceArn(svc),
      serviceName: svc.name,
      clusterArn: clusterArn(svc.cluster),
      loadBalancers: [],
      serviceRegistries: [],
      status: 'ACTIVE',
      desiredCount: desired,
      runningCount: running,
      pendingCount: pending,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
      taskDefinition: taskDefinitionArn(primary.taskDefinition),
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: false, rollback: false },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deployments,
      events: this.#events(svc, now),
      createdAt: date(svc.createdAt),
      currentServiceDeployment: deploymentArn(svc, primary.serviceDeployment),
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
    this.#phasesUpTo(svc, now).forEach((phase, i) => {
      const d = phase.deployment;
      if (i > 0) {
        events.push({
          at: d.createdAt,
          message:
            d.kind === 'rollback'
              ? `(service ${svc.name}) (service deployment ${d.serviceDeployment.id}) rolling back to ${d.taskDefinition} (deployment ${d.id}).`
              : `(service ${svc.name}) has started ${this.#desiredAt(svc, d.createdAt)} tasks for deployment ${d.id} (${d.taskDefinition}).`,
        });
      }
      const rollout = this.#rollout(svc, d, now);
      if (rollout.completedAt !== undefined && rollout.completedAt <= now) {
        // Same instant: listed newest first after the stable sort, so the steady state goes in first.
        events.push({ at: rollout.completedAt, message: `(service ${svc.name}) has reached a steady state.` });
        events.push({ at: rollout.completedAt, message: `(service ${svc.name}) (deployment ${d.id}) deployment completed.` });
      }
    });
    for (const s of svc.desired.slice(1)) {
      if (s.at <= now) events.push({ at: s.at, message: `(service ${svc.name}) desired count changed to ${s.count}.` });
    }
    return events
      .sort((a, b) => b.at - a.at)
      .slice(0, 100)
      .map((e, i) => ({ id: stableUuid(`${svc.cluster}/${svc.name}/${e.at}/${i}`), createdAt: date(e.at), message: e.message }));
  }

  #brief(svc: ServiceRecord, sd: ServiceDeploymentRecord, now: number): ServiceDeploymentBrief {
    const st = this.#serviceDeploymentStatus(svc, sd, now);
    return {
      serviceDeploymentArn: deploymentArn(svc, sd),
      serviceArn: serviceArn(svc),
      clusterArn: clusterArn(svc.cluster),
      startedAt: date(sd.createdAt),
      createdAt: date(sd.createdAt),
      ...(st.finishedAt !== undefined ? { finishedAt: date(st.finishedAt) } : {}),
      targetServiceRevisionArn: revisionArn(svc, sd.target),
      status: st.status,
      ...(st.reason ? { statusReason: st.reason } : {}),
    };
  }

  #serviceDeploymentOut(svc: ServiceRecord, sd: ServiceDeploymentRecord, now: number): ServiceDeployment {
    const st = this.#serviceDeploymentStatus(svc, sd, now);
    const counts = this.#countsAt(svc, now);
    const runningOf = (revision: RevisionRecord): number => {
      let n = 0;
      for (const [d, c] of counts) if (d.revision === revision) n += c;
      return n;
    };
    // Only the revision the service is on now is asked to run tasks; what it replaced, or what was rolled back, is asked for none.
    const current = this.#primaryAt(svc, now).revision === sd.target;
    const summary = (revision: RevisionRecord, requested: number): ServiceRevisionSummary => ({
      arn: revisionArn(svc, revision),
      requestedTaskCount: requested,
      runningTaskCount: runningOf(revision),
      pendingTaskCount: 0,
    });
    return {
      serviceDeploymentArn: deploymentArn(svc, sd),
      serviceArn: serviceArn(svc),
      clusterArn: clusterArn(svc.cluster),
      createdAt: date(sd.createdAt),
      startedAt: date(sd.createdAt),
      ...(st.finishedAt !== undefined ? { finishedAt: date(st.finishedAt) } : {}),
      ...(st.stoppedAt !== undefined ? { stoppedAt: date(st.stoppedAt) } : {}),
      updatedAt: date(st.finishedAt ?? (sd.stop && sd.stop.at <= now ? sd.stop.at : sd.createdAt)),
      // What this deployment replaced: the revisions running when it started, scaled to zero by it.
      sourceServiceRevisions: [...sd.sources.keys()].map((revision) => summary(revision, 0)),
      targetServiceRevision: summary(sd.target, current ? this.#desiredAt(svc, now) : 0),
      status: st.status,
      ...(st.reason ? { statusReason: st.reason } : {}),
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: false, rollback: false },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      ...(sd.stop && sd.stop.at <= now
        ? { rollback: { reason: 'Rollback requested with StopServiceDeployment.', startedAt: date(sd.stop.at), serviceRevisionArn: revisionArn(svc, sd.stop.to) } }
        : {}),
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
function deploymentArn(svc: Pick<ServiceRecord, 'cluster' | 'name'>, sd: ServiceDeploymentRecord): string {
  return `${ARN_PREFIX}:service-deployment/${svc.cluster}/${svc.name}/${sd.id}`;
}
function revisionArn(svc: Pick<ServiceRecord, 'cluster' | 'name'>, revision: RevisionRecord): string {
  return `${ARN_PREFIX}:service-revision/${svc.cluster}/${svc.name}/${revision.id}`;
}
function taskDefinitionArn(taskDefinition: string): string {
  return `${ARN_PREFIX}:task-definition/${taskDefinition}`;
}

function taskDefinitionOut(td: TaskDefinitionRecord): TaskDefinition {
  return {
    taskDefinitionArn: taskDefinitionArn(`${td.family}:${td.revision}`),
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
