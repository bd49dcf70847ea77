import { CloudWatchAlarmsAdapter } from '../adapters/cloudwatch-alarms.js';
import { sessionNameFor } from '../core/accounts.js';
import { nextExecutableCursor } from '../core/decision.js';
import { AUTOMATION_STATUSES, leaseUntil, ledgerCursor, watchSeconds } from '../core/lifecycle.js';
import { type Verification, type WorkflowState, WorkflowStateSchema } from '../core/model.js';
import { MUTATION_LOCK_RENEWAL_MARGIN_SECONDS } from '../core/mutation.js';
import { isCatalogued, mitigationOf } from '../mitigations/index.js';
import type { MitigationAdapters } from '../mitigations/ports.js';
import { recordRestored } from '../operations/incident-metrics.js';
import type { MetricsSink } from '../operations/ports.js';
import { atService, type ForService } from '../operations/service-scope.js';
import { composeVerify } from '../runtime/compose/verify.js';
import { composedHandler, logger } from '../runtime/lambda.js';
import { IncidentStore } from '../store/incident-store.js';

/** Checks per attempt before it counts as failed: the first at the expected settle time, then one period apart. */
export const MAX_CHECKS_PER_ATTEMPT = 3;

export interface VerifyDeps {
  readonly store: Pick<
    IncidentStore,
    'appendTimeline' | 'releaseMutationLock' | 'renewMutationLock' | 'getIncident' | 'transition' | 'renewLease' | 'setActionEffect' | 'findAction'
  >;
  readonly alarms: Pick<CloudWatchAlarmsAdapter, 'describeAlarms'>;
  /** The adapters a mitigation's `settled` check reads through. */
  readonly adapters: MitigationAdapters;
  /** MitigationOutcome (the verdict on each applied mitigation), and MTTD / MTTM / MTTR when service is restored. */
  readonly metrics: MetricsSink;
  readonly clock: () => Date;
  /** The alarms and adapters of a service elsewhere (another region, or a workload account through the member role). */
  readonly forService?: ForService<Pick<VerifyDeps, 'alarms' | 'adapters'>>;
}

/**
 * Reads the incident's alarms after a mitigation. All OK: the incident is WATCHING until the watch
 * period ends, and only a quiet watch period resolves it. Still in ALARM: check again a period
 * later, up to MAX_CHECKS_PER_ATTEMPT, then hand over to the next candidate or to escalation. An
 * execution whose incident moved on (a re-fire re-opened it, a human resolved it) stops.
 */
