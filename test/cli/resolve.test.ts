import { describe, expect, it } from '@jest/globals';

import { registerAck, registerResolve } from '../../cli/commands/resolve.js';
import type { IncidentStatus } from '../../lambdas/core/model.js';
import { acknowledgeIncident, IncidentActionError, resolveIncident } from '../../lambdas/operations/resolve.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { fakePublisher, STATUS_TOPIC } from '../support/approvals.js';
import { useCli } from '../support/cli.js';
import { useDynamoDbLocal } from '../support/dynamodb.js';
import { openIncidentAt } from '../support/incidents.js';

const db = useDynamoDbLocal();

const T0 = Date.parse('2026-11-23T04:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const ID = 'inc-20261123T031000Z-abcd1234';

/** A table with one checkout incident walked to `status`, a store with a hand-driven clock. */
async function setup(status: IncidentStatus = 'ESCALATED', id = ID, service = 'checkout') {
  let now = T0;
  const clock = () => new Date(now);
  const tableName = await db.newTable();
  const store = new IncidentStore({ tableName, client: db.client, clock });
  await openIncidentAt(store, { id, service, status, openedAt: at(-50), leaseUntil: at(60) });
  return { store, clock, tableName, advance: (minutes: number) => void (now += minutes * 60_000) };
}

describe('acknowledgeIncident', () => {
  it('takes an ESCALATED incident: ACKNOWLEDGED by whom and when, on the timeline and the status topic', async () => {
    const { store, clock } = await setup('ESCALATED');
    const publisher = fakePublisher();
    const result = await acknowledgeIncident({ store, clock, publisher, statusTopicArn: STATUS_TOPIC }, ID, 'alice', 'looking at the DB');

    expect(result).toBe(`${ID} acknowledged by alice`);
    expect(await store.getIncident(ID)).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedAt: at(0), acknowledgedBy: 'alice' });
    expect(await store.getEpisode('checkout')).toMatchObject({ status: 'ACKNOWLEDGED' });
    expect((await store.listTimeline(ID)).at(-1)).toEqual({
      at: at(0),
      kind: 'acknowledged',
      message: 'Acknowledged by alice: looking at the DB. Re-pages stop; a reminder still comes at least daily until the incident is resolved.',
    });
    expect(publisher.published).toEqual([
      expect.objectContaining({
        topicArn: STATUS_TOPIC,
        subject: '[SEV2][Escalated] checkout: checkout-5xx-rate',
        attributes: { incidentId: ID, status: 'Escalated', severity: 'SEV2' },
      }),
    ]);
    expect(publisher.published[0]!.message).toContain('alice has the incident.');
  });

  it.each(['OPEN', 'MITIGATING', 'WATCHING'] as const)('refuses an incident the automation still holds (%s), changing nothing', async (status) => {
    const { store, clock } = await setup(status);
    const error = await acknowledgeIncident({ store, clock }, ID, 'alice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncidentActionError);
    expect((error as Error).message).toBe(
      `${ID} is ${status}: only an ESCALATED incident can be acknowledged (the automation is still working on it; tourniquet resolve closes it outright)`,
    );
    expect((await store.getIncident(ID)).status).toBe(status);
    expect((await store.listTimeline(ID)).filter((e) => e.kind === 'acknowledged')).toEqual([]);
  });

  it('refuses a resolved incident', async () => {
    const { store, clock } = await setup('RESOLVED');
    await expect(acknowledgeIncident({ store, clock }, ID, 'alice')).rejects.toThrow(`${ID} is RESOLVED: only an ESCALATED incident can be acknowledged`);
  });

  it('says who has it when it is already acknowledged, changing nothing', async () => {
    const { store, clock } = await setup('ESCALATED');
    await acknowledgeIncident({ store, clock }, ID, 'alice');
    expect(await acknowledgeIncident({ store, clock }, ID, 'bob')).toBe(`${ID} was already acknowledged by alice`);
    expect((await store.getIncident(ID)).acknowledgedBy).toBe('alice');
    expect((await store.listTimeline(ID)).filter((e) => e.kind === 'acknowledged')).toHaveLength(1);
  });

  it('fails without writing when someone else moved the incident after it was read', async () => {
    const { store, clock } = await setup('ESCALATED');
    const racing = {
      getIncident: async (id: string) => {
        const incident = await store.getIncident(id);
        await store.transition(id, 'RESOLVED', { from: ['ESCALATED'] });
        return incident;
      },
      appendTimeline: store.appendTimeline.bind(store),
      transition: store.transition.bind(store),
      listActions: store.listActions.bind(store),
      listTimeline: store.listTimeline.bind(store),
      updateIncident: store.updateIncident.bind(store),
    };
    await expect(acknowledgeIncident({ store: racing, clock }, ID, 'alice')).rejects.toThrow(`${ID} changed while acknowledging it`);
    expect(await store.getIncident(ID)).not.toHaveProperty('acknowledgedBy');
  });

  it('throws for an unknown incident', async () => {
    const { store, clock } = await setup('ESCALATED');
    await expect(acknowledgeIncident({ store, clock }, 'inc-nope', 'alice')).rejects.toMatchObject({ name: 'IncidentNotFoundError' });
  });
});

