/**
 * AsyncResult: the handle Pool.applyAsync / mapAsync return (Python's
 * `multiprocessing.pool.AsyncResult`).
 */
import { TimeoutError, ValueError, describe } from '../core/errors.js';

/** Callbacks of applyAsync / mapAsync, run in this process when the result is ready. */
export interface AsyncResultCallbacks<R> {
  /** Called with the result when the call succeeds. */
  callback?: (result: R) => void;
  /** Called with the error when the call fails. */
  errorCallback?: (error: unknown) => void;
}

function checkTimeout(what: string, t: unknown): void {
  if (t !== undefined && (typeof t !== 'number' || !(t >= 0))) {
    throw new (typeof t === 'number' ? RangeError : TypeError)(`${what}: timeout must be milliseconds >= 0, got ${describe(t)}`);
  }
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
    if (callbacks.callback !== undefined && typeof callbacks.callback !== 'function') {
      throw new TypeError(`callback must be a function, got ${describe(callbacks.callback)}`);
    }
    if (callbacks.errorCallback !== undefined && typeof callbacks.errorCallback !== 'function') {
      throw new TypeError(`errorCallback must be a function, got ${describe(callbacks.errorCallback)}`);
    }
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

  /** Waits until the result is ready, or `timeout` ms (no error when the timeout passes). */
  async wait(timeout?: number): Promise<void> {
    checkTimeout('AsyncResult.wait', timeout);
    if (this.#ready) return;
    if (timeout === undefined || timeout === Infinity) {
      await this.#settled;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#settled,
        new Promise<void>((r) => {
          timer = setTimeout(r, timeout);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The result; the call's own error if it failed.
   * @throws TimeoutError if it is not ready within `timeout` ms.
   */
  async get(timeout?: number): Promise<R> {
    await this.wait(timeout);
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
