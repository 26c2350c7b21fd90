/**
 * multiprocessing Semaphore and BoundedSemaphore: permits shared by the
 * processes they are passed to, counted by the process that made them.
 *
 * Permits are conserved when processes die: a permit granted to another
 * process is a hand-over (transport/brokered.ts) that becomes a holding of
 * that process once it confirmed the answer; if it dies before, or while
 * holding permits, they go back (to the longest waiter, or to the count).
 * A release from a process is counted against the permits that process holds
 * first; a release beyond them simply adds a permit, as in Python.
 */
import { ValueError } from '../core/errors.js';
import { int } from '../core/options.js';
import { LOCAL_CLIENT, type BrokerCall, type BrokerClient, type Holding } from '../transport/brokered.js';
import { Brokered, Guard, proxyFor, type WaitOptions } from './_brokered.js';
import { WaitList, remoteSpec, timedOut, type WaitSpec } from './_waiters.js';

/** What `statistics()` of a brokered Semaphore reports (in the process that made it). */
export interface SemaphoreStatistics {
  value: number;
  waiters: number;
  acquisitions: number;
  contended: number;
}

/** @internal what a Semaphore marker carries. */
export interface SemaphoreData {
  channel: string;
  initial: number;
  bounded: boolean;
}

/** Permits a remote process holds (released if it dies). */
class Permits implements Holding {
  n = 0;
  constructor(
    private readonly sem: Semaphore,
    readonly client: BrokerClient,
  ) {}
  release(): void {
    this.sem._dead(this);
  }
}

/**
 * A counter of permits across processes: Python's `multiprocessing.Semaphore`,
 * with weft/asyncio's methods. FIFO-fair across processes.
 *
 * @example
 * const slots = new Semaphore(2);   // at most two children download at once
 * // in each child:
 * { using _ = await slots.acquire(); await download(url); }
 */
export class Semaphore extends Brokered {
  /** The initial number of permits. */
  readonly initialValue: number;
  /** @internal */ _value = 0;
  /** @internal */ readonly _bounded: boolean;
  readonly #waiters = new WaitList<true>();
  readonly #permits = new Map<BrokerClient, Permits>();
  #acq = 0;
  #contended = 0;

