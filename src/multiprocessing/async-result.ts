/**
 * AsyncResult: the handle Pool.applyAsync / mapAsync return (Python's
 * `multiprocessing.pool.AsyncResult`).
 */
import { TimeoutError, ValueError } from '../core/errors.js';
import { fn as fnOption, timeout as timeoutOption } from '../core/options.js';
import { within } from '../core/timers.js';

/** Callbacks of applyAsync / mapAsync, run in this process when the result is ready. */
export interface AsyncResultCallbacks<R> {
  /** Called with the result when the call succeeds. */
  callback?: (result: R) => void;
  /** Called with the error when the call fails. */
  errorCallback?: (error: unknown) => void;
}

/**
 * The result of a call that runs in the background.
 *
 * @example
 * const r = pool.applyAsync(tasks.square, [7]);
 * console.log(await r.get(1000));   // 49, or TimeoutError after one second
 */
export class AsyncResult<R> {
  #ready = false;
  #ok = false;
  #value: unknown;
  readonly #settled: Promise<void>;

  /** @internal made by Pool. */
  constructor(promise: PromiseLike<R>, callbacks: AsyncResultCallbacks<R> = {}) {
    fnOption('AsyncResult', 'callback', callbacks.callback);
    fnOption('AsyncResult', 'errorCallback', callbacks.errorCallback);
    this.#settled = Promise.resolve(promise).then(
      (v) => {
        this.#ready = true;
        this.#ok = true;
        this.#value = v;
        run(callbacks.callback, v);
      },
      (e) => {
        this.#ready = true;
        this.#ok = false;
        this.#value = e;
        run(callbacks.errorCallback, e);
      },
    );
  }

  /** True once the call has finished (successfully or not). */
  ready(): boolean {
    return this.#ready;
  }

  /**
   * True if the call finished without error.
   * @throws ValueError if it is not ready yet (as Python does).
   */
  successful(): boolean {
    if (!this.#ready) throw new ValueError('The result is not ready: successful() can be asked once ready() is true');
    return this.#ok;
  }

  /**
   * Waits until the result is ready, or `timeout` ms (no error when the timeout passes).
   * undefined or Infinity: no limit; 0 or negative: do not wait; any finite value is honoured exactly.
   * @throws (rejects) TypeError if timeout is not a number.
   */
  async wait(timeout?: number): Promise<void> {
    const t = timeoutOption('AsyncResult.wait(timeout)', 'timeout', timeout);
    await this.#wait(t);
  }

  async #wait(t: number): Promise<void> {
    if (!this.#ready) await within(this.#settled, t);
  }

  /**
   * The result; the call's own error if it failed.
   * @param timeout ms to wait at most (undefined or Infinity: no limit; 0 or negative: do not wait).
   * @throws TimeoutError if it is not ready within `timeout` ms; TypeError if timeout is not a number.
   */
  async get(timeout?: number): Promise<R> {
    await this.#wait(timeoutOption('AsyncResult.get(timeout)', 'timeout', timeout));
    if (!this.#ready) throw new TimeoutError(`The result was not ready within ${timeout} ms`);
    if (!this.#ok) throw this.#value;
    return this.#value as R;
  }
}

function run<T>(cb: ((x: T) => void) | undefined, x: T): void {
  if (cb === undefined) return;
  try {
    cb(x);
  } catch (err) {
    // A callback that throws is a bug in the caller: surface it, as an event listener's would be.
    queueMicrotask(() => {
      throw err;
    });
  }
}
