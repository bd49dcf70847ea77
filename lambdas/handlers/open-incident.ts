import { resolveSeverity } from '../core/severity.js';
import { incidentIdFor } from '../core/identity.js';
import { WorkflowInputSchema, type OpenedIncident } from '../core/model.js';
import { utcMinute } from '../core/status-update.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

export interface OpenIncidentDeps {
  readonly store: Pick<IncidentStore, 'openIncident' | 'appendTimeline'>;
  readonly clock: () => Date;
}

/**
 * Opens the incident record, or folds a re-fired alarm into the incident already open for it.
 * The incident id is derived from the alarm transition, so a retried invocation re-opens nothing.
 */
export function createOpenIncidentHandler(deps: OpenIncidentDeps) {
  return async (event: unknown): Promise<OpenedIncident> => {
    const input = WorkflowInputSchema.parse(event);
    const { signal, service } = input;
    const alarm = service.alarms.find((a) => a.name === signal.alarmName);
    const severity = resolveSeverity(service, alarm);
    const incidentId = incidentIdFor(signal);
    const openedAt = deps.clock().toISOString();

    const opened = await deps.store.openIncident({
      incidentId,
      service: service.name,
      alarmName: signal.alarmName,
      severity,
      signal,
      execution: input.execution,
      openedAt,
      firstEvent: {
        at: openedAt,
        kind: 'incident-opened',
        message: `Incident opened (${severity}): alarm ${signal.alarmName} entered ALARM at ${utcMinute(signal.stateChangeTime)} (${signal.reason})`,
        data: { executionArn: input.execution.id, alarmArn: signal.alarmArn },
      },
    });

    if (opened.duplicate) {
      await deps.store.appendTimeline(opened.existingIncidentId, {
        at: openedAt,
        kind: 'alarm-refired',
        message: `Alarm ${signal.alarmName} fired again at ${utcMinute(signal.stateChangeTime)}; folded into this incident (execution ${input.execution.name} ends here)`,
      });
      logger.info('alarm folded into the open incident', { existingIncidentId: opened.existingIncidentId });
      return { incidentId: opened.existingIncidentId, severity, openedAt, duplicate: true, existingIncidentId: opened.existingIncidentId };
    }
    logger.info('incident opened', { incidentId, severity });
    return { incidentId, severity, openedAt, duplicate: false };
  };
}

export const handler = lambdaHandler(() =>
  createOpenIncidentHandler({ store: new IncidentStore({ tableName: readEnv('TABLE_NAME').TABLE_NAME }), clock: () => new Date() }),
);
