import { WaiterQueue, checkWaitOptions, type WaitOptions } from '../core/waiters.js';

/** What `Event.statistics()` reports. */
export interface EventStatistics {
  set: boolean;
  waiters: number;
}

/**
 * A flag tasks can wait for (Python's `asyncio.Event`). `set()` wakes every waiter;
 * `wait()` returns at once while the flag is set.
 *
 * Cancel safety: nothing is consumed, a cancelled `wait()` loses nothing.
 *
 * @example
 * const ready = new Event();
 * createTask(async () => { await ready.wait(); go(); });
 * ready.set();
 */
export class Event {
  /** @internal */ _flag = false;
  /** @internal */ readonly _waiters = new WaiterQueue<true>();

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this._flag) return;
    this._flag = true;
    this._waiters.grantAll(true);
  }

  /** Clears the flag. */
  clear(): void {
    this._flag = false;
  }

  /** True while the flag is set. */
  isSet(): boolean {
    return this._flag;
  }

  /**
   * Waits until the flag is set.
   * @param o `signal`, `timeout` (ms).
   * @returns true.
   * @throws (as a rejection) CancelledError, TimeoutError, TypeError/RangeError for bad options.
   */
  wait(o?: WaitOptions): Promise<true> {
    if (o !== undefined) {
      const bad = checkWaitOptions(o, 'Event.wait()');
      if (bad) return Promise.reject(bad);
    }
    if (this._flag) return Promise.resolve(true);
    return this._waiters.wait(o);
  }

  /** `set` and the number of `waiters`. */
  statistics(): EventStatistics {
    return { set: this._flag, waiters: this._waiters.size };
  }
}
