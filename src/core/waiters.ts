/**
 * The one fair FIFO waiter queue under every weft/asyncio primitive, and the
 * cancellable wait it holds.
 *
 * A `Wait` is one pending operation (a sleep, a `lock.acquire()`, a `q.get()`, ...).
 * Its life has three named states:
 *
 *     waiting ──grant──> resuming ──(its task resumes: the `then` job)──> done
 *        │                  │
 *        │                  └── the task is cancelled first: cancel wins (see below)
 *        └── cancelled / signal aborted / timed out / failed ──────────> done
 *
 * Every way out of `waiting` goes through `_detach()`, which unlinks the wait from its
 * queue, its signal and its timer, so nothing leaks.
 *
 * Hand-off: primitives never "wake and let the waiter retry". A release hands the
 * permit (or a put hands the item) to the head waiter, in FIFO order.
 *
 * Cancel wins (asyncio's rule). Python's task, once granted what it waited for, still
 * has to be scheduled before it resumes; a `task.cancel()` that returns true in that
 * gap makes the wait raise CancelledError, and the primitive's `except
 * CancelledError:` gives back what the wait got. weft does the same: a wait that
 * belongs to a task (it is linked into the task's cancel scope) is not resolved with
 * its value when granted but with itself, a thenable, and stays linked to the scope
 * in the `resuming` state. The promise machinery calls its `then` one job later: that
 * is the moment the task resumes. If the scope was cancelled meanwhile, the wait
 * consumed that cancellation (`_onCancel` returned true, so the task's cancel() is
 * not left pending for a later wait), and `then` rejects with CancelledError after the
 * queue's `onResume` hook gave back the permit, the notification or the item (to the
 * next waiter, or to the front of the queue). Either the caller gets the thing or the
 * primitive has it back: nothing is lost or duplicated.
 *
 *   t0  release() grants the lock to task A's wait   (A's wait: resuming, linked)
 *   t0  B calls A.cancel() -> true                   (A's wait consumes it: late = reason)
 *   t1  job: A's wait.then() runs: onResume releases the lock to C; A's acquire() rejects
 *
 * Waits outside any task (nothing can cancel them after a grant) resolve with their
 * value at once and cost nothing more, except behind a wait of the same queue that is
 * still resuming: then they too go through one job (a `Relay`, or the Wait itself), so
 * that callers resume in the order they were granted (FIFO as the callers see it, as in
 * asyncio, where every woken task resumes in wake-up order). Queues whose owner must see every waiter leave
 * (a Barrier counts its parties, a Queue reserves room for a putter) set `resumeAll`:
 * all their waits resume through `onResume`, in grant order.
 *
 * A queue with `signalWins` (the brokered primitives of weft/multiprocessing) gives the
 * wait's own AbortSignal the same power: aborted between the grant and the resume, the
 * wait rejects and `onResume` gives back what it got. asyncio's waits decide at the grant.
 *
 * The only gap left: the `then` job decides, and the caller's own continuation runs one
 * job later; a cancel() made by a microtask scheduled exactly between the two is
 * delivered at the task's next wait, as before.
 *
 * The queue is a ring buffer (O(1) push and shift, no Array.shift). A cancelled wait
 * leaves its slot as a tombstone (O(1)); tombstones are skipped when they reach the
 * head and the ring is compacted when they outnumber the live entries. A wait that
 * nothing can cancel (no task context, no signal, no timeout: plain `await
 * lock.acquire()` outside tasks) is stored as its bare resolve function, with no Wait
 * object: at 200k queued callers the queue's memory is what the GC pays for.
 *
 * Signals: however many waits use one AbortSignal, the signal has one listener (a
 * `Set` of the waits per signal, see `listenAbort` in scope.ts): 1000 waits on one signal
 * raise no MaxListenersExceededWarning and cost one listener, not 1000.
 */
import { currentContext } from './context.js';
import { type CancelledError, TimeoutError } from './errors.js';
import { toCancelledError } from './future.js';
import { options, signal as signalOpt, timeout as timeoutOpt } from './options.js';
import { Ring } from './ring.js';
import { linkToContext, listenAbort, unlink, unlistenAbort, type CancelNode, type ScopeState } from './scope.js';
import { cancel as cancelTimer, later, type Later } from './timers.js';

/** Options every waiting method takes. */
export interface WaitOptions {
  /** Aborting it rejects the wait with `CancelledError` (the signal's reason as `cause`). */
  signal?: AbortSignal;
  /**
   * Milliseconds to wait at most; then the wait rejects with `TimeoutError`. As in Python:
   * undefined or `Infinity` waits forever; zero or a negative number does not wait (only
   * succeeds if it can at once); any finite value is honoured exactly.
   */
  timeout?: number;
}

