import { describe, expect, it } from '@jest/globals';

import { DeadlineError, InterruptedError, type Probe, waitFor, type WaitTime } from '../../../e2e/aws/wait.js';

/** Virtual time: sleep moves the clock, nothing really waits. */
function virtualTime(signal?: AbortSignal): WaitTime & { lines: string[]; slept: number[]; now: () => number } {
  let now = Date.parse('2026-11-28T06:00:00Z');
  const lines: string[] = [];
  const slept: number[] = [];
  return {
    clock: () => new Date(now),
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    log: (line) => lines.push(line),
    signal,
    lines,
    slept,
    now: () => now,
  };
}

const sequence = <T>(probes: Probe<T>[]) => {
  let i = 0;
  return async () => probes[Math.min(i++, probes.length - 1)]!;
};

describe('waitFor', () => {
  it('probes until done and reports the elapsed virtual time', async () => {
    const time = virtualTime();
    const result = await waitFor(
      'flag off',
      sequence<string>([
        { done: false, seen: 'DEPLOYING' },
        { done: false, seen: 'DEPLOYING' },
        { done: true, value: 'v2' },
      ]),
      { timeoutMs: 60_000, intervalMs: 10_000 },
      time,
    );
    expect(result).toEqual({ value: 'v2', elapsedMs: 20_000 });
    expect(time.slept).toEqual([10_000, 10_000]);
    // A progress line when what is seen changes, not at every probe.
    expect(time.lines).toEqual(['  flag off: waiting (0 s): DEPLOYING', '  flag off: yes after 20 s']);
  });

  it('prints a progress line every minute while nothing changes', async () => {
    const time = virtualTime();
    await expect(waitFor('incident', sequence<string>([{ done: false, seen: 'no episode' }]), { timeoutMs: 150_000, intervalMs: 30_000 }, time)).rejects.toThrow(DeadlineError);
    expect(time.lines.filter((l) => l.includes('waiting'))).toEqual([
      '  incident: waiting (0 s): no episode',
      '  incident: waiting (60 s): no episode',
      '  incident: waiting (120 s): no episode',
    ]);
  });

  it('gives up at the deadline with what it saw last, after one last look at the deadline itself', async () => {
    const time = virtualTime();
    const start = time.now();
    const error = await waitFor(
      'flag off',
      sequence<string>([
        { done: false, seen: 'DEPLOYING' },
        { done: false, seen: 'COMPLETE with the flag on' },
      ]),
      { timeoutMs: 25_000, intervalMs: 10_000 },
      time,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as DeadlineError).message).toBe('flag off: not seen within 25 s (last seen: COMPLETE with the flag on)');
    // 10 + 10 + the remaining 5: never past the deadline.
    expect(time.slept).toEqual([10_000, 10_000, 5_000]);
    expect(time.now() - start).toBe(25_000);
  });

  it('ends at once with the error of a probe that throws', async () => {
    const time = virtualTime();
    const denied = Object.assign(new Error('not authorized to perform dynamodb:GetItem'), { name: 'AccessDeniedException' });
    await expect(
      waitFor(
        'incident',
        async () => {
          throw denied;
        },
        { timeoutMs: 60_000, intervalMs: 10_000 },
        time,
      ),
    ).rejects.toBe(denied);
    expect(time.slept).toEqual([]);
  });

  it('stops when the run is interrupted', async () => {
    const controller = new AbortController();
    const time = virtualTime(controller.signal);
    let probes = 0;
    const probe = async (): Promise<Probe<string>> => {
      probes += 1;
      if (probes === 2) controller.abort();
      return { done: false, seen: 'nothing' };
    };
    await expect(waitFor('incident', probe, { timeoutMs: 600_000, intervalMs: 10_000 }, time)).rejects.toThrow(InterruptedError);
    expect(probes).toBe(2);
  });
});
