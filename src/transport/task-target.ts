/**
 * How a task function travels: a TaskRef by its module URL and name, an inline
 * function by its source. One place for every sender (WorkerPoolExecutor,
 * multiprocessing Process, initializers).
 */
import { isTaskRef } from '../core/tasks.js';
import { TaskDefinitionError, describe } from '../core/errors.js';
import { F_EXPORT, F_INLINE, F_TABLE } from './protocol.js';

/** The `flags` (kind bits only), `target` and `name` fields of a task in a RUN batch. */
export interface TaskTarget {
  flags: number;
  target: string;
  name: string;
}

/**
 * Turns a TaskRef or an inline function into the fields a worker needs to find it.
 *
 * @param fn a TaskRef (defineTasks / tasksFrom) or a self-contained function.
 * @param to who it is shipped to, for the error message (default 'a worker').
 * @returns `{ flags, target, name }`: flags is F_TABLE, F_EXPORT or F_INLINE; add
 *   the argument flags (encodeArgs), F_CHUNK, F_NOTIFY_START to it as needed.
 * @throws TaskDefinitionError if `fn` is native or bound (its source cannot be shipped).
 *
 * @example
 * const { flags, target, name } = describeTask(tasks.fib);
 */
export function describeTask(fn: Function, to = 'a worker'): TaskTarget {
  if (isTaskRef(fn)) return { flags: fn.kind === 'table' ? F_TABLE : F_EXPORT, target: fn.module, name: fn.taskName };
  const src = Function.prototype.toString.call(fn);
  if (src.endsWith('{ [native code] }')) {
    throw new TaskDefinitionError(
      `${describe(fn)} is native or bound and cannot be shipped to ${to}; ` +
        'use a task module (defineTasks) or a self-contained inline function',
    );
  }
  return { flags: F_INLINE, target: src, name: '' };
}
