import type { FlagTarget } from '../adapters/appconfig-flags.js';
import type { AlarmDescription } from '../adapters/cloudwatch-alarms.js';
import type { EcsServiceRef } from '../adapters/ecs-deployments.js';
import { TransientAwsError } from '../adapters/errors.js';
import { sessionNameFor } from '../core/accounts.js';
import { SEVERITIES, type Severity, type SymptomAlarms } from '../core/config.js';
import type { ImpactStartSource } from '../core/impact-start.js';
import type { AlarmFacts, EcsDeploymentChange, FlagChange, Symptoms, Triage, WorkflowState } from '../core/model.js';
import { resolveSeverity } from '../core/severity.js';
import { logger } from '../runtime/logger.js';
import { type AlarmSeriesSource, measureImpactStart } from './impact-start.js';
import type { Clock, IncidentReader, IncidentUpdater, Timeline } from './ports.js';
import { atService, type ForService } from './service-scope.js';

/** A time window of changes to look at. */
export interface ChangeWindow {
  readonly from: Date;
  readonly to: Date;
}

/** Feature-flag changes deployed through AppConfig (`AppConfigFlagsAdapter`). */
export interface FlagChangeSource {
  recentFlagChanges(target: FlagTarget, window: ChangeWindow): Promise<FlagChange[]>;
}

/** ECS deployments of a service (`EcsAdapter`). */
export interface DeploymentSource {
  recentDeployments(ref: EcsServiceRef, window: ChangeWindow): Promise<EcsDeploymentChange[]>;
}

/** CloudWatch alarms as they stand (`CloudWatchAlarmsAdapter`). */
export interface AlarmSource {
  describeAlarm(name: string): Promise<AlarmDescription>;
  /** The metric alarms a composite alarm's rule names. */
  describeCompositeChildren(name: string): Promise<AlarmDescription[]>;
}

/** The incident record triage reads and annotates. */
export interface TriageStore extends Timeline, IncidentReader, IncidentUpdater {}

/** What triage needs. */
export interface TriageDeps {
  readonly store: TriageStore;
  readonly flags: FlagChangeSource;
  readonly ecs: DeploymentSource;
  readonly alarms: AlarmSource;
  /** GetMetricData over the alarm's metric: where the breaching run that led to the alarm began. */
  readonly metrics: AlarmSeriesSource;
  readonly clock: Clock;
  /** The sources of a service elsewhere (another region, or a workload account through the member role). */
  readonly forService?: ForService<Pick<TriageDeps, 'flags' | 'ecs' | 'alarms' | 'metrics'>>;
}

/**
 * Gathers the facts the decision matrix needs: the alarm's evaluation settings and every deployment
 * and flag change of the service inside the change window, and the symptom alarms' states. Every
 * incident alarm of the episode counts (alarms that joined since it opened too): the severity is the
 * highest of theirs, and the slowest paces verification. The result goes on the timeline and the
 * incident item, with the start of impact measured from the alarm's datapoints (impact-start.ts)
 * for a new incident; a re-opened one keeps the start it has.
 *
 * A source that cannot be read is recorded as a gap (the decision says so) unless the failure is
 * transient, which is thrown for Step Functions to retry.
 *
 * @throws TransientAwsError when a source failed transiently
 */
