import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { NO_METRICS } from '../../lambdas/adapters/memory-metrics.js';
import type { ApprovalCandidate } from '../../lambdas/core/approval-link.js';
import type { RequestApprovalDeps } from '../../lambdas/operations/request-approval.js';
import { ApprovalStore } from '../../lambdas/store/approvals.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { openIncidentAt } from './incidents.js';

/** Shared setup for the approval tests: a hand-driven clock, stores on one table, an open incident. */

export const SECRET = 'test-approval-secret-0123456789abcdef0123456789abcdef';
export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tourniquet-approval-AbCdEf';
export const STATUS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-status';
export const ESCALATION_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-escalation';
export const APPROVERS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-approvers';
export const APPROVER_EMAILS = ['lead@example.com', 'sre@example.com'];
export const ENDPOINT = 'https://abcdefghij.lambda-url.us-east-1.on.aws/';
export const INCIDENT_ID = 'inc-20261123T031000Z-abcd1234';
export const EXECUTION_ARN = `arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:checkout-5xx-rate-20261123T031000Z-abcd1234`;
export const T0 = Date.parse('2026-11-23T03:11:00.000Z');
/** A Step Functions task token looks like this: long, opaque, base64-ish. */
export const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeXmplTaskToken+secret/part==' + 'x'.repeat(200);

export const candidate: ApprovalCandidate = {
  type: 'feature-flag-off',
  target: 'flag new-checkout-flow in abc1234/env5678/prof901',
  rationale: 'Flag new-checkout-flow was switched on 7 minutes before the alarm; it is the only change in the window.',
  risk: 'medium',
};

/** A clock the test moves by hand. */
export function manualClock(start = T0) {
  let now = start;
  return {
    clock: () => new Date(now),
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

/** Stores over a fresh table, with an open incident {@link INCIDENT_ID}. */
export async function approvalTable(client: DynamoDBDocumentClient, tableName: string, clock: () => Date) {
  const incidents = new IncidentStore({ tableName, client, clock });
  const approvals = new ApprovalStore({ tableName, client, clock });
  const openedAt = new Date(T0 - 60_000).toISOString();
  await openIncidentAt(incidents, {
    id: INCIDENT_ID,
    service: 'checkout',
    execution: { id: EXECUTION_ARN, name: 'checkout-5xx-rate-20261123T031000Z-abcd1234' },
    openedAt,
    leaseUntil: new Date(T0 + 60 * 60_000).toISOString(),
  });
  return { incidents, approvals, tableName };
}

/** The event the `AwaitApproval` state sends to request-approval. */
export const approvalEvent = (overrides: Record<string, unknown> = {}) => ({
  taskToken: TASK_TOKEN,
  incidentId: INCIDENT_ID,
  severity: 'SEV2',
  service: 'checkout',
  candidate: { ...candidate, params: { flag: 'new-checkout-flow' }, executable: true },
  executionArn: EXECUTION_ARN,
  timeoutSeconds: 900,
  ...overrides,
});

/** A publisher that remembers what it was asked to send. */
export function fakePublisher() {
  const published: { topicArn: string; subject?: string; message: string; attributes?: Record<string, string> }[] = [];
  return {
    published,
    publish: async (request: (typeof published)[number]) => {
      published.push(request);
      return { messageId: `msg-${published.length}` };
    },
  };
}

/** Secrets Manager stand-in: the one test secret, whatever id is asked. */
export const fakeSecrets = (secret = SECRET) => ({ getSecret: async (_id: string) => secret });

/** The `t` token of the first link in a message that goes to `/approval`, for the given action line. */
export function linkToken(message: string, label: 'Approve' | 'Reject'): string {
  const lines = message.split('\n');
  const at = lines.findIndex((line) => line.startsWith(label));
  const url = new URL(lines[at + 1]!.trim());
  return url.searchParams.get('t')!;
}

/** The request-approval dependencies over a test table, with the shared fixtures (handler and operation tests). */
export function requestApprovalDeps(
  tables: Awaited<ReturnType<typeof approvalTable>>,
  publisher: ReturnType<typeof fakePublisher>,
  clock: () => Date,
  newId: () => string,
): RequestApprovalDeps {
  return {
    approvals: tables.approvals,
    incidents: tables.incidents,
    publisher,
    secret: async () => SECRET,
    secretId: SECRET_ARN,
    endpointUrl: ENDPOINT,
    tableName: tables.tableName,
    statusTopicArn: STATUS_TOPIC,
    escalationTopicArn: ESCALATION_TOPIC,
    approversTopicArn: APPROVERS_TOPIC,
    approverEmails: APPROVER_EMAILS,
    metrics: NO_METRICS,
    clock,
    newId,
  };
}
