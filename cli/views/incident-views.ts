import type { TimelineEvent } from '../../lambdas/core/model.js';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../lambdas/core/model.js';
import type { IncidentMetrics } from '../../lambdas/core/postmortem.js';
import { humanDuration } from '../../lambdas/core/status-update.js';
import { incidentPostmortem, metricsOf, type PostmortemDeps } from '../../lambdas/operations/postmortem.js';
import type { ActionRecord, IncidentRecord, IncidentStore } from '../../lambdas/store/incident-store.js';
import { CliError } from '../runtime/errors.js';

/**
 * What `tourniquet incidents|show|postmortem` print, as functions of an incident store: the CLI
 * calls them with a store over the deployed table, `drill --show` with one over the drill's
 * DynamoDB Local table, so both print the same thing.
 */

export type ViewStore = Pick<IncidentStore, 'listIncidents' | 'listActiveIncidents' | 'getIncident' | 'listTimeline' | 'listActions'>;

/** Which incidents `tourniquet incidents` lists. */
export interface IncidentFilter {
  readonly limit: number;
  readonly statuses?: readonly IncidentStatus[];
  readonly service?: string;
  /** ISO time: opened at or after it. */
  readonly since?: string;
  /** Every incident not yet RESOLVED, whatever its age (read through the episode pointers, not the index). */
  readonly active?: boolean;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: an ISO time, or a duration back from now such as 30m, 24h, 7d, 2w. */
export function parseSince(text: string, now: Date): string {
  const duration = /^(\d+)\s*([mhdw])$/i.exec(text.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * UNITS[duration[2]!.toLowerCase()]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim()) && !Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw new CliError(`--since "${text}" is neither an ISO time (2026-11-23T03:00Z) nor a duration (30m, 24h, 7d, 2w)`);
}

/** `--status`: a comma-separated list of incident statuses, any case. */
export function parseStatuses(text: string): IncidentStatus[] {
  const statuses = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  const unknown = statuses.filter((s) => !(INCIDENT_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0 || statuses.length === 0) throw new CliError(`--status "${text}": use one or more of ${INCIDENT_STATUSES.join(', ')}, comma-separated`);
  return statuses as IncidentStatus[];
}

/** `--limit`: a whole number from 1 to 1000. */
export function parseLimit(text: string | undefined, fallback = 20): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CliError(`--limit must be a whole number from 1 to 1000, got "${text}"`);
  return n;
}

export async function findIncidents(store: ViewStore, filter: IncidentFilter): Promise<IncidentRecord[]> {
  if (!filter.active) {
    return store.listIncidents({
      limit: filter.limit,
      ...(filter.since ? { since: filter.since } : {}),
      ...(filter.statuses ? { statuses: filter.statuses } : {}),
      ...(filter.service ? { service: filter.service } : {}),
    });
  }
  const active = (await store.listActiveIncidents()).filter(
    (i) => (!filter.statuses || filter.statuses.includes(i.status)) && (!filter.service || i.service === filter.service) && (!filter.since || i.openedAt >= filter.since),
  );
  return active.sort((a, b) => b.openedAt.localeCompare(a.openedAt)).slice(0, filter.limit);
}

const when = (iso: string | undefined): string => (iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '-');
const dur = (seconds: number | null): string => (seconds === null ? '-' : humanDuration(seconds * 1000));

const table = (rows: readonly string[][]): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
};

/** The JSON shape of one listed incident. */
const incidentSummary = (i: IncidentRecord) => ({
  incidentId: i.incidentId,
  status: i.status,
  severity: i.severity,
  service: i.service,
  alarmName: i.alarmName,
  alarms: i.alarms ?? [i.alarmName],
  openedAt: i.openedAt,
  round: i.round,
  ...(i.mitigatedAt ? { mitigatedAt: i.mitigatedAt } : {}),
  ...(i.escalatedAt ? { escalatedAt: i.escalatedAt } : {}),
  ...(i.acknowledgedBy ? { acknowledgedBy: i.acknowledgedBy } : {}),
  ...(i.resolvedAt ? { resolvedAt: i.resolvedAt } : {}),
  metrics: metricsOf(i),
});

/** `tourniquet incidents`: newest first, one line each (or a JSON array). */
export async function incidentsView(store: ViewStore, filter: IncidentFilter, options: { json?: boolean } = {}): Promise<string> {
  const incidents = await findIncidents(store, filter);
  if (options.json) return JSON.stringify(incidents.map(incidentSummary), null, 2);
  if (incidents.length === 0) return 'no incidents';
  return table([
    ['INCIDENT', 'STATUS', 'SEV', 'SERVICE', 'OPENED', 'MTTM', 'ROUND', 'ALARMS'],
    ...incidents.map((i) => [
      i.incidentId,
      i.status,
      i.severity,
      i.service,
      when(i.openedAt),
      dur(metricsOf(i).mttmSeconds),
      String(i.round),
      (i.alarms ?? [i.alarmName]).join(', '),
    ]),
  ]);
}

