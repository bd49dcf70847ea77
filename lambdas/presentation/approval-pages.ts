import { createHash } from 'node:crypto';

import { type ApprovalAction, type ApprovalLinkRefusal, formatTime } from '../core/approval-link.js';
import type { DecideApprovalOutcome } from '../operations/decide-approval.js';
import type { ApprovalRecord } from '../store/approvals.js';

/**
 * The approval endpoint's HTML pages: the confirmation page a link opens, the result of a decision,
 * and the refusals. Every page is a complete response (status, security headers, body): no script,
 * one inline stylesheet allowed by its hash, and everything shown is escaped.
 */

/** An HTML response, as a Lambda function URL returns it. */
export interface HtmlResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:2rem;background:#f6f6f6;color:#111}' +
  'main{max-width:40rem;margin:auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;border:1px solid #ddd}' +
  'h1{font-size:1.3rem;margin-top:0}dt{font-weight:600}dd{margin:0 0 .6rem}' +
  'textarea,input{width:100%;box-sizing:border-box;font:inherit;margin-bottom:.6rem}label{display:block}button{font:inherit;padding:.5rem 1.2rem;margin-top:.8rem;cursor:pointer}' +
  '.approve{background:#1a7f37;color:#fff;border:0;border-radius:6px}.reject{background:#b42318;color:#fff;border:0;border-radius:6px}' +
  '.note{color:#555;font-size:.9rem}';

/** The inline stylesheet is allowed by its hash: no other style, and no script at all, may run. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`;

/** Security headers on every response. `no-store`: these pages describe a live incident and carry a capability. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store, max-age=0',
  pragma: 'no-cache',
  'content-security-policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The page URL holds the link token; it must not leak to anything the page might point at.
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-robots-tag': 'noindex, nofollow',
};

type Html = { readonly html: string };
/** Marks already-escaped markup so it is not escaped twice. */
const raw = (html: string): Html => ({ html });
const h = (value: string | Html): string => (typeof value === 'string' ? escapeHtml(value) : value.html);

/** A page: each string part is an escaped paragraph, each {@link Html} part goes in as is. */
function page(statusCode: number, title: string, body: Array<string | Html>, extraHeaders: Record<string, string> = {}): HtmlResponse {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">' +
    `<title>${h(title)} · Tourniquet</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${h(title)}</h1>${body.map((part) => (typeof part === 'string' ? `<p>${h(part)}</p>` : part.html)).join('')}</main></body></html>`;
  return { statusCode, headers: { ...SECURITY_HEADERS, ...extraHeaders }, body: html };
}

function details(record: ApprovalRecord): Html {
  const rows: Array<[string, string]> = [
    ['Incident', record.incidentId],
    ['Service', record.service],
    ['Severity', record.severity],
    ['Proposed mitigation', `${record.candidate.type} on ${record.candidate.target}`],
    ['Why', record.candidate.rationale],
    ['Risk', record.candidate.risk],
    ...(record.runbook ? ([['Runbook', record.runbook]] as Array<[string, string]>) : []),
    ['Requested', formatTime(new Date(record.requestedAt))],
    ['Expires', formatTime(new Date(record.expiresAt))],
    ...(record.recipients?.length ? ([['Links sent to', record.recipients.join(', ')]] as Array<[string, string]>) : []),
  ];
  return raw(`<dl>${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`);
}

const what = (record: ApprovalRecord): string => `${record.candidate.type} on ${record.candidate.target}`;

const NOTHING_CHANGED = 'Nothing was changed.';

/** Link refusals: status and title per reason. */
const REFUSALS: Record<ApprovalLinkRefusal, { status: number; title: string }> = {
  malformed: { status: 400, title: 'This approval link is not valid' },
  'unsupported-version': { status: 400, title: 'This approval link is not valid' },
  'bad-signature': { status: 403, title: 'This approval link was not accepted' },
  expired: { status: 410, title: 'This approval link has expired' },
};

/** A link that did not verify: 400 (malformed), 403 (bad signature) or 410 (expired), with the verifier's message. */
export function linkRefusedPage(reason: ApprovalLinkRefusal, message: string): HtmlResponse {
  return page(REFUSALS[reason].status, REFUSALS[reason].title, [message, NOTHING_CHANGED]);
}

function decidedBeforePage(record: ApprovalRecord): HtmlResponse {
  const verb = record.decision === 'rejected' ? 'rejected' : 'approved';
  const when = record.decidedAt ? ` at ${formatTime(new Date(record.decidedAt))}` : '';
  const why = record.reason ? ` Reason given: “${record.reason}”.` : '';
  const late = record.delivery === 'task-gone' ? ' That decision arrived after the workflow had stopped waiting, so it was not acted on.' : '';
  return page(409, 'This approval was already decided', [
    `This request was already ${verb} by ${record.decidedBy ?? 'someone'}${when}.${why}${late} Each link works once. ${NOTHING_CHANGED}`,
    details(record),
  ]);
}

/**
 * The page a link opens while its approval waits: what it would decide, the consequence, and the
 * form (name, email, optional reason) that decides. Nothing is changed by showing it.
 */
