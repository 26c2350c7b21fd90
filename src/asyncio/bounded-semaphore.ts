import { ValueError } from '../core/errors.js';
import { Semaphore } from './semaphore.js';

/**
 * A {@link Semaphore} that refuses to be released more often than acquired (Python's
 * `asyncio.BoundedSemaphore`).
 *
 * @example
 * const sem = new BoundedSemaphore(2);
 * sem.release(); // throws ValueError
 */
export class BoundedSemaphore extends Semaphore {
  /** The initial (and maximum) number of permits. */
  readonly initialValue: number;

  /** @param value initial and maximum permits (default 1). @throws RangeError if not an integer >= 0. */
  constructor(value = 1) {
    super(value);
    this.initialValue = value;
  }

  /** Gives a permit back. @throws ValueError if that would exceed the initial value. */
  override release(): void {
    if (this._value >= this.initialValue) {
      throw new ValueError(
        `BoundedSemaphore released too many times (it holds ${this.initialValue} permit${this.initialValue === 1 ? '' : 's'})`,
      );
    }
    super.release();
  }
}
