/**
 * The seeds' race condition, across processes: 4 processes each add 1 to a
 * shared counter 2,000 times. Processes share no memory, so the counter is a
 * multiprocessing Value: this process keeps it, and every get, set and add
 * from a child is a message to it. A read then a write from two processes at
 * once still loses updates (Python's `counter.value += 1` does the same);
 * the Value's lock, or its atomic add, makes the total exact.
 *
 *   counter = multiprocessing.Value('i', 0)
 *   def increment(counter, n):
 *       for _ in range(n):
 *           with counter.get_lock():
 *               counter.value += 1
 *
 *   npx tsx examples/multiprocessing/race.ts
 */
import { Barrier, Process, Value } from 'weft/multiprocessing';
import tasks from './tasks.ts';

const PROCESSES = 4;
const N = 2_000;
const expected = PROCESSES * N;

async function runAll(target: any, counter: Value<number>): Promise<number> {
  const start = new Barrier(PROCESSES); // so that all processes start counting at the same moment
  const ps = Array.from({ length: PROCESSES }, () => new Process(target, { args: [start, counter, N] }));
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
  return counter.get();
}

const unsafe = await runAll(tasks.incrementUnsafe, new Value('int32', 0));
console.log(`no lock:      ${unsafe} (expected ${expected}; ${expected - unsafe} updates lost)`);
const locked = await runAll(tasks.incrementLocked, new Value('int32', 0));
console.log(`with a Lock:  ${locked} (expected ${expected})`);
const atomic = await runAll(tasks.incrementAtomic, new Value('int32', 0));
console.log(`atomic add:   ${atomic} (expected ${expected})`);
