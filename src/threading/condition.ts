/**
 * A condition variable in shared memory (Python's `threading.Condition`).
 *
 * Futex condition variable: a sequence word that `notify` bumps. A waiter reads
 * the sequence while it still holds the lock, releases the lock, and sleeps only
 * while the sequence is unchanged, so a notify that happens between the release
 * and the sleep is never lost (the sleep returns at once).
 * As with POSIX condition variables, a wait may also return when it was not the
 * one notified (e.g. `notify(1)` while two waiters were between release and
 * sleep): always re-check the condition, or use `waitFor`.
 */
import { InvalidStateError, TimeoutError, describe } from '../core/errors.js';
import { num } from '../core/options.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import {
  type Guard,
  assertCanBlock,
  deadlineOf,
  remaining,
  signalOf,
  waitAsyncOn,
  waitSync,
  type SyncWaitOptions,
  type WaitOptions,
} from './_wait.js';
import { lockAsync, lockSync, takeAbandoned, tryLock, unlock } from './_lockcore.js';
import { Lock, type LockData } from './lock.js';
import { RLock } from './rlock.js';

const SEQ = 0;
const WAITERS = 1;

/** @internal */
export interface ConditionData {
  sab: SharedArrayBuffer;
  lockType: 'Lock' | 'RLock';
  lock: LockData;
}

/**
 * Python's `threading.Condition` over a shared {@link Lock} or {@link RLock}
 * (default: a new RLock). Hold the lock to `wait` and to `notify`.
 *
 * @example
 * const cond = new Condition();
 * // consumer (any thread)
 * { using _ = await cond.acquire(); await cond.waitFor(() => items[0] > 0); items[0]--; }
 * // producer
 * { using _ = await cond.acquire(); items[0]++; cond.notify(); }
 */
export class Condition {
  /** The lock this condition uses. */
  readonly lock: Lock | RLock;
  /** @internal */ readonly _c: Int32Array;

