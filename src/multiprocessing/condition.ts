/**
 * multiprocessing Condition: a condition variable across processes, kept
 * (with its lock) by the process that made it.
 *
 * A wait from another process is one brokered operation: the holder checks
 * that process holds the lock, releases it (every level of an RLock), waits
 * for a notification (or the timeout, or a cancel), takes the lock again for
 * that process at the same depth, then answers. So the lock is held again
 * whenever wait() returns or throws, as in asyncio and Python. If the waiting
 * process dies meanwhile, its wait ends and, if it had already got the lock
 * back, the lock is released as abandoned (it died inside its critical section).
 * A notification given to a waiter that is cancelled before it resumes goes to
 * the next waiter (CPython 3.13's rule), so no notification is lost.
 */
import { InvalidStateError, TimeoutError, describe } from '../core/errors.js';
import { deadlineIn, int, msUntil } from '../core/options.js';
import { kBroker, LOCAL_CLIENT, type BrokerCall, type BrokerClient } from '../transport/brokered.js';
import { Brokered, checkNotAborted, proxyFor, waitSpec, type Guard, type WaitOptions } from './_brokered.js';
import { WaitList, remoteSpec, timedOut, type WaitSpec } from './_waiters.js';
import { Lock, RLock, type LockBase, type LockData } from './lock.js';

/** @internal what a Condition marker carries. */
export interface ConditionData {
  channel: string;
  lock: LockData;
  reentrant: boolean;
}

/**
 * A condition variable across processes: Python's `multiprocessing.Condition`,
 * with weft/asyncio's methods. Processes holding its lock wait to be notified;
 * `wait()` releases the lock while waiting and takes it again before it returns
 * (also when it throws).
 *
 * @example
 * const cond = new Condition();
 * const ready = new Value('int32', 0);
 * // consumer (any process):
 * { using _ = await cond.acquire(); await cond.waitFor(async () => (await ready.get()) > 0); }
 * // producer (any process):
 * { using _ = await cond.acquire(); await ready.set(1); cond.notifyAll(); }
 */
export class Condition extends Brokered {
  #lock!: LockBase;
  readonly #waiters = new WaitList<true>();

