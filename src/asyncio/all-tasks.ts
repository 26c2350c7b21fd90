import { tasksNotDone, type Task } from './task.js';

/**
 * The Tasks not yet done (Python's `asyncio.all_tasks()`): created with `createTask`,
 * a `TaskGroup` or `run()`, and not finished or cancelled, in creation order. A new
 * Set each call. As in Python (a WeakSet), the registry does not keep a task alive:
 * a task stuck on a promise that nothing else references can be garbage-collected,
 * and is then no longer listed.
 *
 * @example
 * await run(async () => {
 *   createTask(() => sleep(1000));
 *   console.log(allTasks().size); // 2: main and the sleeper
 * });
 */
export function allTasks(): Set<Task<unknown>> {
  return new Set(tasksNotDone());
}
