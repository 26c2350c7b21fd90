/**
 * Queue: FIFO queue for tasks (Python's `asyncio.Queue`), with Python 3.13's
 * `shutdown()`. Subclasses (PriorityQueue, LifoQueue) change only the storage
 * (`_put` / `_get` / `_size` / `_clear`), as in CPython.
 *
 *   put ──> a getter is waiting? ──yes──> hand the item straight to it (the storage stays empty)
 *              │no
 *              └──> room? ──yes──> store it ──no──> wait in `putters` holding the item
 *   get ──> storage not empty? ──yes──> take one; then grant room to the oldest putter
 *              │no
 *              └──> wait in `getters`
 *
 * Cancel wins (see core/waiters.ts). Between the moment a waiting task is granted
 * something and the moment it resumes, its `cancel()` can still win:
 * - a getter handed an item gives it back: to the next getter, or to the front of the
 *   queue. Until it resumes, the item still takes its place (`full()` counts it), as
 *   in asyncio where the item stays in the queue until the woken getter takes it;
 * - a putter is granted room, reserved for it (`full()` counts it, so FIFO among
 *   putters holds), and its item goes in when it resumes. Cancelled (or the queue shut
 *   down meanwhile), it puts nothing and the room goes to the next putter.
 * `_held` counts both: items on their way to a getter and room reserved for a putter.
 */
import { QueueEmpty, QueueFull, QueueShutDown, ValueError } from '../core/errors.js';
import { bool, int, options } from '../core/options.js';
import { Ring } from '../core/ring.js';
import { DEFERRED, NONE, WaiterQueue, checkWaitOptions, type WaitOptions } from '../core/waiters.js';

const QUEUE_KEYS = ['maxsize'] as const;
const SHUTDOWN_KEYS = ['immediate'] as const;

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
  /** @internal places taken by items on their way to getters and room reserved for putters (see the top) */
  _held = 0;
  /** @internal putters granted room that have not put yet: later puts queue behind them (FIFO) */
  _reserved = 0;
  /** @internal FIFO storage (subclasses use their own) */ _ring: Ring<T> | undefined;

  /** @param opts `maxsize`. @throws RangeError if maxsize is not an integer >= 0 (or Infinity). */
  constructor(opts?: QueueOptions) {
    const o = options(`${new.target.name}(opts)`, opts, this._optionKeys());
    const m = int(`${new.target.name}(opts)`, 'maxsize (0: unbounded)', o.maxsize, 0, { infinity: true });
    this.maxsize = m === Infinity ? 0 : m;
    this._init();
    this._getters.onResume = this._getterResumed;
    this._putters.onResume = this._putterResumed;
    this._putters.resumeAll = true;
  }

  /** @internal a getter resumed: a cancelled one gives its item back */
  private readonly _getterResumed = (_w: unknown, item: T, cancel: unknown): undefined => {
    this._held--;
    if (cancel !== undefined) this._deliverFront(item);
    else if (this._putters.size > 0) this._admitPutters();
    return undefined;
  };

  /** @internal a putter granted room resumed: its item goes in, unless it was cancelled or the queue shut down */
  private readonly _putterResumed = (w: { data: unknown }, _v: unknown, cancel: unknown): unknown => {
    this._held--;
    this._reserved--;
    if (cancel === undefined && !this._shutdown) {
      this._deliver(w.data as T);
      return undefined;
    }
    if (this._putters.size > 0) this._admitPutters();
    return cancel ?? new QueueShutDown('Cannot put: the queue was shut down');
  };

  /** @internal the option keys the constructor accepts */
  _optionKeys(): readonly string[] {
    return QUEUE_KEYS;
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
  /** @internal refuses an item the storage cannot hold (PriorityQueue's natural order) */
  _check(_item: T): void {}
  /** @internal puts back an item a cancelled getter had been given (where it came from: the front) */
  _putBack(item: T): void {
    this._ring!.unshift(item);
  }

  /** Number of items in the queue. */
  qsize(): number {
    return this._size();
  }
  /** True if the queue holds no item. */
  empty(): boolean {
    return this._size() === 0;
  }
  /**
   * True if the queue holds `maxsize` items (never for an unbounded queue). Items handed
   * to a waiting task that has not resumed yet, and room granted to a waiting putter,
   * count too (see the top of this file).
   */
  full(): boolean {
    return this.maxsize > 0 && this._size() + this._held >= this.maxsize;
  }

  /** @internal stores an item or hands it to the first getter */
  _deliver(item: T): void {
    this._unfinished++;
    const g = this._getters.grantHead(item);
    if (g === NONE) this._put(item);
    else if (g === DEFERRED) this._held++;
  }

  /** @internal gives back an item a cancelled getter had been handed: to the next getter, or the front */
  _deliverFront(item: T): void {
    const g = this._getters.grantHead(item);
    if (g === NONE) this._putBack(item);
    else if (g === DEFERRED) this._held++;
  }

  /** @internal after a get freed room: grant it to waiting putters, in FIFO order */
  _admitPutters(): void {
    while (!this.full() && this._putters.grantHead(undefined)) {
      this._held++;
      this._reserved++;
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
    try {
      this._check(item);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this._putters.size === 0 && this._reserved === 0 && !this.full()) {
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
    this._check(item);
    if (this._putters.size > 0 || this._reserved > 0 || this.full()) throw new QueueFull(`The queue is full (maxsize ${this.maxsize})`);
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
    const immediate = bool('Queue.shutdown(opts)', 'immediate', options('Queue.shutdown(opts)', opts, SHUTDOWN_KEYS).immediate, false);
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
