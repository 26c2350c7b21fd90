/**
 * multiprocessing Pool and AsyncResult, on processes (default) and on threads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, AsyncResult, Queue } from 'weft/multiprocessing';
import { TimeoutError, ValueError, CancelledError } from 'weft';
import tasks from '../fixtures/mp-tasks.mjs';
import { guard, installExitGuard } from '../contracts/helpers.ts';

installExitGuard();

for (const backend of ['processes', 'threads'] as const) {
  describe(`multiprocessing Pool (${backend})`, { timeout: 120_000 }, () => {
    it('apply, map, starmap, imap, imapUnordered give the right results', async () => {
      const pool = new Pool({ processes: 2, backend });
      try {
        assert.equal(await guard(pool.apply(tasks.add, [2, 3]), 'apply'), 5);
        assert.equal(
          await guard(
            pool.apply((a: number, b: number) => a * b, [6, 7]),
            'apply inline',
          ),
          42,
        );
        const xs = Array.from({ length: 50 }, (_, i) => i);
        assert.deepEqual(
          await guard(pool.map(tasks.square, xs), 'map'),
          xs.map((x) => x * x),
        );
        assert.deepEqual(
          await guard(pool.map(tasks.square, xs, 7), 'map chunksize 7'),
          xs.map((x) => x * x),
        );
        assert.deepEqual(await guard(pool.map(tasks.square, []), 'map []'), []);
        assert.deepEqual(
          await guard(
            pool.starmap(tasks.add, [
              [1, 2],
              [3, 4],
              [5, 6],
            ]),
            'starmap',
          ),
          [3, 7, 11],
        );
        const inOrder: number[] = [];
        for await (const v of pool.imap(tasks.square, xs)) inOrder.push(v);
        assert.deepEqual(
          inOrder,
          xs.map((x) => x * x),
        );
        const any: number[] = [];
        for await (const v of pool.imapUnordered(tasks.square, xs, 4)) any.push(v);
        assert.deepEqual(
          any.sort((a, b) => a - b),
          xs.map((x) => x * x),
        );
      } finally {
        await pool.terminate();
      }
    });

    it('imap reads its input lazily (bounded read-ahead)', async () => {
      const pool = new Pool({ processes: 2, backend });
      try {
        let pulled = 0;
        function* gen() {
          for (let i = 0; i < 1_000_000; i++) {
            pulled++;
            yield i;
          }
        }
        const it = pool.imap(tasks.square, gen(), 1);
        const first = await guard(it.next(), 'first');
        assert.deepEqual(first, { done: false, value: 0 });
        await it.return!();
        assert.ok(pulled < 10_000, `pulled ${pulled} items for one result`);
      } finally {
        await pool.terminate();
      }
    });

    it('applyAsync: ready/successful/wait/get, callbacks; get(timeout) throws TimeoutError', async () => {
      const pool = new Pool({ processes: 2, backend });
      try {
        const seen: unknown[] = [];
        const r = pool.applyAsync(tasks.sleep, [100, 'v'], { callback: (v) => seen.push(['ok', v]) });
        assert.ok(r instanceof AsyncResult);
        assert.equal(r.ready(), false);
        assert.throws(() => r.successful(), ValueError);
        await assert.rejects(r.get(10), TimeoutError);
        assert.equal(await guard(r.get(), 'get'), 'v');
        assert.equal(r.ready(), true);
        assert.equal(r.successful(), true);
        assert.deepEqual(seen, [['ok', 'v']]);
        const bad = pool.applyAsync(tasks.fail, ['nope'], { errorCallback: (e) => seen.push(['err', (e as Error).message]) });
        await guard(bad.wait(), 'wait');
        assert.equal(bad.successful(), false);
        await assert.rejects(bad.get(), (e: any) => e instanceof RangeError && e.message === 'nope');
        assert.deepEqual(seen[1], ['err', 'nope']);
        const m = pool.mapAsync(tasks.square, [1, 2, 3]);
        assert.deepEqual(await guard(m.get(), 'mapAsync'), [1, 4, 9]);
        const slow = pool.applyAsync(tasks.sleep, [5000, 'slow']);
        await guard(slow.wait(10), 'wait with timeout returns');
        assert.equal(slow.ready(), false);
      } finally {
        await pool.terminate();
      }
    });

    it('close then join waits for the tasks; using a closed pool is a ValueError; join while running is a ValueError', async () => {
      const pool = new Pool({ processes: 2, backend });
      try {
        await assert.rejects(pool.join(), (e: any) => e instanceof ValueError && /still running/.test(e.message));
        const r = pool.applyAsync(tasks.sleep, [50, 'finished']);
        pool.close();
        assert.equal(pool.state, 'CLOSE');
        assert.throws(
          () => pool.applyAsync(tasks.add, [1, 2]),
          (e: any) => e instanceof ValueError && /Pool not running/.test(e.message),
        );
        assert.throws(() => pool.imap(tasks.square, [1]), ValueError);
        await assert.rejects(pool.apply(tasks.add, [1, 2]), ValueError);
        await assert.rejects(pool.map(tasks.square, [1]), ValueError);
        await guard(pool.join(), 'join');
        assert.equal(r.ready(), true);
        assert.equal(await r.get(), 'finished');
      } finally {
        await pool.terminate();
      }
    });

    it('terminate cancels what has not finished, and await using terminates', async () => {
      let r: AsyncResult<unknown> | undefined;
      let kept: Pool | undefined;
      {
        await using pool = new Pool({ processes: 1, backend });
        kept = pool;
        r = pool.applyAsync(tasks.sleepForever, []);
        pool.applyAsync(tasks.sleep, [10, 'x']);
      }
      assert.equal(kept.state, 'TERMINATE');
      await assert.rejects(r.get(5000), CancelledError);
      await guard(kept.join(), 'join after terminate');
    });

    it('terminate stops maps and imaps under way: they reject with CancelledError', async () => {
      const pool = new Pool({ processes: 2, backend });
      try {
        await guard(pool.apply(tasks.add, [1, 2]), 'warm up');
        const m = pool.mapAsync(tasks.sleep, [60_000, 60_000, 60_000], 1);
        const it = pool.imap(tasks.sleep, [60_000], 1);
        const first = it.next();
        first.catch(() => {});
        await guard(pool.terminate(), 'terminate');
        await assert.rejects(guard(m.get(), 'mapAsync'), CancelledError);
        await assert.rejects(guard(first, 'imap'), CancelledError);
        await guard(pool.join(), 'join');
      } finally {
        await pool.terminate();
      }
    });

    it('maxtasksperchild replaces workers; an initializer runs in each', async () => {
      const pool = new Pool({ processes: 1, backend, maxtasksperchild: 1, initializer: tasks.add, initargs: [1, 1] });
      try {
        const ids = [];
        for (let i = 0; i < 3; i++)
          ids.push(
            await guard(
              pool.apply(backend === 'processes' ? tasks.pid : () => (globalThis as any).process?.threadId ?? Math.random(), []),
              `id ${i}`,
            ),
          );
        if (backend === 'processes') assert.equal(new Set(ids).size, 3, `one process per task: ${ids}`);
      } finally {
        await pool.terminate();
      }
    });

    it('a Queue passed to pool tasks connects them', async () => {
      const pool = new Pool({ processes: 2, backend });
      try {
        const q = new Queue<number>(3);
        const [n, got] = await guard(
          Promise.all([pool.apply(tasks.produce, [q, 20]), pool.apply(tasks.consume, [q, 20])]),
          'produce/consume',
        );
        assert.equal(n, 20);
        assert.deepEqual(
          got,
          Array.from({ length: 20 }, (_, i) => i),
        );
        assert.equal(q.qsize(), 0);
      } finally {
        await pool.terminate();
      }
    });

    it('bad options are TypeError/RangeError naming the value', () => {
      assert.throws(() => new Pool({ processes: 0, backend }), /processes.*0/);
      assert.throws(() => new Pool({ processes: 'two' as any, backend }), TypeError);
      assert.throws(() => new Pool({ maxtasksperchild: 0, backend }), RangeError);
      assert.throws(() => new Pool({ backend: 'fibers' as any }), /fibers/);
    });
  });
}
