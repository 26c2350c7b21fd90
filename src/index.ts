/**
 * weft: Python's concurrency toolkit for TypeScript on Node.js.
 *
 * The names used most often, from every part of weft. Each model also has
 * its own entry point: weft/futures, weft/asyncio, weft/threading,
 * weft/multiprocessing.
 */
export * from './core/errors.js';
export {
  defineTasks,
  tasksFrom,
  transfer,
  isTaskRef,
  type TaskRef,
  type TaskTable,
  type TaskRefsOf,
  type Transferable,
} from './core/tasks.js';
export { currentSignal } from './core/context.js';
export { isMainModule } from './core/runtime.js';
export * from './futures/index.js';
export { cpuCount } from './core/cpu.js';

// asyncio: the names that do not clash with the other models (its primitives
// live in weft/asyncio, and in the `asyncio` namespace below).
export {
  run,
  sleep,
  Task,
  createTask,
  currentTask,
  TaskGroup,
  taskGroup,
  gather,
  timeout,
  timeoutAt,
  moveOnAfter,
  waitFor,
  shield,
  toThread,
} from './asyncio/index.js';
// threading and multiprocessing: the classes with one meaning in weft.
export { Thread, Timer, currentThread, getIdent, Value, SharedArray } from './threading/index.js';
export { Process, currentProcess, Pool, AsyncResult, Pipe, Connection } from './multiprocessing/index.js';

/**
 * Each model as a namespace, for the names that exist in several of them:
 * `new asyncio.Lock()` (one event loop), `new threading.Lock()` (shared memory,
 * across threads), `new multiprocessing.Queue()` (across processes).
 */
export * as asyncio from './asyncio/index.js';
export * as threading from './threading/index.js';
export * as multiprocessing from './multiprocessing/index.js';
