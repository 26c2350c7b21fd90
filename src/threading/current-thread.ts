/**
 * Which thread is running this code.
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { getRuntime } from '../core/runtime.js';

/** What {@link currentThread} returns. */
export interface ThreadInfo {
  /** 'MainThread' on the main thread; the `Thread`'s name inside one; else 'Worker-<threadId>'. */
  readonly name: string;
  /** `worker_threads.threadId` (0 on the main thread); the same number as the `Thread`'s `ident`. */
  readonly ident: number;
  /** True on the main thread. */
  readonly isMain: boolean;
}

/**
 * Python's `threading.get_ident()`: this thread's id (`worker_threads.threadId`; 0 on
 * the main thread), the same number as `currentThread().ident` and a `Thread`'s `ident`.
 *
 * @example
 * console.log(`running in thread ${getIdent()}`);
 */
export function getIdent(): number {
  return threadId;
}

/**
 * Python's `threading.current_thread()`: the name and id of the thread running now.
 *
 * @example
 * const { name, ident, isMain } = currentThread();
 */
export function currentThread(): ThreadInfo {
  const rt = getRuntime();
  const name = rt.kind === 'thread' && rt.name !== undefined ? rt.name : isMainThread ? 'MainThread' : `Worker-${threadId}`;
  return { name, ident: threadId, isMain: isMainThread };
}
