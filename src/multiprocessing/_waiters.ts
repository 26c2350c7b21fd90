/**
 * @internal The FIFO of waits under every brokered primitive, in the process that
 * holds it: core/waiters.ts's `WaiterQueue` and `Wait`, the queue under every
 * weft/asyncio primitive, with what a brokered wait adds (who waits, its timeout's
 * error, keeping the program up while a child may still settle it).
 *
 * A wait is made either by this process's own code (the local client: its options'
 * signal applies, and inside an asyncio task it is linked into the task's cancel
 * scope as every core wait is, see core/scope.ts; while it waits a live child keeps
 * the program up, see children.ts) or on behalf of another process (a remote client:
 * the call's signal aborts when that process cancels the wait or dies; never the
 * context's cancellation, and its timer does not keep this process up).
 *
 * So inside a task a cancel() is delivered once (the wait consumes it, the task's
 * next wait works), a task that caught CancelledError waits again, and a `timeout()`
 * body's wait receives the expiry (the body's cleanup runs before TimeoutError).
 *
 * Cancel wins, as in core/waiters.ts: a task's wait granted the lock, an item, a
 * permit or a notification stays linked to its scope until the task resumes; a
 * cancel() in between makes it reject with CancelledError, and the primitive's
 * `onResume(w, value, cancel)` gives back what it got (the lock or permit to the next
 * waiter, the item to the front of the queue, the notification to the next waiter).
 * The wait's signal wins the same way (the brokered primitives' contract, kept from
 * before they shared the core queue: `signalWins`), so does a remote call's signal (its
 * process cancelled the wait, or died, before the grant was answered).
 */
import { TimeoutError } from '../core/errors.js';
import { WAITING, Wait, WaiterQueue } from '../core/waiters.js';
import { LOCAL_CLIENT, type BrokerClient } from '../transport/brokered.js';
import { localWaitEnded, localWaitStarted } from './children.js';

/** How one wait may end besides being granted. */
export interface WaitSpec {
  /** Who waits (LOCAL_CLIENT for this process's own code). */
  readonly client: BrokerClient;
  /** Aborting it cancels the wait (the options' signal, or a remote call's). */
  readonly signal: AbortSignal | undefined;
  /** Milliseconds: Infinity waits forever, 0 or less does not wait. */
  readonly timeout: number;
  /** The current asyncio task's (or foreign context's) cancellation applies too. */
  readonly context: boolean;
}

/** A spec for a wait on behalf of another process's call. */
export function remoteSpec(client: BrokerClient, signal: AbortSignal, timeout: number): WaitSpec {
  return { client, signal, timeout, context: false };
}

/** One pending brokered wait. */
export class Waiter<T> extends Wait<T> {
  /** counted by children.ts until it leaves `waiting` */
  #counted = false;
  /** it ended by its timeout (a Barrier breaks then) */
  timedOut = false;

  constructor(
    readonly client: BrokerClient,
    private readonly makeTimeoutError: () => unknown,
  ) {
    super();
  }

  override _detach(keepScope = false, keepSignal = false): void {
    super._detach(keepScope, keepSignal);
    if (this.#counted) {
      this.#counted = false;
      localWaitEnded();
    }
  }

  /** @internal enqueued: a local wait keeps the program up while a child lives */
  _started(): void {
    if (this.client === LOCAL_CLIENT) {
      this.#counted = true;
      localWaitStarted();
    } else this.timer?.unref();
  }

  override _timeout(): void {
    this.timedOut = true;
    super._timeout();
  }

  override _timeoutError(): unknown {
    return this.makeTimeoutError();
  }
}

/** A FIFO of brokered waits (a core WaiterQueue whose waits are all {@link Waiter}s). */
export class WaitList<T> extends WaiterQueue<T> {
  override signalWins = true;

  /**
   * Enqueues a wait. Rejects at once on a pending cancellation of the task, an aborted
   * signal, or with `timeoutError()` if `spec.timeout` is 0 or less (do not wait).
   */
  waitFor(spec: WaitSpec, timeoutError: () => unknown, data?: unknown): Promise<T> {
    const w = new Waiter<T>(spec.client, timeoutError);
    const p = this.enqueue(w, spec, data, spec.context);
    if (w.state === WAITING && w.q !== null) w._started();
    return p;
  }

  /** The first wait still waiting, if any (it stays first: grant it with `grantHead`). */
  head(): Waiter<T> | null {
    return this.peekWait() as Waiter<T> | null;
  }
}

/** The timeout error of a wait that names its call: `Lock.acquire() timed out after 50 ms`. */
export function timedOut(call: string, ms: number): () => Error {
  return () => new TimeoutError(`${call} timed out after ${ms} ms`);
}
