/**
 * multiprocessing Barrier: `parties` waits, in any processes, pass together;
 * kept by the process that made it.
 *
 * When the last party arrives, every waiting party is released at once (in the
 * holder, in one turn), so there is no draining phase to get wrong: a party
 * that calls wait() again is counted in the next cycle.
 *
 * How a party leaves early:
 * - its wait is cancelled (signal, task cancelled): it leaves, the others keep
 *   waiting for another party (asyncio's rule);
 * - its timeout passes: it gets TimeoutError and the barrier breaks, so the
 *   others get BrokenBarrierError (Python's multiprocessing/threading rule: a
 *   party that gives up means the group cannot meet);
 * - its process dies: the barrier breaks (nothing waits forever on a dead process).
 */
import { BrokenBarrierError } from '../core/errors.js';
import { int } from '../core/options.js';
import type { BrokerCall } from '../transport/brokered.js';
import { Brokered, proxyFor, type WaitOptions } from './_brokered.js';
import { WaitList, remoteSpec, timedOut, type WaitSpec, type Waiter } from './_waiters.js';

/** What `statistics()` of a brokered Barrier reports (in the process that made it). */
export interface BarrierStatistics {
  parties: number;
  nWaiting: number;
  broken: boolean;
  cycles: number;
}

/** @internal what a Barrier marker carries. */
export interface BarrierData {
  channel: string;
  parties: number;
}

/**
 * A cyclic barrier across processes: Python's `multiprocessing.Barrier`, with
 * weft/asyncio's methods.
 *
 * @example
 * const start = new Barrier(4);
 * // in each of 4 children:
 * await start.wait();   // all four go on together
 */
export class Barrier extends Brokered {
  /** Number of parties that must call `wait()` to pass. */
  readonly parties: number;
  readonly #waiters = new WaitList<number>();
  #broken = false;
  #cycles = 0;

  /** @param parties an integer >= 1. @throws TypeError if not a number; RangeError otherwise. */
  constructor(parties: number) {
    super();
    if (this._remote) {
      this.parties = 0;
      return;
    }
    if (parties === undefined) throw new TypeError('new Barrier(parties) expects the number of parties, got undefined');
    this.parties = int('new Barrier(parties)', 'parties', parties, 1, { min: 1 });
    this.#waiters.onAbort = (w) => {
      const { timedOut, client } = w as Waiter<number>;
      if (timedOut || client.gone) this.#break(new BrokenBarrierError(brokenWhy(timedOut)));
    };
  }

  /** @internal */
  protected get _type(): string {
    return 'Barrier';
  }
  /** @internal */
  protected override _data(): Record<string, unknown> {
    return { parties: this.parties };
  }
  /** @internal a proxy in another process. */
  static _revive(data: BarrierData): Barrier {
    return proxyFor(data.channel, () => {
      const b = new Barrier(0);
      (b as { parties: number }).parties = data.parties;
      return b;
    });
  }

  /**
   * Waits until `parties` parties (in any processes) are waiting, then all go on.
   * @param o `timeout` ms (then TimeoutError, and the barrier breaks for the others), `signal`;
   *   the current task's cancellation applies too (a cancelled party just leaves).
   * @returns this party's arrival index, 0 .. parties-1 (parties-1 for the one that filled the barrier).
   * @throws (rejects) BrokenBarrierError if the barrier is or becomes broken, or is reset while waiting;
   *   CancelledError; TimeoutError.
   */
  wait(o?: WaitOptions): Promise<number> {
    return this._waiting('Barrier.wait()', o, (spec) =>
      this._remote ? (this._askWait('wait', [spec.timeout], spec) as Promise<number>) : this.#wait(spec),
    );
  }

  #wait(spec: WaitSpec): Promise<number> {
    if (this.#broken) return Promise.reject(new BrokenBarrierError());
    if (this.#waiters.size + 1 === this.parties) {
      let i = 0;
      while (this.#waiters.grantHead(i)) i++;
      this.#cycles++;
      return Promise.resolve(i);
    }
    // timeout 0 with the barrier not full: the party gives up at once, which breaks it.
    const p = this.#waiters.waitFor(spec, timedOut('Barrier.wait()', spec.timeout));
    if (spec.timeout <= 0) this.#break(new BrokenBarrierError(brokenWhy(true)));
    return p;
  }

  /** Rejects every waiting party with BrokenBarrierError and returns to the empty state (not broken). */
  async reset(): Promise<void> {
    if (this._remote) {
      await this._ask('reset', []);
      return;
    }
    this.#waiters.failAll(new BrokenBarrierError('The barrier was reset while parties were waiting on it'));
    this.#broken = false;
  }

  /** Breaks the barrier: waiting parties and every later `wait()` reject with BrokenBarrierError (until `reset()`). */
  async abort(): Promise<void> {
    if (this._remote) {
      await this._ask('abort', []);
      return;
    }
    this.#break(new BrokenBarrierError('The barrier was aborted'));
  }

  #break(err: BrokenBarrierError): void {
    this.#broken = true;
    this.#waiters.failAll(err);
  }

  /** Parties waiting now. In the process that made it only. @throws TypeError elsewhere. */
  get nWaiting(): number {
    this._holderOnly('nWaiting', 'the process that made it');
    return this.#waiters.size;
  }
  /** True after `abort()` (or a party timed out or died), until `reset()`. In the process that made it only. */
  get broken(): boolean {
    this._holderOnly('broken', 'the process that made it');
    return this.#broken;
  }

  /** `parties`, `nWaiting`, `broken`, `cycles`. In the process that made it only. */
  statistics(): BarrierStatistics {
    this._holderOnly('statistics()', 'the process that made it');
    return { parties: this.parties, nWaiting: this.#waiters.size, broken: this.#broken, cycles: this.#cycles };
  }

  /** (Internal: runs an operation in the holder.) */
  brokerCall(op: string, args: unknown[], call: BrokerCall): unknown {
    switch (op) {
      case 'wait':
        return this.#wait(remoteSpec(call.client, call.signal, args[0] as number));
      case 'reset':
        return this.reset();
      case 'abort':
        return this.abort();
      default:
        return this._unknownOp(op);
    }
  }
}

function brokenWhy(timedOut: boolean): string {
  return timedOut ? 'The barrier is broken: a party timed out waiting on it' : 'The barrier is broken: a process waiting on it has gone';
}
