/**
 * The Disposable that `acquire()` resolves to: `using _ = await lock.acquire()`.
 * One small object per acquisition, so disposing it twice releases once.
 */

/** Anything with a `release()` (Lock, Semaphore, Condition). */
export interface Releasable {
  release(): void;
}

/**
 * Proof of one acquisition; releases it when disposed.
 *
 * @example
 * {
 *   using _ = await lock.acquire();
 *   // critical section
 * } // released here, even on throw
 */
export class Guard implements Disposable {
  /** @internal */ _owner: Releasable | undefined;
  constructor(owner: Releasable) {
    this._owner = owner;
  }
  /** Releases the acquisition (only the first call does anything). */
  release(): void {
    const o = this._owner;
    if (o === undefined) return;
    this._owner = undefined;
    o.release();
  }
  /** True until released. */
  get held(): boolean {
    return this._owner !== undefined;
  }
  [Symbol.dispose](): void {
    this.release();
  }
}
