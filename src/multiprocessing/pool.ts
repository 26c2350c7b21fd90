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
import { array, int, oneOf, options } from '../core/options.js';
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

const POOL_KEYS = ['processes', 'initializer', 'initargs', 'maxtasksperchild', 'backend'] as const;

/** The args array of apply/applyAsync: Python's args tuple. */
function argsOf(method: string, args: unknown, extra: unknown[]): unknown[] {
  if (args === undefined && extra.length === 0) return [];
  if (!Array.isArray(args) || extra.length > 0) {
    const all = [args, ...extra].map((a) => (typeof a === 'string' ? JSON.stringify(a) : String(a))).join(', ');
    throw new TypeError(
      `Pool.${method}(fn, args) expects args as an array of arguments, got ${describe(args)}` +
        (Array.isArray(args) ? ' and more arguments after it' : '') +
        `; to call fn(${all}) write pool.${method}(fn, [${all}])`,
    );
  }
  return args;
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

  constructor(opts?: PoolOptions) {
    const o = options('Pool', opts, POOL_KEYS) as PoolOptions;
    const backend = oneOf('Pool', 'backend', o.backend, ['processes', 'threads'], 'processes');
    const processes = o.processes === undefined ? undefined : int('Pool', 'processes', o.processes, 1, { min: 1 });
    const maxTasks = int('Pool', 'maxtasksperchild', o.maxtasksperchild, Infinity, { min: 1, infinity: true });
    const initargs = array('Pool', 'initargs', o.initargs);
    if (backend === 'processes') {
      this.#ex = new ProcessPoolExecutor({
        maxWorkers: processes,
        initializer: o.initializer,
        initargs,
        maxTasksPerChild: maxTasks,
        name: 'SpawnPoolWorker',
      });
    } else {
      this.#ex = new ThreadPoolExecutor(
        { maxWorkers: processes, initializer: o.initializer, initargs, name: 'ThreadPoolWorker', idleTimeout: Infinity },
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

  #mapOpts(where: string, chunksize: unknown, ordered: boolean): MapOptions {
    const cs = chunksize === undefined ? 'auto' : int(where, 'chunksize', chunksize, 1, { min: 1 });
    return { chunksize: cs, ordered, signal: this.#stop.signal };
  }

  /**
   * Runs `fn(...args)` in a worker and waits for the result (Python's `apply`).
   * @param args the arguments, as an array (Python's `args` tuple): `pool.apply(add, [3, 4])`.
   * @throws (rejects) ValueError if the pool is not running; TypeError if `args` is not an array;
   *   the task's own error.
   */
  async apply<A extends unknown[], R>(fn: PoolTask<A, R>, args?: A, ...extra: never[]): Promise<Awaited<R>> {
    this.#check();
    const a = argsOf('apply', args, extra);
    return this.#track(this.#ex.run(fn, a as A)) as Promise<Awaited<R>>;
  }

  /**
   * Starts `fn(...args)` in a worker; returns an {@link AsyncResult} at once.
   * @param args the arguments, as an array.
   * @param opts `callback`, `errorCallback` (run in this process when the result is ready).
   * @throws ValueError if the pool is not running; TypeError if `args` is not an array or for bad options.
   */
  applyAsync<A extends unknown[], R>(fn: PoolTask<A, R>, args?: A, opts?: AsyncResultCallbacks<Awaited<R>>): AsyncResult<Awaited<R>> {
    this.#check();
    const a = argsOf('applyAsync', args, []);
    const cb = options('Pool.applyAsync(fn, args, opts)', opts, ['callback', 'errorCallback']) as AsyncResultCallbacks<Awaited<R>>;
    return new AsyncResult(this.#track(this.#ex.run(fn, a as A)), cb);
  }

  /**
   * `fn` over every item, in parallel; resolves with the results in input order.
   * @param chunksize items per message to a worker (default: chosen from measured task time).
   */
  async map<T, R>(fn: PoolTask<[T], R>, items: Iterable<T>, chunksize?: number): Promise<Awaited<R>[]> {
    this.#check();
    return this.#ex.map(fn, items, this.#mapOpts('Pool.map(fn, items, chunksize)', chunksize, true)) as PromiseLike<
      Awaited<R>[]
    > as Promise<Awaited<R>[]>;
  }

  /** {@link map} in the background: an AsyncResult of the list. @throws ValueError if the pool is not running. */
  mapAsync<T, R>(
    fn: PoolTask<[T], R>,
    items: Iterable<T>,
    chunksize?: number,
    opts?: AsyncResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    this.#check();
    const p = this.#ex.map(fn, items, this.#mapOpts('Pool.mapAsync(fn, items, chunksize)', chunksize, true));
    const cb = options('Pool.mapAsync(fn, items, chunksize, opts)', opts, ['callback', 'errorCallback']) as AsyncResultCallbacks<
      Awaited<R>[]
    >;
    return new AsyncResult(p as PromiseLike<Awaited<R>[]>, cb);
  }

  /** `fn(...args)` for every args tuple; results in input order (Python's `starmap`). */
  async starmap<A extends unknown[], R>(fn: PoolTask<A, R>, argsList: Iterable<A>, chunksize?: number): Promise<Awaited<R>[]> {
    this.#check();
    if (chunksize !== undefined) int('Pool.starmap(fn, argsList, chunksize)', 'chunksize', chunksize, 1, { min: 1 });
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
   * If reading the input throws, the results of the items before are yielded, then
   * that error is thrown (as Python's imap does).
   * @throws ValueError if the pool is not running.
   */
  imap<T, R>(fn: PoolTask<[T], R>, items: Iterable<T> | AsyncIterable<T>, chunksize?: number): AsyncIterableIterator<Awaited<R>> {
    this.#check();
    return this.#imap(fn, items, this.#mapOpts('Pool.imap(fn, items, chunksize)', chunksize, true));
  }

  /** {@link imap}, yielding results as they complete (Python's `imap_unordered`). */
  imapUnordered<T, R>(fn: PoolTask<[T], R>, items: Iterable<T> | AsyncIterable<T>, chunksize?: number): AsyncIterableIterator<Awaited<R>> {
    this.#check();
    return this.#imap(fn, items, this.#mapOpts('Pool.imapUnordered(fn, items, chunksize)', chunksize, false));
  }

  /** (An input that throws: map yields the results of the items before, then raises it.) */
  #imap<T, R>(fn: PoolTask<[T], R>, items: Iterable<T> | AsyncIterable<T>, opts: MapOptions): AsyncIterableIterator<Awaited<R>> {
    return this.#ex.map(fn, items, opts) as unknown as AsyncIterableIterator<Awaited<R>>;
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
