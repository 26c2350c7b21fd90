/**
 * Internal task module: what a `Thread`'s worker runs before the target.
 */
import { threadId } from 'node:worker_threads';
import { defineTasks } from '../core/tasks.js';
import { setCurrentThreadName } from './current-thread.js';

export default defineTasks(import.meta.url, {
  /** Names the worker (for `currentThread()`) and reports its `threadId`. */
  identify(name: string): number {
    setCurrentThreadName(name);
    return threadId;
  },
});
