import { checkBody, checkMs, runWithDeadline } from './deadline.js';

/**
 * Runs `body` with a time limit (Python's `async with asyncio.timeout(delay)`), enforced
 * at the deadline whatever `body` returns. When `ms` passes, the body's cancel scope
 * is cancelled (its weft waits reject, its `currentSignal()` aborts) and a Future it
 * returned (`pool.submit(...)`, `toThread(...)`, a Task) is cancelled. If a weft wait of
 * the body received the cancellation, its cleanup runs first, then `timeout` rejects
 * with TimeoutError; otherwise (a plain promise, a Future) it rejects at once.
 *
 * @param ms milliseconds (`Infinity`: no limit; <= 0: expires as soon as the body waits).
 * @param body the work, run in a cancel scope of its own.
 * @returns the body's result when it ends in time.
 * @throws TimeoutError on expiry; the body's own error; RangeError/TypeError for bad arguments.
 *
 * @example
 * const page = await timeout(5000, () => fetchText(url));
 * const n = await timeout(200, () => pool.submit(tasks.slow)); // TimeoutError at 200 ms, the future cancelled
 */
export async function timeout<T>(ms: number, body: () => PromiseLike<T> | T): Promise<T> {
  checkMs('timeout(ms, body)', ms);
  checkBody('timeout(ms, body)', body);
  return runWithDeadline(ms, body, false, `The timeout of ${ms} ms`) as Promise<T>;
}