  /**
   * @param lock the lock to use (shared with other code that protects the same data); default a new RLock.
   * @throws TypeError if `lock` is not a weft/threading Lock or RLock.
   */
  constructor(lock?: Lock | RLock);
  /** @internal */
  constructor(lock: Lock | RLock, data: ConditionData);
  constructor(lock?: Lock | RLock, data?: ConditionData) {
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(`new Condition(lock) expects a Lock or RLock from weft/threading, got ${describe(lock)}`);
    }
    this.lock = lock ?? new RLock();
    this._c = new Int32Array(data?.sab ?? new SharedArrayBuffer(8));
    shareables.created++;
  }

  /** Acquires the underlying lock; see {@link Lock.acquire}. */
  acquire(opts?: WaitOptions): Promise<Guard> {
    return this.lock.acquire(opts);
  }
  /** Acquires the underlying lock, blocking (worker threads only); see {@link Lock.acquireSync}. */
  acquireSync(opts?: SyncWaitOptions): Guard {
    return this.lock.acquireSync(opts);
  }
  /** Acquires the underlying lock if it is free. */
  tryAcquire(): Guard | undefined {
    return this.lock.tryAcquire();
  }
  /** Releases the underlying lock. */
  release(): void {
    this.lock.release();
  }
  /** True if the underlying lock is held. */
  locked(): boolean {
    return this.lock.locked();
  }

  private releaseAll(method: string): number {
    const lock = this.lock;
    if (!lock._isOwned()) throw new InvalidStateError(`Condition.${method} needs the lock held by this thread`);
    if (lock instanceof RLock) return lock._releaseAll();
    unlock(lock._i32, lock._b);
    return 0;
  }

  private restore(n: number): void {
    takeAbandoned(this.lock._i32, this.lock._b);
    if (this.lock instanceof RLock) this.lock._restore(n);
  }

  /**
   * Releases the lock, waits until notified, and re-acquires the lock (also when
   * the wait fails: the lock is always held again when this settles).
   *
   * @throws InvalidStateError if this thread does not hold the lock; TimeoutError; CancelledError.
   */
  async wait(opts?: WaitOptions): Promise<true> {
    const deadline = deadlineOf('Condition.wait()', opts);
    const signal = signalOf('Condition.wait()', opts);
    const c = this._c;
    const seq = Atomics.load(c, SEQ);
    const saved = this.releaseAll('wait()');
    Atomics.add(c, WAITERS, 1);
    let result: string;
    try {
      result = await waitAsyncOn(c, SEQ, seq, deadline, signal);
    } finally {
      Atomics.sub(c, WAITERS, 1);
      const { _i32, _b } = this.lock;
      if (!tryLock(_i32, _b)) await lockAsync(_i32, _b, Infinity, undefined);
      this.restore(saved);
    }
    if (result === 'timed-out') throw new TimeoutError(`Condition.wait() timed out after ${opts!.timeout} ms`);
    return true;
  }

  /**
   * Blocking {@link wait} for worker threads.
   * @throws InvalidStateError on the main thread or without the lock; TimeoutError.
   */
  waitSync(opts?: SyncWaitOptions): true {
    assertCanBlock('Condition.waitSync()', 'await condition.wait()');
    const deadline = deadlineOf('Condition.waitSync()', opts);
    const c = this._c;
    const seq = Atomics.load(c, SEQ);
    const saved = this.releaseAll('waitSync()');
    Atomics.add(c, WAITERS, 1);
    let result: string;
    try {
      result = waitSync(c, SEQ, seq, deadline);
    } finally {
      Atomics.sub(c, WAITERS, 1);
      lockSync(this.lock._i32, this.lock._b, Infinity);
      this.restore(saved);
    }
    if (result === 'timed-out') throw new TimeoutError(`Condition.waitSync() timed out after ${opts!.timeout} ms`);
    return true;
  }

  /**
   * Waits until `predicate()` returns a truthy value and returns it. The predicate
   * runs with the lock held.
   * @throws TimeoutError if it is still falsy after `timeout` ms (Python returns the falsy value; weft throws, as every weft wait does).
   */
  async waitFor<T>(predicate: () => T, opts?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') throw new TypeError(`Condition.waitFor(predicate) expects a function, got ${describe(predicate)}`);
    const deadline = deadlineOf('Condition.waitFor()', opts);
    for (;;) {
      const v = predicate();
      if (v) return v;
      const ms = remaining(deadline);
      if (ms === 0) throw new TimeoutError(`Condition.waitFor() timed out after ${opts!.timeout} ms`);
      await this.wait({ timeout: ms === Infinity ? undefined : ms, signal: opts?.signal }).catch((e: unknown) => {
        if (!(e instanceof TimeoutError)) throw e;
      });
    }
  }

  /** Blocking {@link waitFor} for worker threads. */
  waitForSync<T>(predicate: () => T, opts?: SyncWaitOptions): T {
    if (typeof predicate !== 'function')
      throw new TypeError(`Condition.waitForSync(predicate) expects a function, got ${describe(predicate)}`);
    assertCanBlock('Condition.waitForSync()', 'await condition.waitFor()');
    const deadline = deadlineOf('Condition.waitForSync()', opts);
    for (;;) {
      const v = predicate();
      if (v) return v;
      const ms = remaining(deadline);
      if (ms === 0) throw new TimeoutError(`Condition.waitForSync() timed out after ${opts!.timeout} ms`);
      try {
        this.waitSync({ timeout: ms === Infinity ? undefined : ms });
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
      }
    }
  }

  /**
   * Wakes up to `n` waiters (default 1). Hold the lock when calling it.
   * @throws InvalidStateError if this thread does not hold the lock; RangeError for a bad `n`.
   */
  notify(n = 1): void {
    num('Condition.notify(n)', 'n', n, 1, 0);
    if (!this.lock._isOwned()) throw new InvalidStateError('Condition.notify() needs the lock held by this thread');
    if (Atomics.load(this._c, WAITERS) === 0) return;
    Atomics.add(this._c, SEQ, 1);
    Atomics.notify(this._c, SEQ, n === Infinity ? undefined : n);
  }

  /** Wakes every waiter. Hold the lock when calling it. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /** @internal */
  [kShare](): SharedDescription {
    const lock = this.lock;
    return {
      type: 'Condition',
      data: {
        sab: this._c.buffer as SharedArrayBuffer,
        lockType: lock instanceof RLock ? 'RLock' : 'Lock',
        lock: { sab: lock._i32.buffer as SharedArrayBuffer, offset: lock._b },
      } satisfies ConditionData,
    };
  }
}
