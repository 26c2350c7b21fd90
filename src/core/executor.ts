/**
 * The abstract Executor: what every executor shares, written once.
 *
 * Subclasses say how one call runs (`_enqueue`), how a running one is stopped
 * (`_cancelTask`) and how they shut down; `submit`, `run`, `map`, `shutdown`,
 * `[Symbol.asyncDispose]` and `stats()` live here. Argument mistakes and refusals
 * (shut down, queue full, unsendable argument) come back as rejected futures,
 * never as synchronous throws, so a loop of submits never loses a result.
 */
import { Future } from './future.js';
import { own, failedFuture, setResult, setException, setCancelled } from './internal.js';
import { CancelledError, ExecutorShutdownError, describe } from './errors.js';
import { Recorder, type ExecutorStats } from './stats.js';
import { MapRun, type MapOptions, type MapResult } from './map.js';
import { listenAbort, unlistenAbort, type AbortNode } from './scope.js';
import type { TaskRef, Transferable } from './tasks.js';
import { array, options, signal as signalOpt, timeout } from './options.js';

export type { ExecutorStats, Percentiles } from './stats.js';
export type { MapOptions, MapResult } from './map.js';

/** Options of one task. */
export interface SubmitOptions {
  /** Aborting it cancels the task (the future rejects with CancelledError). */
  signal?: AbortSignal;
  /** Milliseconds the task may run, counted from when it starts; then TimeoutError. */
  timeout?: number;
  /** Objects to move to the worker instead of copying them. */
  transfer?: Transferable[];
}

/** A task: a TaskRef from `defineTasks`/`tasksFrom`, or a function (inline: shipped as source to workers). */
export type TaskFn<A extends unknown[], R> = TaskRef<A, R> | ((...args: A) => R);

/**
 * Runs calls asynchronously and hands back {@link Future}s: the base of
 * ThreadPoolExecutor, ProcessPoolExecutor and AsyncExecutor.
 *
 * @example
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
 * const f = pool.submit(tasks.fib, 30);
 * for await (const r of pool.map(tasks.fib, [25, 26, 27])) console.log(r);
 */
export abstract class Executor implements AsyncDisposable {
  /** @internal */ protected readonly _rec = new Recorder();
  /** @internal */ protected _closed = false;
  /** @internal */ private _shutdownPromise: Promise<void> | undefined;
  /** @internal maps still reading their input (shutdown lets them finish submitting). */
  readonly _maps = new Set<MapRun<any, any>>();

  /** Submits `fn(...args)`; returns its Future at once. */
  submit<A extends unknown[], R>(fn: TaskFn<A, R>, ...args: A): Future<Awaited<R>> {
    if (typeof fn !== 'function') return this.run(fn, args);
    return this._submit(fn, args, undefined, false) as Future<Awaited<R>>;
  }

  /**
   * Submits `fn(...args)` with options (`signal`, `timeout` from start of run, `transfer`).
   * Never throws: refusals come back as a rejected future.
   */
  run<A extends unknown[], R>(fn: TaskFn<A, R>, args: A, opts?: SubmitOptions): Future<Awaited<R>> {
    if (this._closed) return failedFuture(new ExecutorShutdownError());
    if (typeof fn !== 'function') {
      return failedFuture(new TypeError(`Expected a task (a function or a TaskRef from defineTasks), got ${describe(fn)}`));
    }
    if (!Array.isArray(args)) return failedFuture(new TypeError(`run(fn, args, opts) expects args as an array, got ${describe(args)}`));
    if (opts !== undefined) {
      const bad = checkSubmitOptions(opts);
      if (bad) return failedFuture(bad);
    }
    const signal = opts?.signal;
    if (signal?.aborted) {
      const f = new Future<Awaited<R>>();
      setCancelled(f, signal.reason); // never started, never counted as submitted
      return f;
    }
    const f = this._submit(fn, args.slice(), opts, false) as Future<Awaited<R>>;
    if (signal !== undefined && !f.done()) {
      // One listener per signal however many tasks use it (core/scope.ts): no MaxListenersExceededWarning.
      const node: AbortNode = { _onAbort: (reason) => f.cancel(reason) };
      listenAbort(signal, node);
      f.addDoneCallback(() => unlistenAbort(signal, node));
    }
    return f;
  }

  /**
   * Runs `fn` over `items` in parallel: `await` it for an array in input order, or
   * iterate it (`for await`) to get results as they come (input order unless
   * `ordered: false`). Input is read lazily, at most `buffersize` items ahead;
   * `chunksize: 'auto'` batches tiny tasks and keeps big ones single.
   */
  map<T, R>(fn: TaskFn<[T], R>, items: Iterable<T> | AsyncIterable<T>, opts?: MapOptions): MapResult<Awaited<R>> {
    return new MapRun<T, Awaited<R>>(this as Executor, fn as TaskFn<[T], R>, items, opts ?? {}, this._closed);
  }

  /**
   * Python's `map(fn, *iterables)` / `Pool.starmap`: each item is an argument list,
   * spread into the call (`fn(...item)`). Same options and results as {@link map}; each
   * argument list is one task (no chunking).
   *
   * @example
   * const sums = await pool.starmap(tasks.add, [[1, 2], [3, 4]]); // [3, 7]
   */
  starmap<A extends unknown[], R>(fn: TaskFn<A, R>, argsList: Iterable<A> | AsyncIterable<A>, opts?: MapOptions): MapResult<Awaited<R>> {
    return new MapRun<A, Awaited<R>>(this as Executor, fn as unknown as TaskFn<[A], R>, argsList, opts ?? {}, this._closed, true);
  }

