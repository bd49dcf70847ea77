import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { nextExecutableCursor } from '../core/decision.js';
import { WorkflowStateSchema, type Verification } from '../core/model.js';
import { ECSClient } from '@aws-sdk/client-ecs';
import { CloudWatchAlarmsAdapter } from '../adapters/cloudwatch-alarms.js';
import { EcsAdapter } from '../adapters/ecs-deployments.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';

/** Checks per attempt before it counts as failed: the first at the expected settle time, then one period apart. */
export const MAX_CHECKS_PER_ATTEMPT = 3;

export interface VerifyDeps {
  readonly store: Pick<IncidentStore, 'appendTimeline' | 'updateIncident' | 'releaseMutationLock'>;
  readonly alarms: Pick<CloudWatchAlarmsAdapter, 'describeAlarm'>;
  readonly ecs: Pick<EcsAdapter, 'deploymentSteady'>;
  readonly clock: () => Date;
}

/**
 * Reads the alarm after a mitigation. OK means restored. Still in ALARM: check again a period later,
 * up to MAX_CHECKS_PER_ATTEMPT, then hand over to the next candidate or to escalation.
 */
export function createVerifyHandler(deps: VerifyDeps) {
  return async (event: unknown): Promise<Verification> => {
    const state = WorkflowStateSchema.parse(event);
    const { attempt, plan, incident } = state;
    if (!attempt || !plan) throw new Error('Verify needs $.attempt and $.plan');
    const now = deps.clock();
    const at = now.toISOString();
    const checks = state.verification?.outcome === 'pending' ? state.verification.checks + 1 : 1;

    if (attempt.status === 'needs-approval' || attempt.status === 'paused') {
      // Nothing was changed: only reachable if the approval gate is bypassed; never claim a recovery.
      await deps.store.appendTimeline(incident.incidentId, { at, kind: 'verification', message: `Nothing was applied (${attempt.status}); handing over to a human` });
      return { outcome: 'failed', alarmState: 'ALARM', checks, hasNext: false };
    }
    if (attempt.status === 'dry-run') {
      await deps.store.appendTimeline(incident.incidentId, { at, kind: 'verification', message: 'Dry run: nothing was changed, so nothing to verify; handing over to a human' });
      return { outcome: 'failed', alarmState: 'ALARM', checks, hasNext: false };
    }

    const alarm = await deps.alarms.describeAlarm(state.signal.alarmName);
    // After an ECS change the service must also settle: an OK alarm mid-rollout can flip back.
    const ecs = state.service.resources.ecs;
    const steadiness = alarm.state === 'OK' && ecs && (attempt.type === 'ecs-rollback' || attempt.type === 'ecs-scale-out') ? await deps.ecs.deploymentSteady(ecs) : undefined;
    if (steadiness && !steadiness.steady && checks < MAX_CHECKS_PER_ATTEMPT) {
      const checkAt = new Date(now.getTime() + (state.triage?.alarm.periodSeconds ?? 60) * 1000).toISOString();
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'verification',
        message: `Alarm ${alarm.name} is OK but the ECS deployment is not steady yet (${steadiness.detail}); checking again at ${checkAt.slice(11, 19)}`,
      });
      return { outcome: 'pending', alarmState: alarm.state, checks, checkAt, hasNext: false };
    }
    if (alarm.state === 'OK') {
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'verification',
        message: `Verified: alarm ${alarm.name} is OK after ${attempt.type} on ${attempt.target} (check ${checks})${steadiness ? `; ECS: ${steadiness.detail}` : ''}`,
      });
      await deps.store.updateIncident(incident.incidentId, { status: 'MITIGATED', mitigatedAt: at });
      await deps.store.releaseMutationLock(state.service.name, incident.incidentId);
      return { outcome: 'restored', alarmState: alarm.state, checks, hasNext: false };
    }

    if (checks < MAX_CHECKS_PER_ATTEMPT) {
      const period = state.triage?.alarm.periodSeconds ?? 60;
      const checkAt = new Date(now.getTime() + period * 1000).toISOString();
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'verification',
        message: `Alarm ${alarm.name} still ${alarm.state} after ${attempt.type} (check ${checks} of ${MAX_CHECKS_PER_ATTEMPT}); checking again at ${checkAt.slice(11, 19)}`,
      });
      return { outcome: 'pending', alarmState: alarm.state, checks, checkAt, hasNext: false };
    }

    const nextCursor = nextExecutableCursor(plan, attempt.cursor);
    const next = nextCursor === undefined ? undefined : plan.candidates[nextCursor];
    await deps.store.appendTimeline(incident.incidentId, {
      at,
      kind: 'verification',
      message: `Not restored: alarm ${alarm.name} still ${alarm.state} after ${attempt.type} on ${attempt.target}. ${next ? `Next candidate: ${next.type} on ${next.target}.` : 'No automatic candidate left.'}`,
    });
    return { outcome: 'failed', alarmState: alarm.state, checks, hasNext: next !== undefined, ...(nextCursor === undefined ? {} : { nextCursor }) };
  };
}

export const handler = lambdaHandler(() =>
  createVerifyHandler({
    store: new IncidentStore({ tableName: readEnv('TABLE_NAME').TABLE_NAME }),
    alarms: new CloudWatchAlarmsAdapter(new CloudWatchClient({})),
    ecs: new EcsAdapter(new ECSClient({})),
    clock: () => new Date(),
  }),
);
