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
 *    (A wake this thread sends to a waitAsync of its own is delivered by a task V8
 *    posts to Node's platform; Node drains those before it lets the loop end, so it is
 *    never lost.)
 * 2. A `waitAsync` cannot be withdrawn. When its signal aborts, the waiter wakes
 *    every waiter of the word (`Atomics.notify(all)`): the stale waiter leaves the
 *    queue at once, so it can never swallow a wake meant for a live waiter, and the
 *    others re-check their condition and sleep again (every loop here re-checks).
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { InvalidStateError } from '../core/errors.js';
import { currentContext } from '../core/context.js';
import { toCancelledError } from '../core/future.js';
import { deadlineIn, options, signal as signalOpt, timeout as timeoutOpt } from '../core/options.js';
import { listenAbort, unlistenAbort, type AbortNode } from '../core/scope.js';
import { cancel as cancelTimer, later, type Later } from '../core/timers.js';

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

const ASYNC_KEYS = ['timeout', 'signal'] as const;
const SYNC_KEYS = ['timeout'] as const;

/**
 * Checks `opts` (core/options.ts: unknown keys and wrong types are TypeErrors) and
 * turns `timeout` into a deadline on `performance.now()`'s clock, Python's way:
 * undefined or Infinity: none (Infinity); zero or negative: now (do not wait); any
 * finite value exactly. `sync`: a blocking method, whose options have no `signal`.
 */
export function deadlineOf(method: string, opts: SyncWaitOptions | WaitOptions | undefined, sync?: boolean): number {
  if (opts === undefined) return Infinity;
  const o = options(method, opts, (sync ?? method.includes('Sync(')) ? SYNC_KEYS : ASYNC_KEYS);
  return deadlineIn(timeoutOpt(method, 'timeout', o.timeout));
}

/** Milliseconds left until `deadline` (>= 0; Infinity when there is none). */
export function remaining(deadline: number): number {
  if (deadline === Infinity) return Infinity;
  const ms = deadline - performance.now();
  return ms >= 1 ? ms : 0; // a sub-millisecond remainder is not worth another sleep
}

/** The signals an async wait honours: `opts.signal` and the current task's (none: undefined). */
export type Signals = AbortSignal | readonly [AbortSignal, AbortSignal] | undefined;

/**
 * The signals an async wait honours: `opts.signal` and the current task's, kept apart
 * (no `AbortSignal.any` per wait). Throws CancelledError if one is already aborted.
 */
export function signalOf(method: string, opts: WaitOptions | undefined): Signals {
  const own = opts === undefined ? undefined : signalOpt(method, 'signal', opts.signal);
  const ctx = currentContext()?.signal;
  if (own?.aborted) throw toCancelledError(own.reason);
  if (ctx?.aborted) throw toCancelledError(ctx.reason);
  if (own === undefined || ctx === undefined || own === ctx) return own ?? ctx;
  return [own, ctx];
}

/** The CancelledError to throw if one of `signals` has aborted, else undefined. */
export function abortedBy(signals: Signals): unknown {
  if (signals === undefined) return undefined;
  if (signals instanceof AbortSignal) return signals.aborted ? toCancelledError(signals.reason) : undefined;
  for (const s of signals) if (s.aborted) return toCancelledError(s.reason);
  return undefined;
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

/** One async sleep on a word, told when a signal aborts (one listener per signal: see core/scope.ts). */
class Sleeper implements AbortNode {
  resolve: (v: WaitResult) => void = noop;
  reject: (e: unknown) => void = noop;
  keepAlive: Later | undefined = undefined;
  done = false;
  constructor(
    readonly i32: Int32Array,
    readonly index: number,
    readonly signals: Signals,
  ) {}

  finish(): void {
    this.done = true;
    cancelTimer(this.keepAlive);
    const s = this.signals;
    if (s instanceof AbortSignal) unlistenAbort(s, this);
    else if (s !== undefined) for (const x of s) unlistenAbort(x, this);
  }

  woke(v: WaitResult): void {
    if (this.done) return;
    this.finish();
    this.resolve(v);
  }

  _onAbort(reason: unknown): void {
    if (this.done) return;
    this.finish();
    Atomics.notify(this.i32, this.index); // flush our stale waiter out of the queue (see the top of this file)
    this.reject(toCancelledError(reason));
  }
}

/**
 * Sleeps (asynchronously) while `i32[index] === expected`, until notified or the
 * deadline. Rejects with `CancelledError` when one of `signals` aborts.
 */
export function waitAsyncOn(i32: Int32Array, index: number, expected: number, deadline: number, signals: Signals): Promise<WaitResult> {
  const ms = remaining(deadline);
  if (ms === 0) return Promise.resolve('timed-out');
  const r = waitAsync(i32, index, expected, ms);
  if (!r.async) return Promise.resolve(r.value);
  if (ms === Infinity && signals === undefined) return r.value;
  const sl = new Sleeper(i32, index, signals);
  return new Promise<WaitResult>((resolve, reject) => {
    sl.resolve = resolve;
    sl.reject = reject;
    // V8 resolves a timed-out waitAsync from a delayed platform task that does not
    // keep the loop alive: hold it open past the deadline, until the promise settles.
    if (ms !== Infinity) sl.keepAlive = later(noop, ms + 1000);
    r.value.then((v) => sl.woke(v), noop);
    if (signals instanceof AbortSignal) listenAbort(signals, sl);
    else if (signals !== undefined) for (const x of signals) listenAbort(x, sl);
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
