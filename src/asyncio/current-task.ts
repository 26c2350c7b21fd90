import { currentContext } from '../core/context.js';
import { isScope } from '../core/scope.js';
import { Task } from './task.js';

/**
 * The asyncio {@link Task} running the code that calls it (Python's `asyncio.current_task`).
 *
 * @returns the Task, or undefined outside any task (plain code, a worker thread's task).
 *
 * @example
 * await run(async () => console.log(currentTask()?.name)); // "main"
 */
export function currentTask(): Task<unknown> | undefined {
  const ctx = currentContext();
  if (!isScope(ctx)) return undefined;
  const t = ctx.task;
  return t instanceof Task ? t : undefined;
}
