/**
 * multiprocessing Queue, Pipe and Connection: in one process, and across the
 * child processes they are passed to (brokered by the parent). FIFO, bounded,
 * nothing lost or duplicated, clear errors after close.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, Pipe, Connection, Process, Pool } from 'weft/multiprocessing';
import { ProcessPoolExecutor, QueueEmpty, QueueFull, ValueError, CancelledError } from 'weft';
import tasks from '../fixtures/mp-tasks.mjs';
import { guard, installExitGuard, shutdownQuietly } from '../contracts/helpers.ts';

installExitGuard();

describe('multiprocessing Queue and Pipe', { timeout: 120_000 }, () => {
  describe('in one process', () => {
    it('Queue: FIFO, bounded, nowait variants, timeouts, signal, close', async () => {
      const q = new Queue<number>(2);
      assert.equal(q.maxsize, 2);
      assert.equal(q.empty(), true);
      await q.put(1);
      q.putNowait(2);
      assert.equal(q.full(), true);
      assert.equal(q.qsize(), 2);
      assert.throws(() => q.putNowait(3), QueueFull);
      await assert.rejects(q.put(3, { block: false }), QueueFull);
      await assert.rejects(q.put(3, { timeout: 10 }), QueueFull);
      const waiting = q.put(3); // waits for room
      assert.equal(q.getNowait(), 1);
      await guard(waiting, 'put after room');
      assert.equal(await q.get(), 2);
      assert.equal(await q.get(), 3);
      assert.throws(() => q.getNowait(), QueueEmpty);
      await assert.rejects(q.get({ timeout: 10 }), QueueEmpty);
      const ac = new AbortController();
      const g = q.get({ signal: ac.signal });
      ac.abort();
      await assert.rejects(g, CancelledError);
      await q.put(4);
      assert.equal(await q.get(), 4, 'a cancelled get took nothing');
      q.close();
      assert.throws(
        () => q.putNowait(1),
        (e: any) => e instanceof ValueError && /Queue is closed/.test(e.message),
      );
      await assert.rejects(q.get(), ValueError);
      assert.throws(() => new Queue(-1), RangeError);
      assert.throws(() => new Queue('2' as any), TypeError);
    });

    it('Pipe: duplex and one-way ends, poll, EOF after the other end closes, errors after close', async () => {
      const [a, b] = Pipe();
      assert.ok(a instanceof Connection);
      a.send({ x: 1 });
      a.send(new Map([[1, 2]]));
      assert.equal(await b.poll(), true);
      assert.deepEqual(await b.recv(), { x: 1 });
      assert.deepEqual(await b.recv(), new Map([[1, 2]]));
      assert.equal(await b.poll(10), false);
      b.send('back');
      assert.equal(await a.recv(), 'back');
      a.send('last');
      a.close();
      assert.equal(await b.recv(), 'last');
      await assert.rejects(b.recv(), (e: any) => e.name === 'EOFError');
      assert.equal(await b.poll(), true, 'poll says there is something to learn: the end');
      assert.throws(() => a.send(1), ValueError);
      await assert.rejects(a.recv(), ValueError);
      const [r, w] = Pipe(false);
      assert.equal(r.writable, false);
      assert.equal(w.readable, false);
      assert.throws(() => r.send(1), ValueError);
      await assert.rejects(w.recv(), ValueError);
      w.send(5);
      assert.equal(await r.recv(), 5);
      assert.throws(() => a.send(() => 1), ValueError, 'closed first');
      assert.throws(() => w.send(() => 1), TypeError);
      assert.throws(() => Pipe('yes' as any), TypeError);
    });
  });

  describe('across processes', () => {
    it('a Process produces into a Queue the parent consumes, and the other way round', async () => {
      const q = new Queue<number>(4);
      const p = new Process(tasks.produce, { args: [q, 50] });
      p.start();
      const got: number[] = [];
      for (let i = 0; i < 50; i++) got.push(await guard(q.get(), `item ${i}`));
      assert.deepEqual(
        got,
        Array.from({ length: 50 }, (_, i) => i),
        'FIFO, nothing lost or duplicated',
      );
      assert.equal(await guard(p.join(), 'join'), 0);

      const out = new Queue<number>();
      const c = new Process(tasks.drain, { args: [q, 10, out] });
      c.start();
      for (let i = 0; i < 10; i++) await q.put(i * 10);
      assert.equal(await guard(c.join(), 'join consumer'), 0);
      assert.deepEqual(
        Array.from({ length: 10 }, () => out.getNowait()),
        Array.from({ length: 10 }, (_, i) => i * 10),
      );
    });

    it('many producers and consumers across pool children: every item exactly once', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
      try {
        const q = new Queue<number>(5);
        const producers = [0, 1, 2].map(() => pool.submit(tasks.produce, q, 30));
        const mine: number[] = [];
        for (let i = 0; i < 90; i++) mine.push(await guard(q.get(), `item ${i}`));
        await guard(Promise.all(producers), 'producers');
        const counts = new Map<number, number>();
        for (const x of mine) counts.set(x, (counts.get(x) ?? 0) + 1);
        for (let i = 0; i < 30; i++) assert.equal(counts.get(i), 3, `item ${i} arrived once from each producer`);
        assert.equal(q.qsize(), 0);
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('timeouts and non-blocking calls work from a child; sync methods tell what to use instead', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
      try {
        const q = new Queue<number>(1);
        assert.equal(await guard(pool.submit(tasks.getTimeout, q, 20), 'get timeout'), 'QueueEmpty');
        assert.equal(await guard(pool.submit(tasks.getNoBlock, q), 'get no block'), 'QueueEmpty');
        assert.equal(await guard(pool.submit(tasks.putNoBlock, q, 1), 'put no block'), 'ok');
        assert.equal(await guard(pool.submit(tasks.putNoBlock, q, 2), 'put no block, full'), 'QueueFull');
        assert.equal(q.getNowait(), 1);
        assert.equal(await guard(pool.submit(tasks.syncInChild, q), 'qsize in child'), 'TypeError');
        assert.match(await guard(pool.submit(tasks.closedUse, q), 'closed in child'), /ValueError: Queue is closed/);
        await q.put(7);
        assert.equal(q.getNowait(), 7, 'closing the child handle leaves the parent handle working');
        // A get that timed out in the child took nothing.
        await q.put(8);
        assert.equal(q.getNowait(), 8);
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('a child that dies while waiting on get does not take an item', async () => {
      const q = new Queue<number>();
      const p = new Process(tasks.consume, { args: [q, 1] });
      p.start();
      // Let the child's get reach the parent, then kill it.
      await new Promise((r) => setTimeout(r, 300));
      p.kill();
      await guard(p.join(), 'join');
      await q.put(1);
      assert.equal(await guard(q.get({ timeout: 5000 }), 'item'), 1, 'the item stayed here');
    });

    it('Pipe ends work in a child: echo, EOF when the child closes its end, one-way pipes', async () => {
      const [mine, theirs] = Pipe();
      const p = new Process(tasks.pipeEcho, { args: [theirs, 3] });
      p.start();
      theirs.close(); // the parent's copy of the child's end, as in Python
      for (const v of [1, 'two', { three: [3] }]) {
        mine.send(v);
        assert.deepEqual(await guard(mine.recv(), 'echo'), v);
      }
      assert.equal(await guard(p.join(), 'join'), 0);
      await assert.rejects(guard(mine.recv(), 'eof'), (e: any) => e.name === 'EOFError');

      const [r, w] = Pipe(false);
      const s = new Process(tasks.pipeSend, { args: [w, [1, 2, 3]] });
      s.start();
      w.close();
      const got: unknown[] = [];
      try {
        for (;;) got.push(await guard(r.recv(), 'recv'));
      } catch (e: any) {
        assert.equal(e.name, 'EOFError');
      }
      assert.deepEqual(got, [1, 2, 3]);
      assert.equal(await guard(s.join(), 'join sender'), 0);

      const [r2, w2] = Pipe(false);
      const pool = new Pool({ processes: 1 });
      try {
        const res = pool.apply(tasks.pipeRecvAll, [r2]);
        w2.send('a');
        w2.send('b');
        w2.close();
        assert.deepEqual(await guard(res, 'recv all in a pool task'), { got: ['a', 'b'], error: 'EOFError' });
      } finally {
        await pool.terminate();
      }
    });

    it('queues nested in plain objects are revived; a closed queue cannot be sent', async () => {
      const pool = new Pool({ processes: 1 });
      try {
        const a = new Queue<string>(),
          b = new Queue<string>();
        await a.put('moving');
        assert.equal(await guard(pool.apply(tasks.nested, [{ queues: [a, b] }]), 'nested'), 'moved');
        assert.equal(b.getNowait(), 'moving');
        const c = new Queue();
        c.close();
        await assert.rejects(pool.apply(tasks.echo, [c]), ValueError);
      } finally {
        await pool.terminate();
      }
    });
  });
});
