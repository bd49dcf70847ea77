import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { findAlarm, findSymptomAlarm, parseConfig, type ServiceConfig, type TourniquetConfig } from '../core/config.js';
import { AlarmEventInvalidError, parseAlarmEvent } from '../core/alarm-event.js';
import { executionArnFor, executionNameFor, incidentIdFor, signalKeyFor } from '../core/identity.js';
import { admit, AUTOMATION_STATUSES, leaseUntil, type Admission } from '../core/lifecycle.js';
import { describeAction, renderPage } from '../core/pages.js';
import { resolveSeverity } from '../core/severity.js';
import type { AlarmSignal } from '../core/signal.js';
import type { TimelineEvent, WorkflowInput } from '../core/model.js';
import { alarmNameIn, excerpt, rawEventId } from '../core/raw-event.js';
import { utcMinute } from '../core/status-update.js';
import { SnsPublisher } from '../adapters/sns-publisher.js';
import { classifyAwsError } from '../adapters/errors.js';
import { IncidentStore, type EpisodeRecord } from '../store/incident-store.js';
import { readEnvFor } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

/** The validated config, embedded by esbuild at bundle time (Lambda env vars are capped at 4 KB). */
declare const __TOURNIQUET_CONFIG__: string | undefined;

export interface StartExecutionDeps {
  readonly config: TourniquetConfig;
  readonly store: Pick<
    IncidentStore,
    'getEpisode' | 'countActiveIncidents' | 'openIncident' | 'recordSignal' | 'reopenIncident' | 'transition' | 'getIncident' | 'listActions' | 'updateIncident'
  >;
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly stateMachineArn: string;
  readonly publisher: Pick<SnsPublisher, 'publish'>;
  readonly escalationTopicArn: string;
  readonly clock: () => Date;
}

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

/**
 * Turns alarm transitions (EventBridge events or SNS notifications, ALARM and OK) into service
 * episodes: the first incident alarm of a quiet service opens an incident and starts its workflow;
 * every later signal of the service joins the current incident, re-opens it (a re-fire while it is
 * WATCHING or just RESOLVED), or pages (a human holds it, or its workflow stopped). Redeliveries
 * change nothing twice. Unconfigured alarms and unreadable events are reported to the escalation
 * topic with the raw event's essentials: nothing is dropped silently.
 */
