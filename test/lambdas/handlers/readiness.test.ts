import { describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';

import { TourniquetConfigSchema } from '../../../lambdas/core/config.js';
import { createReadinessHandler, handler, ReadinessRunError } from '../../../lambdas/handlers/readiness.js';
import type { Mitigation } from '../../../lambdas/mitigations/mitigation.js';
import type { MitigationAdapters } from '../../../lambdas/mitigations/ports.js';
import type { ReadinessVerdict } from '../../../lambdas/store/readiness.js';

/** The handler runs one readiness pass per scheduled event (the pass itself: test/lambdas/operations/readiness.test.ts; its MitigationReady EMF: test/lambdas/adapters/metrics.test.ts). */

const SCHEDULE_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-11-23T03:00:00.000Z', detail: {} };

const config = TourniquetConfigSchema.parse({
  version: 1,
  services: [{ name: 'checkout', alarms: [{ name: 'checkout-5xx-rate' }], resources: { waf: { webAclName: 'shop-prod', webAclId: 'a1b2c3d4-5678-90ab-cdef-111111111111' } } }],
});

const waf = (ready: boolean): Mitigation =>
  ({
    type: 'waf-block',
    title: 'WAF rate-based block',
    configured: () => true,
    readiness: async () => [
      { type: 'waf-block', target: 'web ACL shop-prod', ready, checks: [{ check: 'capacity (WCU) for one more rule', ok: ready, detail: ready ? 'room' : 'no room' }] },
    ],
  }) as unknown as Mitigation;

function deps(options: { ready: boolean; publish?: () => Promise<{ messageId: string }> }) {
  const items = new Map<string, ReadinessVerdict>();
  return {
    config,
    adapters: {} as MitigationAdapters,
    deploymentStrategyId: 'imm0str',
    catalogue: [waf(options.ready)],
    verdicts: {
      last: async () => items.get('only'),
      replace: async (v: ReadinessVerdict) => (items.set('only', v), true),
    },
    metrics: { record: () => undefined },
    publisher: { publish: options.publish ?? (async () => ({ messageId: 'm-1' })) },
    statusTopicArn: 'arn:aws:sns:us-east-1:123456789012:tourniquet-status',
    clock: () => new Date('2026-11-23T03:00:00.000Z'),
  };
}

describe('readiness handler', () => {
  it('runs one pass whatever the scheduled event holds', async () => {
    const run = createReadinessHandler(deps({ ready: true }));
    for (const event of [SCHEDULE_EVENT, {}, undefined]) {
      await expect(run(event)).resolves.toEqual({ checked: 1, notReady: [], announced: [], raced: [], failed: [] });
    }
  });

  it('fails the invocation when a verdict could not be announced, so the function errors show it', async () => {
    const run = createReadinessHandler(deps({ ready: false, publish: async () => Promise.reject(new Error('SNS is down')) }));
    await expect(run(SCHEDULE_EVENT)).rejects.toBeInstanceOf(ReadinessRunError);
  });

  it('refuses to run without the config layer, naming the file it lacks', async () => {
    await expect(handler(SCHEDULE_EVENT, { functionName: 'readiness', awsRequestId: 'r-1' } as Context)).rejects.toThrow(
      '/opt/tourniquet/config.json cannot be read (ENOENT): the function lacks its Tourniquet config layer; redeploy with cdk deploy',
    );
  });
});
