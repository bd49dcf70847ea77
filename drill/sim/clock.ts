/**
 * The drill's virtual clock. Every simulated service reads time from here, never from the
 * machine, so a drill that spans half an hour of incident runs in milliseconds and gives the
 * same answer on every laptop.
 */

/** Raised when someone tries to move the virtual clock backwards or by a nonsense amount. */
export class ClockError extends Error {
  override readonly name = 'ClockError';
}

/** A clock that only moves when told to, and only forwards. */
export class VirtualClock {
  #nowMs: number;

  /** @param start the first instant of the drill (usually the scenario's `startsAt`). */
  constructor(start: Date | string) {
    const ms = new Date(start).getTime();
    if (Number.isNaN(ms)) throw new ClockError(`VirtualClock: invalid start time ${JSON.stringify(start)}`);
    this.#nowMs = ms;
  }

  /** The current virtual time, as a fresh Date the caller may keep or mutate. */
  now(): Date {
    return new Date(this.#nowMs);
  }

  /** The current virtual time in epoch milliseconds. */
  nowMs(): number {
    return this.#nowMs;
  }

  /**
   * Moves the clock to `t`. Moving to the current instant is a no-op; moving backwards throws,
   * because the simulation treats everything before "now" as settled history.
   */
  advanceTo(t: Date | string): void {
    const ms = new Date(t).getTime();
    if (Number.isNaN(ms)) throw new ClockError(`VirtualClock: invalid time ${JSON.stringify(t)}`);
    if (ms < this.#nowMs) {
      throw new ClockError(`VirtualClock: cannot go back from ${new Date(this.#nowMs).toISOString()} to ${new Date(ms).toISOString()}`);
    }
    this.#nowMs = ms;
  }

  /** Moves the clock forward by a non-negative number of seconds (fractions allowed). */
  advanceBy(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new ClockError(`VirtualClock: advanceBy needs a finite, non-negative number of seconds, got ${seconds}`);
    }
    this.#nowMs += Math.round(seconds * 1000);
  }
}
