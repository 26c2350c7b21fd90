import { checkBody, checkMs, runWithDeadline } from './deadline.js';

/**
 * Like {@link timeout}, with an absolute deadline on the `performance.now()` clock
 * (Python's `asyncio.timeout_at(when)` with `loop.time()`).
 *
 * @param deadline `performance.now()` milliseconds.
 * @param body the work.
 * @returns the body's result when it ends in time.
 * @throws TimeoutError when the deadline passes; the body's own error; RangeError/TypeError for bad arguments.
 *
 * @example
 * const deadline = performance.now() + 10_000;
 * await timeoutAt(deadline, () => step1());
 * await timeoutAt(deadline, () => step2());   // shares the same budget
 */
export async function timeoutAt<T>(deadline: number, body: () => PromiseLike<T> | T): Promise<T> {
  checkMs('timeoutAt(deadline, body)', deadline);
  checkBody('timeoutAt(deadline, body)', body);
  return runWithDeadline(
    deadline - performance.now(),
    body,
    false,
    `The deadline ${deadline.toFixed(1)} (performance.now() ms)`,
  ) as Promise<T>;
}
