/**
 * @internal The engine of timeout / timeoutAt / moveOnAfter: the body runs in a child
 * cancel scope that is cancelled when the deadline passes. A CancelledError coming out
 * of the body after that is turned into TimeoutError (or into `undefined`). The body's
 * cleanup runs before the caller resumes, as with Python's `asyncio.timeout`.
 */
import { currentContext, runInContext } from '../core/context.js';
import { CancelledError, TimeoutError, describe } from '../core/errors.js';
import { Scope } from '../core/scope.js';

class DeadlineScope extends Scope {
  expired = false;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
}

function expire(s: DeadlineScope): void {
  s.timer = undefined;
  s.expired = true;
  s._fromParent = false;
  s.cancel(new CancelledError('The deadline passed'));
}

/** @internal */
export function checkMs(where: string, ms: unknown): number {
  if (typeof ms !== 'number' || Number.isNaN(ms)) throw new RangeError(`${where} expects milliseconds as a number, got ${describe(ms)}`);
  return ms;
}

/** @internal */
export function checkBody(where: string, body: unknown): void {
  if (typeof body !== 'function') throw new TypeError(`${where} expects a function () => promise as body, got ${describe(body)}`);
}

/** @internal runs body with a deadline `delay` ms from now; `move`: expiry yields undefined instead of TimeoutError. */
export async function runWithDeadline<T>(delay: number, body: () => Promise<T> | T, move: boolean, what: string): Promise<T | undefined> {
  const ctx = currentContext();
  const scope = new DeadlineScope(ctx?.task, ctx);
  if (delay <= 0) expire(scope);
  else if (delay !== Infinity) scope.timer = setTimeout(expire, delay > 0x7fffffff ? 0x7fffffff : delay, scope);
  try {
    return await runInContext(scope, body);
  } catch (e) {
    if (scope.expired && e instanceof CancelledError) {
      if (move) return undefined;
      throw new TimeoutError(`${what} passed`, { cause: e });
    }
    throw e;
  } finally {
    if (scope.timer !== undefined) clearTimeout(scope.timer);
    scope.close();
  }
}
