import type { Severity } from '../../lambdas/core/config.js';
import { leaseUntil } from '../../lambdas/core/lifecycle.js';
import type { IncidentStatus, WorkflowState } from '../../lambdas/core/model.js';
import type { AlarmSignal } from '../../lambdas/core/signal.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import type { DynamoDbLocalFixture } from './dynamodb.js';

/**
 * A store on a fresh DynamoDB Local table, with the incident of `state` (a `workflowState()`)
 * opened as the starter opens it: OPEN, round 0, its execution, a lease. The clock is driven by hand.
 */
export async function storeWithIncident(db: DynamoDbLocalFixture, state: WorkflowState, start: string | number, options: { cappedReason?: string } = {}) {
  let now = typeof start === 'string' ? Date.parse(start) : start;
  const clock = () => new Date(now);
  const tableName = await db.newTable();
  const store = new IncidentStore({ tableName, client: db.client, clock });
  const openedAt = state.incident.openedAt;
  await store.openIncident({
    incidentId: state.incident.incidentId,
    service: state.service.name,
    alarmName: state.signal.alarmName,
    severity: state.incident.severity,
    signal: state.signal,
    execution: state.execution,
    openedAt,
    leaseUntil: leaseUntil(openedAt),
    ...(options.cappedReason ? { cappedReason: options.cappedReason } : {}),
    firstEvent: { at: openedAt, kind: 'incident-opened', message: `Incident ${state.incident.incidentId} opened` },
  });
  return { store, clock, tableName, advance: (seconds: number) => void (now += seconds * 1000) };
}

/** Re-opens the WATCHING incident of `state` for a continuation execution named `name` (what the starter does on a re-fire). */
export async function reopenForContinuation(store: IncidentStore, state: WorkflowState, name: string, at: string) {
  const result = await store.reopenIncident(state.incident.incidentId, {
    from: 'WATCHING',
    round: 0,
    service: state.service.name,
    execution: { id: state.execution.id.replace(/:[^:]+$/, `:${name}`), name, startTime: at },
    leaseUntil: leaseUntil(at),
    key: `refire-${name}`,
    event: { at, kind: 'reopened', message: `reopened for ${name}` },
  });
  if (result !== 'recorded') throw new Error(`could not re-open: ${result}`);
}

/** The EventBridge signal of metric alarm `alarmName` going from OK to ALARM at `at`. */
export const alarmSignal = (alarmName: string, at: string, overrides: Partial<AlarmSignal> = {}): AlarmSignal => ({
  source: 'eventbridge',
  alarmName,
  alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`,
  account: '123456789012',
  region: 'us-east-1',
  kind: 'metric',
  state: 'ALARM',
  previousState: 'OK',
  stateChangeTime: at,
  reason: 'Threshold Crossed',
  metrics: [],
  ...overrides,
});

/** The transitions that walk an incident from OPEN to each status along the lifecycle. */
export const STATUS_PATHS: Record<IncidentStatus, IncidentStatus[]> = {
  OPEN: [],
  MITIGATING: ['MITIGATING'],
  WATCHING: ['MITIGATING', 'WATCHING'],
  ESCALATED: ['ESCALATED'],
  ACKNOWLEDGED: ['ESCALATED', 'ACKNOWLEDGED'],
  RESOLVED: ['ESCALATED', 'RESOLVED'],
};

export interface IncidentAt {
  id: string;
  service: string;
  /** ISO time the incident opens (and, unless `alarmAt`, the alarm fired). */
  openedAt: string;
  /** ISO time the execution's lease runs out. */
  leaseUntil: string;
  /** @default OPEN */
  status?: IncidentStatus;
  /** @default `<service>-5xx-rate` */
  alarmName?: string;
  /** @default SEV2 */
  severity?: Severity;
  /** When the alarm changed state. @default openedAt */
  alarmAt?: string;
  /** @default an execution of the Tourniquet-prod state machine named after the incident */
  execution?: { id: string; name: string };
}

/**
 * Opens an incident the way the starter does (its alarm's signal, an execution, a lease, the first
 * timeline event) and walks it to `status` with the store's own transitions, so tests start from a
 * record the lifecycle could have produced. Throws if the service already has a current incident.
 */
export async function openIncidentAt(store: IncidentStore, incident: IncidentAt): Promise<void> {
  const { id, service, openedAt } = incident;
  const alarmName = incident.alarmName ?? `${service}-5xx-rate`;
  const execution = incident.execution ?? { id: `arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:${id}`, name: id };
  const result = await store.openIncident({
    incidentId: id,
    service,
    alarmName,
    severity: incident.severity ?? 'SEV2',
    signal: alarmSignal(alarmName, incident.alarmAt ?? openedAt),
    execution: { ...execution, startTime: openedAt },
    openedAt,
    leaseUntil: incident.leaseUntil,
    firstEvent: { at: openedAt, kind: 'incident-opened', message: `Incident ${id} opened` },
  });
  if (!result.opened) throw new Error(`${service} already has incident ${result.episode.incidentId}: could not open ${id}`);
  for (const step of STATUS_PATHS[incident.status ?? 'OPEN']) {
    if (!(await store.transition(id, step))) throw new Error(`could not move ${id} to ${step} on its way to ${incident.status}`);
  }
}