export function confirmationPage(record: ApprovalRecord, action: ApprovalAction, token: string): HtmlResponse {
  const verb = action === 'approve' ? 'Approve' : 'Reject';
  // No `action` attribute: the form posts back to this very URL, whatever path the endpoint is served on.
  const form =
    '<form method="post">' +
    `<input type="hidden" name="t" value="${h(token)}">` +
    '<label for="name">Your name</label>' +
    '<input id="name" name="name" type="text" required maxlength="100" autocomplete="name">' +
    '<label for="email">Your email</label>' +
    '<input id="email" name="email" type="email" required maxlength="254" autocomplete="email">' +
    '<label for="reason">Reason (optional; recorded on the incident timeline)</label>' +
    '<textarea id="reason" name="reason" rows="3" maxlength="500"></textarea>' +
    `<button type="submit" class="${action}">${h(`${verb} ${record.candidate.type}`)}</button>` +
    '</form>';
  const consequence =
    action === 'approve'
      ? `Tourniquet will apply ${what(record)} as soon as you confirm, then check that the alarm clears.`
      : `Tourniquet will not apply ${what(record)}; it moves on to the next option or escalates to a human.`;
  return page(200, `${verb} ${record.candidate.type} on ${record.candidate.target} for incident ${record.incidentId}?`, [
    details(record),
    consequence,
    raw(form),
    raw(
      `<p class="note">${h(
        'Nothing has been changed yet. This link works once and only until the request expires. Your name and email, the address ' +
          'this request comes from and your browser are recorded with the decision; the link proves only that you hold the email.',
      )}</p>`,
    ),
  ]);
}

/** The page for how a decision ended (or why there was nothing to decide). */
export function outcomePage(outcome: DecideApprovalOutcome): HtmlResponse {
  switch (outcome.outcome) {
    case 'decided': {
      const { record, output } = outcome;
      const approved = output.decision === 'approved';
      return page(200, approved ? 'Approved' : 'Rejected', [
        approved
          ? `Thank you. Tourniquet is applying ${what(record)} for incident ${record.incidentId} and will verify that the alarm clears.`
          : `Thank you. Tourniquet will not apply ${what(record)} for incident ${record.incidentId}.`,
        `Recorded at ${formatTime(new Date(output.at))}${output.reason ? ` with the reason “${output.reason}”` : ''}.`,
        details(record),
      ]);
    }
    case 'not-found':
      return page(404, 'This approval request does not exist', [`The link is genuine, but its approval request is not in the incident table. ${NOTHING_CHANGED}`]);
    case 'decided-before':
      return decidedBeforePage(outcome.record);
    case 'superseded':
      return page(409, 'This approval request was replaced', [
        `A newer approval request for incident ${outcome.record.incidentId} replaced this one. Use the links in the newest email. ${NOTHING_CHANGED}`,
        details(outcome.record),
      ]);
    case 'expired':
      return page(410, 'This approval request has expired', [
        `Nobody decided before ${formatTime(new Date(outcome.record.expiresAt))}, so Tourniquet did not apply ${what(outcome.record)} and escalated instead. ${NOTHING_CHANGED}`,
        details(outcome.record),
      ]);
    case 'task-gone':
      return page(410, 'The workflow is no longer waiting', [
        `Your decision was recorded, but the incident workflow had already stopped waiting for it (it timed out or ended), so it will not act on it. ` +
          'Check the incident timeline or the escalation page for what happens next.',
        details(outcome.record),
      ]);
    case 'undeliverable':
      return page(
        503,
        'Your decision could not be delivered',
        [`Tourniquet could not reach the incident workflow. Nothing was decided, and the link still works: try again in a moment, or use the CLI.`, details(outcome.record)],
        { 'retry-after': '30' },
      );
  }
}

/** The refusals of a request that is not an approval form or link; each says that nothing changed. */
export const requestRefusals = {
  /** Not a function URL event at all. */
  badRequest: (): HtmlResponse => page(400, 'Bad request', [NOTHING_CHANGED]),
  notFound: (): HtmlResponse => page(404, 'Not found', ['There is nothing here.']),
  methodNotAllowed: (allow: string): HtmlResponse => page(405, 'Method not allowed', [NOTHING_CHANGED], { allow }),
  unsupportedMediaType: (): HtmlResponse => page(415, 'Unsupported request', ['Decisions are submitted with the form on the approval page.', NOTHING_CHANGED]),
  tooLarge: (): HtmlResponse => page(413, 'Request too large', [NOTHING_CHANGED]),
  reasonTooLong: (message: string): HtmlResponse => page(400, 'The reason is too long', [`${message}. ${NOTHING_CHANGED}`]),
  identityMissing: (message: string): HtmlResponse => page(400, 'Who is deciding?', [`${message}. Go back to the confirmation page and fill it in. ${NOTHING_CHANGED}`]),
  /** Something failed; the details stay in the log, never on the page. */
  internalError: (): HtmlResponse =>
    page(500, 'Something went wrong', [
      'Tourniquet could not process this link. Unless a page said otherwise, nothing was decided: try again, or use the CLI command from the email.',
    ]),
} as const;
