/**
 * The task module of the multiprocessing examples: the code child processes
 * run. Like Python's, it must be importable by the child, with no side effects
 * at import time. Each child process imports it once.
 */
import { defineTasks } from 'weft';
import { currentProcess, type Barrier, type Value } from 'weft/multiprocessing';

function worker(i: number): void {
  console.log(`Worker ${i}`);
}

function processFunction(name: string): void {
  console.log(`Process ${name} is running (pid ${process.pid}, ${currentProcess().name})`);
}

function add(x: number, y: number): number {
  return x + y;
}

function cpuBound(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i * i;
  return sum;
}

/** The seeds' `counter += 1`, n times, unprotected: read (one message), add, write back (another). */
async function incrementUnsafe(start: Barrier, counter: Value<number>, n: number): Promise<void> {
  await start.wait(); // all processes begin together
  for (let i = 0; i < n; i++) {
    const x = await counter.get(); // another process may write between this read...
    await counter.set(x + 1); // ...and this write: its update is overwritten
  }
}

/** The same, holding the Value's lock around the read-modify-write. */
async function incrementLocked(start: Barrier, counter: Value<number>, n: number): Promise<void> {
  await start.wait();
  const lock = counter.getLock();
  for (let i = 0; i < n; i++) {
    using _ = await lock.acquire();
    await counter.set((await counter.get()) + 1);
  }
}

/** The same with one atomic operation: the process that keeps the Value adds. */
async function incrementAtomic(start: Barrier, counter: Value<number>, n: number): Promise<void> {
  await start.wait();
  for (let i = 0; i < n; i++) await counter.add(1);
}

export default defineTasks(import.meta.url, {
  worker,
  processFunction,
  add,
  cpuBound,
  incrementUnsafe,
  incrementLocked,
  incrementAtomic,
});
