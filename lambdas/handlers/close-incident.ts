import { OpenedIncidentSchema, WorkflowStateSchema } from '../core/model.js';
import { metricsOf, storedMetricsOf, summaryOf } from '../operations/incident-summary.js';
import { composeCloseIncident } from '../runtime/compose/close-incident.js';
import { composedHandler } from '../runtime/lambda.js';
import { IncidentStore } from '../store/incident-store.js';

/** Escalate hands on the state it was given: after a failed OpenIncident that has no `$.incident`. */
const CloseStateSchema = WorkflowStateSchema.extend({ incident: OpenedIncidentSchema.optional() });

export interface CloseIncidentDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'listActions' | 'appendTimeline' | 'updateIncident' | 'releaseMutationLock' | 'recordEscalation'>;
  readonly clock: () => Date;
}

/**
 * Ends the execution's part: the metrics and a one-paragraph summary on the incident item, the
 * closing timeline entry, the mutation lock released. The postmortem draft is rendered from the
 * timeline items on demand (`tourniquet postmortem`), never copied into the incident item, so an
 * incident of any length closes.
 */
export function createCloseIncidentHandler(deps: CloseIncidentDeps) {
  return async (event: unknown): Promise<{ outcome: 'resolved' | 'escalated' | 'open'; summary: string }> => {
    const state = CloseStateSchema.parse(event);
    const id = state.incident?.incidentId ?? state.incidentId;
    const [record, actions] = await Promise.all([deps.store.getIncident(id), deps.store.listActions(id)]);
    const at = deps.clock().toISOString();
    const outcome = record.status === 'RESOLVED' ? 'resolved' : record.status === 'ESCALATED' || record.status === 'ACKNOWLEDGED' ? 'escalated' : 'open';
    const metrics = metricsOf(record);
    const summary = summaryOf(record, actions);
    await deps.store.appendTimeline(id, { at, kind: 'closed', message: `Automation finished: ${summary}`, data: { ...metrics } });
    await deps.store.updateIncident(id, { metrics: storedMetricsOf(record), summary });
    // The learning record: what was tried before a human had to take over (each action counted once, however often this runs).
    if (outcome === 'escalated') await deps.store.recordEscalation(id, record.service, actions);
    await deps.store.releaseMutationLock(state.service.name, id);
    return { outcome, summary };
  };
}

export const handler = composedHandler('close-incident', composeCloseIncident, createCloseIncidentHandler);
