/**
 * Future: the one state machine every executor and every asyncio Task shares.
 *
 *     pending ──> running ──> finished (result or error)
 *        │           │
 *        └───────────┴──────> cancelled
 *
 * A Future is settled only through `./internal.ts`, which executors use and
 * which is never re-exported (CPython: "should only be used by Executors and
 * in tests"). The Promise behind `then` is created lazily, so a future nobody
 * awaits costs no Promise and a failure nobody awaits is never an unhandled
 * rejection (as in Python, where an exception is kept until retrieved).
 */
import { CancelledError, InvalidStateError } from './errors.js';
import { currentContext } from './context.js';

/** The states of a {@link Future}. */
export type FutureState = 'pending' | 'running' | 'cancelled' | 'finished';

/** @internal numeric states, in the order a future moves through them (plain numbers: cheap to compare). */
export const S = { Pending: 0, Running: 1, Cancelled: 2, Finished: 3 } as const;
type StateNum = (typeof S)[keyof typeof S];
const STATE_NAMES: readonly FutureState[] = ['pending', 'running', 'cancelled', 'finished'];

type DoneCallback<T> = (f: Future<T>) => void;

/**
 * Told when a future it owns is cancelled by a caller. Executors implement it to
 * drop a queued task or to stop a running one. (Internal: for executors.)
 */
export interface CancelHandler {
  /** `wasRunning` tells which state the future left. */
  futureCancelled(f: Future<unknown>, wasRunning: boolean, reason: unknown): void;
}

/**
 * The eventual result of an operation, as in `concurrent.futures` and `asyncio`.
 * `await future` gives the result or throws; `result()` reads it synchronously.
 * Executors and tasks return futures; code can also make its own with `new Future()`
 * and settle it with `setResult` / `setException` (or cancel it).
 *
 * @example
 * const f = pool.submit(tasks.fib, 30);
 * f.addDoneCallback((done) => console.log(done.result()));
 * console.log(await f);
 */
export class Future<T = unknown> implements PromiseLike<T> {
  /** @internal */ _state: StateNum = S.Pending;
  /** @internal result value, error, or cancel reason */ _value: unknown = undefined;
  /** @internal true when `_value` is an error */ _failed = false;
  /** @internal */ _callbacks: DoneCallback<any> | DoneCallback<any>[] | undefined = undefined;
  /** @internal */ _p: Promise<T> | undefined = undefined;
  /** @internal */ _resolve: ((v: any) => void) | undefined = undefined;
  /** @internal */ _reject: ((e: unknown) => void) | undefined = undefined;
  /** @internal the executor that owns this future, told about cancellation */ _owner: CancelHandler | undefined = undefined;
  /** @internal the owner's bookkeeping for this future */ _slot: unknown = undefined;

  /** The current state: `'pending' | 'running' | 'cancelled' | 'finished'`. */
  get state(): FutureState {
    return STATE_NAMES[this._state]!;
  }

  /**
   * Cancels the future. A pending one is cancelled at once. A running one is
   * cancelled too and its task's signal aborts; the executor that runs it stops it
   * (a worker that ignores the signal is terminated after `cancelGrace`).
   * @returns true if the future was cancelled (or cancellation was requested), false if it was already done.
   */
  cancel(reason?: unknown): boolean {
    const s = this._state;
    if (s >= S.Cancelled) return false;
    return this._cancel(reason, s === S.Running);
  }

  /**
   * How a cancellation request is carried out. A plain future settles at once;
   * an asyncio Task overrides this to let its body run its cleanup first.
   * @internal
   */
  _cancel(reason: unknown, wasRunning: boolean): boolean {
    settleCancelled(this, reason);
    this._owner?.futureCancelled(this as Future<unknown>, wasRunning, reason);
    return true;
  }

  /** True if the future was cancelled. */
  cancelled(): boolean {
    return this._state === S.Cancelled;
  }
  /** True while the task runs. */
  running(): boolean {
    return this._state === S.Running;
  }
  /** True once finished or cancelled. */
  done(): boolean {
    return this._state >= S.Cancelled;
  }

  /**
   * The result, synchronously.
   * @throws InvalidStateError if not done; CancelledError if cancelled; the task's own error if it failed.
   */
  result(): T {
    if (this._state < S.Cancelled) throw new InvalidStateError(`Result is not ready: the future is ${this.state}`);
    if (this._state === S.Cancelled) throw toCancelledError(this._value);
    if (this._failed) throw this._value;
    return this._value as T;
  }

  /**
   * The error the task failed with, synchronously; `undefined` if it succeeded.
   * @throws InvalidStateError if not done; CancelledError if cancelled.
   */
  exception(): unknown {
    if (this._state < S.Cancelled) throw new InvalidStateError(`Exception is not set: the future is ${this.state}`);
    if (this._state === S.Cancelled) throw toCancelledError(this._value);
    return this._failed ? this._value : undefined;
  }

