import { describe, expect, it } from '@jest/globals';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import { type TourniquetConfig, TourniquetConfigSchema } from '../../../lambdas/core/config.js';
import type { Mitigation, ReadinessReport } from '../../../lambdas/mitigations/mitigation.js';
import type { MitigationAdapters } from '../../../lambdas/mitigations/ports.js';
import {
  checkReadiness,
  createScheduledReadiness,
  mustAnnounce,
  ReadinessRunError,
  type ReadinessVerdicts,
  type ScheduledReadinessDeps,
  UnknownServiceError,
} from '../../../lambdas/operations/readiness.js';
import { ReadinessLedger, type ReadinessVerdict } from '../../../lambdas/store/readiness.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const STATUS = 'arn:aws:sns:us-east-1:123456789012:Tourniquet-prod-status';

const config: TourniquetConfig = TourniquetConfigSchema.parse({
  version: 1,
  services: [
    {
      name: 'checkout',
      alarms: [{ name: 'checkout-5xx-rate' }],
      resources: { featureFlags: { applicationId: 'chk4app', environmentId: 'prd5env', configurationProfileId: 'flg6prf', killSwitchFlags: ['new-checkout-flow'] } },
    },
    { name: 'search', alarms: [{ name: 'search-errors' }], resources: { ecs: { cluster: 'shop-prod', service: 'search' } } },
  ],
});

/** A module of the catalogue reduced to what readiness uses; `ready` decides its one report. */
function module(type: Mitigation['type'], configured: (name: string) => boolean, report: (service: string) => Promise<ReadinessReport[]>): Mitigation {
  const partial: Pick<Mitigation, 'type' | 'title' | 'configured' | 'readiness'> = {
    type,
    title: type,
    configured: (s) => configured(s.name),
    readiness: (ctx) => report(ctx.service.name),
  };
  return partial as Mitigation;
}

const flagReport = (ready: boolean): ReadinessReport => ({
  type: 'feature-flag-off',
  target: 'flag new-checkout-flow (chk4app/prd5env/flg6prf)',
  ready,
  checks: [
    ready
      ? { check: 'new-checkout-flow in the deployed configuration', ok: true, detail: 'deployed version 3 has new-checkout-flow on' }
      : { check: 'new-checkout-flow in the deployed configuration', ok: false, detail: 'flag "new-checkout-flow" is not defined in configuration version 3 of the profile' },
    { check: 'zero-bake deployment strategy', ok: true, detail: 'deploys at once' },
  ],
});

/** The kill switch of checkout (ready or not, as `state.ready` says now) and an ECS rollback of search that throws. */
function catalogue(state: { ready: boolean }): Mitigation[] {
  return [
    module(
      'feature-flag-off',
      (s) => s === 'checkout',
      async () => [flagReport(state.ready)],
    ),
    module(
      'ecs-rollback',
      (s) => s === 'search',
      async () => Promise.reject(Object.assign(new Error('ECS DescribeServices on shop-prod/search failed: AccessDenied'), { name: 'AwsAccessDeniedError' })),
    ),
  ];
}

const adapters = {} as MitigationAdapters;

describe('checkReadiness', () => {
  it('runs the readiness of each configured mitigation of each service, and reports a check that throws as not ready', async () => {
    const reports = await checkReadiness({ adapters, deploymentStrategyId: 'imm0str', clock: () => new Date(), catalogue: catalogue({ ready: true }) }, config);

    expect(reports.map((r) => [r.service, r.type, r.ready])).toEqual([
      ['checkout', 'feature-flag-off', true],
      ['search', 'ecs-rollback', false],
    ]);
    expect(reports[1]).toEqual({
      service: 'search',
      type: 'ecs-rollback',
      target: 'ecs-rollback of search',
      ready: false,
      checks: [{ check: 'readiness check ran', ok: false, detail: 'AwsAccessDeniedError: ECS DescribeServices on shop-prod/search failed: AccessDenied' }],
    });
  });

  it('checks only the service asked for, and names the services when it is unknown', async () => {
    const deps = { adapters, deploymentStrategyId: '', clock: () => new Date(), catalogue: catalogue({ ready: true }) };

    await expect(checkReadiness(deps, config, { service: 'checkout' })).resolves.toHaveLength(1);
    await expect(checkReadiness(deps, config, { service: 'payments' })).rejects.toThrow(
      new UnknownServiceError('service "payments" is not in the config (services: checkout, search)'),
    );
  });
});

