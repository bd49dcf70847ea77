import { describe, expect, it } from '@jest/globals';
import { decide } from '../../../lambdas/core/decision.js';
import type { Attempt, TimelineEvent } from '../../../lambdas/core/model.js';
import { TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { createMitigateHandler, type MitigateDeps } from '../../../lambdas/handlers/mitigate.js';
import { createVerifyHandler, MAX_CHECKS_PER_ATTEMPT } from '../../../lambdas/handlers/verify.js';
import { ALARM_AT, checkout, triage, workflowState } from '../../fixtures/workflow.js';

const now = new Date('2026-11-23T03:11:00.000Z');
const t = triage({ flagChanges: [{ flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 7, configurationVersion: '2', changedAt: '2026-11-23T03:03:00.000Z' }] });
const plan = decide(t, checkout, ALARM_AT);
const state = workflowState({ triage: t, plan });

function fakeStore(overrides: Partial<MitigateDeps['store']> = {}) {
  const timeline: TimelineEvent[] = [];
  const store = {
    timeline,
    acquireMutationLock: async () => true,
    recordActionStart: async () => ({ started: true as const }),
    completeAction: async () => ({}) as never,
    appendTimeline: async (_id: string, e: TimelineEvent) => void timeline.push(e),
    updateIncident: async () => ({}) as never,
    releaseMutationLock: async () => true,
    ...overrides,
  };
  return store;
}

/** Only the flag adapter is exercised here; the others must not be called. */
const unusedAdapters = { ecs: {} as never, route53: {} as never, wafFor: () => ({}) as never, pause: { inForce: async () => undefined } };

const setFlagResult = {
  status: 'applied' as const,
  flag: 'new-checkout-flow',
  enabled: false,
  before: { deployedVersion: '2', enabled: true, deploymentNumber: 7 },
  after: { version: '3', deploymentNumber: 8 },
  detail: 'Flag new-checkout-flow switched off in version 3 (deployment #8).',
};

describe('mitigate', () => {
  it('switches the flag off through the adapter and schedules the check after propagation + recovery periods', async () => {
    const calls: unknown[] = [];
    const store = fakeStore();
    const handler = createMitigateHandler({
      store,
      flags: { setFlag: async (target, request) => (calls.push({ target, request }), setFlagResult), previewFlag: async () => { throw new Error('no preview in live mode'); } },
      deploymentStrategyId: 'imm0001',
      ...unusedAdapters,
      clock: () => now,
    });
    const attempt = await handler(state);
    expect(calls).toEqual([
      {
        target: checkout.resources.featureFlags,
        request: { flag: 'new-checkout-flow', enabled: false, deploymentStrategyId: 'imm0001', description: expect.stringContaining('feature-flag-off') },
      },
    ]);
    // 45 s propagation + (3 - 3 + 1) × 60 s + one partial period 60 s + 30 s margin.
    expect(attempt).toMatchObject({ cursor: 0, type: 'feature-flag-off', status: 'applied', checkAt: '2026-11-23T03:14:15.000Z' });
    expect(store.timeline[0]!.message).toMatch(/^Applied: feature-flag-off on flag new-checkout-flow/);
  });

  it('dry run changes nothing and says what it would do', async () => {
    let setFlagCalled = false;
    const handler = createMitigateHandler({
      store: fakeStore(),
      flags: {
        setFlag: async () => { setFlagCalled = true; return setFlagResult; },
        previewFlag: async () => ({ flag: 'new-checkout-flow', enabled: false, wouldChange: true, before: setFlagResult.before, detail: 'Would switch new-checkout-flow off (deployed version 2).' }),
      },
      deploymentStrategyId: 'imm0001',
      ...unusedAdapters,
      clock: () => now,
    });
    const attempt = await handler(workflowState({ triage: t, plan, settings: { changeWindowMinutes: 30, dryRun: true, stage: 'prod', maintenanceWindows: [] } }));
    expect(setFlagCalled).toBe(false);
    expect(attempt.status).toBe('dry-run');
    expect(attempt.detail).toContain('Would switch new-checkout-flow off');
  });

  it('waits (retryable) while another incident holds the service lock: one change at a time', async () => {
    const handler = createMitigateHandler({
      store: fakeStore({ acquireMutationLock: async () => false }),
      flags: { setFlag: async () => setFlagResult, previewFlag: async () => { throw new Error(); } },
      deploymentStrategyId: 'imm0001',
      ...unusedAdapters,
      clock: () => now,
    });
    await expect(handler(state)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('a retried invocation after the change returns the recorded result without acting again', async () => {
    let setFlagCalls = 0;
    const existing = { cursor: 0, type: 'feature-flag-off' as const, target: 't', status: 'applied' as const, detail: 'recorded', startedAt: now.toISOString() };
    const handler = createMitigateHandler({
      store: fakeStore({ recordActionStart: async () => ({ started: false as const, existing }) }),
      flags: { setFlag: async () => (setFlagCalls++, setFlagResult), previewFlag: async () => { throw new Error(); } },
      deploymentStrategyId: 'imm0001',
      ...unusedAdapters,
      clock: () => now,
    });
    expect(await handler(state)).toMatchObject({ status: 'already-applied', detail: 'recorded' });
    expect(setFlagCalls).toBe(0);
  });
});

describe('verify', () => {
  const attempt: Attempt = { cursor: 0, type: 'feature-flag-off', target: 'flag new-checkout-flow', status: 'applied', detail: 'd', checkAt: now.toISOString() };
  const alarmIn = (stateValue: string) => ({ describeAlarm: async (name: string) => ({ name, state: stateValue, periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3, kind: 'metric' as const }) });

  it('OK → restored, incident marked mitigated, service lock released', async () => {
    const updates: unknown[] = [];
    let released = false;
    const handler = createVerifyHandler({
      store: { ...fakeStore(), updateIncident: async (_id, patch) => (updates.push(patch), {}) as never, releaseMutationLock: async () => (released = true) },
      alarms: alarmIn('OK') as never,
      ecs: {} as never,
      clock: () => now,
    });
    expect(await handler(workflowState({ triage: t, plan, attempt }))).toMatchObject({ outcome: 'restored', alarmState: 'OK', hasNext: false });
    expect(updates).toEqual([{ status: 'MITIGATED', mitigatedAt: now.toISOString() }]);
    expect(released).toBe(true);
  });

  it('still ALARM → pending one period later, then failed after the last check', async () => {
    const handler = createVerifyHandler({ store: fakeStore(), alarms: alarmIn('ALARM') as never, ecs: {} as never, clock: () => now });
    const first = await handler(workflowState({ triage: t, plan, attempt }));
    expect(first).toMatchObject({ outcome: 'pending', checks: 1, checkAt: '2026-11-23T03:12:00.000Z' });
    let last = first;
    for (let i = 1; i < MAX_CHECKS_PER_ATTEMPT; i++) last = await handler(workflowState({ triage: t, plan, attempt, verification: last }));
    expect(last).toMatchObject({ outcome: 'failed', checks: MAX_CHECKS_PER_ATTEMPT, hasNext: false });
  });

  it('a dry run is never "verified": it hands over to a human', async () => {
    const handler = createVerifyHandler({ store: fakeStore(), alarms: alarmIn('OK') as never,
      ecs: {} as never, clock: () => now });
    expect(await handler(workflowState({ triage: t, plan, attempt: { ...attempt, status: 'dry-run' } }))).toMatchObject({ outcome: 'failed', hasNext: false });
  });
});

describe('mitigate: humans first', () => {
  const service = { ...checkout, policy: { 'feature-flag-off': 'approval' as const } };
  const gatedPlan = decide(t, service, ALARM_AT);
  const calls: unknown[] = [];
  const deps = (overrides: Partial<MitigateDeps> = {}): MitigateDeps => ({
    store: fakeStore(),
    flags: { setFlag: async (_target, request) => (calls.push(request), setFlagResult), previewFlag: async () => { throw new Error(); } },
    deploymentStrategyId: 'imm0001',
    clock: () => now,
    ...unusedAdapters,
    ...overrides,
  });

  it('an approval-gated candidate waits for a human, then runs once approved for that very candidate', async () => {
    calls.length = 0;
    const waiting = await createMitigateHandler(deps())(workflowState({ service, triage: t, plan: gatedPlan }));
    expect(waiting).toMatchObject({ status: 'needs-approval', cursor: 0, risk: 'low', rationale: expect.stringContaining('new-checkout-flow') });
    expect(calls).toEqual([]);
    const approval = { decision: 'approved' as const, by: 'arn:aws:iam::123456789012:user/alice', via: 'cli', reason: null, at: now.toISOString(), approvalId: 'apr-1' };
    const applied = await createMitigateHandler(deps())(workflowState({ service, triage: t, plan: gatedPlan, attempt: waiting, approval }));
    expect(applied.status).toBe('applied');
    expect(calls).toHaveLength(1);
    // A rejection (or an approval of something else) never applies.
    const rejected = await createMitigateHandler(deps())(workflowState({ service, triage: t, plan: gatedPlan, attempt: waiting, approval: { ...approval, decision: 'rejected' } }));
    expect(rejected.status).toBe('needs-approval');
  });

  it('a pause wins over everything: nothing is applied and the attempt says why', async () => {
    calls.length = 0;
    const paused = await createMitigateHandler(
      deps({ pause: { inForce: async () => ({ scope: 'checkout', paused: true, by: 'carol', reason: 'migration', at: now.toISOString() }) } }),
    )(state);
    expect(paused).toMatchObject({ status: 'paused', detail: expect.stringContaining('paused by carol') });
    expect(calls).toEqual([]);
  });

  it('a maintenance window makes automation notify only', async () => {
    calls.length = 0;
    const inWindow = workflowState({
      triage: t,
      plan,
      settings: { changeWindowMinutes: 30, dryRun: false, stage: 'prod', maintenanceWindows: [{ start: '2026-11-23T03:00:00.000Z', end: '2026-11-23T04:00:00.000Z', reason: 'DB upgrade' }] },
    });
    expect(await createMitigateHandler(deps())(inWindow)).toMatchObject({ status: 'paused', detail: expect.stringContaining('maintenance window until 2026-11-23 04:00 UTC: DB upgrade') });
    expect(calls).toEqual([]);
  });
});
