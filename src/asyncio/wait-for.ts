import { CancelledError, TimeoutError } from '../core/errors.js';
import { type Future, S } from '../core/future.js';
import { toFuture, wait } from '../core/wait.js';
import { timeout as timeoutOpt } from '../core/options.js';
import { Task } from './task.js';

function settled(f: Future<unknown>): Promise<void> {
  return f.asPromise().then(noop, noop);
}
function noop(): void {}

/**
 * Waits for an awaitable with a time limit (Python's `asyncio.wait_for`). On expiry a
 * Future/Task is cancelled (a Task is awaited until its cleanup ran) and `waitFor`
 * rejects with TimeoutError. If the calling task is cancelled, the awaitable is
 * cancelled too, and `waitFor` rejects once a Task has finished its cleanup. A plain
 * promise cannot be cancelled: it is left to settle on its own.
 *
 * @param aw a Task, Future or promise.
 * @param ms milliseconds: `Infinity` (or undefined) waits forever; zero or negative does
 *   not wait (a Task that has not finished is cancelled and TimeoutError is thrown).
 * @returns its result.
 * @throws TimeoutError on expiry; its own error; CancelledError if cancelled;
 *   TypeError if `ms` is not a number.
 *
 * @example
 * const line = await waitFor(q.get(), 1000);
 */
export async function waitFor<T>(aw: PromiseLike<T>, ms: number): Promise<T> {
  const limit = timeoutOpt('waitFor(aw, ms)', 'ms', ms);
  const f = toFuture(aw) as Future<T>;
  if (limit <= 0 && f._state < S.Cancelled) {
    // Python's special case: do not wait, and do not let a task that has not started
    // start: cancel it now (synchronously) and wait for it to finish cancelling.
    f.cancel(new TimeoutError(`waitFor: not done within ${ms} ms`));
    if (f instanceof Task) await settled(f);
    if (f._state !== S.Finished) throw new TimeoutError(`waitFor: not done within ${ms} ms`);
  } else if (f._state < S.Cancelled) {
    let res: { done: Set<Future<T>>; notDone: Set<Future<T>> };
    try {
      res = await wait([f], { timeout: limit });
    } catch (e) {
      if (e instanceof CancelledError) {
        f.cancel(e);
        // As on expiry: the caller resumes once the inner task has finished cancelling.
        if (f instanceof Task) await settled(f);
      }
      throw e;
    }
    if (res.notDone.size > 0) {
      f.cancel(new TimeoutError(`waitFor: not done within ${ms} ms`));
      if (f instanceof Task) await settled(f);
      if (f._state !== S.Finished) throw new TimeoutError(`waitFor: not done within ${ms} ms`);
    }
  }
  return f.result();
}
