/**
 * toThread: run a function in the default worker-thread pool. The pool module is
 * loaded with a dynamic import on first use, so importing weft/asyncio never loads
 * worker_threads machinery; the pool is registered as a default executor, and `run()`
 * shuts it down at the end.
 */
import { registerDefaultExecutor, unregisterDefaultExecutor } from '../core/defaults.js';
import { describe } from '../core/errors.js';
import { Future, S } from '../core/future.js';
import { setCancelled, setException, setResult, setRunning } from '../core/internal.js';
import type { TaskRef } from '../core/tasks.js';

interface PoolLike {
  submit(fn: unknown, ...args: unknown[]): Future<unknown>;
  shutdown(opts?: { wait?: boolean; cancelFutures?: boolean }): Promise<void>;
}

let defaultPool: Promise<PoolLike> | undefined;

/** Wraps the pool so that shutting it down through the registry also forgets it. */
const handle = {
  pool: undefined as PoolLike | undefined,
  shutdown(opts?: { wait?: boolean; cancelFutures?: boolean }): Promise<void> {
    const p = handle.pool;
    handle.pool = undefined;
    defaultPool = undefined;
    return p === undefined ? Promise.resolve() : p.shutdown(opts);
  },
};

function getPool(): Promise<PoolLike> {
  return (defaultPool ??= import('../futures/thread-pool.js').then(
    (m) => {
      const pool = new m.ThreadPoolExecutor({ name: 'weft-asyncio-default' }) as unknown as PoolLike;
      handle.pool = pool;
      registerDefaultExecutor(handle);
      return pool;
    },
    (e) => {
      defaultPool = undefined;
      throw e;
    },
  ));
}

/** @internal shuts the default pool down now (tests). */
export async function shutdownDefaultThreadPool(): Promise<void> {
  unregisterDefaultExecutor(handle);
  await handle.shutdown({ wait: true });
}

/** The Future toThread returns: forwards cancellation to the pool's future. */
class ThreadFuture<T> extends Future<T> {
  /** @internal */ _inner: Future<unknown> | undefined = undefined;
  override _cancel(reason: unknown, wasRunning: boolean): boolean {
    this._inner?.cancel(reason);
    return super._cancel(reason, wasRunning);
  }
}

/**
 * Runs `fn(...args)` in a worker thread of the default thread pool and returns a
 * Future of its result (Python's `asyncio.to_thread`). Unlike Python's, the thread
 * is a real parallel isolate: `fn` must be a {@link TaskRef} from a task module or a
 * self-contained inline function (see `defineTasks`). Cancelling the Future (or the
 * task awaiting it) cancels the work: its `currentSignal()` aborts.
 *
 * @param fn a TaskRef or a self-contained function.
 * @param args its arguments (structured-cloned).
 * @returns a Future of the result.
 * @throws (as a rejection) the function's error, TaskDefinitionError for a function
 *   that uses its enclosing scope, TypeError if `fn` is not a function.
 *
 * @example
 * const n = await toThread(tasks.fib, 30);
 */
export function toThread<A extends unknown[], R>(fn: TaskRef<A, R> | ((...a: A) => R), ...args: A): Future<Awaited<R>> {
  const out = new ThreadFuture<Awaited<R>>();
  if (typeof fn !== 'function') {
    setException(out, new TypeError(`toThread(fn, ...args) expects a function or a TaskRef, got ${describe(fn)}`));
    return out;
  }
  getPool().then(
    (pool) => {
      if (out._state >= S.Cancelled) return;
      const inner = pool.submit(fn, ...args);
      out._inner = inner;
      setRunning(out);
      inner.addDoneCallback((f) => {
        if (f._state === S.Cancelled) setCancelled(out, f._value);
        else if (f._failed) setException(out, f._value);
        else setResult(out, f._value as Awaited<R>);
      });
    },
    (e) => {
      setException(out, e);
    },
  );
  return out;
}
