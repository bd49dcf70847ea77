import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';

import { decisionOf, emailLinkDecider, normalizeReason, readApproverIdentity, verifyApprovalLink } from '../core/approval-link.js';
import { decideApproval, type DecideApprovalDeps, reviewApproval } from '../operations/decide-approval.js';
import type { MetricsSink } from '../operations/ports.js';
import { confirmationPage, linkRefusedPage, outcomePage, requestRefusals } from '../presentation/approval-pages.js';
import { composeApprovalEndpoint } from '../runtime/compose/approval-endpoint.js';
import { composedHandler, logger } from '../runtime/lambda.js';

/**
 * The approval endpoint, served by a Lambda function URL: `GET /approval?t=…` shows what the link
 * would decide and asks for confirmation; `POST /approval` (the form) decides. GET never changes
 * anything, because mail scanners and link previewers open every link in an email.
 *
 * This module routes and parses; the decision is {@link decideApproval} (`lambdas/operations/decide-approval.ts`,
 * shared with `tourniquet approve|reject`) and the pages are `lambdas/presentation/approval-pages.ts`.
 */

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
  /** ApprovalsDecided of the decisions made through the links. */
  readonly metrics: MetricsSink;
}

/** Serves `GET|HEAD /approval?t=…` (confirmation) and `POST /approval` (decision). */
export function createApprovalEndpointHandler(deps: ApprovalEndpointDeps) {
  const readLink = async (token: string | null) => verifyApprovalLink(token ?? '', await deps.secrets.getSecret(deps.secretId), deps.clock());

  async function show(token: string | null): Promise<APIGatewayProxyStructuredResultV2> {
    const link = await readLink(token);
    if (!link.ok) return linkRefusedPage(link.reason, link.message);
    const { incidentId, approvalId, action } = link.payload;
    const review = await reviewApproval(deps, incidentId, approvalId);
    return review.outcome === 'pending' ? confirmationPage(review.record, action, token!) : outcomePage(review);
  }

  async function decide(event: z.infer<typeof FunctionUrlEventSchema>, headers: Record<string, string>): Promise<APIGatewayProxyStructuredResultV2> {
    const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') return requestRefusals.unsupportedMediaType();
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
    if (body.length > MAX_BODY_BYTES) return requestRefusals.tooLarge();
    const form = new URLSearchParams(body.toString('utf8'));
    const reason = normalizeReason(form.get('reason'));
    if (!reason.ok) return requestRefusals.reasonTooLong(reason.message);

    const link = await readLink(form.get('t'));
    if (!link.ok) return linkRefusedPage(link.reason, link.message);
    const { incidentId, approvalId, action } = link.payload;
    const typed = readApproverIdentity(form.get('name'), form.get('email'));
    if (!typed.ok) return requestRefusals.identityMissing(typed.message);
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
    if (!parsed.success) return requestRefusals.badRequest();
    const event = parsed.data;
    const headers = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k.toLowerCase(), v ?? '']));
    const method = event.requestContext.http.method.toUpperCase();
    // The last path segment, so the endpoint also works behind a proxy that adds a prefix.
    if (!/(^|\/)approval\/?$/.test(event.rawPath)) return requestRefusals.notFound();
    try {
      if (method === 'GET' || method === 'HEAD') {
        const response = await show(new URLSearchParams(event.rawQueryString).get('t'));
        return method === 'HEAD' ? { ...response, body: '' } : response;
      }
      if (method === 'POST') return await decide(event, headers);
      return requestRefusals.methodNotAllowed('GET, HEAD, POST');
    } catch (error) {
      logger.error('approval endpoint failed', { error: error as Error });
      return requestRefusals.internalError();
    }
  };
}

export const handler = composedHandler('approval-endpoint', composeApprovalEndpoint, createApprovalEndpointHandler);
