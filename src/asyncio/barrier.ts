import { BrokenBarrierError, describe } from '../core/errors.js';
import { WaiterQueue, checkWaitOptions, type WaitOptions } from '../core/waiters.js';

/** What `Barrier.statistics()` reports. */
export interface BarrierStatistics {
  parties: number;
  nWaiting: number;
  broken: boolean;
  cycles: number;
}

/**
 * A cyclic barrier (Python's `asyncio.Barrier`): `wait()` blocks until `parties`
 * tasks are waiting, then releases them all and starts a new cycle.
 *
 * Cancel safety: a party whose `wait()` is cancelled (or times out) before the
 * barrier filled simply leaves; the others keep waiting for a replacement. Once the
 * barrier filled, every party's `wait()` resolves.
 *
 * @example
 * const b = new Barrier(3);
 * await Promise.all([0, 1, 2].map(() => createTask(async () => { await b.wait(); })));
 */
export class Barrier {
  /** Number of tasks that must call `wait()` to pass the barrier. */
  readonly parties: number;
  /** @internal */ readonly _waiters = new WaiterQueue<number>();
  /** @internal */ _broken = false;
  /** @internal */ _cycles = 0;

  /** @param parties >= 1. @throws RangeError otherwise. */
  constructor(parties: number) {
    if (typeof parties !== 'number' || !Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Barrier(parties) expects an integer >= 1, got ${describe(parties)}`);
    }
    this.parties = parties;
  }

  /**
   * Waits until `parties` tasks are waiting.
   * @param o `signal`, `timeout` (ms).
   * @returns this party's arrival index, 0 .. parties-1 (parties-1 for the one that filled the barrier).
   * @throws (as a rejection) BrokenBarrierError if the barrier is or becomes broken (abort()) or is reset
   *   while waiting; CancelledError; TimeoutError.
   */
  wait(o?: WaitOptions): Promise<number> {
    if (o !== undefined) {
      const bad = checkWaitOptions(o, 'Barrier.wait()');
      if (bad) return Promise.reject(bad);
    }
    if (this._broken) return Promise.reject(new BrokenBarrierError());
    if (this._waiters.size + 1 === this.parties) {
      let i = 0;
      while (this._waiters.grantHead(i)) i++;
      this._cycles++;
      return Promise.resolve(i);
    }
    return this._waiters.wait(o);
  }

  /** Rejects every waiting party with BrokenBarrierError and returns to the empty state (not broken). */
  async reset(): Promise<void> {
    this._waiters.failAll(new BrokenBarrierError('The barrier was reset while tasks were waiting on it'));
    this._broken = false;
  }

  /** Breaks the barrier: waiting parties and every later `wait()` reject with BrokenBarrierError (until `reset()`). */
  async abort(): Promise<void> {
    this._broken = true;
    this._waiters.failAll(new BrokenBarrierError('The barrier was aborted'));
  }

  /** Number of tasks waiting now. */
  get nWaiting(): number {
    return this._waiters.size;
  }
  /** True after `abort()`, until `reset()`. */
  get broken(): boolean {
    return this._broken;
  }

  /** `parties`, `nWaiting`, `broken`, `cycles` (times the barrier filled). */
  statistics(): BarrierStatistics {
    return { parties: this.parties, nWaiting: this._waiters.size, broken: this._broken, cycles: this._cycles };
  }
}
