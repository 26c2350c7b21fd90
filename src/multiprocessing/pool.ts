/**
 * multiprocessing.Pool on top of ProcessPoolExecutor (or ThreadPoolExecutor
 * with `backend: 'threads'`).
 *
 * States, as in Python:
 *
 *   RUN ──close()──> CLOSE ──join()──> (workers gone once every task is done)
 *    │                 │
 *    └──terminate()──> TERMINATE ──join()──> (tasks cancelled, workers gone)
 *
 * - submitting to a pool that is not RUN: ValueError('Pool not running'):
 *   thrown by applyAsync / mapAsync / imap / imapUnordered (they return at
 *   once, as in Python), a rejected promise from apply / map / starmap;
 * - join() while RUN: ValueError('Pool is still running'), as in Python.
 */
import type { Executor, MapOptions } from '../core/executor.js';
import type { Future } from '../core/future.js';
import { ValueError, describe } from '../core/errors.js';
import { intOption } from '../core/executor.js';
import type { TaskRef } from '../core/tasks.js';
import { ProcessPoolExecutor } from '../futures/process-pool.js';
import { ThreadPoolExecutor } from '../futures/thread-pool.js';
import { AsyncResult, type AsyncResultCallbacks } from './async-result.js';

/** Options of {@link Pool}. */
export interface PoolOptions {
  /** Number of workers (default: the number of CPUs). */
  processes?: number;
  /** A TaskRef each worker runs once before its first task. */
  initializer?: TaskRef<any[], unknown>;
  /** Arguments of the initializer. */
  initargs?: unknown[];
  /** A worker is replaced after this many tasks (default: never). */
  maxtasksperchild?: number;
  /** 'processes' (default: child processes) or 'threads' (worker threads). */
  backend?: 'processes' | 'threads';
}

/** A task Pool accepts: a TaskRef or a self-contained inline function. */
export type PoolTask<A extends unknown[], R> = TaskRef<A, R> | ((...args: A) => R);

/**
 * A pool of worker processes: Python's `multiprocessing.Pool`, with promises.
 *
 * @example
 * import tasks from './tasks.js';
 * await using pool = new Pool({ processes: 4 });          // terminate() at the end, like `with Pool()`
 * console.log(await pool.map(tasks.square, [1, 2, 3]));    // [1, 4, 9]
 * const r = pool.applyAsync(tasks.square, [10]);
 * console.log(await r.get(1000));                          // 100
 *
 * @throws TypeError / RangeError for bad options.
 */
export class Pool implements AsyncDisposable {
  readonly #ex: Executor;
  #state: 'RUN' | 'CLOSE' | 'TERMINATE' = 'RUN';
  readonly #live = new Set<Future<unknown>>(); // apply/starmap tasks not done (terminate cancels them)
  readonly #stop = new AbortController(); // aborts every map/imap (terminate)
  #ended: Promise<void> | undefined;

