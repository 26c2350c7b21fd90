/**
 * weft/multiprocessing: Python's multiprocessing for Node.js.
 *
 * Child processes (isolation: a crash or an out-of-memory stays inside),
 * a Pool on top of ProcessPoolExecutor, and shared state that works across
 * the processes it is passed to, brokered by the process that made it:
 * Queue, JoinableQueue, Pipe, Value, SharedArray, Lock, RLock, Semaphore,
 * BoundedSemaphore, Event, Condition, Barrier.
 */
export { Process, type ProcessOptions } from './process.js';
export { currentProcess, type ProcessInfo } from './current-process.js';
export { activeChildren } from './children.js';
export { Pool, type PoolOptions, type PoolTask } from './pool.js';
export { AsyncResult, type AsyncResultCallbacks } from './async-result.js';
export { Queue, type QueueWaitOptions, type QueueOptions } from './queue.js';
export { JoinableQueue } from './joinable-queue.js';
export { Pipe, Connection, EOFError } from './pipe.js';
export {
  Value,
  SharedArray,
  type ValueConstructor,
  type SharedArrayConstructor,
  type NumberKind,
  type BigKind,
  type NumKind,
} from './value.js';
export { Lock, RLock, type LockStatistics } from './lock.js';
export { Semaphore, BoundedSemaphore, type SemaphoreStatistics } from './semaphore.js';
export { Event } from './event.js';
export { Condition } from './condition.js';
export { Barrier, type BarrierStatistics } from './barrier.js';
export { Guard, type WaitOptions } from './_brokered.js';
export { cpuCount } from '../core/cpu.js';
// The errors this module's API throws.
export {
  CancelledError,
  TimeoutError,
  InvalidStateError,
  ValueError,
  QueueEmpty,
  QueueFull,
  BrokenBarrierError,
  BrokenExecutorError,
  WorkerCrashedError,
  TaskDefinitionError,
  ExecutorShutdownError,
} from '../core/errors.js';
