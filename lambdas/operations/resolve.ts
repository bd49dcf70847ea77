import type { SnsPublisher } from '../adapters/sns-publisher.js';
import { ACTIVE_STATUSES } from '../core/lifecycle.js';
import { renderStatusUpdate } from '../core/status-update.js';
import type { IncidentStore } from '../store/incident-store.js';
import { DEFAULT_FLAP_COOLDOWN_MINUTES } from './defaults.js';
import { storedMetricsOf, summaryOf } from './incident-summary.js';
import { withPostmortem } from './postmortem.js';

export { DEFAULT_FLAP_COOLDOWN_MINUTES } from './defaults.js';

/**
 * The human side of the lifecycle: acknowledge an escalated incident (the re-pages stop, a daily
 * reminder stays) and resolve one. `tourniquet ack|resolve` and the drill's scripted on-call human
 * both run these.
 */

export interface HumanActionDeps {
  readonly store: Pick<IncidentStore, 'getIncident' | 'appendTimeline' | 'transition' | 'listActions' | 'listTimeline' | 'updateIncident'>;
  readonly publisher?: Pick<SnsPublisher, 'publish'>;
  readonly statusTopicArn?: string;
  readonly clock: () => Date;
}

export class IncidentActionError extends Error {
  override readonly name = 'IncidentActionError';
}

/**
 * Resolves an incident a human has finished with, from any status before RESOLVED (a human outranks
 * the automation: an execution still running sees it and stops). The Resolved entry goes on the
 * timeline (who, and why), the incident's metrics and summary are brought up to date (the closing
 * step wrote them when the automation ended, perhaps hours before), and, when a status topic is
 * given, a Resolved update goes out with the postmortem draft. A re-fire within the flap cooldown
 * re-opens the same incident.
 */
export async function resolveIncident(deps: HumanActionDeps & { readonly flapCooldownMinutes?: number }, incidentId: string, by: string, reason?: string): Promise<string> {
  const incident = await deps.store.getIncident(incidentId);
  if (incident.status === 'RESOLVED') return `${incidentId} was already resolved at ${incident.resolvedAt ?? 'an earlier time'}`;
  const now = deps.clock();
  const message = `Resolved by ${by}${reason ? `: ${reason}` : ''}`;
  const cooldown = deps.flapCooldownMinutes ?? DEFAULT_FLAP_COOLDOWN_MINUTES;
  const moved = await deps.store.transition(incidentId, 'RESOLVED', {
    from: ACTIVE_STATUSES,
    patch: { resolvedAt: now.toISOString(), resolvedBy: by },
    reopenUntil: new Date(now.getTime() + cooldown * 60_000).toISOString(),
  });
  if (!moved) throw new IncidentActionError(`${incidentId} changed while resolving it; look at it again (tourniquet incidents)`);
  await deps.store.appendTimeline(incidentId, { at: now.toISOString(), kind: 'resolved', message, data: { by, ...(reason ? { reason } : {}) } });
  const [resolved, actions] = await Promise.all([deps.store.getIncident(incidentId), deps.store.listActions(incidentId)]);
  await deps.store.updateIncident(incidentId, { metrics: storedMetricsOf(resolved), summary: summaryOf(resolved, actions, reason).slice(0, 4000) });
  await announce(
    deps,
    incident,
    'Resolved',
    `${message}.`,
    ['None: the incident is resolved. The postmortem draft is below; to print it again: tourniquet postmortem ' + incidentId],
    now,
  );
  return `${incidentId} resolved by ${by}`;
}

/** Takes an escalated incident: the escalation re-pages stop; a reminder still comes at least daily until it is resolved. */
export async function acknowledgeIncident(deps: HumanActionDeps, incidentId: string, by: string, reason?: string): Promise<string> {
  const incident = await deps.store.getIncident(incidentId);
  if (incident.status === 'ACKNOWLEDGED') return `${incidentId} was already acknowledged by ${incident.acknowledgedBy ?? 'someone'}`;
  if (incident.status !== 'ESCALATED') {
    throw new IncidentActionError(
      `${incidentId} is ${incident.status}: only an ESCALATED incident can be acknowledged${incident.status === 'RESOLVED' ? '' : ' (the automation is still working on it; tourniquet resolve closes it outright)'}`,
    );
  }
  const now = deps.clock();
  const moved = await deps.store.transition(incidentId, 'ACKNOWLEDGED', { from: ['ESCALATED'], patch: { acknowledgedAt: now.toISOString(), acknowledgedBy: by } });
  if (!moved) throw new IncidentActionError(`${incidentId} changed while acknowledging it; look at it again (tourniquet incidents)`);
  const message = `Acknowledged by ${by}${reason ? `: ${reason}` : ''}. Re-pages stop; a reminder still comes at least daily until the incident is resolved.`;
  await deps.store.appendTimeline(incidentId, { at: now.toISOString(), kind: 'acknowledged', message });
  await announce(deps, incident, 'Escalated', message, [`${by} has the incident.`], now);
  return `${incidentId} acknowledged by ${by}`;
}

async function announce(
  deps: HumanActionDeps,
  incident: Awaited<ReturnType<HumanActionDeps['store']['getIncident']>>,
  status: 'Resolved' | 'Escalated',
  summary: string,
  currentActions: string[],
  now: Date,
): Promise<void> {
  if (!deps.publisher || !deps.statusTopicArn) return;
  const update = renderStatusUpdate({
    status,
    severity: incident.severity,
    service: incident.service,
    alarmName: incident.alarmName,
    incidentId: incident.incidentId,
    startedAt: incident.openedAt,
    now,
    summary,
    currentActions,
    executionArn: incident.execution.id,
    nextUpdate: status === 'Resolved' ? 'None.' : undefined,
  });
  await deps.publisher.publish({
    topicArn: deps.statusTopicArn,
    subject: update.subject,
    message: status === 'Resolved' ? await withPostmortem({ store: deps.store, clock: deps.clock }, incident.incidentId, update.message) : update.message,
    attributes: { incidentId: incident.incidentId, status, severity: incident.severity },
  });
}
