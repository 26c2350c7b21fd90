/**
 * The current task's context: which AbortSignal cancels the code running now.
 *
 * Two sources, checked in order:
 * 1. an asyncio Task or AsyncExecutor task on this event loop: carried by an
 *    AsyncLocalStorage, created lazily the first time something runs in a context
 *    (so code that never uses weft/asyncio never pays for async context tracking);
 * 2. a task run by a worker thread or child process: workers run one task at a
 *    time, so the run loop sets a plain slot around the call and no async context
 *    is needed there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What a running task exposes to the code inside it. */
export interface TaskContext {
  readonly signal: AbortSignal;
  /** The asyncio Task (or executor future) this context belongs to, if any. */
  readonly task?: unknown;
}

let storage: AsyncLocalStorage<TaskContext> | undefined;
let workerContext: TaskContext | undefined;
let neverAborted: AbortSignal | undefined;

/** Runs `fn(...args)` with `ctx` as the current context (asyncio tasks, AsyncExecutor). */
export function runInContext<R, A extends unknown[] = []>(ctx: TaskContext, fn: (...args: A) => R, ...args: A): R {
  return (storage ??= new AsyncLocalStorage<TaskContext>()).run(ctx, fn, ...args);
}

/**
 * @internal Runs `fn(a, b)` outside any asyncio context (the worker slot is kept):
 * completion handlers use it so a task's done callbacks do not run inside the task.
 */
export function runOutsideContext<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
  const s = storage;
  // Not `s.exit()`: on Node 20 it disables and re-enables the async hooks on every call.
  if (s === undefined || s.getStore() === undefined) fn(a, b);
  else s.run(undefined as unknown as TaskContext, fn, a, b);
}

/** The context of the code running now, if it runs inside a weft task. */
export function currentContext(): TaskContext | undefined {
  return storage?.getStore() ?? workerContext;
}

/** @internal set by the worker run loop around each task. */
export function setWorkerContext(ctx: TaskContext | undefined): void {
  workerContext = ctx;
}

/**
 * The AbortSignal of the task running now (a worker thread's task, a child
 * process's task, an asyncio Task): it aborts when that task is cancelled or
 * times out. Pass it to `fetch`, timers and streams. Outside any task it is a
 * signal that never aborts.
 *
 * @example
 * export default defineTasks(import.meta.url, {
 *   async fetchText(url: string) { return (await fetch(url, { signal: currentSignal() })).text(); },
 * });
 */
export function currentSignal(): AbortSignal {
  const ctx = storage?.getStore() ?? workerContext;
  if (ctx !== undefined) return ctx.signal;
  return (neverAborted ??= new AbortController().signal);
}
