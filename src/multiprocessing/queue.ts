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
 * Hand-off: a put gives its item straight to the oldest waiting getter; a get
 * that cannot be answered any more (its process died, it timed out) never
 * took an item, and an item handed to a getter whose process went away just
 * then goes back to the front. So nothing is lost or duplicated.
 */
import { QueueEmpty, QueueFull, ValueError, CancelledError, describe } from '../core/errors.js';
import {
  kBroker,
  brokerables,
  brokerRequest,
  newChannelId,
  registerBrokerTarget,
  type BrokerDescription,
  type BrokerTarget,
} from '../transport/brokered.js';

/** Options of {@link Queue.put} and {@link Queue.get}. */
export interface QueueWaitOptions {
  /** false: do not wait (QueueFull / QueueEmpty at once), like Python's `block=False`. Default true. */
  block?: boolean;
  /** Milliseconds to wait at most; then QueueFull / QueueEmpty, as Python's `timeout`. */
  timeout?: number;
  /** Aborting it rejects the wait with CancelledError (in the process that holds the queue only). */
  signal?: AbortSignal;
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  done: boolean;
  cleanup(): void;
  item?: unknown;
}

/** @internal what a Queue marker carries. */
export interface QueueData {
  channel: string;
  maxsize: number;
}

function closedError(): ValueError {
  return new ValueError('Queue is closed');
}