  /**
   * @param lock a brokered {@link Lock} or {@link RLock} made in this process (default: a new RLock, as in Python).
   * @throws TypeError for anything else, or a lock made in another process.
   */
  constructor(lock?: Lock | RLock) {
    super();
    if (this._remote) return;
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(`new Condition(lock) expects a multiprocessing Lock or RLock, got ${describe(lock)}`);
    }
    if (lock?._remote) {
      throw new TypeError(
        'new Condition(lock): the lock must be made in the same process as the Condition (this one came from another process)',
      );
    }
    this.#lock = lock ?? new RLock();
    // A notification given to a task's wait cancelled before it resumed goes to the next waiter.
    this.#waiters.onResume = (_w, _v, cancel) => {
      if (cancel !== undefined) this.#notify(1);
      return undefined;
    };
  }

  /** @internal */
  protected get _type(): string {
    return 'Condition';
  }
  /** @internal */
  protected override _data(): Record<string, unknown> {
    return { lock: this.#lock[kBroker]().data, reentrant: this.#lock instanceof RLock };
  }
  /** @internal a proxy in another process. */
  static _revive(data: ConditionData): Condition {
    return proxyFor(data.channel, () => {
      const c = new Condition();
      c.#lock = data.reentrant ? RLock._revive(data.lock) : Lock._revive(data.lock);
      return c;
    });
  }

  /** The lock of this condition. */
  get lock(): Lock | RLock {
    return this.#lock as Lock | RLock;
  }

  /** Acquires the underlying lock. See `Lock.acquire`. */
  acquire(o?: WaitOptions): Promise<Guard> {
    return this.#lock.acquire(o);
  }
  /** Acquires the underlying lock without waiting (in the process that made it only). */
  tryAcquire(): Guard | undefined {
    return this.#lock.tryAcquire();
  }
  /** Releases the underlying lock. @throws InvalidStateError if this process does not hold it. */
  release(): void {
    this.#lock.release();
  }
  /** True while the underlying lock is held (in the process that made it only). */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Releases the lock, waits for a notification, takes the lock again.
   * @param o `timeout` ms (0 or less: do not wait), `signal`; the current task's cancellation applies too.
   * @returns true once notified.
   * @throws InvalidStateError if this process does not hold the lock; (rejects) CancelledError /
   *   TimeoutError, with the lock held again; TypeError/RangeError for bad options.
   */
  async wait(o?: WaitOptions): Promise<true> {
    const spec = waitSpec('Condition.wait()', o);
    checkNotAborted(spec);
    if (this._remote) {
      if (this.#lock._heldHere() === 0) throw notHeld('wait');
      const depth = this.#lock._suspend();
      try {
        await this._askWait('wait', [spec.timeout], spec);
      } finally {
        this.#lock._resume(depth);
      }
      return true;
    }
    return this.#wait(spec);
  }

  async #wait(spec: WaitSpec): Promise<true> {
    const client = spec.client;
    const st = this.#lock._state!;
    if (st.owner !== client) throw notHeld('wait');
    const depth = st.releaseAll(client);
    let failed = false;
    let error: unknown;
    try {
      await this.#waiters.waitFor(spec, timedOut('Condition.wait()', spec.timeout));
    } catch (e) {
      failed = true;
      error = e;
    }
    if (client.gone) throw error; // it died waiting: nothing to take back for it
    await st.reacquire(client, depth);
    if (failed) throw error;
    return true;
  }

  /**
   * Waits until `predicate()` is truthy (checked first, then after every notification).
   * The predicate may be async (it often reads a Value: `async () => (await v.get()) > 0`).
   * @param predicate called with the lock held.
   * @param o `timeout` ms for the whole wait, `signal`.
   * @returns the predicate's last (truthy) value.
   * @throws as {@link wait}; TimeoutError if the predicate is still falsy when the time is up.
   */
  async waitFor<T>(predicate: () => T | PromiseLike<T>, o?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') throw new TypeError(`Condition.waitFor(predicate) expects a function, got ${describe(predicate)}`);
    const spec = waitSpec('Condition.waitFor()', o);
    const deadline = deadlineIn(spec.timeout);
    let r = await predicate();
    while (!r) {
      const left = msUntil(deadline);
      if (left <= 0) throw new TimeoutError(`Condition.waitFor(): the predicate was still false after ${spec.timeout} ms`);
      await this.wait(left === Infinity ? (o?.signal ? { signal: o.signal } : undefined) : { signal: o?.signal, timeout: left });
      r = await predicate();
    }
    return r;
  }

  /**
   * Wakes up to `n` waiters (default 1), in any process.
   * @throws InvalidStateError if this process does not hold the lock; TypeError/RangeError for a bad `n`.
   */
  notify(n = 1): void {
    const k = int('Condition.notify(n)', 'n', n, 1);
    if (this._remote) {
      if (this.#lock._heldHere() === 0) throw notHeld('notify');
      return this._tell('notify', [k]);
    }
    this.#check(LOCAL_CLIENT, 'notify');
    this.#notify(k);
  }

  /** Wakes every waiter. @throws InvalidStateError if this process does not hold the lock. */
  notifyAll(): void {
    if (this._remote) {
      if (this.#lock._heldHere() === 0) throw notHeld('notify');
      return this._tell('notify', [Infinity]);
    }
    this.#check(LOCAL_CLIENT, 'notify');
    this.#notify(Infinity);
  }

  #check(client: BrokerClient, what: string): void {
    if (this.#lock._state!.owner !== client) throw notHeld(what);
  }

  #notify(n: number): void {
    for (let i = 0; i < n && this.#waiters.grantHead(true); i++);
  }

  /**
   * `locked`, `waiters` (waiting for a notification), `lockWaiters` (waiting for the lock).
   * In the process that made it only. @throws TypeError elsewhere.
   */
  statistics(): { locked: boolean; waiters: number; lockWaiters: number } {
    this._holderOnly('statistics()', 'the process that made it');
    const st = this.#lock._state!;
    return { locked: st.owner !== undefined, waiters: this.#waiters.size, lockWaiters: st.waiters.size };
  }

  /** (Internal: runs an operation in the holder.) */
  brokerCall(op: string, args: unknown[], call: BrokerCall): unknown {
    switch (op) {
      case 'wait':
        return this.#wait(remoteSpec(call.client, call.signal, args[0] as number));
      case 'notify':
        this.#check(call.client, 'notify');
        this.#notify(args[0] as number);
        return undefined;
      default:
        return this._unknownOp(op);
    }
  }
}

function notHeld(what: string): InvalidStateError {
  return new InvalidStateError(`Cannot ${what} on a Condition whose lock this process does not hold`);
}
