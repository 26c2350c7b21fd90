import { notDone, type Task } from './task.js';

/**
 * The Tasks not yet done (Python's `asyncio.all_tasks()`): created with `createTask`,
 * a `TaskGroup` or `run()`, and not finished or cancelled. A new Set each call.
 *
 * @example
 * await run(async () => {
 *   createTask(() => sleep(1000));
 *   console.log(allTasks().size); // 2: main and the sleeper
 * });
 */
export function allTasks(): Set<Task<unknown>> {
  return new Set(notDone);
}
