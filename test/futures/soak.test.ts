/**
 * Soak, bounded: the mixture of bench/soak.ts (test/contracts/soak.ts) in rounds for
 * about 10 seconds: quick tasks, throws, cancels before and while running, timeouts,
 * crashes, maps returned early, wait / asCompleted, asyncio and threading primitives.
 * It checks behaviour, not speed: every future settles with the class of outcome it
 * must have, the pools end with nothing queued or running, no listener stays on a
 * long-lived signal, no child process is left, and heap after forced GC in the last
 * rounds stays within a margin of the first round's (a per-task leak over the tens of
 * thousands of tasks run would pass it). Plus the structures the soak found growing
 * (each failed before its fix).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncExecutor, ThreadPoolExecutor } from 'weft';
import { Soak, heapAfterGc } from '../contracts/soak.ts';
import { guard, pidAlive as alive, until, workersOf } from '../contracts/helpers.ts';

const MB = 1048576;

const started = new Set<number>();
after(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/** Time the rounds may take (the file stays under 25 s on a loaded 2-core machine). */
const ROUNDS_MS = 9_000;
/**
 * Heap after GC may exceed the first round's by this much. Measured: +1 to +2 MB here
 * (bounded caches filling), flat after that over minutes (bench/RESULTS.md, "Soak");
 * a leak that kept each settled future (about 1.2 kB a task) grew it by 25 MB over
 * the ~20k tasks a run makes.
 */
const HEAP_MARGIN = 16 * MB;

describe('soak (bounded)', { timeout: 25_000 }, () => {
  it('mixed load in rounds: every future settles as it must, nothing is left over, heap after GC stays flat', async () => {
    const soak = new Soak({ scale: 0.5 });
    const heaps: number[] = [];
    const t0 = performance.now();
    let rounds = 0;
    try {
      while (rounds < 4 || (performance.now() - t0 < ROUNDS_MS && rounds < 40)) {
        await guard(soak.round(), `round ${rounds + 1}`, 15_000);
        rounds++;
        for (const pid of soak.pids) started.add(pid);
        heaps.push(heapAfterGc());
        // While the stream keeps the AsyncExecutor busy: what it and the pools keep stays bounded.
        const s = soak.structures();
        assert.ok(s.asyncQueueSlots <= 100, `AsyncExecutor queue slots after round ${rounds}: ${s.asyncQueueSlots}`);
        assert.ok(s.threadFnStats <= 300 && s.processFnStats <= 300, `timing records: ${s.threadFnStats}, ${s.processFnStats}`);
      }
      await guard(soak.quiesce(), 'the stream stops');
      assert.deepEqual(soak.mismatches, [], 'futures settled with the wrong class of outcome');
      assert.equal(soak.pending.size, 0, `futures never settled: ${[...soak.pending.values()].slice(0, 5).join(', ')}`);
      for (const kind of ['ok', 'raise', 'cancel', 'timeout', 'crash']) assert.ok((soak.outcomes[kind] ?? 0) > 0, `some ${kind} outcomes`);
      // Nothing queued or running once every future has settled (a cancelled task may
      // still be winding down in its worker: it gets a moment).
      const pools = [soak.threads, soak.processes!, soak.async] as const;
      await until(
        () => pools.every((p) => p.stats().queued === 0 && p.stats().busy === 0),
        () => `the pools to be idle: ${pools.map((p) => JSON.stringify(p.stats())).join(' ')}`,
      );
      for (const p of pools.slice(0, 2)) assert.ok(p.stats().workers <= 2, `at most 2 workers: ${p.stats().workers}`);
      assert.equal(soak.async.stats().workers, 0);
      const s = soak.structures();
      assert.equal(s.longLivedListeners, 0, 'no listener stays on the long-lived signal');
      assert.equal(s.threadMaps, 0, 'no map left registered on its executor');
      assert.ok(s.asyncQueueSlots === 0, `the AsyncExecutor's queue is empty: ${s.asyncQueueSlots} slots`);
      const first = heaps[0]!;
      const lastMin = Math.min(...heaps.slice(-2));
      console.log(
        `# ${rounds} rounds, ${soak.tasks} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s; heap after GC ${(first / MB).toFixed(1)} MB after round 1, ` +
          `${(lastMin / MB).toFixed(1)} MB at the end; outcomes ${JSON.stringify(soak.outcomes)}`,
      );
      assert.ok(soak.tasks > 5_000, `enough tasks ran to show a leak: ${soak.tasks}`);
      assert.ok(lastMin - first < HEAP_MARGIN, `heap after GC grew by ${((lastMin - first) / MB).toFixed(1)} MB over ${soak.tasks} tasks`);
      for (const w of workersOf(soak.processes!)) if (w.threadId > 0) started.add(w.threadId);
    } finally {
      await guard(soak.close(), 'shutdown');
    }
    await until(
      () => [...started].every((pid) => !alive(pid)),
      () => `no child left: ${[...started].filter(alive).join(', ')}`,
      5_000,
    );
  });

  it('an AsyncExecutor that never drains keeps only what waits in its queue (it kept a slot per job ever queued)', async () => {
    const ex = new AsyncExecutor({ maxConcurrency: 2 });
    const nap = (x: number) => new Promise<number>((r) => setImmediate(r, x));
    try {
      const inFlight: PromiseLike<number>[] = [];
      for (let i = 0; i < 20_000; i++) {
        inFlight.push(ex.submit(nap, i));
        if (inFlight.length > 50) assert.equal(await inFlight.shift()!, i - 50);
      }
      const slots = (ex as any).queue.length as number;
      assert.ok(slots <= 50, `queue slots after 20000 jobs with 50 in flight: ${slots}`);
      await Promise.all(inFlight);
    } finally {
      await ex.shutdown({ cancelFutures: true });
    }
  });

  it('a pool keeps timings for a bounded number of inline sources (it kept one per source ever submitted)', async () => {
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      for (let k = 0; k < 1000; k += 100) {
        const fs = [];
        for (let j = k; j < k + 100; j++) fs.push(pool.submit(new Function('x', `return x + ${j};`) as (x: number) => number, 1));
        assert.deepEqual(
          await guard(Promise.all(fs), 'inline tasks'),
          Array.from({ length: 100 }, (_, j) => 1 + k + j),
        );
      }
      const kept = (pool as any).inlineStats?.size ?? [...(pool as any).fnStats.keys()].length;
      assert.ok(kept <= 256, `timings kept for 1000 distinct inline sources: ${kept}`);
    } finally {
      await pool.shutdown();
    }
  });
});
