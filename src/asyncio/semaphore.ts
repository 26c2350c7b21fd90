import { int } from '../core/options.js';
import { Guard } from '../core/guard.js';
import { DEFERRED, WaiterQueue, acquisitionClass, checkWaitOptions, resolvedAs, type WaitOptions } from '../core/waiters.js';

const Acquisition = acquisitionClass('sem.acquire()');

/** What `Semaphore.statistics()` reports. */
export interface SemaphoreStatistics {
  value: number;
  waiters: number;
  acquisitions: number;
  contended: number;
}

/**
 * A counter of permits (Python's `asyncio.Semaphore`), FIFO-fair: `release()` hands
 * the permit straight to the longest waiter.
 *
 * Cancel safety: a rejected `acquire()` took no permit; a resolved one owns its permit.
 * Cancel wins, as in asyncio: a permit handed to a waiting task whose `cancel()`
 * returns true before it resumes goes on to the next waiter, and that `acquire()`
 * rejects with CancelledError. Permits are never lost or duplicated.
 *
 * @example
 * const sem = new Semaphore(10);
 * await Promise.all(urls.map(async (u) => { using _ = await sem.acquire(); return fetch(u); }));
 */
export class Semaphore {
  /** @internal */ _value: number;
  /** @internal waiters granted a permit that have not resumed yet: newcomers queue behind them (FIFO, as asyncio) */
  _resuming = 0;
  /** @internal */ readonly _waiters = new WaiterQueue<Guard>();
  /** @internal */ _acq = 0;
  /** @internal */ _contended = 0;

  /**
   * @param value initial number of permits (default 1).
   * @throws TypeError if `value` is not a number; RangeError if it is not an integer >= 0.
   */
  constructor(value = 1) {
    this._value = int(`${new.target.name}(value)`, 'value', value, 1);
    this._waiters.onResume = this._resumed;
    this._waiters.promiseClass = Acquisition;
  }

  /**
   * Takes a permit, waiting in FIFO order if there is none.
   * @param o `signal`, `timeout` (ms).
   * @returns a guard that gives the permit back when disposed.
   * @throws (as a rejection) CancelledError, TimeoutError, TypeError/RangeError for bad options.
   */
  acquire(o?: WaitOptions): Promise<Guard> {
    if (o !== undefined) {
      const bad = checkWaitOptions(o, 'Semaphore.acquire()');
      if (bad) return Promise.reject(bad);
    }
    this._acq++;
    if (this._value > 0 && this._resuming === 0) {
      this._value--;
      return resolvedAs(Acquisition, new Guard(this));
    }
    this._contended++;
    return this._waiters.wait(o);
  }

  /** Takes a permit if one is free, without waiting; undefined otherwise. */
  tryAcquire(): Guard | undefined {
    if (this._value === 0 || this._resuming > 0) return undefined;
    this._value--;
    this._acq++;
    return new Guard(this);
  }

  /** Gives a permit back; the longest waiter (if any) gets it. */
  release(): void {
    // No Guard is made for nobody: an uncontended release allocates nothing.
    const q = this._waiters;
    const r = q.size === 0 ? 0 : q.grantHead(new Guard(this));
    if (r === 0) this._value++;
    else if (r === DEFERRED) this._resuming++;
  }

  /**
   * @internal A waiter granted a permit resumed: cancelled, it gives the permit back;
   * then the permits free meanwhile go to the waiters that queued behind it.
   */
  private readonly _resumed = (_w: unknown, g: Guard, cancel: unknown): undefined => {
    this._resuming--;
    if (cancel !== undefined) g.release();
    while (this._value > 0 && this._waiters.size > 0) {
      this._value--;
      const r = this._waiters.grantHead(new Guard(this));
      if (r === 0) {
        this._value++;
        break;
      }
      if (r === DEFERRED) this._resuming++;
    }
    return undefined;
  };

  /** True when `acquire()` would wait: no permit is free, or a waiter granted one has not resumed yet. */
  locked(): boolean {
    return this._value === 0 || this._resuming > 0;
  }

  /** Free permits now. */
  get value(): number {
    return this._value;
  }

  /** `value`, `waiters`, `acquisitions`, `contended`. */
  statistics(): SemaphoreStatistics {
    return { value: this._value, waiters: this._waiters.size, acquisitions: this._acq, contended: this._contended };
  }
}
