import { describe, expect, it } from '@jest/globals';

import type { BrakeRequest } from '../../../lambdas/core/brake.js';
import { DEFAULT_BRAKE } from '../../../lambdas/core/config.js';
import { AutomationBrake } from '../../../lambdas/store/brake.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();

async function brakeAt(start = Date.parse('2026-11-23T03:00:00.000Z')) {
  let now = start;
  const brake = new AutomationBrake({ tableName: await db.newTable(), client: db.client, clock: () => new Date(now) });
  return { brake, advance: (minutes: number) => void (now += minutes * 60_000) };
}

const request = (n: number, overrides: Partial<BrakeRequest> = {}): BrakeRequest => ({
  key: `inc-${n}#0#feature-flag-off`,
  incidentId: `inc-${n}`,
  round: 0,
  service: `svc-${n}`,
  type: 'feature-flag-off',
  target: `flag f${n}`,
  ...overrides,
});

describe('AutomationBrake', () => {
  it('budget: five automated changes in an hour go ahead, the sixth is held with the reason, and the hour rolls', async () => {
    const { brake, advance } = await brakeAt();
    for (let n = 1; n <= 5; n += 1) {
      expect(await brake.reserve(DEFAULT_BRAKE, request(n))).toEqual({ ok: true, counted: true });
      advance(5);
    }
    const sixth = await brake.reserve(DEFAULT_BRAKE, request(6));
    expect(sixth).toMatchObject({ ok: false, kind: 'budget', counted: false });
    expect(sixth.ok ? '' : sixth.reason).toContain(
      '5 automated change(s) in the last hour (limit 5, config brake.mutationsPerHour; services svc-1, svc-2, svc-3, svc-4, svc-5); the next one frees up at 04:00 UTC',
    );
    // The same change asking again (a retried step) is not a new change.
    expect(await brake.reserve(DEFAULT_BRAKE, request(3))).toEqual({ ok: true, counted: false });
    advance(36); // 04:01: the first change left the window
    expect(await brake.reserve(DEFAULT_BRAKE, request(6))).toEqual({ ok: true, counted: true });
  });

  it('budget under concurrency: 10 incidents asking at once get exactly 5 automated changes', async () => {
    const { brake } = await brakeAt();
    const verdicts = await Promise.all(Array.from({ length: 10 }, (_, n) => brake.reserve(DEFAULT_BRAKE, request(n))));
    expect(verdicts.filter((v) => v.ok)).toHaveLength(5);
    expect((await brake.snapshot('svc-0')).budget).toHaveLength(5);
  });

  it('cooldown: another incident (or a re-opened round) waits 10 minutes after a change to the same service; the same round does not', async () => {
    const { brake, advance } = await brakeAt();
    const first = request(1, { service: 'checkout' });
    expect((await brake.reserve(DEFAULT_BRAKE, first)).ok).toBe(true);
    advance(3);
    expect((await brake.reserve(DEFAULT_BRAKE, { ...first, key: 'inc-1#1#ecs-rollback', type: 'ecs-rollback' })).ok).toBe(true);
    const other = await brake.reserve(DEFAULT_BRAKE, request(2, { service: 'checkout' }));
    expect(other).toMatchObject({ ok: false, kind: 'cooldown' });
    expect(other.ok ? '' : other.reason).toContain('incident inc-1 changed it (ecs-rollback) at 03:03 UTC');
    const reopened = await brake.reserve(DEFAULT_BRAKE, { ...first, round: 1, key: 'inc-1#1000#feature-flag-off' });
    expect(reopened).toMatchObject({ ok: false, kind: 'cooldown' });
    advance(10);
    expect((await brake.reserve(DEFAULT_BRAKE, request(2, { service: 'checkout' }))).ok).toBe(true);
  });

  it('per-resource cap: one automated WAF rule per web ACL until it is undone; an approval overrides and is counted', async () => {
    const { brake } = await brakeAt();
    const waf = (n: number) => request(n, { type: 'waf-block', target: 'web ACL shop-edge', key: `inc-${n}#0#waf-block` });
    expect((await brake.reserve(DEFAULT_BRAKE, waf(1))).ok).toBe(true);
    const second = await brake.reserve(DEFAULT_BRAKE, waf(2));
    expect(second).toMatchObject({ ok: false, kind: 'resource-limit' });
    expect(second.ok ? '' : second.reason).toContain('web ACL shop-edge already has 1 automated waf-block action(s) in place (incident(s) inc-1');
    expect(await brake.reserve(DEFAULT_BRAKE, waf(2), { override: true })).toMatchObject({ ok: false, kind: 'resource-limit', counted: true });
    await brake.releaseResource('waf-block', 'web ACL shop-edge', 'inc-1');
    await brake.releaseResource('waf-block', 'web ACL shop-edge', 'inc-2');
    expect((await brake.reserve(DEFAULT_BRAKE, waf(3))).ok).toBe(true);
  });

  it('a zero budget sends every change to a human', async () => {
    const { brake } = await brakeAt();
    expect(await brake.reserve({ ...DEFAULT_BRAKE, mutationsPerHour: 0 }, request(1))).toMatchObject({ ok: false, kind: 'budget' });
  });
});
