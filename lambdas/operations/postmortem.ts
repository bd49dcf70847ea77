import type { ServiceConfig } from '../core/config.js';
import { computeMetrics, type IncidentMetrics, type PostmortemAction, renderPostmortem } from '../core/postmortem.js';
import type { ActionRecord, IncidentRecord, IncidentStore } from '../store/incident-store.js';

/**
 * The postmortem draft of an incident, rendered from its items (record, timeline, action ledger)
 * whenever it is asked for. Nothing long is ever copied into the incident item, so an incident with
 * thousands of timeline events still closes, lists and renders.
 */

/** What rendering a postmortem reads: the incident store and the config. */
export interface PostmortemDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'listTimeline' | 'listActions'>;
  /** The incident's service config, for the impact sentence of its alarm. */
  readonly serviceFor?: (name: string) => ServiceConfig | undefined;
  readonly clock: () => Date;
}

/** Metrics of an incident as its record stands (null where a moment has not happened). */
export function metricsOf(incident: IncidentRecord): IncidentMetrics {
  return computeMetrics(
    { impactStartedAt: incident.impactStartedAt, alarmAt: incident.signal.stateChangeTime, openedAt: incident.openedAt, mitigatedAt: incident.mitigatedAt },
    incident.severity,
  );
}

/** Applied actions, in order, with what verification measured. Dry runs and failed attempts changed nothing and are left out. */
export function postmortemActions(actions: readonly ActionRecord[]): PostmortemAction[] {
  return actions
    .filter((a) => a.status === 'applied' || a.status === 'already-applied' || a.status === 'undone')
    .sort((a, b) => a.cursor - b.cursor)
    .map((a) => ({ description: `${a.type} on ${a.target}`, ...(a.effect ? { effect: a.effect } : {}), ...(a.status === 'undone' ? { reverted: true } : {}) }));
}

/** The postmortem draft (Markdown) of an incident, from its record, timeline and action ledger. */
export async function incidentPostmortem(deps: PostmortemDeps, incidentId: string): Promise<string> {
  const [incident, timeline, actions] = await Promise.all([deps.store.getIncident(incidentId), deps.store.listTimeline(incidentId), deps.store.listActions(incidentId)]);
  const metrics = metricsOf(incident);
  const impact = deps.serviceFor?.(incident.service)?.alarms.find((a) => a.name === incident.alarmName)?.impact;
  return renderPostmortem({
    incidentId,
    service: incident.service,
    alarmName: incident.alarmName,
    ...(incident.alarms ? { alarms: incident.alarms } : {}),
    severity: incident.severity,
    times: { impactStartedAt: incident.impactStartedAt, alarmAt: incident.signal.stateChangeTime, openedAt: incident.openedAt, mitigatedAt: incident.mitigatedAt },
    closedAt: incident.resolvedAt ?? deps.clock().toISOString(),
    ...(impact ? { impact } : {}),
    outcome: incident.mitigatedAt && !incident.escalatedAt ? 'mitigated' : 'escalated',
    timeline,
    actions: postmortemActions(actions),
    metrics,
    rounds: incident.round,
  });
}
