/**
 * Queue: FIFO queue for tasks (Python's `asyncio.Queue`), with Python 3.13's
 * `shutdown()`. Subclasses (PriorityQueue, LifoQueue) change only the storage
 * (`_put` / `_get` / `_size` / `_clear`), as in CPython.
 *
 *   put ──> a getter is waiting? ──yes──> hand the item straight to it (the storage stays empty)
 *              │no
 *              └──> room? ──yes──> store it ──no──> wait in `putters` holding the item
 *   get ──> storage not empty? ──yes──> take one; then move the oldest putter's item in
 *              │no
 *              └──> wait in `getters`
 */
import { QueueEmpty, QueueFull, QueueShutDown, ValueError, describe } from '../core/errors.js';
import { Ring } from '../core/ring.js';
import { WaiterQueue, checkWaitOptions, type WaitOptions } from '../core/waiters.js';

/** What `Queue.statistics()` reports. */
export interface QueueStatistics {
  qsize: number;
  maxsize: number;
  getters: number;
  putters: number;
  unfinished: number;
  shutdown: boolean;
}

/** Options of the Queue constructors. */
export interface QueueOptions {
  /** Most items held; 0 (default) or Infinity: unbounded. */
  maxsize?: number;
}

/**
 * A FIFO queue for producer/consumer tasks (Python's `asyncio.Queue`), with `taskDone`
 * / `join`, Python 3.13's `shutdown()`, and async iteration (`for await (const x of q)`
 * gets items until the queue is shut down and empty).
 *
 * Cancel safety: items are handed over directly, so none is lost or duplicated. A
 * `get()` that rejects took no item; one that resolved owns its item even if its task
 * is cancelled right after. A `put()` that rejects did not put its item; one that
 * resolved did.
 *
 * @example
 * const q = new Queue<string>({ maxsize: 100 });
 * createTask(async () => { for (const u of urls) await q.put(u); q.shutdown(); });
 * for await (const u of q) console.log(u);
 */
export class Queue<T> implements AsyncIterable<T> {
  /** Most items held (0: unbounded). */
  readonly maxsize: number;
  /** @internal */ readonly _getters = new WaiterQueue<T>();
  /** @internal */ readonly _putters = new WaiterQueue<void>();
  /** @internal */ readonly _joiners = new WaiterQueue<void>();
  /** @internal */ _unfinished = 0;
  /** @internal */ _shutdown = false;
  /** @internal FIFO storage (subclasses use their own) */ _ring: Ring<T> | undefined;

  /** @param opts `maxsize`. @throws RangeError if maxsize is not an integer >= 0 (or Infinity). */
  constructor(opts?: QueueOptions) {
    if (opts !== undefined && (opts === null || typeof opts !== 'object'))
      throw new TypeError(`Queue(opts) expects an object like { maxsize }, got ${describe(opts)}`);
    const m = opts?.maxsize ?? 0;
    if (typeof m !== 'number' || !(Number.isInteger(m) || m === Infinity) || m < 0) {
      throw new RangeError(`Queue maxsize must be an integer >= 0 (0: unbounded), got ${describe(m)}`);
    }
    this.maxsize = m === Infinity ? 0 : m;
    this._init();
  }

  // ─── storage (overridden by subclasses) ───
  /** @internal */ _init(): void {
    this._ring = new Ring<T>();
  }
  /** @internal */ _put(item: T): void {
    this._ring!.push(item);
  }
  /** @internal */ _get(): T {
    return this._ring!.shift() as T;
  }
  /** @internal */ _size(): number {
    return this._ring!.length;
  }
  /** @internal */ _clear(): void {
    this._ring!.clear();
  }

  /** Number of items in the queue. */
  qsize(): number {
    return this._size();
  }
  /** True if the queue holds no item. */
  empty(): boolean {
    return this._size() === 0;
  }
  /** True if the queue holds `maxsize` items (never for an unbounded queue). */
  full(): boolean {
    return this.maxsize > 0 && this._size() >= this.maxsize;
  }

  /** @internal stores an item or hands it to the first getter */
  _deliver(item: T): void {
    this._unfinished++;
    if (!this._getters.grantHead(item)) this._put(item);
  }

  /** @internal after a get freed room: move waiting putters' items in */
  _admitPutters(): void {
    let w: ReturnType<typeof this._putters.peekWait>;
    while (!this.full() && (w = this._putters.peekWait()) !== null) {
      const item = w.data as T;
      w._grant(undefined);
      this._deliver(item);
    }
  }

