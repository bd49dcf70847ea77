import { WorkflowStateSchema } from '../core/model.js';
import { computeMetrics, renderPostmortem, type IncidentMetrics } from '../core/postmortem.js';
import { humanDuration } from '../core/status-update.js';
import { IncidentStore, IncidentNotFoundError } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';

export interface CloseIncidentDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'listTimeline' | 'listActions' | 'appendTimeline' | 'closeIncident' | 'updateIncident' | 'releaseMutationLock'>;
  readonly clock: () => Date;
}

/** Ends the automation's part: metrics, the postmortem draft, the closing timeline entry, locks released. */
export function createCloseIncidentHandler(deps: CloseIncidentDeps) {
  return async (event: unknown): Promise<{ outcome: 'mitigated' | 'escalated'; metrics: IncidentMetrics }> => {
    const state = WorkflowStateSchema.parse(event);
    const id = state.incident.incidentId;
    const record = await deps.store.getIncident(id);
    if (!record) throw new IncidentNotFoundError(id);
    const closedAt = deps.clock().toISOString();
    const outcome = record.mitigatedAt ? 'mitigated' : 'escalated';
    const times = { impactStartedAt: record.impactStartedAt, alarmAt: state.signal.stateChangeTime, openedAt: record.openedAt, mitigatedAt: record.mitigatedAt };
    const metrics = computeMetrics(times, record.severity);

    const closing = `Automation finished: ${outcome === 'mitigated' ? `service restored, MTTM ${humanDuration((metrics.mttmSeconds ?? 0) * 1000)}` : 'not restored by automation; a human has the incident'}`;
    await deps.store.appendTimeline(id, { at: closedAt, kind: 'closed', message: closing, data: { ...metrics } });
    const [timeline, actions] = await Promise.all([deps.store.listTimeline(id), deps.store.listActions(id)]);
    const applied = actions.filter((a) => a.status === 'applied' || a.status === 'already-applied').map((a) => `${a.type} on ${a.target}`);
    const postmortem = renderPostmortem({
      incidentId: id,
      service: record.service,
      alarmName: record.alarmName,
      severity: record.severity,
      times,
      closedAt,
      impact: state.service.alarms.find((a) => a.name === record.alarmName)?.impact,
      outcome,
      timeline,
      actions: applied,
      metrics,
    });
    const stored = { metrics: { ...metrics, withinTarget: metrics.withinTarget === null ? null : Number(metrics.withinTarget) }, postmortem };
    if (outcome === 'mitigated') {
      await deps.store.closeIncident(id, { closedAt, ...stored });
    } else {
      // A human has it now: the record stays ESCALATED (and keeps getting cadence updates, and keeps
      // re-fired alarms folded into it) until someone runs `tourniquet resolve`.
      await deps.store.updateIncident(id, stored);
    }
    await deps.store.releaseMutationLock(state.service.name, id);
    return { outcome, metrics };
  };
}

export const handler = lambdaHandler(() =>
  createCloseIncidentHandler({ store: new IncidentStore({ tableName: readEnv('TABLE_NAME').TABLE_NAME }), clock: () => new Date() }),
);
