import type { Delivery } from './scenario.js';
import type { Actor, Scheduler } from './scheduler.js';
import type { AlarmStateChangeEvent, SimAlarmState, SimCloudWatch } from './sim/cloudwatch.js';

/**
 * The alarm event pump: the drill's stand-in for CloudWatch evaluating every alarm and EventBridge
 * handing each state change to the starter function.
 *
 * Every alarm of the account is watched on the virtual clock. The health model is a pure function of
 * the simulated state and the time, so instead of evaluating every period the pump asks the
 * simulated CloudWatch for each alarm's next transition and sleeps until the earliest one. Every
 * transition, ALARM and OK, becomes its EventBridge event, delivered `deliveries` times, the first
 * `delaySeconds` after the transition and the others `redeliveryIntervalSeconds` apart, each delivery
 * an actor of its own.
 *
 * A prediction holds only while the simulated state stays as it was: a mitigation (or any write)
 * can move or cancel a transition. Before every wake-up the pump therefore re-predicts, from each
 * alarm's last evaluated instant, whenever the account saw a write since its last prediction, and
 * moves its own wake-up accordingly. Predictions look at most `horizonSeconds` ahead; with nothing
 * found the pump re-checks at the horizon, so a quiet day costs a few scans, and a fault that starts
 * days later is still found.
 *
 * The pump keeps the drill alive while a transition is predicted, or while a fault boundary
 * (`from`/`until`) and the time an alarm needs to react to it are not yet inside every alarm's
 * prediction window; otherwise it sleeps as a daemon, so a quiet account does not keep the drill going.
 */

/** What the pump reads from the simulated CloudWatch. */
export type AlarmSource = Pick<SimCloudWatch, 'nextTransition' | 'stateAt' | 'stateChangeEvent'>;

/** One delivery of a transition's event to the starter, and what came of it. */
export interface PumpDelivery {
  readonly at: string;
  /** What the starter returned (its summary), when it returned. */
  readonly result?: unknown;
  /** The starter threw: `name: message`. */
  readonly error?: string;
}

/** One alarm transition the pump found and delivered. */
export interface PumpedTransition {
  readonly alarm: string;
  readonly state: SimAlarmState;
  /** When the alarm changed state. */
  readonly at: string;
  readonly deliveries: PumpDelivery[];
}

export interface AlarmPumpOptions {
  readonly scheduler: Scheduler;
  readonly cloudwatch: AlarmSource;
  /** The alarms to watch, in the order transitions at one instant are emitted (children before composites). */
  readonly alarms: readonly string[];
  readonly delivery: Delivery;
  /** Instants at which a fault switches on or off by itself (the health model's boundaries). */
  readonly boundaries: readonly Date[];
  /** Moves whenever the simulated state may have changed; see SimulatedAccount.stateVersion. */
  readonly stateVersion: () => number;
  /** Hands one event to the starter function; what it returns is kept in the delivery record. */
  readonly deliver: (event: AlarmStateChangeEvent) => Promise<unknown>;
  /** Hears of each transition when the pump finds it (before its deliveries). */
  readonly onTransition?: (transition: PumpedTransition) => void;
  /**
   * The longest an alarm takes to react to a change (period × evaluation periods, at most): a fault
   * boundary is only behind the pump once every alarm has been predicted this far past it.
   */
  readonly reactionSeconds: number;
  /** How far one prediction looks ahead. @default 3600 */
  readonly horizonSeconds?: number;
}

interface Watch {
  readonly name: string;
  state: SimAlarmState;
  /** Transitions up to this instant (ms) have been emitted. */
  evaluatedTo: number;
  /** The predicted next transition (ms), if one lies within the horizon. */
  next: number | undefined;
}

const DEFAULT_HORIZON_SECONDS = 3600;
/** The last instant a Date can hold: the wake-up of a pump with nothing to watch. */
const END_OF_TIME_MS = 8.64e15;
const opposite = (s: SimAlarmState): SimAlarmState => (s === 'OK' ? 'ALARM' : 'OK');

export class AlarmPump {
  readonly #o: AlarmPumpOptions;
  readonly #horizonMs: number;
  readonly #watches: Watch[];
  readonly #transitions: PumpedTransition[] = [];
  readonly #boundaries: readonly number[];
  #actor: Actor | undefined;
  /** stateVersion() when the predictions were last made. */
  #predictedAt = -1;

  constructor(options: AlarmPumpOptions) {
    this.#o = options;
    this.#horizonMs = (options.horizonSeconds ?? DEFAULT_HORIZON_SECONDS) * 1000;
    this.#boundaries = options.boundaries.map((b) => b.getTime());
    const now = options.scheduler.now();
    this.#watches = options.alarms.map((name) => ({ name, state: options.cloudwatch.stateAt(name, now).state, evaluatedTo: now.getTime(), next: undefined }));
  }

