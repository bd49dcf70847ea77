import { describe, expect, it } from '@jest/globals';

import { AwsAccessDeniedError } from '../../../lambdas/adapters/errors.js';
import { MemoryMetricsSink, NO_METRICS } from '../../../lambdas/adapters/memory-metrics.js';
import { decide } from '../../../lambdas/core/decision.js';
import { CLAIM_LEASE_SECONDS } from '../../../lambdas/core/mutation.js';
import { createMitigateHandler, type MitigateDeps, MutationInProgressError } from '../../../lambdas/handlers/mitigate.js';
import type { IncidentStore } from '../../../lambdas/store/incident-store.js';
import { ALARM_AT, checkout, triage, workflowState } from '../../fixtures/workflow.js';
import { fakeAdapters } from '../../support/adapters.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { storeWithIncident } from '../../support/incidents.js';

/**
 * Claim before apply, against DynamoDB Local: concurrent duplicates, a crash after the mutating
 * call, a failed ledger write after it, and a refused call. The flag "resource" is a stateful fake
 * that counts real mutations, the way the drill's simulated account does.
 */

const db = useDynamoDbLocal();

const NOW = Date.parse('2026-11-23T03:11:00.000Z');
const flagChange = { flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 7, configurationVersion: '2', changedAt: '2026-11-23T03:03:00.000Z' };
const t = triage({ flagChanges: [flagChange] });
const plan = decide(t, checkout, ALARM_AT);
const state = workflowState({ triage: t, plan });
const INCIDENT_ID = state.incident.incidentId;

/** The store on a fresh table with the fixture's incident open; `advance` moves the clock by milliseconds. */
async function openStore() {
  const { store, clock, advance } = await storeWithIncident(db, state, NOW);
  return { store, clock, advance: (ms: number) => advance(ms / 1000) };
}

/** A flag that is on until switched off; every switch that changes it is a mutation. */
function flagResource(options: { crashAfterMutation?: boolean; refuse?: Error } = {}) {
  let enabled = true;
  let crash = options.crashAfterMutation ?? false;
  const resource = { mutations: 0, setCalls: 0 };
  const before = { deployedVersion: '2', enabled: true, deploymentNumber: 7 };
  const flags = {
    previewFlag: async () => ({ flag: 'new-checkout-flow', enabled: false, wouldChange: enabled, before: { ...before, enabled }, detail: `flag is ${enabled ? 'on' : 'off'}` }),
    setFlag: async () => {
      resource.setCalls += 1;
      // Another event-loop turn between the read and the write, as a real API call has.
      await new Promise((r) => setImmediate(r));
      if (options.refuse) throw options.refuse;
      if (!enabled)
        return {
          status: 'already-applied' as const,
          flag: 'new-checkout-flow',
          enabled: false,
          before: { ...before, enabled: false },
          after: null,
          detail: 'already off; nothing written',
        };
      enabled = false;
      resource.mutations += 1;
      if (crash) {
        crash = false;
        throw Object.assign(new Error('the function died after StartDeployment returned'), { name: 'Runtime.ExitError' });
      }
      return {
        status: 'applied' as const,
        flag: 'new-checkout-flow',
        enabled: false,
        before,
        after: { version: '3', deploymentNumber: 8 },
        detail: 'switched off in version 3 (deployment #8)',
      };
    },
  };
  return { resource, flags };
}

function deps(store: Pick<IncidentStore, keyof MitigateDeps['store']>, clock: () => Date, flags: object, overrides: Partial<MitigateDeps> = {}): MitigateDeps {
  let invocation = 0;
  const runtime = Math.random().toString(36).slice(2, 8);
  return {
    store,
    adapters: fakeAdapters({ flags }),
    pause: { inForce: async () => undefined },
    brake: { reserve: async () => ({ ok: true, counted: true }), releaseResource: async () => undefined },
    deploymentStrategyId: 'imm0001',
    metrics: NO_METRICS,
    clock,
    sleep: async () => new Promise((r) => setTimeout(r, 5)),
    invocationId: () => `${runtime}-${(invocation += 1)}`,
    ...overrides,
  };
}