export async function triageIncident(home: TriageDeps, state: WorkflowState): Promise<Triage> {
  const { service, signal, incident } = state;
  // The service's own account and region, under the incident's session name.
  const deps = await atService(home, state.settings.access, sessionNameFor(incident.incidentId));
  const now = deps.clock();
  const alarmAt = new Date(signal.stateChangeTime);
  const window = { from: new Date(alarmAt.getTime() - state.settings.changeWindowMinutes * 60_000), to: now };
  const gaps: string[] = [];

  const attempt = async <T>(source: string, read: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (error instanceof TransientAwsError) throw error;
      gaps.push(`${source} (${(error as Error).message})`);
      logger.warn('triage source unavailable', { source, error: error as Error });
      return fallback;
    }
  };

  const { featureFlags, ecs } = service.resources;
  // Every incident alarm of the episode: alarms that joined since the incident opened count too.
  const record = await deps.store.getIncident(incident.incidentId);
  const alarmNames = record.alarms?.length ? [signal.alarmName, ...record.alarms.filter((a) => a !== signal.alarmName)] : [signal.alarmName];
  const severity = highestSeverity(
    alarmNames.map((name) =>
      resolveSeverity(
        service,
        service.alarms.find((a) => a.name === name),
      ),
    ),
  );
  const described = new Map<string, { alarm: AlarmDescription; children?: AlarmDescription[] }>();
  const [alarmFacts, flagChanges, ecsDeployments, symptomEvidence] = await Promise.all([
    Promise.all(
      alarmNames.map((name) =>
        attempt<AlarmFacts>(`CloudWatch alarm ${name}`, () => readAlarmFacts(deps.alarms, name, described), {
          name,
          state: name === signal.alarmName ? signal.state : 'UNKNOWN',
        }),
      ),
    ),
    featureFlags ? attempt<FlagChange[]>('AppConfig deployments', () => deps.flags.recentFlagChanges(featureFlags, window), []) : Promise.resolve<FlagChange[]>([]),
    ecs ? attempt<EcsDeploymentChange[]>('ECS deployments', () => deps.ecs.recentDeployments(ecs, window), []) : Promise.resolve<EcsDeploymentChange[]>([]),
    readSymptoms(service.symptomAlarms, (name) => attempt<string | undefined>(`symptom alarm ${name}`, async () => (await deps.alarms.describeAlarm(name)).state, undefined)),
  ]);
  const symptoms = symptomEvidence.symptoms;
  const alarm = slowestAlarm(alarmFacts);

  const triage: Triage = {
    severity,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    alarm: { name: alarm.name, state: alarm.state, periodSeconds: alarm.periodSeconds, evaluationPeriods: alarm.evaluationPeriods, datapointsToAlarm: alarm.datapointsToAlarm },
    alarms: alarmNames,
    flagChanges,
    ecsDeployments,
    symptoms,
    gaps,
  };

  const found = [
    ...flagChanges.map(
      (c) => `flag ${c.flag} ${c.from === null ? 'added' : c.from ? 'on' : 'off'} → ${c.to ? 'on' : 'off'} (deployment #${c.deploymentNumber} at ${c.changedAt.slice(11, 19)})`,
    ),
    ...ecsDeployments.map((d) => `ECS deployment ${d.deploymentId} of ${d.taskDefinition.split('/').pop()} at ${d.createdAt.slice(11, 19)} (${d.status})`),
    ...symptomEvidence.evidence,
  ];
  const scope = alarmNames.length > 1 ? ` of ${alarmNames.length} alarms (${alarmNames.join(', ')})` : '';
  const raised = severity !== record.severity ? `; severity raised to ${severity} by a joined alarm` : '';
  await deps.store.appendTimeline(incident.incidentId, {
    at: now.toISOString(),
    kind: 'triage',
    message: `Triage${scope} (${state.settings.changeWindowMinutes} min window): ${found.length ? found.join('; ') : 'no deployment, flag change or symptom found'}${gaps.length ? `; could not read ${gaps.join(', ')}` : ''}${raised}`,
    data: { flagChanges: flagChanges.length, ecsDeployments: ecsDeployments.length, gaps, alarms: alarmNames },
  });
  // Measured once per incident: a re-opened incident's impact began with its first round.
  let impact: { impactStartedAt?: string; impactStartSource?: ImpactStartSource } = {
    ...(record.impactStartedAt ? { impactStartedAt: record.impactStartedAt } : {}),
    ...(record.impactStartSource ? { impactStartSource: record.impactStartSource } : {}),
  };
  if (!record.impactStartedAt) {
    const opener = described.get(signal.alarmName);
    const measured = await measureImpactStart(deps.metrics, {
      signal,
      ...(opener ? { alarm: opener.alarm } : {}),
      ...(opener?.children ? { children: opener.children } : {}),
      facts: alarmFacts[0]!,
    });
    await deps.store.appendTimeline(incident.incidentId, { at: now.toISOString(), kind: 'triage', message: measured.message, data: measured.data });
    if (measured.at && measured.source) impact = { impactStartedAt: measured.at, impactStartSource: measured.source };
  }
  await deps.store.updateIncident(incident.incidentId, { triage, ...impact, ...(severity !== record.severity ? { severity } : {}) });
  return triage;
}

/**
 * An alarm's evaluation settings. A composite alarm has none of its own: its children's apply, and
 * the slowest child (period × evaluation periods) decides how soon a mitigation can show in it.
 */
async function readAlarmFacts(alarms: AlarmSource, name: string, described: Map<string, { alarm: AlarmDescription; children?: AlarmDescription[] }>): Promise<AlarmFacts> {
  const alarm = await alarms.describeAlarm(name);
  described.set(name, { alarm });
  if (alarm.kind !== 'composite' || alarm.periodSeconds !== undefined) return alarm;
  const all = await alarms.describeCompositeChildren(name);
  described.set(name, { alarm, children: all });
  const children = all.filter((c) => c.periodSeconds !== undefined);
  if (children.length === 0) return alarm;
  const pace = slowestAlarm(children);
  return { ...alarm, periodSeconds: pace.periodSeconds, evaluationPeriods: pace.evaluationPeriods, datapointsToAlarm: pace.datapointsToAlarm };
}

/** SEV1 is the highest. */
function highestSeverity(severities: readonly Severity[]): Severity {
  return SEVERITIES.find((s) => severities.includes(s)) ?? 'SEV4';
}

/** The alarm that takes longest to show a recovery paces verification: period × evaluation periods. */
function slowestAlarm(alarms: readonly AlarmFacts[]): AlarmFacts {
  const span = (a: AlarmFacts) => (a.periodSeconds ?? 0) * (a.evaluationPeriods ?? 1);
  return alarms.reduce((slowest, a) => (span(a) > span(slowest) ? a : slowest), alarms[0]!);
}

const SYMPTOM_LABELS: Record<keyof Symptoms, string> = {
  downstreamFailure: 'downstream dependency failing',
  regionalFailure: 'primary region failing',
  trafficFlood: 'traffic flood',
  saturation: 'saturation',
  databaseFailure: 'database failing',
};

/** A symptom is confirmed when any of its configured alarms is in ALARM; the evidence names which. */
async function readSymptoms(alarms: SymptomAlarms, stateOf: (name: string) => Promise<string | undefined>): Promise<{ symptoms: Symptoms; evidence: string[] }> {
  const symptoms: Symptoms = { downstreamFailure: false, regionalFailure: false, trafficFlood: false, saturation: false, databaseFailure: false };
  const evidence: string[] = [];
  for (const kind of Object.keys(symptoms) as (keyof Symptoms)[]) {
    const states = await Promise.all(alarms[kind].map(async (name) => ({ name, state: await stateOf(name) })));
    const firing = states.filter((s) => s.state === 'ALARM').map((s) => s.name);
    if (firing.length > 0) {
      symptoms[kind] = true;
      evidence.push(`${SYMPTOM_LABELS[kind]} (${firing.join(', ')} in ALARM)`);
    }
  }
  return { symptoms, evidence };
}
