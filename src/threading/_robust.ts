/**
 * Internal: owner-death recovery ("robust" locks).
 *
 * A thread that ends while holding a lock would leave every waiter asleep for
 * ever. POSIX robust mutexes solve it in the kernel (the dying thread's robust
 * list is walked, the next locker gets EOWNERDEAD); Windows returns
 * WAIT_ABANDONED to the next waiter. JavaScript has no hook that runs in a worker
 * that is being terminated, so weft does it from the outside: whoever observes a
 * worker's exit (the `Thread` wrapper, or a pool) calls `abandonLocksOf(threadId)`
 * in its own thread, which walks every lock-bearing object this thread knows
 * (created or revived here; held weakly) and releases those the dead thread
 * owned, flagging them abandoned. The next acquirer gets the lock and
 * `guard.abandoned === true` (the Windows model: the lock is usable at once; the
 * flag tells the caller that the data it protects may be inconsistent).
 *
 * Every weft worker thread's exit reaches it through the registry in
 * core/runtime.ts (`onWorkerThreadExit`), so pools need not import weft/threading.
 */
import { onWorkerThreadExit } from '../core/runtime.js';

/** Something that holds one or more lock words. */
export interface Recoverable {
  /** @internal releases the locks `tid` holds, flagging them abandoned; true if any. */
  _abandon(tid: number): boolean;
}

let refs: WeakRef<Recoverable>[] = [];
let limit = 256;

/** @internal remembers `obj` (weakly) so `abandonLocksOf` can find it. */
export function track(obj: Recoverable): void {
  refs.push(new WeakRef(obj));
  if (refs.length > limit) {
    refs = refs.filter((r) => r.deref() !== undefined);
    limit = Math.max(256, refs.length * 2);
  }
}

/**
 * Releases every lock that thread `tid` holds among the shared objects this
 * thread knows, marking them abandoned. Call it only once that thread has ended.
 *
 * @param tid the `threadId` of a worker thread that has exited.
 * @returns how many locks were released.
 */
export function abandonLocksOf(tid: number): number {
  let n = 0;
  for (const r of refs) {
    const o = r.deref();
    if (o?._abandon(tid)) n++;
  }
  return n;
}

onWorkerThreadExit(abandonLocksOf);
