import { type ApprovalCandidate, formatTime } from '../core/approval-link.js';
import type { Severity } from '../core/config.js';
import { executionConsoleUrl } from '../core/identity.js';
import { NO_RUNBOOK } from '../core/status-update.js';

/**
 * The approval request as people read it: the email to the approvers (with the signed links) and
 * the notice to the status and escalation lists (without them). Plain text, because SNS email is
 * plain text.
 */

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
  /** The runbook of the incident's alarm. @default none: the message says so */
  readonly runbook?: string;
}

const runbookLine = (t: Pick<ApprovalRequestText, 'runbook'>): string => `  ${t.runbook ?? NO_RUNBOOK}`;

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
    'Runbook',
    runbookLine(t),
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
    'Runbook',
    runbookLine(t),
    '',
    asked,
    `The request expires at ${formatTime(t.expiresAt)}; if nobody decides by then, ${ifNobodyDecides(t)}.`,
    '',
    'Decide from a terminal with AWS credentials (your IAM identity is recorded):',
    ...terminalDecision(t),
  ].join('\n');
  return { subject, message };
}
