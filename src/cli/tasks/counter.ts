/**
 * The race of `weft demo race`: the seeds' shared counter, `x += 1` from
 * several threads at once.
 *
 * Each task first waits at a start line (a shared gate word) until every
 * thread of the run has arrived, so the threads really do overlap, then
 * increments `n` times:
 * - `unsafe`: read, add, write on an Int32Array over a SharedArrayBuffer. Two
 *   threads can read the same old value; one of the two increments is lost
 *   (the seeds' "x is 9, +=1, x is 10" walkthrough). The read and the write
 *   are each an `Atomics` call, so the JIT cannot keep the counter in a
 *   register across iterations: what races is exactly the seeds' read-then-write;
 * - `locked`: the same read-modify-write, inside a weft/threading Lock;
 * - `atomic`: `Value.add(1)`, one atomic instruction, no lock.
 */
import { defineTasks } from '../../index.js';
import type { Lock, Value } from '../../threading/index.js';
import { begin, finish, type Stamp } from './_stamp.js';

/** Arrive at the start line and wait (at most 5 s) for the others. */
function startLine(gate: Int32Array, parties: number): void {
  Atomics.add(gate, 0, 1);
  Atomics.notify(gate, 0);
  const until = Date.now() + 5000;
  for (let seen = Atomics.load(gate, 0); seen < parties && Date.now() < until; seen = Atomics.load(gate, 0)) {
    Atomics.wait(gate, 0, seen, 10);
  }
}

/** `counter[0] += 1`, n times, with no lock: lost updates when threads overlap. */
function unsafe(counter: Int32Array, n: number, gate: Int32Array, parties: number): Stamp {
  startLine(gate, parties);
  const b = begin();
  for (let i = 0; i < n; i++) {
    const x = Atomics.load(counter, 0); // read ...
    Atomics.store(counter, 0, x + 1); // ... write: another thread may have written in between
  }
  return finish(b);
}

/** The same read-modify-write, holding a shared Lock around each one. */
function locked(counter: Int32Array, lock: Lock, n: number, gate: Int32Array, parties: number): Stamp {
  startLine(gate, parties);
  const b = begin();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    try {
      const x = Atomics.load(counter, 0);
      Atomics.store(counter, 0, x + 1);
    } finally {
      lock.release();
    }
  }
  return finish(b);
}

/** `value.add(1)`, n times: one atomic instruction each. */
function atomic(value: Value<'int32'>, n: number, gate: Int32Array, parties: number): Stamp {
  startLine(gate, parties);
  const b = begin();
  for (let i = 0; i < n; i++) value.add(1);
  return finish(b);
}

export default defineTasks(import.meta.url, { unsafe, locked, atomic });
