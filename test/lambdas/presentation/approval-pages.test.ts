import { describe, expect, it } from '@jest/globals';

import type { ApprovalLinkRefusal } from '../../../lambdas/core/approval-link.js';
import { confirmationPage, escapeHtml, type HtmlResponse, linkRefusedPage, outcomePage, requestRefusals, SECURITY_HEADERS } from '../../../lambdas/presentation/approval-pages.js';
import type { ApprovalRecord } from '../../../lambdas/store/approvals.js';
import { APPROVER_EMAILS, candidate, EXECUTION_ARN, INCIDENT_ID, SECRET_ARN, T0 } from '../../support/approvals.js';

const record = (overrides: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  incidentId: INCIDENT_ID,
  approvalId: 'apr-page-1',
  status: 'PENDING',
  service: 'checkout',
  severity: 'SEV2',
  candidate,
  executionArn: EXECUTION_ARN,
  requestedAt: new Date(T0).toISOString(),
  expiresAt: new Date(T0 + 900_000).toISOString(),
  expiresAtEpoch: T0 / 1000 + 900,
  timeoutSeconds: 900,
  tokenSecretId: SECRET_ARN,
  recipients: APPROVER_EMAILS,
  ...overrides,
});

function expectSafe(response: HtmlResponse) {
  expect(response.headers).toMatchObject(SECURITY_HEADERS);
  expect(response.body).not.toMatch(/<script/i);
  expect(response.body).toMatch(/^<!doctype html>/);
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('security headers', () => {
  it('allow no script, only the inline stylesheet by its hash, and keep the page out of caches and referrers', () => {
    const csp = SECURITY_HEADERS['content-security-policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).not.toContain('unsafe');
    expect(SECURITY_HEADERS).toMatchObject({ 'cache-control': 'no-store, max-age=0', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
  });
});

describe('confirmationPage', () => {
  it('asks the question, shows the request and posts the token back with the typed name and email', () => {
    const page = confirmationPage(record(), 'approve', 'tok.en');
    expectSafe(page);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<h1>Approve ${candidate.type} on ${candidate.target} for incident ${INCIDENT_ID}?</h1>`);
    expect(page.body).toContain('<form method="post"><input type="hidden" name="t" value="tok.en">');
    expect(page.body).toContain('<dd>lead@example.com, sre@example.com</dd>');
    expect(page.body).toContain('<button type="submit" class="approve">');
    expect(page.body).toContain('Nothing has been changed yet.');
  });

  it('says what rejecting does', () => {
    const page = confirmationPage(record(), 'reject', 't');
    expect(page.body).toContain('class="reject"');
    expect(page.body).toContain('it moves on to the next option or escalates to a human');
  });

  it('escapes everything it shows, the token included', () => {
    const page = confirmationPage(
      record({ candidate: { ...candidate, target: '<img src=x onerror=alert(1)>', rationale: '</dd><script>alert("x")</script>' } }),
      'approve',
      '"><b>',
    );
    expect(page.body).not.toContain('<img');
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('<b>');
    expect(page.body).toContain('&lt;/dd&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });
});

describe('outcomePage', () => {
  const decided = record({ status: 'DECIDED', decision: 'approved', decidedBy: 'Ada <a@example.com> (email link)', decidedAt: new Date(T0 + 60_000).toISOString(), reason: 'go' });

  it.each([
    [{ outcome: 'not-found' } as const, 404, 'This approval request does not exist'],
    [{ outcome: 'decided-before', record: decided } as const, 409, 'This approval was already decided'],
    [{ outcome: 'superseded', record: record({ status: 'SUPERSEDED' }) } as const, 409, 'This approval request was replaced'],
    [{ outcome: 'expired', record: record() } as const, 410, 'This approval request has expired'],
    [{ outcome: 'task-gone', record: decided, detail: 'Task Timed Out' } as const, 410, 'The workflow is no longer waiting'],
    [{ outcome: 'undeliverable', record: decided, detail: 'Rate exceeded' } as const, 503, 'Your decision could not be delivered'],
  ])('%j → %i', (outcome, status, title) => {
    const page = outcomePage(outcome);
    expectSafe(page);
    expect(page.statusCode).toBe(status);
    expect(page.body).toContain(`<h1>${title}</h1>`);
  });

  it('thanks the decider and escapes the reason', () => {
    const page = outcomePage({
      outcome: 'decided',
      record: decided,
      output: { decision: 'rejected', by: 'Ada', via: 'email-link', reason: '<b>now</b>', at: new Date(T0 + 60_000).toISOString(), approvalId: 'apr-page-1' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Rejected</h1>');
    expect(page.body).toContain('Recorded at 2026-11-23 03:12:00 UTC with the reason “&lt;b&gt;now&lt;/b&gt;”.');
  });

  it('names who decided first, and says when that decision came too late to act on', () => {
    const page = outcomePage({ outcome: 'decided-before', record: { ...decided, delivery: 'task-gone' } });
    expect(page.body).toContain('This request was already approved by Ada &lt;a@example.com&gt; (email link) at 2026-11-23 03:12:00 UTC. Reason given: “go”.');
    expect(page.body).toContain('arrived after the workflow had stopped waiting');
  });

  it('asks a browser to retry an undeliverable decision after 30 s', () => {
    expect(outcomePage({ outcome: 'undeliverable', record: decided, detail: 'x' }).headers).toMatchObject({ 'retry-after': '30' });
  });
});

describe('refusals', () => {
  it.each<[ApprovalLinkRefusal, number, string]>([
    ['malformed', 400, 'This approval link is not valid'],
    ['unsupported-version', 400, 'This approval link is not valid'],
    ['bad-signature', 403, 'This approval link was not accepted'],
    ['expired', 410, 'This approval link has expired'],
  ])('a %s link → %i', (reason, status, title) => {
    const page = linkRefusedPage(reason, 'the verifier says why');
    expect(page.statusCode).toBe(status);
    expect(page.body).toContain(`<h1>${title}</h1><p>the verifier says why</p><p>Nothing was changed.</p>`);
  });

  it('give each refused request its status, and never show an error', () => {
    expect(requestRefusals.badRequest().statusCode).toBe(400);
    expect(requestRefusals.notFound().statusCode).toBe(404);
    expect(requestRefusals.methodNotAllowed('GET, HEAD, POST')).toMatchObject({ statusCode: 405, headers: { allow: 'GET, HEAD, POST' } });
    expect(requestRefusals.unsupportedMediaType().statusCode).toBe(415);
    expect(requestRefusals.tooLarge().statusCode).toBe(413);
    expect(requestRefusals.reasonTooLong('Reason is over 500 characters').body).toContain('Reason is over 500 characters. Nothing was changed.');
    expect(requestRefusals.identityMissing('Type your name').body).toContain('Type your name. Go back to the confirmation page');
    expect(requestRefusals.internalError().statusCode).toBe(500);
  });
});
