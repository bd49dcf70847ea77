import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';

import { approvalKey } from '../../../lambdas/store/approval-keys.js';
import { approvalState, ApprovalStore, type NewApproval } from '../../../lambdas/store/approvals.js';
import { IncidentNotFoundError, StoreError } from '../../../lambdas/store/errors.js';
import { approvalTable, candidate, EXECUTION_ARN, INCIDENT_ID, manualClock, SECRET_ARN, T0 } from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();

const iso = (offsetSeconds: number) => new Date(T0 + offsetSeconds * 1000).toISOString();

const newApproval = (approvalId: string, requestedOffset = 0, overrides: Partial<NewApproval> = {}): NewApproval => ({
  incidentId: INCIDENT_ID,
  approvalId,
  service: 'checkout',
  severity: 'SEV2',
  candidate,
  executionArn: EXECUTION_ARN,
  requestedAt: iso(requestedOffset),
  expiresAt: iso(requestedOffset + 900),
  timeoutSeconds: 900,
  sealedTaskToken: 'v1.sealed.token.here',
  tokenSecretId: SECRET_ARN,
  ...overrides,
});

const claim = { decision: 'approved' as const, by: 'email link', via: 'email-link' as const, reason: 'only change in the window' };

async function setup() {
  const time = manualClock();
  const tables = await approvalTable(db.client, await db.newTable(), time.clock);
  return { ...time, ...tables };
}

