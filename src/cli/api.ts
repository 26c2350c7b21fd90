/**
 * The parts of weft's public API the CLI uses, reached through the public
 * entry points only (weft, weft/futures, weft/asyncio, weft/threading).
 *
 * weft/asyncio, weft/threading and ProcessPoolExecutor are looked up when first
 * needed rather than imported statically: a model whose module cannot be loaded
 * is reported as unavailable and the rest of the demo still runs.
 */
import * as futures from '../futures/index.js';
import type { Executor } from '../futures/index.js';
import type { TaskRef } from '../index.js';
import type { Lock, Value, SharedArray } from '../threading/index.js';

export { ThreadPoolExecutor, AsyncExecutor, type Executor } from '../futures/index.js';
export { cpuCount, tasksFrom, type TaskRef } from '../index.js';

/** Options the CLI passes to a pool (thread or process). */
export interface PoolOpts { maxWorkers?: number; initializer?: TaskRef<any[], unknown>; initargs?: unknown[] }
/** The constructor of ProcessPoolExecutor. */
export type PoolCtor = new (opts?: PoolOpts) => Executor;

/** ProcessPoolExecutor from weft/futures, or undefined while it is not there. */
export function processPoolExecutor(): PoolCtor | undefined {
  const ctor = (futures as unknown as Record<string, unknown>).ProcessPoolExecutor;
  return typeof ctor === 'function' ? ctor as PoolCtor : undefined;
}

/** What the CLI uses of weft/asyncio. */
export interface AsyncioApi {
  run<T>(main: () => Promise<T>, opts?: { handleSignals?: boolean }): Promise<T>;
  createTask<T>(fn: () => Promise<T> | T, opts?: { name?: string }): PromiseLike<T>;
  gather<T>(...aws: (PromiseLike<T> | T)[]): PromiseLike<T[]>;
  Semaphore: new (value?: number) => { acquire(): Promise<unknown>; release(): void };
  Lock?: new () => { acquire(): Promise<unknown>; release(): void };
}

/** What the CLI uses of weft/threading. */
export interface ThreadingApi { Lock: typeof Lock; Value: typeof Value; SharedArray: typeof SharedArray }

async function load<T>(rel: string, check: (m: Record<string, unknown>) => boolean): Promise<{ api?: T; error?: string }> {
  try {
    const m = await import(new URL(rel, import.meta.url).href) as Record<string, unknown>;
    return check(m) ? { api: m as T } : { error: `${rel} lacks the functions the demo needs` };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0] };
  }
}

let asyncioP: Promise<{ api?: AsyncioApi; error?: string }> | undefined;
let threadingP: Promise<{ api?: ThreadingApi; error?: string }> | undefined;

/** weft/asyncio, or an error message saying why it could not be loaded. */
export function asyncio(): Promise<{ api?: AsyncioApi; error?: string }> {
  return asyncioP ??= load<AsyncioApi>('../asyncio/index.js',
    (m) => ['run', 'createTask', 'gather', 'Semaphore'].every((k) => typeof m[k] === 'function'));
}

/** weft/threading, or an error message saying why it could not be loaded. */
export function threading(): Promise<{ api?: ThreadingApi; error?: string }> {
  return threadingP ??= load<ThreadingApi>('../threading/index.js',
    (m) => ['Lock', 'Value', 'SharedArray'].every((k) => typeof m[k] === 'function'));
}
