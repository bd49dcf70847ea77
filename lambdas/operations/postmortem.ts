import { runbookFor, type ServiceConfig } from '../core/config.js';
import { renderPostmortem } from '../core/postmortem.js';
import type { IncidentStore } from '../store/incident-store.js';
import { metricsOf, postmortemActions, resolutionOf } from './incident-summary.js';

export { metricsOf, postmortemActions, resolutionOf, storedMetricsOf, summaryOf } from './incident-summary.js';

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

/** The postmortem draft (Markdown) of an incident, from its record, timeline and action ledger. */
export async function incidentPostmortem(deps: PostmortemDeps, incidentId: string, options: { maxBytes?: number } = {}): Promise<string> {
  const [incident, timeline, actions] = await Promise.all([deps.store.getIncident(incidentId), deps.store.listTimeline(incidentId), deps.store.listActions(incidentId)]);
  const metrics = metricsOf(incident);
  const service = deps.serviceFor?.(incident.service);
  const alarm = service?.alarms.find((a) => a.name === incident.alarmName);
  const impact = alarm?.impact;
  const runbook = service ? runbookFor(service, alarm) : undefined;
  const resolution = resolutionOf(incident, timeline);
  return renderPostmortem(
    {
      incidentId,
      service: incident.service,
      alarmName: incident.alarmName,
      ...(incident.alarms ? { alarms: incident.alarms } : {}),
      severity: incident.severity,
      status: incident.status,
      times: { impactStartedAt: incident.impactStartedAt, alarmAt: incident.signal.stateChangeTime, openedAt: incident.openedAt, mitigatedAt: incident.mitigatedAt },
      ...(incident.impactStartSource ? { impactStartSource: incident.impactStartSource } : {}),
      closedAt: incident.resolvedAt ?? deps.clock().toISOString(),
      ...(resolution ? { resolution } : {}),
      ...(impact ? { impact } : {}),
      ...(runbook ? { runbook } : {}),
      outcome: incident.mitigatedAt && !incident.escalatedAt ? 'mitigated' : 'escalated',
      timeline,
      actions: postmortemActions(actions),
      metrics,
      rounds: incident.round,
      ...(incident.triage ? { triage: incident.triage } : {}),
      ...(incident.plan ? { plan: incident.plan } : {}),
    },
    options,
  );
}

/** Bytes of an SNS message: the body plus its attributes, at most 256 KiB (lambdas/adapters/sns-publisher.ts). */
const SNS_MESSAGE_BYTES = 262_144;
/** Left for the subject and message attributes, which count towards the same limit. */
const ATTRIBUTE_ALLOWANCE_BYTES = 4_096;

/**
 * A Resolved status update with the postmortem draft below it, fitted to one SNS message: when the
 * whole draft would not fit, the middle of its timeline is left out with a line that says how many
 * events and how to print them all (`tourniquet postmortem <id>`).
 */
export async function withPostmortem(deps: PostmortemDeps, incidentId: string, update: string): Promise<string> {
  const separator = '\n\n---\n\n';
  const budget = SNS_MESSAGE_BYTES - ATTRIBUTE_ALLOWANCE_BYTES - new TextEncoder().encode(update + separator).length;
  try {
    return `${update}${separator}${await incidentPostmortem(deps, incidentId, { maxBytes: budget })}`;
  } catch (error) {
    // The update matters more than the draft: it goes out without it, saying why and where the draft is.
    return `${update}${separator}The postmortem draft could not be rendered (${(error as Error).name}: ${(error as Error).message}); print it with: tourniquet postmortem ${incidentId}`;
  }
}
