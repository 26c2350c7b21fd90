/**
 * The only way to settle a Future. Used by executors, asyncio Tasks and tests;
 * never re-exported from a public entry point.
 *
 * Every function returns false (and changes nothing) when the future is already
 * done, so a late result after a cancellation is dropped, never double-settled.
 */
import { Future, S, settle, settleCancelled, type CancelHandler } from './future.js';

export { S as FutureStates, settleCancelled as setCancelled, type CancelHandler };

/** pending -> running. False if the future was cancelled meanwhile (then do not run the task). */
export function setRunning(f: Future<any>): boolean {
  if (f._state !== S.Pending) return f._state === S.Running;
  f._state = S.Running;
  return true;
}

/** Back to pending (a task re-queued after its worker died before starting it). */
export function setPending(f: Future<any>): boolean {
  if (f._state !== S.Running) return f._state === S.Pending;
  f._state = S.Pending;
  return true;
}

export function setResult<T>(f: Future<T>, value: T): boolean {
  return settle(f, value, false);
}

export function setException(f: Future<any>, error: unknown): boolean {
  return settle(f, error, true);
}

/** A future that is already failed (for argument errors reported through the future, never thrown). */
export function failedFuture<T>(error: unknown): Future<T> {
  const f = new Future<T>();
  setException(f, error);
  return f;
}

/** Sets who is told when `f` is cancelled, and the owner's bookkeeping for it. */
export function own(f: Future<any>, owner: CancelHandler, slot: unknown): void {
  f._owner = owner;
  f._slot = slot;
}

export function slotOf<T>(f: Future<any>): T {
  return f._slot as T;
}

/** Reads the settled value without throwing: for executors that forward outcomes. */
export function outcome(f: Future<any>): { state: 'finished' | 'cancelled'; failed: boolean; value: unknown } | undefined {
  if (f._state < S.Cancelled) return undefined;
  return { state: f._state === S.Cancelled ? 'cancelled' : 'finished', failed: f._failed, value: f._value };
}
