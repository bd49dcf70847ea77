import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { registerAck, registerResolve } from '../../cli/commands/resolve.js';
import { registerIncidents, registerPostmortem, registerShow } from '../../cli/commands/views.js';
import { parseSince, parseStatuses } from '../../cli/views/incident-views.js';
import type { IncidentStatus } from '../../lambdas/core/model.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { useCli } from '../support/cli.js';
import { useDynamoDbLocal } from '../support/dynamodb.js';
import { openIncidentAt } from '../support/incidents.js';

/**
 * `tourniquet incidents|show|postmortem|ack|resolve` end to end: commander parses the flags, the
 * action resolves the table (flag, environment or a mocked CloudFormation DescribeStacks) and reads
 * and writes a DynamoDB Local table through the real store; SNS is mocked.
 */

const db = useDynamoDbLocal();
const cloudformation = mockClient(CloudFormationClient);
const sns = mockClient(SNSClient);

const T0 = Date.parse('2026-11-23T04:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const STATUS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:Tourniquet-Status';

/** Three incidents: checkout mitigated by a kill switch (WATCHING, 3 days ago), payments escalated (1 h ago), search resolved (10 min ago). */
async function table() {
  const tableName = await db.newTable();
  const store = new IncidentStore({ tableName, client: db.client, clock: () => new Date(T0) });
  const openAt = (id: string, service: string, status: IncidentStatus, openedMinute: number) =>
    openIncidentAt(store, { id, service, status, openedAt: at(openedMinute), leaseUntil: at(openedMinute + 60) });
  await openAt('inc-checkout', 'checkout', 'WATCHING', -3 * 24 * 60);
  await store.updateIncident('inc-checkout', { impactStartedAt: at(-3 * 24 * 60 - 3), mitigatedAt: at(-3 * 24 * 60 + 4) });
  await store.recordActionStart('inc-checkout', { cursor: 0, type: 'feature-flag-off', target: 'checkout/new-flow' });
  await store.completeAction('inc-checkout', 0, 'feature-flag-off', { status: 'applied', detail: 'flag new-flow off (deployment 7)' });
  await store.setActionEffect('inc-checkout', 0, 'feature-flag-off', 'restored');
  await store.appendTimeline('inc-checkout', { at: at(-3 * 24 * 60 + 4), kind: 'mitigation', message: 'Applied feature-flag-off on checkout/new-flow' });
  await openAt('inc-payments', 'payments', 'ESCALATED', -60);
  await openAt('inc-search', 'search', 'RESOLVED', -10);
  return { tableName, store };
}

describe('tourniquet incidents / show / postmortem / ack / resolve', () => {
  const { stdout, stderr, run } = useCli(db, registerIncidents, registerShow, registerPostmortem, registerAck, registerResolve);

  beforeEach(() => {
    cloudformation.reset();
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  const stackWith = (outputs: Record<string, string>) =>
    cloudformation.on(DescribeStacksCommand, { StackName: 'Tourniquet' }).resolves({
      Stacks: [
        {
          StackName: 'Tourniquet',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(T0),
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });

  it('incidents lists newest first as a table; --status, --service, --since and --limit narrow it', async () => {
    const { tableName } = await table();
    await run('incidents', '--table', tableName);
    expect(stdout.join('').split('\n')).toEqual([
      'INCIDENT      STATUS     SEV   SERVICE   OPENED                MTTM   ROUND  ALARMS',
      'inc-search    RESOLVED   SEV2  search    2026-11-23 03:50:00Z  -      0      search-5xx-rate',
      'inc-payments  ESCALATED  SEV2  payments  2026-11-23 03:00:00Z  -      0      payments-5xx-rate',
      'inc-checkout  WATCHING   SEV2  checkout  2026-11-20 04:00:00Z  4 min  0      checkout-5xx-rate',
      '',
    ]);
    expect(process.exitCode).toBe(0);

    const ids = async (...args: string[]) => {
      stdout.length = 0;
      await run('incidents', '--table', tableName, '--json', ...args);
      return (JSON.parse(stdout.join('')) as Array<{ incidentId: string }>).map((i) => i.incidentId);
    };
    expect(await ids('--status', 'escalated,watching')).toEqual(['inc-payments', 'inc-checkout']);
    expect(await ids('--service', 'checkout')).toEqual(['inc-checkout']);
    expect(await ids('--since', '2026-11-23T02:00Z')).toEqual(['inc-search', 'inc-payments']);
    expect(await ids('--limit', '1')).toEqual(['inc-search']);
    expect(await ids('--active')).toEqual(['inc-payments', 'inc-checkout']);
    expect(await ids('--status', 'RESOLVED', '--service', 'checkout')).toEqual([]);
  });

  it('incidents --json carries the metrics per incident', async () => {
    const { tableName } = await table();
    await run('incidents', '--table', tableName, '--json', '--service', 'checkout');
    expect(JSON.parse(stdout.join(''))).toEqual([
      expect.objectContaining({
        incidentId: 'inc-checkout',
        status: 'WATCHING',
        alarms: ['checkout-5xx-rate'],
        metrics: expect.objectContaining({ mttdSeconds: 180, mttmSeconds: 240, mttrSeconds: 420 }),
      }),
    ]);
  });

  it('bad view input exits 2 with one line, before any AWS call', async () => {
    for (const [args, line] of [
      [['--status', 'CLOSED'], '--status "CLOSED": use one or more of OPEN, MITIGATING, WATCHING, RESOLVED, ESCALATED, ACKNOWLEDGED, comma-separated'],
      [['--since', 'last week'], '--since "last week" is neither an ISO time (2026-11-23T03:00Z) nor a duration (30m, 24h, 7d, 2w)'],
      [['--limit', '0'], '--limit must be a whole number from 1 to 1000, got "0"'],
    ] as const) {
      stderr.length = 0;
      process.exitCode = undefined;
      await run('incidents', '--table', 'never-read', ...args);
      expect([stderr.join(''), process.exitCode]).toEqual([`tourniquet: ${line}\n`, 2]);
    }
  });

  it('show prints the record, metrics, timeline and actions; --json the same as data', async () => {
    const { tableName } = await table();
    await run('show', 'inc-checkout', '--table', tableName);
    const text = stdout.join('');
    expect(text).toContain(
      'inc-checkout  WATCHING  SEV2  checkout\n  alarm        checkout-5xx-rate\n  opened       2026-11-20 04:00:00Z\n  impact from  2026-11-20 03:57:00Z\n  mitigated    2026-11-20 04:04:00Z\n',
    );
    expect(text).toContain('  metrics      MTTD 3 min  MTTM 4 min  MTTR 7 min  (SEV2 target 120 min: met)\n');
    expect(text).toContain(
      'Timeline (2)\n  2026-11-20 04:00:00Z  incident-opened  Incident inc-checkout opened\n  2026-11-20 04:04:00Z  mitigation       Applied feature-flag-off',
    );
    expect(text).toContain('Actions (1)\n  #0  feature-flag-off on checkout/new-flow  applied  2026-11-23 04:00:00Z  effect: restored\n      flag new-flow off (deployment 7)\n');

    stdout.length = 0;
    await run('show', 'inc-checkout', '--table', tableName, '--json');
    const json = JSON.parse(stdout.join(''));
    expect(json).toMatchObject({ incident: { incidentId: 'inc-checkout', status: 'WATCHING' }, metrics: { mttmSeconds: 240 } });
    expect(json.timeline).toHaveLength(2);
    expect(json.actions).toEqual([expect.objectContaining({ type: 'feature-flag-off', effect: 'restored' })]);
  });

  it('show and postmortem of an unknown incident exit 2, naming the table and region', async () => {
    const { tableName } = await table();
    await run('show', 'inc-nope', '--table', tableName);
    expect([stderr.join(''), process.exitCode]).toEqual([
      `tourniquet: incident inc-nope not found in table ${tableName} in us-east-1: tourniquet incidents lists the incidents there\n`,
      2,
    ]);
  });

  it('postmortem prints the Markdown draft; --json wraps it with the metrics', async () => {
    const { tableName } = await table();
    await run('postmortem', 'inc-checkout', '--table', tableName);
    const markdown = stdout.join('');
    expect(markdown).toMatch(/^# Postmortem draft: inc-checkout\n/);
    expect(markdown).toContain('feature-flag-off on checkout/new-flow');

    stdout.length = 0;
    await run('postmortem', 'inc-checkout', '--table', tableName, '--json');
    const json = JSON.parse(stdout.join(''));
    expect(json).toMatchObject({ incidentId: 'inc-checkout', service: 'checkout', status: 'WATCHING', metrics: { mttdSeconds: 180, mttmSeconds: 240 } });
    expect(json.markdown).toBe(markdown.replace(/\n$/, ''));
  });

  it('--stack reads the table from the stack outputs with one DescribeStacks call', async () => {
    const { tableName } = await table();
    stackWith({ IncidentTableName: tableName, StatusTopicArn: STATUS_TOPIC });
    await run('incidents', '--stack', 'Tourniquet', '--json');
    expect(JSON.parse(stdout.join(''))).toHaveLength(3);
    expect(cloudformation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('resolve --stack sends the Resolved update to the StatusTopicArn output; ack tells it who has the incident', async () => {
    const { tableName, store } = await table();
    stackWith({ IncidentTableName: tableName, StatusTopicArn: STATUS_TOPIC });
    await run('ack', 'inc-payments', '--stack', 'Tourniquet', '--by', 'alice');
    expect(stdout.join('')).toBe('inc-payments acknowledged by alice\n');
    await run('resolve', 'inc-payments', '--stack', 'Tourniquet', '--by', 'alice', '--reason', 'replica promoted by hand');
    expect(stdout.join('')).toBe('inc-payments acknowledged by alice\ninc-payments resolved by alice\n');
    expect(stderr).toEqual([]);
    expect((await store.getIncident('inc-payments')).status).toBe('RESOLVED');
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.TopicArn)).toEqual([STATUS_TOPIC, STATUS_TOPIC]);
    expect(published[1]!.Message).toContain('Resolved by alice: replica promoted by hand');
  });

  it('resolve --no-notify publishes nothing and does not look for a topic', async () => {
    const { tableName } = await table();
    await run('resolve', 'inc-payments', '--table', tableName, '--no-notify', '--by', 'bob');
    expect(stdout.join('')).toBe('inc-payments resolved by bob\n');
    expect(stderr).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('resolve with a table but no topic resolves and says in one line that no update went out', async () => {
    const { tableName, store } = await table();
    await run('resolve', 'inc-payments', '--table', tableName, '--by', 'bob');
    expect(stderr.join('')).toBe(
      'tourniquet: no status topic, so no Resolved update was sent: pass --stack <name> or --status-topic <arn> (or set TOURNIQUET_STATUS_TOPIC), or --no-notify to mean it\n',
    );
    expect(process.exitCode).toBe(0);
    expect((await store.getIncident('inc-payments')).status).toBe('RESOLVED');
  });
});

describe('view input parsing', () => {
  const now = new Date('2026-11-23T04:00:00.000Z');
  it('--since takes an ISO time or a duration back from now', () => {
    expect(parseSince('24h', now)).toBe('2026-11-22T04:00:00.000Z');
    expect(parseSince('7d', now)).toBe('2026-11-16T04:00:00.000Z');
    expect(parseSince('30m', now)).toBe('2026-11-23T03:30:00.000Z');
    expect(parseSince('2w', now)).toBe('2026-11-09T04:00:00.000Z');
    expect(parseSince('2026-11-01T00:00:00+01:00', now)).toBe('2026-10-31T23:00:00.000Z');
    expect(() => parseSince('-1d', now)).toThrow('--since "-1d"');
  });
  it('--status takes a comma-separated list in any case', () => {
    expect(parseStatuses('open, Mitigating')).toEqual(['OPEN', 'MITIGATING']);
    expect(() => parseStatuses(',')).toThrow('--status');
  });
});
