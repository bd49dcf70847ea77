import { createHash } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  decisionOf,
  emailLinkDecider,
  formatTime,
  normalizeReason,
  openTaskToken,
  readApproverIdentity,
  verifyApprovalLink,
  type ApprovalChannel,
  type ApprovalDecision,
  type ApprovalDecisionOutput,
  type ApprovalLinkRefusal,
  type ApproverIdentity,
} from '../core/approval-link.js';
import { ApprovalSecretSource } from '../adapters/approval-secret.js';
import { StepFunctionsTasks, TaskNoLongerWaitingError } from '../adapters/step-functions-tasks.js';
import { approvalState, ApprovalStore, type ApprovalRecord } from '../store/approvals.js';
import { RecordInvalidError } from '../store/errors.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

/**
 * The approval endpoint, served by a Lambda function URL: `GET /approval?t=…` shows what the link
 * would decide and asks for confirmation; `POST /approval` (the form) decides. GET never changes
 * anything, because mail scanners and link previewers open every link in an email.
 *
 * This module also holds {@link decideApproval}, the one decision path shared with
 * `tourniquet approve|reject`: a conditional write that only a PENDING, unexpired approval passes,
 * then SendTaskSuccess with the decision.
 */

// ---------------------------------------------------------------------------------------------
// The decision, shared with the CLI.

export interface DecideApprovalDeps {
  readonly approvals: Pick<ApprovalStore, 'get' | 'claimDecision' | 'releaseClaim' | 'recordDelivery'>;
  readonly incidents: Pick<IncidentStore, 'appendTimeline'>;
  readonly tasks: Pick<StepFunctionsTasks, 'sendDecision'>;
  /** Opens the sealed task token with the secret named on the record. */
  readonly secrets: Pick<ApprovalSecretSource, 'getSecret'>;
  readonly clock: () => Date;
  /** Bookkeeping that failed after the decision was delivered (it still counts). @default logs a warning */
  readonly warn?: (message: string, error: unknown) => void;
}

export interface DecideApprovalRequest {
  readonly incidentId: string;
  readonly approvalId: string;
  readonly decision: ApprovalDecision;
  /** `<name> <<email>> (email link)` (see `emailLinkDecider`), or the caller's ARN. */
  readonly by: string;
  readonly via: ApprovalChannel;
  /** Already normalized (see `normalizeReason`). */
  readonly reason: string | null;
  /**
   * For an email link: the typed name and email, source IP, user agent and the link's recipients.
   * The recipients are filled in from the approval record here, so callers may leave them empty.
   */
  readonly identity?: Omit<ApproverIdentity, 'recipients' | 'emailIsRecipient'>;
}

export type DecideApprovalOutcome =
  /** The decision was recorded and the workflow received it. */
  | { readonly outcome: 'decided'; readonly record: ApprovalRecord; readonly output: ApprovalDecisionOutput }
  | { readonly outcome: 'not-found' }
  /** Someone decided first (or this is a replay): nothing changed. */
  | { readonly outcome: 'decided-before'; readonly record: ApprovalRecord }
  | { readonly outcome: 'superseded'; readonly record: ApprovalRecord }
  | { readonly outcome: 'expired'; readonly record: ApprovalRecord }
  /** Recorded, but the workflow had stopped waiting (timed out or ended): it will not act on it. */
  | { readonly outcome: 'task-gone'; readonly record: ApprovalRecord; readonly detail: string }
  /** Step Functions could not be reached or refused; the claim was undone, so deciding again is possible. */
  | { readonly outcome: 'undeliverable'; readonly record: ApprovalRecord; readonly detail: string };

const VERB: Record<ApprovalDecision, string> = { approved: 'Approved', rejected: 'Rejected' };

/**
 * Decides an approval once: checks it is still PENDING and unexpired, opens its task token,
 * claims the decision with a conditional write, then sends it with SendTaskSuccess and records
 * who, when and why on the timeline. Every "no" is an outcome, not an exception.
 *
 * @throws SealedTokenInvalidError when the stored token cannot be opened (nothing is changed)
 * @throws StoreError / AWS adapter errors for failures before the claim (nothing is changed)
 */