  /**
   * Marks the future done with `value` (for code that makes its own futures, as with
   * Python's `asyncio.Future.set_result` / `concurrent.futures.Future.set_result`).
   * @throws InvalidStateError if the future is already done (finished or cancelled).
   * @example
   * const f = new Future<number>();
   * setTimeout(() => f.setResult(42), 10);
   * console.log(await f); // 42
   */
  setResult(value: T): void {
    if (!settle(this, value, false)) throw new InvalidStateError(`Cannot set the result: the future is already ${this.state}`);
  }

  /**
   * Marks the future failed with `error`: `await` and `result()` throw it.
   * @throws InvalidStateError if the future is already done (finished or cancelled).
   */
  setException(error: unknown): void {
    if (!settle(this, error, true)) throw new InvalidStateError(`Cannot set the exception: the future is already ${this.state}`);
  }

  /** Calls `fn(future)` once the future is done (at once if it already is). */
  addDoneCallback(fn: DoneCallback<T>): void {
    if (typeof fn !== 'function') throw new TypeError(`addDoneCallback expects a function, got ${typeof fn}`);
    if (this._state >= S.Cancelled) {
      runCallback(fn, this);
      return;
    }
    const cbs = this._callbacks;
    if (cbs === undefined) this._callbacks = fn;
    else if (typeof cbs === 'function') this._callbacks = [cbs, fn];
    else cbs.push(fn);
  }

  /** Removes every registration of `fn`; returns how many were removed. */
  removeDoneCallback(fn: DoneCallback<T>): number {
    const cbs = this._callbacks;
    if (cbs === undefined) return 0;
    if (typeof cbs === 'function') {
      if (cbs !== fn) return 0;
      this._callbacks = undefined;
      return 1;
    }
    const kept = cbs.filter((c) => c !== fn);
    const removed = cbs.length - kept.length;
    this._callbacks = kept.length ? kept : undefined;
    return removed;
  }

  /**
   * `await future`. Inside an asyncio Task (or an AsyncExecutor job) the wait is
   * tied to that task: cancelling the task rejects the wait with CancelledError
   * and cancels this future too (as `asyncio.wrap_future` does in Python).
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (awaitHook !== undefined && this._state < S.Cancelled && currentContext() !== undefined) {
      return awaitHook(this, true).then(onfulfilled, onrejected);
    }
    return this.asPromise().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.asPromise().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.asPromise().finally(onfinally);
  }

  /** The future as a native Promise (created once, on first use). */
  asPromise(): Promise<T> {
    let p = this._p;
    if (p !== undefined) return p;
    const s = this._state;
    if (s === S.Finished) p = this._failed ? Promise.reject(this._value) : Promise.resolve(this._value as T);
    else if (s === S.Cancelled) p = Promise.reject(toCancelledError(this._value));
    else
      p = new Promise<T>((res, rej) => {
        this._resolve = res;
        this._reject = rej;
      });
    this._p = p;
    return p;
  }

  get [Symbol.toStringTag](): string {
    return `Future ${this.state}`;
  }
}

let awaitHook: (<T>(f: Future<T>, propagate: boolean) => Promise<T>) | undefined;

/**
 * @internal Installed by core/wait.ts (which imports this file, hence the hook):
 * how `await future` honours the current task's cancellation.
 */
export function setAwaitHook(hook: <T>(f: Future<T>, propagate: boolean) => Promise<T>): void {
  awaitHook = hook;
}

/** The CancelledError a cancelled future rejects with; a CancelledError reason is kept as it is. */
export function toCancelledError(reason: unknown): CancelledError {
  if (reason instanceof CancelledError) return reason;
  if (reason === undefined) return new CancelledError();
  const msg = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'The operation was cancelled';
  return new CancelledError(msg, { cause: reason });
}

function runCallback<T>(fn: DoneCallback<T>, f: Future<T>): void {
  try {
    fn(f);
  } catch (err) {
    // Python logs and goes on ("exception calling callback for <Future>"); so do we.
    process.emitWarning(
      `A done callback of a Future threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      'WeftWarning',
    );
  }
}

/** @internal runs the callbacks and settles the lazy promise; the state is already set. */
export function finish<T>(f: Future<T>): void {
  const res = f._resolve;
  if (res !== undefined) {
    if (f._state === S.Cancelled) f._reject!(toCancelledError(f._value));
    else if (f._failed) f._reject!(f._value);
    else res(f._value as T);
    f._resolve = f._reject = undefined;
  }
  const cbs = f._callbacks;
  if (cbs !== undefined) {
    f._callbacks = undefined;
    if (typeof cbs === 'function') runCallback(cbs, f);
    else for (let i = 0; i < cbs.length; i++) runCallback(cbs[i]!, f);
  }
}

/** @internal finishes `f` with a value or an error; false (nothing changes) if it is already done. */
export function settle(f: Future<any>, value: unknown, failed: boolean): boolean {
  if (f._state >= S.Cancelled) return false;
  f._state = S.Finished;
  f._value = value;
  f._failed = failed;
  finish(f);
  return true;
}

/** @internal */
export function settleCancelled(f: Future<any>, reason: unknown): boolean {
  if (f._state >= S.Cancelled) return false;
  f._state = S.Cancelled;
  f._value = reason;
  finish(f);
  return true;
}
