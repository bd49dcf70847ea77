import { isElsewhere, isServiceLocation, serviceAccess } from '../core/accounts.js';
import type { AlarmEventInvalidError } from '../core/alarm-event.js';
import { configuredRunbook, findAlarm, findSymptomAlarm, type ServiceConfig, type TourniquetConfig } from '../core/config.js';
import { executionArnFor, executionNameFor, incidentIdFor, signalKeyFor } from '../core/identity.js';
import { type Admission, admit, AUTOMATION_STATUSES, leaseUntil } from '../core/lifecycle.js';
import type { TimelineEvent, WorkflowInput } from '../core/model.js';
import { describeAction, renderPage } from '../core/pages.js';
import { alarmNameIn, excerpt, rawEventId } from '../core/raw-event.js';
import { resolveSeverity } from '../core/severity.js';
import type { AlarmSignal } from '../core/signal.js';
import { utcMinute } from '../core/status-update.js';
import { logger } from '../runtime/logger.js';
import type { EpisodeRecord } from '../store/records.js';
import { recordEscalated, recordOpened } from './incident-metrics.js';
import type { ActionLedgerReader, Clock, EpisodeAdmissions, IncidentOpener, IncidentReader, IncidentTransitions, IncidentUpdater, MetricsSink, Publisher } from './ports.js';

/**
 * Admitting alarm signals: turns alarm transitions (EventBridge events or SNS notifications, ALARM
 * and OK) into service episodes. The first incident alarm of a quiet service opens an incident and
 * starts its workflow; every later signal of the service joins the current incident, re-opens it (a
 * re-fire while it is WATCHING or just RESOLVED), or pages (a human holds it, or its workflow
 * stopped). Redeliveries change nothing twice. Unconfigured alarms and unreadable events are
 * reported to the escalation topic with the raw event's essentials: nothing is dropped silently.
 */

/** The incident records the starter reads and writes: episodes, incidents, their ledgers. */
export interface StarterStore extends EpisodeAdmissions, IncidentOpener, IncidentTransitions, IncidentReader, ActionLedgerReader, IncidentUpdater {}

/** Starts incident workflows (`StepFunctionsExecutions`). */
export interface WorkflowStarter {
  /** Starts execution `name`; 'already-running' when one of that name exists (a redelivery). */
  start(name: string, input: StarterOutput): Promise<'started' | 'already-running'>;
}

/** What admitting signals needs. */
export interface AdmitSignalsDeps {
  readonly config: TourniquetConfig;
  /** The function's region: a service that names no region (and no crossAccount.centralRegion) has its alarms here. @default any region */
  readonly region?: string;
  readonly store: StarterStore;
  readonly workflows: WorkflowStarter;
  /** Names the execution on the incident record before it is started. */
  readonly stateMachineArn: string;
  readonly publisher: Publisher;
  readonly escalationTopicArn: string;
  /** IncidentsOpened, and Escalations of orphaned workflows. */
  readonly metrics: MetricsSink;
  readonly clock: Clock;
}

/** What one alarm event did, signal by signal. */
export interface StartSummary {
  /** Executions started (new incidents and continuations after a re-open). */
  readonly started: string[];
  /** StartExecution said the execution exists: a redelivery after the incident was opened or re-opened. */
  readonly alreadyRunning: string[];
  /** Signals recorded on a current incident ("incidentId: alarm STATE"). */
  readonly joined: string[];
  /** Incidents re-opened by a re-fire. */
  readonly reopened: string[];
  /** Pages sent because an alarm fired while a human holds the incident, or its workflow stopped. */
  readonly paged: string[];
  /** The same transition was already recorded: nothing done. */
  readonly duplicates: string[];
  readonly ignored: string[];
  readonly unknownAlarms: string[];
}

/** Input handed to the state machine; `ReadExecutionContext` adds the execution reference. */
export type StarterOutput = Omit<WorkflowInput, 'execution'>;

/** Re-reads of the episode when a concurrent writer changed it between our read and our write. */
const MAX_ADMISSION_ATTEMPTS = 4;