/** One incident with everything `show` prints. */
export interface IncidentDetail {
  readonly incident: IncidentRecord;
  readonly metrics: IncidentMetrics;
  readonly timeline: TimelineEvent[];
  readonly actions: ActionRecord[];
}

export async function incidentDetail(store: ViewStore, incidentId: string): Promise<IncidentDetail> {
  const [incident, timeline, actions] = await Promise.all([store.getIncident(incidentId), store.listTimeline(incidentId), store.listActions(incidentId)]);
  return { incident, metrics: metricsOf(incident), timeline, actions: [...actions].sort((a, b) => a.cursor - b.cursor) };
}

const indent = (text: string, by: string): string => text.split('\n').join(`\n${by}`);

/** `tourniquet show <id>`: the record in a few lines, then the timeline and the actions. */
export function renderIncidentDetail({ incident: i, metrics: m, timeline, actions }: IncidentDetail): string {
  const lines = [`${i.incidentId}  ${i.status}  ${i.severity}  ${i.service}`];
  const field = (name: string, value: string | undefined) => value !== undefined && lines.push(`  ${name.padEnd(13)}${value}`);
  field('alarm', `${i.alarmName}${i.alarms && i.alarms.length > 1 ? ` (with ${i.alarms.filter((a) => a !== i.alarmName).join(', ')})` : ''}`);
  field('opened', `${when(i.openedAt)}${i.round > 0 ? `  (re-opened ${i.round}×)` : ''}`);
  field('impact from', i.impactStartedAt ? when(i.impactStartedAt) : undefined);
  field('mitigated', i.mitigatedAt ? when(i.mitigatedAt) : undefined);
  field('escalated', i.escalatedAt ? `${when(i.escalatedAt)}${i.escalationReason ? `: ${i.escalationReason.split('\n')[0]}` : ''}` : undefined);
  field('acknowledged', i.acknowledgedAt ? `${when(i.acknowledgedAt)} by ${i.acknowledgedBy ?? 'someone'}` : undefined);
  field('resolved', i.resolvedAt ? `${when(i.resolvedAt)} by ${i.resolvedBy ?? 'someone'}` : undefined);
  field(
    'metrics',
    `MTTD ${dur(m.mttdSeconds)}  MTTM ${dur(m.mttmSeconds)}  MTTR ${dur(m.mttrSeconds)}  (${i.severity} target ${m.mitigationTargetMinutes} min${m.withinTarget === null ? '' : m.withinTarget ? ': met' : ': missed'})`,
  );
  field('capped', i.cappedReason);
  field('summary', i.summary ? indent(i.summary, ' '.repeat(15)) : undefined);
  lines.push('', `Timeline (${timeline.length})`);
  for (const e of timeline) lines.push(`  ${when(e.at)}  ${e.kind.padEnd(16)} ${indent(e.message, ' '.repeat(41))}`);
  lines.push('', `Actions (${actions.length})`);
  if (actions.length === 0) lines.push('  none');
  for (const a of actions) {
    const parts = [`#${a.cursor}`, `${a.type} on ${a.target}`, a.status, when(a.startedAt)];
    if (a.effect) parts.push(`effect: ${a.effect}`);
    if (a.undoneAt) parts.push(`undone ${when(a.undoneAt)}`);
    lines.push(`  ${parts.join('  ')}`);
    if (a.detail) lines.push(`      ${indent(a.detail, '      ')}`);
    if (a.lastError) lines.push(`      last error: ${a.lastError.split('\n')[0]}`);
  }
  return lines.join('\n');
}

/** `tourniquet show <id>`: text, or `{ incident, metrics, timeline, actions }` as JSON. */
export async function showView(store: ViewStore, incidentId: string, options: { json?: boolean } = {}): Promise<string> {
  const detail = await incidentDetail(store, incidentId);
  return options.json ? JSON.stringify(detail, null, 2) : renderIncidentDetail(detail);
}

/** `tourniquet postmortem <id>`: the Markdown draft, or `{ incidentId, …, metrics, markdown }` as JSON. */
export async function postmortemView(deps: Omit<PostmortemDeps, 'store'> & { store: ViewStore }, incidentId: string, options: { json?: boolean } = {}): Promise<string> {
  const markdown = await incidentPostmortem(deps, incidentId);
  if (!options.json) return markdown;
  const incident = await deps.store.getIncident(incidentId);
  return JSON.stringify(
    { incidentId, service: incident.service, severity: incident.severity, status: incident.status, openedAt: incident.openedAt, metrics: metricsOf(incident), markdown },
    null,
    2,
  );
}
