/**
 * A FIFO queue between threads, in shared memory.
 *
 *   header (Int32Array)                     data (ring of bytes, size CAP, CAP % 4 === 0)
 *   0..2  internal lock (_lockcore.ts)      +------+---------------+------+-------...
 *   3     NOT_EMPTY sequence word           | len  | payload (pad4)| len  | payload
 *   4     NOT_FULL sequence word            +------+---------------+------+-------...
 *   5     COUNT items                       ^ HEAD (oldest record)   tail = (HEAD + USED) % CAP
 *   6     HEAD byte offset
 *   7     USED bytes
 *   8     SHUTDOWN flag
 *   9/10  getters / putters may sleep on the current NOT_EMPTY / NOT_FULL value
 *   11    MAXSIZE (0: bounded by bytes only)
 *   12    CAP bytes
 *   13    UNFINISHED tasks (taskDone / join)
 *
 * An item is encoded (structured clone semantics, see transport/item-codec.ts) before the lock
 * is taken, copied into the ring under the lock, and copied out and decoded after
 * it is released, so the lock is held only for memcpy's.
 * Records are 4-byte aligned, so a length word never wraps; a payload may.
 *
 * Sleeping uses the condition-variable pattern: under the lock, read the sequence
 * word and raise the side's "sleepers" flag; release; sleep while the word is
 * unchanged. The other side, under the lock, checks the flag: if raised, it
 * lowers it, bumps the word and wakes *every* sleeper of that side, which all
 * re-check. So each round of sleeping costs one notify, however many items
 * arrive before the sleepers are scheduled again (counting sleepers instead
 * made every put pay a futex wake while a woken getter waited for a CPU). A
 * sleeper that times out leaves the flag raised: one harmless extra notify.
 * A woken getter re-checks the queue before its deadline, so a wake is never
 * wasted on a waiter that timed out at the same moment.
 */
import { InvalidStateError, QueueEmpty, QueueFull, QueueShutDown, TimeoutError, ValueError } from '../core/errors.js';
import { int, options } from '../core/options.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import {
  IS_MAIN,
  assertCanBlock,
  deadlineOf,
  remaining,
  signalOf,
  waitAsyncOn,
  waitSync,
  type SyncWaitOptions,
  type WaitOptions,
} from './_wait.js';
import { abandonIfOwnedBy, lockAsync, lockSync, tryLock, unlock } from './_lockcore.js';
import { track } from './_robust.js';
import { decodeItem, encodeItem, readBuffer } from '../transport/item-codec.js';

const L = 0;
const NOT_EMPTY = 3;
const NOT_FULL = 4;
const COUNT = 5;
const HEAD = 6;
const USED = 7;
const SHUTDOWN = 8;
const GET_SLEEPERS = 9;
const PUT_SLEEPERS = 10;
const MAXSIZE = 11;
const CAP = 12;
const UNFINISHED = 13;
const HEADER_WORDS = 14;

const DEFAULT_BYTES = 1 << 20;
/**
 * Microseconds a blocking end polls the queue before it goes to sleep: a futex
 * sleep + wake costs several microseconds on each side, more than a producer
 * usually needs to deliver the next item.
 */
const SPIN_US = 50;

/** Options of `new Queue()`. */
export interface QueueOptions {
  /** Most items it holds; `put` waits beyond it. 0 (default): bounded only by `bytes`. */
  maxsize?: number;
  /** Size of the shared buffer that holds the serialized items (default 1 MiB). `put` waits when it is full. */
  bytes?: number;
}

/** @internal */
export interface QueueData {
  header: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

type Outcome = 'ok' | 'wait' | 'shutdown';

const QUEUE_KEYS = ['maxsize', 'bytes'] as const;

/**
 * Python's `queue.Queue` between threads: FIFO, bounded, items structured-cloned
 * through shared memory (anything `postMessage` can send, except transferables
 * and shared memory itself). Pass it to a `Thread` or a pool task; every thread
 * can `put` and `get`.
 *
 * - async ends (`put`, `get`, `join`, `for await`) work on every thread; blocking
 *   ends (`putSync`, `getSync`) in worker threads only; `putNowait` / `getNowait` never wait.
 * - `shutdown()` (alias `close()`): later puts throw `QueueShutDown`; gets drain
 *   what is left, then throw `QueueShutDown`; `for await` ends.
 *
 * @example
 * const q = new Queue<{ url: string }>({ maxsize: 100 });
 * await q.put({ url: 'https://example.com' });
 * // in a worker:
 * for await (const job of q) handle(job);
 */
export class Queue<T = unknown> implements AsyncIterable<T> {
  /** @internal */ readonly _header: Int32Array;
  /** @internal the ring of encoded items, as bytes and as 32-bit words (length prefixes) */
  private readonly bytes8: Uint8Array;
  private readonly words32: Int32Array;

