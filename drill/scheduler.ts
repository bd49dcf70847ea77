import { AsyncLocalStorage } from 'node:async_hooks';

import type { VirtualClock } from './sim/clock.js';

/**
 * A cooperative discrete-event scheduler on the drill's virtual clock.
 *
 * Everything that happens in a drill episode is an *actor*: a workflow execution, the alarm event
 * pump, one delivery of an alarm event, the status-cadence timer, a scripted human action. Actors
 * are ordinary async functions; the only way an actor waits for virtual time is
 * {@link Scheduler.sleepUntil} / {@link Scheduler.sleep}.
 *
 * Exactly one actor runs at a time. The handlers under drill do real async I/O (DynamoDB Local over
 * HTTP), so letting two actors interleave their awaits would make the order of their writes depend
 * on the machine's timing; instead the scheduler hands the turn to one actor, waits until that actor
 * sleeps again or finishes, and only then wakes the next one: the sleeper with the earliest due time,
 * ties broken by the order in which they went to sleep. The clock moves to the woken sleeper's due
 * time (never backwards: a due time in the past wakes at once). Nothing waits on real time, so a
 * drill of days runs in seconds and gives the same story on every machine.
 *
 * Which actor is calling is known from an AsyncLocalStorage context set when the actor starts, so a
 * sleep out of turn (code running outside any actor while the scheduler runs, or a second branch of
 * an actor that already went to sleep) fails loudly instead of silently breaking the one-at-a-time
 * rule. An actor is one sequential story: it must not run branches that sleep concurrently.
 */

/** Raised for misuse (sleeping outside one's turn, running twice) and for runaway drills. */
export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
}

/** One actor as the scheduler knows it; handed back by {@link Scheduler.spawn}. */
export interface Actor {
  readonly id: number;
  readonly name: string;
  /** Set once the actor's body returned or threw. */
  readonly finished: boolean;
}

export interface SpawnOptions {
  /** When the actor first runs. @default now */
  readonly at?: Date;
  /**
   * A daemon actor does not keep the drill going by itself: when only daemon actors are left
   * asleep, {@link Scheduler.run} ends (the cadence timer, the alarm pump with nothing ahead).
   * @default false
   */
  readonly daemon?: boolean;
}

export interface SleepOptions {
  /** Whether this sleep keeps the drill alive (see {@link SpawnOptions.daemon}). @default the actor's own setting */
  readonly daemon?: boolean;
}

export interface RunOptions {
  /**
   * Stop when the next wake-up would be later than this instant, with the clock moved to it. Until
   * then daemon actors keep running, so the story covers the whole span. @default run until quiet
   */
  readonly until?: Date;
  /** A wake-up later than this is a runaway drill: {@link SchedulerError}. @default no limit */
  readonly deadline?: Date;
  /** More wake-ups than this is a runaway drill: {@link SchedulerError}. @default 200,000 */
  readonly maxSteps?: number;
  /**
   * Real milliseconds one turn may take before the drill gives up on it: an actor that neither sleeps
   * nor finishes is waiting on something other than the scheduler (a bug worth naming). @default 300,000
   */
  readonly turnTimeoutMs?: number;
}

/** Why {@link Scheduler.run} returned. */
export interface RunOutcome {
  /** quiet: no actor that keeps the drill alive is left; until: the `until` instant was reached. */
  readonly reason: 'quiet' | 'until';
  /** Wake-ups during this run. */
  readonly steps: number;
}

/** An actor whose body threw: the error is kept, the drill goes on. */
export interface ActorFailure {
  readonly actor: string;
  readonly at: string;
  readonly error: unknown;
}

interface ActorState {
  readonly id: number;
  readonly name: string;
  readonly daemon: boolean;
  finished: boolean;
}

interface Sleeper {
  readonly actor: ActorState;
  dueMs: number;
  readonly seq: number;
  daemon: boolean;
  readonly wake: () => void;
  /** Set when woken or retimed: a stale heap entry is skipped. */
  live: boolean;
}

const DEFAULT_MAX_STEPS = 200_000;
const DEFAULT_TURN_TIMEOUT_MS = 300_000;

export class Scheduler {
  readonly #clock: VirtualClock;
  readonly #context = new AsyncLocalStorage<ActorState>();
  readonly #queue = new SleeperHeap();
  /** The sleeper entry each sleeping actor is waiting on (for retiming). */
  readonly #sleeping = new Map<ActorState, Sleeper>();
  readonly #beforeWake: (() => void)[] = [];
  readonly #failures: ActorFailure[] = [];
  #current: ActorState | undefined;
  /** Hands the turn back to the run loop; set while an actor has the turn. */
  #yield: (() => void) | undefined;
  #running = false;
  #nextActorId = 1;
  #nextSeq = 1;
  #liveNonDaemon = 0;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /** The current virtual time. */
  now(): Date {
    return this.#clock.now();
  }