/** Verdicts in memory, with the conditional-write semantics of ReadinessLedger. */
function memoryVerdicts(): ReadinessVerdicts & { items: Map<string, ReadinessVerdict> } {
  const items = new Map<string, ReadinessVerdict>();
  const key = (v: Pick<ReadinessVerdict, 'service' | 'type' | 'target'>) => `${v.service}#${v.type}#${v.target}`;
  return {
    items,
    last: async (service, type, target) => items.get(key({ service, type, target })),
    replace: async (verdict, previousAt) => {
      if (items.get(key(verdict))?.at !== previousAt) return false;
      items.set(key(verdict), verdict);
      return true;
    },
  };
}

function scheduled(state: { ready: boolean }, overrides: Partial<ScheduledReadinessDeps> = {}) {
  let now = Date.parse('2026-11-23T03:00:00Z');
  const published: { subject?: string | undefined; message: string; attributes?: Record<string, string> | undefined }[] = [];
  const metrics = new MemoryMetricsSink(() => new Date(now));
  const verdicts = memoryVerdicts();
  const deps: ScheduledReadinessDeps = {
    config: { ...config, services: [config.services[0]!] },
    adapters,
    deploymentStrategyId: 'imm0str',
    catalogue: catalogue(state),
    verdicts,
    metrics,
    publisher: {
      publish: async (request) => {
        published.push(request);
        return { messageId: `m-${published.length}` };
      },
    },
    statusTopicArn: STATUS,
    clock: () => new Date(now),
    ...overrides,
  };
  return { run: createScheduledReadiness(deps), published, metrics, verdicts, hourLater: () => void (now += 3_600_000) };
}

describe('createScheduledReadiness', () => {
  it('records one metric per target each run and pages the status topic on the turn to not ready only, then once when ready again', async () => {
    const state = { ready: true };
    const { run, published, metrics, verdicts, hourLater } = scheduled(state);

    // First sight, ready: news to nobody.
    await expect(run()).resolves.toMatchObject({ checked: 1, notReady: [], announced: [] });
    expect(published).toEqual([]);

    hourLater();
    state.ready = false;
    const broken = await run();
    expect(broken.notReady).toEqual(['checkout feature-flag-off flag new-checkout-flow (chk4app/prd5env/flg6prf)']);
    expect(broken.announced).toEqual([
      { service: 'checkout', type: 'feature-flag-off', target: 'flag new-checkout-flow (chk4app/prd5env/flg6prf)', ready: false, messageId: 'm-1' },
    ]);
    expect(published[0]!.subject).toBe('Tourniquet: checkout feature-flag-off is NOT ready');
    expect(published[0]!.message).toContain('Not ready since 2026-11-23 04:00 UTC.');
    expect(published[0]!.message).toContain(
      'FAIL new-checkout-flow in the deployed configuration: flag "new-checkout-flow" is not defined in configuration version 3 of the profile',
    );
    expect(published[0]!.attributes).toEqual({ service: 'checkout', mitigation: 'feature-flag-off', status: 'MitigationNotReady' });

    // Still broken an hour later: no second page.
    hourLater();
    await expect(run()).resolves.toMatchObject({ announced: [] });
    expect(published).toHaveLength(1);

    hourLater();
    state.ready = true;
    await expect(run()).resolves.toMatchObject({ announced: [{ ready: true }] });
    expect(published[1]!.subject).toBe('Tourniquet: checkout feature-flag-off is ready again');
    expect(published[1]!.message).toContain(
      'It had not been ready since 2026-11-23 04:00 UTC (new-checkout-flow in the deployed configuration: flag "new-checkout-flow" is not defined',
    );

    // MitigationReady per run: 1 ready, 0 not, on the service and mitigation dimensions.
    expect(metrics.records.map((m) => [m.name, m.value, m.dimensions])).toEqual(
      [1, 0, 0, 1].map((value) => ['MitigationReady', value, { service: 'checkout', mitigation: expect.any(String) }]),
    );
    expect([...verdicts.items.values()][0]).toMatchObject({ ready: true, since: '2026-11-23T06:00:00.000Z', at: '2026-11-23T06:00:00.000Z', announced: true });
  });

  it('pages a target first seen not ready', async () => {
    const { run, published } = scheduled({ ready: false });

    await run();

    expect(published.map((p) => p.subject)).toEqual(['Tourniquet: checkout feature-flag-off is NOT ready']);
  });

  it('retries a page SNS refused on the next run, and fails the invocation meanwhile', async () => {
    let sns = false;
    const { run, published, verdicts, hourLater } = scheduled(
      { ready: false },
      {
        publisher: {
          publish: async (request) => {
            if (!sns) throw Object.assign(new Error('SNS Publish failed'), { name: 'TransientAwsError' });
            published.push(request);
            return { messageId: 'm-late' };
          },
        },
      },
    );

    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessRunError);
    expect((error as ReadinessRunError).result.failed).toEqual([
      { target: 'checkout feature-flag-off flag new-checkout-flow (chk4app/prd5env/flg6prf)', error: 'TransientAwsError: SNS Publish failed' },
    ]);
    expect([...verdicts.items.values()][0]).toMatchObject({ ready: false, announced: false });

    hourLater();
    sns = true;
    await expect(run()).resolves.toMatchObject({ announced: [{ ready: false, messageId: 'm-late' }] });
    // The verdict began at the first run, not at the late page.
    expect(published[0]!.message).toContain('Not ready since 2026-11-23 03:00 UTC.');
  });

  it('leaves the page to an overlapping run that recorded the change first', async () => {
    const { run, published, verdicts } = scheduled({ ready: false });
    const real = verdicts.replace;
    verdicts.replace = async () => false;

    await expect(run()).resolves.toMatchObject({ raced: ['checkout feature-flag-off flag new-checkout-flow (chk4app/prd5env/flg6prf)'], announced: [] });
    expect(published).toEqual([]);
    verdicts.replace = real;
  });
});

