/**
 * Timers that honour any delay exactly.
 *
 * Node's `setTimeout` fires at once (with a TimeoutOverflowWarning) past
 * 2^31-1 ms (24.8 days). `later()` arms a plain timer when the delay fits
 * (the common case: no extra object) and a {@link LongTimer} that re-arms
 * itself in 24-day steps when it does not; `cancel()` clears either.
 */

/** The longest delay `setTimeout` takes (ms). */
export const MAX_TIMER_MS = 0x7fffffff;

/** A timer for delays longer than `setTimeout` takes: re-armed in steps until its deadline. */
export class LongTimer<A = undefined> {
  private timer: NodeJS.Timeout | undefined;
  private readonly deadline: number;
  private refd = true;

  constructor(
    private readonly cb: (arg: A) => void,
    ms: number,
    private readonly arg: A,
  ) {
    this.deadline = performance.now() + ms;
    this.arm();
  }

  private arm(): void {
    const left = this.deadline - performance.now();
    if (left <= 0) {
      this.timer = undefined;
      this.cb(this.arg);
      return;
    }
    this.timer = setTimeout(() => this.arm(), Math.min(left, MAX_TIMER_MS));
    if (!this.refd) this.timer.unref();
  }

  /** Stops it; the callback will not run. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Lets the process exit while it waits. */
  unref(): this {
    this.refd = false;
    this.timer?.unref();
    return this;
  }

  /** Keeps the process alive while it waits (the default). */
  ref(): this {
    this.refd = true;
    this.timer?.ref();
    return this;
  }

  hasRef(): boolean {
    return this.refd && this.timer !== undefined;
  }
}

/** What `later()` returns: a Node timer or a {@link LongTimer}. */
export type Later = NodeJS.Timeout | LongTimer<any>;

/**
 * Calls `cb(arg)` after `ms` milliseconds, however long that is (callers do not
 * arm a timer for Infinity). Clear it with {@link cancel}.
 */
export function later<A>(cb: (arg: A) => void, ms: number, arg: A): Later;
export function later(cb: () => void, ms: number): Later;
export function later<A>(cb: (arg: A) => void, ms: number, arg?: A): Later {
  if (ms <= MAX_TIMER_MS) return setTimeout(cb, ms > 0 ? ms : 0, arg as A);
  return new LongTimer(cb, ms, arg as A);
}

/** Clears a timer made by {@link later} (or a plain one); undefined is ignored. */
export function cancel(t: Later | undefined): void {
  if (t === undefined) return;
  if (t instanceof LongTimer) t.close();
  else clearTimeout(t);
}

/** What {@link within} resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * Waits for `p` at most `ms` milliseconds (Python's timeouts: Infinity waits
 * forever, 0 does not wait: a promise already settled still wins). The timer
 * keeps the process alive while it runs, as a blocking wait would.
 */
export function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (ms === Infinity) return p;
  if (ms <= 0) return Promise.race([p, Promise.resolve(TIMED_OUT)]);
  let t: Later | undefined;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    t = later(resolve, ms, TIMED_OUT);
  });
  return Promise.race([p, timedOut]).finally(() => cancel(t));
}
