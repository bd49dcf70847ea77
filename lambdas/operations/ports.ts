import type { PublishRequest } from '../adapters/sns-publisher.js';
import type { METRIC_OUTCOMES, MetricKey, METRICS } from '../core/metrics.js';
import type { ExecutionRef, IncidentStatus, TimelineEvent } from '../core/model.js';
import type { ActionRecord, EpisodeRecord, IncidentPatch, IncidentRecord, LastNotification, OpenIncidentInput, OpenIncidentResult, SignalResult } from '../store/records.js';

/**
 * The small interfaces the operations depend on. The store (`lambdas/store/`) and the adapters
 * (`lambdas/adapters/`) satisfy them structurally; tests and the drill pass fakes or the real thing.
 * Each operation names the ports it needs, so its deps say exactly what it reads and writes.
 *
 * They live beside the operations rather than in `lambdas/core/`: their records are the store's
 * (`lambdas/store/records.ts`), and core imports nothing from the store.
 */

/** The time source: the Lambda's wall clock, or the drill's virtual clock. */
export type Clock = () => Date;

/** Sends one message to one SNS topic (`SnsPublisher`). */
export interface Publisher {
  publish(request: PublishRequest): Promise<{ readonly messageId: string }>;
}

/** The incident's append-only timeline. */
export interface Timeline {
  appendTimeline(incidentId: string, event: TimelineEvent): Promise<void>;
}

/** An incident by id; `undefined` when there is none. */
export interface IncidentFinder {
  findIncident(incidentId: string): Promise<IncidentRecord | undefined>;
}

/** An incident by id; throws `IncidentNotFoundError` when there is none. */
export interface IncidentReader {
  getIncident(incidentId: string): Promise<IncidentRecord>;
}

/** Field updates of an incident (never its status: see {@link IncidentTransitions}). */
export interface IncidentUpdater {
  updateIncident(incidentId: string, patch: IncidentPatch): Promise<IncidentRecord>;
}

/** Guards of a status change: it happens only from these statuses, in this round. */
export interface TransitionOptions {
  readonly from?: readonly IncidentStatus[];
  readonly round?: number;
  readonly patch?: IncidentPatch;
  readonly leaseUntil?: string;
  readonly reopenUntil?: string;
}

/** Lifecycle moves, conditional on the status read: `false` when another writer moved it first. */
export interface IncidentTransitions {
  transition(incidentId: string, to: IncidentStatus, options?: TransitionOptions): Promise<boolean>;
}

/** Opens an incident (and its service's episode pointer) unless the service has one already. */
export interface IncidentOpener {
  openIncident(input: OpenIncidentInput): Promise<OpenIncidentResult>;
}

/** The action ledger of an incident, in cursor order. */
export interface ActionLedgerReader {
  listActions(incidentId: string): Promise<ActionRecord[]>;
}

/** Frees the per-service mutation lock if this incident holds it. */
export interface MutationLockReleaser {
  releaseMutationLock(service: string, incidentId: string): Promise<boolean>;
}

/** A signal recorded on a current incident, once per transition (`key`). */
export interface SignalRequest {
  readonly key: string;
  readonly event: TimelineEvent;
  readonly expectStatus: IncidentStatus;
  readonly addAlarm?: { readonly alarm: string; readonly service: string };
}

/** A re-fire that re-opens a WATCHING or just RESOLVED incident for another round. */
export interface ReopenRequest {
  readonly from: 'WATCHING' | 'RESOLVED';
  readonly round: number;
  readonly service: string;
  readonly execution: ExecutionRef;
  readonly leaseUntil: string;
  readonly key: string;
  readonly event: TimelineEvent;
}

/** The service episodes the starter admits signals into. */
export interface EpisodeAdmissions {
  getEpisode(service: string): Promise<EpisodeRecord | undefined>;
  countActiveIncidents(): Promise<number>;
  recordSignal(incidentId: string, signal: SignalRequest): Promise<SignalResult>;
  reopenIncident(incidentId: string, reopen: ReopenRequest): Promise<SignalResult>;
}

/** The claims that make an overlapping scheduled run notify or page once. */
export interface CadenceClaims {
  listActiveEpisodes(): Promise<EpisodeRecord[]>;
  /** Claims the next page: only if `lastPageAt` is still `expectedLastPageAt`. */
  claimPage(incidentId: string, expectedLastPageAt: string | undefined, at: string, pages: number): Promise<boolean>;
  /** Claims the next status update: only if `lastNotification` is still the one read. */
  compareAndSetLastNotification(incidentId: string, expected: { readonly at: unknown; readonly status?: IncidentStatus }, next: LastNotification | undefined): Promise<boolean>;
}

/** The value of a metric's `outcome` dimension: one of {@link METRIC_OUTCOMES} for the metrics that list them. */
type OutcomeOf<K extends MetricKey> = K extends keyof typeof METRIC_OUTCOMES ? (typeof METRIC_OUTCOMES)[K][number] : string;

/** The dimension values of one metric: exactly its spec's dimension set (lambdas/core/metrics.ts), so no series is published half-labelled. */
export type MetricDimensionsOf<K extends MetricKey> = {
  readonly [D in (typeof METRICS)[K]['dimensions'][number]]: D extends 'outcome' ? OutcomeOf<K> : string;
};

/**
 * Where Tourniquet's own metrics go: Powertools Metrics (embedded metric format in the function's
 * log) in Lambda, memory in the drill and tests. Recording never throws: a metric is never the
 * reason an incident step fails.
 */
export interface MetricsSink {
  /** One datapoint of `key` with its dimension values; `metadata` is searchable in the log but is no dimension (e.g. a readiness target). */
  record<K extends MetricKey>(key: K, value: number, dimensions: MetricDimensionsOf<K>, metadata?: Readonly<Record<string, string>>): void;
}
