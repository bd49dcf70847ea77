import { describe, expect, it } from '@jest/globals';

import { ClockError, VirtualClock } from '../../../drill/sim/clock.js';

describe('VirtualClock', () => {
  const start = '2026-11-23T03:00:00.000Z';

  it('starts at the given time and hands out copies', () => {
    const clock = new VirtualClock(start);
    const now = clock.now();
    now.setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe(start);
    expect(clock.nowMs()).toBe(Date.parse(start));
  });

  it('moves forward with advanceTo and advanceBy', () => {
    const clock = new VirtualClock(new Date(start));
    clock.advanceTo('2026-11-23T03:05:00Z');
    clock.advanceBy(90);
    clock.advanceBy(0.5);
    expect(clock.now().toISOString()).toBe('2026-11-23T03:06:30.500Z');
  });

  it('accepts advancing to the current instant', () => {
    const clock = new VirtualClock(start);
    clock.advanceTo(start);
    expect(clock.now().toISOString()).toBe(start);
  });

  it('never goes backwards', () => {
    const clock = new VirtualClock(start);
    clock.advanceBy(60);
    expect(() => clock.advanceTo(start)).toThrow(ClockError);
    expect(() => clock.advanceTo(start)).toThrow(/cannot go back from 2026-11-23T03:01:00.000Z to 2026-11-23T03:00:00.000Z/);
    expect(clock.now().toISOString()).toBe('2026-11-23T03:01:00.000Z');
  });

  it('rejects negative, infinite and invalid amounts', () => {
    const clock = new VirtualClock(start);
    expect(() => clock.advanceBy(-1)).toThrow(ClockError);
    expect(() => clock.advanceBy(Number.POSITIVE_INFINITY)).toThrow(ClockError);
    expect(() => clock.advanceTo('not a date')).toThrow(ClockError);
    expect(() => new VirtualClock('nope')).toThrow(ClockError);
    expect(clock.now().toISOString()).toBe(start);
  });
});
