/**
 * The one fair FIFO waiter queue under every weft/asyncio primitive, and the
 * cancellable wait it holds.
 *
 * A `Wait` is one pending operation (a sleep, a `lock.acquire()`, a `q.get()`, ...).
 * It can end in exactly one of four ways, whichever comes first:
 *
 *     granted (resolve)  ── the primitive hands it a permit / an item / a notification
 *     cancelled          ── the task's scope (or a foreign context signal) was cancelled
 *     aborted            ── the caller's `signal` aborted
 *     timed out          ── `timeout` ms passed
 *
 * Every way out goes through `_detach()`, which unlinks the wait from its queue and
 * its scope, removes the signal listeners and clears the timer, so nothing leaks.
 *
 * Hand-off: primitives never "wake and let the waiter retry". A release hands the
 * permit (or a put hands the item) to the head waiter by resolving its promise. A
 * promise settles once, so a wait that was granted can no longer be cancelled: the
 * caller owns what it was given, and a cancellation arriving later is delivered to
 * the task's next wait instead. A wait that rejected was never given anything. That
 * is the whole cancel-safety argument: no permit and no item is ever lost.
 *
 * The queue is a ring buffer (O(1) push and shift, no Array.shift). A cancelled wait
 * leaves its slot as a tombstone (O(1)); tombstones are skipped when they reach the
 * head and the ring is compacted when they outnumber the live entries. A wait that
 * nothing can cancel (no task context, no signal, no timeout: plain `await
 * lock.acquire()` outside tasks) is stored as its bare resolve function, with no Wait
 * object: at 200k queued callers the queue's memory is what the GC pays for.
 * Waits are their own AbortSignal listener (`handleEvent`) and timers get the wait as
 * an argument, so no closure is allocated per wait besides the Promise executor.
 */
import { currentContext } from './context.js';
import { type CancelledError, TimeoutError, describe } from './errors.js';
import { toCancelledError } from './future.js';
import { Ring } from './ring.js';
import { isScope, link, scopeTake, unlink, type CancelNode, type ScopeState } from './scope.js';

/** Options every waiting method takes. */
export interface WaitOptions {
  /** Aborting it rejects the wait with `CancelledError` (the signal's reason as `cause`). */
  signal?: AbortSignal;
  /** Milliseconds to wait at most; then the wait rejects with `TimeoutError`. `Infinity` or undefined: no limit. */
  timeout?: number;
}

function onTimer(w: Wait): void {
  w.timer = undefined;
  w._timeout();
}

/**
 * @internal One pending wait. Subclasses change what a timeout means (a sleep resolves).
 */
export class Wait<T = any> implements CancelNode {
  // scope links (CancelNode)
  _sp: CancelNode | null = null;
  _sn: CancelNode | null = null;
  _sc: ScopeState | null = null;
  /** the queue holding it (its slot becomes a tombstone when it leaves early) */
  q: WaiterQueue | null = null;
  resolve: (v: T) => void = noop;
  reject: (e: unknown) => void = noop;
  /** caller's signal, and the signal of a foreign (non-Scope) task context */
  signal: AbortSignal | undefined = undefined;
  ctxSignal: AbortSignal | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** what the primitive stores with the wait (an item to put, an index, ...) */
  data: unknown = undefined;
  timeoutMs = 0;
  done = false;

