import {
  type DBCluster,
  DBClusterNotFoundFault,
  type DBInstance,
  DBInstanceNotFoundFault,
  type DescribeDBClustersCommandInput,
  type DescribeDBClustersCommandOutput,
  type DescribeDBInstancesCommandInput,
  type DescribeDBInstancesCommandOutput,
  type FailoverDBClusterCommandInput,
  type FailoverDBClusterCommandOutput,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import * as z from 'zod';

import type { VirtualClock } from './clock.js';
import { SIM_ACCOUNT, SIM_REGION } from './ids.js';
import { type CommandHandler, errorMetadata, type Out, type SimService } from './wire.js';

/**
 * Simulated Amazon RDS for Aurora: DB clusters with one writer and readers, and `FailoverDBCluster`
 * that takes time on the virtual clock. What the health model needs is modelled too: which instance
 * is the writer at any instant ({@link SimRds.isWriter}), so a fault tied to the writer ("orders-db-1
 * locks up") hurts exactly while that instance writes, and stops once a healthy replica took over.
 * Each reader's replica lag is a step series published as the CloudWatch metric `AuroraReplicaLag`
 * (milliseconds, dimension `DBInstanceIdentifier`; {@link SimRds.metric}), the way Aurora reports it.
 *
 * Modelling choices, each a simplification of the real service:
 * - **A failover takes `failoverSeconds`** (45 s by default; Aurora typically needs under 30 s plus
 *   DNS and reconnects). Meanwhile the cluster is `failing-over` and the old writer still writes; at
 *   the end the target is the writer and the cluster `available` again.
 * - One failover at a time: another one while the cluster is `failing-over` is refused with
 *   `InvalidDBClusterStateFault`, as RDS does.
 * - The writer publishes no `AuroraReplicaLag` (it is the source); a reader publishes its series.
 * - Instance status follows the scenario (`status`, `statusChanges`); a failover does not reboot anything.
 * - Aurora global databases (DescribeGlobalClusters, Switchover/FailoverGlobalCluster) are not simulated.
 */

/** Offsets as drill/scenario.ts writes them ("+HH:MM[:SS]"); duplicated because scenario.ts imports this module. */
const OFFSET_PATTERN = /^([+-])(\d{2,3}):([0-5]\d)(?::([0-5]\d))?$/;
const OffsetSchema = z.string().regex(OFFSET_PATTERN, 'offset must look like "+HH:MM" or "+HH:MM:SS" ("-HH:MM" before startsAt)');
const offsetMs = (offset: string): number => {
  const m = OFFSET_PATTERN.exec(offset)!;
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return (m[1] === '-' ? -seconds : seconds) * 1000;
};

const identifier = z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'RDS identifiers start with a letter; then letters, digits and - (max 63)');
/** DB instance statuses the simulation knows (RDS has more; these are the ones a failover cares about). */
const INSTANCE_STATUSES = ['available', 'rebooting', 'modifying', 'backing-up', 'maintenance', 'failed', 'stopped', 'inaccessible-encryption-credentials'] as const;

const InstanceSpecSchema = z
  .object({
    id: identifier,
    role: z.enum(['writer', 'reader']),
    /** 0–15: Aurora's own automatic failover promotes the lowest tier first. */
    promotionTier: z.number().int().min(0).max(15).default(1),
    /** DBInstanceStatus at startsAt. */
    status: z.enum(INSTANCE_STATUSES).default('available'),
    /** Later status changes ("the replica starts rebooting at +00:12"). */
    statusChanges: z.array(z.object({ at: OffsetSchema, status: z.enum(INSTANCE_STATUSES) }).strict()).default([]),
    /** Replica lag in seconds while the instance is a reader (AuroraReplicaLag), before the first `lag` entry. */
    lagSeconds: z.number().min(0).max(86_400).default(0.02),
    /** Later lag values, each holding until the next (a step series). */
    lag: z.array(z.object({ at: OffsetSchema, seconds: z.number().min(0).max(86_400) }).strict()).default([]),
  })
  .strict();

/**
 * The `database` section of a drill scenario: one Aurora cluster, its instances (exactly one
 * writer), and how long a failover takes. Offsets count from the scenario's `startsAt`.
 */
