import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

import * as z from 'zod';

import { MitigationTypeSchema, RiskSchema } from './model.js';

/**
 * Human approval, the pure part: signed one-click links, the sealed Step Functions task token, and
 * the decision the workflow receives. Everything here takes the secret and the clock as arguments
 * so it can be tested without AWS and without waiting.
 *
 * A link token is `base64url(payload) "." base64url(HMAC-SHA256(secret, base64url(payload)))`.
 * The MAC covers the encoded payload text, not the decoded bytes: base64url decoders tolerate
 * non-canonical input, and signing the exact characters means a single changed character fails.
 */

/** Links live as long as the approval request: 15 minutes unless the workflow asks otherwise. */
export const DEFAULT_APPROVAL_TTL_SECONDS = 900;
/** Refuse anything longer before doing any work: real tokens are about 250 characters. */
export const MAX_LINK_TOKEN_LENGTH = 2048;
/** Free-text reasons are kept short: they go into the task output, the timeline and emails. */
export const MAX_REASON_LENGTH = 500;

/** A secret shorter than this is a configuration mistake (256 bits, as hex or random text). */
export const MIN_SECRET_LENGTH = 32;

export const ApprovalActionSchema = z.enum(['approve', 'reject']);
export type ApprovalAction = z.infer<typeof ApprovalActionSchema>;

export const ApprovalDecisionSchema = z.enum(['approved', 'rejected']);
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** The decision a link action stands for. */
export const decisionOf = (action: ApprovalAction): ApprovalDecision => (action === 'approve' ? 'approved' : 'rejected');

/** Approval ids appear in links and sort keys: keep them to URL- and key-safe characters. */
export const ApprovalIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'approval id must be 1-64 of A-Z a-z 0-9 _ -');

/** What a signed link carries. `exp` is epoch seconds; `nonce` makes every link unique. */
export const ApprovalLinkPayloadSchema = z
  .object({
    v: z.literal(1),
    incidentId: z.string().min(1).max(512),
    approvalId: ApprovalIdSchema,
    action: ApprovalActionSchema,
    exp: z.number().int().positive(),
    nonce: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  })
  .strict();
export type ApprovalLinkPayload = z.infer<typeof ApprovalLinkPayloadSchema>;

/** Why a link was refused. Each maps to one HTTP status on the endpoint. */
export type ApprovalLinkRefusal = 'malformed' | 'bad-signature' | 'unsupported-version' | 'expired';

export type ApprovalLinkVerification =
  | { readonly ok: true; readonly payload: ApprovalLinkPayload }
  | {
      readonly ok: false;
      readonly reason: ApprovalLinkRefusal;
      /** Safe to show to the person who clicked: never contains the secret or the expected MAC. */
      readonly message: string;
      /** The payload, only for `expired`: its signature was valid, so its contents are trustworthy. */
      readonly payload?: ApprovalLinkPayload;
    };

/** The HMAC secret (Secrets Manager `SecretString`). */
export type ApprovalSecret = string | Uint8Array;

/** The secret is missing or too short to sign anything. */
export class ApprovalSecretInvalidError extends Error {
  override readonly name = 'ApprovalSecretInvalidError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A sealed task token could not be opened: tampered, bound to another approval, or sealed under another secret. */
export class SealedTokenInvalidError extends Error {
  override readonly name = 'SealedTokenInvalidError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function secretBytes(secret: ApprovalSecret): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < MIN_SECRET_LENGTH) {
    throw new ApprovalSecretInvalidError(`the approval secret must be at least ${MIN_SECRET_LENGTH} bytes, got ${bytes.length}`);
  }
  return bytes;
}

const mac = (secret: Buffer, encodedPayload: string): string => createHmac('sha256', secret).update(encodedPayload, 'ascii').digest('base64url');

/** A random URL-safe nonce (128 bits). */
export const newNonce = (): string => randomBytes(16).toString('base64url');

