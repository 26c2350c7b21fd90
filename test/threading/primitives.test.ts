// weft/threading primitives on one thread: API, errors, timeouts, bad input,
// and the sync twins refusing to block the main thread.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Lock,
  RLock,
  Condition,
  Semaphore,
  BoundedSemaphore,
  Event,
  Barrier,
  Queue,
  Value,
  SharedArray,
  revive,
  currentThread,
} from 'weft/threading';
import {
  TimeoutError,
  InvalidStateError,
  ValueError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  BrokenBarrierError,
  CancelledError,
} from 'weft';

const kShare = Symbol.for('weft.share');
function share(x: object): { type: string; data: unknown } {
  return (x as any)[kShare]();
}

describe('weft/threading primitives (one thread)', { timeout: 60_000 }, () => {
  describe('Lock', () => {
    it('acquire / tryAcquire / release / locked', async () => {
      const lock = new Lock();
      assert.equal(lock.locked(), false);
      const g = await lock.acquire();
      assert.equal(lock.locked(), true);
      assert.equal(lock.owner, currentThread().ident);
      assert.equal(g.abandoned, false);
      assert.equal(lock.tryAcquire(), undefined);
      g.release();
      g.release(); // a guard releases once
      assert.equal(lock.locked(), false);
      {
        using _ = lock.tryAcquire();
        assert.equal(lock.locked(), true);
      }
      assert.equal(lock.locked(), false);
      assert.throws(() => lock.release(), InvalidStateError);
    });

    it('acquire times out with TimeoutError and takes nothing', async () => {
      const lock = new Lock();
      const g = lock.tryAcquire()!;
      await assert.rejects(lock.acquire({ timeout: 20 }), TimeoutError);
      await assert.rejects(lock.acquire({ timeout: 0 }), TimeoutError);
      g.release();
      assert.equal(lock.locked(), false);
    });

    it('a waiting acquire gets the lock when it is released', async () => {
      const lock = new Lock();
      const g = lock.tryAcquire()!;
      const p = lock.acquire();
      setTimeout(() => g.release(), 5);
      const g2 = await p;
      assert.equal(lock.locked(), true);
      g2.release();
    });

    it('an aborted acquire rejects with CancelledError and does not take the lock', async () => {
      const lock = new Lock();
      const g = lock.tryAcquire()!;
      const ac = new AbortController();
      const p = lock.acquire({ signal: ac.signal });
      ac.abort();
      await assert.rejects(p, CancelledError);
      await assert.rejects(lock.acquire({ signal: AbortSignal.abort() }), CancelledError);
      g.release();
      assert.equal(lock.locked(), false);
    });

    it('bad options are TypeError / RangeError', async () => {
      const lock = new Lock();
      const g = await lock.acquire({ timeout: -1 }); // Python: a timeout <= 0 tries once
      await assert.rejects(lock.acquire({ timeout: -1 }), TimeoutError);
      g.release();
      await assert.rejects(lock.acquire({ timeout: Number.NaN }), RangeError);
      await assert.rejects(lock.acquire({ timeout: '5' as any }), TypeError);
      await assert.rejects(lock.acquire({ timout: 5 } as any), /did you mean "timeout"/);
      await assert.rejects(lock.acquire({ signal: {} as any }), TypeError);
      await assert.rejects(lock.acquire(5 as any), TypeError);
    });
  });

  describe('sync twins refuse to block the main thread', () => {
    it('every blocking method throws InvalidStateError here', () => {
      const lock = new Lock();
      const re = /only allowed in worker threads/;
      assert.throws(
        () => lock.acquireSync(),
        (e: unknown) => e instanceof InvalidStateError && re.test((e as Error).message),
      );
      assert.equal(lock.locked(), false);
      assert.throws(() => new RLock().acquireSync(), InvalidStateError);
      assert.throws(() => new Semaphore(1).acquireSync(), InvalidStateError);
      assert.throws(() => new Event().waitSync(), InvalidStateError);
      assert.throws(() => new Barrier(2).waitSync(), InvalidStateError);
      assert.throws(() => new Queue().getSync(), InvalidStateError);
      assert.throws(() => new Queue().putSync(1), InvalidStateError);
      assert.throws(() => new Condition().waitSync(), InvalidStateError);
    });
  });

  describe('RLock', () => {
    it('is re-entrant for its owner and free after as many releases', async () => {
      const r = new RLock();
      const a = await r.acquire();
      const b = await r.acquire();
      const c = r.tryAcquire()!;
      assert.equal(r.locked(), true);
      c.release();
      b.release();
      assert.equal(r.locked(), true);
      a.release();
      assert.equal(r.locked(), false);
      assert.throws(() => r.release(), InvalidStateError);
    });
  });

  describe('Condition', () => {
    it('wait / notify on one thread (async)', async () => {
      const cond = new Condition(new Lock());
      const box = new SharedArray('int32', 1);
      const consumer = (async () => {
        using _ = await cond.acquire();
        await cond.waitFor(() => box[0]! > 0);
        box[0]!--;
        return cond.locked();
      })();
      await new Promise((r) => setTimeout(r, 5));
      {
        using _ = await cond.acquire();
        box[0] = 1;
        cond.notify();
      }
      assert.equal(await consumer, true);
      assert.equal(box[0], 0);
      assert.equal(cond.locked(), false);
    });

    it('wait times out with TimeoutError and holds the lock again', async () => {
      const cond = new Condition();
      using _ = await cond.acquire();
      await assert.rejects(cond.wait({ timeout: 10 }), TimeoutError);
      assert.equal(cond.lock.locked(), true);
      await assert.rejects(
        cond.waitFor(() => false, { timeout: 10 }),
        TimeoutError,
      );
    });

    it('wait / notify without the lock are InvalidStateError', async () => {
      const cond = new Condition();
      await assert.rejects(cond.wait(), InvalidStateError);
      assert.throws(() => cond.notify(), InvalidStateError);
      assert.throws(() => new Condition({} as any), TypeError);
    });
  });

  describe('Semaphore / BoundedSemaphore', () => {
    it('counts', async () => {
      const s = new Semaphore(2);
      const a = await s.acquire();
      const b = s.tryAcquire()!;
      assert.equal(s.locked(), true);
      assert.equal(s.tryAcquire(), undefined);
      await assert.rejects(s.acquire({ timeout: 5 }), TimeoutError);
      const p = s.acquire();
      a.release();
      (await p).release();
      b.release();
      assert.equal(s.value, 2);
      s.release(3);
      assert.equal(s.value, 5);
    });

    it('BoundedSemaphore refuses to go above its initial value', () => {
      const s = new BoundedSemaphore(1);
      const g = s.tryAcquire()!;
      g.release();
      assert.throws(() => s.release(), ValueError);
      assert.equal(s.value, 1);
    });

    it('bad values are RangeError', () => {
      assert.throws(() => new Semaphore(-1), RangeError);
      assert.throws(() => new Semaphore(1.5), RangeError);
      assert.throws(() => new Semaphore(1).release(0), RangeError);
    });
  });

  describe('Event', () => {
    it('set / clear / isSet / wait', async () => {
      const e = new Event();
      assert.equal(e.isSet(), false);
      await assert.rejects(e.wait({ timeout: 5 }), TimeoutError);
      const p = e.wait();
      e.set();
      assert.equal(await p, true);
      assert.equal(await e.wait(), true);
      e.clear();
      assert.equal(e.isSet(), false);
    });
  });

  describe('Barrier', () => {
    it('releases parties together with distinct indices, and can be reused', async () => {
      const b = new Barrier(3);
      assert.equal(b.parties, 3);
      for (let round = 0; round < 3; round++) {
        const ps = [b.wait(), b.wait(), b.wait()];
        const idx = (await Promise.all(ps)).sort();
        assert.deepEqual(idx, [0, 1, 2]);
      }
      assert.equal(b.nWaiting, 0);
      assert.equal(b.broken, false);
    });

    it('abort breaks it; reset repairs it; a timeout breaks it', async () => {
      const b = new Barrier(2);
      const p = b.wait();
      await b.abort();
      await assert.rejects(p, BrokenBarrierError);
      assert.equal(b.broken, true);
      await assert.rejects(b.wait(), BrokenBarrierError);
      await b.reset();
      assert.equal(b.broken, false);
      assert.deepEqual((await Promise.all([b.wait(), b.wait()])).sort(), [0, 1]);
      const waiting = b.wait();
      await b.reset();
      await assert.rejects(waiting, BrokenBarrierError);
      assert.equal(b.broken, false);
      assert.deepEqual((await Promise.all([b.wait(), b.wait()])).sort(), [0, 1]);
      assert.throws(() => new Barrier(0), RangeError);
    });

    it('wait times out with TimeoutError, and the other waiters get BrokenBarrierError', async () => {
      const b = new Barrier(3);
      const other = b.wait();
      await assert.rejects(b.wait({ timeout: 10 }), TimeoutError);
      await assert.rejects(other, BrokenBarrierError);
      assert.equal(b.broken, true);
    });
  });

  describe('Queue', () => {
    it('FIFO, structured clone, nowait twins, sizes', async () => {
      const q = new Queue<unknown>({ maxsize: 3 });
      assert.equal(q.maxsize, 3);
      assert.equal(q.empty(), true);
      const item = { a: [1, 2, { b: new Map([[1, 'x']]) }], d: new Date(0), big: 10n };
      await q.put(item);
      q.putNowait('two');
      await q.put(3);
      assert.equal(q.full(), true);
      assert.equal(q.qsize(), 3);
      assert.throws(() => q.putNowait(4), QueueFull);
      await assert.rejects(q.put(4, { timeout: 5 }), TimeoutError);
      assert.deepEqual(await q.get(), item);
      assert.equal(q.getNowait(), 'two');
      assert.equal(await q.get(), 3);
      assert.throws(() => q.getNowait(), QueueEmpty);
      await assert.rejects(q.get({ timeout: 5 }), TimeoutError);
    });

    it('items round-trip with structured clone semantics (fast paths included)', () => {
      const q = new Queue<unknown>();
      const shared = { x: 1 };
      const cyclic: any = { name: 'c' };
      cyclic.self = cyclic;
      const items: unknown[] = [
        0,
        -0,
        NaN,
        Infinity,
        1.5,
        '',
        'héllo 🌍',
        true,
        false,
        null,
        undefined,
        12n,
        { a: 1, b: [1, 'two', { c: null }] },
        [1, 2, 3],
        [],
        {},
        { u: undefined },
        { n: -0 },
        { nan: NaN },
        // biome-ignore lint/suspicious/noSparseArray: a hole must survive the trip
        [1, , 3],
        { toJSON: 'kept as data' },
        new Map([[1, { k: 'v' }]]),
        new Set([1, 2]),
        new Date(5),
        new Uint8Array([1, 2, 3]),
        /re/g,
        { s1: shared, s2: shared },
        cyclic,
        'x'.repeat(10_000),
      ];
      for (const item of items) q.putNowait(item);
      for (const item of items) {
        assert.deepStrictEqual(q.getNowait(), item);
      }
      q.putNowait({ s1: shared, s2: shared });
      const back = q.getNowait() as { s1: object; s2: object };
      assert.equal(back.s1, back.s2, 'a shared reference stays shared');
      q.putNowait(cyclic);
      const c = q.getNowait() as any;
      assert.equal(c.self, c);
    });

    it('wraps around its byte ring without losing or reordering items', async () => {
      const q = new Queue<string>({ bytes: 256 });
      let next = 0;
      let expect = 0;
      for (let round = 0; round < 500; round++) {
        const n = 1 + (round % 4);
        for (let i = 0; i < n; i++) {
          try {
            q.putNowait(`item-${next}-${'x'.repeat(next % 37)}`);
            next++;
          } catch (e) {
            assert.ok(e instanceof QueueFull);
            break;
          }
        }
        while (!q.empty()) {
          const s = q.getNowait();
          assert.equal(s, `item-${expect}-${'x'.repeat(expect % 37)}`);
          expect++;
        }
      }
      assert.equal(expect, next);
    });

    it('get waits for a put; put waits for room', async () => {
      const q = new Queue<number>({ maxsize: 1 });
      const g = q.get();
      await q.put(1);
      assert.equal(await g, 1);
      await q.put(2);
      const p = q.put(3);
      assert.equal(await q.get(), 2);
      await p;
      assert.equal(await q.get(), 3);
    });

    it('shutdown: puts fail, gets drain then fail, iteration ends, waiters wake', async () => {
      const q = new Queue<number>();
      const waiting = q.get();
      q.shutdown();
      await assert.rejects(waiting, QueueShutDown);
      const q2 = new Queue<number>();
      await q2.put(1);
      await q2.put(2);
      q2.close();
      await assert.rejects(q2.put(3), QueueShutDown);
      assert.throws(() => q2.putNowait(3), QueueShutDown);
      const got: number[] = [];
      for await (const x of q2) got.push(x);
      assert.deepEqual(got, [1, 2]);
      assert.throws(() => q2.getNowait(), QueueShutDown);
    });

    it('taskDone / join', async () => {
      const q = new Queue<number>();
      await q.put(1);
      await q.put(2);
      const joined = q.join();
      await q.get();
      q.taskDone();
      await q.get();
      q.taskDone();
      await joined;
      assert.throws(() => q.taskDone(), ValueError);
      await q.put(3);
      await assert.rejects(q.join({ timeout: 5 }), TimeoutError);
    });

    it('refuses what cannot cross threads and what cannot fit', async () => {
      const q = new Queue({ bytes: 64 });
      await assert.rejects(
        q.put(() => 1),
        TypeError,
      );
      await assert.rejects(q.put({ f() {} }), TypeError);
      await assert.rejects(q.put('x'.repeat(100)), ValueError);
      assert.throws(() => new Queue({ maxsize: -1 }), RangeError);
      assert.throws(() => new Queue({ bytes: 1.5 }), RangeError);
    });
  });

  describe('Value', () => {
    it('int32 / uint32 / bigint64 / float64', () => {
      const i = new Value('int32', 5);
      assert.equal(i.add(2), 7);
      assert.equal(i.compareExchange(7, 10), 7);
      assert.equal(i.compareExchange(7, 11), 10);
      assert.equal(i.value, 10);
      i.value = 0x7fffffff;
      assert.equal(i.add(1), -0x80000000);
      const u = new Value('uint32');
      assert.equal(u.add(-1), 0xffffffff);
      const b = new Value('bigint64', 1n);
      assert.equal(b.add(2n), 3n);
      assert.equal(b.compareExchange(3n, 4n), 3n);
      const f = new Value('float64', 0.5);
      assert.equal(f.add(0.25), 0.75);
      assert.equal(f.compareExchange(0.75, 1.5), 0.75);
      assert.equal(f.value, 1.5);
      assert.ok(f.getLock() instanceof Lock);
      assert.equal(f.getLock(), f.getLock());
    });

    it('bad kinds and values are TypeError / RangeError', () => {
      assert.throws(() => new Value('int64' as any), TypeError);
      assert.throws(() => new Value('int32', 1.5), RangeError);
      assert.throws(() => new Value('int32', 1n as any), TypeError);
      assert.throws(() => new Value('bigint64', 1 as any), TypeError);
    });
  });

  describe('SharedArray', () => {
    it('is a typed array of its kind over a SharedArrayBuffer', () => {
      const a = new SharedArray('float64', 4);
      assert.ok(a instanceof Float64Array);
      assert.ok(a.buffer instanceof SharedArrayBuffer);
      assert.equal(a.length, 4);
      const b = new SharedArray('int32', [1, 2, 3]);
      assert.deepEqual([...b], [1, 2, 3]);
      assert.ok(SharedArray.isSharedArray(b));
      assert.equal(SharedArray.isSharedArray(new Int32Array(1)), false);
      assert.throws(() => new SharedArray('nope' as any, 1), TypeError);
      assert.throws(() => new SharedArray('int8', -1), RangeError);
    });
  });

  describe('revive', () => {
    it('rebuilds every primitive on the same memory', async () => {
      const lock = new Lock();
      const d = share(lock);
      const lock2 = revive(d.type, structuredClone(d.data)) as Lock;
      const g = lock2.tryAcquire()!;
      assert.equal(lock.locked(), true);
      g.release();

      const v = new Value('float64', 1.5);
      const v2 = revive('Value', share(v).data) as Value<'float64'>;
      v2.add(1);
      assert.equal(v.value, 2.5);

      const q = new Queue<string>();
      const q2 = revive('Queue', structuredClone(share(q).data)) as Queue<string>;
      await q.put('hello');
      assert.equal(q2.getNowait(), 'hello');

      const arr = new SharedArray('uint8', 3);
      const arr2 = revive('SharedArray', structuredClone(share(arr).data)) as Uint8Array;
      arr2[1] = 7;
      assert.equal(arr[1], 7);

      const cond = new Condition(new Lock());
      const cond2 = revive('Condition', structuredClone(share(cond).data)) as Condition;
      assert.ok(cond2.lock instanceof Lock);
      for (const x of [new RLock(), new Semaphore(2), new BoundedSemaphore(2), new Event(), new Barrier(2)]) {
        const s = share(x);
        assert.equal(revive(s.type, structuredClone(s.data)).constructor, x.constructor);
      }
      assert.throws(() => revive('Nope', {}), TypeError);
    });
  });

  it('currentThread() on the main thread', () => {
    assert.deepEqual(currentThread(), { name: 'MainThread', ident: 0, isMain: true });
  });
});