describe('resolveIncident', () => {
  it.each(['OPEN', 'MITIGATING', 'WATCHING', 'ESCALATED', 'ACKNOWLEDGED'] as const)(
    'resolves from %s: RESOLVED, off the active index, the flap cooldown on the pointer',
    async (status) => {
      const { store, clock } = await setup(status);
      expect(await store.countActiveIncidents()).toBe(1);

      expect(await resolveIncident({ store, clock, flapCooldownMinutes: 45 }, ID, 'alice', 'DB failover done')).toBe(`${ID} resolved by alice`);
      expect(await store.getIncident(ID)).toMatchObject({ status: 'RESOLVED', resolvedAt: at(0), resolvedBy: 'alice' });
      expect(await store.getEpisode('checkout')).toMatchObject({ status: 'RESOLVED', reopenUntil: at(45) });
      expect(await store.countActiveIncidents()).toBe(0);
      expect((await store.listTimeline(ID)).at(-1)).toEqual({
        at: at(0),
        kind: 'resolved',
        message: 'Resolved by alice: DB failover done',
        data: { by: 'alice', reason: 'DB failover done' },
      });
    },
  );

  it('keeps the pointer for 30 minutes by default, and announces Resolved on the status topic', async () => {
    const { store, clock } = await setup('ACKNOWLEDGED');
    const publisher = fakePublisher();
    await resolveIncident({ store, clock, publisher, statusTopicArn: STATUS_TOPIC }, ID, 'alice');
    expect((await store.getEpisode('checkout'))?.reopenUntil).toBe(at(30));
    expect(publisher.published).toEqual([
      expect.objectContaining({
        topicArn: STATUS_TOPIC,
        subject: '[SEV2][Resolved] checkout: checkout-5xx-rate',
        attributes: { incidentId: ID, status: 'Resolved', severity: 'SEV2' },
      }),
    ]);
    expect(publisher.published[0]!.message).toContain(`to print it again: tourniquet postmortem ${ID}`);
    expect(publisher.published[0]!.message).toContain('Resolved by alice.');
  });

  it('says so when the incident is already resolved, changing nothing and announcing nothing', async () => {
    const { store, clock, advance } = await setup('ESCALATED');
    await resolveIncident({ store, clock }, ID, 'alice');
    advance(5);
    const publisher = fakePublisher();
    expect(await resolveIncident({ store, clock, publisher, statusTopicArn: STATUS_TOPIC }, ID, 'bob')).toBe(`${ID} was already resolved at ${at(0)}`);
    expect(await store.getIncident(ID)).toMatchObject({ resolvedBy: 'alice', resolvedAt: at(0) });
    expect(publisher.published).toEqual([]);
    expect((await store.listTimeline(ID)).filter((e) => e.kind === 'resolved')).toHaveLength(1);
  });

  it('an alarm of the service inside the flap cooldown finds the incident current, after it a new one may open', async () => {
    const { store, clock, advance } = await setup('ESCALATED');
    await resolveIncident({ store, clock, flapCooldownMinutes: 10 }, ID, 'alice');
    advance(9);
    expect((await store.findCurrentIncident('checkout'))?.incidentId).toBe(ID);
    advance(1);
    expect(await store.findCurrentIncident('checkout')).toBeUndefined();
  });
});

