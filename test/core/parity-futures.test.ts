/**
 * Python parity for weft/futures (issue 10): Executor.starmap (Python's map(fn,
 * *iterables)), InterpreterPoolExecutor, and timeout() enforced over a pool future
 * (issue 9, defect 7).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncExecutor, InterpreterPoolExecutor, ProcessPoolExecutor, ThreadPoolExecutor, type Executor } from 'weft/futures';
import * as weft from 'weft';
import { TimeoutError, timeout, moveOnAfter } from 'weft/asyncio';
import tasks from '../fixtures/tasks.mjs';
import { warningsDuring } from './_warnings.ts';

const pools: Executor[] = [];
after(async () => {
  for (const p of pools) await p.shutdown({ wait: false, cancelFutures: true });
});
const keep = <E extends Executor>(e: E): E => {
  pools.push(e);
  return e;
};

describe('Executor.starmap', { timeout: 60_000 }, () => {
  for (const [name, make] of [
    ['ThreadPoolExecutor', () => new ThreadPoolExecutor({ maxWorkers: 2 })],
    ['ProcessPoolExecutor', () => new ProcessPoolExecutor({ maxWorkers: 1 })],
    ['AsyncExecutor', () => new AsyncExecutor()],
  ] as const) {
    it(`${name}: each item is an argument list, results in input order`, async () => {
      const pool = keep(make());
      assert.deepEqual(
        await pool.starmap(tasks.add, [
          [1, 2],
          [3, 4],
          [10, 20],
        ]),
        [3, 7, 30],
      );
      const out: number[] = [];
      for await (const r of pool.starmap((a: number, b: number, c: number) => a * b * c, [[1, 2, 3] as [number, number, number]]))
        out.push(r);
      assert.deepEqual(out, [6]);
    });
  }

  it('async input, unordered, and an item that is not a list is a TypeError', async () => {
    const pool = keep(new ThreadPoolExecutor({ maxWorkers: 2 }));
    async function* gen() {
      for (let i = 0; i < 5; i++) yield [i, i] as [number, number];
    }
    const got = await pool.starmap(tasks.add, gen(), { ordered: false });
    assert.deepEqual(
      [...got].sort((a, b) => a - b),
      [0, 2, 4, 6, 8],
    );
    await assert.rejects(Promise.resolve(pool.starmap(tasks.add, [5 as never])), /argument list/);
  });
});

describe('InterpreterPoolExecutor', { timeout: 60_000 }, () => {
  it("is Python 3.14's name for the thread pool, from weft/futures and weft", async () => {
    assert.equal(InterpreterPoolExecutor, ThreadPoolExecutor);
    assert.equal((weft as Record<string, unknown>).InterpreterPoolExecutor, ThreadPoolExecutor);
    const pool = keep(new InterpreterPoolExecutor({ maxWorkers: 1 }));
    assert.equal(await pool.submit(tasks.add, 2, 3), 5);
  });
});

describe('timeout() over a pool future (issue 9, defect 7)', { timeout: 60_000 }, () => {
  it('timeout(200, () => pool.submit(spin)) rejects at the deadline and cancels the future', async () => {
    const pool = keep(new ThreadPoolExecutor({ maxWorkers: 1, cancelGrace: 100 }));
    await pool.submit(tasks.add, 0, 0); // started
    let f: ReturnType<typeof pool.submit> | undefined;
    const t0 = performance.now();
    await assert.rejects(
      timeout(200, () => (f = pool.submit(tasks.spin, 5000))),
      TimeoutError,
    );
    const took = performance.now() - t0;
    assert.ok(took < 2500, `rejected at the deadline, not when the task ended (${took.toFixed(0)} ms)`);
    assert.equal(f!.cancelled(), true);
    assert.equal(await moveOnAfter(50, () => pool.submit(tasks.spin, 5000)), undefined);
  });
});

describe('one listener per AbortSignal (issue 9, defect 12)', { timeout: 60_000 }, () => {
  it('1000 tasks submitted with one signal: no MaxListenersExceededWarning, all cancelled by it', async () => {
    const warnings = await warningsDuring(async () => {
      const pool = keep(new AsyncExecutor({ maxConcurrency: 1 }));
      const ac = new AbortController();
      const fs = Array.from({ length: 1000 }, () => pool.run(() => new Promise(() => {}), [], { signal: ac.signal }));
      ac.abort();
      assert.equal(fs.filter((f) => f.cancelled()).length, 1000);
    });
    assert.ok(!warnings.includes('MaxListenersExceededWarning'), warnings.join());
  });
});
