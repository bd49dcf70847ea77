import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { nextExecutableCursor } from '../core/decision.js';
import { WorkflowStateSchema, type Attempt, type Candidate, type WorkflowState } from '../core/model.js';
import { AppConfigFlagsAdapter } from '../adapters/appconfig-flags.js';
import { TransientAwsError } from '../adapters/errors.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

/** Margin after the expected recovery before the first check, so one slow datapoint does not read as failure. */
const CHECK_MARGIN_SECONDS = 30;
/** The mutation lock outlives a crashed execution by at most this long. */
const MUTATION_LOCK_SECONDS = 30 * 60;

export interface MitigateDeps {
  readonly store: Pick<IncidentStore, 'recordActionStart' | 'completeAction' | 'appendTimeline' | 'updateIncident' | 'acquireMutationLock'>;
  readonly flags: Pick<AppConfigFlagsAdapter, 'setFlag' | 'previewFlag'>;
  readonly deploymentStrategyId: string;
  readonly clock: () => Date;
}

export class MitigationNotExecutableError extends Error {
  override readonly name = 'MitigationNotExecutableError';
}

/**
 * Applies one candidate of the plan: the next one after the last failed verification. One change at
 * a time: a per-service lock keeps two incidents from mutating the same service at once, and the
 * action ledger makes a retried invocation return the recorded result instead of acting twice.
 */
export function createMitigateHandler(deps: MitigateDeps) {
  return async (event: unknown): Promise<Attempt> => {
    const state = WorkflowStateSchema.parse(event);
    const { incident, service, plan } = state;
    if (!plan) throw new Error('Mitigate needs the plan at $.plan');
    const cursor = state.verification?.nextCursor ?? nextExecutableCursor(plan, -1);
    const candidate = cursor === undefined ? undefined : plan.candidates[cursor];
    if (cursor === undefined || !candidate?.executable) {
      throw new MitigationNotExecutableError(`No executable candidate at cursor ${String(cursor)} of the plan`);
    }
    const now = deps.clock();
    const checkAt = new Date(now.getTime() + settleSeconds(state, candidate) * 1000).toISOString();

    if (state.settings.dryRun) {
      const detail = `Dry run: would apply ${candidate.type} on ${candidate.target}. ${await preview(deps, state, candidate)} Nothing was changed.`;
      await deps.store.appendTimeline(incident.incidentId, { at: now.toISOString(), kind: 'mitigation', message: detail });
      return { cursor, type: candidate.type, target: candidate.target, status: 'dry-run', detail, checkAt: now.toISOString() };
    }

    if (!(await deps.store.acquireMutationLock(service.name, incident.incidentId, MUTATION_LOCK_SECONDS))) {
      throw new TransientAwsError(`Another incident is changing service ${service.name}; waiting for it to finish (one change at a time)`);
    }

    const started = await deps.store.recordActionStart(incident.incidentId, {
      cursor,
      type: candidate.type,
      target: candidate.target,
    });
    if (!started.started && started.existing.status !== 'started' && started.existing.status !== 'failed') {
      // A retried invocation after the change was made: report the recorded result, change nothing.
      const existing = started.existing;
      logger.info('mitigation already recorded', { cursor, type: candidate.type });
      return { cursor, type: candidate.type, target: candidate.target, status: 'already-applied', detail: existing.detail ?? 'Already applied by this incident.', checkAt };
    }

    try {
      const result = await apply(deps, state, candidate);
      // The candidate's parameters travel with the before-state: undo needs both (which flag, and its old value).
      const before = { params: candidate.params, state: result.before };
      await deps.store.completeAction(incident.incidentId, cursor, candidate.type, { status: result.status, before, after: result.after, detail: result.detail });
      await deps.store.appendTimeline(incident.incidentId, {
        at: deps.clock().toISOString(),
        kind: 'mitigation',
        message: `${result.status === 'applied' ? 'Applied' : 'Already in place'}: ${candidate.type} on ${candidate.target}. ${result.detail}`,
        data: { cursor, type: candidate.type, before: result.before, after: result.after },
      });
      await deps.store.updateIncident(incident.incidentId, { status: 'MITIGATING' });
      return { cursor, type: candidate.type, target: candidate.target, status: result.status, detail: result.detail, checkAt };
    } catch (error) {
      if (!(error instanceof TransientAwsError)) {
        await deps.store.completeAction(incident.incidentId, cursor, candidate.type, { status: 'failed', detail: (error as Error).message });
        await deps.store.appendTimeline(incident.incidentId, {
          at: deps.clock().toISOString(),
          kind: 'error',
          message: `Mitigation ${candidate.type} on ${candidate.target} failed: ${(error as Error).message}`,
        });
      }
      throw error;
    }
  };
}

