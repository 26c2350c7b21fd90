/**
 * A barrier in shared memory (Python's `threading.Barrier`).
 *
 * Python's algorithm, on shared words: an internal lock, a condition sequence word,
 * `state` (FILLING, DRAINING, RESETTING, BROKEN) and `count`. The last party to
 * arrive switches FILLING -> DRAINING and wakes everyone; parties leave one by one
 * and the last to leave switches back to FILLING. New arrivals wait while the
 * barrier drains, so a slow waker of round N can never be confused with round N+1.
 *
 * Words: 0..2 internal lock (see _lockcore.ts), 3 seq, 4 state, 5 count, 6 parties.
 */
import { BrokenBarrierError, TimeoutError, describe } from '../core/errors.js';
import { int } from '../core/options.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import {
  assertCanBlock,
  deadlineOf,
  signalOf,
  waitAsyncOn,
  waitSync,
  type Signals,
  type SyncWaitOptions,
  type WaitOptions,
} from './_wait.js';
import { abandonIfOwnedBy, lockAsync, lockSync, tryLock, unlock } from './_lockcore.js';
import { track } from './_robust.js';

const L = 0;
const SEQ = 3;
const STATE = 4;
const COUNT = 5;
const PARTIES = 6;
const FILLING = 0;
const DRAINING = 1;
const RESETTING = -1;
const BROKEN = -2;

/** @internal */
export interface BarrierData {
  sab: SharedArrayBuffer;
}

/**
 * Python's `threading.Barrier` in shared memory: `parties` threads each call
 * `wait()`, and all are released together when the last one arrives. It can be
 * reused round after round.
 *
 * - `wait()` resolves to a distinct arrival index in 0..parties-1.
 * - `abort()` breaks it: waiting and later `wait()` calls throw `BrokenBarrierError`
 *   until `reset()`. `reset()` breaks the current round for those waiting, then
 *   the barrier is usable again.
 * - A `wait` that times out breaks the barrier (as in Python): it throws
 *   `TimeoutError`, the other waiters `BrokenBarrierError`.
 *
 * @example
 * const start = new Barrier(3);
 * // in each of 3 threads:
 * const i = await start.wait();
 */
export class Barrier {
  /** @internal */ readonly _i32: Int32Array;

  /**
   * @param parties how many threads must call `wait()` (integer >= 1).
   * @throws RangeError for a bad `parties`.
   */
  constructor(parties: number);
  /** @internal */
  constructor(parties: number, data: BarrierData);
  constructor(parties: number, data?: BarrierData) {
    if (data !== undefined) {
      this._i32 = new Int32Array(data.sab);
    } else {
      if (typeof parties !== 'number') throw new TypeError(`new Barrier(parties) expects an integer >= 1, got ${describe(parties)}`);
      int('new Barrier(parties)', 'parties', parties, 1, { min: 1, max: 0x7fffffff });
      this._i32 = new Int32Array(new SharedArrayBuffer(28));
      this._i32[PARTIES] = parties;
    }
    shareables.created++;
    track(this);
  }

  /** How many threads must call `wait()` to pass. */
  get parties(): number {
    return this._i32[PARTIES]!;
  }
  /** How many threads wait now. */
  get nWaiting(): number {
    return Atomics.load(this._i32, STATE) === FILLING ? Atomics.load(this._i32, COUNT) : 0;
  }
  /** True when the barrier is broken (after `abort()`, a timed-out wait, or a reset mid-round). */
  get broken(): boolean {
    return Atomics.load(this._i32, STATE) === BROKEN;
  }

  private notifyAll(): void {
    Atomics.add(this._i32, SEQ, 1);
    Atomics.notify(this._i32, SEQ);
  }

  private async lockA(): Promise<void> {
    if (!tryLock(this._i32, L)) await lockAsync(this._i32, L, Infinity, undefined);
  }

  /** Condition wait on the internal lock: releases it, sleeps, re-takes it. */
  private async condWaitA(deadline: number, signal: Signals): Promise<string> {
    const seq = Atomics.load(this._i32, SEQ);
    unlock(this._i32, L);
    try {
      return await waitAsyncOn(this._i32, SEQ, seq, deadline, signal);
    } finally {
      await this.lockA();
    }
  }

  private condWaitS(deadline: number): string {
    const seq = Atomics.load(this._i32, SEQ);
    unlock(this._i32, L);
    try {
      return waitSync(this._i32, SEQ, seq, deadline);
    } finally {
      lockSync(this._i32, L, Infinity);
    }
  }

