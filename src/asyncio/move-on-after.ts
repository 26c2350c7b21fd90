import { checkBody, checkMs, runWithDeadline } from './deadline.js';

/**
 * Runs `body` with a time limit and gives up quietly (Trio's `move_on_after`): on
 * expiry the body is cancelled as with {@link timeout} (enforced at the deadline
 * whatever it returns; a returned Future is cancelled) and `moveOnAfter` resolves with
 * `undefined` instead of throwing.
 *
 * @param ms milliseconds.
 * @param body the work.
 * @returns the body's result, or undefined if the time ran out.
 * @throws the body's own error; CancelledError if the calling task is cancelled; RangeError/TypeError for bad arguments.
 *
 * @example
 * const maybe = await moveOnAfter(100, () => q.get());   // undefined if nothing came within 100 ms
 */
export async function moveOnAfter<T>(ms: number, body: () => PromiseLike<T> | T): Promise<T | undefined> {
  checkMs('moveOnAfter(ms, body)', ms);
  checkBody('moveOnAfter(ms, body)', body);
  return runWithDeadline(ms, body, true, `The timeout of ${ms} ms`);
}