  /** Every transition found so far, in the order emitted, with its deliveries. */
  get transitions(): readonly PumpedTransition[] {
    return this.#transitions;
  }

  /** Spawns the pump's actor and hooks its re-prediction into the scheduler. Call once, before the drill runs. */
  start(): void {
    if (this.#actor) throw new Error('the alarm pump is already started');
    this.#predictAll();
    const { scheduler } = this.#o;
    this.#actor = scheduler.spawn('alarm pump', () => this.#loop(), { at: new Date(this.#dueMs()), daemon: !this.#keepsAlive() });
    scheduler.beforeWake(() => this.#refresh());
  }

  async #loop(): Promise<void> {
    const { scheduler } = this.#o;
    for (;;) {
      this.#emitDue(scheduler.now().getTime());
      this.#refresh();
      await scheduler.sleepUntil(new Date(this.#dueMs()), { daemon: !this.#keepsAlive() });
    }
  }

  /** Re-predicts when the state may have changed, and moves the pump's wake-up to match. */
  #refresh(): void {
    if (this.#o.stateVersion() !== this.#predictedAt) this.#predictAll();
    // Not during the pump's own turn: it sets its wake-up when it goes to sleep.
    if (this.#actor && this.#o.scheduler.current !== this.#actor) {
      this.#o.scheduler.retime(this.#actor, new Date(this.#dueMs()), { daemon: !this.#keepsAlive() });
    }
  }

  #predictAll(): void {
    this.#predictedAt = this.#o.stateVersion();
    for (const w of this.#watches) this.#predict(w);
  }

  #predict(w: Watch): void {
    const next = this.#o.cloudwatch.nextTransition(w.name, opposite(w.state), new Date(w.evaluatedTo), this.#horizonMs / 1000);
    w.next = next?.getTime();
  }

  /** When a watch needs the pump next: its predicted transition, or a re-check at the horizon. */
  #watchDue(w: Watch): number {
    return w.next ?? w.evaluatedTo + this.#horizonMs;
  }

  #dueMs(): number {
    return Math.min(...this.#watches.map((w) => this.#watchDue(w)), END_OF_TIME_MS);
  }

  /**
   * Something lies ahead: a predicted transition, or a fault boundary whose effect some alarm's
   * prediction window (evaluatedTo + horizon) does not reach yet. Predictions include boundaries
   * (they are functions of time), so once every window reaches past a boundary plus the reaction
   * time, whatever it does to an alarm has been predicted.
   */
  #keepsAlive(): boolean {
    if (this.#watches.some((w) => w.next !== undefined)) return true;
    const covered = Math.min(...this.#watches.map((w) => w.evaluatedTo + this.#horizonMs));
    const reactionMs = this.#o.reactionSeconds * 1000;
    return this.#boundaries.some((b) => b + reactionMs > covered);
  }

  /** Emits every transition due by `nowMs`, earliest first (ties in watch order), and re-predicts past them. */
  #emitDue(nowMs: number): void {
    for (;;) {
      let earliest: Watch | undefined;
      for (const w of this.#watches) if (this.#watchDue(w) <= nowMs && (!earliest || this.#watchDue(w) < this.#watchDue(earliest))) earliest = w;
      if (!earliest) return;
      const w = earliest;
      if (w.next !== undefined) {
        w.state = opposite(w.state);
        w.evaluatedTo = w.next;
        this.#emit(w.name, w.state, new Date(w.next));
      } else {
        // Nothing within the horizon: look again from there.
        w.evaluatedTo += this.#horizonMs;
      }
      this.#predict(w);
    }
  }

  #emit(alarm: string, state: SimAlarmState, at: Date): void {
    const { scheduler, delivery } = this.#o;
    const event = this.#o.cloudwatch.stateChangeEvent(alarm, at);
    const transition: PumpedTransition = { alarm, state, at: at.toISOString(), deliveries: [] };
    this.#transitions.push(transition);
    this.#o.onTransition?.(transition);
    for (let copy = 0; copy < delivery.deliveries; copy += 1) {
      const deliverAt = new Date(at.getTime() + (delivery.delaySeconds + copy * delivery.redeliveryIntervalSeconds) * 1000);
      scheduler.spawn(
        `deliver ${alarm} → ${state} (${copy + 1} of ${delivery.deliveries})`,
        async () => {
          const deliveredAt = scheduler.now().toISOString();
          try {
            transition.deliveries.push({ at: deliveredAt, result: await this.#o.deliver(event) });
          } catch (error) {
            transition.deliveries.push({ at: deliveredAt, error: `${(error as Error).name}: ${(error as Error).message}` });
          }
        },
        { at: deliverAt },
      );
    }
  }
}
