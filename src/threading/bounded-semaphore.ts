/**
 * A semaphore that cannot be released above its initial value.
 */
import { ValueError } from '../core/errors.js';
import { int } from '../core/options.js';
import { INITIAL, Semaphore } from './semaphore.js';

const COUNT = 0;
const SLEEPERS = 1;

/**
 * A {@link Semaphore} that refuses to be released above its initial value
 * (Python's `threading.BoundedSemaphore`): such a release is a bug, reported as `ValueError`.
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Increments the count by `n` (default 1).
   * @throws ValueError if that would exceed the initial value (nothing is released then).
   */
  override release(n = 1): void {
    int('BoundedSemaphore.release(n)', 'n', n, 1, { min: 1 });
    const i32 = this._i32;
    const max = i32[INITIAL]!;
    for (;;) {
      const c = Atomics.load(i32, COUNT);
      if (c + n > max) throw new ValueError(`BoundedSemaphore released too many times (count ${c} + ${n} > initial value ${max})`);
      if (Atomics.compareExchange(i32, COUNT, c, c + n) === c) break;
    }
    if (Atomics.load(i32, SLEEPERS) > 0) Atomics.notify(i32, COUNT, n);
  }

  /** @internal */
  protected override get _kind(): string {
    return 'BoundedSemaphore';
  }
}