// ─── Wait ─────────────────────────────────────────────────────────────────────

function onTimer(w: Wait): void {
  w.timer = undefined;
  w._timeout();
}

/** The states of a {@link Wait}. */
export const WAITING = 0;
export const RESUMING = 1;
export const DONE = 2;

/** Grant results of {@link WaiterQueue.grantHead}: nobody waited; granted; granted, resumes later through `onResume`. */
export const NONE = 0;
export const GRANTED = 1;
export const DEFERRED = 2;
export type GrantResult = typeof NONE | typeof GRANTED | typeof DEFERRED;

/**
 * (Internal.) One pending wait. Subclasses change what a timeout means (a sleep resolves).
 */
export class Wait<T = any> {
  // cancel-scope links (CancelNode)
  _prevNode: CancelNode | null = null;
  _nextNode: CancelNode | null = null;
  _inScope: ScopeState | null = null;
  /** waiting, resuming or done (see the top of this file) */
  state: 0 | 1 | 2 = WAITING;
  /** the queue holding it (its slot becomes a tombstone when it leaves early) */
  q: WaiterQueue | null = null;
  /** the queue whose `onResume` runs when it resumes */
  resumeQ: WaiterQueue | null = null;
  resolve: (v: T) => void = noop;
  reject: (e: unknown) => void = noop;
  /** caller's signal, and the signal of a foreign (non-Scope) task context */
  signal: AbortSignal | undefined = undefined;
  ctxSignal: AbortSignal | undefined = undefined;
  timer: Later | undefined = undefined;
  /** what the primitive stores with the wait (an item to put, an index, ...) */
  data: unknown = undefined;
  /** what it was granted, while resuming */
  value: T | undefined = undefined;
  /** the cancellation that arrived while resuming */
  late: CancelledError | undefined = undefined;
  /** resuming through the queue's onResume (a task's wait, or a resumeAll queue's) */
  hooked = false;
  timeoutMs = 0;

  /** True once the wait left `waiting` (granted, failed, cancelled, timed out). */
  get done(): boolean {
    return this.state !== WAITING;
  }

  /**
   * Unlinks from everything (the scope too, unless `keepScope`; its signal too, unless
   * `keepSignal`); the wait leaves `waiting`.
   */
  _detach(keepScope = false, keepSignal = false): void {
    this.state = DONE;
    const q = this.q;
    if (q !== null) q._remove(this);
    if (!keepScope && this._inScope !== null) unlink(this);
    if (this.signal !== undefined && !keepSignal) {
      unlistenAbort(this.signal, this);
      this.signal = undefined;
    }
    if (this.ctxSignal !== undefined) {
      unlistenAbort(this.ctxSignal, this);
      this.ctxSignal = undefined;
    }
    if (this.timer !== undefined) {
      cancelTimer(this.timer);
      this.timer = undefined;
    }
  }

  /** Rejects with `err` unless already settled; tells the queue's owner. */
  _fail(err: unknown): void {
    if (this.state !== WAITING) return;
    const q = this.q;
    this._detach();
    this.reject(err);
    if (q !== null && q.onAbort !== undefined) q.onAbort(this);
  }

  /**
   * Grants `value` unless already settled: at once outside a task, else when the task
   * resumes (cancel wins in between, see the top of this file).
   * @returns NONE if it was no longer waiting, GRANTED, or DEFERRED.
   */
  _grant(value: T, q: WaiterQueue | null = this.q): GrantResult {
    if (this.state !== WAITING) return NONE;
    // Its signal too may still win (a queue with `signalWins`).
    const signalWins = this.signal !== undefined && q?.signalWins === true;
    if (this._inScope === null && (q === null || (!q.resumeAll && q.resuming === 0 && !signalWins))) {
      this._detach();
      this.resolve(value);
      return GRANTED;
    }
    this._detach(true, signalWins);
    this.state = RESUMING;
    this.value = value;
    this.resumeQ = q;
    if (q !== null) q.resuming++;
    // Only a wait that may still lose to a cancellation (a task's, or one whose signal
    // wins) or a resumeAll queue's wait goes through onResume; any other wait is
    // deferred only to keep the order.
    const hooked = this._inScope !== null || signalWins || q?.resumeAll === true;
    this.hooked = hooked;
    // Resolving with a thenable: the promise calls `this.then` in a job of its own.
    (this.resolve as (v: unknown) => void)(this);
    return hooked ? DEFERRED : GRANTED;
  }

