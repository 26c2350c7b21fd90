import { Task, type TaskOptions } from './task.js';

/**
 * Runs `fn` concurrently as a {@link Task} (Python's `asyncio.create_task`). It starts
 * on the next microtask, in its own cancel scope: cancelling the task that created it
 * does not cancel it (use a `TaskGroup` for that).
 *
 * @param fn the task's body: a function returning a value or a promise.
 * @param opts `name`.
 * @returns the Task (a Future: `await` it, `cancel()` it, `addDoneCallback` on it).
 * @throws TypeError if `fn` is not a function.
 *
 * @example
 * const t1 = createTask(() => sayAfter(1000, 'hello'));
 * const t2 = createTask(() => sayAfter(2000, 'world'));
 * await t1; await t2;
 */
export function createTask<T>(fn: () => T | PromiseLike<T>, opts?: TaskOptions): Task<Awaited<T>> {
  return new Task(fn as () => Awaited<T> | PromiseLike<Awaited<T>>, opts);
}
