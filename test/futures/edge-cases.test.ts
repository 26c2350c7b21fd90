/**
 * Edge cases found in review: maps that outlive shutdown(), overlapping next()
 * calls, map and maxQueue, results not held back behind a long task, errors with
 * unclonable properties, workers that cannot start during shutdown, initargs that
 * cannot be sent, a map deadline with nothing else keeping the process alive.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AsyncExecutor, ProcessPoolExecutor, ThreadPoolExecutor, BrokenExecutorError, TimeoutError } from 'weft';
import { Pool } from 'weft/multiprocessing';
import tasks from '../fixtures/tasks.mjs';
import { guard } from '../contracts/helpers.ts';
import { runChild } from '../contracts/child.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('edge cases', { timeout: 120_000 }, () => {
  for (const backend of ['threads', 'processes'] as const) {
    it(`Pool(${backend}): mapAsync, close, join, then get: every result (Python's pattern)`, async () => {
      const pool = new Pool({ processes: 2, backend });
      const r = pool.mapAsync(tasks.echo, range(60));
      pool.close();
      await guard(pool.join(), 'join');
      assert.deepEqual(await guard(r.get(), 'get'), range(60));
    });
  }

  it('a map over an in-memory iterable started before shutdown() submits the rest of its input (Python: eager)', async () => {
    const ex = new ThreadPoolExecutor({ maxWorkers: 2 });
    let pulled = 0;
    const m = ex.map(
      tasks.echo,
      (function* () {
        for (let i = 0; i < 5000; i++) {
          pulled++;
          yield i;
        }
      })(),
    );
    await guard(ex.shutdown(), 'shutdown');
    assert.equal(pulled, 5000, 'shutdown read the whole input');
    const got: number[] = [];
    for await (const x of m) got.push(x as number);
    assert.deepEqual(got, range(5000));
  });

  it('a bounded map (buffersize) stops reading at shutdown: its submitted results, then ExecutorShutdownError', async () => {
    const ex = new ThreadPoolExecutor({ maxWorkers: 2 });
    let pulled = 0;
    const endless = (function* () {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    })();
    const m = ex.map(tasks.echo, endless, { buffersize: 8 });
    const first = await guard(m.next(), 'first');
    assert.deepEqual(first, { value: 0, done: false });
    await guard(ex.shutdown(), 'shutdown of a pool with an endless bounded map');
    const got: number[] = [0];
    const err = await (async () => {
      for await (const x of m) got.push(x as number);
    })().then(
      () => undefined,
      (e: Error) => e,
    );
    assert.equal(err?.name, 'ExecutorShutdownError');
    assert.deepEqual(got, range(got.length), 'the results it had submitted, in order');
    assert.ok(pulled <= 16, `read at most about buffersize items, read ${pulled}`);
  });

  it('an async input that waits for results does not deadlock: partial chunks leave', async () => {
    await using ex = new ThreadPoolExecutor({ maxWorkers: 2 });
    let seen = -1;
    const input = (async function* () {
      for (let i = 0; i < 20; i++) {
        while (i > 0 && seen < i - 1) await new Promise((r) => setTimeout(r, 1));
        yield i;
      }
    })();
    const got: number[] = [];
    for await (const x of ex.map(tasks.echo, input)) {
      got.push(x as number);
      seen = x as number;
    }
    assert.deepEqual(got, range(20));
  });

  it('shutdown({ cancelFutures: true }) stops a map under way', async () => {
    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    const m = ex.map(
      tasks.sleep,
      (function* () {
        for (;;) yield 50;
      })(),
      { buffersize: 2 },
    );
    await guard(ex.shutdown({ cancelFutures: true }), 'shutdown');
    await assert.rejects(guard(m, 'map'), (e: Error) => e.name === 'CancelledError');
  });

  it('next() calls made before the previous one settled each get their own item', async () => {
    await using ex = new AsyncExecutor();
    const m = ex.map(async (x: number) => x * 2, [1, 2, 3]);
    const rs = await guard(Promise.all([m.next(), m.next(), m.next(), m.next()]), 'next x4');
    assert.deepEqual(
      rs.map((r) => (r.done ? 'done' : r.value)),
      [2, 4, 6, 'done'],
    );
  });

  it('map is not refused by maxQueue: it bounds what it has in flight itself', async () => {
    await using ex = new ThreadPoolExecutor({ maxWorkers: 2, maxQueue: 2 });
    assert.deepEqual(await guard(ex.map(tasks.echo, range(40)), 'map'), range(40));
  });

  for (const [name, make] of [
    ['threads', () => new ThreadPoolExecutor({ maxWorkers: 1, cancelGrace: 50 })],
    ['processes', () => new ProcessPoolExecutor({ maxWorkers: 1, cancelGrace: 50 })],
  ] as const) {
    it(`${name}: results finished before a long task are delivered, not lost when its timeout kills the worker`, async () => {
      const ex = make();
      try {
        await guard(ex.submit(tasks.spin, 0), 'warm-up');
        const quick = range(5).map(() => ex.submit(tasks.spin, 0));
        const long = ex.run(tasks.spin, [1500], { timeout: 200 });
        const settled = await guard(Promise.allSettled(quick), 'quick ones');
        assert.deepEqual(
          settled.map((s) => s.status),
          Array(5).fill('fulfilled'),
        );
        await assert.rejects(guard(long, 'long'), TimeoutError);
      } finally {
        await ex.shutdown({ cancelFutures: true });
      }
    });
  }

  it('an error whose property holds functions still arrives as itself', async () => {
    await using ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    const err: any = await guard(
      ex
        .submit(() => {
          const e: any = new RangeError('bad');
          e.code = 'E_BAD';
          e.config = { url: '/x', transform: () => 1 };
          throw e;
        })
        .catch((e: unknown) => e),
      'failing task',
    );
    const props = { code: err.code, config: err.config };
    assert.ok(err instanceof RangeError, String(err));
    assert.equal(props.code, 'E_BAD');
    assert.deepEqual(props.config, { url: '/x' });
  });

  it('workers that cannot start while the pool shuts down: the future rejects, shutdown ends, nothing respawns', async () => {
    const ex = new ProcessPoolExecutor({ maxWorkers: 1, execArgv: ['--no-such-flag'] });
    const f = ex.submit(tasks.echo, 1);
    await guard(ex.shutdown(), 'shutdown');
    await assert.rejects(guard(f, 'future'), BrokenExecutorError);
  });

  it('initargs that cannot be sent are a TypeError at construction', () => {
    assert.throws(
      () => new ThreadPoolExecutor({ initializer: tasks.echo, initargs: [1, Symbol('s')] }),
      (e: Error) => e instanceof TypeError && /initargs item 2/.test(e.message),
    );
  });

  it("a map's timeout fires even when nothing else keeps the process alive", async () => {
    const script = `import { AsyncExecutor } from 'weft';
      const r = await new AsyncExecutor().map(() => new Promise(() => {}), [1], { timeout: 200 }).then(() => 'ok', (e) => e.name);
      console.log(r);`;
    const r = await runChild(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      timeoutMs: 20_000,
    });
    assert.equal(r.stdout.trim(), 'TimeoutError', r.stderr);
    assert.equal(r.code, 0);
  });
});
