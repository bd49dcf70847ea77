/**
 * Polling with a deadline for the real-AWS test. Time comes from an injected clock and sleep, so the
 * unit tests run a ten-minute wait in microseconds and the real run waits for real.
 */

/** What one look at AWS found: done with a value, or not yet and what was seen (printed as progress). */
export type Probe<T> = { done: true; value: T } | { done: false; seen: string };

export interface WaitTime {
  readonly clock: () => Date;
  /** Resolves after `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly log: (line: string) => void;
  /** Ctrl-C: a wait stops at once so the teardown can start. */
  readonly signal?: AbortSignal;
}

export interface WaitOptions {
  /** Give up this long after the first probe. */
  readonly timeoutMs: number;
  /** Pause between probes. */
  readonly intervalMs: number;
}

/** A wait ran past its deadline; `lastSeen` is what the last probe found. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
  ) {
    super(`${what}: not seen within ${Math.round(timeoutMs / 1000)} s (last seen: ${lastSeen})`);
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM): stop waiting and tear down. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(what: string) {
    super(`interrupted during ${what}`);
  }
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/**
 * Calls `probe` until it reports done, the deadline passes, or the run is interrupted. A progress
 * line is printed whenever what the probe sees changes, and every minute while it stays the same,
 * so a long wait never looks hung. A probe that throws ends the wait with that error: a denied call
 * does not get better by asking again.
 */
export async function waitFor<T>(what: string, probe: () => Promise<Probe<T>>, options: WaitOptions, time: WaitTime): Promise<{ value: T; elapsedMs: number }> {
  const start = time.clock().getTime();
  let lastSeen = '(nothing yet)';
  let lastPrinted = -Infinity;
  for (;;) {
    if (time.signal?.aborted) throw new InterruptedError(what);
    const result = await probe();
    const elapsed = time.clock().getTime() - start;
    if (result.done) {
      time.log(`  ${what}: yes after ${seconds(elapsed)}`);
      return { value: result.value, elapsedMs: elapsed };
    }
    if (result.seen !== lastSeen || elapsed - lastPrinted >= 60_000) {
      time.log(`  ${what}: waiting (${seconds(elapsed)}): ${result.seen}`);
      lastPrinted = elapsed;
    }
    lastSeen = result.seen;
    if (elapsed >= options.timeoutMs) throw new DeadlineError(what, options.timeoutMs, lastSeen);
    await time.sleep(Math.min(options.intervalMs, options.timeoutMs - elapsed), time.signal);
  }
}
