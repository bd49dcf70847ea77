import { type ChatContent, incidentNextSteps, section, sections } from './chat-message.js';
import type { Severity } from './config.js';
import { executionConsoleUrl } from './identity.js';
import type { IncidentStatus } from './model.js';
import { humanDuration, NO_RUNBOOK, utcMinute } from './status-update.js';

/**
 * Pages for an incident a human holds (or must take): a re-fire of an escalated incident, the
 * escalation timer, a daily reminder, an orphaned workflow. Every page carries the incident's
 * history, so whoever picks it up at 3 a.m. needs nothing else to start.
 */

export interface PageIncident {
  readonly incidentId: string;
  readonly service: string;
  readonly alarmName: string;
  readonly alarms?: readonly string[];
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly openedAt: string;
  readonly round?: number;
  readonly escalatedAt?: string;
  readonly escalationReason?: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  readonly pages?: number;
  readonly execution?: { readonly id: string };
}

export interface PageInput {
  readonly incident: PageIncident;
  /** Why this page goes out now, in one sentence. */
  readonly why: string;
  /**
   * What prompted it, for the subject: refire (an alarm fired while a human holds the incident),
   * orphaned (the workflow stopped reporting), timer (re-page or reminder). @default timer
   */
  readonly cause?: 'refire' | 'orphaned' | 'timer';
  /** Mitigations tried, in order ("feature-flag-off on flag x: applied, no measurable effect"). */
  readonly actions: readonly string[];
  readonly now: Date;
  /** The alarm's runbook (`runbookFor(service, alarm)`). @default none: the page says so */
  readonly runbook?: string;
}

export interface Page {
  readonly subject: string;
  readonly message: string;
  /** The same page for chat (docs/chat.md). */
  readonly chat: ChatContent;
}

/** SNS subjects are at most 100 ASCII characters. */
const subjectOf = (text: string): string => {
  const ascii = text.replace(/[^\x20-\x7E]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
};

export function renderPage(input: PageInput): Page {
  const { incident, now } = input;
  const alarms = incident.alarms?.length ? incident.alarms : [incident.alarmName];
  const lines = [
    `Incident Page: ${incident.incidentId}`,
    '',
    `Status: ${incident.status}${incident.acknowledgedBy ? ` (acknowledged by ${incident.acknowledgedBy} at ${utcMinute(incident.acknowledgedAt ?? now)})` : ''}`,
    `Severity: ${incident.severity}`,
    `Service: ${incident.service}`,
    `Started: ${utcMinute(incident.openedAt)} (${humanDuration(now.getTime() - Date.parse(incident.openedAt))} ago)`,
    `Alarms: ${alarms.join(', ')}`,
    `Runbook: ${input.runbook ?? NO_RUNBOOK}`,
    '',
    'Why this page',
    input.why,
    '',
    'History',
    `- Opened at ${utcMinute(incident.openedAt)} by alarm ${incident.alarmName}.`,
    ...(incident.round ? [`- Re-opened ${incident.round} time(s) after the alarm fired again.`] : []),
    ...(input.actions.length ? input.actions.map((a) => `- Tried: ${a}`) : ['- No mitigation was applied by automation.']),
    ...(incident.escalatedAt ? [`- Escalated at ${utcMinute(incident.escalatedAt)}${incident.escalationReason ? `: ${incident.escalationReason}` : ''}`] : []),
    `- Pages so far: ${(incident.pages ?? 0) + 1} (this one included).`,
    '',
    'What to do',
    incident.status === 'ACKNOWLEDGED'
      ? `- When service is restored and the cause handled: tourniquet resolve ${incident.incidentId} --reason "..."`
      : `- Take the incident: tourniquet ack ${incident.incidentId} (stops the re-pages; a daily reminder remains until it is resolved).`,
    `- Postmortem draft and full timeline: tourniquet postmortem ${incident.incidentId}`,
  ];
  const consoleUrl = incident.execution ? executionConsoleUrl(incident.execution.id) : undefined;
  if (consoleUrl) lines.push('', `Workflow: ${consoleUrl}`);
  const subject = subjectOf(`[${incident.severity}][Page] ${incident.service}: ${headline(input.cause ?? 'timer', incident.status)} (${incident.incidentId})`);
  const take =
    incident.status === 'ACKNOWLEDGED'
      ? `When service is restored: tourniquet resolve ${incident.incidentId} --reason "..."`
      : `Take the incident: tourniquet ack ${incident.incidentId}`;
  return {
    subject,
    message: lines.join('\n'),
    chat: {
      title: subject,
      description: sections(
        section('Why this page', input.why),
        section('Status', `${incident.status}, ${incident.severity}, ${incident.service}, open for ${humanDuration(now.getTime() - Date.parse(incident.openedAt))}`),
        section('Alarms', alarms.join(', ')),
        section('What Tourniquet did', input.actions.length ? input.actions : ['No mitigation was applied by automation.']),
        section('Runbook', input.runbook ?? NO_RUNBOOK),
        consoleUrl ? section('Workflow', consoleUrl) : '',
      ),
      nextSteps: incidentNextSteps(incident.incidentId, input.runbook, [take]),
      keywords: [incident.incidentId, incident.severity, incident.service, 'Page'],
      threadId: incident.incidentId,
      summary: input.why,
      eventType: 'Page',
      ...(incident.execution ? { relatedResources: [incident.execution.id] } : {}),
    },
  };
}

function headline(cause: NonNullable<PageInput['cause']>, status: IncidentStatus): string {
  if (cause === 'refire') return 'alarm fired again';
  if (cause === 'orphaned') return 'workflow stopped, needs a human';
  return status === 'ACKNOWLEDGED' ? 'reminder' : 'needs a human';
}

/** One line per ledger action for a page or the postmortem: what it was, and what it did. */
export function describeAction(action: {
  readonly type: string;
  readonly target: string;
  readonly status: string;
  readonly effect?: string;
  readonly undoDetail?: string;
}): string {
  const effect = action.effect === 'restored' ? ', restored service' : action.effect === 'no-effect' ? ', no measurable effect' : '';
  const undone = action.status === 'undone' ? ` (reverted${action.undoDetail ? `: ${action.undoDetail}` : ''})` : '';
  return `${action.type} on ${action.target}: ${action.status === 'undone' ? 'applied' : action.status}${effect}${undone}`;
}
