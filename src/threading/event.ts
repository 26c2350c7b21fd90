/**
 * A flag in shared memory that threads can wait on.
 *
 * Words: 0 the flag, 1 the number of sleepers, 2 a generation counter that `set()`
 * bumps. Sleepers sleep on the generation, not on the flag: a `set()` immediately
 * followed by `clear()` still changed the generation, so every thread asleep at that
 * moment wakes and returns true, as in CPython since gh-57711 (a waiter that re-checked
 * only the flag would find it cleared and go back to sleep, missing the set).
 */
import { TimeoutError } from '../core/errors.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import { assertCanBlock, deadlineOf, signalOf, waitAsyncOn, waitSync, type SyncWaitOptions, type WaitOptions } from './_wait.js';

const FLAG = 0;
const SLEEPERS = 1;
const GEN = 2;

/** @internal */
export interface EventData {
  sab: SharedArrayBuffer;
}

/**
 * Python's `threading.Event` in shared memory: `set()` wakes every thread that
 * `wait`s, and later waits return at once until `clear()`.
 *
 * @example
 * const ready = new Event();
 * // worker: await ready.wait();  (or ready.waitSync())
 * ready.set();
 */
export class Event {
  /** @internal */ readonly _i32: Int32Array;

  /** Creates a cleared event. */
  constructor();
  /** @internal */
  constructor(data: EventData);
  constructor(data?: EventData) {
    this._i32 = new Int32Array(data?.sab ?? new SharedArrayBuffer(12));
    shareables.created++;
  }

  /** Sets the flag and wakes every waiter, on every thread. */
  set(): void {
    const i32 = this._i32;
    if (Atomics.exchange(i32, FLAG, 1) === 1) return;
    Atomics.add(i32, GEN, 1);
    if (Atomics.load(i32, SLEEPERS) > 0) Atomics.notify(i32, GEN);
  }

  /** Clears the flag: later waits wait again. */
  clear(): void {
    Atomics.store(this._i32, FLAG, 0);
  }

  /** True if the flag is set. */
  isSet(): boolean {
    return Atomics.load(this._i32, FLAG) === 1;
  }

  /**
   * Waits (asynchronously) until the flag is set; returns at once if it is.
   * @throws TimeoutError, CancelledError.
   */
  async wait(opts?: WaitOptions): Promise<true> {
    const deadline = deadlineOf('Event.wait()', opts);
    const signal = signalOf('Event.wait()', opts);
    const i32 = this._i32;
    if (Atomics.load(i32, FLAG) === 1) return true;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      const gen = Atomics.load(i32, GEN);
      // Set since we started (even if cleared again): the generation moved.
      while (Atomics.load(i32, FLAG) === 0 && Atomics.load(i32, GEN) === gen) {
        if ((await waitAsyncOn(i32, GEN, gen, deadline, signal)) === 'timed-out' && Atomics.load(i32, GEN) === gen) {
          throw new TimeoutError(`Event.wait() timed out after ${opts!.timeout} ms`);
        }
      }
      return true;
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
  }

  /**
   * Blocking {@link wait} for worker threads.
   * @throws InvalidStateError on the main thread; TimeoutError.
   */
  waitSync(opts?: SyncWaitOptions): true {
    assertCanBlock('Event.waitSync()', 'await event.wait()');
    const deadline = deadlineOf('Event.waitSync()', opts);
    const i32 = this._i32;
    if (Atomics.load(i32, FLAG) === 1) return true;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      const gen = Atomics.load(i32, GEN);
      while (Atomics.load(i32, FLAG) === 0 && Atomics.load(i32, GEN) === gen) {
        if (waitSync(i32, GEN, gen, deadline) === 'timed-out' && Atomics.load(i32, GEN) === gen) {
          throw new TimeoutError(`Event.waitSync() timed out after ${opts!.timeout} ms`);
        }
      }
      return true;
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
  }

  /** @internal */
  [kShare](): SharedDescription {
    return { type: 'Event', data: { sab: this._i32.buffer as SharedArrayBuffer } satisfies EventData };
  }
}
