import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SEVERITIES, type Severity, type SymptomAlarms } from '../core/config.js';
import { resolveSeverity } from '../core/severity.js';
import { WorkflowStateSchema, type AlarmFacts, type EcsDeploymentChange, type FlagChange, type Symptoms, type Triage } from '../core/model.js';
import { estimateImpactStart } from '../core/postmortem.js';
import { AppConfigFlagsAdapter } from '../adapters/appconfig-flags.js';
import { CloudWatchAlarmsAdapter } from '../adapters/cloudwatch-alarms.js';
import { EcsAdapter } from '../adapters/ecs-deployments.js';
import { TransientAwsError } from '../adapters/errors.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnvFor } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

export interface TriageDeps {
  readonly store: Pick<IncidentStore, 'appendTimeline' | 'updateIncident' | 'getIncident'>;
  readonly flags: Pick<AppConfigFlagsAdapter, 'recentFlagChanges'>;
  readonly ecs: Pick<EcsAdapter, 'recentDeployments'>;
  readonly alarms: Pick<CloudWatchAlarmsAdapter, 'describeAlarm' | 'describeCompositeChildren'>;
  readonly clock: () => Date;
}

/**
 * Gathers the facts the decision matrix needs: the alarm's evaluation settings and every deployment
 * and flag change of the service inside the change window. A source that cannot be read is recorded
 * as a gap (the decision says so) unless the failure is transient, which Step Functions retries.
 */
export function createTriageHandler(deps: TriageDeps) {
  return async (event: unknown): Promise<Triage> => {
    const state = WorkflowStateSchema.parse(event);
    const { service, signal, incident } = state;
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
    const severity = highestSeverity(alarmNames.map((name) => resolveSeverity(service, service.alarms.find((a) => a.name === name))));
    const [alarmFacts, flagChanges, ecsDeployments, symptomEvidence] = await Promise.all([
      Promise.all(alarmNames.map((name) => attempt<AlarmFacts>(`CloudWatch alarm ${name}`, () => readAlarmFacts(deps.alarms, name), { name, state: name === signal.alarmName ? signal.state : 'UNKNOWN' }))),
      featureFlags
        ? attempt<FlagChange[]>('AppConfig deployments', () => deps.flags.recentFlagChanges(featureFlags, window), [])
        : Promise.resolve<FlagChange[]>([]),
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
      ...flagChanges.map((c) => `flag ${c.flag} ${c.from === null ? 'added' : c.from ? 'on' : 'off'} → ${c.to ? 'on' : 'off'} (deployment #${c.deploymentNumber} at ${c.changedAt.slice(11, 19)})`),
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
    const first = alarmFacts[0]!;
    const impactStartedAt = record.impactStartedAt ?? estimateImpactStart(signal.stateChangeTime, first.periodSeconds, first.datapointsToAlarm);
    await deps.store.updateIncident(incident.incidentId, { triage, ...(impactStartedAt ? { impactStartedAt } : {}), ...(severity !== record.severity ? { severity } : {}) });
    return triage;
  };
}

/**
 * An alarm's evaluation settings. A composite alarm has none of its own: its children's apply, and
 * the slowest child (period × evaluation periods) decides how soon a mitigation can show in it.
 */
async function readAlarmFacts(alarms: TriageDeps['alarms'], name: string): Promise<AlarmFacts> {
  const alarm = await alarms.describeAlarm(name);
  if (alarm.kind !== 'composite' || alarm.periodSeconds !== undefined) return alarm;
  const children = (await alarms.describeCompositeChildren(name)).filter((c) => c.periodSeconds !== undefined);
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
async function readSymptoms(
  alarms: SymptomAlarms,
  stateOf: (name: string) => Promise<string | undefined>,
): Promise<{ symptoms: Symptoms; evidence: string[] }> {
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

export const handler = lambdaHandler(() => {
  const env = readEnvFor('triage');
  return createTriageHandler({
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    flags: new AppConfigFlagsAdapter(new AppConfigClient({})),
    ecs: new EcsAdapter(new ECSClient({})),
    alarms: new CloudWatchAlarmsAdapter(new CloudWatchClient({})),
    clock: () => new Date(),
  });
});