export function createStartExecutionHandler(deps: StartExecutionDeps) {
  const report = async (subject: string, message: string): Promise<void> => {
    await deps.publisher.publish({ topicArn: deps.escalationTopicArn, subject, message });
  };

  const startWorkflow = async (name: string, input: StarterOutput, summary: StartSummary): Promise<void> => {
    try {
      await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(input) }));
      summary.started.push(name);
      logger.info('execution started', { name, incidentId: input.incidentId });
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        summary.alreadyRunning.push(name);
        return;
      }
      throw classifyAwsError(error, `StartExecution ${name}`);
    }
  };

  const workflowInput = (signal: AlarmSignal, service: ServiceConfig, incidentId: string): StarterOutput => ({
    signal,
    service,
    incidentId,
    settings: {
      changeWindowMinutes: deps.config.changeWindowMinutes,
      dryRun: deps.config.dryRun || service.dryRun,
      stage: deps.config.stage,
      maintenanceWindows: deps.config.maintenanceWindows
        .filter((w) => !w.services || w.services.includes(service.name))
        .map(({ start, end, reason }) => ({ start, end, ...(reason ? { reason } : {}) })),
      lifecycle: deps.config.lifecycle,
      brake: deps.config.brake,
    },
  });

  /** Pages the escalation topic about an incident a human must look at, with its history. */
  const page = async (incidentId: string, why: string, now: Date, cause: 'refire' | 'orphaned'): Promise<void> => {
    const [incident, actions] = await Promise.all([deps.store.getIncident(incidentId), deps.store.listActions(incidentId)]);
    const rendered = renderPage({ incident, why, actions: actions.map(describeAction), now, cause });
    await deps.publisher.publish({
      topicArn: deps.escalationTopicArn,
      subject: rendered.subject,
      message: rendered.message,
      attributes: { incidentId, status: 'Page', severity: incident.severity },
    });
    await deps.store.updateIncident(incidentId, { lastPageAt: now.toISOString(), pages: incident.pages + 1 });
  };

  /**
   * A redelivered transition that started the incident's current execution: the first delivery may
   * have failed after the store write and before StartExecution, so start it again (same name, so
   * at most one execution ever runs).
   */
  const resumeIfOwner = async (
    incidentId: string,
    episode: Pick<EpisodeRecord, 'incidentId' | 'executionName'> | undefined,
    signal: AlarmSignal,
    service: ServiceConfig,
    summary: StartSummary,
  ): Promise<void> => {
    const name = executionNameFor(signal);
    // The pointer names the current round's execution; read the incident only for a pointer written before it did.
    const owner = episode?.incidentId === incidentId && episode.executionName !== undefined ? episode.executionName : (await deps.store.getIncident(incidentId)).execution.name;
    if (owner === name) await startWorkflow(name, workflowInput(signal, service, incidentId), summary);
  };

  const admitSignal = async (signal: AlarmSignal, service: ServiceConfig, role: 'incident' | 'symptom', summary: StartSummary): Promise<void> => {
    const label = `${signal.alarmName} ${signal.state}`;
    const key = signalKeyFor(signal);
    const when = utcMinute(signal.stateChangeTime);
    let episode: EpisodeRecord | undefined = await deps.store.getEpisode(service.name);
    // The incident id is derived from the transition that opened it: this is that transition again.
    // Its first event is not keyed like a signal, so without this it would join (or re-open, or page) its own incident.
    if (episode?.incidentId === incidentIdFor(signal)) {
      summary.duplicates.push(`${episode.incidentId}: ${label}`);
      await resumeIfOwner(episode.incidentId, episode, signal, service, summary);
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
          const cappedReason = active >= cap ? `${active} incidents are already open (lifecycle.maxOpenIncidents is ${cap}): Tourniquet records and pages this one and does not act on it.` : undefined;
          const incidentId = incidentIdFor(signal);
          const name = executionNameFor(signal);
          const severity = resolveSeverity(service, service.alarms.find((a) => a.name === signal.alarmName));
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
          await startWorkflow(name, workflowInput(signal, service, incidentId), summary);
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
            if (role === 'incident' && signal.state === 'ALARM') await resumeIfOwner(decision.incidentId, episode, signal, service, summary);
            return;
          }
          summary.joined.push(`${decision.incidentId}: ${label}`);
          if (decision.action === 'repage') {
            await page(decision.incidentId, `Alarm ${signal.alarmName} entered ALARM again at ${when} while the incident is ${episode!.status}. ${signal.reason}`, now, 'refire');
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
            await resumeIfOwner(decision.incidentId, episode, signal, service, summary);
            return;
          }
          summary.reopened.push(decision.incidentId);
          await startWorkflow(name, workflowInput(signal, service, decision.incidentId), summary);
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
          await deps.store.recordSignal(decision.incidentId, {
            key,
            expectStatus: 'ESCALATED',
            event: { at: signalTime(signal, episode!), kind: 'escalation', message: `Escalated: ${reason}`, data: { alarm: signal.alarmName, recordedAt: now.toISOString() } },
            ...(role === 'incident' && !episode!.alarms?.includes(signal.alarmName) ? { addAlarm: { alarm: signal.alarmName, service: service.name } } : {}),
          });
          await page(decision.incidentId, reason, now, 'orphaned');
          summary.paged.push(decision.incidentId);
          return;
        }
      }
    }
    throw new Error(`could not admit ${label} for ${service.name}: the episode kept changing under concurrent writers`);
  };

  return async (event: unknown): Promise<StartSummary> => {
    const summary: StartSummary = { started: [], alreadyRunning: [], joined: [], reopened: [], paged: [], duplicates: [], ignored: [], unknownAlarms: [] };
    let signals: AlarmSignal[];
    try {
      signals = parseAlarmEvent(event);
    } catch (error) {
      if (!(error instanceof AlarmEventInvalidError)) throw error;
      // The whole event goes to the log under an id the page names; if the page fails, the throw
      // sends the event to the intake dead-letter queue (EventBridge and Lambda retries end there).
      const rawId = rawEventId(event);
      const alarm = alarmNameIn(event);
      logger.error('alarm event rejected', { rawEventId: rawId, alarmName: alarm, error, event });
      await report(
        `[Tourniquet] Alarm event rejected: ${alarm ?? 'alarm name unreadable'}`.slice(0, 100),
        `An alarm event${alarm ? ` of alarm "${alarm}"` : ''} reached Tourniquet but could not be read: ${error.message}\nNo incident was opened. Check the alarm's action or the EventBridge rule.\n\nThe whole event is in the starter's log under rawEventId ${rawId}. As received (first 2,000 characters):\n${excerpt(event)}`,
      );
      return summary;
    }

    for (const signal of signals) {
      const owner = findAlarm(deps.config, signal.alarmName);
      const symptomOf = owner ? undefined : findSymptomAlarm(deps.config, signal.alarmName);
      if (!owner && !symptomOf) {
        if (signal.state !== 'ALARM') {
          summary.ignored.push(`${signal.alarmName} ${signal.state} (not configured)`);
          continue;
        }
        summary.unknownAlarms.push(signal.alarmName);
        const rawId = rawEventId(event);
        logger.warn('alarm not configured', { rawEventId: rawId, alarmName: signal.alarmName, event });
        await report(
          `[Tourniquet] Unconfigured alarm: ${signal.alarmName}`.slice(0, 100),
          `Alarm "${signal.alarmName}" (${signal.alarmArn}) entered ALARM at ${signal.stateChangeTime}, but no service in the Tourniquet config owns it, so no incident was opened. Reason: ${signal.reason}\n\nThe event is in the starter's log under rawEventId ${rawId}.`,
        );
        continue;
      }
      await admitSignal(signal, owner?.service ?? symptomOf!, owner ? 'incident' : 'symptom', summary);
    }
    logger.info('alarm signals admitted', { ...summary });
    return summary;
  };
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

export const handler = lambdaHandler(() => {
  if (typeof __TOURNIQUET_CONFIG__ !== 'string') throw new Error('The Tourniquet config was not embedded in this bundle; redeploy with cdk deploy');
  const env = readEnvFor('start-execution');
  return createStartExecutionHandler({
    config: parseConfig(__TOURNIQUET_CONFIG__, 'embedded config'),
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    sfn: new SFNClient({}),
    stateMachineArn: env.STATE_MACHINE_ARN,
    publisher: new SnsPublisher(new SNSClient({})),
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    clock: () => new Date(),
  });
});