  /**
   * Waits (asynchronously) until `parties` threads have called `wait`.
   * @returns this caller's arrival index, 0..parties-1.
   * @throws BrokenBarrierError if the barrier is or becomes broken; TimeoutError (and the barrier breaks); CancelledError.
   */
  async wait(opts?: WaitOptions): Promise<number> {
    const deadline = deadlineOf('Barrier.wait()', opts);
    const signal = signalOf('Barrier.wait()', opts);
    const i32 = this._i32;
    await this.lockA();
    try {
      let s: number;
      while ((s = i32[STATE]!) === DRAINING || s === RESETTING) await this.condWaitA(Infinity, signal);
      if (s === BROKEN) throw new BrokenBarrierError();
      const index = i32[COUNT]!++;
      try {
        if (index + 1 === i32[PARTIES]) {
          i32[STATE] = DRAINING;
          this.notifyAll();
        } else {
          while (i32[STATE] === FILLING) {
            if ((await this.condWaitA(deadline, signal)) === 'timed-out' && i32[STATE] === FILLING) {
              i32[STATE] = BROKEN;
              this.notifyAll();
              throw new TimeoutError(`Barrier.wait() timed out after ${opts!.timeout} ms`);
            }
          }
          if (i32[STATE]! < 0) throw new BrokenBarrierError();
        }
        return index;
      } finally {
        this.leave();
      }
    } finally {
      unlock(i32, L);
    }
  }

  /**
   * Blocking {@link wait} for worker threads.
   * @throws InvalidStateError on the main thread; BrokenBarrierError; TimeoutError.
   */
  waitSync(opts?: SyncWaitOptions): number {
    assertCanBlock('Barrier.waitSync()', 'await barrier.wait()');
    const deadline = deadlineOf('Barrier.waitSync()', opts);
    const i32 = this._i32;
    lockSync(i32, L, Infinity);
    try {
      let s: number;
      while ((s = i32[STATE]!) === DRAINING || s === RESETTING) this.condWaitS(Infinity);
      if (s === BROKEN) throw new BrokenBarrierError();
      const index = i32[COUNT]!++;
      try {
        if (index + 1 === i32[PARTIES]) {
          i32[STATE] = DRAINING;
          this.notifyAll();
        } else {
          while (i32[STATE] === FILLING) {
            if (this.condWaitS(deadline) === 'timed-out' && i32[STATE] === FILLING) {
              i32[STATE] = BROKEN;
              this.notifyAll();
              throw new TimeoutError(`Barrier.waitSync() timed out after ${opts!.timeout} ms`);
            }
          }
          if (i32[STATE]! < 0) throw new BrokenBarrierError();
        }
        return index;
      } finally {
        this.leave();
      }
    } finally {
      unlock(i32, L);
    }
  }

  /** With the internal lock held: one party leaves; the last one out re-opens the barrier. */
  private leave(): void {
    const i32 = this._i32;
    if (--i32[COUNT]! === 0 && (i32[STATE] === RESETTING || i32[STATE] === DRAINING)) {
      i32[STATE] = FILLING;
      this.notifyAll();
    }
  }

  private doReset(): void {
    const i32 = this._i32;
    if (i32[COUNT]! > 0) {
      if (i32[STATE] === FILLING || i32[STATE] === BROKEN) i32[STATE] = RESETTING;
    } else {
      i32[STATE] = FILLING;
    }
    this.notifyAll();
  }

  private doAbort(): void {
    this._i32[STATE] = BROKEN;
    this.notifyAll();
  }

  /** Returns the barrier to its initial state; threads waiting now get `BrokenBarrierError`. */
  async reset(): Promise<void> {
    await this.lockA();
    try {
      this.doReset();
    } finally {
      unlock(this._i32, L);
    }
  }

  /** Breaks the barrier: current and later `wait()` calls throw `BrokenBarrierError` until `reset()`. */
  async abort(): Promise<void> {
    await this.lockA();
    try {
      this.doAbort();
    } finally {
      unlock(this._i32, L);
    }
  }

  /** Blocking {@link reset} for worker threads. */
  resetSync(): void {
    assertCanBlock('Barrier.resetSync()', 'await barrier.reset()');
    lockSync(this._i32, L, Infinity);
    try {
      this.doReset();
    } finally {
      unlock(this._i32, L);
    }
  }

  /** Blocking {@link abort} for worker threads. */
  abortSync(): void {
    assertCanBlock('Barrier.abortSync()', 'await barrier.abort()');
    lockSync(this._i32, L, Infinity);
    try {
      this.doAbort();
    } finally {
      unlock(this._i32, L);
    }
  }

  /** @internal */
  _abandon(tid: number): boolean {
    return abandonIfOwnedBy(this._i32, L, tid);
  }

  /** @internal */
  [kShare](): SharedDescription {
    return { type: 'Barrier', data: { sab: this._i32.buffer as SharedArrayBuffer } satisfies BarrierData };
  }
}
