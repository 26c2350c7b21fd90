/**
 * A mutual-exclusion lock in shared memory, usable from every worker thread it is
 * passed to. See `_lockcore.ts` for the algorithm.
 */
import { InvalidStateError, TimeoutError } from '../core/errors.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import { acquisitionClass } from '../core/waiters.js';
import { THREAD_ID, Guard, assertCanBlock, deadlineOf, signalOf, type SyncWaitOptions, type WaitOptions } from './_wait.js';

const Acquisition = acquisitionClass('lock.acquire()');
import { abandonIfOwnedBy, lockSync, takeLock, lockWord, ownerOf, takeAbandoned, tryLock, unlock } from './_lockcore.js';
import { track } from './_robust.js';

/** @internal how a lock travels to another thread. */
export interface LockData {
  sab: SharedArrayBuffer;
  offset: number;
}

/**
 * Python's `threading.Lock`, in a `SharedArrayBuffer`: pass it to a `Thread` or a
 * `ThreadPoolExecutor` task and every thread locks the same lock.
 *
 * - `await lock.acquire()` works on every thread; `lock.acquireSync()` blocks and
 *   works in worker threads only (on the main thread it throws).
 * - Both return a {@link Guard}: `using _ = await lock.acquire();` releases at the end of the block.
 * - Not re-entrant: acquiring it again from the owner deadlocks (use {@link RLock}).
 * - Any thread may `release()` it (as in Python).
 * - Owner death: when the thread holding it ends (terminated, crashed, or returned
 *   without releasing), the `Thread` wrapper releases it and the next acquirer's
 *   guard has `abandoned: true`. See docs/threading.md, "Owner death".
 * - Not FIFO-fair across threads (no OS mutex is); uncontended acquire is one CAS.
 *
 * @example
 * const lock = new Lock();
 * const counter = new SharedArray('int32', 1);
 * // in each worker:
 * using _ = lock.acquireSync();
 * counter[0]++;
 */
export class Lock {
  /** @internal */ readonly _i32: Int32Array;
  /** @internal */ readonly _b: number;

  /** Creates an unlocked lock in a new SharedArrayBuffer. */
  constructor();
  /** @internal a lock over existing shared memory (revive, Value's lock). */
  constructor(data: LockData);
  constructor(data?: LockData) {
    [this._i32, this._b] = lockWord(data);
    shareables.created++;
    track(this);
  }

  /**
   * Waits (asynchronously) until the lock is free and takes it.
   * Cancel-safe: if the wait is cancelled or times out, the lock is not taken.
   *
   * @param opts `timeout` in ms (`TimeoutError`), `signal` (`CancelledError`); the current task's cancellation applies too.
   * @returns a guard that releases the lock when disposed.
   * @throws TimeoutError, CancelledError.
   * @example
   * { using _ = await lock.acquire({ timeout: 1000 }); shared[0]++; }
   */
  acquire(opts?: WaitOptions): Promise<Guard> {
    return Acquisition.resolve(this._acquire(opts));
  }

  private async _acquire(opts: WaitOptions | undefined): Promise<Guard> {
    const deadline = deadlineOf('Lock.acquire()', opts);
    const signal = signalOf('Lock.acquire()', opts);
    if (!tryLock(this._i32, this._b)) await takeLock(this._i32, this._b, deadline, signal, 'Lock.acquire()', opts?.timeout);
    return new Guard(this, takeAbandoned(this._i32, this._b));
  }

  /**
   * Blocks this worker thread until the lock is free and takes it: spins briefly,
   * then sleeps in `Atomics.wait`.
   *
   * @throws InvalidStateError on the main thread; TimeoutError after `timeout` ms.
   * @example
   * using _ = lock.acquireSync();
   */
  acquireSync(opts?: SyncWaitOptions): Guard {
    assertCanBlock('Lock.acquireSync()', 'await lock.acquire()');
    if (!tryLock(this._i32, this._b)) {
      if (!lockSync(this._i32, this._b, deadlineOf('Lock.acquireSync()', opts))) {
        throw new TimeoutError(`Lock.acquireSync() timed out after ${opts!.timeout} ms`);
      }
    }
    return new Guard(this, takeAbandoned(this._i32, this._b));
  }

  /** Takes the lock if it is free, without waiting; undefined if it is held. Works on every thread. */
  tryAcquire(): Guard | undefined {
    if (!tryLock(this._i32, this._b)) return undefined;
    return new Guard(this, takeAbandoned(this._i32, this._b));
  }

  /**
   * Releases the lock, waking one waiter if there is one. Any thread may release it.
   * @throws InvalidStateError if the lock is not held.
   */
  release(): void {
    if (unlock(this._i32, this._b) === 0) throw new InvalidStateError('Cannot release an unlocked Lock');
  }

  /** True if some thread holds the lock. */
  locked(): boolean {
    return Atomics.load(this._i32, this._b) !== 0;
  }

  /** The `threadId` of the thread holding the lock (0 is the main thread), or undefined when it is free. */
  get owner(): number | undefined {
    const t = ownerOf(Atomics.load(this._i32, this._b));
    return t < 0 ? undefined : t;
  }

  /** @internal true if this thread holds the lock. */
  _isOwned(): boolean {
    return ownerOf(Atomics.load(this._i32, this._b)) === THREAD_ID;
  }

  /** @internal owner-death recovery. */
  _abandon(tid: number): boolean {
    return abandonIfOwnedBy(this._i32, this._b, tid);
  }

  /** @internal */
  [kShare](): SharedDescription {
    return { type: 'Lock', data: { sab: this._i32.buffer as SharedArrayBuffer, offset: this._b } satisfies LockData };
  }

  get [Symbol.toStringTag](): string {
    return `Lock ${this.locked() ? 'locked' : 'unlocked'}`;
  }
}