function checkWaitOptions(what: string, o: QueueWaitOptions | undefined): void {
  if (o === undefined) return;
  if (o === null || typeof o !== 'object') throw new TypeError(`${what} options must be an object, got ${describe(o)}`);
  if (o.timeout !== undefined && (typeof o.timeout !== 'number' || !(o.timeout >= 0))) {
    throw new (typeof o.timeout === 'number' ? RangeError : TypeError)(
      `${what}: timeout must be a number of milliseconds >= 0, got ${describe(o.timeout)}`,
    );
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new TypeError(`${what}: signal must be an AbortSignal, got ${describe(o.signal)}`);
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
 * @example
 * const q = new Queue<number>();
 * const p = new Process(tasks.produce, { args: [q] });   // produce(q) { await q.put(42) }
 * p.start();
 * console.log(await q.get());   // 42
 * await p.join();
 */
export class Queue<T = unknown> {
  /** Most items held at once (0: no limit). */
  readonly maxsize: number;
  #items: T[] = [];
  #head = 0;
  #getters: Waiter[] = [];
  #putters: Waiter[] = [];
  #pollers: Waiter[] = [];
  #closed = false;
  #channel: string | undefined;
  #remote: boolean;
  #eof: (() => Error) | undefined;

  /**
   * @param maxsize most items held at once; 0 (default) for no limit.
   * @throws TypeError / RangeError if maxsize is not an integer >= 0.
   */
  constructor(maxsize = 0) {
    if (typeof maxsize !== 'number') throw new TypeError(`Queue(maxsize) expects a number, got ${describe(maxsize)}`);
    if (!Number.isInteger(maxsize) || maxsize < 0) throw new RangeError(`Queue(maxsize) expects an integer >= 0, got ${describe(maxsize)}`);
    this.maxsize = maxsize;
    this.#remote = false;
    brokerables.created++;
  }

  /** @internal a proxy for a queue another process holds. */
  static _revive<T>(data: QueueData): Queue<T> {
    const q = new Queue<T>(data.maxsize);
    q.#remote = true;
    q.#channel = data.channel;
    return q;
  }

  // ── the common API ──────────────────────────────────────────────────────

  /**
   * Puts `item` at the back; waits while the queue is full (bounded queues).
   * @throws QueueFull if `block: false` or the timeout passed; ValueError after close();
   *   TypeError if the item cannot be sent between processes.
   */
  put(item: T, opts?: QueueWaitOptions): Promise<void> {
    try {
      checkWaitOptions('Queue.put', opts);
      if (this.#closed) throw closedError();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#remote) return brokerRequest(this.#channel!, 'put', [item, opts?.block ?? true, opts?.timeout]) as Promise<void>;
    return this.#put(item, opts?.block ?? true, opts?.timeout, opts?.signal);
  }

  /**
   * Takes the item at the front; waits while the queue is empty.
   * Cancel-safe: a get that rejects (timeout, signal) took nothing.
   * @throws QueueEmpty if `block: false` or the timeout passed; ValueError after close().
   */
  get(opts?: QueueWaitOptions): Promise<T> {
    try {
      checkWaitOptions('Queue.get', opts);
      if (this.#closed) throw closedError();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#remote) return brokerRequest(this.#channel!, 'get', [opts?.block ?? true, opts?.timeout]) as Promise<T>;
    return this.#get(opts?.block ?? true, opts?.timeout, opts?.signal);
  }

  /** Puts without waiting. @throws QueueFull when full; ValueError after close(); TypeError in a child (use `put(x, { block: false })`). */
  putNowait(item: T): void {
    this.#local('putNowait', 'put(item, { block: false })');
    if (this.#isFull()) throw new QueueFull();
    this.#push(item);
  }

  /** Takes without waiting. @throws QueueEmpty when empty; ValueError after close(); TypeError in a child (use `get({ block: false })`). */
  getNowait(): T {
    this.#local('getNowait', 'get({ block: false })');
    if (this.#size() === 0) throw new QueueEmpty();
    return this.#shift();
  }

  /** Items held now (in the process that made the queue). */
  qsize(): number {
    this.#local('qsize', 'the holder process');
    return this.#size();
  }
  /** True if no item is held (in the process that made the queue). */
  empty(): boolean {
    return this.qsize() === 0;
  }
  /** True if a bounded queue holds maxsize items (in the process that made the queue). */
  full(): boolean {
    this.#local('full', 'the holder process');
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
  [kBroker](): BrokerDescription {
    if (this.#closed) throw closedError();
    this.#channel ??= newChannelId();
    registerBrokerTarget(this.#channel, this as unknown as BrokerTarget);
    return { type: 'Queue', data: { channel: this.#channel, maxsize: this.maxsize } satisfies QueueData };
  }

  /** @internal runs an operation a proxy asked for (a proxy forwards it to its own holder). */
  brokerCall(op: string, args: unknown[], signal: AbortSignal): unknown {
    if (this.#remote) return brokerRequest(this.#channel!, op, args);
    switch (op) {
      case 'put':
        return this.#put(args[0] as T, args[1] as boolean, args[2] as number | undefined, signal);
      case 'get':
        return this.#get(args[0] as boolean, args[1] as number | undefined, signal).then((v) => {
          // The asker went away while the item was on its way: it goes back to the front.
          if (signal.aborted) {
            this.#unshift(v);
            throw signal.reason;
          }
          return v;
        });
      case 'poll':
        return this._poll(args[0] as number | undefined, signal);
      case 'qsize':
        return this.#size();
      case 'putNoReply':
        this.putNowait(args[0] as T);
        return undefined;
      default:
        throw new TypeError(`Queue: unknown brokered operation ${describe(op)}`);
    }
  }

  /** @internal resolves true once an item is held (without taking it), false after `timeout` ms. */
  _poll(timeout: number | undefined, signal?: AbortSignal): Promise<boolean> {
    if (this.#remote) return brokerRequest(this.#channel!, 'poll', [timeout]) as Promise<boolean>;
    if (this.#size() > 0 || this.#eof) return Promise.resolve(true);
    if (timeout !== undefined && timeout <= 0) return Promise.resolve(false);
    return this.#wait(this.#pollers, timeout, signal, () => false);
  }

  /**
   * @internal no writer is left (Pipe): once empty, gets reject with `makeError()` and
   * polls answer true (there is something to learn: the end of the stream).
   */
  _setEof(makeError: () => Error): void {
    if (this.#eof) return;
    this.#eof = makeError;
    if (this.#size() > 0) return;
    for (const g of this.#getters.splice(0))
      if (!g.done) {
        g.done = true;
        g.cleanup();
        g.reject(makeError());
      }
    for (const p of this.#pollers.splice(0))
      if (!p.done) {
        p.done = true;
        p.cleanup();
        p.resolve(true);
      }
  }

  /** @internal true when this object is a proxy for another process's queue. */
  get _isProxy(): boolean {
    return this.#remote;
  }

  // ── the holder's buffer ─────────────────────────────────────────────────

  #local(method: string, instead: string): void {
    if (this.#closed) throw closedError();
    if (this.#remote) {
      throw new TypeError(
        `Queue.${method}() is synchronous and works only in the process that made the queue; ` +
          `in a child process use ${instead === 'the holder process' ? 'put/get' : `await q.${instead}`}`,
      );
    }
  }

  #size(): number {
    return this.#items.length - this.#head;
  }
  #isFull(): boolean {
    return this.maxsize > 0 && this.#size() >= this.maxsize;
  }

  #push(item: T): void {
    // A waiting getter takes it at once (FIFO hand-off).
    while (this.#getters.length) {
      const g = this.#getters.shift()!;
      if (g.done) continue;
      g.done = true;
      g.cleanup();
      g.resolve(item);
      return;
    }
    this.#items.push(item);
    while (this.#pollers.length) {
      const p = this.#pollers.shift()!;
      if (!p.done) {
        p.done = true;
        p.cleanup();
        p.resolve(true);
      }
    }
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
    this.#admitPutter();
    return v;
  }

  #unshift(v: T): void {
    if (this.#getters.some((g) => !g.done)) {
      this.#push(v);
      return;
    }
    if (this.#head > 0) this.#items[--this.#head] = v;
    else this.#items.unshift(v);
  }

  #admitPutter(): void {
    while (this.#putters.length && !this.#isFull()) {
      const p = this.#putters.shift()!;
      if (p.done) continue;
      p.done = true;
      p.cleanup();
      this.#push(p.item as T);
      p.resolve(undefined);
    }
  }

  #put(item: T, block: boolean, timeout: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    if (!this.#isFull() && this.#putters.length === 0) {
      this.#push(item);
      return Promise.resolve();
    }
    if (!block || timeout === 0) return Promise.reject(new QueueFull());
    return this.#wait(
      this.#putters,
      timeout,
      signal,
      () => {
        throw new QueueFull();
      },
      item,
    ) as Promise<void>;
  }

  #get(block: boolean, timeout: number | undefined, signal: AbortSignal | undefined): Promise<T> {
    if (this.#size() > 0) return Promise.resolve(this.#shift());
    if (this.#eof) return Promise.reject(this.#eof());
    if (!block || timeout === 0) return Promise.reject(new QueueEmpty());
    return this.#wait(this.#getters, timeout, signal, () => {
      throw new QueueEmpty();
    }) as Promise<T>;
  }

  #wait<R>(list: Waiter[], timeout: number | undefined, signal: AbortSignal | undefined, onTimeout: () => R, item?: unknown): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new CancelledError('The queue wait was cancelled', { cause: signal.reason }));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (w.done) return;
        w.done = true;
        w.cleanup();
        reject(new CancelledError('The queue wait was cancelled', { cause: signal!.reason }));
      };
      const w: Waiter = {
        resolve: resolve as (v: unknown) => void,
        reject,
        done: false,
        item,
        cleanup() {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (timeout !== undefined && timeout !== Infinity) {
        timer = setTimeout(() => {
          if (w.done) return;
          w.done = true;
          w.cleanup();
          try {
            resolve(onTimeout());
          } catch (e) {
            reject(e);
          }
        }, timeout);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      list.push(w);
    });
  }
}
