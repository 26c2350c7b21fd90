import { ThreadPoolExecutor } from './thread-pool.js';

/**
 * Python 3.14's `concurrent.futures.InterpreterPoolExecutor`: a pool where each worker
 * is an interpreter of its own, running truly in parallel. In Node that is exactly a
 * worker thread (an isolate per worker), so this is {@link ThreadPoolExecutor} under
 * the name Python users look for; same options, same behaviour.
 *
 * @example
 * await using pool = new InterpreterPoolExecutor({ maxWorkers: 4 });
 * const n = await pool.submit(tasks.fib, 30);
 */
export const InterpreterPoolExecutor: typeof ThreadPoolExecutor = ThreadPoolExecutor;
/** An {@link InterpreterPoolExecutor} instance (a {@link ThreadPoolExecutor}). */
export type InterpreterPoolExecutor = ThreadPoolExecutor;