/** A summary with nothing in it yet. */
export const emptySummary = (): StartSummary => ({ started: [], alreadyRunning: [], joined: [], reopened: [], paged: [], duplicates: [], ignored: [], unknownAlarms: [] });

/**
 * Admits each signal of one alarm event into its service's episode (see the module comment). A
 * signal of no configured alarm is reported to the escalation topic when it is an ALARM, ignored otherwise.
 *
 * @param event the event as received, for the log and the reports (its id names it there)
 */
export async function admitSignals(deps: AdmitSignalsDeps, signals: readonly AlarmSignal[], event: unknown): Promise<StartSummary> {
  const summary = emptySummary();
  for (const signal of signals) {
    // An alarm of the same name in another account or region is not the configured one (alarm names are unique per account and region only).
    const here = (service: ServiceConfig) => isServiceLocation(deps.config, service, signal, deps.region);
    const named = findAlarm(deps.config, signal.alarmName);
    const owner = deps.config.services.find((s) => here(s) && s.alarms.some((a) => a.name === signal.alarmName));
    const symptomOf = owner ? undefined : deps.config.services.find((s) => here(s) && Object.values(s.symptomAlarms).some((names) => names.includes(signal.alarmName)));
    if (!owner && !symptomOf) {
      const elsewhere = named?.service ?? findSymptomAlarm(deps.config, signal.alarmName);
      if (signal.state !== 'ALARM') {
        summary.ignored.push(`${signal.alarmName} ${signal.state} (${elsewhere ? `not from ${elsewhere.name}'s account and region` : 'not configured'})`);
        continue;
      }
      summary.unknownAlarms.push(signal.alarmName);
      const rawId = rawEventId(event);
      const from = `account ${signal.account}, region ${signal.region}`;
      logger.warn('alarm not configured', { rawEventId: rawId, alarmName: signal.alarmName, account: signal.account, region: signal.region, event });
      await report(
        deps,
        `[Tourniquet] Unconfigured alarm: ${signal.alarmName}`.slice(0, 100),
        elsewhere
          ? `Alarm "${signal.alarmName}" (${signal.alarmArn}) entered ALARM at ${signal.stateChangeTime} in ${from}, but service ${elsewhere.name} that has an alarm of that name is in ${expectedLocation(deps, elsewhere)}, so no incident was opened. Reason: ${signal.reason}\n\nThe event is in the starter's log under rawEventId ${rawId}.`
          : `Alarm "${signal.alarmName}" (${signal.alarmArn}) entered ALARM at ${signal.stateChangeTime} in ${from}, but no service in the Tourniquet config owns it, so no incident was opened. Reason: ${signal.reason}\n\nThe event is in the starter's log under rawEventId ${rawId}.`,
      );
      continue;
    }
    await admitSignal(deps, signal, owner ?? symptomOf!, owner ? 'incident' : 'symptom', summary);
  }
  logger.info('alarm signals admitted', { ...summary });
  return summary;
}

/**
 * An alarm event that could not be read: logged whole under an id, and reported to the escalation
 * topic with that id and its first 2,000 characters. No incident is opened.
 *
 * @throws the publisher's error: the invocation fails and the event goes to the intake dead-letter queue
 */
export async function reportRejectedEvent(deps: AdmitSignalsDeps, event: unknown, error: AlarmEventInvalidError): Promise<StartSummary> {
  // The whole event goes to the log under an id the page names; if the page fails, the throw
  // sends the event to the intake dead-letter queue (EventBridge and Lambda retries end there).
  const rawId = rawEventId(event);
  const alarm = alarmNameIn(event);
  logger.error('alarm event rejected', { rawEventId: rawId, alarmName: alarm, error, event });
  await report(
    deps,
    `[Tourniquet] Alarm event rejected: ${alarm ?? 'alarm name unreadable'}`.slice(0, 100),
    `An alarm event${alarm ? ` of alarm "${alarm}"` : ''} reached Tourniquet but could not be read: ${error.message}\nNo incident was opened. Check the alarm's action or the EventBridge rule.\n\nThe whole event is in the starter's log under rawEventId ${rawId}. As received (first 2,000 characters):\n${excerpt(event)}`,
  );
  return emptySummary();
}

/** Where the config says a service's alarms come from, in words. */
function expectedLocation(deps: AdmitSignalsDeps, service: ServiceConfig): string {
  const account = service.account ?? deps.config.crossAccount?.centralAccount;
  const region = service.region ?? deps.config.crossAccount?.centralRegion ?? deps.region;
  return [account ? `account ${account}` : 'any account', region ? `region ${region}` : 'any region'].join(', ');
}

async function report(deps: AdmitSignalsDeps, subject: string, message: string): Promise<void> {
  await deps.publisher.publish({ topicArn: deps.escalationTopicArn, subject, message });
}

async function startWorkflow(deps: AdmitSignalsDeps, name: string, input: StarterOutput, summary: StartSummary): Promise<void> {
  if ((await deps.workflows.start(name, input)) === 'already-running') {
    summary.alreadyRunning.push(name);
    return;
  }
  summary.started.push(name);
  logger.info('execution started', { name, incidentId: input.incidentId });
}

const workflowInput = (deps: AdmitSignalsDeps, signal: AlarmSignal, service: ServiceConfig, incidentId: string): StarterOutput => ({
  signal,
  service,
  incidentId,
  settings: {
    changeWindowMinutes: deps.config.changeWindowMinutes,
    dryRun: deps.config.dryRun || service.dryRun,
    stage: deps.config.stage,
    // The member role (and region) the functions reach the service through; absent for a service here.
    ...(isElsewhere(serviceAccess(deps.config, service)) ? { access: serviceAccess(deps.config, service) } : {}),
    maintenanceWindows: deps.config.maintenanceWindows
      .filter((w) => !w.services || w.services.includes(service.name))
      .map(({ start, end, reason }) => ({ start, end, ...(reason ? { reason } : {}) })),
    lifecycle: deps.config.lifecycle,
    brake: deps.config.brake,
  },
});

/** Pages the escalation topic about an incident a human must look at, with its history. */
async function page(deps: AdmitSignalsDeps, incidentId: string, why: string, now: Date, cause: 'refire' | 'orphaned'): Promise<void> {
  const [incident, actions] = await Promise.all([deps.store.getIncident(incidentId), deps.store.listActions(incidentId)]);
  const runbook = configuredRunbook(deps.config.services, incident.service, incident.alarmName);
  const rendered = renderPage({ incident, why, actions: actions.map(describeAction), now, cause, ...(runbook ? { runbook } : {}) });
  await deps.publisher.publish({
    topicArn: deps.escalationTopicArn,
    subject: rendered.subject,
    message: rendered.message,
    attributes: { incidentId, status: 'Page', severity: incident.severity },
    chat: rendered.chat,
  });
  await deps.store.updateIncident(incidentId, { lastPageAt: now.toISOString(), pages: incident.pages + 1 });
}

/**
 * A redelivered transition that started the incident's current execution: the first delivery may
 * have failed after the store write and before StartExecution, so start it again (same name, so
 * at most one execution ever runs).
 */
async function resumeIfOwner(
  deps: AdmitSignalsDeps,
  incidentId: string,
  episode: Pick<EpisodeRecord, 'incidentId' | 'executionName'> | undefined,
  signal: AlarmSignal,
  service: ServiceConfig,
  summary: StartSummary,
): Promise<void> {
  const name = executionNameFor(signal);
  // The pointer names the current round's execution; read the incident only for a pointer written before it did.
  const owner = episode?.incidentId === incidentId && episode.executionName !== undefined ? episode.executionName : (await deps.store.getIncident(incidentId)).execution.name;
  if (owner === name) await startWorkflow(deps, name, workflowInput(deps, signal, service, incidentId), summary);
}

async function admitSignal(deps: AdmitSignalsDeps, signal: AlarmSignal, service: ServiceConfig, role: 'incident' | 'symptom', summary: StartSummary): Promise<void> {
  const label = `${signal.alarmName} ${signal.state}`;
  const key = signalKeyFor(signal);
  const when = utcMinute(signal.stateChangeTime);
  let episode: EpisodeRecord | undefined = await deps.store.getEpisode(service.name);
  // The incident id is derived from the transition that opened it: this is that transition again.
  // Its first event is not keyed like a signal, so without this it would join (or re-open, or page) its own incident.
  if (episode?.incidentId === incidentIdFor(signal)) {
    summary.duplicates.push(`${episode.incidentId}: ${label}`);
    await resumeIfOwner(deps, episode.incidentId, episode, signal, service, summary);
    return;
  }
  for (let attempt = 1; attempt <= MAX_ADMISSION_ATTEMPTS; attempt += 1) {
    const now = deps.clock();
    const decision: Admission = admit({ episode, role, state: signal.state, now });
    switch (decision.action) {
      case 'ignore':
        summary.ignored.push(`${label} (${decision.reason})`);
        return;
      case 'open': {
        const active = await deps.store.countActiveIncidents();
        const cap = deps.config.lifecycle.maxOpenIncidents;
        const cappedReason =
          active >= cap ? `${active} incidents are already open (lifecycle.maxOpenIncidents is ${cap}): Tourniquet records and pages this one and does not act on it.` : undefined;
        const incidentId = incidentIdFor(signal);
        const name = executionNameFor(signal);
        const severity = resolveSeverity(
          service,
          service.alarms.find((a) => a.name === signal.alarmName),
        );
        const opened = await deps.store.openIncident({
          incidentId,
          service: service.name,
          alarmName: signal.alarmName,
          severity,
          signal,
          execution: { id: executionArnFor(deps.stateMachineArn, name), name, startTime: now.toISOString() },
          openedAt: now.toISOString(),
          leaseUntil: leaseUntil(now),
          ...(cappedReason ? { cappedReason } : {}),
          firstEvent: {
            at: now.toISOString(),
            kind: 'incident-opened',
            message: `Incident opened (${severity}): alarm ${signal.alarmName} entered ALARM at ${when} (${signal.reason})${cappedReason ? `. ${cappedReason}` : ''}`,
            data: { alarmArn: signal.alarmArn, execution: name },
          },
        });
        if (!opened.opened) {
          episode = opened.episode; // another alarm of the service opened it first: decide again against it
          continue;
        }
        // Only the invocation whose conditional write opened it counts it: a redelivery finds it open (a duplicate).
        recordOpened(deps.metrics, { service: service.name, severity });
        await startWorkflow(deps, name, workflowInput(deps, signal, service, incidentId), summary);
        return;
      }
      case 'join':
      case 'repage': {
        const event: TimelineEvent = {
          at: signalTime(signal, episode!),
          kind: 'signal',
          message: signalMessage(signal, role, decision.action === 'repage'),
          data: { alarm: signal.alarmName, state: signal.state, role, recordedAt: now.toISOString() },
        };
        const newAlarm = role === 'incident' && signal.state === 'ALARM' && !episode!.alarms?.includes(signal.alarmName);
        const result = await deps.store.recordSignal(decision.incidentId, {
          key,
          event,
          expectStatus: episode!.status,
          ...(newAlarm ? { addAlarm: { alarm: signal.alarmName, service: service.name } } : {}),
        });
        if (result === 'stale') {
          episode = await deps.store.getEpisode(service.name);
          continue;
        }
        if (result === 'duplicate') {
          summary.duplicates.push(`${decision.incidentId}: ${label}`);
          if (role === 'incident' && signal.state === 'ALARM') await resumeIfOwner(deps, decision.incidentId, episode, signal, service, summary);
          return;
        }
        summary.joined.push(`${decision.incidentId}: ${label}`);
        if (decision.action === 'repage') {
          await page(
            deps,
            decision.incidentId,
            `Alarm ${signal.alarmName} entered ALARM again at ${when} while the incident is ${episode!.status}. ${signal.reason}`,
            now,
            'refire',
          );
          summary.paged.push(decision.incidentId);
        }
        return;
      }
      case 'reopen': {
        const name = executionNameFor(signal);
        const result = await deps.store.reopenIncident(decision.incidentId, {
          from: decision.from,
          round: episode!.round,
          service: service.name,
          execution: { id: executionArnFor(deps.stateMachineArn, name), name, startTime: now.toISOString() },
          leaseUntil: leaseUntil(now),
          key,
          event: {
            at: signalTime(signal, episode!),
            kind: 'reopened',
            message:
              decision.from === 'WATCHING'
                ? `reopened: ${signal.alarmName} entered ALARM again at ${when}, inside the watch period; trying the next candidate`
                : `reopened: ${signal.alarmName} entered ALARM again at ${when}, within the flap cooldown after resolution; same incident, next candidate`,
            data: { alarm: signal.alarmName, from: decision.from, round: episode!.round + 1, execution: name },
          },
        });
        if (result === 'stale') {
          episode = await deps.store.getEpisode(service.name);
          continue;
        }
        if (result === 'duplicate') {
          // Recorded before: the re-fire that re-opened it (resume its continuation), or a signal that joined earlier (nothing to start).
          summary.duplicates.push(`${decision.incidentId}: ${label}`);
          await resumeIfOwner(deps, decision.incidentId, episode, signal, service, summary);
          return;
        }
        summary.reopened.push(decision.incidentId);
        await startWorkflow(deps, name, workflowInput(deps, signal, service, decision.incidentId), summary);
        return;
      }
      case 'orphaned': {
        const reason = `The workflow working on this incident stopped reporting (its lease ran out at ${utcMinute(episode!.leaseUntil!)}); alarm ${signal.alarmName} entered ALARM at ${when}. Automation is not acting on it.`;
        const moved = await deps.store.transition(decision.incidentId, 'ESCALATED', {
          from: AUTOMATION_STATUSES,
          patch: { escalatedAt: now.toISOString(), escalationReason: reason },
        });
        if (!moved) {
          episode = await deps.store.getEpisode(service.name);
          continue;
        }
        // Counted once, at once: only the invocation whose transition moved it gets here.
        recordEscalated(deps.metrics, await deps.store.getIncident(decision.incidentId));
        await deps.store.recordSignal(decision.incidentId, {
          key,
          expectStatus: 'ESCALATED',
          event: { at: signalTime(signal, episode!), kind: 'escalation', message: `Escalated: ${reason}`, data: { alarm: signal.alarmName, recordedAt: now.toISOString() } },
          ...(role === 'incident' && !episode!.alarms?.includes(signal.alarmName) ? { addAlarm: { alarm: signal.alarmName, service: service.name } } : {}),
        });
        await page(deps, decision.incidentId, reason, now, 'orphaned');
        summary.paged.push(decision.incidentId);
        return;
      }
    }
  }
  throw new Error(`could not admit ${label} for ${service.name}: the episode kept changing under concurrent writers`);
}

/**
 * Where a signal goes on the timeline: its transition time, but never before the incident opened
 * (two alarms of one episode often change in the same second). Derived from stored facts only, so a
 * redelivery computes the same key.
 */
function signalTime(signal: AlarmSignal, episode: Pick<EpisodeRecord, 'openedAt'>): string {
  return Date.parse(signal.stateChangeTime) < Date.parse(episode.openedAt) ? episode.openedAt : signal.stateChangeTime;
}

function signalMessage(signal: AlarmSignal, role: 'incident' | 'symptom', humanHolds: boolean): string {
  const when = utcMinute(signal.stateChangeTime);
  if (signal.state === 'OK') return `cleared: ${signal.alarmName} went to OK at ${when}`;
  // No data is not a recovery: say so rather than "cleared".
  if (signal.state !== 'ALARM') return `no data: ${signal.alarmName} went to ${signal.state} at ${when}`;
  if (role === 'symptom') return `symptom: ${signal.alarmName} entered ALARM at ${when}`;
  const joined = `joined: ${signal.alarmName} entered ALARM at ${when}`;
  return humanHolds ? `${joined}; a human has the incident, paged again` : joined;
}
