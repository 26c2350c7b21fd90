/**
 * Timer: Python's `threading.Timer`, built on Thread's public API.
 *
 *     new Timer(ms, target) ──start()──> waiting ──ms passed──> fired: Thread.start()
 *                                          │                      (the target runs in its worker)
 *                                          └──cancel()──> cancelled: the target never runs
 *
 * Unlike Python's, no thread exists while it waits: the delay is a timer on this
 * thread (it keeps the process alive, as a non-daemon Python Timer does), and the
 * worker starts only when it fires. So `cancel()` before the deadline costs nothing
 * and leaves nothing to stop.
 */
import { InvalidStateError, TimeoutError, describe } from '../core/errors.js';
import { array, options, str, timeout as timeoutOpt } from '../core/options.js';
import type { TaskRef } from '../core/tasks.js';
import { TIMED_OUT, cancel as cancelTimer, later, within, type Later } from '../core/timers.js';
import { deadlineOf, remaining } from './_wait.js';
import { Thread, liveThreads } from './thread.js';

/** Options of `new Timer(ms, target, opts)`. */
export interface TimerOptions {
  /** Arguments of the target. */
  args?: unknown[];
  /** Name of the thread (default 'Thread-N'). */
  name?: string;
}

type TimerState = 'initial' | 'waiting' | 'fired' | 'cancelled';

const TIMER_KEYS = ['args', 'name'] as const;

/**
 * Python's `threading.Timer`: runs `target(...args)` in a thread of its own after
 * `ms` milliseconds, unless `cancel()` was called first.
 *
 * - `start()` arms it; `join()` waits until it fired and the target ended (returns at
 *   once with undefined if it was cancelled).
 * - `cancel()` before it fires: the target never runs. After it fired: does nothing
 *   (as in Python; use `terminate()` to stop a running target).
 * - `ms` follows Python: zero or negative fires at once; any finite delay is honoured exactly.
 *
 * @example
 * const t = new Timer(30_000, tasks.remind, { args: ['stand up'] });
 * t.start();
 * // ... changed our mind:
 * t.cancel();
 */
export class Timer extends Thread<void> {
  /** The delay in milliseconds. */
  readonly interval: number;
  private timerState: TimerState = 'initial';
  private timer: Later | undefined;
  private fired!: Promise<boolean>;
  private settleFired: (fired: boolean) => void = () => {};
  /** Why the target could not start when the timer fired (join() throws it). */
  private startError: unknown;

  /**
   * @param ms the delay (ms).
   * @param target a TaskRef or a self-contained function.
   * @param opts `args`, `name`.
   * @throws TypeError for a delay that is not a number, a target that is not a function, bad options.
   */
  constructor(ms: number, target: TaskRef<any[], unknown> | ((...a: any[]) => unknown), opts?: TimerOptions) {
    const delay = timeoutOpt('new Timer(ms, target)', 'ms', ms);
    const o = options('new Timer(ms, target, opts)', opts, TIMER_KEYS, 'args');
    const args = array('new Timer(ms, target, opts)', 'args', o.args);
    const name = str('new Timer(ms, target, opts)', 'name', o.name);
    if (typeof target !== 'function') throw new TypeError(`new Timer(ms, target) expects a TaskRef or a function, got ${describe(target)}`);
    super(target as (...a: any[]) => void, { ...(args && { args }), ...(name !== undefined && { name }) });
    this.interval = delay;
    this.fired = new Promise<boolean>((resolve) => {
      this.settleFired = resolve;
    });
  }

  /**
   * Arms the timer. Call it once.
   * @throws InvalidStateError if it was started before.
   */
  override start(): void {
    if (this.timerState !== 'initial') throw new InvalidStateError(`Timer ${this.name} can only be started once`);
    this.timerState = 'waiting';
    liveThreads.add(this as Thread<unknown>);
    if (this.interval !== Infinity) this.timer = later(fire, this.interval, this);
  }

  /** @internal the delay passed */
  _fire(): void {
    this.timer = undefined;
    if (this.timerState !== 'waiting') return;
    this.timerState = 'fired';
    try {
      super.start();
    } catch (err) {
      // (an argument that cannot be sent, a worker that cannot start): join() throws it
      liveThreads.delete(this as Thread<unknown>);
      this.startError = err;
      this.settleFired(false);
      return;
    }
    this.settleFired(true);
  }

  /** Stops the timer if it has not fired yet: the target never runs. Does nothing afterwards. */
  cancel(): void {
    if (this.timerState === 'fired' || this.timerState === 'cancelled') return;
    this.timerState = 'cancelled';
    cancelTimer(this.timer);
    this.timer = undefined;
    liveThreads.delete(this as Thread<unknown>);
    this.settleFired(false);
  }

  /** True if it was cancelled before it fired. */
  cancelled(): boolean {
    return this.timerState === 'cancelled';
  }

  /** True while it waits to fire and while its target runs. */
  override isAlive(): boolean {
    return this.timerState === 'waiting' || (this.timerState === 'fired' && super.isAlive());
  }

  /**
   * Waits until the timer fired and its target ended (undefined at once if it was cancelled).
   * @throws the target's error; TimeoutError if still waiting or running after `timeout` ms;
   *   InvalidStateError if it was never started.
   */
  override async join(opts?: { timeout?: number }): Promise<void> {
    const deadline = deadlineOf('Timer.join()', opts, true);
    if (this.timerState === 'initial') throw new InvalidStateError(`Cannot join timer ${this.name} before it is started`);
    if (this.timerState === 'waiting') {
      const fired = await within(this.fired, remaining(deadline));
      if (fired === TIMED_OUT) throw new TimeoutError(`Timer.join(): timer ${this.name} has not fired after ${opts!.timeout} ms`);
    }
    if (this.startError !== undefined) throw this.startError;
    if (this.timerState === 'cancelled') return;
    const left = remaining(deadline);
    return super.join(left === Infinity ? undefined : { timeout: left });
  }

  /** Cancels it if it is waiting; stops its target if it runs (see `Thread.terminate`). */
  override async terminate(): Promise<void> {
    if (this.timerState !== 'fired') {
      this.cancel();
      return;
    }
    return super.terminate();
  }

  override get [Symbol.toStringTag](): string {
    return `Timer ${this.name} ${this.timerState}`;
  }
}

function fire(t: Timer): void {
  t._fire();
}
