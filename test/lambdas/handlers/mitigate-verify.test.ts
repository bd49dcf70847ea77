import { describe, expect, it } from '@jest/globals';

import { TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { MemoryMetricsSink, NO_METRICS } from '../../../lambdas/adapters/memory-metrics.js';
import type { ServiceConfig } from '../../../lambdas/core/config.js';
import { decide } from '../../../lambdas/core/decision.js';
import { leaseUntil } from '../../../lambdas/core/lifecycle.js';
import type { Attempt, Triage, Verification, WorkflowState } from '../../../lambdas/core/model.js';
import { createMitigateHandler, type MitigateDeps } from '../../../lambdas/handlers/mitigate.js';
import { createVerifyHandler, MAX_CHECKS_PER_ATTEMPT, type VerifyDeps } from '../../../lambdas/handlers/verify.js';
import type { MetricsSink } from '../../../lambdas/operations/ports.js';
import { IncidentStore } from '../../../lambdas/store/incident-store.js';
import { ALARM_AT, checkout, LIFECYCLE, triage, workflowState } from '../../fixtures/workflow.js';
import { fakeAdapters as catalogueAdapters } from '../../support/adapters.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();

const NOW = Date.parse('2026-11-23T03:11:00.000Z');
const iso = (seconds: number): string => new Date(NOW + seconds * 1000).toISOString();

const flagChange = { flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 7, configurationVersion: '2', changedAt: '2026-11-23T03:03:00.000Z' };
const deployment = {
  cluster: 'shop-prod',
  service: 'checkout',
  deploymentId: 'ecs-svc/1234567890',
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:42',
  status: 'PRIMARY',
  createdAt: '2026-11-23T03:05:00.000Z',
};
const t = triage({ flagChanges: [flagChange] });
const plan = decide(t, checkout, ALARM_AT);
const state = workflowState({ triage: t, plan });
const INCIDENT_ID = state.incident.incidentId;

/** The store on a fresh table with the fixture's incident open (OPEN, round 0), and a hand-driven clock. */
async function openStore(options: { alarms?: string[] } = {}) {
  let now = NOW;
  const clock = () => new Date(now);
  const store = new IncidentStore({ tableName: await db.newTable(), client: db.client, clock });
  const openedAt = state.incident.openedAt;
  await store.openIncident({
    incidentId: INCIDENT_ID,
    service: 'checkout',
    alarmName: 'checkout-5xx-rate',
    severity: 'SEV2',
    signal: state.signal,
    execution: state.execution,
    openedAt,
    leaseUntil: leaseUntil(openedAt),
    firstEvent: { at: openedAt, kind: 'incident-opened', message: 'Incident opened' },
  });
  for (const alarm of options.alarms ?? []) {
    await store.recordSignal(INCIDENT_ID, {
      key: `join-${alarm}`,
      event: { at: ALARM_AT, kind: 'signal', message: `joined: ${alarm}` },
      expectStatus: 'OPEN',
      addAlarm: { alarm, service: 'checkout' },
    });
  }
  return { store, clock, advance: (seconds: number) => void (now += seconds * 1000) };
}

const setFlagResult = {
  status: 'applied' as const,
  flag: 'new-checkout-flow',
  enabled: false,
  before: { deployedVersion: '2', enabled: true, deploymentNumber: 7 },
  after: { version: '3', deploymentNumber: 8 },
  detail: 'Flag new-checkout-flow switched off in version 3 (deployment #8).',
};

const rollbackResult = {
  status: 'applied' as const,
  action: 'ecs-rollback' as const,
  before: { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:42', desiredCount: 6, deploymentId: 'ecs-svc/1234567890' },
  after: { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:41', desiredCount: 6 },
  detail: 'Rolled back shop-prod/checkout from checkout:42 to checkout:41.',
  evidence: 'checkout:41 ran for 3 days without an alarm.',
};

/** Adapter stand-ins that record every call, in order, in one list. */
function fakeAdapters() {
  const calls: string[] = [];
  const flagRequests: unknown[] = [];
  return {
    calls,
    flagRequests,
    flags: {
      setFlag: async (_target: unknown, request: { flag: string; enabled: boolean }) => {
        calls.push(`setFlag ${request.flag} ${request.enabled ? 'on' : 'off'}`);
        flagRequests.push(request);
        return setFlagResult;
      },
      previewFlag: async () => ({
        flag: 'new-checkout-flow',
        enabled: false,
        wouldChange: true,
        before: setFlagResult.before,
        detail: 'Would switch new-checkout-flow off (deployed version 2).',
      }),
    },
    ecs: {
      rollback: async () => (calls.push('rollback'), rollbackResult),
      previewRollback: async () => ({
        action: 'ecs-rollback' as const,
        wouldChange: true,
        call: 'UpdateService' as const,
        before: rollbackResult.before,
        after: {},
        detail: 'Would roll back.',
      }),
      scaleOut: async () => {
        throw new Error('scaleOut not expected');
      },
      previewScaleOut: async () => {
        throw new Error('previewScaleOut not expected');
      },
      restoreService: async (_ref: unknown, target: { taskDefinition?: string; desiredCount?: number }) => {
        calls.push(`restoreService ${JSON.stringify(target)}`);
        return { ...rollbackResult, action: 'ecs-restore' as const, detail: `Restored ${target.taskDefinition ?? ''}` };
      },
    },
    route53: {
      failover: async () => {
        calls.push('failover');
        return { status: 'applied' as const, before: {}, after: {}, detail: 'Failed over to us-west-2.', settleSeconds: 60 };
      },
      previewFailover: async () => ({ mode: 'weighted' as const, wouldChange: true, before: {}, after: {}, detail: 'Would fail over.', settleSeconds: 60 }),
      secondaryHealth: async () => ({ status: 'healthy' as const, detail: 'us-west-2 is healthy' }),
      restore: async () => {
        throw new Error('restore not expected');
      },
    },
  };
}

function mitigateDeps(store: IncidentStore, clock: () => Date, adapters = fakeAdapters(), overrides: Partial<MitigateDeps> = {}): MitigateDeps {
  return {
    store,
    adapters: catalogueAdapters({ flags: adapters.flags, ecs: adapters.ecs, route53: adapters.route53 }),
    pause: { inForce: async () => undefined },
    // The brake's own rules are tested against DynamoDB Local in brake.test.ts; here it always lets the change through.
    brake: { reserve: async () => ({ ok: true, counted: true }), releaseResource: async () => undefined },
    deploymentStrategyId: 'imm0001',
    metrics: NO_METRICS,
    clock,
    ...overrides,
  };
}

/** CloudWatch stand-in: each alarm's state, changeable between checks; remembers the names it was asked for. */
function alarmStates(initial: Record<string, string>) {
  const states = { ...initial };
  const asked: string[][] = [];
  const describe = (name: string) => ({ name, state: states[name] ?? 'OK', periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3, kind: 'metric' as const });
  return {
    states,
    asked,
    adapter: {
      describeAlarm: async (name: string) => describe(name),
      describeAlarms: async (names: readonly string[]) => (asked.push([...names]), names.map(describe)),
    },
  };
}

function verifyDeps(store: IncidentStore, clock: () => Date, alarms: object, ecs: object = {}, metrics: MetricsSink = NO_METRICS): VerifyDeps {
  return { store, alarms: alarms as never, adapters: catalogueAdapters({ ecs }), metrics, clock };
}

const applied = (overrides: Partial<Attempt> = {}): Attempt => ({
  cursor: 0,
  type: 'feature-flag-off',
  target: plan.candidates[0]!.target,
  status: 'applied',
  detail: setFlagResult.detail,
  checkAt: iso(195),
  ...overrides,
});

describe('mitigate', () => {
  it('switches the flag off, records the action, moves the incident to MITIGATING with a lease past the check, and holds the service lock', async () => {
    const { store, clock } = await openStore();
    const adapters = fakeAdapters();
    const attempt = await createMitigateHandler(mitigateDeps(store, clock, adapters))(state);

    expect(adapters.flagRequests).toEqual([
      { flag: 'new-checkout-flow', enabled: false, deploymentStrategyId: 'imm0001', description: expect.stringContaining('feature-flag-off') },
    ]);
    // 45 s propagation + (3 - 3 + 1) × 60 s + one partial period 60 s + 30 s margin.
    expect(attempt).toMatchObject({ cursor: 0, type: 'feature-flag-off', status: 'applied', checkAt: '2026-11-23T03:14:15.000Z' });
    expect(await store.listActions(INCIDENT_ID)).toEqual([
      expect.objectContaining({
        cursor: 0,
        type: 'feature-flag-off',
        status: 'applied',
        before: { params: { flag: 'new-checkout-flow' }, state: setFlagResult.before },
        after: setFlagResult.after,
      }),
    ]);
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)!.message).toMatch(/^Applied: feature-flag-off on flag new-checkout-flow/);
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('MITIGATING');
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'MITIGATING', leaseUntil: '2026-11-23T03:44:15.000Z' });
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(false);
  });

  it('dry run changes nothing, records what it would have done, and keeps the incident OPEN', async () => {
    const { store, clock } = await openStore();
    const adapters = fakeAdapters();
    const dryRun = workflowState({ triage: t, plan, settings: { ...state.settings, dryRun: true } });
    const attempt = await createMitigateHandler(mitigateDeps(store, clock, adapters))(dryRun);
    expect(adapters.calls).toEqual([]);
    expect(attempt.status).toBe('dry-run');
    expect(attempt.detail).toContain('Would switch new-checkout-flow off');
    expect((await store.listActions(INCIDENT_ID)).map((a) => a.status)).toEqual(['dry-run']);
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('OPEN');
  });

  it('waits (retryable) while another incident holds the service lock: one change at a time', async () => {
    const { store, clock } = await openStore();
    await store.acquireMutationLock('checkout', 'inc-other', 600);
    const adapters = fakeAdapters();
    await expect(createMitigateHandler(mitigateDeps(store, clock, adapters))(state)).rejects.toBeInstanceOf(TransientAwsError);
    expect(adapters.calls).toEqual([]);
    expect(await store.listActions(INCIDENT_ID)).toEqual([]);
  });

  it('a retried invocation after the change returns the recorded result without acting again', async () => {
    const { store, clock } = await openStore();
    await store.recordActionStart(INCIDENT_ID, { cursor: 0, type: 'feature-flag-off', target: 't' });
    await store.completeAction(INCIDENT_ID, 0, 'feature-flag-off', { status: 'applied', detail: 'recorded' });
    const adapters = fakeAdapters();
    const attempt = await createMitigateHandler(mitigateDeps(store, clock, adapters))(state);
    expect(attempt).toMatchObject({ status: 'already-applied', detail: 'recorded', checkAt: '2026-11-23T03:13:30.000Z' });
    expect(adapters.calls).toEqual([]);
    // The first invocation died before marking the incident: the retry does it, with the lease.
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'MITIGATING', leaseUntil: leaseUntil(attempt.checkAt) });
  });

  it('is superseded, changing nothing, when a re-fire re-opened the incident in a later round', async () => {
    const { store, clock } = await openStore();
    await store.transition(INCIDENT_ID, 'MITIGATING');
    await store.transition(INCIDENT_ID, 'WATCHING');
    await store.reopenIncident(INCIDENT_ID, {
      from: 'WATCHING',
      round: 0,
      service: 'checkout',
      execution: { ...state.execution, name: 'continuation' },
      leaseUntil: iso(1800),
      key: 'refire',
      event: { at: iso(0), kind: 'reopened', message: 'reopened' },
    });
    const adapters = fakeAdapters();
    const attempt = await createMitigateHandler(mitigateDeps(store, clock, adapters))(state);
    expect(attempt).toMatchObject({ status: 'superseded', detail: 'Incident is OPEN (round 1); this execution of round 0 changes nothing.' });
    expect(adapters.calls).toEqual([]);
    expect(await store.listActions(INCIDENT_ID)).toEqual([]);
  });

  it('is superseded when a human resolved the incident meanwhile', async () => {
    const { store, clock } = await openStore();
    await store.transition(INCIDENT_ID, 'ESCALATED');
    await store.transition(INCIDENT_ID, 'RESOLVED');
    const adapters = fakeAdapters();
    expect((await createMitigateHandler(mitigateDeps(store, clock, adapters))(state)).status).toBe('superseded');
    expect(adapters.calls).toEqual([]);
  });

  it('asks for triage again when an incident alarm joined before the first change, then goes ahead with every alarm in view', async () => {
    const { store, clock } = await openStore({ alarms: ['checkout-p99-latency'] });
    const adapters = fakeAdapters();
    const handler = createMitigateHandler(mitigateDeps(store, clock, adapters));

    const first = await handler(state);
    expect(first).toMatchObject({ status: 'retriage', detail: 'Alarm(s) checkout-p99-latency joined before the first change; triage runs again.' });
    expect(adapters.calls).toEqual([]);
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'triage', message: first.detail });
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('OPEN');

    const retriaged: Triage = { ...t, alarms: ['checkout-5xx-rate', 'checkout-p99-latency'] };
    expect((await handler(workflowState({ triage: retriaged, plan, attempt: first }))).status).toBe('applied');
    expect(adapters.calls).toEqual(['setFlag new-checkout-flow off']);
  });

  it('does not start over for an alarm that joined after the first change', async () => {
    const { store, clock } = await openStore({ alarms: ['checkout-p99-latency'] });
    const t2 = triage({ flagChanges: [flagChange], ecsDeployments: [deployment] });
    const plan2 = decide(t2, checkout, ALARM_AT);
    const afterFirst = workflowState({
      triage: t2,
      plan: plan2,
      attempt: applied(),
      verification: { outcome: 'failed', alarmState: 'ALARM', checks: 3, hasNext: true, nextCursor: 1 },
    });
    const adapters = fakeAdapters();
    expect((await createMitigateHandler(mitigateDeps(store, clock, adapters))(afterFirst)).status).toBe('applied');
    expect(adapters.calls).toEqual(['rollback']);
  });
});

