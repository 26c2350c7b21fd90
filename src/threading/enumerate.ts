import { liveThreads, type Thread } from './thread.js';

/**
 * Python's `threading.enumerate()`: the live {@link Thread} objects (and Timers) this
 * thread started: started and not yet ended. The main thread and threads started by
 * other threads are not listed (they are not `Thread` objects of this thread).
 *
 * @example
 * for (const t of enumerate()) console.log(t.name, t.ident);
 */
export function enumerate(): Thread[] {
  return [...liveThreads];
}
