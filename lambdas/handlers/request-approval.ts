import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import {
  ApprovalCandidateSchema,
  approvalLinkUrl,
  DEFAULT_APPROVAL_TTL_SECONDS,
  formatTime,
  newApprovalId,
  sealTaskToken,
  signApprovalLink,
  type ApprovalCandidate,
} from '../core/approval-link.js';
import { SeveritySchema, type Severity } from '../core/config.js';
import { executionConsoleUrl } from '../core/identity.js';
import { ApprovalSecretSource } from '../adapters/approval-secret.js';
import { SnsPublisher } from '../adapters/sns-publisher.js';
import { ApprovalStore } from '../store/approvals.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler } from '../runtime/lambda.js';

/**
 * `AwaitApproval` (a `.waitForTaskToken` Task): records an approval request with the task token
 * sealed, and asks the approvers (their own SNS topic) with an Approve and a Reject link. The
 * status topic, and for SEV1-2 the escalation topic, hear that an approval is pending, without
 * links: a link decides, so it goes to the people who may decide and to nobody else. The state
 * machine then waits until someone decides (the approval endpoint or `tourniquet approve|reject`
 * calls SendTaskSuccess) or the state's timeout fires.
 *
 * The task token is never logged here: it is sealed before it is stored and appears in no message.
 */

/** Just enough of the service config to say who is affected; the whole `$.service` slice may be passed. */
const ServiceSliceSchema = z.looseObject({
  name: z.string().min(1),
  alarms: z.array(z.looseObject({ name: z.string(), impact: z.string().optional() })).default([]),
});

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
  timeoutSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(DEFAULT_APPROVAL_TTL_SECONDS),
});
export type RequestApprovalEvent = z.input<typeof RequestApprovalEventSchema>;

export interface RequestApprovalDeps {
  readonly approvals: Pick<ApprovalStore, 'create' | 'supersedeOthers'>;
  readonly incidents: Pick<IncidentStore, 'appendTimeline'>;
  readonly publisher: Pick<SnsPublisher, 'publish'>;
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
  readonly clock: () => Date;
  /** @default {@link newApprovalId} */
  readonly newId?: (now: Date) => string;
}

export interface RequestApprovalResult {
  readonly approvalId: string;
  readonly expiresAt: string;
  /** SNS message ids: approvers topic first, then status (and escalation for SEV1-2). */
  readonly messageIds: string[];
}

/** Severities that also page the escalation topic: someone must see the request quickly. */
const PAGED: ReadonlySet<Severity> = new Set(['SEV1', 'SEV2']);

export function createRequestApprovalHandler(deps: RequestApprovalDeps) {
  return async (event: unknown): Promise<RequestApprovalResult> => {
    const request = RequestApprovalEventSchema.parse(event);
    const now = deps.clock();
    const approvalId = (deps.newId ?? newApprovalId)(now);
    const expiresAt = new Date(now.getTime() + request.timeoutSeconds * 1000);
    const service = typeof request.service === 'string' ? request.service : request.service.name;
    const secret = await deps.secret();
    const ids = { incidentId: request.incidentId, approvalId };

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
    });
    // A retried invocation or the next candidate asks again: older emails must not answer the new question.
    await deps.approvals.supersedeOthers(request.incidentId, approvalId);

    const link = (action: 'approve' | 'reject') =>
      approvalLinkUrl(deps.endpointUrl, signApprovalLink({ ...ids, action }, secret, { now, expiresAt }));
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
    const told = PAGED.has(request.severity) ? [deps.statusTopicArn, deps.escalationTopicArn] : [deps.statusTopicArn];
    for (const topicArn of told) {
      const published = await deps.publisher.publish({ topicArn, subject: notice.subject, message: notice.message, attributes });
      messageIds.push(published.messageId);
    }
    return { approvalId, expiresAt: expiresAt.toISOString(), messageIds };
  };
}

function impactOf(request: z.infer<typeof RequestApprovalEventSchema>): string {
  if (request.impact) return request.impact;
  if (typeof request.service !== 'string') {
    const alarms = request.service.alarms;
    const alarm = alarms.find((a) => a.name === request.alarmName) ?? (alarms.length === 1 ? alarms[0] : undefined);
    if (alarm?.impact) return alarm.impact;
  }
  const name = typeof request.service === 'string' ? request.service : request.service.name;
  return `Users of ${name} may see degraded service until the incident is mitigated.`;
}

/** Everything the approval email says. */
export interface ApprovalRequestText {
  readonly incidentId: string;
  readonly approvalId: string;
  readonly severity: Severity;
  readonly service: string;
  readonly candidate: ApprovalCandidate;
  readonly impact: string;
  readonly approveUrl: string;
  readonly rejectUrl: string;
  readonly expiresAt: Date;
  readonly timeoutSeconds: number;
  readonly executionArn: string;
  readonly tableName: string;
  /** The approver addresses the links were sent to (none: the CLI is the only way to answer). */
  readonly recipients?: readonly string[];
}