describe('mitigate: candidates that did not help', () => {
  const ecsBefore = { params: { cluster: 'shop-prod', service: 'checkout', fromTaskDefinition: deployment.taskDefinition }, state: rollbackResult.before };

  it('reverts an ineffective ECS rollback before the next candidate, and the ledger says so', async () => {
    const { store, clock } = await openStore();
    const service: ServiceConfig = { ...checkout, policy: { 'route53-failover': 'auto' } };
    const t2 = triage({
      ecsDeployments: [deployment],
      symptoms: { downstreamFailure: false, regionalFailure: true, trafficFlood: false, saturation: false, databaseFailure: false },
    });
    const plan2 = decide(t2, service, ALARM_AT);
    expect(plan2.candidates.map((c) => c.type)).toEqual(['ecs-rollback', 'route53-failover']);
    await store.transition(INCIDENT_ID, 'MITIGATING');
    await store.recordActionStart(INCIDENT_ID, { cursor: 0, type: 'ecs-rollback', target: plan2.candidates[0]!.target });
    await store.completeAction(INCIDENT_ID, 0, 'ecs-rollback', { status: 'applied', before: ecsBefore, after: rollbackResult.after });
    await store.setActionEffect(INCIDENT_ID, 0, 'ecs-rollback', 'no-effect');

    const adapters = fakeAdapters();
    const next = workflowState({
      service,
      triage: t2,
      plan: plan2,
      attempt: applied({ type: 'ecs-rollback', target: plan2.candidates[0]!.target }),
      verification: { outcome: 'failed', alarmState: 'ALARM', checks: 3, hasNext: true, nextCursor: 1, notOk: ['checkout-5xx-rate'] },
    });
    const metrics = new MemoryMetricsSink(clock);
    const attempt = await createMitigateHandler(mitigateDeps(store, clock, adapters, { metrics }))(next);

    expect(attempt).toMatchObject({ cursor: 1, type: 'route53-failover', status: 'applied' });
    expect(adapters.calls).toEqual([`restoreService {"taskDefinition":"${rollbackResult.before.taskDefinition}"}`, 'failover']);
    const actions = await store.listActions(INCIDENT_ID);
    expect(actions.map((a) => [a.cursor, a.type, a.status, a.effect])).toEqual([
      [0, 'ecs-rollback', 'undone', 'no-effect'],
      [1, 'route53-failover', 'applied', undefined],
    ]);
    expect(actions[0]!.undoDetail).toContain('ECS shop-prod/checkout restored');
    expect(metrics.records.map((m) => [m.name, m.dimensions.mitigation])).toEqual([
      ['MitigationsReverted', 'ecs-rollback'],
      ['MitigationsApplied', 'route53-failover'],
    ]);
    expect((await store.listTimeline(INCIDENT_ID)).map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Undo by Tourniquet \(no measurable effect\): ECS shop-prod\/checkout restored/)]),
    );
  });

  it('keeps an ineffective kill switch off and goes on with the next candidate', async () => {
    const { store, clock } = await openStore();
    const t2 = triage({ flagChanges: [flagChange], ecsDeployments: [deployment] });
    const plan2 = decide(t2, checkout, ALARM_AT);
    expect(plan2.candidates.map((c) => c.type)).toEqual(['feature-flag-off', 'ecs-rollback']);
    await store.transition(INCIDENT_ID, 'MITIGATING');
    await store.recordActionStart(INCIDENT_ID, { cursor: 0, type: 'feature-flag-off', target: plan2.candidates[0]!.target });
    await store.completeAction(INCIDENT_ID, 0, 'feature-flag-off', { status: 'applied', before: { params: { flag: 'new-checkout-flow' }, state: setFlagResult.before } });

    const adapters = fakeAdapters();
    const next = workflowState({ triage: t2, plan: plan2, attempt: applied(), verification: { outcome: 'failed', alarmState: 'ALARM', checks: 3, hasNext: true, nextCursor: 1 } });
    expect(await createMitigateHandler(mitigateDeps(store, clock, adapters))(next)).toMatchObject({ cursor: 1, type: 'ecs-rollback', status: 'applied' });

    expect(adapters.calls).toEqual(['rollback']);
    expect((await store.listActions(INCIDENT_ID)).map((a) => [a.type, a.status])).toEqual([
      ['feature-flag-off', 'applied'],
      ['ecs-rollback', 'applied'],
    ]);
    expect((await store.listTimeline(INCIDENT_ID)).map((e) => e.message)).toContain(
      `Kept: feature-flag-off on ${plan2.candidates[0]!.target} had no measurable effect but stays in place (revertIneffective is off for feature-flag-off).`,
    );
  });

  it('follows revertIneffective: an ECS rollback configured to stay is kept', async () => {
    const { store, clock } = await openStore();
    const service: ServiceConfig = { ...checkout, policy: { 'route53-failover': 'auto' }, revertIneffective: { 'ecs-rollback': false } };
    const t2 = triage({
      ecsDeployments: [deployment],
      symptoms: { downstreamFailure: false, regionalFailure: true, trafficFlood: false, saturation: false, databaseFailure: false },
    });
    const plan2 = decide(t2, service, ALARM_AT);
    await store.transition(INCIDENT_ID, 'MITIGATING');
    await store.recordActionStart(INCIDENT_ID, { cursor: 0, type: 'ecs-rollback', target: plan2.candidates[0]!.target });
    await store.completeAction(INCIDENT_ID, 0, 'ecs-rollback', { status: 'applied', before: ecsBefore });
    const adapters = fakeAdapters();
    const next = workflowState({
      service,
      triage: t2,
      plan: plan2,
      attempt: applied({ type: 'ecs-rollback', target: plan2.candidates[0]!.target }),
      verification: { outcome: 'failed', alarmState: 'ALARM', checks: 3, hasNext: true, nextCursor: 1 },
    });
    await createMitigateHandler(mitigateDeps(store, clock, adapters))(next);
    expect(adapters.calls).toEqual(['failover']);
    expect((await store.listActions(INCIDENT_ID))[0]!.status).toBe('applied');
  });
});

