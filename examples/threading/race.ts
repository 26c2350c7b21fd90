// The seeds' race condition: 4 threads each add 1 to a shared counter 1,000,000 times.
// Without protection, `x = x + 1` from two threads at once loses updates; a Lock
// (or an atomic add) makes the result exact. Unlike CPython's threads, these run
// truly in parallel, so the race shows up at once.
//
// Run: npx tsx examples/threading/race.ts
import { Thread, Barrier, Lock, SharedArray, Value } from 'weft/threading';
import tasks from './tasks.js';

const THREADS = 4;
const N = 1_000_000;

async function runAll(target: any, args: unknown[]): Promise<void> {
  args = [new Barrier(THREADS), ...args]; // so that all threads start counting at the same moment
  const threads = Array.from({ length: THREADS }, (_, i) => new Thread(target, { args, name: `adder-${i}` }));
  for (const t of threads) t.start();
  await Promise.all(threads.map((t) => t.join()));
}

const expected = THREADS * N;

const unsafe = new SharedArray('int32', 1);
await runAll(tasks.incrementUnsafe, [unsafe, N]);
console.log(`no lock:      ${unsafe[0]} (expected ${expected}; ${expected - unsafe[0]!} updates lost)`);

const locked = new SharedArray('int32', 1);
const lock = new Lock();
await runAll(tasks.incrementLocked, [locked, lock, N]);
console.log(`with a Lock:  ${locked[0]} (expected ${expected})`);

const atomic = new Value('int32', 0);
await runAll(tasks.incrementAtomic, [atomic, N]);
console.log(`atomic add:   ${atomic.value} (expected ${expected})`);
