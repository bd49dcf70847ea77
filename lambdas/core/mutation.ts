/**
 * Timings that make "never two changes at once" provable. A claim on a change outlives the longest
 * invocation that could hold it, so once its lease has run out the holder is certainly gone (Lambda
 * stops every invocation at its timeout) and the next attempt may take over and reconcile.
 */

/** The mitigate function's timeout (lib/ sets it from here). */
export const MITIGATE_TIMEOUT_SECONDS = 60;

/** Lease on an action claim: the function's timeout plus a margin for clock skew between invocations. */
export const CLAIM_LEASE_SECONDS = MITIGATE_TIMEOUT_SECONDS + 30;

/**
 * Lease on the per-service mutation lock when taken: enough for the change to settle and the first
 * check; verify renews it (heartbeat) for every further check, so a live incident never loses it.
 */
export const MUTATION_LOCK_LEASE_SECONDS = 30 * 60;

/** What verify's heartbeat adds past the next check. */
export const MUTATION_LOCK_RENEWAL_MARGIN_SECONDS = 15 * 60;
