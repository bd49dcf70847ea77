import { createHmac } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import {
  approvalLinkUrl,
  ApprovalSecretInvalidError,
  decisionOf,
  DEFAULT_APPROVAL_TTL_SECONDS,
  MAX_REASON_LENGTH,
  newApprovalId,
  normalizeReason,
  openTaskToken,
  SealedTokenInvalidError,
  sealTaskToken,
  signApprovalLink,
  verifyApprovalLink,
} from '../../../lambdas/core/approval-link.js';

const SECRET = 'core-test-secret-0123456789abcdef0123456789abcdef';
const now = new Date('2026-11-23T03:11:00.000Z');
const claims = { incidentId: 'inc-20261123T031000Z-abcd1234', approvalId: 'apr-20261123T031100Z-00112233aabbccdd', action: 'approve' as const };
const sign = (overrides: Partial<Parameters<typeof signApprovalLink>[2]> = {}) => signApprovalLink(claims, SECRET, { now, nonce: 'nonce-0123456789', ...overrides });

/** Replaces the character at `index` with a different base64url character. */
const flip = (text: string, index: number): string => {
  const c = text[index]!;
  return `${text.slice(0, index)}${c === 'A' ? 'B' : 'A'}${text.slice(index + 1)}`;
};

/** A token for an arbitrary payload text, correctly signed: to test what happens after the signature check. */
const signedRaw = (payloadText: string, secret = SECRET): string => {
  const encoded = Buffer.from(payloadText, 'utf8').toString('base64url');
  return `${encoded}.${createHmac('sha256', secret).update(encoded).digest('base64url')}`;
};

