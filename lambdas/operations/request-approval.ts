import * as z from 'zod';

import { ApprovalCandidateSchema, approvalLinkUrl, DEFAULT_APPROVAL_TTL_SECONDS, formatTime, newApprovalId, sealTaskToken, signApprovalLink } from '../core/approval-link.js';
import { runbookFor, type Severity, SeveritySchema } from '../core/config.js';
import { approvalPendingNotice, approvalRequestMessage } from '../presentation/approval-email.js';
import type { ApprovalRecord, NewApproval } from '../store/approvals.js';
import type { Clock, MetricsSink, Publisher, Timeline } from './ports.js';

/**
 * Asking a human: records an approval request with the workflow's task token sealed, and asks the
 * approvers (their own SNS topic) with an Approve and a Reject link. The status topic, and for
 * SEV1-2 the escalation topic, hear that an approval is pending, without links: a link decides, so
 * it goes to the people who may decide and to nobody else.
 *
 * The task token is never logged here: it is sealed before it is stored and appears in no message.
 */

/** Just enough of the service config to say who is affected; the whole `$.service` slice may be passed. */
const ServiceSliceSchema = z.looseObject({
  name: z.string().min(1),
  runbook: z.string().optional(),
  alarms: z.array(z.looseObject({ name: z.string(), impact: z.string().optional(), runbook: z.string().optional() })).default([]),
});

/** What `AwaitApproval` (a `.waitForTaskToken` Task state) hands over. */
export const RequestApprovalEventSchema = z.object({
  /** `$$.Task.Token`. Step Functions tokens are at most 2048 characters (SendTaskSuccess's limit). */
  taskToken: z.string().min(1).max(2048),
  incidentId: z.string().min(1).max(512),
  severity: SeveritySchema,
  /** The service name, or the service config slice (`$.service`), which lets the email say who is affected. */
  service: z.union([z.string().min(1), ServiceSliceSchema]),
  /** The alarm that opened the incident (`$.signal.alarmName`), to pick the alarm's `impact` sentence. */
  alarmName: z.string().optional(),
  /** Overrides the impact sentence taken from the service config. */
  impact: z.string().min(1).max(500).optional(),
  /** The candidate to approve; extra fields (params, executable) are ignored. */
  candidate: ApprovalCandidateSchema,
  executionArn: z.string().startsWith('arn:'),
  /** Must equal the Task state's TimeoutSeconds: links and the record expire with the wait. */
  timeoutSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(DEFAULT_APPROVAL_TTL_SECONDS),
});
/** The event as the workflow sends it (defaults not yet applied). */
export type RequestApprovalEvent = z.input<typeof RequestApprovalEventSchema>;
/** The event once parsed: what {@link requestApproval} works on. */
export type ApprovalRequest = z.infer<typeof RequestApprovalEventSchema>;

/** Where approval requests are recorded (`ApprovalStore`). */
export interface ApprovalRequests {
  create(input: NewApproval): Promise<ApprovalRecord>;
  /** Marks every other PENDING request of the incident SUPERSEDED; returns how many. */
  supersedeOthers(incidentId: string, approvalId: string): Promise<number>;
}

/** What {@link requestApproval} needs. */
export interface RequestApprovalDeps {
  readonly approvals: ApprovalRequests;
  readonly incidents: Timeline;
  readonly publisher: Publisher;
  /** The HMAC secret (Secrets Manager, cached). */
  readonly secret: () => Promise<string>;
  /** The secret's ARN, stored with the record so the CLI can open the sealed token. */
  readonly secretId: string;
  /** Base URL of the approval endpoint (the function URL). */
  readonly endpointUrl: string;
  /** Named in the CLI alternative so the command can be pasted as is. */
  readonly tableName: string;
  readonly statusTopicArn: string;
  readonly escalationTopicArn: string;
  /** The approvers topic: the only one that receives the signed links. */
  readonly approversTopicArn: string;
  /** Who the approvers topic emails (config `notifications.approverEmails`): recorded as the links' recipients. */
  readonly approverEmails: readonly string[];
  /** ApprovalsRequested. */
  readonly metrics: MetricsSink;
  readonly clock: Clock;
  /** @default {@link newApprovalId} */
  readonly newId?: (now: Date) => string;
}

/** The request as recorded and sent. */
export interface RequestApprovalResult {
  readonly approvalId: string;
  readonly expiresAt: string;
  /** SNS message ids: approvers topic first, then status (and escalation for SEV1-2). */
  readonly messageIds: string[];
}

/** Severities that also page the escalation topic: someone must see the request quickly. */
const PAGED: ReadonlySet<Severity> = new Set(['SEV1', 'SEV2']);