  /**
   * Puts an item, waiting (FIFO among putters) while the queue is full.
   * @param o `signal`, `timeout` (ms).
   * @throws (as a rejection) QueueShutDown; CancelledError; TimeoutError (the item was not put).
   */
  put(item: T, o?: WaitOptions): Promise<void> {
    if (o !== undefined) {
      const bad = checkWaitOptions(o, 'Queue.put()');
      if (bad) return Promise.reject(bad);
    }
    if (this._shutdown) return Promise.reject(new QueueShutDown('Cannot put: the queue is shut down'));
    if (this._putters.size === 0 && !this.full()) {
      this._deliver(item);
      return Promise.resolve();
    }
    return this._putters.waitWith(o, item);
  }

  /**
   * Puts an item without waiting.
   * @throws QueueFull if the queue is full; QueueShutDown if it is shut down.
   */
  putNowait(item: T): void {
    if (this._shutdown) throw new QueueShutDown('Cannot put: the queue is shut down');
    if (this._putters.size > 0 || this.full()) throw new QueueFull(`The queue is full (maxsize ${this.maxsize})`);
    this._deliver(item);
  }

  /**
   * Removes and returns an item, waiting (FIFO among getters) while the queue is empty.
   * @param o `signal`, `timeout` (ms).
   * @throws (as a rejection) QueueShutDown once the queue is shut down and empty (at once with
   *   `shutdown({ immediate: true })`); CancelledError; TimeoutError (no item was taken).
   */
  get(o?: WaitOptions): Promise<T> {
    if (o !== undefined) {
      const bad = checkWaitOptions(o, 'Queue.get()');
      if (bad) return Promise.reject(bad);
    }
    if (this._size() > 0) {
      const item = this._get();
      if (this._putters.size > 0) this._admitPutters();
      return Promise.resolve(item);
    }
    if (this._shutdown) return Promise.reject(new QueueShutDown('Cannot get: the queue is shut down and empty'));
    return this._getters.wait(o);
  }

  /**
   * Removes and returns an item without waiting.
   * @throws QueueEmpty if the queue is empty; QueueShutDown if it is shut down and empty.
   */
  getNowait(): T {
    if (this._size() === 0) {
      if (this._shutdown) throw new QueueShutDown('Cannot get: the queue is shut down and empty');
      throw new QueueEmpty();
    }
    const item = this._get();
    if (this._putters.size > 0) this._admitPutters();
    return item;
  }

  /**
   * Marks one item taken by `get()` as processed (for `join()`).
   * @throws ValueError if called more times than items were put.
   */
  taskDone(): void {
    if (this._unfinished <= 0) throw new ValueError('taskDone() called more times than there were items');
    if (--this._unfinished === 0) this._joiners.grantAll(undefined);
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   * @param o `signal`, `timeout` (ms).
   * @throws (as a rejection) CancelledError; TimeoutError.
   */
  join(o?: WaitOptions): Promise<void> {
    if (o !== undefined) {
      const bad = checkWaitOptions(o, 'Queue.join()');
      if (bad) return Promise.reject(bad);
    }
    if (this._unfinished === 0) return Promise.resolve();
    return this._joiners.wait(o);
  }

  /**
   * Shuts the queue down (Python 3.13): `put()` rejects with QueueShutDown from now on,
   * and so do waiting putters (their items are not put). `get()` drains what is left and
   * then rejects with QueueShutDown; waiting getters reject at once. With `immediate`,
   * the items left are dropped (counted as done for `join()`) and `get()` rejects at once.
   */
  shutdown(opts?: { immediate?: boolean }): void {
    const immediate = opts?.immediate ?? false;
    if (typeof immediate !== 'boolean') throw new TypeError(`Queue.shutdown({ immediate }) expects a boolean, got ${describe(immediate)}`);
    this._shutdown = true;
    if (immediate) {
      const n = this._size();
      this._clear();
      this._unfinished = Math.max(0, this._unfinished - n);
      if (this._unfinished === 0) this._joiners.grantAll(undefined);
    }
    this._getters.failAll(new QueueShutDown('The queue was shut down'));
    this._putters.failAll(new QueueShutDown('The queue was shut down'));
  }

  /** True after `shutdown()`. */
  get isShutdown(): boolean {
    return this._shutdown;
  }

  /** `qsize`, `maxsize`, `getters`, `putters`, `unfinished` (items not yet taskDone), `shutdown`. */
  statistics(): QueueStatistics {
    return {
      qsize: this._size(),
      maxsize: this.maxsize,
      getters: this._getters.size,
      putters: this._putters.size,
      unfinished: this._unfinished,
      shutdown: this._shutdown,
    };
  }

  /**
   * `for await (const x of q)`: gets items until the queue is shut down and empty.
   * Does not call `taskDone()`. Each step is a `get()`, so it is cancelled with the task.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (e) {
        if (e instanceof QueueShutDown) return;
        throw e;
      }
      yield item;
    }
  }
}
