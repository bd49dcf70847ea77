import { leaseUntil } from '../../lambdas/core/lifecycle.js';
import type { WorkflowState } from '../../lambdas/core/model.js';
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