/** Shell-quotes a value for the pasted CLI command (names are safe already; this is belt and braces). */
const shellQuote = (value: string): string => (/^[A-Za-z0-9._:/@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/**
 * The approval request as plain text: what is proposed and why, its risk, who is affected, the two
 * links, when they expire, and the CLI alternative. Plain text because SNS email is plain text.
 */
export function approvalRequestMessage(t: ApprovalRequestText): { subject: string; message: string } {
  const minutes = Math.round(t.timeoutSeconds / 60);
  const subject = `[${t.severity}] APPROVAL NEEDED: ${t.candidate.type} for ${t.service} (${t.incidentId})`;
  const message = [
    `Tourniquet needs a human decision before it mitigates incident ${t.incidentId} (${t.severity}, service ${t.service}).`,
    '',
    'Proposed mitigation',
    `  ${t.candidate.type} on ${t.candidate.target}`,
    '',
    'Why',
    `  ${t.candidate.rationale}`,
    '',
    'Risk',
    `  ${t.candidate.risk}`,
    '',
    'Who is affected',
    `  ${t.impact}`,
    '',
    'Approve (opens a confirmation page; nothing happens until you confirm there):',
    `  ${t.approveUrl}`,
    '',
    'Reject:',
    `  ${t.rejectUrl}`,
    '',
    'The confirmation page asks for your name and email: they are recorded with the decision, with the address the',
    'request came from and the recipients of these links. Anyone holding this email can use the links: do not forward it.',
    '',
    `These links work once and expire at ${formatTime(t.expiresAt)} (${minutes} minute${minutes === 1 ? '' : 's'} after this request).`,
    `If nobody decides by then, ${ifNobodyDecides(t)}.`,
    '',
    'Or decide from a terminal with AWS credentials:',
    ...terminalDecision(t),
  ].join('\n');
  return { subject, message };
}

/** The CLI commands that answer the request (with the caller's IAM identity), and where to find it. */
const terminalDecision = (t: ApprovalRequestText): string[] => {
  const cliFlags = cliFlagsOf(t);
  return [
    `  npx tourniquet approve ${shellQuote(t.incidentId)} --reason "…"${cliFlags}`,
    `  npx tourniquet reject ${shellQuote(t.incidentId)} --reason "…"${cliFlags}`,
    '',
    `Approval ${t.approvalId}`,
    `Workflow: ${executionConsoleUrl(t.executionArn)}`,
  ];
};

/** What silence does, as the service's onApprovalTimeout says for this severity. */
const ifNobodyDecides = (t: Pick<ApprovalRequestText, 'candidate'>): string =>
  t.candidate.onTimeout === 'proceed'
    ? 'Tourniquet APPLIES this mitigation (onApprovalTimeout is "proceed" for this severity); reject it to stop that'
    : 'Tourniquet does not apply this mitigation and escalates to a human';

const cliFlagsOf = (t: Pick<ApprovalRequestText, 'executionArn' | 'tableName'>): string => {
  const region = t.executionArn.split(':')[3];
  return ` --table ${shellQuote(t.tableName)}${region ? ` --region ${shellQuote(region)}` : ''}`;
};

/**
 * What the status list (and, for SEV1-2, the escalation list) hears about a pending approval: what
 * is proposed and who was asked, without the links. The CLI command is there: it decides with the
 * caller's AWS identity, so it is safe to show to anyone.
 */
export function approvalPendingNotice(t: ApprovalRequestText): { subject: string; message: string } {
  const asked = t.recipients?.length ? `The approvers (${t.recipients.join(', ')}) were sent the approval links.` : 'No approver emails are configured: answer with the CLI.';
  const subject = `[${t.severity}] Waiting for approval: ${t.candidate.type} for ${t.service} (${t.incidentId})`;
  const message = [
    `Tourniquet is waiting for a human decision before it mitigates incident ${t.incidentId} (${t.severity}, service ${t.service}).`,
    '',
    'Proposed mitigation',
    `  ${t.candidate.type} on ${t.candidate.target} (risk ${t.candidate.risk})`,
    '',
    'Why',
    `  ${t.candidate.rationale}`,
    '',
    asked,
    `The request expires at ${formatTime(t.expiresAt)}; if nobody decides by then, ${ifNobodyDecides(t)}.`,
    '',
    'Decide from a terminal with AWS credentials (your IAM identity is recorded):',
    ...terminalDecision(t),
  ].join('\n');
  return { subject, message };
}

export const handler = lambdaHandler(() => {
  const env = readEnv('TABLE_NAME', 'STATUS_TOPIC_ARN', 'ESCALATION_TOPIC_ARN', 'APPROVERS_TOPIC_ARN', 'APPROVER_EMAILS', 'APPROVAL_SECRET_ARN', 'APPROVAL_ENDPOINT_URL');
  const secrets = new ApprovalSecretSource(new SecretsManagerClient({}));
  return createRequestApprovalHandler({
    approvals: new ApprovalStore({ tableName: env.TABLE_NAME }),
    incidents: new IncidentStore({ tableName: env.TABLE_NAME }),
    publisher: new SnsPublisher(new SNSClient({})),
    secret: () => secrets.getSecret(env.APPROVAL_SECRET_ARN),
    secretId: env.APPROVAL_SECRET_ARN,
    endpointUrl: env.APPROVAL_ENDPOINT_URL,
    tableName: env.TABLE_NAME,
    statusTopicArn: env.STATUS_TOPIC_ARN,
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    approversTopicArn: env.APPROVERS_TOPIC_ARN,
    approverEmails: env.APPROVER_EMAILS,
    clock: () => new Date(),
  });
});