  /**
   * Stops accepting tasks. With `wait` (default true) resolves once every queued
   * and running task is done and the workers are gone; `cancelFutures` cancels
   * the tasks that have not started. A `map` under way over an in-memory iterable
   * first submits the rest of its input; a bounded (`buffersize`) or async one
   * stops reading and ends with ExecutorShutdownError after what it submitted.
   */
  shutdown(opts: { wait?: boolean; cancelFutures?: boolean } = {}): Promise<void> {
    if (opts === null || typeof opts !== 'object')
      return Promise.reject(new TypeError(`shutdown(opts) expects an object, got ${describe(opts)}`));
    const wait = opts.wait ?? true;
    this._closed = true;
    const cancel = opts.cancelFutures ?? false;
    // Maps under way: with cancelFutures they stop; otherwise they submit the rest of
    // their input first (Python's map submits everything at once), then the queue drains.
    const maps = [...this._maps];
    if (cancel) for (const m of maps) m._abort(new CancelledError('The executor was shut down with cancelFutures'));
    const p = (this._shutdownPromise ??=
      cancel || maps.length === 0
        ? this._shutdown(cancel)
        : Promise.all(maps.map((m) => m._drainInput())).then(() => this._shutdown(cancel)));
    if (cancel) this._cancelQueued();
    return wait ? p : Promise.resolve();
  }

  /** `shutdown({ wait: true })`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** Counters, worker use and recent run/wait time percentiles. */
  stats(): ExecutorStats {
    const live = this._live();
    const r = this._rec;
    return {
      ...live,
      submitted: r.submitted,
      completed: r.completed,
      failed: r.failed,
      cancelled: r.cancelled,
      runTime: r.percentiles('run'),
      waitTime: r.percentiles('wait'),
      utilization: r.utilization(this._parallelism()),
    };
  }

  /** @internal called by a Future this executor owns when a caller cancels it. */
  futureCancelled(f: Future<unknown>, wasRunning: boolean, reason: unknown): void {
    this._rec.cancelled++;
    this._cancelTask(f, wasRunning, reason);
  }

  /** @internal one accepted task: a new owned future, counted, handed to the subclass. */
  _submit(fn: Function, args: unknown[], opts: SubmitOptions | undefined, chunk: boolean, force = false): Future<unknown> {
    if (this._closed && !force) return failedFuture(new ExecutorShutdownError());
    const f = new Future<unknown>();
    this._rec.submitted++;
    this._enqueue(f, fn, args, opts, chunk);
    return f;
  }

  // ── for subclasses ────────────────────────────────────────────────────────

  /** @internal takes ownership of `f` so cancellation reaches `_cancelTask`. */
  protected _own(f: Future<any>, slot: unknown): void {
    own(f, this, slot);
  }

  /** @internal settles a task's future with its result and counts it. */
  protected _ok(f: Future<any>, value: unknown): void {
    if (setResult(f, value)) this._rec.completed++;
  }

  /** @internal settles a task's future with an error and counts it. */
  protected _fail(f: Future<any>, err: unknown): void {
    if (setException(f, err)) this._rec.failed++;
  }

  /** @internal Runs `fn(...args)` (or, with `chunk`, fn over `args[0]`, resolving to `[results, ms]`). */
  abstract _enqueue(f: Future<any>, fn: Function, args: unknown[], opts: SubmitOptions | undefined, chunk: boolean): void;
  /** @internal stop a task whose future was cancelled. */
  protected abstract _cancelTask(f: Future<unknown>, wasRunning: boolean, reason: unknown): void;
  /** @internal cancel every task that has not started. */
  protected abstract _cancelQueued(): void;
  /** @internal resolves once every accepted task is done and the workers are gone. */
  protected abstract _shutdown(cancelFutures: boolean): Promise<void>;
  /** @internal */
  protected abstract _live(): { workers: number; busy: number; idle: number; queued: number };
  /** @internal how many tasks run at once at most (sizes map's read-ahead). */
  abstract _parallelism(): number;
  /** @internal whether map may send many items in one task (false: chunks cost more than they save). */
  _chunks(): boolean {
    return true;
  }
}

const SUBMIT_KEYS = ['signal', 'timeout', 'transfer'] as const satisfies readonly (keyof SubmitOptions)[];

/** Checks submit options; the error to fail the future with, or undefined. */
function checkSubmitOptions(opts: SubmitOptions): Error | undefined {
  const where = 'run(fn, args, opts)';
  try {
    const o = options(where, opts, SUBMIT_KEYS);
    signalOpt(where, 'signal', o.signal);
    array(where, 'transfer', o.transfer);
    timeout(where, 'timeout', o.timeout);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** @internal a task's time limit from its (checked) submit options: Infinity for none, 0 for "none left". */
export function taskTimeout(opts: SubmitOptions | undefined): number {
  const t = opts?.timeout;
  return t === undefined ? Infinity : t > 0 ? t : 0;
}
