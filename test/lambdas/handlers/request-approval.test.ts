import { describe, expect, it } from '@jest/globals';

import { createRequestApprovalHandler } from '../../../lambdas/handlers/request-approval.js';
import { approvalEvent, approvalTable, fakePublisher, INCIDENT_ID, manualClock, requestApprovalDeps, T0 } from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

/** The handler parses the AwaitApproval event and runs the operation (tested in test/lambdas/operations/request-approval.test.ts). */

const db = useDynamoDbLocal();

async function setup() {
  const time = manualClock();
  const tables = await approvalTable(db.client, await db.newTable(), time.clock);
  const publisher = fakePublisher();
  const handler = createRequestApprovalHandler(requestApprovalDeps(tables, publisher, time.clock, () => 'apr-handler-1'));
  return { ...tables, publisher, handler };
}

describe('request-approval handler', () => {
  it('records and sends the request, and applies the default timeout of 15 minutes', async () => {
    const { handler, approvals } = await setup();
    const { timeoutSeconds: _omitted, ...event } = approvalEvent();
    expect(await handler(event)).toEqual({ approvalId: 'apr-handler-1', expiresAt: new Date(T0 + 900_000).toISOString(), messageIds: ['msg-1', 'msg-2', 'msg-3'] });
    expect(await approvals.get(INCIDENT_ID, 'apr-handler-1')).toMatchObject({ status: 'PENDING', timeoutSeconds: 900 });
  });

  it('rejects a malformed event before writing or publishing anything', async () => {
    const { handler, publisher, approvals } = await setup();
    await expect(handler(approvalEvent({ taskToken: '' }))).rejects.toThrow();
    await expect(handler(approvalEvent({ candidate: { type: 'reboot-everything' } }))).rejects.toThrow();
    await expect(handler(approvalEvent({ executionArn: 'not-an-arn' }))).rejects.toThrow();
    expect(publisher.published).toEqual([]);
    expect(await approvals.list(INCIDENT_ID)).toEqual([]);
  });
});
