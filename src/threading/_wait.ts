/**
 * Internal: the waiting machinery under every weft/threading primitive.
 *
 * Two ways to sleep on a 32-bit word of a SharedArrayBuffer:
 * - `Atomics.wait` (blocking; worker threads only: blocking the main thread is never right),
 * - `Atomics.waitAsync` (a promise; every thread).
 * Both wake on `Atomics.notify` of the same word; V8 keeps one FIFO of waiters per
 * word for both kinds, so a notify can wake a sync waiter in one thread and an
 * async one in another.
 *
 * Two details of `waitAsync` in Node shape this file:
 * 1. A pending `waitAsync` does not keep the event loop alive, even with a timeout.
 *    A timed wait therefore holds a ref'd timer for its duration (Python keeps the
 *    interpreter alive while a thread waits with a timeout); an untimed wait does
 *    not (the worker that holds the lock keeps the process alive, unless it is a
 *    daemon: then the process may exit, as Python's does).
 * 2. A `waitAsync` cannot be withdrawn. When its signal aborts, the waiter wakes
 *    every waiter of the word (`Atomics.notify(all)`): the stale waiter leaves the
 *    queue at once, so it can never swallow a wake meant for a live waiter, and the
 *    others re-check their condition and sleep again (every loop here re-checks).
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { InvalidStateError, describe } from '../core/errors.js';
import { currentContext } from '../core/context.js';
import { toCancelledError } from '../core/future.js';

/** This thread's id (`worker_threads.threadId`; 0 on the main thread). */
export const THREAD_ID: number = threadId;
export const IS_MAIN: boolean = isMainThread;

/** Options of every async wait. */
export interface WaitOptions {
  /** Milliseconds to wait at most; `TimeoutError` after that. Default: no limit. */
  timeout?: number;
  /** Aborting it rejects the wait with `CancelledError`. The current task's signal applies as well. */
  signal?: AbortSignal;
}

/** Options of every blocking wait (worker threads only). */
export interface SyncWaitOptions {
  /** Milliseconds to wait at most; `TimeoutError` after that. Default: no limit. */
  timeout?: number;
}

type WaitResult = 'ok' | 'not-equal' | 'timed-out';
type WaitAsync = (
  ta: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
const noop = (): void => {};

/** Checks `opts` and turns `timeout` into a deadline on `performance.now()`'s clock (Infinity: none). */
export function deadlineOf(method: string, opts: SyncWaitOptions | WaitOptions | undefined): number {
  if (opts === undefined) return Infinity;
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`${method} expects an options object like { timeout: 100 }, got ${describe(opts)}`);
  }
  const t = opts.timeout;
  if (t === undefined) return Infinity;
  if (typeof t !== 'number') throw new TypeError(`${method}: timeout must be a number of milliseconds, got ${describe(t)}`);
  if (!(t >= 0)) throw new RangeError(`${method}: timeout must be >= 0 milliseconds (or Infinity), got ${describe(t)}`);
  return t === Infinity ? Infinity : performance.now() + t;
}

/** Milliseconds left until `deadline` (>= 0; Infinity when there is none). */
export function remaining(deadline: number): number {
  if (deadline === Infinity) return Infinity;
  const ms = deadline - performance.now();
  return ms >= 1 ? ms : 0; // a sub-millisecond remainder is not worth another sleep
}

/** The signal an async wait honours: `opts.signal` and the current task's, combined. */
export function signalOf(method: string, opts: WaitOptions | undefined): AbortSignal | undefined {
  const own = opts?.signal;
  if (own !== undefined && !(own instanceof AbortSignal)) {
    throw new TypeError(`${method}: signal must be an AbortSignal, got ${describe(own)}`);
  }
  const ctx = currentContext()?.signal;
  const s = own === undefined ? ctx : ctx === undefined || ctx === own ? own : AbortSignal.any([own, ctx]);
  if (s?.aborted) throw toCancelledError(s.reason);
  return s;
}

/** Throws on the main thread: `method` would block it. */
export function assertCanBlock(method: string, asyncTwin: string): void {
  if (IS_MAIN) {
    throw new InvalidStateError(
      `${method} blocks the calling thread and is only allowed in worker threads; on the main thread use ${asyncTwin}`,
    );
  }
}

/** Blocks while `i32[index] === expected`, until notified or the deadline. */
export function waitSync(i32: Int32Array, index: number, expected: number, deadline: number): WaitResult {
  const ms = remaining(deadline);
  if (ms === 0) return 'timed-out';
  return Atomics.wait(i32, index, expected, ms);
}

/**
 * Sleeps (asynchronously) while `i32[index] === expected`, until notified or the
 * deadline. Rejects with `CancelledError` when `signal` aborts.
 */
export function waitAsyncOn(
  i32: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<WaitResult> {
  const ms = remaining(deadline);
  if (ms === 0) return Promise.resolve('timed-out');
  const r = waitAsync(i32, index, expected, ms);
  if (!r.async) return Promise.resolve(r.value);
  if (ms === Infinity && signal === undefined) return r.value;
  return new Promise<WaitResult>((resolve, reject) => {
    // V8 resolves a timed-out waitAsync from a delayed platform task that does not
    // keep the loop alive: hold it open past the deadline, until the promise settles.
    const keepAlive = ms === Infinity ? undefined : setTimeout(noop, ms + 1000);
    let onAbort: (() => void) | undefined;
    const cleanup = (): void => {
      if (keepAlive !== undefined) clearTimeout(keepAlive);
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
    };
    r.value.then((v) => {
      cleanup();
      resolve(v);
    }, noop);
    if (signal !== undefined) {
      onAbort = () => {
        cleanup();
        Atomics.notify(i32, index); // flush our stale waiter out of the queue (see the top of this file)
        reject(toCancelledError(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

/** A `Disposable` that releases what it guards once (`using _ = await lock.acquire()`). */
export class Guard implements Disposable {
  private released = false;
  /** @internal */
  constructor(
    private readonly target: { release(): void },
    abandoned = false,
  ) {
    this.abandoned = abandoned;
  }
  /**
   * True when the lock was taken over from a thread that ended while holding it
   * (see "Owner death" in docs/threading.md): the data it protects may be half-updated.
   * Always false for semaphores.
   */
  readonly abandoned: boolean;
  /** Releases the lock (or semaphore slot) now; later calls, and disposal, do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.target.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

/** Kinds of typed arrays a `SharedArray` / `Value` can have. */
export const ARRAY_KINDS = {
  int8: Int8Array,
  uint8: Uint8Array,
  uint8clamped: Uint8ClampedArray,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
} as const;
