import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { MemoryMetricsSink, NO_METRICS } from '../../../lambdas/adapters/memory-metrics.js';
import { StepFunctionsTasks } from '../../../lambdas/adapters/step-functions-tasks.js';
import { signApprovalLink } from '../../../lambdas/core/approval-link.js';
import { createApprovalEndpointHandler } from '../../../lambdas/handlers/approval-endpoint.js';
import { createRequestApprovalHandler } from '../../../lambdas/handlers/request-approval.js';
import { escapeHtml } from '../../../lambdas/presentation/approval-pages.js';
import {
  approvalEvent,
  approvalTable,
  APPROVER_EMAILS,
  candidate,
  fakePublisher,
  fakeSecrets,
  INCIDENT_ID,
  linkToken,
  manualClock,
  requestApprovalDeps,
  SECRET,
  SECRET_ARN,
  TASK_TOKEN,
} from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { sdkError } from '../adapters/sdk-errors.js';

const db = useDynamoDbLocal();
const sfn = mockClient(SFNClient);

type Response = { statusCode?: number; headers?: Record<string, string | number | boolean>; body?: string };

/** A Lambda function URL event (payload format 2.0). */
function urlEvent(method: string, options: { path?: string; query?: string; body?: string; base64?: boolean; contentType?: string } = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path ?? '/approval',
    rawQueryString: options.query ?? '',
    headers: { host: 'abcdefghij.lambda-url.us-east-1.on.aws', ...(options.contentType ? { 'content-type': options.contentType } : {}) },
    requestContext: { http: { method, path: options.path ?? '/approval', protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'Mozilla/5.0 test' } },
    ...(options.body !== undefined
      ? { body: options.base64 ? Buffer.from(options.body, 'utf8').toString('base64') : options.body, isBase64Encoded: options.base64 ?? false }
      : { isBase64Encoded: false }),
  };
}

/** The confirmation form as a browser posts it: name and email typed, unless a test says otherwise. */
const form = (fields: Record<string, string>) => new URLSearchParams({ name: 'Ada Lovelace', email: 'Lead@Example.com', ...fields }).toString();
const ADA = 'Ada Lovelace <lead@example.com> (email link)';
const FORM = 'application/x-www-form-urlencoded';

/** An open incident with one approval request (made by the real request-approval handler), and the endpoint. */
async function setup(candidateOverride: Partial<typeof candidate> = {}) {
  const time = manualClock();
  const tables = await approvalTable(db.client, await db.newTable(), time.clock);
  const publisher = fakePublisher();
  await createRequestApprovalHandler(requestApprovalDeps(tables, publisher, time.clock, () => 'apr-endpoint-1'))(
    approvalEvent({ candidate: { ...candidate, ...candidateOverride } }),
  );
  const message = publisher.published[0]!.message;
  const warnings: string[] = [];
  const metrics = new MemoryMetricsSink(time.clock);
  const endpoint = createApprovalEndpointHandler({
    approvals: tables.approvals,
    incidents: tables.incidents,
    tasks: new StepFunctionsTasks(new SFNClient({ region: 'us-east-1' })),
    secrets: fakeSecrets(),
    secretId: SECRET_ARN,
    metrics,
    clock: time.clock,
    warn: (m) => void warnings.push(m),
  });
  const call = async (event: unknown) => (await endpoint(event)) as Response;
  const record = () => tables.approvals.get(INCIDENT_ID, 'apr-endpoint-1');
  return { ...time, ...tables, call, record, warnings, metrics, approve: linkToken(message, 'Approve'), reject: linkToken(message, 'Reject') };
}

const sendCalls = () => sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);

