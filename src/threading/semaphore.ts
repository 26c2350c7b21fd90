/**
 * A counting semaphore in shared memory.
 *
 * Words: [count, sleepers, initial(BoundedSemaphore)]. acquire: CAS count -> count-1
 * while positive, else register as a sleeper and sleep while count === 0.
 * release: add to count, then notify only if someone sleeps. With sequentially
 * consistent atomics a release cannot miss a sleeper: either the release sees the
 * sleeper's registration, or the sleeper's wait sees the new count and returns.
 */
import { TimeoutError } from '../core/errors.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import { int } from '../core/options.js';
import { acquisitionClass } from '../core/waiters.js';
import {
  Guard,
  abortedBy,
  assertCanBlock,
  deadlineOf,
  remaining,
  signalOf,
  waitAsyncOn,
  type SyncWaitOptions,
  type WaitOptions,
} from './_wait.js';

const Acquisition = acquisitionClass('sem.acquire()');

const COUNT = 0;
const SLEEPERS = 1;
/** @internal */
export const INITIAL = 2;

/** @internal */
export interface SemaphoreData {
  sab: SharedArrayBuffer;
}

/**
 * Python's `threading.Semaphore` in shared memory: a counter that `acquire`
 * decrements (waiting while it is zero) and `release` increments.
 *
 * @example
 * const slots = new Semaphore(3);      // at most 3 threads at a time
 * using _ = await slots.acquire();
 */
export class Semaphore {
  /** @internal */ readonly _i32: Int32Array;

  /**
   * @param value the initial count (integer >= 0; default 1).
   * @throws RangeError for a negative or non-integer value.
   */
  constructor(value?: number);
  /** @internal */
  constructor(value: number | undefined, data: SemaphoreData);
  constructor(value = 1, data?: SemaphoreData) {
    if (data !== undefined) {
      this._i32 = new Int32Array(data.sab);
    } else {
      int(`new ${new.target.name}(value)`, 'value', value, 1, { max: 0x7fffffff });
      this._i32 = new Int32Array(new SharedArrayBuffer(12));
      this._i32[COUNT] = value;
      this._i32[INITIAL] = value;
    }
    shareables.created++;
  }

  private tryTake(): boolean {
    const i32 = this._i32;
    for (let c = Atomics.load(i32, COUNT); c > 0; c = Atomics.load(i32, COUNT)) {
      if (Atomics.compareExchange(i32, COUNT, c, c - 1) === c) return true;
    }
    return false;
  }

  /**
   * Decrements the count, waiting (asynchronously) while it is zero.
   * Cancel-safe: a cancelled or timed-out wait takes nothing.
   * @returns a guard whose disposal releases one unit.
   * @throws TimeoutError, CancelledError.
   */
  acquire(opts?: WaitOptions): Promise<Guard> {
    return Acquisition.resolve(this._acquire(opts));
  }

  private async _acquire(opts: WaitOptions | undefined): Promise<Guard> {
    const deadline = deadlineOf(`${this.constructor.name}.acquire()`, opts);
    const signal = signalOf(`${this.constructor.name}.acquire()`, opts);
    if (this.tryTake()) return new Guard(this);
    const i32 = this._i32;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      for (;;) {
        if (this.tryTake()) {
          // Cancel wins: cancelled while it was being woken, it gives the permit back.
          const cancelled = abortedBy(signal);
          if (cancelled === undefined) return new Guard(this);
          this._giveBack();
          throw cancelled;
        }
        if (remaining(deadline) === 0) throw new TimeoutError(`${this.constructor.name}.acquire() timed out after ${opts!.timeout} ms`);
        await waitAsyncOn(i32, COUNT, 0, deadline, signal);
      }
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
  }

  /**
   * Blocking {@link acquire} for worker threads.
   * @throws InvalidStateError on the main thread; TimeoutError.
   */
  acquireSync(opts?: SyncWaitOptions): Guard {
    assertCanBlock(`${this.constructor.name}.acquireSync()`, 'await semaphore.acquire()');
    if (this.tryTake()) return new Guard(this);
    const deadline = deadlineOf(`${this.constructor.name}.acquireSync()`, opts);
    const i32 = this._i32;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      for (;;) {
        if (this.tryTake()) return new Guard(this);
        const ms = remaining(deadline);
        if (ms === 0) throw new TimeoutError(`${this.constructor.name}.acquireSync() timed out after ${opts!.timeout} ms`);
        Atomics.wait(i32, COUNT, 0, ms);
      }
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
  }

  /** Decrements the count if it is positive; undefined (nothing taken) otherwise. */
  tryAcquire(): Guard | undefined {
    return this.tryTake() ? new Guard(this) : undefined;
  }

  /**
   * Increments the count by `n` (default 1), waking up to `n` waiters.
   * @throws RangeError for a bad `n`.
   */
  release(n = 1): void {
    int(`${this.constructor.name}.release(n)`, 'n', n, 1, { min: 1 });
    Atomics.add(this._i32, COUNT, n);
    if (Atomics.load(this._i32, SLEEPERS) > 0) Atomics.notify(this._i32, COUNT, n);
  }

  /** @internal returns a permit taken by a wait that was cancelled meanwhile (no bound check: it was taken). */
  _giveBack(): void {
    Atomics.add(this._i32, COUNT, 1);
    if (Atomics.load(this._i32, SLEEPERS) > 1) Atomics.notify(this._i32, COUNT, 1);
  }

  /** True if `acquire` would wait (the count is zero). */
  locked(): boolean {
    return Atomics.load(this._i32, COUNT) === 0;
  }

  /** The current count. */
  get value(): number {
    return Atomics.load(this._i32, COUNT);
  }

  /** @internal the type tag it travels with. */
  protected get _kind(): string {
    return 'Semaphore';
  }

  /** @internal */
  [kShare](): SharedDescription {
    return { type: this._kind, data: { sab: this._i32.buffer as SharedArrayBuffer } satisfies SemaphoreData };
  }
}
