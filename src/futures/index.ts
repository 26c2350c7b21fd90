/**
 * weft/futures: concurrent.futures for Node.js.
 * One Future and one Executor contract over worker threads, child processes
 * and this thread's event loop.
 */
export { Future, type FutureState } from '../core/future.js';
export {
  Executor,
  type SubmitOptions,
  type TaskFn,
  type ExecutorStats,
  type Percentiles,
  type MapOptions,
  type MapResult,
} from '../core/executor.js';
export { ThreadPoolExecutor, type ThreadPoolOptions } from './thread-pool.js';
export { InterpreterPoolExecutor } from './interpreter-pool.js';
export { ProcessPoolExecutor, type ProcessPoolOptions } from './process-pool.js';
export { AsyncExecutor } from './async-executor.js';
export { wait, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED } from '../core/wait.js';
export {
  CancelledError,
  TimeoutError,
  InvalidStateError,
  BrokenExecutorError,
  WorkerCrashedError,
  ExecutorShutdownError,
  QueueFullError,
  TaskDefinitionError,
} from '../core/errors.js';
