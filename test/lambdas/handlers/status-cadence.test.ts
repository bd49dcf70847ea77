import { describe, expect, it } from '@jest/globals';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import { cadenceSettingsFor } from '../../../lambdas/core/cadence.js';
import { createStatusCadenceHandler } from '../../../lambdas/handlers/status-cadence.js';
import { StatusCadenceError } from '../../../lambdas/operations/cadence.js';
import type { EpisodeRecord } from '../../../lambdas/store/records.js';
import { sampleConfig } from '../../fixtures/workflow.js';

/** The handler runs one cadence pass per scheduled event (the pass itself: test/lambdas/operations/cadence.test.ts). */

const SCHEDULE_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-11-23T03:10:00.000Z', detail: {} };

function deps(episodes: EpisodeRecord[], findIncident: () => Promise<undefined> = async () => undefined) {
  const unused = async (): Promise<never> => Promise.reject(new Error('not expected'));
  return {
    store: {
      listActiveEpisodes: async () => episodes,
      findIncident,
      listActions: unused,
      transition: unused,
      claimPage: unused,
      compareAndSetLastNotification: unused,
      appendTimeline: unused,
    },
    publisher: { publish: unused },
    statusTopicArn: 'arn:aws:sns:us-east-1:123456789012:tourniquet-status',
    escalationTopicArn: 'arn:aws:sns:us-east-1:123456789012:tourniquet-escalation',
    settings: cadenceSettingsFor(sampleConfig),
    approvals: { findPending: async () => undefined },
    metrics: new MemoryMetricsSink(),
    clock: () => new Date('2026-11-23T03:10:00.000Z'),
  };
}

const episode = (incidentId: string): EpisodeRecord => ({
  service: incidentId,
  incidentId,
  status: 'OPEN',
  round: 0,
  openedAt: '2026-11-23T03:00:00.000Z',
  updatedAt: '2026-11-23T03:00:00.000Z',
});

describe('status-cadence handler', () => {
  it('runs one pass whatever the scheduled event holds', async () => {
    const handler = createStatusCadenceHandler(deps([]));
    for (const event of [SCHEDULE_EVENT, {}, undefined]) {
      expect(await handler(event)).toEqual({ checked: 0, paged: [], sent: [], raced: [], deferred: [], failed: [] });
    }
  });

  it('fails the invocation when an incident failed, so the function errors show it', async () => {
    const handler = createStatusCadenceHandler(deps([episode('inc-1')], async () => Promise.reject(new Error('throttled'))));
    await expect(handler(SCHEDULE_EVENT)).rejects.toBeInstanceOf(StatusCadenceError);
  });
});