export async function decideApproval(deps: DecideApprovalDeps, request: DecideApprovalRequest): Promise<DecideApprovalOutcome> {
  const warn = deps.warn ?? ((message: string, error: unknown) => logger.warn(message, { error: error as Error }));
  const { incidentId, approvalId } = request;
  const record = await deps.approvals.get(incidentId, approvalId);
  if (!record) return { outcome: 'not-found' };
  const state = approvalState(record, deps.clock());
  if (state !== 'pending') return { outcome: state === 'decided' ? 'decided-before' : state, record };
  if (!record.sealedTaskToken) throw new RecordInvalidError(`pending approval ${approvalId} of incident ${incidentId} has no task token`);

  // Open the token before claiming: a token we cannot read must not burn the approval.
  const taskToken = openTaskToken(record.sealedTaskToken, await deps.secrets.getSecret(record.tokenSecretId), { incidentId, approvalId });

  const recipients = record.recipients ?? [];
  const identity: ApproverIdentity | undefined = request.identity && {
    ...request.identity,
    recipients,
    emailIsRecipient: recipients.some((r) => r.toLowerCase() === request.identity!.email.toLowerCase()),
  };
  const claim = await deps.approvals.claimDecision(incidentId, approvalId, {
    decision: request.decision,
    by: request.by,
    via: request.via,
    reason: request.reason,
    ...(identity ? { identity } : {}),
  });
  if (!claim.claimed) {
    if (claim.state === 'not-found') return { outcome: 'not-found' };
    return { outcome: claim.state === 'decided' ? 'decided-before' : claim.state, record: claim.record };
  }

  const decided = claim.record;
  const output: ApprovalDecisionOutput = {
    decision: request.decision,
    by: request.by,
    via: request.via,
    reason: request.reason,
    at: decided.decidedAt ?? deps.clock().toISOString(),
    approvalId,
  };
  const facts = {
    approval: 'decided',
    approvalId,
    decision: request.decision,
    by: request.by,
    via: request.via,
    reason: request.reason,
    ...(identity
      ? {
          approverName: identity.name,
          approverEmail: identity.email,
          emailIsRecipient: identity.emailIsRecipient,
          linkRecipients: identity.recipients.join(', '),
          ...(identity.sourceIp ? { sourceIp: identity.sourceIp } : {}),
          ...(identity.userAgent ? { userAgent: identity.userAgent } : {}),
        }
      : {}),
  };
  const because = request.reason ? `: "${request.reason}"` : ' (no reason given)';

  try {
    await deps.tasks.sendDecision(taskToken, output);
  } catch (error) {
    if (error instanceof TaskNoLongerWaitingError) {
      await bestEffort(warn, 'recording the late decision', () =>
        deps.approvals.recordDelivery(incidentId, approvalId, claim.claimId, 'task-gone', error.code),
      );
      await bestEffort(warn, 'appending the late decision to the timeline', () =>
        deps.incidents.appendTimeline(incidentId, {
          at: output.at,
          kind: 'decision',
          message: `${VERB[request.decision]} by ${request.by} after the workflow stopped waiting (${error.code}); not acted on${because}`,
          data: { ...facts, delivery: 'task-gone', code: error.code },
        }),
      );
      return { outcome: 'task-gone', record: decided, detail: error.message };
    }
    // Nothing reached the workflow: undo the claim so the same link or the CLI can try again.
    const released = await deps.approvals.releaseClaim(incidentId, approvalId, claim.claimId);
    if (!released) warn(`approval ${approvalId}: the claim could not be released after a failed delivery`, error);
    return { outcome: 'undeliverable', record: decided, detail: error instanceof Error ? error.message : String(error) };
  }

  await bestEffort(warn, 'recording the delivery', () => deps.approvals.recordDelivery(incidentId, approvalId, claim.claimId, 'delivered'));
  await bestEffort(warn, 'appending the decision to the timeline', () =>
    deps.incidents.appendTimeline(incidentId, {
      at: output.at,
      kind: 'decision',
      message: `${VERB[request.decision]} ${decided.candidate.type} on ${decided.candidate.target} by ${request.by}${because}`,
      data: { ...facts, delivery: 'delivered' },
    }),
  );
  return { outcome: 'decided', record: decided, output };
}