export const RdsScenarioSchema = z
  .object({
    cluster: z.object({ id: identifier, instances: z.array(InstanceSpecSchema).min(1).max(16) }).strict(),
    /** Seconds from FailoverDBCluster until the target writes and the cluster is available again. */
    failoverSeconds: z.number().int().min(1).max(600).default(45),
  })
  .strict()
  .superRefine((s, ctx) => {
    const writers = s.cluster.instances.filter((i) => i.role === 'writer');
    if (writers.length !== 1) ctx.addIssue({ code: 'custom', path: ['cluster', 'instances'], message: `a cluster has exactly one writer (found ${writers.length})` });
    const ids = new Set<string>();
    s.cluster.instances.forEach((inst, i) => {
      if (ids.has(inst.id.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['cluster', 'instances', i, 'id'], message: `duplicate instance id ${inst.id}` });
      ids.add(inst.id.toLowerCase());
      for (const [key, series] of [
        ['lag', inst.lag],
        ['statusChanges', inst.statusChanges],
      ] as const) {
        series.forEach((entry, j) => {
          if (j > 0 && OFFSET_PATTERN.test(entry.at) && OFFSET_PATTERN.test(series[j - 1]!.at) && offsetMs(entry.at) < offsetMs(series[j - 1]!.at)) {
            ctx.addIssue({ code: 'custom', path: ['cluster', 'instances', i, key, j, 'at'], message: `${key} entries must be in time order` });
          }
        });
      }
    });
  });
export type RdsScenario = z.infer<typeof RdsScenarioSchema>;
export type RdsScenarioInput = z.input<typeof RdsScenarioSchema>;

/** Options for {@link SimRds}. */
export interface SimRdsOptions {
  readonly clock: VirtualClock;
  /** Seconds a failover takes; default 45. */
  readonly failoverSeconds?: number;
}

/** An instance as the simulation is seeded with it. */
export interface InstanceSeed {
  readonly id: string;
  readonly writer: boolean;
  readonly promotionTier?: number;
  readonly status?: string;
  /** Replica lag (seconds) until the first {@link SimRds.setLag}. */
  readonly lagSeconds?: number;
}

/** One failover, as requested. */
interface Failover {
  readonly requestedAt: number;
  readonly completesAt: number;
  readonly from: string;
  readonly to: string;
}

interface InstanceState {
  readonly id: string;
  readonly clusterId: string;
  readonly promotionTier: number;
  /** Status steps, in time order (the first from the beginning of time). */
  readonly status: { at: number; status: string }[];
  /** Lag steps in seconds, in time order. */
  readonly lag: { at: number; seconds: number }[];
  readonly createdAt: number;
}

interface ClusterState {
  readonly id: string;
  readonly members: string[];
  readonly initialWriter: string;
  readonly failovers: Failover[];
  readonly createdAt: number;
}

/** Plain-JSON view of the RDS state, for snapshots. */
export interface RdsSnapshot {
  clusters: {
    id: string;
    status: string;
    writer: string;
    members: { id: string; writer: boolean; promotionTier: number; status: string; lagSeconds?: number }[];
    failovers: { requestedAt: string; completesAt: string; from: string; to: string }[];
  }[];
}

/** A CloudWatch metric the simulated account publishes (see SimCloudWatch's `metrics` option). */
export interface MetricQuery {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly at: Date;
}

const SERVICE = 'rds' as const;
const ERROR = (status: number) => ({ $metadata: errorMetadata(status) });

/** Simulated Aurora clusters. */
export class SimRds implements SimService {
  readonly service = SERVICE;
  readonly #clock: VirtualClock;
  readonly #failoverSeconds: number;
  readonly #clusters = new Map<string, ClusterState>();
  readonly #instances = new Map<string, InstanceState>();

  constructor(options: SimRdsOptions) {
    this.#clock = options.clock;
    this.#failoverSeconds = options.failoverSeconds ?? 45;
  }

  /** Builds the simulation from a scenario's `database` section; offsets count from `startsAt`. */
  static fromScenario(section: RdsScenarioInput, options: { clock: VirtualClock; startsAt: Date | string }): SimRds {
    const s = RdsScenarioSchema.parse(section);
    const start = new Date(options.startsAt).getTime();
    const sim = new SimRds({ clock: options.clock, failoverSeconds: s.failoverSeconds });
    sim.addCluster(
      s.cluster.id,
      s.cluster.instances.map((i) => ({ id: i.id, writer: i.role === 'writer', promotionTier: i.promotionTier, status: i.status, lagSeconds: i.lagSeconds })),
    );
    for (const i of s.cluster.instances) {
      for (const c of i.statusChanges) sim.setInstanceStatus(i.id, c.status, new Date(start + offsetMs(c.at)));
      for (const l of i.lag) sim.setLag(i.id, l.seconds, new Date(start + offsetMs(l.at)));
    }
    return sim;
  }

