import { leaseUntil } from '../core/lifecycle.js';
import { type OpenedIncident, WorkflowInputSchema } from '../core/model.js';
import { composeOpenIncident } from '../runtime/compose/open-incident.js';
import { composedHandler, logger } from '../runtime/lambda.js';
import { IncidentStore } from '../store/incident-store.js';

export interface OpenIncidentDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'renewLease'>;
  readonly clock: () => Date;
}

/**
 * The first step of every execution: takes up the incident the starter opened (or re-opened) and
 * says how this execution proceeds. An execution that no longer owns its incident's current round
 * (a later re-fire started a continuation, or a human resolved it) stops here without acting.
 */
export function createOpenIncidentHandler(deps: OpenIncidentDeps) {
  return async (event: unknown): Promise<OpenedIncident> => {
    const input = WorkflowInputSchema.parse(event);
    const incident = await deps.store.getIncident(input.incidentId);
    const base = { incidentId: incident.incidentId, severity: incident.severity, openedAt: incident.openedAt, round: incident.round };
    if (incident.execution.name !== input.execution.name || incident.status !== 'OPEN') {
      const reason = `Incident ${incident.incidentId} is ${incident.status} and execution ${incident.execution.name} owns round ${incident.round}; this execution (${input.execution.name}) stops without acting.`;
      logger.info('execution superseded', { incidentId: incident.incidentId, reason });
      return { ...base, mode: 'superseded', reason };
    }
    await deps.store.renewLease(incident.service, incident.incidentId, leaseUntil(deps.clock()));
    if (incident.cappedReason) return { ...base, mode: 'capped', reason: incident.cappedReason };
    logger.info('incident taken up', { incidentId: incident.incidentId, round: incident.round });
    return { ...base, mode: incident.round > 0 ? 'reopened' : 'new' };
  };
}

export const handler = composedHandler('open-incident', composeOpenIncident, createOpenIncidentHandler);
