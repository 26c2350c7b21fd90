/**
 * @internal The engine of timeout / timeoutAt / moveOnAfter: the body runs in a child
 * cancel scope that is cancelled when the deadline passes. A CancelledError coming out
 * of the body after that is turned into TimeoutError (or into `undefined`).
 *
 * The deadline is enforced whatever the body returns:
 *
 *   at the deadline ── the scope is cancelled (the body's waits reject, its
 *        │              `currentSignal()` aborts) and a Future it returned is cancelled
 *        ├── a weft wait of the body received the cancellation, or the body holds a
 *        │   TaskGroup or a nested scope (they wind down their children): the body is
 *        │   cooperating, its cleanup runs, then TimeoutError (as Python's `asyncio.timeout`)
 *        └── nothing received it (the body returned a Future, a plain promise, or awaits
 *            something weft cannot interrupt): TimeoutError now; the promise is left to
 *            settle on its own and its outcome is dropped
 *
 * A cancellation of the enclosing task is handled the same way: delivered to the
 * body's wait if it has one, else the call rejects with CancelledError at once.
 */
import { currentContext, runInContext } from '../core/context.js';
import { CancelledError, TimeoutError, describe } from '../core/errors.js';
import { Future } from '../core/future.js';
import { timeout as timeoutOpt } from '../core/options.js';
import { Scope } from '../core/scope.js';
import { cancel as cancelTimer, later, type Later } from '../core/timers.js';

class DeadlineScope extends Scope {
  expired = false;
  timer: Later | undefined = undefined;
  /** what the body returned, when it is a Future (cancelled at the deadline) */
  future: Future<unknown> | undefined = undefined;
  /** settles the call now, when nothing in the body received a cancellation */
  enforce: ((reason: CancelledError) => void) | undefined = undefined;

  /** @internal the enclosing task was cancelled */
  override _onCancel(reason: CancelledError): boolean {
    super._onCancel(reason);
    if (this._pending && this._head === null && this.enforce !== undefined) {
      // Nothing in the body took it: this call delivers it.
      this._pending = false;
      this._fromParent = false;
      this.future?.cancel(reason);
      this.enforce(reason);
    }
    return true;
  }
}

function expire(s: DeadlineScope): void {
  s.timer = undefined;
  s.expired = true;
  s._fromParent = false;
  const reason = new CancelledError('The deadline passed');
  s.cancel(reason);
  s.future?.cancel(reason);
  if (s._pending && s._head === null && s.enforce !== undefined) {
    s._pending = false;
    s.enforce(reason);
  }
}

/** @internal checks a number of milliseconds (a timeout, a deadline): TypeError if not a number, RangeError for NaN */
export function checkMs(where: string, ms: unknown): number {
  timeoutOpt(where, 'ms', ms);
  return ms as number;
}

/** @internal */
export function checkBody(where: string, body: unknown): void {
  if (typeof body !== 'function') throw new TypeError(`${where} expects a function () => promise as body, got ${describe(body)}`);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** @internal runs body with a deadline `delay` ms from now; `move`: expiry yields undefined instead of TimeoutError. */
export function runWithDeadline<T>(delay: number, body: () => PromiseLike<T> | T, move: boolean, what: string): Promise<T | undefined> {
  const ctx = currentContext();
  const scope = new DeadlineScope(ctx?.task, ctx);
  let r: PromiseLike<T> | T;
  try {
    r = runInContext(scope, body);
  } catch (e) {
    scope.close();
    return Promise.reject(e);
  }
  if (!isThenable(r)) {
    scope.close();
    return Promise.resolve(r);
  }
  if (r instanceof Future) scope.future = r as Future<unknown>;
  return new Promise<T | undefined>((resolve, reject) => {
    let settled = false;
    const finish = (ok: boolean, v: unknown): void => {
      if (settled) return;
      settled = true;
      scope.enforce = undefined;
      if (scope.timer !== undefined) cancelTimer(scope.timer);
      scope.timer = undefined;
      scope.close();
      if (ok) resolve(v as T | undefined);
      else reject(v);
    };
    const timedOut = (cause: unknown): void => {
      if (move) finish(true, undefined);
      else finish(false, new TimeoutError(`${what} passed`, { cause }));
    };
    scope.enforce = (reason) => {
      if (scope.expired) timedOut(reason);
      else finish(false, reason);
    };
    (r as PromiseLike<T>).then(
      (v) => finish(true, v),
      (e) => {
        if (scope.expired && e instanceof CancelledError) timedOut(e);
        else finish(false, e);
      },
    );
    // A deadline already passed expires after what the body did synchronously (Python
    // schedules the expiry with call_soon): a body that already finished returns its value.
    if (delay <= 0) queueMicrotask(() => expire(scope));
    else if (delay !== Infinity) scope.timer = later(expire, delay, scope);
  });
}
