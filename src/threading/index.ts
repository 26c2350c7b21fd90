/**
 * weft/threading: Python's `threading` for Node.js worker threads. Threads share
 * memory only through SharedArrayBuffer; every primitive here lives in one, and
 * works on every thread it is passed to (as a `Thread` argument or a
 * `ThreadPoolExecutor` task argument).
 *
 * See docs/threading.md for a guide and the Python -> weft name table.
 */
export { Thread, type ThreadOptions } from './thread.js';
export { currentThread, getIdent, type ThreadInfo } from './current-thread.js';
export { Timer, type TimerOptions } from './timer.js';
export { enumerate } from './enumerate.js';
export { Lock } from './lock.js';
export { RLock } from './rlock.js';
export { Condition } from './condition.js';
export { Semaphore } from './semaphore.js';
export { BoundedSemaphore } from './bounded-semaphore.js';
export { Event } from './event.js';
export { Barrier } from './barrier.js';
export { Queue, type QueueOptions } from './queue.js';
export { Value, type ValueKind, type ValueType } from './value.js';
export { SharedArray, type ArrayKind, type ArrayOf, type SharedTypedArray, type SharedArrayConstructor } from './shared-array.js';
export { Guard, type WaitOptions, type SyncWaitOptions } from './_wait.js';
export { abandonLocksOf } from './_robust.js';
export { revive } from './revive.js';
// The errors its API throws (each entry point exports its own).
export {
  CancelledError,
  TimeoutError,
  InvalidStateError,
  BrokenBarrierError,
  ValueError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  WorkerCrashedError,
  TaskDefinitionError,
} from '../core/errors.js';