  /** Unlinks from everything; after this the wait can only be settled by whoever detached it. */
  _detach(): void {
    this.done = true;
    const q = this.q;
    if (q !== null) q._remove(this);
    if (this._sc !== null) unlink(this);
    if (this.signal !== undefined) {
      this.signal.removeEventListener('abort', this);
      this.signal = undefined;
    }
    if (this.ctxSignal !== undefined) {
      this.ctxSignal.removeEventListener('abort', this);
      this.ctxSignal = undefined;
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Rejects with `err` unless already settled; tells the queue's owner. */
  _fail(err: unknown): void {
    if (this.done) return;
    const q = this.q;
    this._detach();
    this.reject(err);
    if (q !== null && q.onAbort !== undefined) q.onAbort(this);
  }

  /** Resolves with `value` unless already settled. */
  _grant(value: T): boolean {
    if (this.done) return false;
    this._detach();
    this.resolve(value);
    return true;
  }

  /** @internal the scope was cancelled */
  _onCancel(reason: CancelledError): boolean {
    this._fail(reason);
    return true;
  }

  /** @internal a signal aborted */
  handleEvent(ev: Event): void {
    this._fail(toCancelledError((ev.target as AbortSignal).reason));
  }

  /** @internal the timeout passed */
  _timeout(): void {
    this._fail(new TimeoutError(`Timed out after ${this.timeoutMs} ms`));
  }
}

function noop(): void {}

/**
 * @internal Creates the promise of `w` without allocating an executor closure per wait:
 * the Promise executor runs synchronously, so a module slot is enough to pass `w`.
 */
let arming: Wait | undefined;
function executor(res: (v: any) => void, rej: (e: unknown) => void): void {
  const w = arming!;
  w.resolve = res;
  w.reject = rej;
}
export function promiseOf<T>(w: Wait<T>): Promise<T> {
  arming = w as Wait;
  const p = new Promise<T>(executor);
  arming = undefined;
  return p;
}

/**
 * @internal Hooks `w` up to the current task's scope (or foreign context signal), the
 * caller's signal and the timeout. Returns the error to reject with at once (a pending
 * cancellation, an aborted signal, a non-positive timeout), or undefined.
 * Nothing is left attached when an error is returned.
 */
export function armWait(w: Wait, signal: AbortSignal | undefined, timeout: number | undefined, useContext = true): unknown {
  if (useContext) {
    const ctx = currentContext();
    if (ctx !== undefined) {
      if (isScope(ctx)) {
        const err = scopeTake(ctx);
        if (err !== undefined) return err;
        link(ctx, w);
      } else {
        const s = ctx.signal;
        if (s.aborted) return toCancelledError(s.reason);
        s.addEventListener('abort', w);
        w.ctxSignal = s;
      }
    }
  }
  if (signal !== undefined) {
    if (signal.aborted) {
      w._detach();
      w.done = false;
      return toCancelledError(signal.reason);
    }
    signal.addEventListener('abort', w);
    w.signal = signal;
  }
  if (timeout !== undefined && timeout !== Infinity) {
    if (timeout <= 0) {
      w._detach();
      w.done = false;
      return new TimeoutError(`Timed out after ${timeout} ms`);
    }
    w.timeoutMs = timeout;
    w.timer = setTimeout(onTimer, timeout > 0x7fffffff ? 0x7fffffff : timeout, w);
  }
  return undefined;
}

/**
 * @internal Checks `{ signal, timeout }`; returns a TypeError/RangeError to reject with, or undefined.
 */
export function checkWaitOptions(o: unknown, where: string): Error | undefined {
  if (o === undefined) return undefined;
  if (o === null || typeof o !== 'object')
    return new TypeError(`${where}: options must be an object like { signal, timeout }, got ${describe(o)}`);
  const { signal, timeout } = o as WaitOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return new TypeError(`${where}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) {
    return new RangeError(`${where}: timeout must be a number of milliseconds >= 0 (or Infinity), got ${describe(timeout)}`);
  }
  return undefined;
}

/** A queue entry: a cancellable Wait, or the bare resolve function of a wait nothing can cancel. */
type Entry<T> = Wait<T> | ((v: T | PromiseLike<T>) => void);

let pushing: WaiterQueue | undefined;
function pushResolver(res: (v: any) => void): void {
  const q = pushing!;
  q.ring.push(res);
  q.size++;
}

/**
 * @internal The fair FIFO queue of waits. Owners (Lock, Queue, ...) call `wait()` to
 * enqueue and `grantHead()` / `grantAll()` / `failAll()` to settle.
 */
export class WaiterQueue<T = any> {
  /** @internal entries in FIFO order, tombstones included */
  readonly ring = new Ring<Entry<T>>();
  /** number of live waits in the queue */
  size = 0;
  /** @internal tombstones in the ring */
  dead = 0;
  /** called after a wait left the queue by cancellation / abort / timeout */
  onAbort: ((w: Wait<T>) => void) | undefined;

  constructor(onAbort?: (w: Wait<T>) => void) {
    this.onAbort = onAbort;
  }

  /**
   * Enqueues a wait and returns its promise.
   * Rejects at once on a pending cancellation, an aborted signal or `timeout <= 0`.
   * @param useContext false: not cancelled by the current task (internal re-acquires).
   */
  wait(o: WaitOptions | undefined, useContext = true): Promise<T> {
    if (o === undefined || (o.signal === undefined && (o.timeout === undefined || o.timeout === Infinity))) {
      if (!useContext || currentContext() === undefined) {
        // Nothing can cancel this wait: store only its resolve function.
        pushing = this as WaiterQueue;
        const p = new Promise<T>(pushResolver);
        pushing = undefined;
        return p;
      }
    }
    return this.enqueue(new Wait<T>(), o, undefined, useContext);
  }

  /** Like `wait()`, keeping `data` with the wait (a putter's item). */
  waitWith(o: WaitOptions | undefined, data: unknown): Promise<T> {
    return this.enqueue(new Wait<T>(), o, data, true);
  }

  /** Like `wait()`, with a caller-made Wait (a subclass). */
  enqueue(w: Wait<T>, o: WaitOptions | undefined, data?: unknown, useContext = true): Promise<T> {
    w.data = data;
    const err = armWait(w, o?.signal, o?.timeout, useContext);
    if (err !== undefined) return Promise.reject(err);
    const p = promiseOf(w);
    w.q = this as WaiterQueue;
    this.ring.push(w);
    this.size++;
    return p;
  }

  /** @internal a wait left early: its slot becomes a tombstone */
  _remove(w: Wait): void {
    w.q = null;
    this.size--;
    if (++this.dead > 64 && this.dead > this.size) this._compact();
  }

  /** @internal drops the tombstones */
  _compact(): void {
    const r = this.ring;
    for (let n = r.length; n > 0; n--) {
      const e = r.shift()!;
      if (typeof e === 'function' || e.q !== null) r.push(e);
    }
    this.dead = 0;
  }

  /** @internal removes and returns the first live entry (detached from the queue), or undefined */
  _shift(): Entry<T> | undefined {
    const r = this.ring;
    while (r.length > 0) {
      const e = r.shift()!;
      if (typeof e === 'function') {
        this.size--;
        return e;
      }
      if (e.q === null) {
        this.dead--;
        continue;
      }
      e.q = null;
      this.size--;
      return e;
    }
    return undefined;
  }

  /** The first live wait if it is a Wait object (putters always are), else null. */
  peekWait(): Wait<T> | null {
    const r = this.ring;
    while (r.length > 0) {
      const e = r.peek()!;
      if (typeof e === 'function') return null;
      if (e.q !== null) return e;
      r.shift();
      this.dead--;
    }
    return null;
  }

  /** Resolves the first wait with `value`; false if the queue is empty. */
  grantHead(value: T): boolean {
    const e = this._shift();
    if (e === undefined) return false;
    if (typeof e === 'function') e(value);
    else e._grant(value);
    return true;
  }

  /** Resolves every wait with `value`; returns how many. */
  grantAll(value: T): number {
    let n = 0;
    while (this.grantHead(value)) n++;
    return n;
  }

  /** Rejects every wait with `err` (no onAbort call); returns how many. */
  failAll(err: unknown): number {
    let n = 0;
    let e: Entry<T> | undefined;
    while ((e = this._shift()) !== undefined) {
      if (typeof e === 'function') e(Promise.reject(err));
      else {
        e._detach();
        e.reject(err);
      }
      n++;
    }
    return n;
  }
}
