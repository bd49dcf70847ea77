import { type ChatContent, incidentNextSteps, section, sections } from './chat-message.js';
import { runbookFor, type Severity } from './config.js';
import { nextExecutableCursor } from './decision.js';
import { executionConsoleUrl } from './identity.js';
import type { StatusPhase, WorkflowState } from './model.js';
import { UPDATE_CADENCE_MINUTES } from './severity.js';

/**
 * Status updates in the communication template: status, severity, started, duration, summary,
 * impact, current actions, next update. Updates state facts (what fired, what changed, what was
 * done); they never guess at root cause.
 */

export type UpdateStatus = StatusPhase | 'Escalated';

export interface StatusUpdate {
  readonly status: UpdateStatus;
  readonly subject: string;
  readonly message: string;
  /** The same update for chat (docs/chat.md): the chat topic's copy. */
  readonly chat?: ChatContent;
}

export interface StatusUpdateInput {
  readonly status: UpdateStatus;
  readonly severity: Severity;
  readonly service: string;
  readonly alarmName: string;
  readonly alarmSummary?: string;
  readonly impact?: string;
  readonly incidentId: string;
  readonly startedAt: string;
  readonly now: Date;
  readonly summary: string;
  readonly currentActions: readonly string[];
  readonly executionArn?: string;
  /** Overrides the cadence-based next update (e.g. "None: the automation has finished"). */
  readonly nextUpdate?: string;
  /** The alarm's runbook (its own, else its service's: `runbookFor`). @default none: the update says so */
  readonly runbook?: string;
}

export const utcMinute = (iso: string | Date): string => {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
};

export const humanDuration = (ms: number): string => {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
};

export function renderStatusUpdate(input: StatusUpdateInput): StatusUpdate {
  const what = input.alarmSummary ?? input.alarmName;
  const subject = `[${input.severity}][${input.status}] ${input.service}: ${what}`;
  const nextUpdate = input.nextUpdate ?? `By ${utcMinute(new Date(input.now.getTime() + UPDATE_CADENCE_MINUTES[input.severity] * 60_000))}, or sooner at the next phase change.`;
  const impact = input.impact ?? `Users of ${input.service} may see degraded service while alarm "${input.alarmName}" is in ALARM.`;
  const lines = [
    `Incident Update: ${input.incidentId}`,
    '',
    `Status: ${input.status}`,
    `Severity: ${input.severity}`,
    `Started: ${utcMinute(input.startedAt)}`,
    `Duration: ${humanDuration(input.now.getTime() - Date.parse(input.startedAt))}`,
    `Runbook: ${input.runbook ?? NO_RUNBOOK}`,
    '',
    'Summary',
    input.summary,
    '',
    'Impact',
    impact,
    '',
    'Current Actions',
    ...input.currentActions.map((a) => `- ${a}`),
    '',
    'Next Update',
    nextUpdate,
  ];
  const consoleUrl = input.executionArn ? executionConsoleUrl(input.executionArn) : undefined;
  if (consoleUrl) lines.push('', `Workflow: ${consoleUrl}`);
  const chat: ChatContent = {
    title: subject,
    description: sections(
      section('Summary', input.summary),
      section('Impact', impact),
      section('What Tourniquet is doing', input.currentActions),
      section('Runbook', input.runbook ?? NO_RUNBOOK),
      consoleUrl ? section('Workflow', consoleUrl) : '',
      section('Next update', nextUpdate),
    ),
    nextSteps: incidentNextSteps(input.incidentId, input.runbook, input.status === 'Escalated' ? [`Take the incident: tourniquet ack ${input.incidentId}`] : []),
    keywords: [input.incidentId, input.severity, input.service, input.status],
    threadId: input.incidentId,
    summary: `${input.severity} ${input.status}: ${input.service}, ${what}`,
    eventType: input.status === 'Escalated' ? 'Page' : 'StatusUpdate',
    ...(input.executionArn ? { relatedResources: [input.executionArn] } : {}),
  };
  return { status: input.status, subject, message: lines.join('\n'), chat };
}

/** What an update or page says when neither the alarm nor its service names a runbook (`tourniquet validate` warns about it). */
export const NO_RUNBOOK = 'none configured for this alarm (add `runbook` to the alarm or its service)';