  /**
   * @internal The resume point (called by the promise machinery, never by users): the
   * task's cancellation, if one arrived while resuming, wins over the grant.
   */
  then(res: (v: T) => void, rej: (e: unknown) => void): void {
    if (this._inScope !== null) unlink(this);
    if (this.signal !== undefined) {
      unlistenAbort(this.signal, this);
      this.signal = undefined;
    }
    this.state = DONE;
    const v = this.value as T;
    this.value = undefined;
    let err: unknown = this.late;
    this.late = undefined;
    const q = this.resumeQ;
    this.resumeQ = null;
    if (q !== null) q.resuming--;
    if (q !== null && this.hooked && q.onResume !== undefined) {
      try {
        const e = q.onResume(this, v, err as CancelledError | undefined);
        if (e !== undefined) err = e;
      } catch (e) {
        err = e;
      }
    }
    if (err !== undefined) rej(err);
    else res(v);
  }

  /** @internal the scope was cancelled */
  _onCancel(reason: CancelledError): boolean {
    if (this.state === RESUMING) {
      if (this.late === undefined) this.late = reason;
      unlink(this);
      return true;
    }
    if (this.state === DONE) return false;
    this._fail(reason);
    return true;
  }

  /** @internal a signal aborted (while resuming: only a `signalWins` queue's wait still listens) */
  _onAbort(reason: unknown): void {
    if (this.state === RESUMING) {
      this.signal = undefined;
      if (this.late === undefined) this.late = toCancelledError(reason);
      return;
    }
    this._fail(toCancelledError(reason));
  }

  /** @internal the timeout passed */
  _timeout(): void {
    this._fail(this._timeoutError(this.timeoutMs));
  }

