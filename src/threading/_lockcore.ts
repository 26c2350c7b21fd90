/**
 * Internal: a robust futex mutex over three Int32 words, shared by Lock, RLock,
 * Value, Queue and Barrier.
 *
 * Word layout at `b`:
 *   b+0  state:     0 = free; otherwise ((ownerThreadId + 1) << 1) | WAITERS
 *   b+1  abandoned: 1 when the last owner ended while holding the lock (cleared by the next acquirer)
 *   b+2  count:     recursion depth (RLock only)
 *
 * This is Drepper's "mutex 2" ("Futexes are tricky", 2011) with the owner kept in
 * the lock word itself, as Linux robust futexes do (TID | FUTEX_WAITERS):
 * - uncontended acquire is one CAS 0 -> me; uncontended release is one exchange -> 0,
 *   and `Atomics.notify` is called only when the WAITERS bit was set;
 * - a contender first spins a little (critical sections are short, and a futex
 *   sleep + wake costs microseconds), then sets WAITERS and sleeps on the word;
 * - a woken waiter takes the lock with WAITERS set, conservatively: it cannot know
 *   whether others still sleep, and one spurious notify is cheaper than a lost one.
 * Because the owner is written by the same CAS that takes the lock, a thread that
 * dies holding the lock is always identifiable (see `abandonIfOwnedBy`).
 */
import { TimeoutError } from '../core/errors.js';
import { THREAD_ID, abortedBy, remaining, waitAsyncOn, type Signals } from './_wait.js';

export const WAITERS = 1;
/** The lock word value of this thread, without the WAITERS bit. */
export const MY_TAG = (THREAD_ID + 1) << 1;
const SPIN = 128;

/** Owner thread id of the lock word `c`, or -1 when free. */
export function ownerOf(c: number): number {
  return c === 0 ? -1 : (c >>> 1) - 1;
}

export function tryLock(i32: Int32Array, b: number): boolean {
  return Atomics.compareExchange(i32, b, 0, MY_TAG) === 0;
}

/** Blocking acquire; false when the deadline passed first. Call only where blocking is allowed. */
export function lockSync(i32: Int32Array, b: number, deadline: number): boolean {
  if (Atomics.compareExchange(i32, b, 0, MY_TAG) === 0) return true;
  for (let i = 0; i < SPIN; i++) {
    if (Atomics.load(i32, b) === 0 && Atomics.compareExchange(i32, b, 0, MY_TAG) === 0) return true;
  }
  for (;;) {
    let c = Atomics.load(i32, b);
    if (c === 0) {
      if (Atomics.compareExchange(i32, b, 0, MY_TAG | WAITERS) === 0) return true;
      continue;
    }
    if ((c & WAITERS) === 0) {
      if (Atomics.compareExchange(i32, b, c, c | WAITERS) !== c) continue;
      c |= WAITERS;
    }
    const ms = remaining(deadline);
    if (ms === 0) return false;
    Atomics.wait(i32, b, c, ms);
  }
}

/** Async acquire (after a failed `tryLock`); false when the deadline passed first. */
export async function lockAsync(i32: Int32Array, b: number, deadline: number, signal: Signals): Promise<boolean> {
  for (;;) {
    let c = Atomics.load(i32, b);
    if (c === 0) {
      if (Atomics.compareExchange(i32, b, 0, MY_TAG | WAITERS) === 0) return true;
      continue;
    }
    if ((c & WAITERS) === 0) {
      if (Atomics.compareExchange(i32, b, c, c | WAITERS) !== c) continue;
      c |= WAITERS;
    }
    if (remaining(deadline) === 0) return false;
    await waitAsyncOn(i32, b, c, deadline, signal);
  }
}

/**
 * The async acquire of Lock and RLock once `tryLock` failed: waits for the lock, or
 * throws TimeoutError (naming `method`) when the deadline passes. Cancel wins: a
 * caller cancelled while it was being woken gives the lock back and gets CancelledError.
 */
export async function takeLock(
  i32: Int32Array,
  b: number,
  deadline: number,
  signal: Signals,
  method: string,
  timeout: unknown,
): Promise<void> {
  if (!(await lockAsync(i32, b, deadline, signal))) throw new TimeoutError(`${method} timed out after ${String(timeout)} ms`);
  const cancelled = abortedBy(signal);
  if (cancelled !== undefined) {
    unlock(i32, b);
    throw cancelled;
  }
}

/** Releases; returns the previous lock word (0 means it was not locked: nothing changed). */
export function unlock(i32: Int32Array, b: number): number {
  const c = Atomics.exchange(i32, b, 0);
  if ((c & WAITERS) !== 0) Atomics.notify(i32, b, 1);
  return c;
}

/** Reads and clears the abandoned flag (call while holding the lock). */
export function takeAbandoned(i32: Int32Array, b: number): boolean {
  if (Atomics.load(i32, b + 1) === 0) return false;
  Atomics.store(i32, b + 1, 0);
  return true;
}

/**
 * Owner death: if thread `tid` (which has ended) holds the lock, mark it abandoned
 * and release it, waking one waiter. Returns true if it did.
 */
export function abandonIfOwnedBy(i32: Int32Array, b: number, tid: number): boolean {
  for (;;) {
    const c = Atomics.load(i32, b);
    if (c === 0 || ownerOf(c) !== tid) return false;
    Atomics.store(i32, b + 1, 1);
    Atomics.store(i32, b + 2, 0);
    if (Atomics.compareExchange(i32, b, c, 0) === c) {
      if ((c & WAITERS) !== 0) Atomics.notify(i32, b, 1);
      return true;
    }
  }
}

/**
 * The memory of a Lock or RLock: a new 16-byte SharedArrayBuffer, or the word at
 * `offset` of existing shared memory (a revived lock, a Value's lock).
 */
export function lockWord(data?: { sab: SharedArrayBuffer; offset: number }): [Int32Array, number] {
  return data === undefined ? [new Int32Array(new SharedArrayBuffer(16)), 0] : [new Int32Array(data.sab), data.offset];
}