/** Builds the update for a phase of the workflow from the execution state. */
export function statusUpdateFor(state: WorkflowState, status: UpdateStatus, now: Date): StatusUpdate {
  const alarm = state.service.alarms.find((a) => a.name === state.signal.alarmName);
  const fired = `Alarm "${state.signal.alarmName}" entered ALARM at ${utcMinute(state.signal.stateChangeTime)}.`;
  const plan = state.plan;
  const attempt = state.attempt;
  let summary: string;
  let currentActions: string[];
  let nextUpdate: string | undefined;

  switch (status) {
    case 'Investigating': {
      summary =
        state.incident.round > 0
          ? `${fired} The alarm fired again after a mitigation, so Tourniquet re-opened incident ${state.incident.incidentId} (round ${state.incident.round}) and is looking for a next candidate.`
          : `${fired} Tourniquet opened an incident and is checking what changed.`;
      currentActions = [`Checking deployments and feature-flag changes of ${state.service.name} in the ${state.settings.changeWindowMinutes} min before the alarm.`];
      break;
    }
    case 'Identified': {
      const first = plan ? plan.candidates[nextExecutableCursor(plan, -1) ?? 0] : undefined;
      summary = `${fired} ${first ? first.rationale : 'A mitigation was identified.'}`;
      currentActions = [
        first
          ? `${state.settings.dryRun ? 'Dry run: would apply' : 'Applying'} ${first.type} on ${first.target}, then verifying that the alarm clears.`
          : 'Applying the planned mitigation, then verifying.',
      ];
      const rest = plan ? plan.candidates.filter((c) => c !== first) : [];
      if (rest.length > 0) currentActions.push(`If the alarm does not clear: ${rest.map((c) => `${c.type} on ${c.target}`).join(', then ')}.`);
      break;
    }
    case 'Mitigated': {
      const until = state.verification?.outcome === 'watching' ? state.verification.checkAt : undefined;
      summary = `${fired} Service is restored: the alarms are back to OK after ${attempt ? `${attempt.type} on ${attempt.target}` : 'the mitigation'}.`;
      currentActions = [
        attempt ? `Mitigation in place: ${attempt.detail}` : 'Mitigation in place.',
        `Watching${until ? ` until ${utcMinute(until)}` : ''}: a re-fire in that time re-opens this incident; a quiet watch period resolves it.`,
        'The owning team should fix the cause before undoing the mitigation (tourniquet undo).',
      ];
      nextUpdate = until ? `By ${utcMinute(until)} (end of the watch period), or sooner if the alarm fires again.` : undefined;
      break;
    }
    case 'Escalated': {
      const reason =
        state.incident.mode === 'capped' && state.incident.reason
          ? state.incident.reason
          : state.attempt?.status === 'paused'
            ? `${state.attempt.detail} A human decides what to do.`
            : state.error?.Error === 'ApprovalRejected'
              ? `A human rejected ${attempt ? `${attempt.type} on ${attempt.target}` : 'the proposed mitigation'}${state.approval ? ` (${state.approval.by}${state.approval.reason ? `: ${state.approval.reason}` : ''})` : ''}; nothing was changed.`
              : state.error?.Error === 'ApprovalTimedOut'
                ? `Nobody approved ${attempt ? `${attempt.type} on ${attempt.target}` : 'the proposed mitigation'} in time; Tourniquet did not act on its own.`
                : state.attempt?.status === 'dry-run'
                  ? `${state.attempt.detail}`
                  : state.error?.Error === 'NoCandidateCanAct'
                    ? `Tourniquet found no mitigation that can act now: ${describeWorkflowError(state.error)}`
                    : state.error
                      ? `The automation hit an error: ${describeWorkflowError(state.error)}`
                      : plan && !plan.hasCandidate
                        ? plan.rationale
                        : state.verification?.outcome === 'failed'
                          ? `${state.verification.notOk?.length ? state.verification.notOk.join(', ') : 'The alarm'} still ${state.verification.alarmState} after ${attempt ? `${attempt.type} on ${attempt.target}` : 'the mitigation'}, and no further automatic mitigation remains.`
                          : 'Automation cannot mitigate this incident.';
      summary = `${fired} ${reason}`;
      currentActions = ['A human on call has been paged to take over.'];
      const deferred = plan?.candidates.filter((c) => !c.executable) ?? [];
      if (deferred.length > 0) currentActions.push(`Suggested next step: ${deferred.map((c) => `${c.type} on ${c.target} (${c.rationale})`).join('; ')}`);
      break;
    }
    case 'Resolved': {
      summary = `${fired} The incident is resolved: the alarms stayed OK through the watch period after ${attempt ? `${attempt.type} on ${attempt.target}` : 'the mitigation'}.`;
      currentActions = [`The mitigation stays in place until the owning team fixes the cause and runs tourniquet undo ${state.incident.incidentId}.`];
      nextUpdate = `None, unless the alarm fires again within ${state.settings.lifecycle.flapCooldownMinutes} min (the incident then re-opens). Postmortem draft: tourniquet postmortem ${state.incident.incidentId}.`;
      break;
    }
  }

  return renderStatusUpdate({
    status,
    severity: state.incident.severity,
    service: state.service.name,
    alarmName: state.signal.alarmName,
    alarmSummary: alarm?.summary,
    impact: alarm?.impact,
    incidentId: state.incident.incidentId,
    startedAt: state.incident.openedAt,
    now,
    summary,
    currentActions,
    executionArn: state.execution.id,
    nextUpdate,
    runbook: runbookFor(state.service, alarm),
  });
}

/**
 * A workflow error in words. Step Functions puts a Lambda error's JSON (`errorType`, `errorMessage`,
 * `trace`) in `Cause`; the message says what happened, the class name alone does not.
 */
export function describeWorkflowError(error: { Error: string; Cause?: string }): string {
  let message = error.Cause?.trim();
  if (message?.startsWith('{')) {
    try {
      const parsed = JSON.parse(message) as { errorMessage?: unknown };
      message = typeof parsed.errorMessage === 'string' ? parsed.errorMessage : undefined;
    } catch {
      // Not JSON after all: keep the text as it is.
    }
  }
  if (!message) return `${error.Error} (no further detail was reported).`;
  const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
  return `${sentence} (${error.Error})`;
}
