/**
 * multiprocessing.Queue: a FIFO queue that child processes can use.
 *
 * The process that makes the queue holds the items. Passed to a Process or a
 * Pool task (as an argument, also nested in plain objects and arrays), it
 * travels as a marker and revives in the child as a proxy: the same class,
 * whose operations are requests to the holder (see transport/brokered.ts).
 *
 *   holder: items[] ── getters waiting (FIFO) ── putters waiting (FIFO, when bounded)
 *   proxy:  put/get ─IPC─> holder, which runs them in arrival order
 *
 * Nothing is lost or duplicated:
 * - a put gives its item straight to the oldest waiting getter, or stores it;
 * - a get that cannot be answered any more (its process died, it timed out,
 *   it was cancelled) never took an item;
 * - an item handed to another process is a hand-over: it counts as received
 *   only once that process confirmed the answer; if it dies before (its reply
 *   went into a dead pipe), or its get was cancelled just as the item came,
 *   the item goes back to the front of the queue;
 * - a get by this process's own code that is cancelled as the item comes also
 *   puts it back (cancel wins, see _waiters.ts);
 * - a put waiting in a full queue is granted room, reserved for it (`full()`
 *   counts it, so FIFO among putters holds), and its item goes in when it
 *   resumes; cancelled in between (its task's cancel() won), it puts nothing and
 *   the room goes to the next putter. As asyncio's Queue does;
 * - likewise an item handed to a waiting get still takes room until that get
 *   resumes, so a cancel that gives it back never leaves maxsize + 1 items.
 */
import { QueueEmpty, QueueFull, ValueError, describe } from '../core/errors.js';
import { int, options } from '../core/options.js';
import { kBroker, LOCAL_CLIENT, type BrokerCall, type BrokerClient, type BrokerDescription } from '../transport/brokered.js';
import { Brokered, checkNotAborted, proxyFor, waitSpec } from './_brokered.js';
import { WaitList, remoteSpec, type WaitSpec } from './_waiters.js';

/** Options of {@link Queue.put} and {@link Queue.get}. */
export interface QueueWaitOptions {
  /** false: do not wait (QueueFull / QueueEmpty at once), like Python's `block=False`. Default true. */
  block?: boolean;
  /**
   * Milliseconds to wait at most; then QueueFull / QueueEmpty, as Python's `timeout`.
   * undefined or Infinity: no limit; 0 or negative: do not wait.
   */
  timeout?: number;
  /** Aborting it cancels the wait (CancelledError); the current task's cancellation applies too. */
  signal?: AbortSignal;
}

/** Options of `new Queue()`. */
export interface QueueOptions {
  /** Most items held at once; 0 (default) for no limit. */
  maxsize?: number;
}

/** @internal what a Queue marker carries. */
export interface QueueData {
  channel: string;
  maxsize: number;
  joinable?: boolean;
}

const WAIT_KEYS = ['block', 'timeout', 'signal'] as const;
const POLL_TIMEOUT = Symbol('poll timeout');

function closedError(): ValueError {
  return new ValueError('Queue is closed');
}

/**
 * A FIFO queue usable from the child processes it is passed to:
 * Python's `multiprocessing.Queue`.
 *
 * `put`/`get` work everywhere (they return promises); `putNowait`,
 * `getNowait`, `qsize`, `empty` and `full` are synchronous and work in the
 * process that made the queue; in a child use `put(x, { block: false })` and
 * `get({ block: false })`, which are the same operations.
 *
 * While this process's own code waits in `get()` (or `put()`) and a child
 * Process started here is alive, the program stays up, as Python's blocking
 * get does (a daemon child may still put the item).
 *
 * @example
 * const q = new Queue<number>();
 * const p = new Process(tasks.produce, { args: [q] });   // produce(q) { await q.put(42) }
 * p.start();
 * console.log(await q.get());   // 42
 * await p.join();
 */
export class Queue<T = unknown> extends Brokered {
  /** Most items held at once (0: no limit). */
  readonly maxsize: number;
  #items: T[] = [];
  #head = 0;
  readonly #getters = new WaitList<T>();
  readonly #putters = new WaitList<void>();
  readonly #pollers = new WaitList<boolean>();
  /** putters granted room that have not put yet (see the top) */
  #reserved = 0;
  #closed = false;
  #eof: (() => Error) | undefined;