  /** @internal what a timeout of `ms` rejects with (a subclass names its call, or uses QueueEmpty...) */
  _timeoutError(ms: number): unknown {
    return new TimeoutError(`Timed out after ${ms} ms`);
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
export function promiseOf<T>(w: Wait<T>, C: PromiseConstructor = Promise): Promise<T> {
  arming = w as Wait;
  const p = new C<T>(executor);
  arming = undefined;
  return p;
}

/**
 * @internal Hooks `w` up to the current task's scope (or foreign context signal), the
 * caller's signal and the timeout. Returns the error to reject with at once (a pending
 * cancellation, an aborted signal, a timeout <= 0: "do not wait"), or undefined.
 * Nothing is left attached when an error is returned.
 */
export function armWait(w: Wait, signal: AbortSignal | undefined, timeout: number | undefined, useContext = true): unknown {
  if (useContext) {
    const err = linkToContext(w);
    if (err !== undefined) return err;
  }
  if (signal !== undefined) {
    if (signal.aborted) {
      w._detach();
      w.state = WAITING;
      return toCancelledError(signal.reason);
    }
    listenAbort(signal, w);
    w.signal = signal;
  }
  if (timeout !== undefined && timeout !== Infinity) {
    if (!(timeout > 0)) {
      w._detach();
      w.state = WAITING;
      return w._timeoutError(timeout);
    }
    w.timeoutMs = timeout;
    w.timer = later(onTimer, timeout, w);
  }
  return undefined;
}

const WAIT_KEYS = ['signal', 'timeout'] as const;

/**
 * @internal Checks `{ signal, timeout }` (see core/options.ts): an unknown key, a wrong
 * type (a timeout of '5') is a TypeError, NaN a RangeError. Returns the error to reject
 * with, or undefined.
 */
export function checkWaitOptions(o: unknown, where: string, keys: readonly string[] = WAIT_KEYS): Error | undefined {
  if (o === undefined) return undefined;
  try {
    const c = options(where, o, keys as readonly ('signal' | 'timeout')[]);
    signalOpt(where, 'signal', c.signal);
    if (c.timeout !== undefined) timeoutOpt(where, 'timeout', c.timeout);
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

/**
 * A value handed to a plain waiter (a bare resolve function) through one extra job, so
 * that it resumes after the waits granted before it that are still resuming.
 */
class Relay<T> {
  constructor(
    readonly value: T,
    readonly q: WaiterQueue<T>,
  ) {
    q.resuming++;
  }
  then(res: (v: T) => void): void {
    this.q.resuming--;
    res(this.value);
  }
}

// ─── WaiterQueue ──────────────────────────────────────────────────────────────

/** A queue entry: a cancellable Wait, or the bare resolve function of a wait nothing can cancel. */
type Entry<T> = Wait<T> | ((v: T | PromiseLike<T>) => void);

let pushing: WaiterQueue | undefined;
function pushResolver(res: (v: any) => void): void {
  const q = pushing!;
  q.ring.push(res);
  q.size++;
}

/**
 * (Internal.) The fair FIFO queue of waits. Owners (Lock, Queue, ...) call `wait()` to
 * enqueue and `grantHead()` / `grantAll()` / `failAll()` to settle.
 */
export class WaiterQueue<T = any> {
  /** @internal entries in FIFO order, tombstones included */
  readonly ring = new Ring<Entry<T>>();
  /** number of live waits in the queue */
  size = 0;
  /** @internal tombstones in the ring */
  dead = 0;
  /** called after a wait left the queue by cancellation / abort / timeout (also when it left at once, never enqueued) */
  onAbort: ((w: Wait<T>) => void) | undefined;
  /**
   * Called when a granted wait resumes later than its grant (a task's wait, or any wait
   * with `resumeAll`). `cancel` is set when the task was cancelled meanwhile: the wait
   * will reject with it, and the owner gives back `value`. Returns an error to reject
   * with instead (or undefined).
   */
  onResume: ((w: Wait<T>, value: T, cancel: CancelledError | undefined) => unknown) | undefined = undefined;
  /** Every wait resumes through `onResume` (not only the waits of tasks). */
  resumeAll = false;
  /**
   * A wait's own signal, too, wins over a grant until the wait resumes (as a task's
   * cancellation does): it resumes through `onResume` with the cancellation. The
   * brokered primitives' rule (weft/multiprocessing); asyncio's waits decide at the grant.
   */
  signalWins = false;
  /** Granted waits (and relays) that have not resumed yet: later grants resume after them. */
  resuming = 0;
  /** The class of the promises `wait()` returns (an acquisition class for locks). */
  promiseClass: PromiseConstructor = Promise;

  constructor(onAbort?: (w: Wait<T>) => void) {
    this.onAbort = onAbort;
  }

  /**
   * Enqueues a wait and returns its promise.
   * Rejects at once on a pending cancellation, an aborted signal or `timeout <= 0`.
   * @param useContext false: not cancelled by the current task (internal re-acquires).
   */
  wait(o: WaitOptions | undefined, useContext = true): Promise<T> {
    if (!this.resumeAll && (o === undefined || (o.signal === undefined && (o.timeout === undefined || o.timeout === Infinity)))) {
      if (!useContext || currentContext() === undefined) {
        // Nothing can cancel this wait: store only its resolve function.
        pushing = this as WaiterQueue;
        const p = new this.promiseClass<T>(pushResolver);
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
    if (err !== undefined) {
      // It left before it waited (a pending cancellation, an aborted signal, a timeout <= 0).
      if (this.onAbort !== undefined) this.onAbort(w);
      return Promise.reject(err);
    }
    const p = promiseOf(w, this.promiseClass);
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

  /**
   * Grants `value` to the first wait. Truthy if someone got it: GRANTED, or DEFERRED
   * when that wait resumes later through `onResume` (a task's wait: it may still lose to
   * a cancellation and give `value` back).
   */
  grantHead(value: T): GrantResult {
    const e = this._shift();
    if (e === undefined) return NONE;
    if (typeof e === 'function') {
      // Behind a wait still resuming, a plain waiter resumes one job later too, so
      // waiters resume in the order they were granted.
      if (this.resuming > 0) e(new Relay(value, this) as unknown as T);
      else e(value);
      return GRANTED;
    }
    return e._grant(value, this);
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

// ─── `using _ = lock.acquire()` without await ─────────────────────────────────

/**
 * @internal The promise class of `acquire()`, so that `using _ = lock.acquire()` (await
 * forgotten) says so instead of the runtime's bare "Object not disposable": its
 * `[Symbol.dispose]` is a getter on the prototype that throws a TypeError naming the fix
 * at the `using` declaration (and releases the acquisition once it arrives, so nothing
 * stays locked). Its `constructor` is `Promise`, so `await` takes it as a native promise
 * and `then` derives plain promises: nothing per acquisition costs more than a Promise
 * (an own property on each promise made `await` several times slower). TypeScript
 * reports the mistake at compile time (the type is `Promise<Guard>`).
 */
export function acquisitionClass(call: string): PromiseConstructor {
  class Acquisition<T> extends Promise<T> {
    get [Symbol.dispose](): never {
      this.then(disposeNow, noop);
      throw new TypeError(
        `\`using _ = ${call}\` is missing await: write \`using _ = await ${call}\` (without it the block does not wait for the acquisition)`,
      );
    }
  }
  Object.defineProperty(Acquisition.prototype, 'constructor', { value: Promise, writable: true, configurable: true });
  return Acquisition as unknown as PromiseConstructor;
}

function disposeNow(g: unknown): void {
  (g as Disposable)[Symbol.dispose]();
}

let resolving: unknown;
function resolveSlot(res: (v: unknown) => void): void {
  res(resolving);
}

/** @internal A promise of class `C` already resolved with `value` (no closure). */
export function resolvedAs<T>(C: PromiseConstructor, value: T): Promise<T> {
  resolving = value;
  const p = new C<T>(resolveSlot as (res: (v: T) => void) => void);
  resolving = undefined;
  return p;
}
