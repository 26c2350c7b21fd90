/**
 * A re-entrant lock in shared memory, owned by a thread.
 */
import { InvalidStateError, TimeoutError } from '../core/errors.js';
import { acquisitionClass } from '../core/waiters.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import { THREAD_ID, Guard, assertCanBlock, deadlineOf, signalOf, type SyncWaitOptions, type WaitOptions } from './_wait.js';
import { abandonIfOwnedBy, lockSync, takeLock, lockWord, ownerOf, takeAbandoned, tryLock, unlock } from './_lockcore.js';
import { track } from './_robust.js';
import type { LockData } from './lock.js';

const Acquisition = acquisitionClass('rlock.acquire()');

/**
 * Python's `threading.RLock` in shared memory: the thread that holds it may
 * acquire it again; it is free once released as many times as acquired.
 *
 * Ownership is per thread (as in Python), not per async task: two async callers on
 * the same thread both count as the owner. Releasing it from a thread that does
 * not own it throws `InvalidStateError`. Owner death is handled as for {@link Lock}
 * (the recursion count is reset and the next guard has `abandoned: true`).
 *
 * @example
 * const rlock = new RLock();
 * using a = await rlock.acquire();
 * using b = await rlock.acquire(); // same thread: no deadlock
 */
export class RLock {
  /** @internal */ readonly _i32: Int32Array;
  /** @internal */ readonly _b: number;

  /** Creates an unlocked re-entrant lock in a new SharedArrayBuffer. */
  constructor();
  /** @internal */
  constructor(data: LockData);
  constructor(data?: LockData) {
    [this._i32, this._b] = lockWord(data);
    shareables.created++;
    track(this);
  }

  private owned(): boolean {
    return ownerOf(Atomics.load(this._i32, this._b)) === THREAD_ID;
  }

  private enter(): Guard {
    const abandoned = takeAbandoned(this._i32, this._b);
    this._i32[this._b + 2] = 1;
    return new Guard(this, abandoned);
  }

  /**
   * Takes the lock (again, if this thread holds it), waiting asynchronously.
   * @throws TimeoutError, CancelledError.
   */
  acquire(opts?: WaitOptions): Promise<Guard> {
    return Acquisition.resolve(this._acquire(opts));
  }

  private async _acquire(opts: WaitOptions | undefined): Promise<Guard> {
    const deadline = deadlineOf('RLock.acquire()', opts);
    const signal = signalOf('RLock.acquire()', opts);
    if (this.owned()) {
      this._i32[this._b + 2]!++;
      return new Guard(this);
    }
    if (!tryLock(this._i32, this._b)) await takeLock(this._i32, this._b, deadline, signal, 'RLock.acquire()', opts?.timeout);
    return this.enter();
  }

  /**
   * Takes the lock (again, if this thread holds it), blocking this worker thread.
   * @throws InvalidStateError on the main thread; TimeoutError.
   */
  acquireSync(opts?: SyncWaitOptions): Guard {
    assertCanBlock('RLock.acquireSync()', 'await rlock.acquire()');
    if (this.owned()) {
      this._i32[this._b + 2]!++;
      return new Guard(this);
    }
    if (!tryLock(this._i32, this._b)) {
      if (!lockSync(this._i32, this._b, deadlineOf('RLock.acquireSync()', opts))) {
        throw new TimeoutError(`RLock.acquireSync() timed out after ${opts!.timeout} ms`);
      }
    }
    return this.enter();
  }

  /** Takes the lock if it is free or already held by this thread; undefined otherwise. */
  tryAcquire(): Guard | undefined {
    if (this.owned()) {
      this._i32[this._b + 2]!++;
      return new Guard(this);
    }
    if (!tryLock(this._i32, this._b)) return undefined;
    return this.enter();
  }

  /**
   * Releases one level; the lock is free when the count reaches zero.
   * @throws InvalidStateError if this thread does not hold it.
   */
  release(): void {
    if (!this.owned()) throw new InvalidStateError('Cannot release an RLock this thread does not hold');
    if (--this._i32[this._b + 2]! === 0) unlock(this._i32, this._b);
  }

  /** True if some thread holds the lock. */
  locked(): boolean {
    return Atomics.load(this._i32, this._b) !== 0;
  }

  /** The `threadId` of the owner, or undefined when free. */
  get owner(): number | undefined {
    const t = ownerOf(Atomics.load(this._i32, this._b));
    return t < 0 ? undefined : t;
  }

  /** @internal true if this thread holds the lock. */
  _isOwned(): boolean {
    return this.owned();
  }

  /** @internal releases fully (Condition.wait); returns the recursion count to restore. */
  _releaseAll(): number {
    const n = this._i32[this._b + 2]!;
    this._i32[this._b + 2] = 0;
    unlock(this._i32, this._b);
    return n;
  }

  /** @internal restores the recursion count after re-acquiring (Condition.wait). */
  _restore(n: number): void {
    this._i32[this._b + 2] = n;
  }

  /** @internal */
  _abandon(tid: number): boolean {
    return abandonIfOwnedBy(this._i32, this._b, tid);
  }

  /** @internal */
  [kShare](): SharedDescription {
    return { type: 'RLock', data: { sab: this._i32.buffer as SharedArrayBuffer, offset: this._b } satisfies LockData };
  }

  get [Symbol.toStringTag](): string {
    return `RLock ${this.locked() ? 'locked' : 'unlocked'}`;
  }
}