describe('signApprovalLink / verifyApprovalLink', () => {
  it('round-trips the claims with a 15-minute default expiry', () => {
    const result = verifyApprovalLink(sign(), SECRET, now);
    expect(result).toEqual({
      ok: true,
      payload: { v: 1, ...claims, exp: now.getTime() / 1000 + DEFAULT_APPROVAL_TTL_SECONDS, nonce: 'nonce-0123456789' },
    });
    expect(DEFAULT_APPROVAL_TTL_SECONDS).toBe(900);
  });

  it('is base64url(payload).base64url(HMAC-SHA256(secret, payload)) and URL-safe', () => {
    const token = sign();
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const [encoded, mac] = token.split('.') as [string, string];
    expect(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))).toMatchObject({ v: 1, action: 'approve' });
    expect(mac).toBe(createHmac('sha256', SECRET).update(encoded).digest('base64url'));
  });

  it('gives every link a fresh random nonce by default', () => {
    const a = signApprovalLink(claims, SECRET, { now });
    const b = signApprovalLink(claims, SECRET, { now });
    expect(a).not.toBe(b);
    expect(verifyApprovalLink(a, SECRET, now).ok).toBe(true);
  });

  it('refuses a change to any character of the payload', () => {
    const token = sign();
    const payloadLength = token.indexOf('.');
    for (let i = 0; i < payloadLength; i++) {
      expect(verifyApprovalLink(flip(token, i), SECRET, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
    }
  });

  it('refuses a change to any character of the signature', () => {
    const token = sign();
    for (let i = token.indexOf('.') + 1; i < token.length; i++) {
      expect(verifyApprovalLink(flip(token, i), SECRET, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
    }
  });

  it('refuses an approve payload carrying a reject link signature (action swap)', () => {
    const approve = sign();
    const reject = signApprovalLink({ ...claims, action: 'reject' }, SECRET, { now, nonce: 'nonce-0123456789' });
    const swapped = `${reject.split('.')[0]}.${approve.split('.')[1]}`;
    expect(verifyApprovalLink(swapped, SECRET, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a payload edited and re-encoded without the secret', () => {
    const [encoded, mac] = sign().split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 86_400 })).toString('base64url');
    expect(verifyApprovalLink(`${forged}.${mac}`, SECRET, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a link signed with another secret', () => {
    const other = signApprovalLink(claims, 'another-secret-0123456789abcdef0123456789', { now });
    expect(verifyApprovalLink(other, SECRET, now)).toMatchObject({ ok: false, reason: 'bad-signature', message: expect.stringContaining('not issued') });
  });

  it('expires exactly at exp, and says when', () => {
    const token = sign();
    const exp = new Date(now.getTime() + DEFAULT_APPROVAL_TTL_SECONDS * 1000);
    expect(verifyApprovalLink(token, SECRET, new Date(exp.getTime() - 1000)).ok).toBe(true);
    const expired = verifyApprovalLink(token, SECRET, exp);
    expect(expired).toMatchObject({ ok: false, reason: 'expired', message: `The approval link expired at ${exp.toISOString()}.`, payload: { approvalId: claims.approvalId } });
  });

  it('uses the given expiry, rounded up to the second', () => {
    const token = sign({ expiresAt: new Date(now.getTime() + 60_500) });
    const result = verifyApprovalLink(token, SECRET, now);
    expect(result.ok && result.payload.exp).toBe(now.getTime() / 1000 + 61);
  });

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an empty string', ''],
    ['one segment', 'abcdef'],
    ['three segments', 'a.b.c'],
    ['an empty signature', 'abc.'],
    ['characters outside base64url', 'ab+c.de/f'],
    ['a space (mail client damage)', 'abc .def'],
    ['a token over 2048 characters', `${'a'.repeat(2048)}.b`],
  ])('refuses %s as malformed', (_what, token) => {
    expect(verifyApprovalLink(token, SECRET, now)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('refuses signed payloads that are not valid approvals as malformed', () => {
    expect(verifyApprovalLink(signedRaw('not json'), SECRET, now)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyApprovalLink(signedRaw('[1,2]'), SECRET, now)).toMatchObject({ ok: false, reason: 'malformed' });
    const valid = { v: 1, ...claims, exp: 2_000_000_000, nonce: 'nonce-0123456789' };
    expect(verifyApprovalLink(signedRaw(JSON.stringify(valid)), SECRET, now).ok).toBe(true);
    expect(verifyApprovalLink(signedRaw(JSON.stringify({ ...valid, action: 'delete' })), SECRET, now)).toMatchObject({ reason: 'malformed' });
    expect(verifyApprovalLink(signedRaw(JSON.stringify({ ...valid, extra: 1 })), SECRET, now)).toMatchObject({ reason: 'malformed' });
    expect(verifyApprovalLink(signedRaw(JSON.stringify({ ...valid, v: 2 })), SECRET, now)).toMatchObject({ reason: 'unsupported-version' });
  });

  it('refuses to sign or verify with a secret shorter than 32 bytes', () => {
    expect(() => signApprovalLink(claims, 'short', { now })).toThrow(ApprovalSecretInvalidError);
    expect(() => verifyApprovalLink(sign(), '', now)).toThrow(ApprovalSecretInvalidError);
  });

  it('refuses to sign unsafe approval ids', () => {
    expect(() => signApprovalLink({ ...claims, approvalId: 'apr/../x' }, SECRET, { now })).toThrow();
  });
});

describe('approvalLinkUrl', () => {
  it('puts the token on /approval of the function URL', () => {
    expect(approvalLinkUrl('https://abc.lambda-url.us-east-1.on.aws/', 'p.s')).toBe('https://abc.lambda-url.us-east-1.on.aws/approval?t=p.s');
    expect(approvalLinkUrl('https://example.com/tourniquet/?x=1', 'p.s')).toBe('https://example.com/tourniquet/approval?t=p.s');
  });
});

describe('sealTaskToken / openTaskToken', () => {
  const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAbMYTaskToken+/=='.repeat(5);
  const context = { incidentId: claims.incidentId, approvalId: claims.approvalId };

  it('round-trips, and the sealed form reveals nothing of the token', () => {
    const sealed = sealTaskToken(token, SECRET, context);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain('TaskToken');
    expect(openTaskToken(sealed, SECRET, context)).toBe(token);
    expect(sealTaskToken(token, SECRET, context)).not.toBe(sealed);
  });

  it('cannot be opened for another approval, with another secret, or after tampering', () => {
    const sealed = sealTaskToken(token, SECRET, context);
    expect(() => openTaskToken(sealed, SECRET, { ...context, approvalId: 'apr-other' })).toThrow(SealedTokenInvalidError);
    expect(() => openTaskToken(sealed, 'another-secret-0123456789abcdef0123456789', context)).toThrow(SealedTokenInvalidError);
    const parts = sealed.split('.');
    parts[2] = flip(parts[2]!, 3);
    expect(() => openTaskToken(parts.join('.'), SECRET, context)).toThrow(SealedTokenInvalidError);
    expect(() => openTaskToken('v2.a.b.c', SECRET, context)).toThrow(/format/);
    expect(() => openTaskToken(token, SECRET, context)).toThrow(SealedTokenInvalidError);
  });
});

describe('normalizeReason', () => {
  it('trims, flattens control characters, and treats empty as none', () => {
    expect(normalizeReason(undefined)).toEqual({ ok: true, reason: null });
    expect(normalizeReason('   ')).toEqual({ ok: true, reason: null });
    expect(normalizeReason('  flag is\r\nthe only\tchange ')).toEqual({ ok: true, reason: 'flag is the only change' });
  });

  it('refuses reasons over the limit instead of cutting them', () => {
    expect(normalizeReason('x'.repeat(MAX_REASON_LENGTH)).ok).toBe(true);
    expect(normalizeReason('x'.repeat(MAX_REASON_LENGTH + 1))).toMatchObject({ ok: false, message: expect.stringContaining('500') });
  });
});

describe('ids and decisions', () => {
  it('makes time-sortable approval ids', () => {
    expect(newApprovalId(now, () => Buffer.from('0011223344556677', 'hex'))).toBe('apr-20261123T031100Z-0011223344556677');
    expect(newApprovalId(now)).toMatch(/^apr-20261123T031100Z-[0-9a-f]{16}$/);
  });

  it('maps link actions to decisions', () => {
    expect(decisionOf('approve')).toBe('approved');
    expect(decisionOf('reject')).toBe('rejected');
  });
});