  /**
   * @throws RangeError for a bad `maxsize` or `bytes`.
   */
  constructor(opts?: QueueOptions);
  /** @internal */
  constructor(opts: QueueOptions | undefined, data: QueueData);
  constructor(opts?: QueueOptions, data?: QueueData) {
    if (data !== undefined) {
      this._header = new Int32Array(data.header);
      this.bytes8 = new Uint8Array(data.data);
      this.words32 = new Int32Array(data.data);
    } else {
      const o = options('new Queue(opts)', opts, QUEUE_KEYS);
      const maxsize = int('new Queue(opts)', 'maxsize (0: no item limit)', o.maxsize === Infinity ? 0 : o.maxsize, 0, { max: 0x7fffffff });
      const bytes = int('new Queue(opts)', 'bytes', o.bytes, DEFAULT_BYTES, { min: 64, max: 0x7ffffff0 });
      const cap = (bytes + 3) & ~3;
      this._header = new Int32Array(new SharedArrayBuffer(HEADER_WORDS * 4));
      const sab = new SharedArrayBuffer(cap);
      this.bytes8 = new Uint8Array(sab);
      this.words32 = new Int32Array(sab);
      this._header[MAXSIZE] = maxsize;
      this._header[CAP] = cap;
    }
    shareables.created++;
    track(this);
  }

  /** The most items it holds (0: bounded only by its byte buffer). */
  get maxsize(): number {
    return this._header[MAXSIZE]!;
  }
  /** Number of items in the queue now. */
  qsize(): number {
    return Atomics.load(this._header, COUNT);
  }
  /** True if it holds no item. */
  empty(): boolean {
    return Atomics.load(this._header, COUNT) === 0;
  }
  /** True if it holds `maxsize` items (a `put` may also wait when the byte buffer is full). */
  full(): boolean {
    const m = this._header[MAXSIZE]!;
    return m > 0 && Atomics.load(this._header, COUNT) >= m;
  }
  /** True after `shutdown()` / `close()`. */
  get isShutdown(): boolean {
    return Atomics.load(this._header, SHUTDOWN) !== 0;
  }

  // ---------------------------------------------------------------- encoding