export function createVerifyHandler(home: VerifyDeps) {
  return async (event: unknown): Promise<Verification> => {
    const state = WorkflowStateSchema.parse(event);
    const { attempt, plan, incident } = state;
    // The alarms are read where they live: the service's account and region, under the incident's session name.
    const deps = await atService(home, state.settings.access, sessionNameFor(incident.incidentId));
    if (!attempt || !plan) throw new Error('Verify needs $.attempt and $.plan');
    const now = deps.clock();
    const at = now.toISOString();
    const watching = state.verification?.outcome === 'watching';
    const checks = state.verification?.outcome === 'pending' ? state.verification.checks + 1 : 1;
    const period = state.triage?.alarm.periodSeconds ?? 60;

    if (attempt.status === 'needs-approval' || attempt.status === 'paused') {
      // Nothing was changed: only reachable if the approval gate is bypassed; never claim a recovery.
      await deps.store.appendTimeline(incident.incidentId, { at, kind: 'verification', message: `Nothing was applied (${attempt.status}); handing over to a human` });
      return { outcome: 'failed', alarmState: 'ALARM', checks, hasNext: false };
    }
    if (attempt.status === 'dry-run') {
      await deps.store.appendTimeline(incident.incidentId, { at, kind: 'verification', message: 'Dry run: nothing was changed, so nothing to verify; handing over to a human' });
      return { outcome: 'failed', alarmState: 'ALARM', checks, hasNext: false };
    }

    const record = await deps.store.getIncident(incident.incidentId);
    const expected = watching ? ['WATCHING'] : ['OPEN', 'MITIGATING'];
    if (record.round !== incident.round || !expected.includes(record.status)) {
      // A human took over (resolved or escalated it): no execution of this incident will change the service again.
      if (!AUTOMATION_STATUSES.includes(record.status)) await deps.store.releaseMutationLock(state.service.name, incident.incidentId);
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'verification',
        message: `Execution ${state.execution.name} stops: the incident is ${record.status} in round ${record.round}${record.round !== incident.round ? ' (a re-fire re-opened it)' : ''}.`,
      });
      return { outcome: 'superseded', alarmState: record.status, checks, hasNext: false };
    }

    const names = record.alarms?.length ? record.alarms : [state.signal.alarmName];
    const described = await deps.alarms.describeAlarms(names);
    const notOk = described.filter((a) => a.state !== 'OK');
    const alarmState = notOk[0]?.state ?? 'OK';
    const actionCursor = ledgerCursor(incident.round, attempt.cursor);
    const alarmsText = names.length > 1 ? `alarms ${names.join(', ')}` : `alarm ${names[0]}`;

    if (watching) {
      if (notOk.length === 0) {
        const cooldown = state.settings.lifecycle.flapCooldownMinutes;
        const moved = await deps.store.transition(incident.incidentId, 'RESOLVED', {
          from: ['WATCHING'],
          round: incident.round,
          patch: { resolvedAt: at, resolvedBy: 'Tourniquet (quiet watch period)' },
          reopenUntil: new Date(now.getTime() + cooldown * 60_000).toISOString(),
        });
        if (!moved) return { outcome: 'superseded', alarmState, checks, hasNext: false };
        await deps.store.appendTimeline(incident.incidentId, {
          at,
          kind: 'resolved',
          message: `Resolved: ${alarmsText} stayed OK through the watch period. A re-fire in the next ${cooldown} min re-opens this incident.`,
        });
        return { outcome: 'resolved', alarmState, checks, hasNext: false };
      }
      // Back in ALARM and no re-fire reached the starter (or it has not yet): the fix did not hold.
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'watch',
        message: `The fix did not hold: ${notOk.map((a) => `${a.name} is ${a.state}`).join(', ')} at the end of the watch period.`,
      });
      return { outcome: 'failed', alarmState, checks, hasNext: false, notOk: notOk.map((a) => a.name) };
    }

    // The change must also settle (an ECS rollout, a database failover): an OK alarm mid-rollout can flip back.
    const settle = notOk.length === 0 && isCatalogued(attempt.type) ? mitigationOf(attempt.type).settled : undefined;
    const steadiness = settle ? await settle({ service: state.service, adapters: deps.adapters, clock: deps.clock }) : undefined;
    if (steadiness && !steadiness.settled && checks < MAX_CHECKS_PER_ATTEMPT) {
      const checkAt = new Date(now.getTime() + period * 1000).toISOString();
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'verification',
        message: `${alarmsText} OK but ${attempt.type} has not settled yet (${steadiness.detail}); checking again at ${checkAt.slice(11, 19)}`,
      });
      await heartbeat(deps, state, checkAt);
      return { outcome: 'pending', alarmState, checks, checkAt, hasNext: false };
    }
    if (notOk.length === 0) {
      const watchUntil = new Date(now.getTime() + watchSeconds(state.settings.lifecycle, period) * 1000).toISOString();
      await deps.store.setActionEffect(incident.incidentId, actionCursor, attempt.type, 'restored', {
        service: state.service.name,
        mttmSeconds: Math.round((now.getTime() - Date.parse(record.openedAt)) / 1000),
      });
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'verification',
        message: `Verified: ${alarmsText} OK after ${attempt.type} on ${attempt.target} (check ${checks})${steadiness ? `; ${steadiness.detail.replace(/\.$/, '')}` : ''}. Watching until ${watchUntil.slice(11, 16)} UTC before resolving.`,
      });
      const moved = await deps.store.transition(incident.incidentId, 'WATCHING', {
        // OPEN too: a retried Mitigate that found its change already made returns before marking MITIGATING.
        from: ['OPEN', 'MITIGATING'],
        round: incident.round,
        patch: { mitigatedAt: at, watchUntil },
        leaseUntil: leaseUntil(watchUntil),
      });
      if (moved) {
        // Only the invocation whose transition moved it counts: a retry finds the incident WATCHING.
        deps.metrics.record('mitigationOutcome', 1, { service: state.service.name, mitigation: attempt.type, outcome: 'effective' });
        recordRestored(deps.metrics, record, at);
      }
      await deps.store.releaseMutationLock(state.service.name, incident.incidentId);
      if (!moved) return { outcome: 'superseded', alarmState, checks, hasNext: false };
      return { outcome: 'watching', alarmState, checks, checkAt: watchUntil, hasNext: false };
    }

    if (checks < MAX_CHECKS_PER_ATTEMPT) {
      const checkAt = new Date(now.getTime() + period * 1000).toISOString();
      await deps.store.appendTimeline(incident.incidentId, {
        at,
        kind: 'verification',
        message: `${notOk.map((a) => `${a.name} still ${a.state}`).join(', ')} after ${attempt.type} (check ${checks} of ${MAX_CHECKS_PER_ATTEMPT}); checking again at ${checkAt.slice(11, 19)}`,
      });
      await heartbeat(deps, state, checkAt);
      return { outcome: 'pending', alarmState, checks, checkAt, hasNext: false, notOk: notOk.map((a) => a.name) };
    }

    const nextCursor = nextExecutableCursor(plan, attempt.cursor);
    const next = nextCursor === undefined ? undefined : plan.candidates[nextCursor];
    // The effect is written once: an effect already there means this is a retry, whose verdict was counted.
    const judged = (await deps.store.findAction(incident.incidentId, actionCursor, attempt.type))?.effect !== undefined;
    await deps.store.setActionEffect(incident.incidentId, actionCursor, attempt.type, 'no-effect', { service: state.service.name });
    if (!judged) {
      // No measurable effect: `ineffective` when automation tries the next candidate, `escalated` when a human gets the incident.
      deps.metrics.record('mitigationOutcome', 1, { service: state.service.name, mitigation: attempt.type, outcome: next ? 'ineffective' : 'escalated' });
    }
    await deps.store.appendTimeline(incident.incidentId, {
      at,
      kind: 'verification',
      message: `Not restored: ${notOk.map((a) => `${a.name} still ${a.state}`).join(', ')} after ${attempt.type} on ${attempt.target} (no measurable effect). ${next ? `Next candidate: ${next.type} on ${next.target}.` : 'No automatic candidate left.'}`,
    });
    return { outcome: 'failed', alarmState, checks, hasNext: next !== undefined, notOk: notOk.map((a) => a.name), ...(nextCursor === undefined ? {} : { nextCursor }) };
  };
}

export const handler = composedHandler('verify', composeVerify, createVerifyHandler);

/**
 * The incident is still verifying its change: renew the episode's lease and the service's mutation
 * lock past the next check, so no other incident changes the service mid-verification.
 */
async function heartbeat(deps: VerifyDeps, state: WorkflowState, checkAt: string): Promise<void> {
  const { incident, service } = state;
  await deps.store.renewLease(service.name, incident.incidentId, leaseUntil(checkAt));
  const ttl = Math.ceil((Date.parse(checkAt) - deps.clock().getTime()) / 1000) + MUTATION_LOCK_RENEWAL_MARGIN_SECONDS;
  if (!(await deps.store.renewMutationLock(service.name, incident.incidentId, Math.max(ttl, MUTATION_LOCK_RENEWAL_MARGIN_SECONDS)))) {
    logger.warn('the service mutation lock is no longer held by this incident while it verifies', { service: service.name });
  }
}