/**
 * Records the approval request (task token sealed, links' recipients named), supersedes any older
 * request of the incident, notes it on the timeline, then sends the approvers the signed links and
 * the status list (and the escalation list for SEV1-2) a notice without them.
 */
export async function requestApproval(deps: RequestApprovalDeps, request: ApprovalRequest): Promise<RequestApprovalResult> {
  const now = deps.clock();
  const approvalId = (deps.newId ?? newApprovalId)(now);
  const expiresAt = new Date(now.getTime() + request.timeoutSeconds * 1000);
  const service = typeof request.service === 'string' ? request.service : request.service.name;
  const secret = await deps.secret();
  const ids = { incidentId: request.incidentId, approvalId };
  const runbook = runbookOf(request);

  await deps.approvals.create({
    ...ids,
    service,
    severity: request.severity,
    candidate: request.candidate,
    executionArn: request.executionArn,
    requestedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    timeoutSeconds: request.timeoutSeconds,
    sealedTaskToken: sealTaskToken(request.taskToken, secret, ids),
    tokenSecretId: deps.secretId,
    recipients: [...deps.approverEmails],
    ...(runbook ? { runbook } : {}),
  });
  // A retried invocation or the next candidate asks again: older emails must not answer the new question.
  await deps.approvals.supersedeOthers(request.incidentId, approvalId);

  const link = (action: 'approve' | 'reject') => approvalLinkUrl(deps.endpointUrl, signApprovalLink({ ...ids, action }, secret, { now, expiresAt }));
  const facts = {
    incidentId: request.incidentId,
    approvalId,
    severity: request.severity,
    service,
    candidate: request.candidate,
    impact: impactOf(request),
    approveUrl: link('approve'),
    rejectUrl: link('reject'),
    expiresAt,
    timeoutSeconds: request.timeoutSeconds,
    executionArn: request.executionArn,
    tableName: deps.tableName,
    recipients: deps.approverEmails,
    ...(runbook ? { runbook } : {}),
  };
  const text = approvalRequestMessage(facts);
  const notice = approvalPendingNotice(facts);

  await deps.incidents.appendTimeline(request.incidentId, {
    at: now.toISOString(),
    kind: 'decision',
    message: `Approval requested for ${request.candidate.type} on ${request.candidate.target} (risk ${request.candidate.risk}); expires ${formatTime(expiresAt)}`,
    data: {
      approval: 'requested',
      approvalId,
      type: request.candidate.type,
      target: request.candidate.target,
      risk: request.candidate.risk,
      expiresAt: expiresAt.toISOString(),
      recipients: deps.approverEmails.join(', ') || '(none configured: CLI only)',
    },
  });

  const attributes = { incidentId: request.incidentId, status: 'ApprovalRequested', severity: request.severity };
  const messageIds: string[] = [];
  const { messageId } = await deps.publisher.publish({ topicArn: deps.approversTopicArn, subject: text.subject, message: text.message, attributes });
  messageIds.push(messageId);
  // Sent: counted. A retried invocation asks again with a new request (the older one superseded), which counts again.
  deps.metrics.record('approvalsRequested', 1, { service, mitigation: request.candidate.type });
  const told = PAGED.has(request.severity) ? [deps.statusTopicArn, deps.escalationTopicArn] : [deps.statusTopicArn];
  for (const [i, topicArn] of told.entries()) {
    // The chat topic gets the notice once, with the status topic's copy.
    const published = await deps.publisher.publish({ topicArn, subject: notice.subject, message: notice.message, attributes, ...(i > 0 ? { chat: false as const } : {}) });
    messageIds.push(published.messageId);
  }
  return { approvalId, expiresAt: expiresAt.toISOString(), messageIds };
}

/** The runbook of the incident's alarm (`runbookFor`: the alarm's own, else the service's), when the request carries the service slice. */
function runbookOf(request: ApprovalRequest): string | undefined {
  if (typeof request.service === 'string') return undefined;
  return runbookFor(
    request.service,
    request.service.alarms.find((a) => a.name === request.alarmName),
  );
}

/** Who is affected: the request's own sentence, else the alarm's `impact` from the service config, else a generic one. */
function impactOf(request: ApprovalRequest): string {
  if (request.impact) return request.impact;
  if (typeof request.service !== 'string') {
    const alarms = request.service.alarms;
    const alarm = alarms.find((a) => a.name === request.alarmName) ?? (alarms.length === 1 ? alarms[0] : undefined);
    if (alarm?.impact) return alarm.impact;
  }
  const name = typeof request.service === 'string' ? request.service : request.service.name;
  return `Users of ${name} may see degraded service until the incident is mitigated.`;
}