describe('mitigate: humans first', () => {
  const service = { ...checkout, policy: { 'feature-flag-off': 'approval' as const } };
  const gatedPlan = decide(t, service, ALARM_AT);

  it('an approval-gated candidate waits for a human, then runs once approved for that very candidate', async () => {
    const { store, clock } = await openStore();
    const adapters = fakeAdapters();
    const handler = createMitigateHandler(mitigateDeps(store, clock, adapters));
    const waiting = await handler(workflowState({ service, triage: t, plan: gatedPlan }));
    expect(waiting).toMatchObject({ status: 'needs-approval', cursor: 0, risk: 'low', rationale: expect.stringContaining('new-checkout-flow'), onTimeout: 'escalate' });
    expect(adapters.calls).toEqual([]);
    // Waiting for a human is mitigating too, with a lease past the approval timeout.
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'MITIGATING', leaseUntil: iso(45 * 60) });

    const approval = { decision: 'approved' as const, by: 'arn:aws:iam::123456789012:user/alice', via: 'cli', reason: null, at: iso(0), approvalId: 'apr-1' };
    // A rejection (or an approval of something else) never applies.
    const rejected = await handler(workflowState({ service, triage: t, plan: gatedPlan, attempt: waiting, approval: { ...approval, decision: 'rejected' } }));
    expect(rejected.status).toBe('needs-approval');
    expect(adapters.calls).toEqual([]);
    const appliedAttempt = await handler(workflowState({ service, triage: t, plan: gatedPlan, attempt: waiting, approval }));
    expect(appliedAttempt.status).toBe('applied');
    expect(adapters.calls).toHaveLength(1);
    expect((await store.listTimeline(INCIDENT_ID)).map((e) => e.message)).toContain('Going ahead with feature-flag-off: approved by arn:aws:iam::123456789012:user/alice');
  });

  it('a pause wins over everything: nothing is applied and the attempt says why', async () => {
    const { store, clock } = await openStore();
    const adapters = fakeAdapters();
    const paused = await createMitigateHandler(
      mitigateDeps(store, clock, adapters, { pause: { inForce: async () => ({ scope: 'checkout', paused: true, by: 'carol', reason: 'migration', at: iso(0) }) } }),
    )(state);
    expect(paused).toMatchObject({ status: 'paused', detail: expect.stringContaining('paused by carol') });
    expect(adapters.calls).toEqual([]);
  });

  it('a maintenance window makes automation notify only', async () => {
    const { store, clock } = await openStore();
    const adapters = fakeAdapters();
    const inWindow = workflowState({
      triage: t,
      plan,
      settings: { ...state.settings, maintenanceWindows: [{ start: '2026-11-23T03:00:00.000Z', end: '2026-11-23T04:00:00.000Z', reason: 'DB upgrade' }] },
    });
    expect(await createMitigateHandler(mitigateDeps(store, clock, adapters))(inWindow)).toMatchObject({
      status: 'paused',
      detail: expect.stringContaining('maintenance window until 2026-11-23 04:00 UTC: DB upgrade'),
    });
    expect(adapters.calls).toEqual([]);
  });
});

