/**
 * weft/asyncio: Python's asyncio for Node.js: tasks with real cancellation, task
 * groups, timeouts, and fair synchronization primitives on this event loop.
 * Importing it loads no worker machinery (`toThread` imports its pool on first use).
 */
export { run, type RunOptions } from './run.js';
export { sleep } from './sleep.js';
export { Task, type TaskOptions } from './task.js';
export { createTask } from './create-task.js';
export { currentTask } from './current-task.js';
export { allTasks } from './all-tasks.js';
export { createSubprocessExec, type Subprocess, type SubprocessOptions, type StdioMode } from './subprocess.js';
export { TaskGroup } from './task-group.js';
export { taskGroup } from './task-group-fn.js';
export { gather } from './gather.js';
export {
  wait,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  ALL_COMPLETED,
  type ReturnWhen,
  type WaitForOptions,
  type WaitResult,
  type AsFuture,
} from './wait.js';
export { asCompleted, type AsCompletedOptions } from './as-completed.js';
export { timeout } from './timeout.js';
export { timeoutAt } from './timeout-at.js';
export { moveOnAfter } from './move-on-after.js';
export { waitFor } from './wait-for.js';
export { shield } from './shield.js';
export { toThread } from './to-thread.js';
export { Lock, type LockStatistics } from './lock.js';
export { Event, type EventStatistics } from './event.js';
export { Condition, type ConditionStatistics } from './condition.js';
export { Semaphore, type SemaphoreStatistics } from './semaphore.js';
export { BoundedSemaphore } from './bounded-semaphore.js';
export { Barrier, type BarrierStatistics } from './barrier.js';
export { Queue, type QueueOptions, type QueueStatistics } from './queue.js';
export { PriorityQueue } from './priority-queue.js';
export { LifoQueue } from './lifo-queue.js';
export { Guard } from '../core/guard.js';
export type { WaitOptions } from '../core/waiters.js';
export { Future, type FutureState } from '../core/future.js';
export { currentSignal } from '../core/context.js';
export {
  CancelledError,
  TimeoutError,
  InvalidStateError,
  ExceptionGroup,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  BrokenBarrierError,
  ValueError,
  // toThread's work runs in a worker thread:
  WorkerCrashedError,
  TaskDefinitionError,
} from '../core/errors.js';