describe('ApprovalStore', () => {
  it('creates a PENDING approval under the incident, keyed APPROVAL#<id>', async () => {
    const { approvals, tableName } = await setup();
    const record = await approvals.create(newApproval('apr-1'));
    expect(record).toMatchObject({ status: 'PENDING', expiresAt: iso(900), expiresAtEpoch: T0 / 1000 + 900 });
    expect(await approvals.get(INCIDENT_ID, 'apr-1')).toEqual(record);
    const item = await db.client.send(new GetCommand({ TableName: tableName, Key: approvalKey(INCIDENT_ID, 'apr-1') }));
    expect(item.Item).toMatchObject({ pk: `INCIDENT#${INCIDENT_ID}`, sk: 'APPROVAL#apr-1', entity: 'approval' });
    // The table's TTL attribute holds a string here, which TTL ignores: the audit record stays.
    expect(typeof item.Item!.expiresAt).toBe('string');
  });

  it('refuses an approval for an unknown incident, and a duplicate id', async () => {
    const { approvals } = await setup();
    await expect(approvals.create({ ...newApproval('apr-1'), incidentId: 'inc-unknown' })).rejects.toBeInstanceOf(IncidentNotFoundError);
    await approvals.create(newApproval('apr-1'));
    await expect(approvals.create(newApproval('apr-1'))).rejects.toThrow(/already exists/);
  });

  it('lets exactly one of two concurrent claims decide', async () => {
    const { approvals } = await setup();
    await approvals.create(newApproval('apr-1'));
    const results = await Promise.all([approvals.claimDecision(INCIDENT_ID, 'apr-1', claim), approvals.claimDecision(INCIDENT_ID, 'apr-1', { ...claim, decision: 'rejected' })]);
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const loser = results.find((r) => !r.claimed);
    expect(loser).toMatchObject({ claimed: false, state: 'decided' });
    const stored = await approvals.get(INCIDENT_ID, 'apr-1');
    expect(stored).toMatchObject({ status: 'DECIDED', decidedBy: 'email link', decidedVia: 'email-link', decidedAt: iso(0) });
  });

  it('refuses to claim an expired approval, and reports unknown ones', async () => {
    const { approvals, advance, clock } = await setup();
    await approvals.create(newApproval('apr-1'));
    advance(900);
    const result = await approvals.claimDecision(INCIDENT_ID, 'apr-1', claim);
    expect(result).toMatchObject({ claimed: false, state: 'expired', record: { status: 'PENDING' } });
    expect(approvalState((await approvals.get(INCIDENT_ID, 'apr-1'))!, clock())).toBe('expired');
    await expect(approvals.claimDecision(INCIDENT_ID, 'apr-nope', claim)).resolves.toEqual({ claimed: false, state: 'not-found' });
  });

  it('releases only its own undelivered claim, back to PENDING', async () => {
    const { approvals } = await setup();
    await approvals.create(newApproval('apr-1'));
    const first = await approvals.claimDecision(INCIDENT_ID, 'apr-1', claim);
    if (!first.claimed) throw new Error('expected a claim');
    expect(await approvals.releaseClaim(INCIDENT_ID, 'apr-1', 'someone-else')).toBe(false);
    expect(await approvals.releaseClaim(INCIDENT_ID, 'apr-1', first.claimId)).toBe(true);
    const released = await approvals.get(INCIDENT_ID, 'apr-1');
    expect(released).toMatchObject({ status: 'PENDING', sealedTaskToken: 'v1.sealed.token.here' });
    expect(released).not.toHaveProperty('decision');
    expect(released).not.toHaveProperty('claimId');

    const second = await approvals.claimDecision(INCIDENT_ID, 'apr-1', claim);
    if (!second.claimed) throw new Error('expected a claim');
    expect(await approvals.recordDelivery(INCIDENT_ID, 'apr-1', second.claimId, 'delivered')).toBe(true);
    expect(await approvals.releaseClaim(INCIDENT_ID, 'apr-1', second.claimId)).toBe(false);
  });

  it('records the delivery and drops the sealed token', async () => {
    const { approvals, advance } = await setup();
    await approvals.create(newApproval('apr-1'));
    const result = await approvals.claimDecision(INCIDENT_ID, 'apr-1', claim);
    if (!result.claimed) throw new Error('expected a claim');
    advance(1);
    expect(await approvals.recordDelivery(INCIDENT_ID, 'apr-1', 'not-mine', 'delivered')).toBe(false);
    expect(await approvals.recordDelivery(INCIDENT_ID, 'apr-1', result.claimId, 'task-gone', 'TaskTimedOut')).toBe(true);
    const stored = await approvals.get(INCIDENT_ID, 'apr-1');
    expect(stored).toMatchObject({ status: 'DECIDED', delivery: 'task-gone', deliveryDetail: 'TaskTimedOut', deliveredAt: iso(1) });
    expect(stored).not.toHaveProperty('sealedTaskToken');
  });

  it('supersedes older pending approvals, leaving decided ones alone, and finds the newest pending one', async () => {
    const { approvals, advance } = await setup();
    await approvals.create(newApproval('apr-1', 0));
    await approvals.create(newApproval('apr-2', 10));
    await approvals.claimDecision(INCIDENT_ID, 'apr-2', claim);
    await approvals.create(newApproval('apr-3', 20));
    advance(30);
    await approvals.create(newApproval('apr-4', 30));

    expect(await approvals.supersedeOthers(INCIDENT_ID, 'apr-4')).toBe(2);
    const all = await approvals.list(INCIDENT_ID);
    expect(all.map((r) => [r.approvalId, r.status])).toEqual([
      ['apr-1', 'SUPERSEDED'],
      ['apr-2', 'DECIDED'],
      ['apr-3', 'SUPERSEDED'],
      ['apr-4', 'PENDING'],
    ]);
    expect(all[0]).toMatchObject({ supersededBy: 'apr-4', supersededAt: iso(30) });
    expect((await approvals.findPending(INCIDENT_ID))?.approvalId).toBe('apr-4');
    expect(await approvals.claimDecision(INCIDENT_ID, 'apr-1', claim)).toMatchObject({ claimed: false, state: 'superseded' });
  });

  it('finds no pending approval once the newest has expired', async () => {
    const { approvals, advance } = await setup();
    await approvals.create(newApproval('apr-1'));
    expect(await approvals.findPending(INCIDENT_ID)).toBeDefined();
    advance(900);
    expect(await approvals.findPending(INCIDENT_ID)).toBeUndefined();
    expect(await approvals.list('inc-unknown')).toEqual([]);
  });

  it('wraps DynamoDB failures in StoreError naming the table', async () => {
    const broken = new ApprovalStore({ tableName: 'no-such-table', client: db.client });
    await expect(broken.get(INCIDENT_ID, 'apr-1')).rejects.toThrow(StoreError);
    await expect(broken.get(INCIDENT_ID, 'apr-1')).rejects.toThrow(/no-such-table/);
  });
});
