import { InvalidStateError } from '../core/errors.js';
import { Guard } from '../core/guard.js';
import { WaiterQueue, acquisitionClass, checkWaitOptions, resolvedAs, type Wait, type WaitOptions } from '../core/waiters.js';

const Acquisition = acquisitionClass('lock.acquire()');

/** onResume of the Lock's waiters: a task cancelled before it resumed gives the lock back. */
function giveBack(_w: Wait<Guard>, g: Guard, cancel: unknown): undefined {
  if (cancel !== undefined) g.release();
  return undefined;
}

/** What `Lock.statistics()` reports. */
export interface LockStatistics {
  locked: boolean;
  waiters: number;
  acquisitions: number;
  contended: number;
}

/**
 * A mutual-exclusion lock for tasks on this event loop (Python's `asyncio.Lock`),
 * strictly FIFO-fair: `release()` hands the lock to the longest waiter, so no
 * newcomer can barge in.
 *
 * Cancel safety: if `acquire()` rejects (CancelledError, TimeoutError), the lock was
 * not acquired. Cancel wins, as in asyncio: when the lock is handed to a waiting task
 * whose `cancel()` returns true before it resumes, its `acquire()` rejects with
 * CancelledError and the lock goes on to the next waiter (see core/waiters.ts).
 *
 * @example
 * const lock = new Lock();
 * {
 *   using _ = await lock.acquire();
 *   counter += 1;
 * }
 */
export class Lock {
  /** @internal */ _locked = false;
  /** @internal */ readonly _waiters = new WaiterQueue<Guard>();
  /** @internal */ _acq = 0;

  constructor() {
    // A waiting task granted the lock but cancelled before it resumed gives it back.
    this._waiters.onResume = giveBack;
    this._waiters.promiseClass = Acquisition;
  }
  /** @internal */ _contended = 0;

  /**
   * Acquires the lock, waiting in FIFO order if it is held.
   * @param o `signal`, `timeout` (ms).
   * @returns a guard; dispose it (`using`) or call `release()`.
   * @throws (as a rejection) CancelledError if the task is cancelled or `signal` aborts, TimeoutError,
   *   TypeError/RangeError for bad options.
   */
  acquire(o?: WaitOptions): Promise<Guard> {
    if (o !== undefined) {
      const bad = checkWaitOptions(o, 'Lock.acquire()');
      if (bad) return Promise.reject(bad);
    }
    this._acq++;
    if (!this._locked) {
      this._locked = true;
      return resolvedAs(Acquisition, new Guard(this));
    }
    this._contended++;
    return this._waiters.wait(o);
  }

  /** Acquires the lock if it is free, without waiting; undefined if it is held. */
  tryAcquire(): Guard | undefined {
    if (this._locked) return undefined;
    this._locked = true;
    this._acq++;
    return new Guard(this);
  }

  /** @internal acquire that no cancellation can interrupt (Condition re-acquiring after wait). */
  _acquireShielded(): Promise<Guard> {
    if (!this._locked) {
      this._locked = true;
      return Promise.resolve(new Guard(this));
    }
    return this._waiters.wait(undefined, false);
  }

  /**
   * Releases the lock; the next waiter (if any) gets it.
   * @throws InvalidStateError if the lock is not held.
   */
  release(): void {
    if (!this._locked) throw new InvalidStateError('Cannot release: the Lock is not acquired');
    // No Guard is made for nobody: an uncontended release allocates nothing.
    const q = this._waiters;
    if (q.size === 0 || !q.grantHead(new Guard(this))) this._locked = false;
  }

  /** True while the lock is held. */
  locked(): boolean {
    return this._locked;
  }

  /** Counters: `locked`, `waiters`, `acquisitions` (calls to acquire/tryAcquire that got or asked for it), `contended` (had to wait). */
  statistics(): LockStatistics {
    return { locked: this._locked, waiters: this._waiters.size, acquisitions: this._acq, contended: this._contended };
  }
}
