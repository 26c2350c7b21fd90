/**
 * `wait` and `asCompleted`, shared by weft/futures and weft/asyncio, plus the
 * adapters they need: any PromiseLike becomes a Future (one per promise, cached), and
 * awaiting a Future inside a task can be cancelled by that task's cancellation.
 *
 * Both accept Futures (any executor's, asyncio Tasks) and plain promises, honour the
 * caller's `signal` and the current task's cancellation (CancelledError), and remove
 * every done-callback and timer they installed before they return.
 */
import { currentContext } from './context.js';
import { type CancelledError, TimeoutError, describe } from './errors.js';
import { Future, S, setAwaitHook } from './future.js';
import { setException, setResult } from './internal.js';
import { oneOf } from './options.js';
import { cancel as cancelTimer, later, type Later } from './timers.js';
import { Ring } from './ring.js';
import { WAITING, Wait, WaiterQueue, armWait, checkWaitOptions, promiseOf } from './waiters.js';

// ─── constants ────────────────────────────────────────────────────────────────

/** `wait()` returns as soon as any future finishes or is cancelled. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `wait()` returns when any future fails (or when all are done). Cancellation is not failure. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** `wait()` returns when every future is done (the default). */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/** The `returnWhen` values of {@link wait}. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

// ─── adapters ────────────────────────────────────────────────────────────────

const wrapped = new WeakMap<object, Future<unknown>>();

/**
 * The Future for an awaitable: a Future as it is; a PromiseLike wrapped in a Future
 * that settles with it (the same Future each time for the same promise); any other
 * value as an already finished Future.
 */
export function toFuture<T>(aw: Future<T> | PromiseLike<T> | T): Future<T> {
  if (aw instanceof Future) return aw;
  if (aw !== null && (typeof aw === 'object' || typeof aw === 'function') && typeof (aw as PromiseLike<T>).then === 'function') {
    const key = aw as object;
    let f = wrapped.get(key) as Future<T> | undefined;
    if (f === undefined) {
      const g = new Future<T>();
      f = g;
      wrapped.set(key, g);
      try {
        (aw as PromiseLike<T>).then(
          (v) => {
            setResult(g, v);
          },
          (e) => {
            setException(g, e);
          },
        );
      } catch (e) {
        setException(g, e);
      }
    }
    return f;
  }
  const f = new Future<T>();
  setResult(f, aw as T);
  return f;
}

/** Awaiting a future from inside a task: rejects when the task is cancelled; `propagate` also cancels the future. */
class FutureWait<T> extends Wait<T> {
  constructor(
    readonly fut: Future<T>,
    readonly propagate: boolean,
  ) {
    super();
  }
  override _onCancel(reason: CancelledError): boolean {
    if (this.state !== WAITING) return super._onCancel(reason);
    this._fail(reason);
    if (this.propagate) this.fut.cancel(reason);
    return true;
  }
}

/**
 * @internal `await future` inside a task: a promise of the future's outcome that
 * rejects with CancelledError if the current task is cancelled first (and, with
 * `propagate`, cancels the future too, as Python does when a task awaiting a task is
 * cancelled). Outside any task, or once the future is done, it is the future's own promise.
 */
export function awaitInContext<T>(f: Future<T>, propagate: boolean): Promise<T> {
  if (f._state >= S.Cancelled || currentContext() === undefined) return f.asPromise();
  const w = new FutureWait<T>(f, propagate);
  const err = armWait(w, undefined, undefined);
  if (err !== undefined) {
    if (propagate) f.cancel(err);
    return Promise.reject(err);
  }
  const p = promiseOf(w);
  f.asPromise().then(
    (v) => {
      w._grant(v);
    },
    (e) => {
      if (!w.done) {
        w._detach();
        w.reject(e);
      }
    },
  );
  return p;
}

setAwaitHook(awaitInContext);

// ─── wait ────────────────────────────────────────────────────────────────────

/** Options of {@link wait}. */
export interface WaitForOptions {
  /** Milliseconds; when it passes, `wait` returns the sets as they are (no error). */
  timeout?: number;
  /** Default `'ALL_COMPLETED'`. */
  returnWhen?: ReturnWhen;
  /** Aborting rejects with CancelledError. */
  signal?: AbortSignal;
}

/** The Future type an awaitable is seen as: a Future (or Task) keeps its type, a promise becomes `Future<value>`. */
export type AsFuture<A> = A extends Future<any> ? A : Future<Awaited<A>>;

/** What {@link wait} returns. */
export interface WaitResult<T> {
  done: Set<Future<T>>;
  notDone: Set<Future<T>>;
}