describe('mustAnnounce', () => {
  const verdict = (ready: boolean, announced: boolean): ReadinessVerdict => ({
    service: 's',
    type: 'waf-block',
    target: 't',
    ready,
    since: '2026-11-23T03:00:00Z',
    at: '2026-11-23T03:00:00Z',
    announced,
  });
  it('announces changes and unannounced verdicts, never a first ready', () => {
    expect(mustAnnounce(undefined, true)).toBe(false);
    expect(mustAnnounce(undefined, false)).toBe(true);
    expect(mustAnnounce(verdict(true, true), true)).toBe(false);
    expect(mustAnnounce(verdict(true, true), false)).toBe(true);
    expect(mustAnnounce(verdict(false, true), false)).toBe(false);
    expect(mustAnnounce(verdict(false, false), false)).toBe(true);
  });
});

describe('ReadinessLedger on DynamoDB Local', () => {
  const db = useDynamoDbLocal();

  it('keeps one verdict per target, replaced only by a writer that read the current one', async () => {
    const ledger = new ReadinessLedger({ tableName: await db.newTable(), client: db.client });
    const first: ReadinessVerdict = {
      service: 'checkout',
      type: 'feature-flag-off',
      target: 'flag new-checkout-flow',
      ready: false,
      since: '2026-11-23T03:00:00.000Z',
      at: '2026-11-23T03:00:00.000Z',
      failing: 'x: y',
      announced: false,
    };

    await expect(ledger.last('checkout', 'feature-flag-off', 'flag new-checkout-flow')).resolves.toBeUndefined();
    await expect(ledger.replace(first, undefined)).resolves.toBe(true);
    // A second first write (an overlapping run) loses.
    await expect(ledger.replace(first, undefined)).resolves.toBe(false);
    await expect(ledger.last('checkout', 'feature-flag-off', 'flag new-checkout-flow')).resolves.toEqual(first);

    const next = { ...first, at: '2026-11-23T04:00:00.000Z', announced: true };
    await expect(ledger.replace(next, '2026-11-23T02:00:00.000Z')).resolves.toBe(false);
    await expect(ledger.replace(next, first.at)).resolves.toBe(true);
    await expect(ledger.last('checkout', 'feature-flag-off', 'flag new-checkout-flow')).resolves.toEqual(next);
    // Another target of the same service is its own item.
    await expect(ledger.last('checkout', 'feature-flag-off', 'flag express-pay')).resolves.toBeUndefined();
  });
});