describe('tourniquet ack / resolve', () => {
  const { stdout, stderr, run } = useCli(db, registerAck, registerResolve);

  it('ack takes an escalated incident and prints one line; without a status topic it says nothing was sent', async () => {
    const { store, tableName } = await setup('ESCALATED');
    await run('ack', ID, '--table', tableName, '--by', 'alice', '--reason', 'on it');
    expect(stdout.join('')).toBe(`${ID} acknowledged by alice\n`);
    expect(stderr.join('')).toBe(
      'tourniquet: no status topic, so no acknowledgement was sent: pass --stack <name> or --status-topic <arn> (or set TOURNIQUET_STATUS_TOPIC), or --no-notify to mean it\n',
    );
    expect(process.exitCode).toBe(0);
    expect(await store.getIncident(ID)).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedBy: 'alice' });
  });

  it('ack of an incident the automation holds exits 2 with the reason', async () => {
    const { store, tableName } = await setup('MITIGATING');
    process.env.TOURNIQUET_TABLE = tableName;
    await run('ack', ID, '--by', 'alice', '--no-notify');
    expect(process.exitCode).toBe(2);
    expect(stderr.join('')).toBe(
      `tourniquet: ${ID} is MITIGATING: only an ESCALATED incident can be acknowledged (the automation is still working on it; tourniquet resolve closes it outright)\n`,
    );
    expect((await store.getIncident(ID)).status).toBe('MITIGATING');
  });

  it('resolve takes --flap-cooldown and --by; a second resolve says it was already resolved', async () => {
    const { store, tableName } = await setup('ACKNOWLEDGED');
    await run('resolve', ID, '--table', tableName, '--by', 'alice', '--flap-cooldown', '15', '--no-notify');
    expect(stdout.join('')).toBe(`${ID} resolved by alice\n`);
    expect(stderr).toEqual([]);
    const pointer = await store.getEpisode('checkout');
    expect(pointer?.status).toBe('RESOLVED');
    expect(Date.parse(pointer!.reopenUntil!) - Date.parse((await store.getIncident(ID)).resolvedAt!)).toBe(15 * 60_000);

    stdout.length = 0;
    await run('resolve', ID, '--table', tableName, '--by', 'bob', '--no-notify');
    expect(stdout.join('')).toMatch(new RegExp(`^${ID} was already resolved at `));
    expect((await store.getIncident(ID)).resolvedBy).toBe('alice');
  });

  it('needs a table (exit 2, before any AWS call), and exits 2 for an unknown incident, naming the table', async () => {
    await run('resolve', ID);
    expect(process.exitCode).toBe(2);
    expect(stderr.join('')).toBe('tourniquet: resolve needs the incident table: pass --stack <name> (its IncidentTableName output), --table, or set TOURNIQUET_TABLE\n');
    const { tableName } = await setup('ESCALATED');
    process.exitCode = undefined;
    stderr.length = 0;
    await run('ack', 'inc-nope', '--table', tableName, '--no-notify');
    expect(process.exitCode).toBe(2);
    expect(stderr.join('')).toBe(`tourniquet: incident inc-nope not found in table ${tableName} in us-east-1: tourniquet incidents lists the incidents there\n`);
  });
});
