import { describe, expect, it } from '@jest/globals';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import type { ServiceConfig } from '../../../lambdas/core/config.js';
import { type UndoDeps, UndoError, undoIncident } from '../../../lambdas/operations/undo.js';
import type { ActionRecord } from '../../../lambdas/store/incident-store.js';
import { sampleConfig } from '../../lib/support.js';
import { fakeAdapters } from '../../support/adapters.js';

/** Undo over the catalogue: each action is reverted by its own module, newest first, under the service's lock. */

const service: ServiceConfig = sampleConfig().services[0]!;
const at = '2026-11-28T03:00:00.000Z';

const flagAction = (overrides: Partial<ActionRecord> = {}): ActionRecord => ({
  cursor: 0,
  type: 'feature-flag-off',
  target: 'flag new-checkout-flow',
  status: 'applied',
  before: { params: { flag: 'new-checkout-flow' }, state: { deployedVersion: '2', enabled: true } },
  after: { version: '3', deploymentNumber: 8 },
  startedAt: at,
  ...overrides,
});
const rollbackAction = (overrides: Partial<ActionRecord> = {}): ActionRecord => ({
  cursor: 1,
  type: 'ecs-rollback',
  target: 'ECS service shop-prod/checkout',
  status: 'applied',
  before: { params: { cluster: 'shop-prod', service: 'checkout' }, state: { taskDefinition: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/checkout:42', desiredCount: 6 } },
  startedAt: at,
  ...overrides,
});

function harness(actions: ActionRecord[], options: { lockFree?: boolean } = {}) {
  const calls: string[] = [];
  const timeline: string[] = [];
  const adapters = fakeAdapters({
    flags: {
      setFlag: async (_t: unknown, r: { flag: string; enabled: boolean }) => (calls.push(`setFlag ${r.flag}=${r.enabled}`), { status: 'applied', detail: 'deployed version 4' }),
      previewFlag: async (_t: unknown, r: { flag: string; enabled: boolean }) => (calls.push(`previewFlag ${r.flag}=${r.enabled}`), { detail: 'would deploy version 4' }),
    },
    ecs: {
      restoreService: async (_r: unknown, target: { taskDefinition?: string }) => (
        calls.push(`restoreService ${target.taskDefinition}`),
        { detail: 'rolled forward to checkout:42' }
      ),
    },
  });
  const deps: UndoDeps = {
    store: {
      getIncident: async () => ({ incidentId: 'inc-1', service: service.name }) as never,
      listActions: async () => actions,
      appendTimeline: async (_id: string, e: { message: string }) => void timeline.push(e.message),
      markActionUndone: async (_id: string, cursor: number) => (calls.push(`markUndone ${cursor}`), {} as never),
      acquireMutationLock: async () => (calls.push('lock'), options.lockFree ?? true),
      releaseMutationLock: async () => (calls.push('unlock'), true),
    },
    adapters,
    serviceFor: (name) => (name === service.name ? service : undefined),
    deploymentStrategyId: 'imm0str',
    clock: () => new Date(at),
    by: 'alice',
  };
  return { deps, calls, timeline };
}

describe('undoIncident', () => {
  it('reverts every applied action newest first through its catalogue module, under the lock, and records who did it', async () => {
    const { deps, calls, timeline } = harness([flagAction(), rollbackAction()]);
    const steps = await undoIncident(deps, 'inc-1');
    expect(steps.map((s) => [s.type, s.status])).toEqual([
      ['ecs-rollback', 'undone'],
      ['feature-flag-off', 'undone'],
    ]);
    expect(calls).toEqual([
      'lock',
      'restoreService arn:aws:ecs:eu-west-1:111122223333:task-definition/checkout:42',
      'markUndone 1',
      'setFlag new-checkout-flow=true',
      'markUndone 0',
      'unlock',
    ]);
    expect(timeline.every((m) => m.startsWith('Undo by alice: '))).toBe(true);
  });

  it('in a dry run takes no lock, changes nothing and says what it would do', async () => {
    const { deps, calls } = harness([flagAction(), rollbackAction()]);
    const steps = await undoIncident(deps, 'inc-1', { dryRun: true });
    expect(steps.map((s) => s.status)).toEqual(['would-undo', 'would-undo']);
    expect(calls).toEqual(['previewFlag new-checkout-flow=true']);
  });

  it('skips what changed nothing, and reports an action already undone without touching it', async () => {
    const { deps, calls } = harness([flagAction({ status: 'already-applied' }), rollbackAction({ status: 'undone', undoDetail: 'done by bob' })]);
    const steps = await undoIncident(deps, 'inc-1');
    expect(steps.map((s) => [s.status, s.detail])).toEqual([
      ['already-undone', 'done by bob'],
      ['skipped', expect.stringContaining('it changed nothing')],
    ]);
    expect(calls).toEqual(['lock', 'unlock']);
  });

  it('leaves a flag that had no value before the incident as it is', async () => {
    const { deps, calls } = harness([flagAction({ before: { params: { flag: 'new-checkout-flow' }, state: { deployedVersion: '2', enabled: null } } })]);
    const [step] = await undoIncident(deps, 'inc-1');
    expect(step).toMatchObject({ status: 'skipped', detail: expect.stringContaining('had no value before the incident') });
    expect(calls).toEqual(['lock', 'unlock']);
  });

  it('counts MitigationsReverted per action it undid (with a sink: the drill; the CLI passes none), nothing for a dry run or an action already undone', async () => {
    const { deps } = harness([flagAction(), rollbackAction({ status: 'undone', undoDetail: 'done by bob' })]);
    const metrics = new MemoryMetricsSink(deps.clock);
    await undoIncident({ ...deps, metrics }, 'inc-1', { dryRun: true });
    expect(metrics.records).toEqual([]);
    await undoIncident({ ...deps, metrics }, 'inc-1');
    expect(metrics.records.map((m) => [m.name, m.value, m.dimensions])).toEqual([['MitigationsReverted', 1, { service: 'checkout', mitigation: 'feature-flag-off' }]]);
  });

  it('waits for another change to the service instead of stacking on it', async () => {
    const { deps } = harness([flagAction()], { lockFree: false });
    await expect(undoIncident(deps, 'inc-1')).rejects.toThrow(/Another change to checkout is in progress/);
  });

  it('refuses an incident whose service is not in the config', async () => {
    const { deps } = harness([flagAction()]);
    await expect(undoIncident({ ...deps, serviceFor: () => undefined }, 'inc-1')).rejects.toThrow(UndoError);
  });
});
