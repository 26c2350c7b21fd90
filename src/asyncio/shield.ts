import { Future, S } from '../core/future.js';
import { setCancelled, setException, setResult } from '../core/internal.js';
import { awaitInContext, toFuture } from '../core/wait.js';

/** A Future mirroring another; cancelling it (or the task awaiting it) leaves the inner one running. */
class ShieldFuture<T> extends Future<T> {
  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return awaitInContext(this, false).then(onfulfilled, onrejected);
  }
}

/**
 * Protects an awaitable from cancellation (Python's `asyncio.shield`). Cancelling the
 * returned Future, or the task awaiting it, rejects that await with CancelledError but
 * does not cancel `aw`, which runs on.
 *
 * @param aw a Task, Future or promise.
 * @returns a Future with `aw`'s outcome.
 *
 * @example
 * const save = createTask(() => saveState());
 * try { await shield(save); } catch (e) { if (e instanceof CancelledError) await save; throw e; }
 */
export function shield<T>(aw: PromiseLike<T>): Future<T> {
  const inner = toFuture(aw) as Future<T>;
  const outer = new ShieldFuture<T>();
  const copy = (f: Future<T>): void => {
    if (outer._state >= S.Cancelled) return;
    if (f._state === S.Cancelled) setCancelled(outer, f._value);
    else if (f._failed) setException(outer, f._value);
    else setResult(outer, f._value as T);
  };
  inner.addDoneCallback(copy);
  return outer;
}