describe('mitigate: exactly one change per claimed action', () => {
  it('10 concurrent invocations of the same step switch the flag once; the others wait and report the recorded change', async () => {
    const { store, clock } = await openStore();
    const { resource, flags } = flagResource();
    const handler = createMitigateHandler(deps(store, clock, flags));
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => handler(state)));

    expect(resource.mutations).toBe(1);
    expect(resource.setCalls).toBe(1);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : (r.reason as Error).name));
    expect(statuses.filter((s) => s === 'applied')).toHaveLength(1);
    expect(statuses.filter((s) => s !== 'applied').every((s) => s === 'already-applied' || s === 'MutationInProgress')).toBe(true);
    const actions = await store.listActions(INCIDENT_ID);
    expect(actions).toEqual([expect.objectContaining({ status: 'applied', before: { params: { flag: 'new-checkout-flow' }, state: expect.objectContaining({ enabled: true }) } })]);
  });

  it('a crash after the mutating call: the next attempt waits out the lease, reads the flag, records the change once, and keeps the before-state', async () => {
    const { store, clock, advance } = await openStore();
    const { resource, flags } = flagResource({ crashAfterMutation: true });
    // A real crash runs no more code: the dying invocation cannot give its claim back.
    const dyingStore = Object.assign(Object.create(store) as IncidentStore, { releaseActionClaim: async () => false, appendTimeline: async () => undefined });
    await expect(createMitigateHandler(deps(dyingStore, clock, flags))(state)).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    expect(resource.mutations).toBe(1);
    expect(await store.listActions(INCIDENT_ID)).toEqual([
      expect.objectContaining({ status: 'started', wouldChange: true, before: expect.objectContaining({ state: expect.objectContaining({ enabled: true }) }) }),
    ]);

    // The workflow retries at once: the claim is still within its lease, so nothing is sent.
    const retry = createMitigateHandler(deps(store, clock, flags, { sleep: async (ms) => advance(ms) }));
    await expect(retry(state)).rejects.toBeInstanceOf(MutationInProgressError);
    expect(resource.setCalls).toBe(1);

    advance(CLAIM_LEASE_SECONDS * 1000);
    const attempt = await retry(state);
    expect(attempt.status).toBe('applied');
    expect(attempt.detail).toMatch(/^Reconciled after an interrupted attempt \(attempt 2\): the change is in place, so nothing was sent again/);
    expect(resource.mutations).toBe(1);
    const [action] = await store.listActions(INCIDENT_ID);
    expect(action).toMatchObject({ status: 'applied', reconciled: true, attempts: 2, before: { params: { flag: 'new-checkout-flow' }, state: { enabled: true } } });
    expect(action!.leaseUntil).toBeUndefined();
  });

  it('the change is made but the ledger write fails: the claim keeps the before-state, and the retry reconciles without a second change', async () => {
    const { store, clock } = await openStore();
    const { resource, flags } = flagResource();
    const failingLedger = Object.assign(Object.create(store) as IncidentStore, {
      completeAction: async () => {
        throw new Error('DynamoDB unavailable');
      },
    });
    await expect(createMitigateHandler(deps(failingLedger, clock, flags))(state)).rejects.toThrow('DynamoDB unavailable');
    expect(resource.mutations).toBe(1);
    // Given back at once (the invocation was alive to do it): the retry need not wait for the lease.
    expect(await store.listActions(INCIDENT_ID)).toEqual([expect.objectContaining({ status: 'started', lastError: 'Error: DynamoDB unavailable', before: expect.anything() })]);

    const attempt = await createMitigateHandler(deps(store, clock, flags))(state);
    expect(attempt.status).toBe('applied');
    expect(resource.mutations).toBe(1);
    expect(await store.listActions(INCIDENT_ID)).toEqual([
      expect.objectContaining({ status: 'applied', reconciled: true, before: { params: { flag: 'new-checkout-flow' }, state: expect.objectContaining({ enabled: true }) } }),
    ]);
  });

  it('a refused call (missing permission) is recorded failed with its reason; a retry of the step does not call AWS again', async () => {
    const { store, clock } = await openStore();
    const denied = new AwsAccessDeniedError('AppConfig StartDeployment was denied: not authorized to perform appconfig:StartDeployment');
    const { resource, flags } = flagResource({ refuse: denied });
    await expect(createMitigateHandler(deps(store, clock, flags))(state)).rejects.toBe(denied);
    expect(await store.listActions(INCIDENT_ID)).toEqual([expect.objectContaining({ status: 'failed', detail: expect.stringContaining('appconfig:StartDeployment') })]);
    await expect(createMitigateHandler(deps(store, clock, flags))(state)).rejects.toMatchObject({ name: 'MitigationFailed' });
    expect(resource.setCalls).toBe(1);
    expect((await store.listTimeline(INCIDENT_ID)).map((e) => e.message)).toContainEqual(expect.stringContaining('nothing was changed'));
  });

  it('the brake asks for approval instead of acting, and says why on the timeline', async () => {
    const { store, clock } = await openStore();
    const { resource, flags } = flagResource();
    const reason = 'the automation budget is spent: 5 automated change(s) in the last hour';
    const handler = createMitigateHandler(
      deps(store, clock, flags, { brake: { reserve: async () => ({ ok: false, kind: 'budget', reason, counted: false }), releaseResource: async () => undefined } }),
    );
    const attempt = await handler(state);
    expect(attempt).toMatchObject({ status: 'needs-approval', onTimeout: 'escalate' });
    expect(attempt.detail).toContain(reason);
    // What the Step Functions console shows in AwaitApproval's input.
    expect(attempt.proposal).toMatchObject({
      what: expect.stringMatching(/^feature-flag-off on flag new-checkout-flow/),
      why: expect.stringContaining(reason),
      expiresAt: '2026-11-23T03:26:00.000Z',
      ifNobodyAnswers: 'a human is paged and nothing is changed',
      approve: expect.stringContaining(`npx tourniquet approve ${INCIDENT_ID}`),
    });
    expect(resource.setCalls).toBe(0);
    expect((await store.listTimeline(INCIDENT_ID)).at(-1)!.message).toContain('The brake on automation stopped feature-flag-off');

    const escalating = workflowState({ triage: t, plan, settings: { ...state.settings, brake: { ...state.settings.brake, onLimit: 'escalate' } } });
    await expect(
      createMitigateHandler(
        deps(store, clock, flags, { brake: { reserve: async () => ({ ok: false, kind: 'budget', reason, counted: false }), releaseResource: async () => undefined } }),
      )(escalating),
    ).rejects.toMatchObject({ name: 'AutomationBrakeEngaged', message: expect.stringContaining(reason) });
    expect(resource.setCalls).toBe(0);
  });

  it('approved past the brake: the change goes ahead and the timeline says so (not that the brake stopped it)', async () => {
    const { store, clock } = await openStore();
    const { resource, flags } = flagResource();
    const reason = 'the automation budget is spent: 5 automated change(s) in the last hour';
    const candidate = plan.candidates[0]!;
    const approved = workflowState({
      triage: t,
      plan,
      attempt: {
        cursor: 0,
        type: candidate.type,
        target: candidate.target,
        status: 'needs-approval',
        detail: `Held by the brake: ${reason}`,
        onTimeout: 'escalate',
        checkAt: new Date(NOW).toISOString(),
      },
      approval: { decision: 'approved', by: 'arn:aws:iam::123456789012:user/alice', via: 'cli', reason: null, approvalId: 'apr-1' },
    });
    let override: boolean | undefined;
    const handler = createMitigateHandler(
      deps(store, clock, flags, {
        brake: {
          reserve: async (_config, _request, options) => ((override = options?.override), { ok: false, kind: 'budget', reason, counted: true }),
          releaseResource: async () => undefined,
        },
      }),
    );
    expect(await handler(approved)).toMatchObject({ status: 'applied' });
    expect(override).toBe(true);
    expect(resource.mutations).toBe(1);
    const messages = (await store.listTimeline(INCIDENT_ID)).map((e) => e.message);
    expect(messages).toContainEqual(
      expect.stringMatching(/^Going ahead with feature-flag-off .* past the brake \(the automation budget is spent.*\): approved by arn:aws:iam::123456789012:user\/alice\.$/),
    );
    expect(messages.filter((m) => m.startsWith('The brake on automation stopped'))).toEqual([]);
  });
});

