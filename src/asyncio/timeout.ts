import { checkBody, checkMs, runWithDeadline } from './deadline.js';

/**
 * Runs `body` with a time limit (Python's `async with asyncio.timeout(delay)`). When
 * `ms` passes, the weft wait the body is blocked in is cancelled; once the body has
 * ended (its cleanup ran), `timeout` rejects with TimeoutError.
 *
 * @param ms milliseconds (`Infinity`: no limit; <= 0: expires at the first wait).
 * @param body the work, run in a cancel scope of its own.
 * @returns the body's result when it ends in time.
 * @throws TimeoutError on expiry; the body's own error; RangeError/TypeError for bad arguments.
 *
 * @example
 * const page = await timeout(5000, () => fetchText(url));
 */
export async function timeout<T>(ms: number, body: () => Promise<T> | T): Promise<T> {
  checkMs('timeout(ms, body)', ms);
  checkBody('timeout(ms, body)', body);
  return runWithDeadline(ms, body, false, `The timeout of ${ms} ms`) as Promise<T>;
}