function expectSecurityHeaders(response: Response) {
  expect(response.headers).toMatchObject({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': expect.stringContaining('no-store'),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  const csp = String(response.headers!['content-security-policy']);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
  expect(csp).not.toContain('unsafe');
}

beforeEach(() => {
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
});

describe('GET /approval', () => {
  it('shows a confirmation page with a form, and changes nothing', async () => {
    const { call, approve, record, incidents } = await setup();
    const before = await record();
    const timelineBefore = await incidents.listTimeline(INCIDENT_ID);

    const response = await call(urlEvent('GET', { query: `t=${approve}` }));
    expect(response.statusCode).toBe(200);
    expectSecurityHeaders(response);
    expect(response.body).toContain(`<h1>Approve feature-flag-off on flag new-checkout-flow in abc1234/env5678/prof901 for incident ${INCIDENT_ID}?</h1>`);
    expect(response.body).toContain('<form method="post">');
    expect(response.body).toContain(`<input type="hidden" name="t" value="${approve}">`);
    expect(response.body).toContain('name="reason"');
    expect(response.body).toContain('<input id="name" name="name" type="text" required');
    expect(response.body).toContain('<input id="email" name="email" type="email" required');
    expect(response.body).toContain('<dd>lead@example.com, sre@example.com</dd>');
    expect(response.body).toContain('Nothing has been changed yet.');
    expect(response.body).not.toMatch(/<script/i);

    expect(sendCalls()).toEqual([]);
    expect(await record()).toEqual(before);
    expect(await incidents.listTimeline(INCIDENT_ID)).toEqual(timelineBefore);
  });

  it('never acts, however often a mail scanner opens the link (GET and HEAD)', async () => {
    const { call, approve, reject, record } = await setup();
    for (let i = 0; i < 3; i++) {
      await call(urlEvent('GET', { query: `t=${approve}` }));
      await call(urlEvent('GET', { query: `t=${reject}` }));
    }
    const head = await call(urlEvent('HEAD', { query: `t=${approve}` }));
    expect(head).toMatchObject({ statusCode: 200, body: '' });
    expect(sendCalls()).toEqual([]);
    expect(await record()).toMatchObject({ status: 'PENDING' });
  });

  it('shows the reject question for a reject link', async () => {
    const { call, reject } = await setup();
    const response = await call(urlEvent('GET', { query: `t=${reject}` }));
    expect(response.body).toContain('<h1>Reject feature-flag-off on');
    expect(response.body).toContain('class="reject"');
  });

  it('escapes everything it shows', async () => {
    const { call, approve } = await setup({
      target: 'flag <img src=x onerror=alert(1)> "quoted" & \'single\'',
      rationale: '</dd><script>alert("pwned")</script>',
    });
    const response = await call(urlEvent('GET', { query: `t=${approve}` }));
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('<script>');
    expect(response.body).not.toContain('<img');
    expect(response.body).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(response.body).toContain('flag &lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &#39;single&#39;');
  });

  it.each([
    ['no token', '', 400],
    ['a malformed token', 't=not-a-token', 400],
    ['a token cut by a mail client', 't=abc.de+f', 400],
  ])('refuses %s with %i', async (_what, query, status) => {
    const { call } = await setup();
    const response = await call(urlEvent('GET', { query }));
    expect(response.statusCode).toBe(status);
    expectSecurityHeaders(response);
    expect(response.body).toContain('Nothing was changed.');
  });

  it('refuses a tampered link with 403', async () => {
    const { call, approve } = await setup();
    const [payload, mac] = approve.split('.') as [string, string];
    const tampered = `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    const response = await call(urlEvent('GET', { query: `t=${tampered}` }));
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('This approval link was not accepted');
  });

  it('refuses an expired link with 410', async () => {
    const { call, approve, advance } = await setup();
    advance(900);
    const response = await call(urlEvent('GET', { query: `t=${approve}` }));
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain('expired at 2026-11-23T03:26:00.000Z');
  });

  it('answers a genuine link to an unknown approval with 404', async () => {
    const { call, clock } = await setup();
    const token = signApprovalLink({ incidentId: INCIDENT_ID, approvalId: 'apr-unknown', action: 'approve' }, SECRET, { now: clock() });
    const response = await call(urlEvent('GET', { query: `t=${token}` }));
    expect(response.statusCode).toBe(404);
  });
});

describe('POST /approval', () => {
  it('approves once: conditional write, SendTaskSuccess, timeline', async () => {
    const { call, approve, record, incidents, advance } = await setup();
    advance(60);
    const response = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve, reason: 'Only change in the window' }) }));
    expect(response.statusCode).toBe(200);
    expectSecurityHeaders(response);
    expect(response.body).toContain('<h1>Approved</h1>');

    const at = '2026-11-23T03:12:00.000Z';
    expect(sendCalls()).toHaveLength(1);
    expect(sendCalls()[0]!.taskToken).toBe(TASK_TOKEN);
    expect(JSON.parse(sendCalls()[0]!.output!)).toEqual({
      decision: 'approved',
      by: ADA,
      via: 'email-link',
      reason: 'Only change in the window',
      at,
      approvalId: 'apr-endpoint-1',
    });
    const stored = await record();
    expect(stored).toMatchObject({ status: 'DECIDED', decision: 'approved', decidedBy: ADA, decidedAt: at, reason: 'Only change in the window', delivery: 'delivered' });
    expect(stored).not.toHaveProperty('sealedTaskToken');
    expect((await incidents.listTimeline(INCIDENT_ID)).at(-1)).toMatchObject({
      at,
      kind: 'decision',
      message: `Approved feature-flag-off on flag new-checkout-flow in abc1234/env5678/prof901 by ${ADA}: "Only change in the window"`,
      data: {
        approval: 'decided',
        decision: 'approved',
        by: ADA,
        approverName: 'Ada Lovelace',
        approverEmail: 'lead@example.com',
        emailIsRecipient: true,
        linkRecipients: 'lead@example.com, sre@example.com',
        sourceIp: '198.51.100.7',
        userAgent: 'Mozilla/5.0 test',
      },
    });
    expect(stored!.decidedByIdentity).toEqual({
      name: 'Ada Lovelace',
      email: 'lead@example.com',
      sourceIp: '198.51.100.7',
      userAgent: 'Mozilla/5.0 test',
      recipients: APPROVER_EMAILS,
      emailIsRecipient: true,
    });
  });

  it('asks who decides: without a name or a plausible email nothing is decided', async () => {
    const { call, approve, record } = await setup();
    for (const fields of [{ name: '' }, { email: '' }, { email: 'not an email' }, { name: 'x'.repeat(101) }] as Record<string, string>[]) {
      const response = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve, ...fields }) }));
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('Nothing was changed.');
    }
    expect(sendCalls()).toEqual([]);
    expect(await record()).toMatchObject({ status: 'PENDING' });
  });

  it('records an email the links were not sent to, and says so', async () => {
    const { call, approve, record } = await setup();
    await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve, name: 'Mallory', email: 'mallory@example.net' }) }));
    expect((await record())!.decidedByIdentity).toMatchObject({ name: 'Mallory', email: 'mallory@example.net', emailIsRecipient: false });
  });

  it('refuses a replay with 409 and never sends a second SendTaskSuccess', async () => {
    const { call, approve, reject } = await setup();
    await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }));
    const replay = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }));
    expect(replay.statusCode).toBe(409);
    expect(replay.body).toContain(`This request was already approved by ${escapeHtml(ADA)} at 2026-11-23 03:11:00 UTC.`);
    const other = await call(urlEvent('POST', { contentType: FORM, body: form({ t: reject, reason: 'changed my mind' }) }));
    expect(other.statusCode).toBe(409);
    const show = await call(urlEvent('GET', { query: `t=${reject}` }));
    expect(show.statusCode).toBe(409);
    expect(sendCalls()).toHaveLength(1);
  });

  it('lets only one of two simultaneous clicks decide', async () => {
    const { call, approve, reject } = await setup();
    const responses = await Promise.all([
      call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) })),
      call(urlEvent('POST', { contentType: FORM, body: form({ t: reject }) })),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(sendCalls()).toHaveLength(1);
  });

  it('rejects through SendTaskSuccess too, reading a base64-encoded body', async () => {
    const { call, reject, record } = await setup();
    const response = await call(urlEvent('POST', { contentType: `${FORM}; charset=UTF-8`, body: form({ t: reject, reason: 'rolling back by hand' }), base64: true }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<h1>Rejected</h1>');
    expect(JSON.parse(sendCalls()[0]!.output!)).toMatchObject({ decision: 'rejected', reason: 'rolling back by hand' });
    expect(await record()).toMatchObject({ status: 'DECIDED', decision: 'rejected' });
  });

  it('refuses an expired link with 410 and changes nothing', async () => {
    const { call, approve, record, advance } = await setup();
    advance(901);
    const response = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }));
    expect(response.statusCode).toBe(410);
    expect(sendCalls()).toEqual([]);
    expect(await record()).toMatchObject({ status: 'PENDING' });
  });

  it('refuses tampered and forged links with 403 and changes nothing', async () => {
    const { call, approve, record, clock } = await setup();
    const forged = signApprovalLink({ incidentId: INCIDENT_ID, approvalId: 'apr-endpoint-1', action: 'approve' }, 'x'.repeat(40), { now: clock() });
    const [payload, mac] = approve.split('.') as [string, string];
    for (const t of [forged, `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${mac}`]) {
      const response = await call(urlEvent('POST', { contentType: FORM, body: form({ t }) }));
      expect(response.statusCode).toBe(403);
    }
    expect(sendCalls()).toEqual([]);
    expect(await record()).toMatchObject({ status: 'PENDING' });
  });

  it('says clearly when the workflow stopped waiting (TaskTimedOut), and records it', async () => {
    const { call, approve, record, incidents } = await setup();
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const response = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }));
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain('The workflow is no longer waiting');
    expect(await record()).toMatchObject({ status: 'DECIDED', delivery: 'task-gone', deliveryDetail: 'TaskTimedOut' });
    expect((await incidents.listTimeline(INCIDENT_ID)).at(-1)?.message).toMatch(/after the workflow stopped waiting \(TaskTimedOut\); not acted on/);
    const replay = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }));
    expect(replay.statusCode).toBe(409);
    expect(replay.body).toContain('arrived after the workflow had stopped waiting');
  });

  it('undoes the claim when Step Functions cannot be reached, so the link still works', async () => {
    const { call, approve, record } = await setup();
    sfn
      .on(SendTaskSuccessCommand)
      .rejectsOnce(sdkError('ThrottlingException', 'Rate exceeded', { status: 400 }))
      .resolves({});
    const first = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }));
    expect(first.statusCode).toBe(503);
    expect(first.headers).toMatchObject({ 'retry-after': '30' });
    expect(first.body).toContain('Nothing was decided, and the link still works');
    expect(await record()).toMatchObject({ status: 'PENDING', sealedTaskToken: expect.any(String) });

    const second = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }));
    expect(second.statusCode).toBe(200);
    expect(sendCalls()).toHaveLength(2);
    expect(await record()).toMatchObject({ status: 'DECIDED', delivery: 'delivered' });
  });

  it('counts ApprovalsDecided once per decision the workflow received: not an undelivered try, not a replay, not a late one', async () => {
    const { call, approve, reject, metrics } = await setup();
    sfn
      .on(SendTaskSuccessCommand)
      .rejectsOnce(sdkError('ThrottlingException', 'Rate exceeded', { status: 400 }))
      .resolves({});
    expect((await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }))).statusCode).toBe(503);
    expect(metrics.records).toEqual([]);
    expect((await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve }) }))).statusCode).toBe(200);
    expect((await call(urlEvent('POST', { contentType: FORM, body: form({ t: reject }) }))).statusCode).toBe(409);
    expect(metrics.records.map((m) => [m.name, m.value, m.dimensions])).toEqual([
      ['ApprovalsDecided', 1, { service: 'checkout', mitigation: 'feature-flag-off', outcome: 'granted' }],
    ]);

    const late = await setup();
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    expect((await late.call(urlEvent('POST', { contentType: FORM, body: form({ t: late.reject }) }))).statusCode).toBe(410);
    // Too late to decide anything: the workflow's timeout path counts it (timed-out), not this.
    expect(late.metrics.records).toEqual([]);
  });

  it('refuses bodies that are not the form, and reasons over the limit', async () => {
    const { call, approve } = await setup();
    expect((await call(urlEvent('POST', { contentType: 'application/json', body: JSON.stringify({ t: approve }) }))).statusCode).toBe(415);
    expect((await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve, reason: 'x'.repeat(501) }) }))).statusCode).toBe(400);
    expect((await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve, reason: 'x'.repeat(9000) }) }))).statusCode).toBe(413);
    expect((await call(urlEvent('POST', { contentType: FORM, body: '' }))).statusCode).toBe(400);
    expect(sendCalls()).toEqual([]);
  });

  it('escapes the reason on the result page', async () => {
    const { call, approve } = await setup();
    const response = await call(urlEvent('POST', { contentType: FORM, body: form({ t: approve, reason: '<b>now</b>' }) }));
    expect(response.body).toContain('&lt;b&gt;now&lt;/b&gt;');
    expect(response.body).not.toContain('<b>');
  });
});

describe('routing', () => {
  it('answers 404 off /approval and 405 for other methods, changing nothing', async () => {
    const { call, approve } = await setup();
    expect((await call(urlEvent('GET', { path: '/', query: `t=${approve}` }))).statusCode).toBe(404);
    const put = await call(urlEvent('PUT', { query: `t=${approve}` }));
    expect(put.statusCode).toBe(405);
    expect(put.headers).toMatchObject({ allow: 'GET, HEAD, POST' });
    expect((await call({ not: 'a function url event' })).statusCode).toBe(400);
    expect(sendCalls()).toEqual([]);
  });

  it('shows a generic 500 page when the secret cannot be read', async () => {
    const time = manualClock();
    const tables = await approvalTable(db.client, await db.newTable(), time.clock);
    const endpoint = createApprovalEndpointHandler({
      approvals: tables.approvals,
      incidents: tables.incidents,
      tasks: { sendDecision: async () => undefined },
      secrets: { getSecret: async () => Promise.reject(new Error('AccessDenied')) },
      secretId: SECRET_ARN,
      metrics: NO_METRICS,
      clock: time.clock,
    });
    const response = (await endpoint(urlEvent('GET', { query: 't=a.b' }))) as Response;
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('AccessDenied');
  });
});