describe('mitigate: metrics, counted where the ledger or the brake says this invocation did it', () => {
  const applied = (metrics: MemoryMetricsSink) => metrics.find('MitigationsApplied').map((m) => [m.value, m.dimensions]);

  it('MitigationsApplied once for 10 concurrent invocations of one step, and once for a crash the next attempt reconciles', async () => {
    const { store, clock } = await openStore();
    const metrics = new MemoryMetricsSink(clock);
    const handler = createMitigateHandler(deps(store, clock, flagResource().flags, { metrics }));
    await Promise.allSettled(Array.from({ length: 10 }, () => handler(state)));
    expect(applied(metrics)).toEqual([[1, { service: 'checkout', mitigation: 'feature-flag-off' }]]);

    const crashed = await openStore();
    const afterCrash = new MemoryMetricsSink(crashed.clock);
    const { flags } = flagResource({ crashAfterMutation: true });
    const dyingStore = Object.assign(Object.create(crashed.store) as IncidentStore, { releaseActionClaim: async () => false, appendTimeline: async () => undefined });
    await expect(createMitigateHandler(deps(dyingStore, crashed.clock, flags, { metrics: afterCrash }))(state)).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    expect(afterCrash.records).toEqual([]);
    crashed.advance(CLAIM_LEASE_SECONDS * 1000);
    const retry = createMitigateHandler(deps(crashed.store, crashed.clock, flags, { metrics: afterCrash }));
    expect(await retry(state)).toMatchObject({ status: 'applied' });
    expect(await retry(state)).toMatchObject({ status: 'already-applied' });
    expect(applied(afterCrash)).toEqual([[1, { service: 'checkout', mitigation: 'feature-flag-off' }]]);
  });

  it('MitigationsFailed once for a refused call, not again for the retry that reports it', async () => {
    const { store, clock } = await openStore();
    const metrics = new MemoryMetricsSink(clock);
    const { flags } = flagResource({ refuse: new AwsAccessDeniedError('not authorized to perform appconfig:StartDeployment') });
    await expect(createMitigateHandler(deps(store, clock, flags, { metrics }))(state)).rejects.toBeInstanceOf(AwsAccessDeniedError);
    await expect(createMitigateHandler(deps(store, clock, flags, { metrics }))(state)).rejects.toMatchObject({ name: 'MitigationFailed' });
    expect(metrics.records.map((m) => [m.name, m.value, m.dimensions])).toEqual([['MitigationsFailed', 1, { service: 'checkout', mitigation: 'feature-flag-off' }]]);
  });

  it('BrakeEvents by kind when the brake holds a change, and pause when automation is paused; a change approved past the brake is no brake event', async () => {
    const { store, clock } = await openStore();
    const metrics = new MemoryMetricsSink(clock);
    const { flags } = flagResource();
    const holding = (kind: 'budget' | 'cooldown' | 'resource-limit') => ({
      reserve: async () => ({ ok: false as const, kind, reason: `${kind} says no`, counted: false }),
      releaseResource: async () => undefined,
    });
    for (const kind of ['budget', 'cooldown', 'resource-limit'] as const) {
      expect(await createMitigateHandler(deps(store, clock, flags, { metrics, brake: holding(kind) }))(state)).toMatchObject({ status: 'needs-approval' });
    }
    const paused = { inForce: async () => ({ by: 'alice', at: '2026-11-23T03:00:00.000Z', reason: 'deploy freeze' }) };
    expect(await createMitigateHandler(deps(store, clock, flags, { metrics, pause: paused as never }))(state)).toMatchObject({ status: 'paused' });
    const candidate = plan.candidates[0]!;
    const approved = workflowState({
      triage: t,
      plan,
      attempt: { cursor: 0, type: candidate.type, target: candidate.target, status: 'needs-approval', detail: 'held', onTimeout: 'escalate', checkAt: new Date(NOW).toISOString() },
      approval: { decision: 'approved', by: 'alice', via: 'cli', reason: null, approvalId: 'apr-1' },
    });
    const pastBrake = { reserve: async () => ({ ok: false as const, kind: 'budget' as const, reason: 'spent', counted: true }), releaseResource: async () => undefined };
    expect(await createMitigateHandler(deps(store, clock, flags, { metrics, brake: pastBrake }))(approved)).toMatchObject({ status: 'applied' });
    expect(metrics.find('BrakeEvents').map((m) => m.dimensions)).toEqual(['budget', 'cooldown', 'resource-limit', 'pause'].map((outcome) => ({ service: 'checkout', outcome })));
    expect(metrics.records.map((m) => m.name)).toEqual(['BrakeEvents', 'BrakeEvents', 'BrakeEvents', 'BrakeEvents', 'MitigationsApplied']);
  });

  it('ApprovalsDecided timed-out once when nobody answered and the policy proceeds; a retry of the step counts nothing', async () => {
    const { store, clock } = await openStore();
    const metrics = new MemoryMetricsSink(clock);
    const candidate = plan.candidates[0]!;
    const proceeding = workflowState({
      triage: t,
      plan,
      attempt: { cursor: 0, type: candidate.type, target: candidate.target, status: 'needs-approval', detail: 'asked', onTimeout: 'proceed', checkAt: new Date(NOW).toISOString() },
      // What the ProceedAfterTimeout state writes.
      approval: { decision: 'approved', by: 'approval timeout policy', via: 'timeout', reason: 'Nobody answered in time', approvalId: 'timeout' },
    });
    const handler = createMitigateHandler(deps(store, clock, flagResource().flags, { metrics }));
    expect(await handler(proceeding)).toMatchObject({ status: 'applied' });
    expect(await handler(proceeding)).toMatchObject({ status: 'already-applied' });
    expect(metrics.find('ApprovalsDecided').map((m) => [m.value, m.dimensions])).toEqual([[1, { service: 'checkout', mitigation: 'feature-flag-off', outcome: 'timed-out' }]]);
    expect(applied(metrics)).toHaveLength(1);
  });
});