describe('verify', () => {
  /** The incident after Mitigate applied the flag: MITIGATING, action 0 applied, the service lock held. */
  async function mitigated(options: { alarms?: string[] } = {}) {
    const ctx = await openStore(options);
    await ctx.store.transition(INCIDENT_ID, 'MITIGATING', { leaseUntil: iso(1800) });
    await ctx.store.recordActionStart(INCIDENT_ID, { cursor: 0, type: 'feature-flag-off', target: applied().target });
    await ctx.store.completeAction(INCIDENT_ID, 0, 'feature-flag-off', { status: 'applied' });
    await ctx.store.acquireMutationLock('checkout', INCIDENT_ID, 1800);
    return ctx;
  }
  const afterApply = (overrides: Partial<WorkflowState> = {}) => workflowState({ triage: t, plan, attempt: applied(), ...overrides });

  it('first OK: the incident is WATCHING for the watch period, the action restored service, the lock is released', async () => {
    const { store, clock } = await mitigated();
    const verification = await createVerifyHandler(verifyDeps(store, clock, alarmStates({ 'checkout-5xx-rate': 'OK' }).adapter))(afterApply());

    // Default watch: 3 periods of 60 s, at least 5 minutes.
    expect(verification).toEqual({ outcome: 'watching', alarmState: 'OK', checks: 1, checkAt: iso(300), hasNext: false });
    expect(await store.getIncident(INCIDENT_ID)).toMatchObject({ status: 'WATCHING', mitigatedAt: iso(0), watchUntil: iso(300) });
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'WATCHING', leaseUntil: leaseUntil(iso(300)) });
    expect((await store.listActions(INCIDENT_ID))[0]!.effect).toBe('restored');
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)!.message).toContain('Watching until 03:16 UTC before resolving.');
    expect(await store.acquireMutationLock('checkout', 'another-incident', 60)).toBe(true);
  });

  it('uses the configured watch period', async () => {
    const { store, clock } = await mitigated();
    const settings = { ...state.settings, lifecycle: { ...LIFECYCLE, watchMinutes: 20 } };
    const verification = await createVerifyHandler(verifyDeps(store, clock, alarmStates({}).adapter))(afterApply({ settings }));
    expect(verification.checkAt).toBe(iso(20 * 60));
  });

  it('a quiet watch period resolves the incident, with the flap cooldown on its pointer', async () => {
    const { store, clock, advance } = await mitigated();
    const alarms = alarmStates({ 'checkout-5xx-rate': 'OK' });
    const handler = createVerifyHandler(verifyDeps(store, clock, alarms.adapter));
    const watching = await handler(afterApply());
    advance(300);

    const resolved = await handler(afterApply({ verification: watching }));
    expect(resolved).toEqual({ outcome: 'resolved', alarmState: 'OK', checks: 1, hasNext: false });
    expect(await store.getIncident(INCIDENT_ID)).toMatchObject({ status: 'RESOLVED', resolvedAt: iso(300), resolvedBy: 'Tourniquet (quiet watch period)' });
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'RESOLVED', reopenUntil: iso(300 + 30 * 60) });
    expect(await store.countActiveIncidents()).toBe(0);
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)).toMatchObject({
      kind: 'resolved',
      message: expect.stringContaining('A re-fire in the next 30 min re-opens this incident.'),
    });
  });

  it('an alarm back in ALARM at the end of the watch period means the fix did not hold', async () => {
    const { store, clock, advance } = await mitigated();
    const alarms = alarmStates({ 'checkout-5xx-rate': 'OK' });
    const handler = createVerifyHandler(verifyDeps(store, clock, alarms.adapter));
    const watching = await handler(afterApply());
    advance(300);
    alarms.states['checkout-5xx-rate'] = 'ALARM';

    expect(await handler(afterApply({ verification: watching }))).toEqual({ outcome: 'failed', alarmState: 'ALARM', checks: 1, hasNext: false, notOk: ['checkout-5xx-rate'] });
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('WATCHING');
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)).toMatchObject({
      kind: 'watch',
      message: 'The fix did not hold: checkout-5xx-rate is ALARM at the end of the watch period.',
    });
  });

  it('is superseded when a re-fire re-opened the incident during the watch (the continuation has it)', async () => {
    const { store, clock, advance } = await mitigated();
    const handler = createVerifyHandler(verifyDeps(store, clock, alarmStates({}).adapter));
    const watching = await handler(afterApply());
    advance(120);
    await store.reopenIncident(INCIDENT_ID, {
      from: 'WATCHING',
      round: 0,
      service: 'checkout',
      execution: { ...state.execution, name: 'continuation' },
      leaseUntil: iso(1920),
      key: 'refire',
      event: { at: iso(120), kind: 'reopened', message: 'reopened' },
    });
    advance(180);

    const verification = await handler(afterApply({ verification: watching }));
    expect(verification).toMatchObject({ outcome: 'superseded', hasNext: false });
    expect(await store.getIncident(INCIDENT_ID)).toMatchObject({ status: 'OPEN', round: 1 });
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)!.message).toBe(`Execution ${state.execution.name} stops: the incident is OPEN in round 1 (a re-fire re-opened it).`);
  });

  it('is superseded when a human resolved the incident while it was being verified', async () => {
    const { store, clock } = await mitigated();
    await store.transition(INCIDENT_ID, 'ESCALATED');
    await store.transition(INCIDENT_ID, 'RESOLVED');
    expect((await createVerifyHandler(verifyDeps(store, clock, alarmStates({}).adapter))(afterApply())).outcome).toBe('superseded');
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('RESOLVED');
  });

  it('still ALARM: pending one period later (lease renewed), then no-effect and the next candidate after the last check', async () => {
    const { store, clock, advance } = await mitigated();
    const t2 = triage({ flagChanges: [flagChange], ecsDeployments: [deployment] });
    const plan2 = decide(t2, checkout, ALARM_AT);
    const handler = createVerifyHandler(verifyDeps(store, clock, alarmStates({ 'checkout-5xx-rate': 'ALARM' }).adapter));
    const base = { triage: t2, plan: plan2, attempt: applied() };

    const first = await handler(workflowState(base));
    expect(first).toMatchObject({ outcome: 'pending', checks: 1, checkAt: iso(60), notOk: ['checkout-5xx-rate'] });
    expect((await store.getEpisode('checkout'))?.leaseUntil).toBe(leaseUntil(iso(60)));
    let last: Verification = first;
    for (let i = 1; i < MAX_CHECKS_PER_ATTEMPT; i++) {
      advance(60);
      last = await handler(workflowState({ ...base, verification: last }));
    }
    expect(last).toEqual({ outcome: 'failed', alarmState: 'ALARM', checks: MAX_CHECKS_PER_ATTEMPT, hasNext: true, nextCursor: 1, notOk: ['checkout-5xx-rate'] });
    expect((await store.listActions(INCIDENT_ID))[0]!.effect).toBe('no-effect');
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)!.message).toContain('(no measurable effect). Next candidate: ecs-rollback on ECS service shop-prod/checkout.');
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('MITIGATING');
  });

  it('checks every alarm of the incident: one still in ALARM keeps it from WATCHING', async () => {
    const { store, clock } = await mitigated({ alarms: ['checkout-p99-latency'] });
    const alarms = alarmStates({ 'checkout-5xx-rate': 'OK', 'checkout-p99-latency': 'ALARM' });
    const verification = await createVerifyHandler(verifyDeps(store, clock, alarms.adapter))(afterApply());
    expect(verification).toMatchObject({ outcome: 'pending', alarmState: 'ALARM', notOk: ['checkout-p99-latency'] });
    expect(alarms.asked).toEqual([['checkout-5xx-rate', 'checkout-p99-latency']]);
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('MITIGATING');
  });

  it('after an ECS change, waits for the deployment to be steady before watching', async () => {
    const { store, clock } = await mitigated();
    const ecs = {
      deploymentSteady: async () => ({ steady: false, detail: '2 deployments, 3 of 6 running', taskDefinition: 'checkout:41', desiredCount: 6, runningCount: 3, deployments: 2 }),
    };
    const verification = await createVerifyHandler(verifyDeps(store, clock, alarmStates({}).adapter, ecs))(
      afterApply({ attempt: applied({ type: 'ecs-rollback', target: 'ECS service shop-prod/checkout' }) }),
    );
    expect(verification).toMatchObject({ outcome: 'pending', alarmState: 'OK', checkAt: iso(60) });
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('MITIGATING');
  });

  it('a dry run is never "verified": it hands over to a human', async () => {
    const { store, clock } = await mitigated();
    const verification = await createVerifyHandler(verifyDeps(store, clock, alarmStates({}).adapter))(afterApply({ attempt: applied({ status: 'dry-run' }) }));
    expect(verification).toMatchObject({ outcome: 'failed', hasNext: false });
    expect((await store.getIncident(INCIDENT_ID)).status).toBe('MITIGATING');
  });
  describe('metrics: the verdict on each applied mitigation, and MTTD / MTTM / MTTR at the first restoration, counted once', () => {
    const rows = (metrics: MemoryMetricsSink) => metrics.records.map((m) => [m.name, m.value, m.dimensions]);

    it('restored: MitigationOutcome effective, MTTD (impact → alarm), MTTM (declared → restored), MTTR (impact → restored); a retried verify counts nothing', async () => {
      const { store, clock } = await mitigated();
      // Impact started 3 minutes before the alarm (03:07:00); the incident was declared at 03:10:06 and is restored at 03:11:00.
      await store.updateIncident(INCIDENT_ID, { impactStartedAt: '2026-11-23T03:07:00.000Z' });
      const metrics = new MemoryMetricsSink(clock);
      const verify = createVerifyHandler(verifyDeps(store, clock, alarmStates({ 'checkout-5xx-rate': 'OK' }).adapter, {}, metrics));
      expect(await verify(afterApply())).toMatchObject({ outcome: 'watching' });
      expect(await verify(afterApply())).toMatchObject({ outcome: 'superseded' });
      const sev2 = { service: 'checkout', severity: 'SEV2' };
      expect(rows(metrics)).toEqual([
        ['MitigationOutcome', 1, { service: 'checkout', mitigation: 'feature-flag-off', outcome: 'effective' }],
        ['MTTD', 180, sev2],
        ['MTTM', 54, sev2],
        ['MTTR', 240, sev2],
      ]);
    });

    it('not restored: ineffective when a next candidate follows, escalated when none is left; a retry of the last check counts nothing', async () => {
      const t2 = triage({ flagChanges: [flagChange], ecsDeployments: [deployment] });
      const twoCandidates = decide(t2, checkout, ALARM_AT);
      const lastCheck = { outcome: 'pending' as const, alarmState: 'ALARM', checks: MAX_CHECKS_PER_ATTEMPT - 1, hasNext: false };
      const outcomes: string[] = [];
      for (const withNext of [true, false]) {
        const { store, clock } = await mitigated();
        const metrics = new MemoryMetricsSink(clock);
        const verify = createVerifyHandler(verifyDeps(store, clock, alarmStates({ 'checkout-5xx-rate': 'ALARM' }).adapter, {}, metrics));
        const input = afterApply({ ...(withNext ? { triage: t2, plan: twoCandidates } : {}), verification: lastCheck });
        expect(await verify(input)).toMatchObject({ outcome: 'failed', hasNext: withNext });
        expect(await verify(input)).toMatchObject({ outcome: 'failed', hasNext: withNext });
        expect(metrics.records.map((m) => [m.name, m.dimensions.mitigation])).toEqual([['MitigationOutcome', 'feature-flag-off']]);
        outcomes.push(metrics.records[0]!.dimensions.outcome!);
      }
      expect(outcomes).toEqual(['ineffective', 'escalated']);
    });
  });
});
