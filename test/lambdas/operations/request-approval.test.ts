import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import { openTaskToken, verifyApprovalLink } from '../../../lambdas/core/approval-link.js';
import { requestApproval, type RequestApprovalDeps, RequestApprovalEventSchema } from '../../../lambdas/operations/request-approval.js';
import { approvalKey } from '../../../lambdas/store/approval-keys.js';
import { checkout } from '../../fixtures/workflow.js';
import {
  approvalEvent,
  approvalTable,
  APPROVER_EMAILS,
  APPROVERS_TOPIC,
  ENDPOINT,
  ESCALATION_TOPIC,
  fakePublisher,
  INCIDENT_ID,
  linkToken,
  manualClock,
  requestApprovalDeps,
  SECRET,
  SECRET_ARN,
  STATUS_TOPIC,
  T0,
  TASK_TOKEN,
} from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

const db = useDynamoDbLocal();

async function setup(overrides: Partial<RequestApprovalDeps> = {}) {
  const time = manualClock();
  const tables = await approvalTable(db.client, await db.newTable(), time.clock);
  const publisher = fakePublisher();
  let n = 0;
  const deps: RequestApprovalDeps = { ...requestApprovalDeps(tables, publisher, time.clock, () => `apr-test-${++n}`), ...overrides };
  /** The operation on an event as the workflow sends it. */
  const request = (event: unknown) => requestApproval(deps, RequestApprovalEventSchema.parse(event));
  return { ...time, ...tables, publisher, request };
}

