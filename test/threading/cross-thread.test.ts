// weft/threading across worker threads: the seeds' race and its fixes, a Queue
// between threads, Barrier and Condition, timeouts inside workers, owner death,
// Thread and ThreadPoolExecutor, and raw Workers reviving shared objects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Thread, Lock, RLock, Condition, Semaphore, Event, Barrier, Queue, Value, SharedArray, currentThread } from 'weft/threading';
import { ThreadPoolExecutor } from 'weft/futures';
import { CancelledError, TimeoutError } from 'weft';
import tasks from '../fixtures/threading-tasks.mjs';

/** Rejects if `p` has not settled within `ms`: a broken implementation fails, never hangs. */
async function guard<T>(p: PromiseLike<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (hang?)`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(p), t]);
  } finally {
    clearTimeout(timer);
  }
}

function threads<R>(n: number, target: any, args: (i: number) => unknown[]): Thread<R>[] {
  const ts: Thread<R>[] = [];
  for (let i = 0; i < n; i++) {
    const t = new Thread<R>(target, { args: args(i), name: `T${i}` });
    t.start();
    ts.push(t);
  }
  return ts;
}

describe('weft/threading across threads', { timeout: 60_000 }, () => {
  describe("the seeds' race: a shared counter incremented by 4 threads", () => {
    const N = 50_000;

    it('with a Lock (blocking acquire): exact', async () => {
      const lock = new Lock();
      const counter = new SharedArray('int32', 1);
      const ts = threads(4, tasks.incrementWithLock, () => [lock, counter, N]);
      await guard(Promise.all(ts.map((t) => t.join())), 'join');
      assert.equal(counter[0], 4 * N);
      assert.equal(lock.locked(), false);
    });

    it('with a Lock (async acquire, and the main thread joining in): exact', async () => {
      const lock = new Lock();
      const counter = new SharedArray('int32', 1);
      const n = 5_000;
      const ts = threads(3, tasks.incrementWithLockAsync, () => [lock, counter, n]);
      for (let i = 0; i < n; i++) {
        using _ = await lock.acquire();
        counter[0] = counter[0]! + 1;
      }
      await guard(Promise.all(ts.map((t) => t.join())), 'join');
      assert.equal(counter[0], 4 * n);
    });

    it('with an atomic Value.add: exact', async () => {
      const value = new Value('int32', 0);
      const ts = threads(4, tasks.incrementAtomic, () => [value, N]);
      await guard(Promise.all(ts.map((t) => t.join())), 'join');
      assert.equal(value.value, 4 * N);
    });

    it('unprotected: never more than exact (updates may be lost)', async () => {
      const counter = new SharedArray('int32', 1);
      const ts = threads(4, tasks.incrementUnsafe, () => [counter, N]);
      await guard(Promise.all(ts.map((t) => t.join())), 'join');
      assert.ok(counter[0]! <= 4 * N && counter[0]! > 0);
    });

    it('through a ThreadPoolExecutor, objects nested in plain objects and arrays', async () => {
      const lock = new Lock();
      const counter = new SharedArray('int32', 1);
      const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
      try {
        const fn = ({ l, c }: { l: Lock; c: [Int32Array] }, n: number) => {
          for (let i = 0; i < n; i++) {
            const g = l.acquireSync();
            c[0][0] = c[0][0]! + 1;
            g.release();
          }
          return n;
        };
        const fs = [0, 1, 2, 3].map(() => pool.submit(fn, { l: lock, c: [counter] as [Int32Array] }, 10_000));
        await guard(Promise.all(fs), 'pool tasks');
        assert.equal(counter[0], 40_000);
      } finally {
        await pool.shutdown();
      }
    });
  });

  describe('Queue between threads', () => {
    it('100k items, 2 producers -> 2 consumers: nothing lost, nothing duplicated', async () => {
      const q = new Queue<number | null>({ maxsize: 1000, bytes: 64 * 1024 });
      const total = 100_000;
      const consumers = threads<number[]>(2, tasks.consume, () => [q]);
      const producers = threads<number>(2, tasks.produce, (i) => [q, i * (total / 2), total / 2, 1]);
      await guard(Promise.all(producers.map((t) => t.join())), 'producers');
      const got = (await guard(Promise.all(consumers.map((t) => t.join())), 'consumers')).flat();
      assert.equal(got.length, total);
      const seen = new Uint8Array(total);
      for (const x of got) {
        assert.equal(seen[x], 0, `duplicate ${x}`);
        seen[x] = 1;
      }
      assert.equal(q.qsize(), 0);
    });

    it('a worker producing, the main thread consuming with async get / for await', async () => {
      const q = new Queue<number | null>({ maxsize: 64 });
      const t = new Thread(tasks.produce, { args: [q, 0, 10_000, 1] });
      t.start();
      let sum = 0,
        n = 0;
      for (;;) {
        const x = await guard(q.get(), 'get');
        if (x === null) break;
        assert.equal(x, n);
        sum += x;
        n++;
      }
      await t.join();
      assert.equal(n, 10_000);
      assert.equal(sum, (10_000 * 9_999) / 2);
    });

    it('an async consumer in a worker ends when the queue is shut down', async () => {
      const q = new Queue<number>();
      const t = new Thread(tasks.consumeAsync, { args: [q] });
      t.start();
      for (let i = 0; i < 100; i++) await q.put(i);
      q.shutdown();
      assert.deepEqual(
        await guard(t.join(), 'join'),
        Array.from({ length: 100 }, (_, i) => i),
      );
    });
  });

  describe('Barrier and Condition across threads', () => {
    it('3 threads x 20 rounds of a Barrier: nobody passes early', async () => {
      const barrier = new Barrier(3);
      const marks = new SharedArray('int32', 3);
      const ts = threads<number[]>(3, tasks.barrierRounds, (i) => [barrier, marks, i, 20]);
      const seen = await guard(Promise.all(ts.map((t) => t.join())), 'join');
      for (let r = 0; r < 20; r++) assert.deepEqual(seen.map((s) => s[r]).sort(), [0, 1, 2]);
      assert.equal(barrier.broken, false);
    });

    it('Condition: 3 blocked consumers in workers, woken one item at a time', async () => {
      const cond = new Condition(new Lock());
      const box = new SharedArray('int32', 1);
      const ts = threads<boolean>(3, tasks.conditionConsumer, () => [cond, box, 20_000]);
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 5));
        using _ = await cond.acquire();
        box[0] = box[0]! + 1;
        cond.notify();
      }
      assert.deepEqual(await guard(Promise.all(ts.map((t) => t.join())), 'join'), [true, true, true]);
      assert.equal(box[0], 0);
    });

    it('Event: a set on the main thread wakes blocked workers', async () => {
      const ev = new Event();
      const ts = threads<{ name: string }>(2, tasks.waitEvent, () => [ev, 20_000]);
      await new Promise((r) => setTimeout(r, 10));
      ev.set();
      const infos = await guard(Promise.all(ts.map((t) => t.join())), 'join');
      assert.deepEqual(
        infos.map((i) => i.name),
        ['T0', 'T1'],
      );
    });

    it('Semaphore(2): never more than 2 holders across 4 threads', async () => {
      const sem = new Semaphore(2);
      const stats = new SharedArray('int32', 2);
      const ts = threads(4, tasks.semaphoreWork, () => [sem, stats, 2_000]);
      await guard(Promise.all(ts.map((t) => t.join())), 'join');
      assert.ok(stats[1]! <= 2 && stats[1]! >= 1, `max holders ${stats[1]}`);
      assert.equal(sem.value, 2);
    });
  });

  describe('timeouts in workers', () => {
    it('acquireSync({ timeout }) throws TimeoutError in a worker', async () => {
      const lock = new Lock();
      const g = lock.tryAcquire()!;
      const t = new Thread(tasks.syncTimeout, { args: [lock] });
      t.start();
      assert.equal(await guard(t.join(), 'join'), 'TimeoutError');
      g.release();
    });
  });

  describe('owner death', () => {
    it('a thread terminated while holding a Lock: waiters (async and blocking) get it, flagged abandoned', async () => {
      const lock = new Lock();
      const ev = new Event();
      const holder = new Thread(tasks.holdForever, { args: [lock, ev], name: 'holder' });
      holder.start();
      await guard(ev.wait(), 'holder took the lock');
      assert.equal(lock.owner, holder.ident);
      const blockedWaiter = new Thread<boolean>(tasks.acquireReport, { args: [lock, 20_000] });
      blockedWaiter.start();
      const asyncWaiter = lock.acquire({ timeout: 20_000 });
      await guard(holder.terminate(), 'terminate');
      await assert.rejects(holder.join(), CancelledError);
      const g = await guard(asyncWaiter, 'async waiter');
      const firstAbandoned = g.abandoned;
      g.release();
      const secondAbandoned = await guard(blockedWaiter.join(), 'blocking waiter');
      assert.equal(firstAbandoned !== secondAbandoned, true, 'exactly one acquirer learns of the abandonment');
      assert.equal(lock.locked(), false);
    });

    it('a thread that returns while holding a Lock or RLock abandons it', async () => {
      for (const lock of [new Lock(), new RLock()]) {
        const t = new Thread(tasks.holdAndReturn, { args: [lock] });
        t.start();
        assert.equal(await guard(t.join(), 'join'), 'left holding');
        const g = await guard(lock.acquire({ timeout: 20_000 }), 'acquire');
        assert.equal(g.abandoned, true);
        g.release();
        assert.equal(lock.locked(), false);
      }
    });
  });

  describe('Thread', () => {
    it('join returns the value; errors keep class, message, remote stack and properties', async () => {
      const t = new Thread((a: number, b: number) => a * b, { args: [6, 7] });
      assert.equal(t.isAlive(), false);
      t.start();
      assert.equal(t.isAlive(), true);
      assert.throws(() => t.start());
      assert.equal(await t.join(), 42);
      assert.equal(t.isAlive(), false);
      assert.equal(typeof t.ident, 'number');

      const f = new Thread(tasks.fail, { args: ['boom'] });
      f.start();
      await assert.rejects(
        f.join(),
        (e: any) =>
          e instanceof RangeError && e.message === 'boom' && (e as any).code === 'E_TEST' && /threading-tasks\.mjs/.test(String(e.stack)),
      );
    });

    it('name, ident and currentThread() inside', async () => {
      const t = new Thread(tasks.whoAmI, { name: 'worker-one' });
      t.start();
      const info = await t.join();
      assert.deepEqual(info, { name: 'worker-one', ident: t.ident, isMain: false });
      assert.notEqual(info.ident, currentThread().ident);
    });

    it('join({ timeout }) throws TimeoutError and the thread goes on; terminate stops it', async () => {
      const lock = new Lock();
      const ev = new Event();
      const t = new Thread(tasks.holdForever, { args: [lock, ev] });
      t.start();
      await assert.rejects(t.join({ timeout: 20 }), TimeoutError);
      assert.equal(t.isAlive(), true);
      await t.terminate();
      assert.equal(t.isAlive(), false);
    });

    it('a daemon thread does not keep the process alive', async () => {
      const code = `
        import { Thread } from 'weft/threading';
        const t = new Thread(() => { for (;;) {} }, { daemon: true });
        t.start();
        setTimeout(() => console.log('main done'), 50);
      `;
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), timeout: 20_000, encoding: 'utf8' });
      assert.equal(r.signal, null, 'the process had to be killed: the daemon kept it alive');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /main done/);
    });

    it('bad arguments are TypeError', () => {
      assert.throws(() => new Thread(42 as any), TypeError);
      assert.throws(() => new Thread(() => 1, { args: 'x' as any }), TypeError);
    });
  });

  describe('raw Worker + revive (the codec contract)', () => {
    it('a Worker that revives a Lock and a Value from their [kShare]() descriptions', async () => {
      const kShare = Symbol.for('weft.share');
      const lock = new Lock();
      const value = new Value('float64', 0);
      const code = `
        import { workerData, parentPort } from 'node:worker_threads';
        const { revive } = await import('weft/threading');
        const lock = revive('Lock', workerData.lock);
        const value = revive('Value', workerData.value);
        for (let i = 0; i < 1000; i++) { const g = lock.acquireSync(); value.value = value.value + 0.5; g.release(); }
        parentPort.postMessage('done');
      `;
      const workerData = { lock: (lock as any)[kShare]().data, value: (value as any)[kShare]().data };
      const ws = [0, 1].map(() => new Worker(code, { eval: true, workerData, type: 'module' } as any));
      await guard(
        Promise.all(
          ws.map(
            (w) =>
              new Promise((resolve, reject) => {
                w.once('message', resolve);
                w.once('error', reject);
              }),
          ),
        ),
        'workers',
      );
      await Promise.all(ws.map((w) => w.terminate()));
      assert.equal(value.value, 1000);
    });
  });
});