  // ---- seeding ----

  /** Adds a cluster with its instances (exactly one writer). */
  addCluster(id: string, instances: readonly InstanceSeed[]): void {
    const key = id.toLowerCase();
    if (this.#clusters.has(key)) throw new RangeError(`cluster ${id} already exists`);
    const writers = instances.filter((i) => i.writer);
    if (writers.length !== 1) throw new RangeError(`cluster ${id} needs exactly one writer (got ${writers.length})`);
    const createdAt = this.#clock.nowMs();
    for (const i of instances) {
      if (this.#instances.has(i.id.toLowerCase())) throw new RangeError(`instance ${i.id} already exists`);
      this.#instances.set(i.id.toLowerCase(), {
        id: i.id,
        clusterId: id,
        promotionTier: i.promotionTier ?? 1,
        status: [{ at: Number.NEGATIVE_INFINITY, status: i.status ?? 'available' }],
        lag: [{ at: Number.NEGATIVE_INFINITY, seconds: i.lagSeconds ?? 0.02 }],
        createdAt,
      });
    }
    this.#clusters.set(key, { id, members: instances.map((i) => i.id), initialWriter: writers[0]!.id, failovers: [], createdAt });
  }

  /** From `at` on, the instance reports `status`. */
  setInstanceStatus(instanceId: string, status: string, at: Date = this.#clock.now()): void {
    insertStep(this.#instance(instanceId).status, { at: at.getTime(), status });
  }

  /** From `at` on, the instance (while a reader) lags `seconds` behind the writer. */
  setLag(instanceId: string, seconds: number, at: Date = this.#clock.now()): void {
    insertStep(this.#instance(instanceId).lag, { at: at.getTime(), seconds });
  }

  // ---- what the health model and CloudWatch read ----

  /** The writer of the cluster at `t` (the old writer keeps writing until a failover completes). */
  writerAt(clusterId: string, t: Date = this.#clock.now()): string {
    const c = this.#cluster(clusterId);
    let writer = c.initialWriter;
    for (const f of c.failovers) if (f.completesAt <= t.getTime()) writer = f.to;
    return writer;
  }

  /** Whether `instanceId` is its cluster's writer at `t`. */
  isWriter(instanceId: string, t: Date = this.#clock.now()): boolean {
    const inst = this.#instances.get(instanceId.toLowerCase());
    if (!inst) return false;
    return this.writerAt(inst.clusterId, t).toLowerCase() === inst.id.toLowerCase();
  }

  /** The cluster's status at `t`: failing-over while a failover runs, available otherwise. */
  clusterStatusAt(clusterId: string, t: Date = this.#clock.now()): string {
    const ms = t.getTime();
    return this.#cluster(clusterId).failovers.some((f) => f.requestedAt <= ms && ms < f.completesAt) ? 'failing-over' : 'available';
  }

  instanceStatusAt(instanceId: string, t: Date = this.#clock.now()): string {
    return stepAt(this.#instance(instanceId).status, t.getTime())!.status;
  }

  /** Replica lag in seconds at `t`, or undefined while the instance is the writer (it publishes none). */
  lagAt(instanceId: string, t: Date = this.#clock.now()): number | undefined {
    if (this.isWriter(instanceId, t)) return undefined;
    return stepAt(this.#instance(instanceId).lag, t.getTime())!.seconds;
  }

  /**
   * The value of a metric this service publishes at `t`, or undefined when there is none:
   * `AWS/RDS AuroraReplicaLag` in milliseconds for a reader (dimension DBInstanceIdentifier).
   */
  metric(q: MetricQuery): number | undefined {
    if (q.namespace !== 'AWS/RDS' || q.metricName !== 'AuroraReplicaLag') return undefined;
    const keys = Object.keys(q.dimensions);
    const id = q.dimensions['DBInstanceIdentifier'];
    if (keys.length !== 1 || id === undefined || !this.#instances.has(id.toLowerCase())) return undefined;
    const inst = this.#instance(id);
    if (q.at.getTime() < inst.createdAt) return undefined;
    const lag = this.lagAt(id, q.at);
    return lag === undefined ? undefined : lag * 1000;
  }

  /**
   * Instants after `after` at which the state changes by itself (failovers completing, status and
   * lag steps): a drill is not over while one lies ahead.
   */
  boundaries(after: Date = this.#clock.now()): Date[] {
    const ms = new Set<number>();
    for (const c of this.#clusters.values()) for (const f of c.failovers) ms.add(f.completesAt);
    for (const i of this.#instances.values()) for (const s of [...i.status, ...i.lag]) ms.add(s.at);
    return [...ms]
      .filter((t) => Number.isFinite(t) && t > after.getTime())
      .sort((a, b) => a - b)
      .map((t) => new Date(t));
  }

  /** Writers per cluster at `at`: what applications see (undo is judged on this). */
  observable(at: Date = this.#clock.now()): Record<string, { writer: string; status: string }> {
    return Object.fromEntries([...this.#clusters.values()].map((c) => [c.id, { writer: this.writerAt(c.id, at), status: this.clusterStatusAt(c.id, at) }]));
  }

  snapshot(): RdsSnapshot {
    const now = this.#clock.now();
    return {
      clusters: [...this.#clusters.values()].map((c) => ({
        id: c.id,
        status: this.clusterStatusAt(c.id, now),
        writer: this.writerAt(c.id, now),
        members: c.members.map((m) => {
          const lag = this.lagAt(m, now);
          return {
            id: m,
            writer: this.isWriter(m, now),
            promotionTier: this.#instance(m).promotionTier,
            status: this.instanceStatusAt(m, now),
            ...(lag !== undefined ? { lagSeconds: lag } : {}),
          };
        }),
        failovers: c.failovers.map((f) => ({ requestedAt: new Date(f.requestedAt).toISOString(), completesAt: new Date(f.completesAt).toISOString(), from: f.from, to: f.to })),
      })),
    };
  }

  // ---- AWS API ----

  commands(): Readonly<Record<string, CommandHandler>> {
    return {
      DescribeDBClusters: (i: DescribeDBClustersCommandInput) => this.describeDBClusters(i),
      DescribeDBInstances: (i: DescribeDBInstancesCommandInput) => this.describeDBInstances(i),
      FailoverDBCluster: (i: FailoverDBClusterCommandInput) => this.failoverDBCluster(i),
    };
  }

  describeDBClusters(input: DescribeDBClustersCommandInput): Out<DescribeDBClustersCommandOutput> {
    if (input.DBClusterIdentifier === undefined) return { DBClusters: [...this.#clusters.values()].map((c) => this.#dbCluster(c)) };
    return { DBClusters: [this.#dbCluster(this.#clusterFor(input.DBClusterIdentifier))] };
  }

  describeDBInstances(input: DescribeDBInstancesCommandInput): Out<DescribeDBInstancesCommandOutput> {
    if (input.Filters?.length) throw invalidParameter('the simulation answers DescribeDBInstances by DBInstanceIdentifier only, without Filters');
    if (input.DBInstanceIdentifier === undefined) return { DBInstances: [...this.#instances.values()].map((i) => this.#dbInstance(i)) };
    const id = fromArn(input.DBInstanceIdentifier, 'db');
    const inst = this.#instances.get(id.toLowerCase());
    if (!inst) throw new DBInstanceNotFoundFault({ message: `DBInstance ${id} not found.`, ...ERROR(404) });
    return { DBInstances: [this.#dbInstance(inst)] };
  }

  failoverDBCluster(input: FailoverDBClusterCommandInput): Out<FailoverDBClusterCommandOutput> {
    const c = this.#clusterFor(input.DBClusterIdentifier ?? '');
    const now = this.#clock.now();
    const status = this.clusterStatusAt(c.id, now);
    if (status !== 'available') throw new InvalidDBClusterStateFault({ message: `DbCluster ${c.id} is not in a valid state: ${status}.`, ...ERROR(400) });
    const writer = this.writerAt(c.id, now);
    let target: string;
    if (input.TargetDBInstanceIdentifier !== undefined) {
      const wanted = input.TargetDBInstanceIdentifier.toLowerCase();
      const member = c.members.find((m) => m.toLowerCase() === wanted);
      if (!member) throw invalidParameter(`DB instance ${input.TargetDBInstanceIdentifier} is not a member of DB cluster ${c.id}.`);
      if (member.toLowerCase() === writer.toLowerCase()) throw invalidParameter(`DB instance ${member} is already the writer of DB cluster ${c.id}.`);
      target = member;
    } else {
      // Like Aurora: the reader with the lowest promotion tier.
      const readers = c.members.filter((m) => m !== writer).sort((a, b) => this.#instance(a).promotionTier - this.#instance(b).promotionTier);
      if (readers.length === 0) throw new InvalidDBClusterStateFault({ message: `DbCluster ${c.id} has no reader to fail over to.`, ...ERROR(400) });
      target = readers[0]!;
    }
    const targetStatus = this.instanceStatusAt(target, now);
    if (targetStatus !== 'available') throw new InvalidDBInstanceStateFault({ message: `Database instance ${target} is not in available state (${targetStatus}).`, ...ERROR(400) });
    c.failovers.push({ requestedAt: now.getTime(), completesAt: now.getTime() + this.#failoverSeconds * 1000, from: writer, to: target });
    return { DBCluster: this.#dbCluster(c) };
  }

  // ---- internals ----

  #dbCluster(c: ClusterState): DBCluster {
    const now = this.#clock.now();
    return {
      DBClusterIdentifier: c.id,
      DBClusterArn: clusterArn(c.id),
      Engine: 'aurora-postgresql',
      Status: this.clusterStatusAt(c.id, now),
      MultiAZ: c.members.length > 1,
      Endpoint: `${c.id}.cluster-sim0example.${SIM_REGION}.rds.amazonaws.com`,
      ReaderEndpoint: `${c.id}.cluster-ro-sim0example.${SIM_REGION}.rds.amazonaws.com`,
      DBClusterMembers: c.members.map((m) => ({
        DBInstanceIdentifier: m,
        IsClusterWriter: this.isWriter(m, now),
        PromotionTier: this.#instance(m).promotionTier,
        DBClusterParameterGroupStatus: 'in-sync',
      })),
    };
  }

  #dbInstance(i: InstanceState): DBInstance {
    return {
      DBInstanceIdentifier: i.id,
      DBInstanceArn: `arn:aws:rds:${SIM_REGION}:${SIM_ACCOUNT}:db:${i.id}`,
      DBClusterIdentifier: i.clusterId,
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.large',
      DBInstanceStatus: this.instanceStatusAt(i.id),
      PromotionTier: i.promotionTier,
    };
  }

  #clusterFor(identifier: string): ClusterState {
    const id = fromArn(identifier, 'cluster');
    const c = this.#clusters.get(id.toLowerCase());
    if (!c) throw new DBClusterNotFoundFault({ message: `DBCluster ${id} not found.`, ...ERROR(404) });
    return c;
  }

  #cluster(id: string): ClusterState {
    const c = this.#clusters.get(id.toLowerCase());
    if (!c) throw new RangeError(`the simulation has no cluster ${id}`);
    return c;
  }

  #instance(id: string): InstanceState {
    const i = this.#instances.get(id.toLowerCase());
    if (!i) throw new RangeError(`the simulation has no DB instance ${id}`);
    return i;
  }
}

/** The ARN of a simulated cluster. */
export function clusterArn(id: string): string {
  return `arn:aws:rds:${SIM_REGION}:${SIM_ACCOUNT}:cluster:${id}`;
}

/** RDS accepts an identifier or the resource's ARN. */
function fromArn(identifier: string, kind: 'cluster' | 'db'): string {
  const prefix = `:${kind}:`;
  return identifier.startsWith('arn:') && identifier.includes(prefix) ? identifier.slice(identifier.lastIndexOf(':') + 1) : identifier;
}

function invalidParameter(message: string): Error {
  return new RDSServiceException({ name: 'InvalidParameterValue', $fault: 'client', message, $metadata: errorMetadata(400) });
}

function insertStep<T extends { at: number }>(steps: T[], step: T): void {
  const i = steps.findIndex((s) => s.at > step.at);
  if (i === -1) steps.push(step);
  else steps.splice(i, 0, step);
}

function stepAt<T extends { at: number }>(steps: readonly T[], ms: number): T | undefined {
  let found: T | undefined;
  for (const s of steps) {
    if (s.at > ms) break;
    found = s;
  }
  return found;
}