  constructor(opts: PoolOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`Pool options must be an object, got ${describe(opts)}`);
    const backend = opts.backend ?? 'processes';
    if (backend !== 'processes' && backend !== 'threads') {
      throw new TypeError(`Pool backend must be 'processes' or 'threads', got ${describe(backend)}`);
    }
    const processes = intOption('processes', opts.processes, undefined as unknown as number, 1);
    const maxTasks = intOption('maxtasksperchild', opts.maxtasksperchild, Infinity, 1, true);
    if (backend === 'processes') {
      this.#ex = new ProcessPoolExecutor({
        maxWorkers: processes,
        initializer: opts.initializer,
        initargs: opts.initargs,
        maxTasksPerChild: maxTasks,
        name: 'SpawnPoolWorker',
      });
    } else {
      this.#ex = new ThreadPoolExecutor(
        { maxWorkers: processes, initializer: opts.initializer, initargs: opts.initargs, name: 'ThreadPoolWorker', idleTimeout: Infinity },
        { maxTasksPerWorker: maxTasks },
      );
    }
  }

  /** 'RUN', 'CLOSE' or 'TERMINATE'. */
  get state(): 'RUN' | 'CLOSE' | 'TERMINATE' {
    return this.#state;
  }

  /** @internal the executor underneath (tests, stats). */
  get _executor(): Executor {
    return this.#ex;
  }

  #check(): void {
    if (this.#state !== 'RUN') throw new ValueError('Pool not running');
  }

  #track<T>(f: Future<T>): Future<T> {
    if (!f.done()) {
      this.#live.add(f);
      f.addDoneCallback(() => this.#live.delete(f));
    }
    return f;
  }

  #mapOpts(chunksize: number | undefined, ordered: boolean): MapOptions {
    if (chunksize !== undefined) intOption('chunksize', chunksize, 1, 1);
    return { chunksize: chunksize ?? 'auto', ordered, signal: this.#stop.signal };
  }

  /**
   * Runs `fn(...args)` in a worker and waits for the result (Python's `apply`).
   * @throws (rejects) ValueError if the pool is not running; the task's own error.
   */
  async apply<A extends unknown[], R>(fn: PoolTask<A, R>, args?: A): Promise<Awaited<R>> {
    this.#check();
    return this.#track(this.#ex.run(fn, (args ?? []) as A)) as Promise<Awaited<R>>;
  }

  /**
   * Starts `fn(...args)` in a worker; returns an {@link AsyncResult} at once.
   * @throws ValueError if the pool is not running.
   */
  applyAsync<A extends unknown[], R>(fn: PoolTask<A, R>, args?: A, opts?: AsyncResultCallbacks<Awaited<R>>): AsyncResult<Awaited<R>> {
    this.#check();
    return new AsyncResult(this.#track(this.#ex.run(fn, (args ?? []) as A)), opts);
  }

  /**
   * `fn` over every item, in parallel; resolves with the results in input order.
   * @param chunksize items per message to a worker (default: chosen from measured task time).
   */
  async map<T, R>(fn: PoolTask<[T], R>, items: Iterable<T>, chunksize?: number): Promise<Awaited<R>[]> {
    this.#check();
    return this.#ex.map(fn, items, this.#mapOpts(chunksize, true)) as PromiseLike<Awaited<R>[]> as Promise<Awaited<R>[]>;
  }

  /** {@link map} in the background: an AsyncResult of the list. @throws ValueError if the pool is not running. */
  mapAsync<T, R>(
    fn: PoolTask<[T], R>,
    items: Iterable<T>,
    chunksize?: number,
    opts?: AsyncResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    this.#check();
    const p = this.#ex.map(fn, items, this.#mapOpts(chunksize, true));
    return new AsyncResult(p as PromiseLike<Awaited<R>[]>, opts);
  }

  /** `fn(...args)` for every args tuple; results in input order (Python's `starmap`). */
  async starmap<A extends unknown[], R>(fn: PoolTask<A, R>, argsList: Iterable<A>, chunksize?: number): Promise<Awaited<R>[]> {
    this.#check();
    if (chunksize !== undefined) intOption('chunksize', chunksize, 1, 1);
    // Tasks submitted in the same tick already travel to each worker in one message.
    const fs: Future<Awaited<R>>[] = [];
    for (const args of argsList) {
      if (!Array.isArray(args)) throw new TypeError(`starmap expects an iterable of argument arrays, got an item ${describe(args)}`);
      fs.push(this.#track(this.#ex.run(fn, args as A)));
    }
    try {
      return await Promise.all(fs);
    } catch (err) {
      for (const f of fs) f.cancel();
      throw err;
    }
  }

  /**
   * Lazy, bounded `fn` over `items`, yielding results in input order (Python's `imap`).
   * The input is read only as fast as results are consumed (plus a bounded read-ahead).
   * @throws ValueError if the pool is not running.
   */
  imap<T, R>(fn: PoolTask<[T], R>, items: Iterable<T> | AsyncIterable<T>, chunksize?: number): AsyncIterableIterator<Awaited<R>> {
    this.#check();
    return this.#ex.map(fn, items, this.#mapOpts(chunksize, true)) as unknown as AsyncIterableIterator<Awaited<R>>;
  }

  /** {@link imap}, yielding results as they complete (Python's `imap_unordered`). */
  imapUnordered<T, R>(fn: PoolTask<[T], R>, items: Iterable<T> | AsyncIterable<T>, chunksize?: number): AsyncIterableIterator<Awaited<R>> {
    this.#check();
    return this.#ex.map(fn, items, this.#mapOpts(chunksize, false)) as unknown as AsyncIterableIterator<Awaited<R>>;
  }

  /** No more tasks may be submitted; the workers exit once the submitted ones are done (see join). */
  close(): void {
    if (this.#state !== 'RUN') return;
    this.#state = 'CLOSE';
    this.#ended = this.#ex.shutdown({ wait: true });
  }

  /**
   * Stops the workers now: tasks not finished are cancelled (running ones are
   * stopped, their workers killed after a grace period). Resolves once they are gone.
   */
  terminate(): Promise<void> {
    if (this.#state !== 'TERMINATE') {
      this.#state = 'TERMINATE';
      for (const f of this.#live) f.cancel();
      this.#stop.abort(new ValueError('Pool terminated'));
      const prev = this.#ended;
      const down = this.#ex.shutdown({ wait: true, cancelFutures: true });
      this.#ended = prev ? Promise.all([prev, down]).then(() => undefined) : down;
    }
    return this.#ended!;
  }

  /**
   * Waits for the workers to exit: after close(), once every task is done; after
   * terminate(), once they are stopped.
   * @throws (rejects) ValueError if called before close() or terminate(), as in Python.
   */
  async join(): Promise<void> {
    if (this.#state === 'RUN') throw new ValueError('Pool is still running: call close() or terminate() before join()');
    await this.#ended;
  }

  /** terminate(), for `await using` (Python's `with Pool() as p:` terminates on exit). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }
}
