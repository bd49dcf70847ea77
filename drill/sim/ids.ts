import { createHash } from 'node:crypto';

/**
 * Deterministic identifiers. Real AWS hands out random IDs; the drill must give the same
 * report on every run, so IDs are derived from stable seeds (a counter, an alarm name and a
 * time) instead.
 */

/** The simulated account and region, as used in every ARN the simulation produces. */
export const SIM_ACCOUNT = '123456789012';
export const SIM_REGION = 'us-east-1';

/** A UUID-shaped string (8-4-4-4-12 hex) derived from `seed`. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  // Version nibble 5 (name-based) and the RFC 4122 variant, so it also passes strict UUID checks.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A string of `length` decimal digits derived from `seed` (ECS deployment IDs look like this). */
export function stableDigits(seed: string, length: number): string {
  let out = '';
  let round = 0;
  while (out.length < length) {
    const hex = createHash('sha256').update(`${seed}#${round++}`).digest('hex');
    out += BigInt(`0x${hex}`).toString().slice(1);
  }
  return out.slice(0, length);
}
