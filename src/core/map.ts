/**
 * Executor.map: lazy, bounded, chunked, ordered or in completion order.
 *
 *   input iterator ──pump──> chunks in flight (at most 4 per worker) ──> consumer
 *
 * The pump reads the input only as far as the in-flight limit and `buffersize`
 * allow, so an endless generator is fine. With `chunksize: 'auto'` the first
 * chunks hold one item each, one per worker, until the first comes back with
 * the time the worker measured; from then on chunks are sized so that each runs
 * for about a millisecond (tiny items travel by the thousand, big ones alone).
 * A chunk's reply carries `[results, ms]`.
 */
import type { Future } from './future.js';
import type { Executor, TaskFn } from './executor.js';
import { CancelledError, ExecutorShutdownError, TimeoutError, describe } from './errors.js';
import { toCancelledError } from './future.js';
import { bool, int, options, signal as signalOption, timeout } from './options.js';
import { cancel, later, type Later } from './timers.js';

export interface MapOptions {
  /** Items per task: a number, or 'auto' (default) to size chunks from measured task time. */
  chunksize?: number | 'auto';
  /** true (default): results in input order; false: in completion order. */
  ordered?: boolean;
  /** Most items submitted but not yet handed to you; the input is read lazily. */
  buffersize?: number;
  /** Aborting it cancels the remaining work; the iteration throws CancelledError. */
  signal?: AbortSignal;
  /** Milliseconds for the whole map, from the call; then TimeoutError. */
  timeout?: number;
}

const EMPTY_ITERATOR: Iterator<never> = { next: () => ({ done: true, value: undefined }) };

const MAP_KEYS = ['chunksize', 'ordered', 'buffersize', 'signal', 'timeout'] as const satisfies readonly (keyof MapOptions)[];

/** The result of `map`: iterate it (`for await`) or `await` it for an array. */
export interface MapResult<R> extends AsyncIterableIterator<R>, PromiseLike<R[]> {}

const TARGET_MS = 1;
const MAX_CHUNK = 2048;
const CHUNKS_PER_WORKER = 4;

interface Chunk {
  f: Future<unknown>;
  n: number;
  settled: boolean;
}

export class MapRun<T, R> implements MapResult<R> {
  private readonly it: Iterator<T> | AsyncIterator<T>;
  private readonly isAsync: boolean;
  private readonly ordered: boolean;
  private readonly fixed: number; // fixed chunk size, or 0 for auto
  private readonly chunked: boolean;
  private readonly par: number;
  private readonly buffersize: number;
  private inputDone = false;
  private pumping = false;
  private finished = false;
  private error: unknown = undefined;
  private failed = false;
  /** The error the input threw, raised once the results before it are out. */
  private inputError: { err: unknown } | undefined;
  private chunks: Chunk[] = []; // in submission order (ordered) — head at chunks[head]
  private head = 0;
  private ready: Chunk[] = []; // completion order (unordered)
  private readyHead = 0;
  private buffered = 0; // items submitted and not yet consumed
  private perItem = 0;
  private measured = false;
  private wake: (() => void) | undefined;
  private out: R[] = [];
  private outIdx = 0;
  private timer: Later | undefined;
  private onAbort: (() => void) | undefined;
  private mode: 'none' | 'iterate' | 'collect' = 'none';
  private collected: Promise<R[]> | undefined;