  /** Errors thrown by actor bodies so far, in order. */
  get failures(): readonly ActorFailure[] {
    return this.#failures;
  }

  /** The actor whose turn it is, if any. */
  get current(): Actor | undefined {
    return this.#current;
  }

  /**
   * Registers an actor that first runs at `options.at` (default now). It only runs inside
   * {@link run}, one turn at a time; spawning from inside an actor returns at once.
   */
  spawn(name: string, body: () => Promise<void>, options: SpawnOptions = {}): Actor {
    const actor: ActorState = { id: this.#nextActorId++, name, daemon: options.daemon ?? false, finished: false };
    const dueMs = options.at ? options.at.getTime() : this.#clock.nowMs();
    if (Number.isNaN(dueMs)) throw new SchedulerError(`actor ${name}: invalid start time`);
    const firstTurn = this.#enqueue(actor, dueMs, actor.daemon);
    // Run the body inside the actor's own async context; it starts when its first turn comes.
    void this.#context.run(actor, async () => {
      await firstTurn;
      try {
        await body();
      } catch (error) {
        this.#failures.push({ actor: name, at: this.#clock.now().toISOString(), error });
      } finally {
        actor.finished = true;
        // A sleep the body left behind (a branch nobody awaits any more) must not wake a finished actor.
        this.#forget(actor);
        // Only the actor that has the turn may hand it back; anything else would start a second actor.
        if (this.#current === actor) {
          this.#current = undefined;
          this.#handBack();
        }
      }
    });
    return actor;
  }

  /**
   * Waits until virtual time `t`. Only the actor whose turn it is may call this; the turn passes to
   * the next sleeper. Outside {@link run} (set-up before a drill, undo after it) nothing else can run,
   * so the clock simply moves.
   */
  sleepUntil(t: Date, options: SleepOptions = {}): Promise<void> {
    const dueMs = t.getTime();
    if (Number.isNaN(dueMs)) throw new SchedulerError('sleepUntil: invalid time');
    if (!this.#running && this.#current === undefined) {
      if (dueMs > this.#clock.nowMs()) this.#clock.advanceTo(t);
      return Promise.resolve();
    }
    const actor = this.#context.getStore();
    if (!actor) throw new SchedulerError('sleepUntil called outside any actor while the drill runs: run that code as an actor (Scheduler.spawn)');
    if (actor !== this.#current) {
      throw new SchedulerError(
        `actor "${actor.name}" tried to sleep while ${this.#current ? `"${this.#current.name}" has the turn` : 'no actor has the turn'}: an actor must not run branches concurrently`,
      );
    }
    const woken = this.#enqueue(actor, dueMs, options.daemon ?? actor.daemon);
    this.#current = undefined;
    this.#handBack();
    return woken;
  }

  /** Waits `seconds` of virtual time (fractions allowed). */
  sleep(seconds: number, options: SleepOptions = {}): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) throw new SchedulerError(`sleep needs a finite, non-negative number of seconds, got ${seconds}`);
    return this.sleepUntil(new Date(this.#clock.nowMs() + Math.round(seconds * 1000)), options);
  }

  /**
   * Moves a sleeping actor's wake-up to `t` (and changes whether it keeps the drill alive). The alarm
   * pump uses this when a change to the simulated account moves the next alarm transition. Only
   * between turns or by the actor that has the turn; a no-op for an actor that is not asleep.
   */
  retime(actor: Actor, t: Date, options: SleepOptions = {}): void {
    const sleeper = this.#sleeping.get(actor as ActorState);
    if (!sleeper) return;
    const daemon = options.daemon ?? sleeper.daemon;
    if (sleeper.dueMs === t.getTime() && sleeper.daemon === daemon) return;
    sleeper.live = false;
    if (!sleeper.daemon) this.#liveNonDaemon -= 1;
    // Same place in the tie order: the actor went to sleep when it did, only its alarm clock moved.
    const moved: Sleeper = { ...sleeper, dueMs: t.getTime(), daemon, live: true };
    if (!daemon) this.#liveNonDaemon += 1;
    this.#sleeping.set(sleeper.actor, moved);
    this.#queue.push(moved);
  }

  /** Runs `hook` before every wake-up (after the previous turn ended): a place to re-predict, never to sleep. */
  beforeWake(hook: () => void): void {
    this.#beforeWake.push(hook);
  }

  /**
   * Runs actors, one turn at a time, until no actor that keeps the drill alive is asleep, or until
   * `options.until`. Actor errors are collected in {@link failures}; misuse and runaways throw.
   */
  async run(options: RunOptions = {}): Promise<RunOutcome> {
    if (this.#running) throw new SchedulerError('the scheduler is already running');
    this.#running = true;
    const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    const turnTimeoutMs = options.turnTimeoutMs ?? DEFAULT_TURN_TIMEOUT_MS;
    const untilMs = options.until?.getTime();
    const deadlineMs = options.deadline?.getTime();
    let steps = 0;
    try {
      for (;;) {
        for (const hook of this.#beforeWake) hook();
        const next = this.#queue.peek();
        // Without `until`, daemons alone do not keep the drill going; with it, they run to the end.
        if (!next || (untilMs === undefined && this.#liveNonDaemon === 0)) return { reason: 'quiet', steps };
        if (untilMs !== undefined && next.dueMs > untilMs) {
          if (untilMs > this.#clock.nowMs()) this.#clock.advanceTo(new Date(untilMs));
          return { reason: 'until', steps };
        }
        if (deadlineMs !== undefined && next.dueMs > deadlineMs) {
          throw new SchedulerError(
            `runaway drill: "${next.actor.name}" wants to wake at ${new Date(next.dueMs).toISOString()}, past the limit of ${new Date(deadlineMs).toISOString()}`,
          );
        }
        if (steps >= maxSteps) throw new SchedulerError(`runaway drill: more than ${maxSteps} wake-ups (the last actor woken: "${next.actor.name}")`);
        steps += 1;
        this.#queue.pop();
        next.live = false;
        this.#sleeping.delete(next.actor);
        if (!next.daemon) this.#liveNonDaemon -= 1;
        if (next.dueMs > this.#clock.nowMs()) this.#clock.advanceTo(new Date(next.dueMs));
        await this.#turn(next, turnTimeoutMs);
      }
    } finally {
      this.#running = false;
    }
  }

  #enqueue(actor: ActorState, dueMs: number, daemon: boolean): Promise<void> {
    const { promise, resolve } = deferred();
    const sleeper: Sleeper = { actor, dueMs, seq: this.#nextSeq++, daemon, wake: resolve, live: true };
    if (!daemon) this.#liveNonDaemon += 1;
    this.#sleeping.set(actor, sleeper);
    this.#queue.push(sleeper);
    return promise;
  }

  #forget(actor: ActorState): void {
    const pending = this.#sleeping.get(actor);
    if (!pending) return;
    pending.live = false;
    this.#sleeping.delete(actor);
    if (!pending.daemon) this.#liveNonDaemon -= 1;
  }

  /** Gives `sleeper`'s actor the turn and resolves when it sleeps again or finishes. */
  #turn(sleeper: Sleeper, timeoutMs: number): Promise<void> {
    const { promise, resolve, reject } = deferred();
    const timer = setTimeout(
      () =>
        reject(
          new SchedulerError(`actor "${sleeper.actor.name}" neither slept nor finished within ${timeoutMs / 1000} s of real time: it waits on something other than the scheduler`),
        ),
      timeoutMs,
    );
    // The watchdog must not keep the process alive, and it never decides anything but a hang.
    timer.unref();
    this.#yield = () => {
      clearTimeout(timer);
      resolve();
    };
    this.#current = sleeper.actor;
    sleeper.wake();
    return promise;
  }

  #handBack(): void {
    const handBack = this.#yield;
    this.#yield = undefined;
    handBack?.();
  }
}

/** A binary min-heap of sleepers by (due time, sleep order); stale entries are dropped lazily. */
class SleeperHeap {
  readonly #items: Sleeper[] = [];

  push(s: Sleeper): void {
    const items = this.#items;
    items.push(s);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  /** The earliest live sleeper, without removing it. */
  peek(): Sleeper | undefined {
    while (this.#items.length > 0 && !this.#items[0]!.live) this.#removeTop();
    return this.#items[0];
  }

  pop(): Sleeper | undefined {
    const top = this.peek();
    if (top) this.#removeTop();
    return top;
  }

  #removeTop(): void {
    const items = this.#items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!, items[m]!)) m = l;
      if (r < items.length && before(items[r]!, items[m]!)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
  }
}

function before(a: Sleeper, b: Sleeper): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}

/** A promise with its settle functions (Promise.withResolvers, which the project's TypeScript lib predates). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