  /** Encodes an item (a view of a scratch buffer: copy it before awaiting). */
  private encode(method: string, item: T): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = encodeItem(item);
    } catch (err) {
      throw new TypeError(`Queue.${method}: the item cannot be cloned to another thread (${(err as Error).message}); send plain data`, {
        cause: err,
      });
    }
    if (4 + bytes.length > this._header[CAP]!) {
      throw new ValueError(
        `Queue.${method}: the item needs ${bytes.length + 4} bytes but the queue's buffer holds ${this._header[CAP]} bytes; create it with a larger { bytes }`,
      );
    }
    return bytes;
  }

  /** With the lock held: appends one record if it fits. */
  private tryPutLocked(bytes: Uint8Array): Outcome {
    const h = this._header;
    if (h[SHUTDOWN] !== 0) return 'shutdown';
    const cap = h[CAP]!;
    const need = 4 + ((bytes.length + 3) & ~3);
    const max = h[MAXSIZE]!;
    if ((max > 0 && h[COUNT]! >= max) || h[USED]! + need > cap) return 'wait';
    let tail = h[HEAD]! + h[USED]!;
    if (tail >= cap) tail -= cap;
    this.words32[tail >> 2] = bytes.length;
    let p = tail + 4;
    if (p >= cap) p -= cap;
    const first = Math.min(bytes.length, cap - p);
    this.bytes8.set(first === bytes.length ? bytes : bytes.subarray(0, first), p);
    if (first < bytes.length) this.bytes8.set(bytes.subarray(first), 0);
    h[USED] = h[USED]! + need;
    Atomics.store(h, COUNT, h[COUNT]! + 1);
    Atomics.add(h, UNFINISHED, 1);
    if (h[GET_SLEEPERS] !== 0) {
      h[GET_SLEEPERS] = 0;
      Atomics.add(h, NOT_EMPTY, 1);
      Atomics.notify(h, NOT_EMPTY);
    }
    return 'ok';
  }

  /** With the lock held: removes the oldest record, or says why it cannot. */
  private tryGetLocked(): Uint8Array | 'wait' | 'shutdown' {
    const h = this._header;
    if (h[COUNT] === 0) return h[SHUTDOWN] !== 0 ? 'shutdown' : 'wait';
    const cap = h[CAP]!;
    const head = h[HEAD]!;
    const len = this.words32[head >> 2]!;
    let p = head + 4;
    if (p >= cap) p -= cap;
    // Copied into a (non-shared) scratch buffer; decoded right after the unlock.
    const out = readBuffer(len).subarray(0, len);
    if (p + len <= cap) {
      out.set(this.bytes8.subarray(p, p + len));
    } else {
      out.set(this.bytes8.subarray(p, cap), 0);
      out.set(this.bytes8.subarray(0, len - (cap - p)), cap - p);
    }
    const need = 4 + ((len + 3) & ~3);
    let next = head + need;
    if (next >= cap) next -= cap;
    h[HEAD] = next;
    h[USED] = h[USED]! - need;
    Atomics.store(h, COUNT, h[COUNT]! - 1);
    if (h[PUT_SLEEPERS] !== 0) {
      h[PUT_SLEEPERS] = 0;
      Atomics.add(h, NOT_FULL, 1);
      Atomics.notify(h, NOT_FULL);
    }
    return out;
  }

  // ---------------------------------------------------------------- put

  /**
   * Adds an item, waiting (asynchronously) while the queue is full.
   * Cancel-safe: a cancelled or timed-out put adds nothing.
   * @throws QueueShutDown; TimeoutError; CancelledError; TypeError if the item cannot be cloned; ValueError if it is larger than the buffer.
   */
  async put(item: T, opts?: WaitOptions): Promise<void> {
    const deadline = deadlineOf('Queue.put()', opts);
    const signal = signalOf('Queue.put()', opts);
    let bytes = this.encode('put()', item);
    const h = this._header;
    if (!tryLock(h, L)) {
      bytes = bytes.slice(); // the scratch buffer is not ours across an await
      await lockAsync(h, L, Infinity, undefined);
    }
    let copied = false;
    for (;;) {
      const r = this.tryPutLocked(bytes);
      if (r === 'ok') {
        unlock(h, L);
        return;
      }
      if (r === 'shutdown') {
        unlock(h, L);
        throw new QueueShutDown();
      }
      if (remaining(deadline) === 0) {
        unlock(h, L);
        throw new TimeoutError(`Queue.put() timed out after ${opts!.timeout} ms`);
      }
      if (!copied) {
        bytes = bytes.slice();
        copied = true;
      }
      const seq = h[NOT_FULL]!;
      h[PUT_SLEEPERS] = 1;
      unlock(h, L);
      let failure: unknown;
      try {
        await waitAsyncOn(h, NOT_FULL, seq, deadline, signal);
      } catch (err) {
        failure = err ?? new Error('wait failed');
      }
      if (!tryLock(h, L)) await lockAsync(h, L, Infinity, undefined);
      if (failure !== undefined) {
        unlock(h, L);
        throw failure;
      }
    }
  }

  /**
   * Blocking {@link put} for worker threads.
   * @throws InvalidStateError on the main thread; QueueShutDown; TimeoutError.
   */
  putSync(item: T, opts?: SyncWaitOptions): void {
    assertCanBlock('Queue.putSync()', 'await queue.put()');
    const deadline = deadlineOf('Queue.putSync()', opts);
    const bytes = this.encode('putSync()', item);
    const h = this._header;
    let spun = false;
    lockSync(h, L, Infinity);
    for (;;) {
      const r = this.tryPutLocked(bytes);
      if (r === 'ok') {
        unlock(h, L);
        return;
      }
      if (r === 'shutdown') {
        unlock(h, L);
        throw new QueueShutDown();
      }
      if (remaining(deadline) === 0) {
        unlock(h, L);
        throw new TimeoutError(`Queue.putSync() timed out after ${opts!.timeout} ms`);
      }
      if (!spun) {
        // Spin a little first: a consumer usually makes room within microseconds.
        spun = true;
        const used = h[USED]!;
        unlock(h, L);
        this.spinWhile(USED, used);
        lockSync(h, L, Infinity);
        continue;
      }
      spun = false;
      const seq = h[NOT_FULL]!;
      h[PUT_SLEEPERS] = 1;
      unlock(h, L);
      waitSync(h, NOT_FULL, seq, deadline);
      lockSync(h, L, Infinity);
    }
  }

  /**
   * Adds an item if there is room now.
   * @throws QueueFull if there is none; QueueShutDown.
   */
  putNowait(item: T): void {
    const bytes = this.encode('putNowait()', item);
    const h = this._header;
    if (!this.lockBrief(50)) throw new QueueFull('The queue is busy (its internal lock is held); try again');
    const r = this.tryPutLocked(bytes);
    unlock(h, L);
    if (r === 'wait') throw new QueueFull();
    if (r === 'shutdown') throw new QueueShutDown();
  }

  /** Polls header word `i` (without the lock) while it equals `v`, briefly; true if it changed. */
  private spinWhile(i: number, v: number): boolean {
    const h = this._header;
    const end = performance.now() + SPIN_US / 1000;
    for (let n = 1; ; n++) {
      if (Atomics.load(h, i) !== v || h[SHUTDOWN] !== 0) return true;
      if ((n & 63) === 0 && performance.now() > end) return false;
    }
  }

  /**
   * The internal lock is only ever held for a few memcpy's, so the non-waiting
   * methods take it by spinning (blocking, in a worker). On the main thread the
   * spin gives up after `budgetMs` (a holder that died there is only recovered by
   * the main thread's event loop, which the spin would be starving).
   */
  private lockBrief(budgetMs: number): boolean {
    const h = this._header;
    if (tryLock(h, L)) return true;
    if (!IS_MAIN) return lockSync(h, L, Infinity);
    const end = performance.now() + budgetMs;
    for (let i = 1; ; i++) {
      if (Atomics.load(h, L) === 0 && tryLock(h, L)) return true;
      if ((i & 1023) === 0 && performance.now() > end) return false;
    }
  }

  // ---------------------------------------------------------------- get

  /**
   * Removes and returns the oldest item, waiting (asynchronously) while the queue is empty.
   * Cancel-safe: a cancelled or timed-out get removes nothing.
   * @throws QueueShutDown once shut down and empty; TimeoutError; CancelledError.
   */
  async get(opts?: WaitOptions): Promise<T> {
    const deadline = deadlineOf('Queue.get()', opts);
    const signal = signalOf('Queue.get()', opts);
    const h = this._header;
    if (!tryLock(h, L)) await lockAsync(h, L, Infinity, undefined);
    for (;;) {
      const r = this.tryGetLocked();
      if (typeof r === 'object') {
        unlock(h, L);
        return decodeItem(r) as T;
      }
      if (r === 'shutdown') {
        unlock(h, L);
        throw new QueueShutDown();
      }
      if (remaining(deadline) === 0) {
        unlock(h, L);
        throw new TimeoutError(`Queue.get() timed out after ${opts!.timeout} ms`);
      }
      const seq = h[NOT_EMPTY]!;
      h[GET_SLEEPERS] = 1;
      unlock(h, L);
      let failure: unknown;
      try {
        await waitAsyncOn(h, NOT_EMPTY, seq, deadline, signal);
      } catch (err) {
        failure = err ?? new Error('wait failed');
      }
      if (!tryLock(h, L)) await lockAsync(h, L, Infinity, undefined);
      if (failure !== undefined) {
        unlock(h, L);
        throw failure;
      }
    }
  }

  /**
   * Blocking {@link get} for worker threads.
   * @throws InvalidStateError on the main thread; QueueShutDown; TimeoutError.
   */
  getSync(opts?: SyncWaitOptions): T {
    assertCanBlock('Queue.getSync()', 'await queue.get()');
    const deadline = deadlineOf('Queue.getSync()', opts);
    const h = this._header;
    let spun = false;
    lockSync(h, L, Infinity);
    for (;;) {
      const r = this.tryGetLocked();
      if (typeof r === 'object') {
        unlock(h, L);
        return decodeItem(r) as T;
      }
      if (r === 'shutdown') {
        unlock(h, L);
        throw new QueueShutDown();
      }
      if (remaining(deadline) === 0) {
        unlock(h, L);
        throw new TimeoutError(`Queue.getSync() timed out after ${opts!.timeout} ms`);
      }
      if (!spun) {
        spun = true;
        unlock(h, L);
        this.spinWhile(COUNT, 0);
        lockSync(h, L, Infinity);
        continue;
      }
      spun = false;
      const seq = h[NOT_EMPTY]!;
      h[GET_SLEEPERS] = 1;
      unlock(h, L);
      waitSync(h, NOT_EMPTY, seq, deadline);
      lockSync(h, L, Infinity);
    }
  }

  /**
   * Removes and returns the oldest item if there is one.
   * @throws QueueEmpty if there is none; QueueShutDown if shut down and empty.
   */
  getNowait(): T {
    const h = this._header;
    if (!this.lockBrief(50)) throw new QueueEmpty('The queue is busy (its internal lock is held); try again');
    const r = this.tryGetLocked();
    unlock(h, L);
    if (r === 'wait') throw new QueueEmpty();
    if (r === 'shutdown') throw new QueueShutDown();
    return decodeItem(r) as T;
  }

  /** Yields items until the queue is shut down and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (err) {
        if (err instanceof QueueShutDown) return;
        throw err;
      }
      yield item;
    }
  }

  // ---------------------------------------------------------------- tasks, shutdown

  /**
   * Marks one item taken with `get` as processed (for `join`).
   * @throws ValueError if called more times than items were put.
   */
  taskDone(): void {
    const h = this._header;
    for (;;) {
      const u = Atomics.load(h, UNFINISHED);
      if (u <= 0) throw new ValueError('Queue.taskDone() called more times than there were items');
      if (Atomics.compareExchange(h, UNFINISHED, u, u - 1) === u) {
        if (u === 1) Atomics.notify(h, UNFINISHED);
        return;
      }
    }
  }

  /**
   * Waits until every item put has been marked processed with `taskDone()`.
   * @throws TimeoutError; CancelledError.
   */
  async join(opts?: WaitOptions): Promise<void> {
    const deadline = deadlineOf('Queue.join()', opts);
    const signal = signalOf('Queue.join()', opts);
    const h = this._header;
    for (let u = Atomics.load(h, UNFINISHED); u > 0; u = Atomics.load(h, UNFINISHED)) {
      if ((await waitAsyncOn(h, UNFINISHED, u, deadline, signal)) === 'timed-out' && Atomics.load(h, UNFINISHED) > 0) {
        throw new TimeoutError(`Queue.join() timed out after ${opts!.timeout} ms`);
      }
    }
  }

  /**
   * Shuts the queue down (Python 3.13's `Queue.shutdown`): puts throw
   * `QueueShutDown` at once; gets return what is left, then throw it. With
   * `immediate: true` the items left are dropped too (and count as done for `join`).
   * Waiters on every thread wake up.
   */
  shutdown(opts?: { immediate?: boolean }): void {
    const h = this._header;
    if (!this.lockBrief(1000))
      throw new InvalidStateError('Queue.shutdown(): the internal lock stayed held for 1 s (did a thread die holding it?)');
    h[SHUTDOWN] = 1;
    if (opts?.immediate === true) {
      const n = h[COUNT]!;
      h[HEAD] = 0;
      h[USED] = 0;
      Atomics.store(h, COUNT, 0);
      if (n > 0 && Atomics.sub(h, UNFINISHED, n) - n <= 0) {
        Atomics.store(h, UNFINISHED, 0);
      }
      Atomics.notify(h, UNFINISHED);
    }
    Atomics.add(h, NOT_EMPTY, 1);
    Atomics.add(h, NOT_FULL, 1);
    unlock(h, L);
    Atomics.notify(h, NOT_EMPTY);
    Atomics.notify(h, NOT_FULL);
  }

  /** Same as `shutdown()`: no more puts; gets drain what is left. */
  close(): void {
    this.shutdown();
  }

  /** @internal */
  _abandon(tid: number): boolean {
    return abandonIfOwnedBy(this._header, L, tid);
  }

  /** @internal */
  [kShare](): SharedDescription {
    return {
      type: 'Queue',
      data: { header: this._header.buffer as SharedArrayBuffer, data: this.bytes8.buffer as SharedArrayBuffer } satisfies QueueData,
    };
  }
}
