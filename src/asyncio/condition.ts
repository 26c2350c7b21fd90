import { InvalidStateError, TimeoutError, describe } from '../core/errors.js';
import { Guard } from '../core/guard.js';
import { WaiterQueue, checkWaitOptions, type WaitOptions } from '../core/waiters.js';
import { num } from '../core/options.js';
import { Lock } from './lock.js';
import { currentScope, scopeTake } from '../core/scope.js';

/** What `Condition.statistics()` reports. */
export interface ConditionStatistics {
  locked: boolean;
  waiters: number;
  lockWaiters: number;
}

/**
 * A condition variable (Python's `asyncio.Condition`): tasks holding the lock wait
 * to be notified; `wait()` releases the lock while waiting and re-acquires it before
 * returning, also when it fails.
 *
 * Cancel safety: however `wait()` ends (notified, cancelled, aborted, timed out), the
 * lock is held again when it returns or throws. Cancel wins, as in asyncio: a waiter
 * notified but cancelled before it resumed rejects with CancelledError and passes the
 * notification on to the next waiter, so none is lost. A task cancelled while `wait()`
 * re-acquires the lock gets CancelledError once it holds the lock again (bpo-32841).
 *
 * @example
 * const cond = new Condition();
 * // consumer
 * { using _ = await cond.acquire(); await cond.waitFor(() => items.length > 0); take(items); }
 * // producer
 * { using _ = await cond.acquire(); items.push(x); cond.notify(); }
 */
export class Condition {
  /** @internal */ readonly _lock: Lock;
  /** @internal */ readonly _waiters = new WaiterQueue<true>();

  /**
   * @param lock the lock to use (default: a new one).
   * @throws TypeError if `lock` is not a weft/asyncio Lock.
   */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock))
      throw new TypeError(`Condition(lock) expects an asyncio Lock, got ${describe(lock)}`);
    this._lock = lock ?? new Lock();
    this._waiters.onResume = this._passOn;
  }

  /** @internal a notified waiter cancelled before it resumed passes the notification on */
  private readonly _passOn = (_w: unknown, _v: true, cancel: unknown): undefined => {
    if (cancel !== undefined) this._waiters.grantHead(true);
    return undefined;
  };

  /** Acquires the underlying lock. See `Lock.acquire`. */
  acquire(o?: WaitOptions): Promise<Guard> {
    // The lock's own guard: releasing it is what Condition.release() does.
    return this._lock.acquire(o);
  }
  /** Acquires the underlying lock without waiting; undefined if it is held. */
  tryAcquire(): Guard | undefined {
    return this._lock.tryAcquire() === undefined ? undefined : new Guard(this);
  }
  /** Releases the underlying lock. @throws InvalidStateError if it is not held. */
  release(): void {
    this._lock.release();
  }
  /** True while the underlying lock is held. */
  locked(): boolean {
    return this._lock.locked();
  }

  /**
   * Releases the lock, waits for a notification, re-acquires the lock.
   * @param o `signal`, `timeout` (ms).
   * @returns true once notified.
   * @throws InvalidStateError if the lock is not held; CancelledError / TimeoutError (the lock is held again
   *   when they are thrown); TypeError/RangeError for bad options.
   */
  async wait(o?: WaitOptions): Promise<true> {
    const bad = checkWaitOptions(o, 'Condition.wait()');
    if (bad) throw bad;
    if (!this._lock.locked()) throw new InvalidStateError('Cannot wait on a Condition whose lock is not acquired');
    const p = this._waiters.wait(o);
    this._lock.release();
    let failed = false;
    let error: unknown;
    try {
      await p;
    } catch (e) {
      failed = true;
      error = e;
    }
    // The lock is re-acquired whatever happens; a cancellation that arrives meanwhile
    // is raised once it is held (asyncio, bpo-32841).
    await this._lock._acquireShielded();
    const scope = currentScope();
    const late = scope === undefined ? undefined : scopeTake(scope);
    if (late !== undefined) throw late;
    if (failed) throw error;
    return true;
  }

  /**
   * Waits until `predicate()` is truthy (checked first, then after every notification).
   * @param predicate called with the lock held.
   * @param o `signal`, `timeout` (ms, for the whole wait).
   * @returns the predicate's last (truthy) value.
   * @throws as {@link wait}; TimeoutError if the predicate is still falsy when the time is up.
   */
  async waitFor<T>(predicate: () => T, o?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') throw new TypeError(`Condition.waitFor(predicate) expects a function, got ${describe(predicate)}`);
    const bad = checkWaitOptions(o, 'Condition.waitFor()');
    if (bad) throw bad;
    const limit = o?.timeout;
    const deadline = limit === undefined || limit === Infinity ? Infinity : performance.now() + limit;
    let r = predicate();
    while (!r) {
      const left = deadline - performance.now();
      if (left <= 0) throw new TimeoutError(`Condition.waitFor: predicate still false after ${limit} ms`);
      await this.wait(deadline === Infinity ? (o?.signal ? { signal: o.signal } : undefined) : { signal: o?.signal, timeout: left });
      r = predicate();
    }
    return r;
  }

  /**
   * Wakes up to `n` waiters (default 1).
   * @throws InvalidStateError if the lock is not held; RangeError for a bad `n`.
   */
  notify(n = 1): void {
    num('Condition.notify(n)', 'n', n, 1, 0);
    if (!this._lock.locked()) throw new InvalidStateError('Cannot notify on a Condition whose lock is not acquired');
    for (let i = 0; i < n && this._waiters.grantHead(true); i++);
  }

  /** Wakes every waiter. @throws InvalidStateError if the lock is not held. */
  notifyAll(): void {
    if (!this._lock.locked()) throw new InvalidStateError('Cannot notify on a Condition whose lock is not acquired');
    this._waiters.grantAll(true);
  }

  /** `locked`, `waiters` (waiting for a notification), `lockWaiters` (waiting for the lock). */
  statistics(): ConditionStatistics {
    return { locked: this._lock.locked(), waiters: this._waiters.size, lockWaiters: this._lock._waiters.size };
  }
}