const RETURN_WHEN = [FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED] as const;
const WAIT_FOR_KEYS = ['timeout', 'returnWhen', 'signal'];

function failedNotCancelled(f: Future<unknown>): boolean {
  return f._state === S.Finished && f._failed;
}

/** A wait whose timeout resolves (with the sets as they are) instead of rejecting. */
class SetWait<T> extends Wait<WaitResult<T>> {
  constructor(
    readonly res: WaitResult<T>,
    readonly cb: (f: Future<T>) => void,
  ) {
    super();
  }
  override _timeout(): void {
    this._grant(this.res);
  }
  override _detach(keepScope = false): void {
    if (!this.done) for (const f of this.res.notDone) f.removeDoneCallback(this.cb);
    super._detach(keepScope);
  }
}

function toFutureSet<T>(fs: unknown, where: string): Set<Future<T>> {
  if (fs === null || typeof fs !== 'object' || typeof (fs as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${where} expects an iterable of Futures or promises, got ${describe(fs)}`);
  }
  const set = new Set<Future<T>>();
  for (const x of fs as Iterable<Future<T> | PromiseLike<T>>) set.add(toFuture(x));
  return set;
}

/**
 * Waits until the futures (or promises) are done, as Python's `asyncio.wait` /
 * `concurrent.futures.wait`. Promises are wrapped in Futures, which are what the sets hold.
 *
 * @param fs Futures, Tasks or promises.
 * @param opts `timeout` (ms; the sets are returned when it passes, no error), `returnWhen`, `signal`.
 * @returns `{ done, notDone }`.
 * @throws TypeError / RangeError for bad arguments; CancelledError if `signal` aborts or the current task is cancelled.
 *
 * @example
 * const { done, notDone } = await wait([t1, t2], { returnWhen: FIRST_COMPLETED, timeout: 1000 });
 */
export function wait<T>(fs: Iterable<Future<T> | PromiseLike<T>>, opts?: WaitForOptions): Promise<WaitResult<T>>;
// Mixed inputs (a Task<string> and a Task<void>): the sets hold the inputs' own types.
export function wait<A extends PromiseLike<unknown>>(
  fs: Iterable<A>,
  opts?: WaitForOptions,
): Promise<{ done: Set<AsFuture<A>>; notDone: Set<AsFuture<A>> }>;
export function wait<T>(fs: Iterable<Future<T> | PromiseLike<T>>, opts?: WaitForOptions): Promise<WaitResult<T>> {
  let all: Set<Future<T>>;
  try {
    all = toFutureSet<T>(fs, 'wait()');
  } catch (e) {
    return Promise.reject(e);
  }
  const bad = checkWaitOptions(opts, 'wait()', WAIT_FOR_KEYS);
  if (bad) return Promise.reject(bad);
  let returnWhen: ReturnWhen;
  try {
    returnWhen = oneOf('wait()', 'returnWhen', opts?.returnWhen, RETURN_WHEN, ALL_COMPLETED);
  } catch (e) {
    return Promise.reject(e);
  }
  const done = new Set<Future<T>>();
  const notDone = new Set<Future<T>>();
  let failed = false;
  for (const f of all) {
    if (f._state >= S.Cancelled) {
      done.add(f);
      if (failedNotCancelled(f)) failed = true;
    } else notDone.add(f);
  }
  const res: WaitResult<T> = { done, notDone };
  const satisfied = (): boolean =>
    notDone.size === 0 || (returnWhen === FIRST_COMPLETED && done.size > 0) || (returnWhen === FIRST_EXCEPTION && failed);
  if (satisfied() || (opts?.timeout !== undefined && !(opts.timeout > 0))) return Promise.resolve(res);
  const cb = (f: Future<T>): void => {
    if (w.done || !notDone.delete(f)) return;
    done.add(f);
    if (failedNotCancelled(f)) failed = true;
    if (satisfied()) w._grant(res);
  };
  const w: SetWait<T> = new SetWait<T>(res, cb);
  const err = armWait(w, opts?.signal, opts?.timeout);
  if (err !== undefined) return Promise.reject(err);
  const p = promiseOf(w);
  for (const f of notDone) f.addDoneCallback(cb);
  return p;
}

// ─── asCompleted ─────────────────────────────────────────────────────────────

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** Milliseconds from the call; a `next()` that would wait past it rejects with TimeoutError. */
  timeout?: number;
  /** Aborting rejects the pending `next()` with CancelledError. */
  signal?: AbortSignal;
}

function onDeadline(it: AsCompletedIterator<unknown>): void {
  it._timer = undefined;
  it._timedOut = true;
  if (it._waiters.size > 0) {
    it._waiters.failAll(new TimeoutError(`asCompleted: ${it._pending} future(s) not done within ${it._timeoutMs} ms`));
    it._cleanup();
  }
}

/** @internal */
class AsCompletedIterator<T> implements AsyncIterableIterator<Future<T>> {
  _ready = new Ring<Future<T>>();
  _waiters = new WaiterQueue<IteratorResult<Future<T>>>();
  _pending: number;
  _timer: Later | undefined = undefined;
  _timedOut = false;
  _timeoutMs: number;
  _closed = false;
  _cb: (f: Future<T>) => void;
  _signal: AbortSignal | undefined;

  constructor(
    readonly _notDone: Set<Future<T>>,
    done: Set<Future<T>>,
    opts: AsCompletedOptions | undefined,
  ) {
    for (const f of done) this._ready.push(f);
    this._pending = _notDone.size;
    this._signal = opts?.signal;
    this._timeoutMs = opts?.timeout ?? Infinity;
    this._cb = (f) => {
      if (this._closed || !this._notDone.delete(f)) return;
      this._pending--;
      if (!this._waiters.grantHead({ value: f, done: false })) this._ready.push(f);
      if (this._pending === 0 && this._ready.length === 0) this._finish();
    };
    for (const f of _notDone) f.addDoneCallback(this._cb);
    const ms = this._timeoutMs;
    if (ms !== Infinity && this._pending > 0) {
      if (ms <= 0) this._timedOut = true;
      else this._timer = later(onDeadline, ms, this as AsCompletedIterator<unknown>);
    }
  }

  _finish(): void {
    this._cleanup();
    this._waiters.grantAll({ value: undefined, done: true });
  }

  _cleanup(): void {
    if (this._closed) return;
    this._closed = true;
    if (this._timer !== undefined) {
      cancelTimer(this._timer);
      this._timer = undefined;
    }
    for (const f of this._notDone) f.removeDoneCallback(this._cb);
  }

  next(): Promise<IteratorResult<Future<T>>> {
    const f = this._ready.shift();
    if (f !== undefined) return Promise.resolve({ value: f, done: false });
    if (this._pending === 0 || (this._closed && !this._timedOut)) {
      this._cleanup();
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this._timedOut) {
      this._cleanup();
      return Promise.reject(new TimeoutError(`asCompleted: ${this._pending} future(s) not done within ${this._timeoutMs} ms`));
    }
    return this._waiters.wait(this._signal === undefined ? undefined : { signal: this._signal });
  }

  return(): Promise<IteratorResult<Future<T>>> {
    this._cleanup();
    this._pending = 0;
    this._ready.clear();
    this._waiters.grantAll({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Yields the futures (or promises, wrapped in Futures) as they complete, as Python's
 * `as_completed`. Each yielded Future is done: read it with `await f` (or `f.result()`).
 * Note: TypeScript types a `for await` variable as `Awaited<...>` of what the iterator
 * yields, i.e. as the future's value; at run time it is the Future itself, so write
 * `const v = await f`, which is correct for both.
 *
 * @param fs Futures, Tasks or promises.
 * @param opts `timeout` (ms from this call; a `next()` that would wait past it rejects with TimeoutError), `signal`.
 * @returns an async iterator; breaking out of `for await` removes every callback and timer.
 * @throws TypeError / RangeError for bad arguments (synchronously); CancelledError from `next()` if `signal`
 *   aborts or the current task is cancelled; TimeoutError from `next()` once the timeout passed.
 *
 * @example
 * for await (const f of asCompleted(tasks, { timeout: 5000 })) console.log(await f);
 */
export function asCompleted<T>(fs: Iterable<Future<T> | PromiseLike<T>>, opts?: AsCompletedOptions): AsyncIterableIterator<Future<T>>;
export function asCompleted<A extends PromiseLike<unknown>>(fs: Iterable<A>, opts?: AsCompletedOptions): AsyncIterableIterator<AsFuture<A>>;
export function asCompleted<T>(fs: Iterable<Future<T> | PromiseLike<T>>, opts?: AsCompletedOptions): AsyncIterableIterator<Future<T>> {
  const all = toFutureSet<T>(fs, 'asCompleted()');
  const bad = checkWaitOptions(opts, 'asCompleted()');
  if (bad) throw bad;
  const done = new Set<Future<T>>();
  const notDone = new Set<Future<T>>();
  for (const f of all) (f._state >= S.Cancelled ? done : notDone).add(f);
  return new AsCompletedIterator<T>(notDone, done, opts);
}