interface Applied {
  status: 'applied' | 'already-applied';
  before: unknown;
  after: unknown;
  detail: string;
}

async function apply(deps: MitigateDeps, state: WorkflowState, candidate: Candidate): Promise<Applied> {
  const flags = state.service.resources.featureFlags;
  switch (candidate.type) {
    case 'feature-flag-off': {
      if (!flags) throw new MitigationNotExecutableError(`Service ${state.service.name} has no featureFlags resources configured`);
      const flag = String(candidate.params.flag);
      if (!flags.killSwitchFlags.includes(flag)) throw new MitigationNotExecutableError(`Flag ${flag} is not a configured kill switch of ${state.service.name}`);
      const result = await deps.flags.setFlag(flags, {
        flag,
        enabled: false,
        deploymentStrategyId: deps.deploymentStrategyId,
        description: `Tourniquet ${state.incident.incidentId}: kill switch for ${state.signal.alarmName}`,
      });
      return { status: result.status, before: result.before, after: result.after, detail: result.detail };
    }
    case 'degrade-flag-on': {
      if (!flags) throw new MitigationNotExecutableError(`Service ${state.service.name} has no featureFlags resources configured`);
      const flag = String(candidate.params.flag);
      if (!flags.degradeFlags.includes(flag)) throw new MitigationNotExecutableError(`Flag ${flag} is not a configured degrade flag of ${state.service.name}`);
      const result = await deps.flags.setFlag(flags, {
        flag,
        enabled: true,
        deploymentStrategyId: deps.deploymentStrategyId,
        description: `Tourniquet ${state.incident.incidentId}: degraded mode for ${state.signal.alarmName}`,
      });
      return { status: result.status, before: result.before, after: result.after, detail: result.detail };
    }
    default:
      throw new MitigationNotExecutableError(`${candidate.type} cannot be executed automatically by this build`);
  }
}

/** Read-only look at what `apply` would change, for dry runs. */
async function preview(deps: MitigateDeps, state: WorkflowState, candidate: Candidate): Promise<string> {
  const flags = state.service.resources.featureFlags;
  if ((candidate.type === 'feature-flag-off' || candidate.type === 'degrade-flag-on') && flags) {
    const result = await deps.flags.previewFlag(flags, { flag: String(candidate.params.flag), enabled: candidate.type === 'degrade-flag-on' });
    return result.detail;
  }
  return '';
}

/**
 * Seconds until the alarm can plausibly read OK: the change must reach the application, then enough
 * good datapoints must arrive that fewer than M of the last N breach.
 */
function settleSeconds(state: WorkflowState, candidate: Candidate): number {
  const alarm = state.triage?.alarm;
  const period = alarm?.periodSeconds ?? 60;
  const n = alarm?.evaluationPeriods ?? 1;
  const m = alarm?.datapointsToAlarm ?? n;
  const propagation = candidate.type === 'feature-flag-off' || candidate.type === 'degrade-flag-on' ? (state.service.resources.featureFlags?.propagationSeconds ?? 45) : 0;
  return propagation + (n - m + 1) * period + period + CHECK_MARGIN_SECONDS;
}

export const handler = lambdaHandler(() => {
  const env = readEnv('TABLE_NAME', 'DEPLOYMENT_STRATEGY_ID');
  return createMitigateHandler({
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    flags: new AppConfigFlagsAdapter(new AppConfigClient({})),
    deploymentStrategyId: env.DEPLOYMENT_STRATEGY_ID,
    clock: () => new Date(),
  });
});
