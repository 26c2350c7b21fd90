import { currentContext, runInContext } from '../core/context.js';
import { describe } from '../core/errors.js';
import { Scope } from '../core/scope.js';
import { TaskGroup } from './task-group.js';

/**
 * Runs `body` with a new {@link TaskGroup} and waits for every task it started
 * (Python's `async with asyncio.TaskGroup() as tg:`). The body runs in its own cancel
 * scope: the first child failure cancels the siblings *and* the body. An error thrown
 * by the body cancels the children too and is reported with theirs.
 *
 * @param body receives the group; its result is `taskGroup`'s result.
 * @returns the body's result (undefined if the body was cancelled by `tg.cancel()`).
 * @throws ExceptionGroup of every failure (children and body); CancelledError if the
 *   calling task was cancelled; TypeError if `body` is not a function.
 *
 * @example
 * const [a, b] = await taskGroup(async (tg) => {
 *   const t1 = tg.createTask(() => fetchA());
 *   const t2 = tg.createTask(() => fetchB());
 *   return [t1, t2];
 * }).then(([t1, t2]) => [t1.result(), t2.result()]);
 */
export async function taskGroup<T>(body: (tg: TaskGroup) => Promise<T> | T): Promise<T> {
  if (typeof body !== 'function') throw new TypeError(`taskGroup(body) expects a function (tg) => promise, got ${describe(body)}`);
  const tg = new TaskGroup();
  const ctx = currentContext();
  const scope = new Scope(ctx?.task, ctx);
  tg._body = scope;
  if (tg._aborting) scope.cancel(tg._cancelReason ?? tg._parentCancel);
  let result: T | undefined;
  let failed = false;
  let error: unknown;
  try {
    result = await runInContext(scope, body, tg);
  } catch (e) {
    failed = true;
    error = e;
  } finally {
    scope.close();
  }
  await tg._exit(failed, error);
  return result as T;
}