/** What to sign: the approval the link decides, and how. */
export interface ApprovalLinkClaims {
  readonly incidentId: string;
  readonly approvalId: string;
  readonly action: ApprovalAction;
}

export interface SignApprovalLinkOptions {
  /** "Now", from the caller's clock. */
  readonly now: Date;
  /** When the link stops working. @default now + {@link DEFAULT_APPROVAL_TTL_SECONDS} */
  readonly expiresAt?: Date;
  /** @default 128 random bits */
  readonly nonce?: string;
}

/**
 * Signs a link token for one approval and one action.
 *
 * @throws ApprovalSecretInvalidError when the secret is shorter than {@link MIN_SECRET_LENGTH}
 * @throws z.ZodError when the claims are not valid (an approval id with unsafe characters, ...)
 */
export function signApprovalLink(claims: ApprovalLinkClaims, secret: ApprovalSecret, options: SignApprovalLinkOptions): string {
  const expiresAt = options.expiresAt ?? new Date(options.now.getTime() + DEFAULT_APPROVAL_TTL_SECONDS * 1000);
  const payload = ApprovalLinkPayloadSchema.parse({
    v: 1,
    incidentId: claims.incidentId,
    approvalId: claims.approvalId,
    action: claims.action,
    // Round up so a link never expires before the approval it belongs to.
    exp: Math.ceil(expiresAt.getTime() / 1000),
    nonce: options.nonce ?? newNonce(),
  });
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${encoded}.${mac(secretBytes(secret), encoded)}`;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

const refuse = (reason: ApprovalLinkRefusal, message: string, payload?: ApprovalLinkPayload): ApprovalLinkVerification =>
  payload ? { ok: false, reason, message, payload } : { ok: false, reason, message };

/**
 * Checks a link token: shape, then signature (constant-time), then contents, then expiry. The
 * payload is parsed only after its signature checks out, so nothing an attacker wrote is
 * interpreted. A link expires at `exp` exactly (`now >= exp` is expired).
 *
 * @throws ApprovalSecretInvalidError when the secret is shorter than {@link MIN_SECRET_LENGTH}
 */
export function verifyApprovalLink(token: unknown, secret: ApprovalSecret, now: Date): ApprovalLinkVerification {
  const key = secretBytes(secret);
  if (typeof token !== 'string' || token.length === 0) return refuse('malformed', 'The link has no approval token.');
  if (token.length > MAX_LINK_TOKEN_LENGTH) return refuse('malformed', 'The approval token is too long.');
  const parts = token.split('.');
  if (parts.length !== 2 || !SEGMENT.test(parts[0]!) || !SEGMENT.test(parts[1]!)) {
    return refuse('malformed', 'The approval token is not in the expected format (it may have been cut off by the mail client).');
  }
  const [encoded, signature] = parts as [string, string];

  const expected = Buffer.from(mac(key, encoded), 'ascii');
  const given = Buffer.from(signature, 'ascii');
  // timingSafeEqual needs equal lengths; the length of a MAC is public, so checking it first leaks nothing.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse('bad-signature', 'The approval link was altered or was not issued by this Tourniquet installation.');
  }

  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return refuse('malformed', 'The approval token does not contain a readable payload.');
  }
  const version = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { v?: unknown }).v : undefined;
  if (typeof version === 'number' && version !== 1) {
    return refuse('unsupported-version', 'The approval link was made by a different version of Tourniquet.');
  }
  const parsed = ApprovalLinkPayloadSchema.safeParse(raw);
  if (!parsed.success) return refuse('malformed', 'The approval token does not contain a valid approval.');
  if (Math.floor(now.getTime() / 1000) >= parsed.data.exp) {
    return refuse('expired', `The approval link expired at ${new Date(parsed.data.exp * 1000).toISOString()}.`, parsed.data);
  }
  return { ok: true, payload: parsed.data };
}

/**
 * The URL of a link: `<endpoint>/approval?t=<token>`. The endpoint is the function URL
 * (`https://<id>.lambda-url.<region>.on.aws/`); a path on it is kept.
 */
export function approvalLinkUrl(endpoint: string, token: string): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/approval`;
  url.search = '';
  url.hash = '';
  url.searchParams.set('t', token);
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// The task token, sealed. A Step Functions task token lets whoever holds it finish the task, so
// it is never stored in the clear: AES-256-GCM under a key derived (HKDF) from the same secret,
// with the incident and approval ids as associated data so a sealed token cannot be moved to
// another approval record.

const SEAL_VERSION = 'v1';
const SEAL_INFO = 'tourniquet/approval/task-token/v1';
const SEAL_SALT = 'tourniquet';

/** Binds a sealed token to one approval. */
export interface SealContext {
  readonly incidentId: string;
  readonly approvalId: string;
}

function sealKey(secret: ApprovalSecret): Buffer {
  // Derived, not the secret itself: the HMAC key and the encryption key must never be the same bytes.
  return Buffer.from(hkdfSync('sha256', secretBytes(secret), SEAL_SALT, SEAL_INFO, 32));
}

const associatedData = (context: SealContext): Buffer => Buffer.from(JSON.stringify([context.incidentId, context.approvalId]), 'utf8');

/**
 * Encrypts a task token for storage: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 *
 * @throws ApprovalSecretInvalidError when the secret is too short
 */
export function sealTaskToken(taskToken: string, secret: ApprovalSecret, context: SealContext): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  cipher.setAAD(associatedData(context));
  const ciphertext = Buffer.concat([cipher.update(taskToken, 'utf8'), cipher.final()]);
  return [SEAL_VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/**
 * Decrypts a token sealed by {@link sealTaskToken} for the same approval.
 *
 * @throws SealedTokenInvalidError when the token was altered, belongs to another approval, or was sealed under another secret
 * @throws ApprovalSecretInvalidError when the secret is too short
 */
export function openTaskToken(sealed: string, secret: ApprovalSecret, context: SealContext): string {
  const key = sealKey(secret);
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== SEAL_VERSION || !parts.slice(1).every((p) => SEGMENT.test(p))) {
    throw new SealedTokenInvalidError(`sealed task token of approval ${context.approvalId} is not in the ${SEAL_VERSION} format`);
  }
  const [, iv, ciphertext, tag] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
  if (iv.length !== 12 || tag.length !== 16) {
    throw new SealedTokenInvalidError(`sealed task token of approval ${context.approvalId} has a bad IV or tag length`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(associatedData(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new SealedTokenInvalidError(
      `cannot open the task token of approval ${context.approvalId}: it was altered, belongs to another approval, or the secret changed since it was sealed`,
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// What the workflow receives.

/** How a decision arrived. */
export const ApprovalChannelSchema = z.enum(['email-link', 'cli']);
export type ApprovalChannel = z.infer<typeof ApprovalChannelSchema>;

/**
 * The task output sent with SendTaskSuccess, for both decisions: the state after `AwaitApproval`
 * branches on `decision`. `reason` is null when none was given, so a JSONPath to it always resolves.
 */
export const ApprovalDecisionOutputSchema = z.object({
  decision: ApprovalDecisionSchema,
  /**
   * The CLI: the caller's IAM ARN (authenticated by AWS). An email link: `<name> <<email>> (email link)`
   * as typed on the confirmation page, a claim by whoever held the link, not an authenticated identity.
   */
  by: z.string().min(1),
  via: ApprovalChannelSchema,
  reason: z.string().max(MAX_REASON_LENGTH).nullable(),
  at: z.iso.datetime({ offset: true }),
  approvalId: ApprovalIdSchema,
});
export type ApprovalDecisionOutput = z.infer<typeof ApprovalDecisionOutputSchema>;

/** The part of a mitigation candidate a human needs to decide on it. */
export const ApprovalCandidateSchema = z.object({
  type: MitigationTypeSchema,
  target: z.string().min(1),
  rationale: z.string(),
  risk: RiskSchema,
  /** What the workflow does if nobody answers in time (the service's onApprovalTimeout for this severity). */
  onTimeout: z.enum(['escalate', 'proceed']).optional(),
});
export type ApprovalCandidate = z.infer<typeof ApprovalCandidateSchema>;

/** Longest name or email the confirmation page accepts. */
export const MAX_APPROVER_NAME_LENGTH = 100;
export const MAX_APPROVER_EMAIL_LENGTH = 254;

/**
 * What is known of the person behind an email-link decision. `name` and `email` are what they
 * typed on the confirmation page (a claim, not authentication); `sourceIp` and `userAgent` come
 * from the request; `recipients` are the addresses the signed link was emailed to, and
 * `emailIsRecipient` says whether the typed email is one of them. The link itself proves only that
 * its holder received (or was forwarded) the email.
 */
export const ApproverIdentitySchema = z.object({
  name: z.string().min(1).max(MAX_APPROVER_NAME_LENGTH),
  email: z.string().min(3).max(MAX_APPROVER_EMAIL_LENGTH),
  sourceIp: z.string().max(64).optional(),
  userAgent: z.string().max(200).optional(),
  recipients: z.array(z.string()),
  emailIsRecipient: z.boolean(),
});
export type ApproverIdentity = z.infer<typeof ApproverIdentitySchema>;

/** The result of {@link readApproverIdentity}. */
export type TypedIdentity = { ok: true; name: string; email: string } | { ok: false; message: string };

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/**
 * Checks the name and email typed on the confirmation page: both required, one line each, the
 * email shaped like an address. Control characters are removed (they end up in one-line texts).
 */
export function readApproverIdentity(name: string | null | undefined, email: string | null | undefined): TypedIdentity {
  const clean = (text: string | null | undefined) =>
    (text ?? '')
      .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
      .replace(/ {2,}/g, ' ')
      .trim();
  const n = clean(name);
  const e = clean(email).toLowerCase();
  if (n === '') return { ok: false, message: 'Type your name: it is recorded with the decision' };
  if (n.length > MAX_APPROVER_NAME_LENGTH) return { ok: false, message: `Keep the name to ${MAX_APPROVER_NAME_LENGTH} characters` };
  if (e === '' || e.length > MAX_APPROVER_EMAIL_LENGTH || !EMAIL.test(e)) return { ok: false, message: 'Type your email address: it is recorded with the decision' };
  return { ok: true, name: n, email: e };
}

/** How an email-link decider appears in `by`, on the timeline and in the workflow's output. */
export const emailLinkDecider = (identity: Pick<ApproverIdentity, 'name' | 'email'>): string => `${identity.name} <${identity.email}> (email link)`;

/** The result of {@link normalizeReason}. */
export type NormalizedReason = { ok: true; reason: string | null } | { ok: false; message: string };

/**
 * Cleans a free-text reason: control characters become spaces (it ends up in one-line timeline
 * messages and email text), whitespace is trimmed, empty means none. Too long is refused rather
 * than cut, so nobody's words are silently changed.
 */
export function normalizeReason(reason: string | undefined | null): NormalizedReason {
  if (reason === undefined || reason === null) return { ok: true, reason: null };
  const cleaned = reason
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (cleaned.length > MAX_REASON_LENGTH) return { ok: false, message: `the reason is ${cleaned.length} characters; keep it to ${MAX_REASON_LENGTH}` };
  return { ok: true, reason: cleaned === '' ? null : cleaned };
}

/** `2026-11-23 03:26:00 UTC`: unambiguous for readers in any time zone (emails, pages, CLI output). */
export const formatTime = (date: Date): string =>
  date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');

/** `apr-20261123T031100Z-1a2b3c4d5e6f7a8b`: sorts by request time, unique by its random part. */
export function newApprovalId(now: Date, random: () => Buffer = () => randomBytes(8)): string {
  const compact = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `apr-${compact}-${random().toString('hex')}`;
}
