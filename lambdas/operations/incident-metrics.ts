import type { IncidentRecord } from '../store/records.js';
import { metricsOf } from './incident-summary.js';
import type { MetricsSink } from './ports.js';

/**
 * The incident-level metrics (lambdas/core/metrics.ts), published where the store's conditional
 * move says this invocation made the change, so a retried invocation that finds it made publishes nothing.
 */

/** An incident was opened (not a join, not a re-open). */
export function recordOpened(metrics: MetricsSink, incident: Pick<IncidentRecord, 'service' | 'severity'>): void {
  metrics.record('incidentsOpened', 1, { service: incident.service, severity: incident.severity });
}

/**
 * The incident moved to ESCALATED: one escalation (its first page; re-pages and reminders are not
 * counted), and MTTD when the incident was never restored and this is its first round (a later
 * round's escalation would count the same detection twice).
 *
 * @param incident the record, before or after the move (it reads nothing the move changes)
 */
export function recordEscalated(metrics: MetricsSink, incident: IncidentRecord): void {
  const dimensions = { service: incident.service, severity: incident.severity };
  metrics.record('escalations', 1, dimensions);
  if (incident.mitigatedAt !== undefined || incident.round > 0) return;
  const { mttdSeconds } = metricsOf(incident);
  if (mttdSeconds !== null) metrics.record('mttd', mttdSeconds, dimensions);
}

/**
 * Verification moved the incident to WATCHING (service restored) at `mitigatedAt`. MTTM and MTTR once
 * per incident, at its first restoration (a re-opened incident keeps its first figures); MTTD with
 * them unless an escalation published it already.
 *
 * @param before the record as it was before the move
 */
export function recordRestored(metrics: MetricsSink, before: IncidentRecord, mitigatedAt: string): void {
  if (before.mitigatedAt !== undefined) return;
  const figures = metricsOf({ ...before, mitigatedAt });
  const dimensions = { service: before.service, severity: before.severity };
  if (figures.mttdSeconds !== null && before.escalatedAt === undefined) metrics.record('mttd', figures.mttdSeconds, dimensions);
  if (figures.mttmSeconds !== null) metrics.record('mttm', figures.mttmSeconds, dimensions);
  if (figures.mttrSeconds !== null) metrics.record('mttr', figures.mttrSeconds, dimensions);
}
