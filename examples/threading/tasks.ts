// Task module for the threading examples: what the threads run.
// A task module has no side effects at import time; workers import it by URL.
import { defineTasks } from 'weft';
import { currentThread, type Barrier, type Lock, type Event, type Value } from 'weft/threading';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export default defineTasks(import.meta.url, {
  /** The seeds' countdown: prints and sleeps, in its own thread. */
  async countdown(count: number, delayMs: number): Promise<string> {
    while (count > 0) {
      console.log(`  [${currentThread().name}] Counting down ${count}`);
      count -= 1;
      await sleep(delayMs);
    }
    return `${currentThread().name} done`;
  },

  /** `counter[0] += 1`, n times, unprotected: read, add, write back. Updates get lost. */
  incrementUnsafe(start: Barrier, counter: Int32Array, n: number): void {
    start.waitSync(); // all threads begin together
    for (let i = 0; i < n; i++) {
      const x = counter[0]!; // another thread may write between this read...
      counter[0] = x + 1; // ...and this write: its update is overwritten
    }
  },

  /** The same, with a Lock around the read-modify-write. */
  incrementLocked(start: Barrier, counter: Int32Array, lock: Lock, n: number): void {
    start.waitSync();
    for (let i = 0; i < n; i++) {
      using _ = lock.acquireSync();
      counter[0] = counter[0]! + 1;
    }
  },

  /** The same, with one atomic instruction (no lock needed). */
  incrementAtomic(start: Barrier, counter: Value<'int32'>, n: number): void {
    start.waitSync();
    for (let i = 0; i < n; i++) counter.add(1);
  },

  /** What a Timer runs: a message from its own thread. */
  remind(what: string): string {
    const line = `  [${currentThread().name}] reminder: ${what}`;
    console.log(line);
    return line;
  },

  /** Says it is ready, waits for `go`, does its part, then sets `done`. */
  async worker(ready: Barrier, go: Event, done: Event, id: number): Promise<string> {
    console.log(`  [worker ${id}] waiting for the go signal`);
    await ready.wait();
    await go.wait();
    console.log(`  [worker ${id}] got it, working`);
    await sleep(50 * id);
    done.set();
    return `worker ${id} finished`;
  },
});