  /**
   * @param value initial number of permits (default 1).
   * @throws TypeError if not a number; RangeError if not an integer >= 0.
   */
  constructor(value?: number) {
    super();
    this._bounded = this._isBounded();
    if (this._remote) {
      this.initialValue = 0;
      return;
    }
    this.initialValue = int(`new ${this._type}(value)`, 'value', value, 1);
    this._value = this.initialValue;
    // Cancel wins: a task's wait granted a permit and cancelled before it resumed gives it back.
    this.#waiters.onResume = (_w, _v, cancel) => {
      if (cancel !== undefined) this.#give();
      return undefined;
    };
  }

  /** @internal */
  protected _isBounded(): boolean {
    return false;
  }
  /** @internal */
  protected get _type(): string {
    return 'Semaphore';
  }
  /** @internal */
  protected override _data(): Record<string, unknown> {
    return { initial: this.initialValue, bounded: this._bounded };
  }
  /** @internal a proxy in another process. */
  static _revive(data: SemaphoreData): Semaphore {
    return proxyFor(data.channel, () => {
      const s = data.bounded ? new BoundedSemaphore() : new Semaphore();
      (s as { initialValue: number }).initialValue = data.initial;
      return s;
    });
  }

  /**
   * Takes a permit, waiting (FIFO) if there is none.
   * Cancel-safe: a rejected acquire took no permit (cancel wins over a grant that raced it).
   * @param o `timeout` ms (0 or less: do not wait), `signal`; the current task's cancellation applies too.
   * @returns a guard that gives the permit back when disposed.
   * @throws (rejects) TimeoutError, CancelledError; TypeError/RangeError for bad options.
   */
  acquire(o?: WaitOptions): Promise<Guard> {
    return this._waiting(`${this._type}.acquire()`, o, (spec) => {
      if (!this._remote) return this.#acquire(spec).then(() => new Guard(this));
      return this._askWait('acquire', [spec.timeout], spec).then(() => new Guard(this));
    });
  }

  #acquire(spec: WaitSpec): Promise<true> {
    this.#acq++;
    if (this._value > 0) {
      this._value--;
      return Promise.resolve(true);
    }
    this.#contended++;
    return this.#waiters.waitFor(spec, timedOut(`${this._type}.acquire()`, spec.timeout));
  }

  /** Takes a permit if one is free, without waiting. In the process that made it only. @throws TypeError elsewhere. */
  tryAcquire(): Guard | undefined {
    this._holderOnly('tryAcquire()', 'await sem.acquire({ timeout: 0 }) (TimeoutError if none is free)');
    if (this._value === 0) return undefined;
    this._value--;
    this.#acq++;
    return new Guard(this);
  }

  /**
   * Gives a permit back; the longest waiter (in any process) gets it.
   * @throws ValueError (BoundedSemaphore) if that would exceed the initial value; in another
   *   process that mistake is reported as a warning by the process that made it.
   */
  release(): void {
    if (this._remote) {
      this._tell('release', []);
      return;
    }
    this.#release(LOCAL_CLIENT);
  }

  #release(client: BrokerClient): void {
    if (this._bounded && this._value >= this.initialValue) {
      throw new ValueError(
        `BoundedSemaphore released too many times (it holds ${this.initialValue} permit${this.initialValue === 1 ? '' : 's'})`,
      );
    }
    const mine = this.#permits.get(client);
    if (mine !== undefined && --mine.n === 0) {
      this.#permits.delete(client);
      client.unhold(mine);
    }
    this.#give();
  }

  /** One permit back: to the longest waiter, or to the count. */
  #give(): void {
    if (!this.#waiters.grantHead(true)) this._value++;
  }

  /** @internal a process holding permits died: they go back. */
  _dead(p: Permits): void {
    if (this.#permits.get(p.client) !== p) return;
    this.#permits.delete(p.client);
    for (let i = 0; i < p.n; i++) this.#give();
  }

  #count(client: BrokerClient): void {
    let p = this.#permits.get(client);
    if (p === undefined) {
      p = new Permits(this, client);
      if (!client.hold(p)) {
        this.#give(); // it has gone already
        return;
      }
      this.#permits.set(client, p);
    }
    p.n++;
  }

  /** True when no permit is free. In the process that made it only. @throws TypeError elsewhere. */
  locked(): boolean {
    this._holderOnly('locked()', 'acquire({ timeout: 0 })');
    return this._value === 0;
  }

  /** Free permits now. In the process that made it only. @throws TypeError elsewhere. */
  get value(): number {
    this._holderOnly('value', 'acquire({ timeout: 0 })');
    return this._value;
  }

  /** `value`, `waiters`, `acquisitions`, `contended`. In the process that made it only. */
  statistics(): SemaphoreStatistics {
    this._holderOnly('statistics()', 'the process that made it');
    return { value: this._value, waiters: this.#waiters.size, acquisitions: this.#acq, contended: this.#contended };
  }

  /** (Internal: runs an operation in the holder.) */
  brokerCall(op: string, args: unknown[], call: BrokerCall): unknown {
    switch (op) {
      case 'acquire': {
        const client = call.client;
        return this.#acquire(remoteSpec(client, call.signal, args[0] as number)).then(() => {
          call.handOver(
            () => this.#give(),
            () => this.#count(client),
          );
          return true;
        });
      }
      case 'release':
        this.#release(call.client);
        return undefined;
      default:
        return this._unknownOp(op);
    }
  }
}

/**
 * A {@link Semaphore} that refuses to be released more often than acquired:
 * Python's `multiprocessing.BoundedSemaphore`.
 *
 * @example
 * const sem = new BoundedSemaphore(2);
 * sem.release(); // throws ValueError
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal */
  protected override _isBounded(): boolean {
    return true;
  }
  /** @internal */
  protected override get _type(): string {
    return 'BoundedSemaphore';
  }
}
