/**
 * weft/multiprocessing: Python's multiprocessing for Node.js.
 *
 * Child processes (isolation: a crash or an out-of-memory stays inside),
 * a Pool on top of ProcessPoolExecutor, and a Queue and Pipe that work across
 * the processes they are passed to (the parent brokers them).
 */
export { Process, type ProcessOptions } from './process.js';
export { currentProcess, type ProcessInfo } from './current-process.js';
export { Pool, type PoolOptions, type PoolTask } from './pool.js';
export { AsyncResult, type AsyncResultCallbacks } from './async-result.js';
export { Queue, type QueueWaitOptions } from './queue.js';
export { Pipe, Connection } from './pipe.js';
export { cpuCount } from '../core/cpu.js';
