/**
 * @internal The FIFO of waits under every brokered primitive, in the process
 * that holds it.
 *
 * A wait is made either by this process's own code (the local client: its
 * options' signal and the current task's cancellation apply, and while it waits
 * a live child keeps the program up, see children.ts) or on behalf of another
 * process (a remote client: the call's signal aborts when that process cancels
 * the wait or dies).
 *
 * A wait ends exactly once, whichever comes first: granted (the primitive hands
 * it a value), cancelled (a signal aborted), timed out, or failed by the
 * primitive (reset, abort). Primitives never "wake and let the waiter retry": a
 * release hands the lock to the head waiter by granting it.
 *
 * Cancel wins: a grant resolves the wait's promise, but the caller resumes a
 * little later. If its signal aborted in between, `settle()` gives the value
 * back (the item to the front of the queue, the lock to the next waiter) and
 * the caller gets CancelledError: a wait that reports cancellation never keeps
 * what it was given.
 *
 * Timers come from core/timers.ts (`later`), so a 30-day timeout is honoured
 * exactly. Timers of remote waits are unref'd: a child waiting with a timeout
 * does not keep the holder alive (the child's own liveness does that).
 */
import { cancel, later } from '../core/timers.js';
import type { Later } from '../core/timers.js';
import { LOCAL_CLIENT, type BrokerClient } from '../transport/brokered.js';
import { listenAbort, unlistenAbort, type AbortNode } from '../core/scope.js';
import { toCancelledError } from '../core/future.js';
import { localWaitEnded, localWaitStarted } from './children.js';

/** How one wait may end besides being granted. */
export interface WaitSpec {
  /** Who waits (LOCAL_CLIENT for this process's own code). */
  readonly client: BrokerClient;
  /** Signals that cancel it (the options' signal, the current task's, a remote call's). */
  readonly s1: AbortSignal | undefined;
  readonly s2: AbortSignal | undefined;
  /** Milliseconds: Infinity waits forever, 0 does not wait. */
  readonly timeout: number;
}

/** A spec for a wait on behalf of another process's call. */
export function remoteSpec(client: BrokerClient, signal: AbortSignal, timeout: number): WaitSpec {
  return { client, s1: signal, s2: undefined, timeout };
}

/** The first aborted signal of `spec`, if any. */
export function abortedSignal(spec: WaitSpec): AbortSignal | undefined {
  if (spec.s1?.aborted) return spec.s1;
  if (spec.s2?.aborted) return spec.s2;
  return undefined;
}

/** One pending wait. */
export class Waiter<T> implements AbortNode {
  done = false;
  /** still in its list's array (a wait that ends there leaves a tombstone) */
  inList = true;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  timer: Later | undefined;
  constructor(
    readonly list: WaitList<T>,
    readonly spec: WaitSpec,
    /** what the primitive keeps with the wait (a putter's item, ...) */
    readonly data: unknown,
    private readonly timeoutError: () => unknown,
  ) {}

  private detach(): boolean {
    if (this.done) return false;
    this.done = true;
    this.list.live--;
    if (this.inList) this.list._tombstone();
    cancel(this.timer);
    this.timer = undefined;
    const { s1, s2, client } = this.spec;
    if (s1 !== undefined) unlistenAbort(s1, this);
    if (s2 !== undefined) unlistenAbort(s2, this);
    if (client === LOCAL_CLIENT) localWaitEnded();
    return true;
  }

  /** Resolves it with `v`; false if it had already ended. */
  grant(v: T): boolean {
    if (!this.detach()) return false;
    this.resolve(v);
    return true;
  }

  /** Rejects it with `err`; false if it had already ended. */
  fail(err: unknown): boolean {
    if (!this.detach()) return false;
    this.reject(err);
    return true;
  }

  /** AbortNode: a signal of the spec aborted. */
  _onAbort(reason: unknown): void {
    if (this.fail(toCancelledError(reason))) this.list.onLeave?.(this, 'cancelled');
  }

  /** The timeout passed. */
  expire(): void {
    if (this.fail(this.timeoutError())) this.list.onLeave?.(this, 'timeout');
  }
}

function expire(w: Waiter<unknown>): void {
  w.timer = undefined;
  w.expire();
}

/** A FIFO of waits. */
export class WaitList<T> {
  private items: Waiter<T>[] = [];
  private head = 0;
  /** @internal waits not ended */
  live = 0;
  private dead = 0;
  /** Called after a wait left without being granted (cancelled, or timed out). */
  onLeave: ((w: Waiter<T>, why: 'cancelled' | 'timeout') => void) | undefined;

  /** Waits not ended. */
  get size(): number {
    return this.live;
  }

  /**
   * Enqueues a wait. Rejects at once if a signal of `spec` has aborted, or with
   * `timeoutError()` if `spec.timeout` is 0 (do not wait).
   */
  wait(spec: WaitSpec, timeoutError: () => unknown, data?: unknown): Promise<T> {
    const aborted = abortedSignal(spec);
    if (aborted !== undefined) return Promise.reject(toCancelledError(aborted.reason));
    if (spec.timeout <= 0) return Promise.reject(timeoutError());
    const w = new Waiter<T>(this, spec, data, timeoutError);
    const p = new Promise<T>((resolve, reject) => {
      w.resolve = resolve;
      w.reject = reject;
    });
    this.live++;
    this.items.push(w);
    if (spec.client === LOCAL_CLIENT) localWaitStarted();
    if (spec.s1 !== undefined) listenAbort(spec.s1, w);
    if (spec.s2 !== undefined) listenAbort(spec.s2, w);
    if (spec.timeout !== Infinity) {
      w.timer = later(expire, spec.timeout, w as Waiter<unknown>);
      if (spec.client !== LOCAL_CLIENT) w.timer.unref();
    }
    return p;
  }

  /** @internal a wait ended while in the array: compact once the dead outnumber the live. */
  _tombstone(): void {
    if (++this.dead <= 64 || this.dead <= this.live) return;
    const keep: Waiter<T>[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const w = this.items[i]!;
      if (!w.done) keep.push(w);
    }
    this.items = keep;
    this.head = 0;
    this.dead = 0;
  }

  /** The first wait not ended, removed from the list (still pending: grant or fail it). */
  shift(): Waiter<T> | undefined {
    while (this.head < this.items.length) {
      const w = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as Waiter<T>;
      w.inList = false;
      if (w.done) this.dead--;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (!w.done) return w;
    }
    return undefined;
  }

  /** Grants the first wait `v`; false if none is waiting. */
  grantHead(v: T): boolean {
    for (let w = this.shift(); w !== undefined; w = this.shift()) if (w.grant(v)) return true;
    return false;
  }

  /** Grants every wait; returns how many. */
  grantAll(v: T): number {
    let n = 0;
    while (this.grantHead(v)) n++;
    return n;
  }

  /** Fails every wait with `err`; returns how many. */
  failAll(err: unknown): number {
    let n = 0;
    for (let w = this.shift(); w !== undefined; w = this.shift()) if (w.fail(err)) n++;
    return n;
  }
}

/**
 * Cancel wins: resolves with the granted value unless a signal of `spec` aborted
 * before the caller resumed; then `giveBack(value)` runs and it rejects with
 * CancelledError.
 */
export function settle<T>(p: Promise<T>, spec: WaitSpec, giveBack: ((v: T) => void) | undefined): Promise<T> {
  if (spec.s1 === undefined && spec.s2 === undefined) return p;
  return p.then((v) => {
    const s = abortedSignal(spec);
    if (s === undefined) return v;
    giveBack?.(v);
    throw toCancelledError(s.reason);
  });
}
