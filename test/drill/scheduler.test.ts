import { describe, expect, it } from '@jest/globals';

import { Scheduler, SchedulerError } from '../../drill/scheduler.js';
import { VirtualClock } from '../../drill/sim/clock.js';

const START = '2026-11-23T03:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(START) + seconds * 1000);
/** Seconds since START of the scheduler's clock. */
const elapsed = (s: Scheduler) => (s.now().getTime() - Date.parse(START)) / 1000;
/** Real asynchronous work (a macrotask), like an HTTP call to DynamoDB Local. */
const io = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup() {
  const clock = new VirtualClock(START);
  return { clock, scheduler: new Scheduler(clock) };
}

describe('Scheduler', () => {
  it('wakes sleepers in due-time order and moves the clock to each due time', async () => {
    const { scheduler } = setup();
    const log: string[] = [];
    for (const [name, due] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
    ] as const) {
      scheduler.spawn(
        name,
        async () => {
          log.push(`${name}@${elapsed(scheduler)}`);
        },
        { at: at(due) },
      );
    }
    const outcome = await scheduler.run();
    expect(log).toEqual(['a@10', 'b@20', 'c@30']);
    expect(outcome).toEqual({ reason: 'quiet', steps: 3 });
    expect(elapsed(scheduler)).toBe(30);
  });

  it('breaks ties by the order the actors went to sleep', async () => {
    const { scheduler } = setup();
    const log: string[] = [];
    scheduler.spawn('first', async () => {
      await scheduler.sleepUntil(at(60));
      log.push('first');
    });
    scheduler.spawn('second', async () => {
      await scheduler.sleep(10);
      // Goes to sleep later than "first" for the same instant, so it wakes after it.
      await scheduler.sleepUntil(at(60));
      log.push('second');
    });
    scheduler.spawn('third', async () => {
      await scheduler.sleepUntil(at(60));
      log.push('third');
    });
    await scheduler.run();
    expect(log).toEqual(['first', 'third', 'second']);
  });

  it('runs one actor at a time even when actors do real asynchronous I/O', async () => {
    const { scheduler } = setup();
    const log: string[] = [];
    for (const name of ['a', 'b']) {
      scheduler.spawn(name, async () => {
        for (let round = 1; round <= 2; round += 1) {
          log.push(`${name}${round} begin`);
          await io();
          await io();
          log.push(`${name}${round} end`);
          await scheduler.sleep(5);
        }
      });
    }
    await scheduler.run();
    expect(log).toEqual(['a1 begin', 'a1 end', 'b1 begin', 'b1 end', 'a2 begin', 'a2 end', 'b2 begin', 'b2 end']);
  });

  it('a due time in the past wakes at once and never moves the clock backwards', async () => {
    const { scheduler } = setup();
    const seen: number[] = [];
    scheduler.spawn('late', async () => {
      await scheduler.sleep(100);
      await scheduler.sleepUntil(at(40));
      seen.push(elapsed(scheduler));
    });
    await scheduler.run();
    expect(seen).toEqual([100]);
  });

  it('spawn inside an actor returns at once; the new actor runs when the spawner yields', async () => {
    const { scheduler } = setup();
    const log: string[] = [];
    scheduler.spawn('parent', async () => {
      scheduler.spawn('child', async () => {
        log.push(`child@${elapsed(scheduler)}`);
      });
      log.push('parent spawned');
      await io();
      log.push('parent still has the turn');
      await scheduler.sleep(1);
      log.push(`parent@${elapsed(scheduler)}`);
    });
    await scheduler.run();
    expect(log).toEqual(['parent spawned', 'parent still has the turn', 'child@0', 'parent@1']);
  });

  it('daemon actors do not keep the drill alive', async () => {
    const { scheduler } = setup();
    const ticks: number[] = [];
    scheduler.spawn(
      'cadence',
      async () => {
        for (;;) {
          await scheduler.sleep(300);
          ticks.push(elapsed(scheduler));
        }
      },
      { daemon: true },
    );
    scheduler.spawn('work', async () => {
      await scheduler.sleep(700);
    });
    const outcome = await scheduler.run();
    expect(outcome.reason).toBe('quiet');
    expect(ticks).toEqual([300, 600]);
    expect(elapsed(scheduler)).toBe(700);
  });

  it('a sleep can say it keeps the drill alive, or not, whatever the actor is', async () => {
    const { scheduler } = setup();
    const log: number[] = [];
    scheduler.spawn('work', () => scheduler.sleep(10));
    scheduler.spawn(
      'pump',
      async () => {
        // Something lies ahead: this sleep keeps the drill going although the actor is a daemon.
        await scheduler.sleep(50, { daemon: false });
        log.push(elapsed(scheduler));
        await scheduler.sleep(50);
        log.push(elapsed(scheduler));
      },
      { daemon: true },
    );
    await scheduler.run();
    expect(log).toEqual([50]);
    expect(elapsed(scheduler)).toBe(50);
  });

  it('with until, daemons run to that instant and the clock ends there', async () => {
    const { scheduler } = setup();
    const ticks: number[] = [];
    scheduler.spawn(
      'cadence',
      async () => {
        for (;;) {
          await scheduler.sleep(300);
          ticks.push(elapsed(scheduler));
        }
      },
      { daemon: true },
    );
    const outcome = await scheduler.run({ until: at(1000) });
    expect(outcome.reason).toBe('until');
    expect(ticks).toEqual([300, 600, 900]);
    expect(elapsed(scheduler)).toBe(1000);
  });

  it('stops a runaway drill at the time limit and at the step limit, with a clear message', async () => {
    const forever = (scheduler: Scheduler) =>
      scheduler.spawn('flapper', async () => {
        for (;;) await scheduler.sleep(3600);
      });
    const a = setup();
    forever(a.scheduler);
    await expect(a.scheduler.run({ deadline: at(30 * 86_400) })).rejects.toThrow(/runaway drill: "flapper" wants to wake at 2026-12-23T04:00:00.000Z, past the limit/);
    const b = setup();
    forever(b.scheduler);
    await expect(b.scheduler.run({ maxSteps: 10 })).rejects.toThrow(/runaway drill: more than 10 wake-ups/);
  });

  it('refuses a sleep out of turn: a second branch of an actor that already went to sleep', async () => {
    const { scheduler } = setup();
    const log: string[] = [];
    scheduler.spawn('forked', async () => {
      await Promise.all([scheduler.sleep(1), scheduler.sleep(2)]);
      log.push('forked went on');
    });
    scheduler.spawn('bystander', async () => {
      await scheduler.sleep(1);
      log.push('bystander');
    });
    const outcome = await scheduler.run();
    expect(scheduler.failures).toHaveLength(1);
    expect(scheduler.failures[0]!.error).toBeInstanceOf(SchedulerError);
    expect(String(scheduler.failures[0]!.error)).toMatch(/actor "forked" tried to sleep while .*: an actor must not run branches concurrently/);
    // The finished actor's left-over sleep wakes nobody; everyone else is unaffected.
    expect(log).toEqual(['bystander']);
    expect(outcome.reason).toBe('quiet');
  });

  it('keeps an actor error and goes on with the others', async () => {
    const { scheduler } = setup();
    const log: string[] = [];
    scheduler.spawn('broken', async () => {
      await scheduler.sleep(5);
      throw new Error('boom');
    });
    scheduler.spawn('fine', async () => {
      await scheduler.sleep(10);
      log.push('fine');
    });
    await scheduler.run();
    expect(log).toEqual(['fine']);
    expect(scheduler.failures.map((f) => [f.actor, f.at, (f.error as Error).message])).toEqual([['broken', at(5).toISOString(), 'boom']]);
  });

  it('retime moves a sleeper; the hook before each wake-up is where that happens', async () => {
    const { scheduler } = setup();
    const log: string[] = [];
    let predicted = at(500);
    const pump = scheduler.spawn('pump', async () => {
      await scheduler.sleepUntil(predicted);
      log.push(`pump@${elapsed(scheduler)}`);
    });
    scheduler.spawn('mitigation', async () => {
      await scheduler.sleep(100);
      predicted = at(200);
      log.push('changed the prediction');
    });
    let hooks = 0;
    scheduler.beforeWake(() => {
      hooks += 1;
      scheduler.retime(pump, predicted);
    });
    const outcome = await scheduler.run();
    expect(log).toEqual(['changed the prediction', 'pump@200']);
    // Before each of the four wake-ups, and once more when nothing is left.
    expect(outcome.steps).toBe(4);
    expect(hooks).toBe(5);
  });

  it('outside run, sleeping only moves the clock (nothing else can run)', async () => {
    const { scheduler } = setup();
    await scheduler.sleep(90);
    expect(elapsed(scheduler)).toBe(90);
    await scheduler.sleepUntil(at(10));
    expect(elapsed(scheduler)).toBe(90);
  });

  it('names an actor that waits on something other than the scheduler', async () => {
    const { scheduler } = setup();
    scheduler.spawn('stuck', () => new Promise<void>(() => undefined));
    await expect(scheduler.run({ turnTimeoutMs: 20 })).rejects.toThrow(/actor "stuck" neither slept nor finished/);
  });
});