  constructor(
    private readonly exec: Executor,
    private readonly fn: TaskFn<[T], unknown>,
    items: Iterable<T> | AsyncIterable<T>,
    private readonly opts: MapOptions,
    closed: boolean,
    /** starmap: each item is an argument list, spread into the call (one task per item: chunks call fn(item)) */
    private readonly spread = false,
  ) {
    const where = 'map(fn, items, opts)';
    const o = options(where, opts, MAP_KEYS);
    const cs = o.chunksize ?? 'auto';
    if (cs !== 'auto') int(where, 'chunksize', cs, 1, { min: 1 });
    const bs = int(where, 'buffersize', o.buffersize, Infinity, { min: 1, infinity: true });
    const ordered = bool(where, 'ordered', o.ordered, true);
    const ms = timeout(where, 'timeout', o.timeout);
    const abortSignal = signalOption(where, 'signal', o.signal);
    if (typeof fn !== 'function') throw new TypeError(`map expects a task (a function or a TaskRef), got ${describe(fn)}`);
    const isAsync = items != null && typeof (items as any)[Symbol.asyncIterator] === 'function';
    if (!isAsync && !(items != null && typeof (items as any)[Symbol.iterator] === 'function')) {
      throw new TypeError(`map expects an iterable or async iterable of items, got ${describe(items)}`);
    }
    this.isAsync = isAsync;
    try {
      this.it = isAsync ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
    } catch (err) {
      // An input that cannot even start: no items, then its error (when the results are read).
      this.it = EMPTY_ITERATOR;
      this.inputFailed(err);
    }
    this.ordered = ordered;
    this.chunked = !spread && exec._chunks();
    this.fixed = cs === 'auto' ? 0 : this.chunked ? (cs as number) : 1;
    this.par = Math.max(1, exec._parallelism());
    this.buffersize = bs;
    if (closed) {
      this.fail(new ExecutorShutdownError());
      return;
    }
    const signal = abortSignal;
    if (signal) {
      if (signal.aborted) {
        this.fail(toCancelledError(signal.reason));
        return;
      }
      this.onAbort = () => this.fail(toCancelledError(signal.reason));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (ms !== Infinity) {
      // Not unref'd: a pending map with a deadline must reach it, even if nothing else runs.
      this.timer = later(() => this.fail(new TimeoutError(`map did not finish within ${o.timeout} ms`)), ms);
    }
    exec._maps.add(this);
    // Python's map submits at once; so do we (in a microtask, so options errors surface first).
    queueMicrotask(() => void this.pump());
  }

  // ── feeding ──────────────────────────────────────────────────────────────

  // Unordered chunks are held here until they complete (then they move to `ready`).
  private readonly unorderedRunning = new Set<Chunk>();
  private inFlight(): number {
    return this.chunks.length - this.head + this.unorderedRunning.size + this.ready.length - this.readyHead;
  }

  private nextSize(): number {
    let n = this.fixed;
    if (n === 0)
      n = !this.chunked || !this.measured ? 1 : Math.max(1, Math.min(MAX_CHUNK, Math.floor(TARGET_MS / Math.max(this.perItem, 1e-6))));
    return Math.min(n, this.buffersize - this.buffered);
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      let slice = performance.now();
      while (!this.inputDone && !this.cut && !this.failed && !this.finished) {
        if (!this.eager) {
          const limit = this.fixed === 0 && this.chunked && !this.measured ? this.par : this.par * CHUNKS_PER_WORKER;
          if (this.inFlight() >= limit || this.buffered >= this.buffersize) break;
        } else if (performance.now() - slice > 4) {
          // Reading a long input at shutdown: let the event loop run in between.
          await new Promise<void>((r) => setImmediate(r));
          slice = performance.now();
          continue;
        }
        const size = this.eager ? Math.max(this.nextSize(), 1) : this.nextSize();
        const items = this.isAsync ? await this.readAsync(size) : this.readSync(size);
        // Stopped (failed, or the consumer left) while awaiting the input: submit nothing more.
        if (this.failed || this.finished) return;
        if (items.length) this.submit(items);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
      if (this.inputDone || this.cut) this.inputRead();
      this.poke();
    }
  }

  /**
   * The input threw: nothing more is read, and the error is raised after the
   * results of the items before it (as Python's `imap` does), not in their place.
   */
  private inputFailed(err: unknown): void {
    this.inputDone = true;
    this.inputError = { err };
  }

  private readSync(size: number): T[] {
    const items: T[] = [];
    const it = this.it as Iterator<T>;
    while (items.length < size) {
      let r: IteratorResult<T>;
      try {
        r = it.next();
      } catch (err) {
        this.inputFailed(err);
        break;
      }
      if (r.done) {
        this.inputDone = true;
        break;
      }
      items.push(r.value);
    }
    return items;
  }

  /** A `next()` of the async input still pending when a chunk was sent without it. */
  private pendingNext: Promise<IteratorResult<T>> | undefined;

  /**
   * Reads up to `size` items of an async input. A source that is slower than
   * TARGET_MS between items does not hold back what was read already: the chunk
   * leaves with what it has (a producer that waits for results must not deadlock).
   */
  private async readAsync(size: number): Promise<T[]> {
    const items: T[] = [];
    const it = this.it as AsyncIterator<T>;
    let timer: NodeJS.Timeout | undefined;
    let deadline: Promise<undefined> | undefined;
    try {
      while (items.length < size) {
        let p: Promise<IteratorResult<T>> | undefined;
        let r: IteratorResult<T> | undefined;
        try {
          p = this.pendingNext ?? it.next();
          this.pendingNext = undefined;
          if (items.length === 0) r = await p;
          else {
            deadline ??= new Promise<undefined>((res) => {
              timer = setTimeout(res, TARGET_MS, undefined);
            });
            r = await Promise.race([p, deadline]);
          }
        } catch (err) {
          this.inputFailed(err);
          break;
        }
        if (r === undefined) {
          p.catch(() => {}); // awaited by the next read; never an unhandled rejection meanwhile
          this.pendingNext = p;
          break;
        }
        if (r.done) {
          this.inputDone = true;
          break;
        }
        items.push(r.value);
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
    return items;
  }

  // ── shutdown of the executor ─────────────────────────────────────────────

  private eager = false;
  private cut = false;
  private readWaiters: (() => void)[] | undefined;

  /**
   * @internal The executor is shutting down. A map over an in-memory iterable
   * with no buffersize reads the rest of its input now and submits it all
   * (Python's map is eager), so its tasks are in before the queue drains. A
   * bounded or asynchronous map stops reading instead (as Python 3.14's map with
   * buffersize does): what it submitted completes, then it fails with
   * ExecutorShutdownError. Resolves once nothing more will be submitted.
   */
  _drainInput(): Promise<void> {
    if ((this.inputDone || this.cut) && !this.pumping) return Promise.resolve();
    if (this.isAsync || this.buffersize !== Infinity) this.cut = true;
    else this.eager = true;
    const p = new Promise<void>((r) => (this.readWaiters ??= []).push(r));
    void this.pump();
    return p;
  }

  /** @internal The executor is shutting down with cancelFutures: stop. */
  _abort(err: unknown): void {
    this.fail(err);
  }

  /** The input is read (or the map stopped): shutdown has nothing more to wait for here. */
  private inputRead(): void {
    this.exec._maps.delete(this);
    const w = this.readWaiters;
    this.readWaiters = undefined;
    if (w) for (const r of w) r();
  }

  private submit(items: T[]): void {
    if (this.spread && !Array.isArray(items[0])) {
      this.fail(new TypeError(`starmap expects each item to be an argument list (an array), got ${describe(items[0])}`));
      return;
    }
    // `force`: a map started before shutdown() finishes submitting its input.
    const f = this.chunked
      ? this.exec._submit(this.fn, [items], undefined, true, true)
      : this.exec._submit(this.fn, this.spread ? (items[0] as unknown[]).slice() : [items[0]], undefined, false, true);
    const c: Chunk = { f, n: items.length, settled: false };
    this.buffered += items.length;
    if (this.ordered) this.chunks.push(c);
    else this.unorderedRunning.add(c);
    f.addDoneCallback(() => this.chunkDone(c));
  }

  private chunkDone(c: Chunk): void {
    c.settled = true;
    if (!this.ordered) this.unorderedRunning.delete(c);
    if (this.failed) return;
    if (!this.ordered) this.ready.push(c);
    if (this.chunked && !c.f.cancelled() && c.f.exception() === undefined) {
      const ms = (c.f.result() as [unknown[], number])[1];
      const per = ms / c.n;
      this.perItem = this.measured ? this.perItem * 0.7 + per * 0.3 : per;
      this.measured = true;
    }
    this.poke();
    void this.pump();
  }

  private poke(): void {
    const w = this.wake;
    if (w) {
      this.wake = undefined;
      w();
    }
  }

  private fail(err: unknown): void {
    if (this.failed || this.finished) return;
    this.failed = true;
    this.error = err;
    this.stop();
    this.poke();
  }

  /** Cancels what is in flight, closes the input, drops timers and listeners. */
  private stop(): void {
    for (let i = this.head; i < this.chunks.length; i++) this.chunks[i]!.f.cancel();
    for (let i = this.readyHead; i < this.ready.length; i++) this.ready[i]!.f.cancel();
    for (const c of [...this.unorderedRunning]) c.f.cancel();
    this.cleanup();
    if (!this.inputDone) {
      this.inputDone = true;
      try {
        void Promise.resolve(this.it.return?.()).catch(() => {});
      } catch {
        /* a broken iterator */
      }
    }
  }

  private cleanup(): void {
    this.inputRead();
    if (this.timer) {
      cancel(this.timer);
      this.timer = undefined;
    }
    if (this.onAbort) {
      this.opts?.signal?.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
    }
  }

  // ── consuming ────────────────────────────────────────────────────────────

  /** The next chunk's results in the order asked for; undefined at the end. */
  private async nextChunk(): Promise<R[] | undefined> {
    for (;;) {
      if (this.failed) throw this.error;
      if (this.finished) return undefined;
      let c: Chunk | undefined;
      if (this.ordered) {
        const h = this.chunks[this.head];
        if (h?.settled) {
          c = h;
          this.chunks[this.head++] = undefined as any;
          this.compact();
        }
      } else if (this.readyHead < this.ready.length) {
        c = this.ready[this.readyHead++];
        this.compact();
      }
      if (c !== undefined) {
        this.buffered -= c.n;
        void this.pump();
        const f = c.f;
        if (f.cancelled()) {
          this.fail(new CancelledError('A task of this map was cancelled'));
          throw this.error;
        }
        const e = f.exception();
        if (e !== undefined) {
          this.fail(e);
          throw e;
        }
        return this.chunked ? (f.result() as [R[], number])[0] : [f.result() as R];
      }
      if ((this.inputDone || this.cut) && !this.pumping && this.inFlight() === 0) {
        if (this.inputError !== undefined) {
          this.fail(this.inputError.err);
          throw this.error;
        }
        if (!this.inputDone) {
          this.fail(new ExecutorShutdownError('The executor was shut down before this map read all its input'));
          throw this.error;
        }
        this.finished = true;
        this.cleanup();
        return undefined;
      }
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private claim(mode: 'iterate' | 'collect'): void {
    if (this.mode !== 'none' && this.mode !== mode) {
      throw new TypeError('A map result is consumed either by iterating it or by awaiting it, not both');
    }
    this.mode = mode;
  }

  next(): Promise<IteratorResult<R>> {
    this.claim('iterate');
    if (this.nextTail === undefined && this.outIdx < this.out.length) {
      return Promise.resolve({ value: this.out[this.outIdx++]!, done: false });
    }
    // Calls made before the previous one settled wait their turn (as with an async generator).
    const prev = this.nextTail;
    const p =
      prev === undefined
        ? this.nextOne()
        : prev.then(
            () => this.nextOne(),
            () => this.nextOne(),
          );
    this.nextTail = p;
    const clear = () => {
      if (this.nextTail === p) this.nextTail = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private nextTail: Promise<IteratorResult<R>> | undefined;

  private async nextOne(): Promise<IteratorResult<R>> {
    while (this.outIdx >= this.out.length) {
      const rs = await this.nextChunk();
      if (rs === undefined) return { value: undefined, done: true };
      this.out = rs;
      this.outIdx = 0;
    }
    return { value: this.out[this.outIdx++]!, done: false };
  }

  async return(value?: unknown): Promise<IteratorResult<R>> {
    if (!this.finished && !this.failed) {
      this.finished = true;
      this.stop();
      this.poke();
    }
    return { value: value as R, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  then<A = R[], B = never>(
    onOk?: ((v: R[]) => A | PromiseLike<A>) | null,
    onErr?: ((e: any) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    if (this.collected === undefined) {
      try {
        this.claim('collect');
      } catch (e) {
        return Promise.reject(e).then(onOk, onErr);
      }
      this.collected = (async () => {
        const all: R[] = [];
        for (let rs = await this.nextChunk(); rs !== undefined; rs = await this.nextChunk()) {
          for (let i = 0; i < rs.length; i++) all.push(rs[i]!);
        }
        return all;
      })();
    }
    return this.collected.then(onOk, onErr);
  }

  get [Symbol.toStringTag](): string {
    return 'MapResult';
  }
}
