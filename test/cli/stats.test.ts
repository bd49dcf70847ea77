import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { registerStats } from '../../cli/commands/stats.js';
import { statsRows } from '../../cli/views/stats-view.js';
import type { MitigationType } from '../../lambdas/core/model.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { useCli } from '../support/cli.js';
import { useDynamoDbLocal } from '../support/dynamodb.js';

/**
 * `tourniquet stats` end to end: the learning records are written the way the workflow writes them
 * (the store's completeAction / setActionEffect / markActionUndone / recordEscalation), then read by
 * the command from a DynamoDB Local table named by --table, the environment or a mocked stack.
 */

const db = useDynamoDbLocal();
const cloudformation = mockClient(CloudFormationClient);
const T0 = Date.parse('2026-11-23T04:00:00.000Z');

type Outcome = 'restored' | 'no-effect' | 'reverted' | 'escalated' | 'unverified';

/** One incident of `service` per outcome, each with one action of `type`. */
async function history(store: IncidentStore, service: string, type: MitigationType, outcomes: readonly { outcome: Outcome; mttmMinutes?: number }[]) {
  for (const [i, { outcome, mttmMinutes }] of outcomes.entries()) {
    const id = `inc-${service}-${type}-${i}`;
    const openedAt = new Date(T0 + i * 3600_000).toISOString();
    await store.openIncident({
      incidentId: id,
      service,
      alarmName: `${service}-5xx`,
      severity: 'SEV2',
      signal: {
        source: 'eventbridge',
        alarmName: `${service}-5xx`,
        alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${service}-5xx`,
        account: '123456789012',
        region: 'us-east-1',
        kind: 'metric',
        state: 'ALARM',
        stateChangeTime: openedAt,
        reason: 'Threshold Crossed',
        metrics: [],
      },
      execution: { id: `arn:aws:states:us-east-1:123456789012:execution:Tourniquet:${id}`, name: id, startTime: openedAt },
      openedAt,
      leaseUntil: openedAt,
      firstEvent: { at: openedAt, kind: 'incident-opened', message: 'opened' },
    });
    await store.recordActionStart(id, { cursor: 0, type, target: 't' });
    await store.completeAction(id, 0, type, { status: 'applied' }, undefined, { service });
    if (outcome === 'restored') await store.setActionEffect(id, 0, type, 'restored', { service, mttmSeconds: (mttmMinutes ?? 5) * 60 });
    if (outcome === 'no-effect' || outcome === 'reverted' || outcome === 'escalated') await store.setActionEffect(id, 0, type, 'no-effect', { service });
    if (outcome === 'reverted') await store.markActionUndone(id, 0, type, 'rolled forward', { service, effect: 'no-effect' });
    if (outcome === 'escalated') await store.recordEscalation(id, service, await store.listActions(id));
    expect(await store.transition(id, 'RESOLVED', { from: ['OPEN'], reopenUntil: new Date(T0).toISOString() })).toBe(true);
  }
}

async function table() {
  const tableName = await db.newTable();
  const store = new IncidentStore({ tableName, client: db.client, clock: () => new Date(T0) });
  await history(store, 'checkout', 'feature-flag-off', [...[3, 4, 5, 6, 4, 5, 7].map((m) => ({ outcome: 'restored' as const, mttmMinutes: m })), { outcome: 'reverted' }]);
  await history(store, 'checkout', 'ecs-rollback', [{ outcome: 'escalated' }, { outcome: 'restored', mttmMinutes: 12 }]);
  await history(store, 'payments', 'waf-block', [{ outcome: 'unverified' }]);
  return tableName;
}

describe('tourniquet stats', () => {
  const { stdout, stderr, run } = useCli(db, registerStats);

  beforeEach(() => {
    cloudformation.reset();
  });

  it('prints a table per service and mitigation: tried, effective, ineffective, reverted, escalated, median MTTM', async () => {
    const tableName = await table();
    await run('stats', '--table', tableName);
    expect(stderr.join('')).not.toContain('tourniquet:');
    expect(process.exitCode ?? 0).toBe(0);
    expect(stdout.join('').split('\n').slice(0, 4)).toEqual([
      'service   mitigation        tried  effective  ineffective  reverted  escalated  median MTTM',
      'checkout  ecs-rollback          2          1            1         0          1  12 min (n=1)',
      'checkout  feature-flag-off      8          7            1         1          0  5 min (n=7)',
      'payments  waf-block             1          0            0         0          0  —',
    ]);
  });

  it('--service narrows it, --json gives the numbers, and the stack outputs name the table', async () => {
    const tableName = await table();
    cloudformation.on(DescribeStacksCommand, { StackName: 'Tourniquet' }).resolves({
      Stacks: [{ StackName: 'Tourniquet', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(T0), Outputs: [{ OutputKey: 'IncidentTableName', OutputValue: tableName }] }],
    });
    await run('stats', '--stack', 'Tourniquet', '--service', 'checkout', '--json');
    expect(JSON.parse(stdout.join(''))).toEqual([
      { service: 'checkout', mitigation: 'ecs-rollback', tried: 2, effective: 1, ineffective: 1, reverted: 0, escalated: 1, medianMttmSeconds: 720, mttmSamples: 1 },
      { service: 'checkout', mitigation: 'feature-flag-off', tried: 8, effective: 7, ineffective: 1, reverted: 1, escalated: 0, medianMttmSeconds: 300, mttmSamples: 7 },
    ]);
  });

  it('says so when there is nothing yet, and fails in one line without a table', async () => {
    const tableName = await db.newTable();
    await run('stats', '--table', tableName, '--service', 'search');
    expect(stdout.join('')).toBe('no learning records for search (is the service name right? tourniquet stats lists every service)\n');
    stdout.length = 0;
    await run('stats');
    expect(process.exitCode).toBe(2);
    expect(stderr.join('')).toMatch(/^tourniquet: stats needs the incident table: pass --stack <name>.*\n$/);
    expect(stdout).toEqual([]);
  });

  it('orders rows by service, then mitigation', () => {
    const record = (service: string, type: MitigationType) => ({ service, type, tried: 1, effective: 0, ineffective: 0, reverted: 0, escalated: 0, mttmSamples: [] });
    expect(statsRows([record('b', 'waf-block'), record('a', 'waf-block'), record('a', 'ecs-rollback')]).map((r) => `${r.service} ${r.mitigation}`)).toEqual([
      'a ecs-rollback',
      'a waf-block',
      'b waf-block',
    ]);
  });
});
