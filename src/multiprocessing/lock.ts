/**
 * multiprocessing Lock and RLock: locks that work across the processes they
 * are passed to, brokered by the process that made them (see _lockstate.ts
 * for the state machine and owner death, transport/brokered.ts for the wire).
 */
import { InvalidStateError } from '../core/errors.js';
import { options } from '../core/options.js';
import { LOCAL_CLIENT, type BrokerCall } from '../transport/brokered.js';
import { Brokered, Guard, proxyFor, type WaitOptions } from './_brokered.js';
import { LockState } from './_lockstate.js';

/** What `statistics()` of a brokered Lock reports (in the process that made it). */
export interface LockStatistics {
  locked: boolean;
  waiters: number;
  acquisitions: number;
  contended: number;
}

/** @internal what a Lock / RLock marker carries. */
export interface LockData {
  channel: string;
}

/** (Internal.) Lock and RLock: the holder's state, or a proxy's count of what this process holds. */
export abstract class LockBase extends Brokered {
  /** @internal the state, in the holder */ readonly _state: LockState | undefined;
  #held = 0; // in a proxy: levels this process holds (acquisitions confirmed minus releases sent)

  /** @internal */
  constructor(reentrant: boolean) {
    super();
    if (!this._remote) this._state = new LockState(reentrant ? 'RLock' : 'Lock', reentrant);
  }

  /**
   * Takes the lock, waiting (FIFO) while another process or task holds it.
   * Cancel-safe: if it rejects (CancelledError, TimeoutError) the lock was not taken,
   * even when it was granted just as the wait was cancelled (cancel wins).
   *
   * @param o `timeout` ms (undefined/Infinity: no limit; 0 or less: do not wait),
   *   `signal`; the current task's cancellation applies too.
   * @returns a guard (`using _ = await lock.acquire()`) whose `abandoned` is true when the
   *   lock was taken over from a process that died holding it.
   * @throws (rejects) TimeoutError, CancelledError; TypeError/RangeError for bad options.
   */
  acquire(o?: WaitOptions): Promise<Guard> {
    return this._waiting(`${this._type}.acquire()`, o, (spec) => {
      if (!this._remote) return this._state!.acquire(spec).then((abandoned) => new Guard(this, abandoned));
      return this._askWait('acquire', [spec.timeout], spec).then((abandoned) => {
        this.#held++;
        return new Guard(this, abandoned === true);
      });
    });
  }

  /**
   * Takes the lock if it is free, without waiting; undefined if it is held.
   * In the process that made the lock only (elsewhere use `acquire({ timeout: 0 })`).
   * @throws TypeError in another process.
   */
  tryAcquire(): Guard | undefined {
    this._holderOnly('tryAcquire()', 'await lock.acquire({ timeout: 0 }) (TimeoutError if it is held)');
    const r = this._state!.tryAcquire(LOCAL_CLIENT);
    return r === undefined ? undefined : new Guard(this, r);
  }

  /**
   * Releases one acquisition. A brokered lock is released by the process that holds it
   * (so that the lock of a process that died can be given back); any task of that
   * process may release it.
   * @throws InvalidStateError if this process does not hold it.
   */
  release(): void {
    if (this._remote) {
      if (this.#held === 0) throw new InvalidStateError(`Cannot release the ${this._type}: this process does not hold it`);
      this.#held--;
      this._tell('release', []);
      return;
    }
    this._state!.release(LOCAL_CLIENT);
  }

  /** True while some process holds it. In the process that made the lock only. @throws TypeError elsewhere. */
  locked(): boolean {
    this._holderOnly('locked()', 'acquire({ timeout: 0 })');
    return this._state!.owner !== undefined;
  }

  /** `locked`, `waiters`, `acquisitions`, `contended`. In the process that made the lock only. */
  statistics(): LockStatistics {
    this._holderOnly('statistics()', 'the process that made it');
    const s = this._state!;
    return { locked: s.owner !== undefined, waiters: s.waiters.size, acquisitions: s.acquisitions, contended: s.contended };
  }

  /** @internal a proxy: levels this process holds (a Condition proxy checks and suspends them). */
  _heldHere(): number {
    return this._remote ? this.#held : this._state!.owner === LOCAL_CLIENT ? this._state!.depth : 0;
  }
  /** @internal a proxy's Condition.wait: the holder releases every level for the wait... */
  _suspend(): number {
    const n = this.#held;
    this.#held = 0;
    return n;
  }
  /** @internal ... and takes them again before it answers. */
  _resume(n: number): void {
    this.#held = n;
  }

  /** (Internal: runs an operation in the holder.) */
  brokerCall(op: string, args: unknown[], call: BrokerCall): unknown {
    const s = this._state!;
    switch (op) {
      case 'acquire':
        return s.remoteAcquire(call, args[0] as number);
      case 'release':
        s.release(call.client);
        return undefined;
      default:
        return this._unknownOp(op);
    }
  }
}

/**
 * A lock across processes: Python's `multiprocessing.Lock`, with weft/asyncio's
 * methods. Pass it to a `Process` or a `Pool` task; every process that has it
 * locks the same lock, held by the process that made it (the parent brokers it).
 *
 * - FIFO-fair: the longest waiter, in whatever process, gets it next.
 * - Not re-entrant (use {@link RLock}).
 * - Owner death: when a process dies holding it, it is released and the next
 *   owner's guard has `abandoned: true`.
 *
 * @example
 * const lock = new Lock();
 * const total = new Value('int32', 0);
 * // in each child (a task module):
 * { using _ = await lock.acquire(); await total.set((await total.get()) + 1); }
 */
export class Lock extends LockBase {
  /** An unlocked lock. @throws TypeError if given an argument (it takes none). */
  constructor(...none: unknown[]) {
    super(false);
    if (none.length > 0 && !this._remote) options('new Lock()', none[0], []);
  }
  /** @internal */
  protected get _type(): string {
    return 'Lock';
  }
  /** @internal a proxy in another process. */
  static _revive(data: LockData): Lock {
    return proxyFor(data.channel, () => new Lock());
  }
}

/**
 * A re-entrant lock across processes: Python's `multiprocessing.RLock`. The process
 * that holds it may acquire it again; it is free once released as often as acquired.
 * Ownership is per process (every task of the holding process counts as the owner).
 *
 * @example
 * const rlock = new RLock();
 * // in a child:
 * using a = await rlock.acquire();
 * using b = await rlock.acquire(); // same process: no deadlock
 */
export class RLock extends LockBase {
  /** An unlocked re-entrant lock. */
  constructor(...none: unknown[]) {
    super(true);
    if (none.length > 0 && !this._remote) options('new RLock()', none[0], []);
  }
  /** @internal */
  protected get _type(): string {
    return 'RLock';
  }
  /** @internal a proxy in another process. */
  static _revive(data: LockData): RLock {
    return proxyFor(data.channel, () => new RLock());
  }
}