  /**
   * @param maxsize most items held at once; 0 (default) for no limit. Also `{ maxsize }`.
   * @throws TypeError if not a number; RangeError if not an integer >= 0.
   */
  constructor(maxsize?: number | QueueOptions) {
    super();
    if (this._remote) {
      this.maxsize = 0;
      return;
    }
    const where = `new ${this._type}(maxsize)`;
    const m = maxsize !== null && typeof maxsize === 'object' ? options(where, maxsize, ['maxsize']).maxsize : maxsize;
    this.maxsize = int(where, 'maxsize', m, 0);
    // Cancel wins: a task's get handed an item and cancelled before it resumed gives it back.
    // Until then the item still takes room (`#isFull` counts it), as in asyncio's Queue, where
    // it stays in the queue until the getter resumes; every get resumes through here
    // (resumeAll), so the room is given to putters the moment it frees.
    this.#getters.resumeAll = true;
    this.#getters.onResume = (_w, item, cancel) => {
      if (cancel !== undefined) this._giveBack([item]);
      else this.#admitPutters();
      return undefined;
    };
    // A putter granted room puts its item when it resumes, unless its task was cancelled first.
    this.#putters.resumeAll = true;
    this.#putters.onResume = (w, _v, cancel) => {
      this.#reserved--;
      if (cancel === undefined) this._admit(w.data as T);
      this.#admitPutters();
      return undefined;
    };
  }

  /** @internal */
  protected get _type(): string {
    return 'Queue';
  }
  /** @internal */
  protected override _data(): Record<string, unknown> {
    return { maxsize: this.maxsize };
  }

  /** @internal a proxy for a queue another process holds. */
  static _revive<T>(data: QueueData): Queue<T> {
    return proxyFor(data.channel, () => {
      const q = new Queue<T>();
      (q as { maxsize: number }).maxsize = data.maxsize;
      return q;
    });
  }

  // ── the common API ──────────────────────────────────────────────────────

  /**
   * Puts `item` at the back; waits while the queue is full (bounded queues).
   * Cancel-safe: a put that rejects put nothing. A put that has already entered the
   * queue stays there (another process may have taken the item).
   * @param o `block` (false: do not wait), `timeout` ms, `signal`.
   * @throws (rejects) QueueFull if it cannot wait or the timeout passed; ValueError after close();
   *   CancelledError; TypeError if the item cannot be sent between processes or for bad options.
   */
  put(item: T, o?: QueueWaitOptions): Promise<void> {
    let spec: WaitSpec;
    try {
      spec = waitSpec(`${this._type}.put()`, o, WAIT_KEYS);
      if (this.#closed) throw closedError();
      checkNotAborted(spec);
      checkItem(`${this._type}.put()`, item);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this._remote) return this._askWait('put', [item, spec.timeout], spec, true) as Promise<void>;
    return this.#put(item, spec);
  }

  /**
   * Takes the item at the front; waits while the queue is empty.
   * Cancel-safe: a get that rejects (timeout, signal, task cancelled) took nothing, even if
   * an item arrived just as it was cancelled (the item stays at the front).
   * @param o `block` (false: do not wait), `timeout` ms, `signal`.
   * @throws (rejects) QueueEmpty if it cannot wait or the timeout passed; ValueError after close(); CancelledError.
   */
  get(o?: QueueWaitOptions): Promise<T> {
    let spec: WaitSpec;
    try {
      spec = waitSpec(`${this._type}.get()`, o, WAIT_KEYS);
      if (this.#closed) throw closedError();
      checkNotAborted(spec);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this._remote) return this._askWait('get', [spec.timeout], spec) as Promise<T>;
    return this.#get(spec);
  }

  /** Puts without waiting. @throws QueueFull when full; ValueError after close(); TypeError in a child (use `put(x, { block: false })`). */
  putNowait(item: T): void {
    this.#local('putNowait()', 'await q.put(item, { block: false })');
    checkItem(`${this._type}.putNowait()`, item);
    if (this.#mustWait()) throw new QueueFull();
    this._admit(item);
  }

  /** Takes without waiting. @throws QueueEmpty when empty; ValueError after close(); TypeError in a child (use `get({ block: false })`). */
  getNowait(): T {
    this.#local('getNowait()', 'await q.get({ block: false })');
    if (this.#size() === 0) throw new QueueEmpty();
    return this.#shift();
  }

  /** Items held now (in the process that made the queue). */
  qsize(): number {
    this.#local('qsize()', 'put/get');
    return this.#size();
  }
  /** True if no item is held (in the process that made the queue). */
  empty(): boolean {
    return this.qsize() === 0;
  }
  /** True if a bounded queue holds maxsize items (in the process that made the queue). */
  full(): boolean {
    this.#local('full()', 'put/get');
    return this.#isFull();
  }

  /**
   * Closes this handle: later calls on it throw ValueError ("Queue is closed"). As in
   * Python, other processes' handles (and waits already under way) are not affected.
   */
  close(): void {
    this.#closed = true;
  }

  /** True after close() on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  // ── brokering ───────────────────────────────────────────────────────────

  /** @internal */
  override [kBroker](): BrokerDescription {
    if (this.#closed) throw closedError();
    return super[kBroker]();
  }

  /** (Internal.) runs an operation a proxy asked for. */
  brokerCall(op: string, args: unknown[], call: BrokerCall): unknown {
    switch (op) {
      case 'put':
        return this.#put(args[0] as T, remoteSpec(call.client, call.signal, args[1] as number));
      case 'get': {
        const client = call.client;
        const spec = remoteSpec(client, call.signal, args[0] as number);
        return this.#get(spec).then((item) => {
          call.handOver(() => this._giveBack([item]), this._keep(client, item));
          return item;
        });
      }
      case 'poll':
        return this._poll(args[0] as number, remoteSpec(call.client, call.signal, args[0] as number));
      case 'putNoReply':
        if (this.#mustWait()) throw new QueueFull();
        this._admit(args[0] as T);
        return undefined;
      default:
        return this._unknownOp(op);
    }
  }

  /** @internal what runs when another process confirms it received `item` (JoinableQueue counts it). */
  protected _keep(_client: BrokerClient, _item: T): (() => void) | undefined {
    return undefined;
  }

  /** @internal an item entered the queue by a put (JoinableQueue counts it). */
  protected _entered(): void {}

  /**
   * @internal resolves true once an item is held (without taking it), false after `timeout` ms.
   * In a proxy, asks the holder.
   */
  _poll(timeout: number, spec?: WaitSpec): Promise<boolean> {
    const s = spec ?? { client: LOCAL_CLIENT, signal: undefined, timeout, context: true };
    if (this._remote) return this._askWait('poll', [timeout], s) as Promise<boolean>;
    if (this.#size() > 0 || this.#eof) return Promise.resolve(true);
    return this.#pollers
      .waitFor(s, () => POLL_TIMEOUT)
      .catch((e) => {
        if (e === POLL_TIMEOUT) return false;
        throw e;
      });
  }

  /** @internal puts without a reply (Pipe's send from another process). */
  _tellPut(item: unknown): void {
    this._tell('putNoReply', [item]);
  }

  /**
   * @internal no writer is left (Pipe): once empty, gets reject with `makeError()` and
   * polls answer true (there is something to learn: the end of the stream).
   */
  _setEof(makeError: () => Error): void {
    if (this.#eof) return;
    this.#eof = makeError;
    if (this.#size() > 0) return;
    this.#getters.failAll(makeError());
    this.#pollers.grantAll(true);
  }

  /** @internal true when this object is a proxy for another process's queue. */
  get _isProxy(): boolean {
    return this._remote;
  }

  // ── the holder's buffer ─────────────────────────────────────────────────

  #local(method: string, instead: string): void {
    if (this.#closed) throw closedError();
    this._holderOnly(method, instead);
  }

  #size(): number {
    return this.#items.length - this.#head;
  }
  /**
   * Full, counting the room reserved for putters that have not resumed yet and the
   * items handed to getters that have not resumed yet (a cancel may still give them back).
   */
  #isFull(): boolean {
    return this.maxsize > 0 && this.#size() + this.#reserved + this.#getters.resuming >= this.maxsize;
  }
  /** A put must wait: full, or putters are ahead of it (FIFO). */
  #mustWait(): boolean {
    return this.#isFull() || this.#putters.size > 0 || this.#reserved > 0;
  }

  /** @internal a put's item enters: counted, then to the oldest getter or the back of the buffer. */
  protected _admit(item: T): void {
    this._entered();
    this.#push(item);
  }

  #push(item: T): void {
    if (this.#getters.grantHead(item)) return;
    this.#items.push(item);
    if (this.#pollers.size > 0) this.#pollers.grantAll(true);
  }

  #shift(): T {
    const v = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    } else if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    this.#admitPutters();
    return v;
  }

  /**
   * @internal items taken but not kept (oldest first) go back to the front, in order:
   * to waiting getters first, the rest before every item held.
   */
  protected _giveBack(items: T[]): void {
    let i = 0;
    while (i < items.length && this.#getters.grantHead(items[i]!)) i++;
    if (i === items.length) return;
    const rest = items.slice(i);
    if (this.#head >= rest.length) {
      this.#head -= rest.length;
      for (let k = 0; k < rest.length; k++) this.#items[this.#head + k] = rest[k]!;
    } else this.#items.splice(this.#head, 0, ...rest);
    if (this.#pollers.size > 0) this.#pollers.grantAll(true);
  }

  /** Grants the room there is to the oldest putters (each puts its item when it resumes). */
  #admitPutters(): void {
    while (!this.#isFull() && this.#putters.grantHead(undefined)) this.#reserved++;
  }

  #put(item: T, spec: WaitSpec): Promise<void> {
    if (!this.#mustWait()) {
      this._admit(item);
      return Promise.resolve();
    }
    return this.#putters.waitFor(spec, () => new QueueFull(), item);
  }

  #get(spec: WaitSpec): Promise<T> {
    if (this.#size() > 0) return Promise.resolve(this.#shift());
    if (this.#eof) return Promise.reject(this.#eof());
    return this.#getters.waitFor(spec, () => new QueueEmpty());
  }
}

function checkItem(where: string, item: unknown): void {
  if (typeof item === 'function' || typeof item === 'symbol') {
    throw new TypeError(`${where}: ${describe(item)} cannot be sent between processes`);
  }
}
