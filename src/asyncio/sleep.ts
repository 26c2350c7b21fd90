import { describe } from '../core/errors.js';
import { MAX_TIMER_MS, later } from '../core/timers.js';
import { Wait, armWait, checkWaitOptions, promiseOf } from '../core/waiters.js';

const SLEEP_KEYS = ['signal'];

/** A wait whose timer is the success path. */
class SleepWait<T> extends Wait<T> {
  override _timeout(): void {
    this._grant(this.data as T);
  }
}

/**
 * Waits `ms` milliseconds, then resolves with `value` (Python's `asyncio.sleep(delay, result)`).
 * Inside a task it is a cancellation point: cancelling the task rejects it with CancelledError.
 * `sleep(0)` yields to the event loop once (a timer turn).
 *
 * @param ms milliseconds (negative counts as 0; `Infinity` sleeps until cancelled).
 * @param value what the promise resolves with.
 * @param opts `signal`: aborting it rejects with CancelledError.
 * @returns a promise of `value`.
 * @throws RangeError (as a rejection) if `ms` is not a number; TypeError for a bad signal;
 *   CancelledError when cancelled.
 *
 * @example
 * await sleep(1000);
 * const v = await sleep(10, 'done');
 */
export function sleep<T = void>(ms: number, value?: T, opts?: { signal?: AbortSignal }): Promise<T> {
  if (typeof ms !== 'number' || Number.isNaN(ms)) {
    return Promise.reject(
      new (typeof ms === 'number' ? RangeError : TypeError)(`sleep(ms) expects a number of milliseconds, got ${describe(ms)}`),
    );
  }
  if (opts !== undefined) {
    const bad = checkWaitOptions(opts, 'sleep()', SLEEP_KEYS);
    if (bad) return Promise.reject(bad);
  }
  const w = new SleepWait<T>();
  w.data = value;
  const err = armWait(w, opts?.signal, undefined);
  if (err !== undefined) return Promise.reject(err);
  const p = promiseOf(w);
  if (ms > MAX_TIMER_MS) {
    // Longer than a Node timer takes (24.8 days): honoured exactly by a LongTimer.
    w.timeoutMs = ms;
    if (ms !== Infinity) w.timer = later(onLongSleep, ms, w);
  } else {
    w.timeoutMs = ms;
    // The wait rides on the Timeout (the callback's `this`): cheaper than setTimeout's
    // extra-arguments array or a closure, and 100k sleeping tasks are made of these.
    const t = setTimeout(onSleepTimer, ms <= 0 ? 0 : ms) as TimerWithWait;
    t._weftWait = w;
    w.timer = t;
  }
  return p;
}

type TimerWithWait = ReturnType<typeof setTimeout> & { _weftWait?: Wait };

function onLongSleep(w: Wait): void {
  w.timer = undefined;
  w._timeout();
}

function onSleepTimer(this: TimerWithWait): void {
  const w = this._weftWait!;
  this._weftWait = undefined;
  w.timer = undefined;
  w._timeout();
}