/** After delivery the decision stands: failures of the record-keeping that follows are reported, not thrown. */
async function bestEffort(warn: (message: string, error: unknown) => void, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    warn(`approval decision delivered, but ${what} failed`, error);
  }
}

// ---------------------------------------------------------------------------------------------
// HTML.

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

function page(statusCode: number, title: string, body: Array<string | Html>, extraHeaders: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
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

function decidedBeforePage(record: ApprovalRecord): APIGatewayProxyStructuredResultV2 {
  const verb = record.decision === 'rejected' ? 'rejected' : 'approved';
  const when = record.decidedAt ? ` at ${formatTime(new Date(record.decidedAt))}` : '';
  const why = record.reason ? ` Reason given: “${record.reason}”.` : '';
  const late = record.delivery === 'task-gone' ? ' That decision arrived after the workflow had stopped waiting, so it was not acted on.' : '';
  return page(409, 'This approval was already decided', [
    `This request was already ${verb} by ${record.decidedBy ?? 'someone'}${when}.${why}${late} Each link works once. ${NOTHING_CHANGED}`,
    details(record),
  ]);
}

function stateRefusal(state: 'superseded' | 'expired', record: ApprovalRecord): APIGatewayProxyStructuredResultV2 {
  if (state === 'superseded') {
    return page(409, 'This approval request was replaced', [
      `A newer approval request for incident ${record.incidentId} replaced this one. Use the links in the newest email. ${NOTHING_CHANGED}`,
      details(record),
    ]);
  }
  return page(410, 'This approval request has expired', [
    `Nobody decided before ${formatTime(new Date(record.expiresAt))}, so Tourniquet did not apply ${what(record)} and escalated instead. ${NOTHING_CHANGED}`,
    details(record),
  ]);
}

function confirmationPage(record: ApprovalRecord, action: 'approve' | 'reject', token: string): APIGatewayProxyStructuredResultV2 {
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

function outcomePage(outcome: DecideApprovalOutcome): APIGatewayProxyStructuredResultV2 {
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
    case 'expired':
      return stateRefusal(outcome.outcome, outcome.record);
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

// ---------------------------------------------------------------------------------------------
// The function URL handler.

/** Bodies larger than this are not an approval form. */
export const MAX_BODY_BYTES = 8192;

/** The parts of a function URL event (`APIGatewayProxyEventV2` from `aws-lambda`) the endpoint reads. */
const FunctionUrlEventSchema = z.object({
  rawPath: z.string().default('/'),
  rawQueryString: z.string().default(''),
  headers: z.record(z.string(), z.string().optional()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({
    http: z.object({ method: z.string(), sourceIp: z.string().optional(), userAgent: z.string().optional() }),
  }),
});

export interface ApprovalEndpointDeps extends DecideApprovalDeps {
  /** The secret that signs links (its ARN); tokens are opened with the secret named on each record. */
  readonly secretId: string;
}

/** Serves `GET|HEAD /approval?t=…` (confirmation) and `POST /approval` (decision). */
export function createApprovalEndpointHandler(deps: ApprovalEndpointDeps) {
  const readLink = async (token: string | null) => verifyApprovalLink(token ?? '', await deps.secrets.getSecret(deps.secretId), deps.clock());

  async function show(token: string | null): Promise<APIGatewayProxyStructuredResultV2> {
    const link = await readLink(token);
    if (!link.ok) return page(REFUSALS[link.reason].status, REFUSALS[link.reason].title, [link.message, NOTHING_CHANGED]);
    const { incidentId, approvalId, action } = link.payload;
    const record = await deps.approvals.get(incidentId, approvalId);
    if (!record) return outcomePage({ outcome: 'not-found' });
    const state = approvalState(record, deps.clock());
    if (state === 'decided') return decidedBeforePage(record);
    if (state !== 'pending') return stateRefusal(state, record);
    return confirmationPage(record, action, token!);
  }

  async function decide(event: z.infer<typeof FunctionUrlEventSchema>, headers: Record<string, string>): Promise<APIGatewayProxyStructuredResultV2> {
    const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      return page(415, 'Unsupported request', ['Decisions are submitted with the form on the approval page.', NOTHING_CHANGED]);
    }
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
    if (body.length > MAX_BODY_BYTES) return page(413, 'Request too large', [NOTHING_CHANGED]);
    const form = new URLSearchParams(body.toString('utf8'));
    const reason = normalizeReason(form.get('reason'));
    if (!reason.ok) return page(400, 'The reason is too long', [`${reason.message}. ${NOTHING_CHANGED}`]);

    const link = await readLink(form.get('t'));
    if (!link.ok) return page(REFUSALS[link.reason].status, REFUSALS[link.reason].title, [link.message, NOTHING_CHANGED]);
    const { incidentId, approvalId, action } = link.payload;
    const typed = readApproverIdentity(form.get('name'), form.get('email'));
    if (!typed.ok) return page(400, 'Who is deciding?', [`${typed.message}. Go back to the confirmation page and fill it in. ${NOTHING_CHANGED}`]);
    const identity = {
      name: typed.name,
      email: typed.email,
      ...(event.requestContext.http.sourceIp ? { sourceIp: event.requestContext.http.sourceIp.slice(0, 64) } : {}),
      ...(event.requestContext.http.userAgent ? { userAgent: event.requestContext.http.userAgent.slice(0, 200) } : {}),
    };
    const outcome = await decideApproval(deps, {
      incidentId,
      approvalId,
      decision: decisionOf(action),
      by: emailLinkDecider(typed),
      via: 'email-link',
      reason: reason.reason,
      identity,
    });
    logger.info('approval decision', { incidentId, approvalId, action, outcome: outcome.outcome });
    return outcomePage(outcome);
  }

  return async (input: unknown): Promise<APIGatewayProxyStructuredResultV2> => {
    const parsed = FunctionUrlEventSchema.safeParse(input);
    if (!parsed.success) return page(400, 'Bad request', [NOTHING_CHANGED]);
    const event = parsed.data;
    const headers = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k.toLowerCase(), v ?? '']));
    const method = event.requestContext.http.method.toUpperCase();
    // The last path segment, so the endpoint also works behind a proxy that adds a prefix.
    if (!/(^|\/)approval\/?$/.test(event.rawPath)) return page(404, 'Not found', ['There is nothing here.']);
    try {
      if (method === 'GET' || method === 'HEAD') {
        const response = await show(new URLSearchParams(event.rawQueryString).get('t'));
        return method === 'HEAD' ? { ...response, body: '' } : response;
      }
      if (method === 'POST') return await decide(event, headers);
      return page(405, 'Method not allowed', [NOTHING_CHANGED], { allow: 'GET, HEAD, POST' });
    } catch (error) {
      logger.error('approval endpoint failed', { error: error as Error });
      return page(500, 'Something went wrong', [
        'Tourniquet could not process this link. Unless a page said otherwise, nothing was decided: try again, or use the CLI command from the email.',
      ]);
    }
  };
}

export const handler = lambdaHandler(() => {
  const env = readEnv('TABLE_NAME', 'APPROVAL_SECRET_ARN');
  const clock = () => new Date();
  return createApprovalEndpointHandler({
    approvals: new ApprovalStore({ tableName: env.TABLE_NAME, clock }),
    incidents: new IncidentStore({ tableName: env.TABLE_NAME, clock }),
    tasks: new StepFunctionsTasks(new SFNClient({})),
    secrets: new ApprovalSecretSource(new SecretsManagerClient({})),
    secretId: env.APPROVAL_SECRET_ARN,
    clock,
  });
});