describe('requestApproval', () => {
  it('counts ApprovalsRequested once the approvers were sent the request; a request SNS refused counts nothing', async () => {
    const metrics = new MemoryMetricsSink();
    const { request } = await setup({ metrics });
    await request(approvalEvent());
    expect(metrics.records.map((m) => [m.name, m.value, m.dimensions])).toEqual([['ApprovalsRequested', 1, { service: 'checkout', mitigation: 'feature-flag-off' }]]);

    const refused = new MemoryMetricsSink();
    const failing = await setup({ metrics: refused, publisher: { publish: async () => Promise.reject(new Error('SNS is down')) } });
    await expect(failing.request(approvalEvent())).rejects.toThrow('SNS is down');
    expect(refused.records).toEqual([]);
  });

  it('stores a PENDING approval with the task token sealed, never in the clear', async () => {
    const { request, approvals, tableName } = await setup();
    const result = await request(approvalEvent());
    expect(result).toEqual({ approvalId: 'apr-test-1', expiresAt: new Date(T0 + 900_000).toISOString(), messageIds: ['msg-1', 'msg-2', 'msg-3'] });

    const record = await approvals.get(INCIDENT_ID, 'apr-test-1');
    expect(record).toMatchObject({
      status: 'PENDING',
      service: 'checkout',
      severity: 'SEV2',
      candidate: { type: 'feature-flag-off', risk: 'medium' },
      requestedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 900_000).toISOString(),
      tokenSecretId: SECRET_ARN,
      recipients: APPROVER_EMAILS,
    });
    const raw = await db.client.send(new GetCommand({ TableName: tableName, Key: approvalKey(INCIDENT_ID, 'apr-test-1') }));
    expect(JSON.stringify(raw.Item)).not.toContain(TASK_TOKEN.slice(0, 40));
    expect(openTaskToken(record!.sealedTaskToken!, SECRET, { incidentId: INCIDENT_ID, approvalId: 'apr-test-1' })).toBe(TASK_TOKEN);
  });

  it('publishes Approve and Reject links to the approvers topic only; status and (SEV2) escalation hear of it without links', async () => {
    const { request, publisher, clock } = await setup();
    await request(approvalEvent());
    expect(publisher.published.map((p) => p.topicArn)).toEqual([APPROVERS_TOPIC, STATUS_TOPIC, ESCALATION_TOPIC]);
    for (const notice of publisher.published.slice(1)) {
      expect(notice.message).not.toContain(ENDPOINT);
      expect(notice.message).not.toMatch(/approval\?t=/);
      expect(notice.subject).toBe(`[SEV2] Waiting for approval: feature-flag-off for checkout (${INCIDENT_ID})`);
      expect(notice.message).toContain('The approvers (lead@example.com, sre@example.com) were sent the approval links.');
      expect(notice.message).toContain(`npx tourniquet approve ${INCIDENT_ID} --reason "…"`);
    }
    const [message] = publisher.published;
    expect(message!.subject).toBe(`[SEV2] APPROVAL NEEDED: feature-flag-off for checkout (${INCIDENT_ID})`);
    expect(message!.attributes).toEqual({ incidentId: INCIDENT_ID, status: 'ApprovalRequested', severity: 'SEV2' });

    for (const [label, action] of [
      ['Approve', 'approve'],
      ['Reject', 'reject'],
    ] as const) {
      const token = linkToken(message!.message, label);
      expect(message!.message).toContain(`${ENDPOINT}approval?t=${token}`);
      const link = verifyApprovalLink(token, SECRET, clock());
      expect(link).toMatchObject({ ok: true, payload: { incidentId: INCIDENT_ID, approvalId: 'apr-test-1', action, exp: T0 / 1000 + 900 } });
    }
  });

  it('says what, why, the risk, who is affected, the expiry and the CLI alternative', async () => {
    const { request, publisher, tableName } = await setup();
    await request(approvalEvent({ service: checkout, alarmName: 'checkout-5xx-rate' }));
    const text = publisher.published[0]!.message;
    expect(text).toContain('feature-flag-off on flag new-checkout-flow in abc1234/env5678/prof901');
    expect(text).toContain('it is the only change in the window');
    expect(text).toMatch(/Risk\n {2}medium/);
    const impact = checkout.alarms.find((a) => a.name === 'checkout-5xx-rate')?.impact;
    expect(impact).toBeDefined();
    expect(text).toContain(`Who is affected\n  ${impact}`);
    expect(text).toContain('expire at 2026-11-23 03:26:00 UTC (15 minutes after this request)');
    expect(text).toContain(`npx tourniquet approve ${INCIDENT_ID} --reason "…" --table ${tableName} --region us-east-1`);
    expect(text).toContain(`npx tourniquet reject ${INCIDENT_ID} --reason "…"`);
    expect(text).toContain('Approval apr-test-1');
  });

  it('tells only the status topic besides the approvers for SEV3, and honours timeoutSeconds', async () => {
    const { request, publisher, approvals } = await setup();
    await request(approvalEvent({ severity: 'SEV3', timeoutSeconds: 120, impact: 'Internal dashboards are stale.' }));
    expect(publisher.published.map((p) => p.topicArn)).toEqual([APPROVERS_TOPIC, STATUS_TOPIC]);
    expect(publisher.published[0]!.message).toContain('Internal dashboards are stale.');
    expect(publisher.published[0]!.message).toContain('(2 minutes after this request)');
    expect((await approvals.get(INCIDENT_ID, 'apr-test-1'))?.expiresAt).toBe(new Date(T0 + 120_000).toISOString());
  });

  it('records the request on the timeline', async () => {
    const { request, incidents } = await setup();
    await request(approvalEvent());
    const events = await incidents.listTimeline(INCIDENT_ID);
    expect(events.at(-1)).toMatchObject({
      kind: 'decision',
      message: expect.stringMatching(/^Approval requested for feature-flag-off on flag new-checkout-flow .* \(risk medium\); expires 2026-11-23 03:26:00 UTC$/),
      data: { approval: 'requested', approvalId: 'apr-test-1', recipients: 'lead@example.com, sre@example.com' },
    });
  });

  it('without approver emails still publishes the links to the approvers topic and tells the status list to use the CLI', async () => {
    const { request, publisher, approvals } = await setup({ approverEmails: [] });
    await request(approvalEvent({ severity: 'SEV3' }));
    expect(publisher.published[1]!.message).toContain('No approver emails are configured: answer with the CLI.');
    expect((await approvals.get(INCIDENT_ID, 'apr-test-1'))?.recipients).toEqual([]);
  });

  it('never puts the task token in a message or on the timeline', async () => {
    const { request, publisher, incidents } = await setup();
    await request(approvalEvent());
    for (const message of publisher.published) expect(JSON.stringify(message)).not.toContain(TASK_TOKEN.slice(0, 40));
    expect(JSON.stringify(await incidents.listTimeline(INCIDENT_ID))).not.toContain(TASK_TOKEN.slice(0, 40));
  });

  it('supersedes the previous pending request when asked again (a retry or the next candidate)', async () => {
    const { request, approvals, advance } = await setup();
    await request(approvalEvent());
    advance(5);
    await request(approvalEvent());
    expect((await approvals.list(INCIDENT_ID)).map((r) => [r.approvalId, r.status])).toEqual([
      ['apr-test-1', 'SUPERSEDED'],
      ['apr-test-2', 'PENDING'],
    ]);
  });
});
