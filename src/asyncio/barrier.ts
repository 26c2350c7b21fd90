/**
 * Barrier: Python's `asyncio.Barrier`, state for state.
 *
 *     filling ──(the last party arrives)──> draining ──(every party has left)──> filling
 *        │  \                                  │
 *        │   reset() with parties inside ──> resetting ──(every party has left)──> filling
 *        └── abort() (from any state) ──> broken ──reset()──> filling (or resetting)
 *
 * A party is "inside" from its arrival until its `wait()` resumes (core/waiters.ts:
 * every wait of this queue resumes through `onResume`, in arrival order). While the
 * barrier drains or resets, a newcomer (a fast party calling `wait()` again) is held
 * back in `_blocked` until every party of the round has left, so the rounds never mix.
 *
 * When a party resumes it reads the state: draining, it passes with its arrival index;
 * resetting or broken, it gets BrokenBarrierError; cancelled meanwhile, CancelledError.
 * As in asyncio, `reset()` or `abort()` before a released party has resumed reaches
 * that party too (CPython's test_reset_barrier_when_tasks_half_draining).
 */
import { BrokenBarrierError, describe } from '../core/errors.js';
import { deadlineIn, msUntil } from '../core/options.js';
import { WaiterQueue, checkWaitOptions, type Wait, type WaitOptions } from '../core/waiters.js';

/** What `Barrier.statistics()` reports. */
export interface BarrierStatistics {
  parties: number;
  nWaiting: number;
  broken: boolean;
  cycles: number;
  state: BarrierState;
}

/** The states of a {@link Barrier} (Python's `_BarrierState`). */
export type BarrierState = 'filling' | 'draining' | 'resetting' | 'broken';

/**
 * A cyclic barrier (Python's `asyncio.Barrier`): `wait()` blocks until `parties`
 * tasks are waiting, then releases them all and starts a new cycle once they have left.
 *
 * Cancel safety: a party whose `wait()` is cancelled (or times out) before the
 * barrier filled simply leaves; the others keep waiting for a replacement. A party
 * released but cancelled before it resumed gets CancelledError (cancel wins) and
 * leaves; the others pass.
 *
 * @example
 * const b = new Barrier(3);
 * await Promise.all([0, 1, 2].map(() => createTask(async () => { await b.wait(); })));
 */
export class Barrier {
  /** Number of tasks that must call `wait()` to pass the barrier. */
  readonly parties: number;
  /** @internal parties inside the barrier, each with its arrival index as `data` */
  readonly _waiters = new WaiterQueue<number>();
  /** @internal newcomers held back while the barrier drains or resets */
  readonly _blocked = new WaiterQueue<void>();
  /** @internal */ _state: BarrierState = 'filling';
  /** @internal parties inside (arrived, not yet left) */ _count = 0;
  /** @internal */ _cycles = 0;

  /** @param parties >= 1. @throws TypeError if not a number; RangeError if not an integer >= 1. */
  constructor(parties: number) {
    if (typeof parties !== 'number') throw new TypeError(`Barrier(parties) expects an integer >= 1, got ${describe(parties)}`);
    if (!Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Barrier(parties) expects an integer >= 1, got ${describe(parties)}`);
    }
    this.parties = parties;
    this._waiters.resumeAll = true;
    this._waiters.onResume = this._resumed;
    // A party that leaves before the barrier filled (cancelled, timed out) is no longer inside.
    this._waiters.onAbort = () => this._leave();
  }

  /**
   * Waits until `parties` tasks are waiting.
   * @param o `signal`, `timeout` (ms).
   * @returns this party's arrival index, 0 .. parties-1 (parties-1 for the one that filled the barrier).
   * @throws (as a rejection) BrokenBarrierError if the barrier is or becomes broken (abort()) or is reset
   *   while waiting; CancelledError; TimeoutError.
   */
  async wait(o?: WaitOptions): Promise<number> {
    const bad = checkWaitOptions(o, 'Barrier.wait()');
    if (bad) throw bad;
    if (this._state === 'draining' || this._state === 'resetting') {
      const deadline = o?.timeout === undefined ? Infinity : deadlineIn(o.timeout);
      while (this._state === 'draining' || this._state === 'resetting') {
        await this._blocked.wait(deadline === Infinity ? o : { signal: o?.signal, timeout: msUntil(deadline) });
      }
    }
    if (this._state === 'broken') throw new BrokenBarrierError('The barrier is broken (aborted)');
    const index = this._count++;
    if (index + 1 === this.parties) {
      // Release the round: every party inside resumes with its own index.
      this._state = 'draining';
      this._cycles++;
      this._wakeInside();
      this._leave();
      return index;
    }
    return this._waiters.waitWith(o, index);
  }

  /** @internal grants every party inside: each reads the state when it resumes */
  _wakeInside(): void {
    let w: Wait<number> | null;
    while ((w = this._waiters.peekWait()) !== null) w._grant(w.data as number);
  }

  /** @internal a released party resumes */
  private readonly _resumed = (_w: unknown, _index: number, cancel: unknown): unknown => {
    let err: unknown = cancel;
    if (err === undefined && (this._state === 'resetting' || this._state === 'broken')) {
      err = new BrokenBarrierError(
        this._state === 'broken' ? 'The barrier was aborted' : 'The barrier was reset while tasks were waiting on it',
      );
    }
    this._leave();
    return err;
  };

  /** @internal one party left; the last one out of a draining or resetting barrier re-opens it */
  _leave(): void {
    if (--this._count === 0) {
      if (this._state === 'draining' || this._state === 'resetting') this._state = 'filling';
      this._blocked.grantAll(undefined);
    }
  }

  /**
   * Returns the barrier to the empty state: parties waiting get BrokenBarrierError, then
   * the barrier works again (once they have left).
   */
  async reset(): Promise<void> {
    if (this._count > 0) this._state = 'resetting';
    else this._state = 'filling';
    this._wakeInside();
    this._blocked.grantAll(undefined);
  }

  /** Breaks the barrier: waiting parties and every later `wait()` reject with BrokenBarrierError (until `reset()`). */
  async abort(): Promise<void> {
    this._state = 'broken';
    this._wakeInside();
    this._blocked.grantAll(undefined);
  }

  /** Number of tasks waiting for the barrier to fill (0 while it drains, resets or is broken). */
  get nWaiting(): number {
    return this._state === 'filling' ? this._count : 0;
  }
  /** True after `abort()`, until `reset()`. */
  get broken(): boolean {
    return this._state === 'broken';
  }

  /** `parties`, `nWaiting`, `broken`, `cycles` (times the barrier filled), `state`. */
  statistics(): BarrierStatistics {
    return { parties: this.parties, nWaiting: this.nWaiting, broken: this.broken, cycles: this._cycles, state: this._state };
  }
}
