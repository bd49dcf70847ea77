import type { TimelineEvent } from '../core/model.js';
import { computeMetrics, describeOutcomeOfActions, type IncidentMetrics, type PostmortemAction, type PostmortemResolution, resolvedByAutomation } from '../core/postmortem.js';
import { humanDuration } from '../core/status-update.js';
import type { ActionRecord, IncidentRecord } from '../store/records.js';

/**
 * What the incident's records say about how it went, without reading anything: its metrics, the
 * actions that changed something, who resolved it, and the one-paragraph summary. Apart from the
 * postmortem (which reads the store) so that steps that only need these grant no reads for them.
 */

/** Metrics of an incident as its record stands (null where a moment has not happened). */
export function metricsOf(incident: IncidentRecord): IncidentMetrics {
  return computeMetrics(
    { impactStartedAt: incident.impactStartedAt, alarmAt: incident.signal.stateChangeTime, openedAt: incident.openedAt, mitigatedAt: incident.mitigatedAt },
    incident.severity,
  );
}

/**
 * The metrics as the incident item stores them (numbers only): the seeds' three, the target met
 * (1/0), and, once resolved, the time from opening to resolution (a human's resolve included).
 */
export function storedMetricsOf(incident: IncidentRecord): Record<string, number | null> {
  const metrics = metricsOf(incident);
  return {
    ...metrics,
    withinTarget: metrics.withinTarget === null ? null : Number(metrics.withinTarget),
    ...(incident.resolvedAt ? { timeToResolveSeconds: Math.max(0, Math.round((Date.parse(incident.resolvedAt) - Date.parse(incident.openedAt)) / 1000)) } : {}),
  };
}

/** Applied actions, in order, with what verification measured. Dry runs and failed attempts changed nothing and are left out. */
export function postmortemActions(actions: readonly ActionRecord[]): PostmortemAction[] {
  return actions
    .filter((a) => a.status === 'applied' || a.status === 'already-applied' || a.status === 'undone')
    .sort((a, b) => a.cursor - b.cursor)
    .map((a) => ({
      description: `${a.type} on ${a.target}`,
      type: a.type,
      appliedAt: a.completedAt ?? a.startedAt,
      ...(a.effect ? { effect: a.effect } : {}),
      ...(a.status === 'undone' ? { reverted: true, ...(a.undoneAt ? { undoneAt: a.undoneAt } : {}), ...(a.undoDetail ? { undoDetail: a.undoDetail } : {}) } : {}),
    }));
}

/** Who resolved the incident and why: the record says who and when, the `resolved` timeline event why. */
export function resolutionOf(incident: IncidentRecord, timeline: readonly TimelineEvent[]): PostmortemResolution | undefined {
  if (!incident.resolvedAt) return undefined;
  const event = [...timeline].reverse().find((e) => e.kind === 'resolved');
  const reason = typeof event?.data?.reason === 'string' ? event.data.reason : undefined;
  return { at: incident.resolvedAt, by: incident.resolvedBy ?? 'someone', ...(reason ? { reason } : {}) };
}

/**
 * The one paragraph on the incident item: how the incident ended. Written by the closing step when
 * the automation finishes, and again when a human resolves the incident later.
 */
export function summaryOf(incident: IncidentRecord, actions: readonly ActionRecord[], reason?: string): string {
  const applied = describeOutcomeOfActions(postmortemActions(actions));
  const metrics = metricsOf(incident);
  const restored = incident.mitigatedAt !== undefined && !incident.escalatedAt;
  const automation = restored
    ? `${applied.restoredBy ?? applied.list} restored service (MTTM ${humanDuration((metrics.mttmSeconds ?? 0) * 1000)}).${applied.ineffective.length ? ` No measurable effect: ${applied.ineffective.join('; ')}.` : ''}`
    : `Not restored by automation${applied.list ? ` (tried ${applied.list})` : ''}; a human has the incident${incident.escalationReason ? `: ${incident.escalationReason.replace(/\.$/, '')}` : ''}.`;
  if (incident.status === 'RESOLVED' && incident.resolvedBy && !resolvedByAutomation(incident.resolvedBy)) {
    const after = incident.resolvedAt ? ` ${humanDuration(Date.parse(incident.resolvedAt) - Date.parse(incident.openedAt))} after it was opened` : '';
    return `Resolved by ${incident.resolvedBy}${after}${reason ? `: ${reason.replace(/\.$/, '')}` : ''}. Automation: ${automation}`;
  }
  if (incident.status === 'RESOLVED') return `Resolved by automation: ${automation}`;
  if (incident.status === 'ESCALATED' || incident.status === 'ACKNOWLEDGED') return automation;
  return `The execution ended with the incident ${incident.status}.`;
}
