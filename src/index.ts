/**
 * weft: Python's concurrency toolkit for TypeScript on Node.js.
 *
 * The names used most often, from every part of weft. Each model also has
 * its own entry point: weft/futures, weft/asyncio, weft/threading,
 * weft/multiprocessing.
 */
export * from './core/errors.js';
export { defineTasks, tasksFrom, transfer, isTaskRef, type TaskRef, type TaskTable, type TaskRefsOf, type Transferable } from './core/tasks.js';
export { currentSignal } from './core/context.js';
export * from './futures/index.js';
export { cpuCount } from './core/cpu.js';
