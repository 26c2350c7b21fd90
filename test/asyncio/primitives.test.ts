import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  Condition,
  Event,
  InvalidStateError,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  Semaphore,
  TimeoutError,
  ValueError,
  createTask,
  sleep,
} from 'weft/asyncio';

const tick = () => sleep(0);

describe('Lock / Semaphore / BoundedSemaphore specifics', { timeout: 30_000 }, () => {
  it('release of an unlocked Lock throws InvalidStateError', () => {
    assert.throws(() => new Lock().release(), InvalidStateError);
  });
  it('Semaphore counts and statistics', async () => {
    const s = new Semaphore(2);
    const a = await s.acquire();
    assert.equal(s.value, 1);
    const b = s.tryAcquire()!;
    assert.equal(s.locked(), true);
    const p = s.acquire();
    assert.deepEqual({ ...s.statistics(), acquisitions: 0 }, { value: 0, waiters: 1, acquisitions: 0, contended: 1 });
    a.release();
    (await p).release();
    b.release();
    assert.equal(s.value, 2);
    s.release();
    assert.equal(s.value, 3, 'a plain Semaphore may be released above its initial value');
  });
  it('BoundedSemaphore refuses extra releases with ValueError', async () => {
    const s = new BoundedSemaphore(1);
    assert.throws(() => s.release(), ValueError);
    const g = await s.acquire();
    g.release();
    assert.throws(() => s.release(), ValueError);
  });
  it('bad constructor arguments', () => {
    assert.throws(() => new Semaphore(-1), RangeError);
    assert.throws(() => new Semaphore(1.5), /got 1.5 \(number\)/);
    assert.throws(() => new Barrier(0), RangeError);
    assert.throws(() => new Queue({ maxsize: -1 }), RangeError);
    assert.throws(() => new Condition({} as Lock), TypeError);
  });
});

describe('Event', { timeout: 30_000 }, () => {
  it('set wakes every waiter; wait returns at once while set; clear', async () => {
    const e = new Event();
    const woke: number[] = [];
    const ps = [1, 2, 3].map((i) => e.wait().then(() => woke.push(i)));
    await tick();
    assert.equal(e.statistics().waiters, 3);
    e.set();
    await Promise.all(ps);
    assert.deepEqual(woke, [1, 2, 3]);
    assert.equal(await e.wait(), true);
    e.clear();
    assert.equal(e.isSet(), false);
    await assert.rejects(e.wait({ timeout: 1 }), TimeoutError);
    assert.equal(e.statistics().waiters, 0);
  });
});

describe('Condition', { timeout: 30_000 }, () => {
  it('wait releases the lock and re-acquires it; notify wakes one at a time in FIFO order', async () => {
    const c = new Condition();
    const order: number[] = [];
    const ts = [0, 1, 2].map((i) =>
      createTask(async () => {
        using _g = await c.acquire();
        await c.wait();
        assert.equal(c.locked(), true);
        order.push(i);
      }),
    );
    await sleep(1);
    assert.equal(c.statistics().waiters, 3);
    {
      using _g = await c.acquire();
      c.notify();
    }
    await sleep(1);
    assert.deepEqual(order, [0]);
    {
      using _g = await c.acquire();
      c.notifyAll();
    }
    for (const t of ts) await t;
    assert.deepEqual(order, [0, 1, 2]);
    assert.equal(c.locked(), false);
  });

  it('wait/notify without the lock throw InvalidStateError', async () => {
    const c = new Condition();
    await assert.rejects(c.wait(), InvalidStateError);
    assert.throws(() => c.notify(), InvalidStateError);
    assert.throws(() => c.notifyAll(), InvalidStateError);
  });

  it('a cancelled or timed-out wait re-acquires the lock before throwing', async () => {
    const c = new Condition();
    await c.acquire();
    await assert.rejects(c.wait({ timeout: 1 }), TimeoutError);
    assert.equal(c.locked(), true);
    const ac = new AbortController();
    const p = c.wait({ signal: ac.signal });
    ac.abort();
    await assert.rejects(p, CancelledError);
    assert.equal(c.locked(), true);
    c.release();
  });

  it('waitFor checks the predicate after each notification; timeout', async () => {
    const c = new Condition(new Lock());
    let n = 0;
    const t = createTask(async () => {
      using _g = await c.acquire();
      return await c.waitFor(() => n >= 3 && n);
    });
    for (let i = 0; i < 3; i++) {
      await sleep(1);
      using _g = await c.acquire();
      n++;
      c.notifyAll();
    }
    assert.equal(await t, 3);
    using _g = await c.acquire();
    await assert.rejects(
      c.waitFor(() => false, { timeout: 2 }),
      TimeoutError,
    );
    assert.equal(c.locked(), true);
  });
});

describe('Barrier', { timeout: 30_000 }, () => {
  it('releases all parties when full, returns distinct indices, and cycles', async () => {
    const b = new Barrier(3);
    for (let cycle = 0; cycle < 2; cycle++) {
      const idx = await Promise.all([b.wait(), b.wait(), b.wait()]);
      assert.deepEqual([...idx].sort(), [0, 1, 2]);
    }
    assert.equal(b.statistics().cycles, 2);
    assert.equal(b.nWaiting, 0);
  });
  it('a cancelled party leaves; the barrier waits for a replacement', async () => {
    const b = new Barrier(2);
    const ac = new AbortController();
    const p = b.wait({ signal: ac.signal });
    assert.equal(b.nWaiting, 1);
    ac.abort();
    await assert.rejects(p, CancelledError);
    assert.equal(b.nWaiting, 0);
    const r = await Promise.all([b.wait(), b.wait()]);
    assert.deepEqual(r.sort(), [0, 1]);
  });
  it('abort breaks it, reset repairs it', async () => {
    const b = new Barrier(2);
    const p = b.wait();
    await b.abort();
    await assert.rejects(p, BrokenBarrierError);
    assert.equal(b.broken, true);
    await assert.rejects(b.wait(), BrokenBarrierError);
    await b.reset();
    assert.equal(b.broken, false);
    const p2 = b.wait();
    await b.reset();
    await assert.rejects(p2, BrokenBarrierError);
    assert.equal(b.parties, 2);
  });
});

describe('Queue, PriorityQueue, LifoQueue', { timeout: 30_000 }, () => {
  it('FIFO put/get, nowait twins, sizes', async () => {
    const q = new Queue<number>({ maxsize: 2 });
    assert.equal(q.empty(), true);
    await q.put(1);
    q.putNowait(2);
    assert.equal(q.full(), true);
    assert.throws(() => q.putNowait(3), QueueFull);
    assert.equal(q.qsize(), 2);
    assert.equal(await q.get(), 1);
    assert.equal(q.getNowait(), 2);
    assert.throws(() => q.getNowait(), QueueEmpty);
    assert.equal(q.maxsize, 2);
  });

  it('blocked putters and getters are served in FIFO order', async () => {
    const q = new Queue<string>({ maxsize: 1 });
    q.putNowait('a');
    const puts = [q.put('b'), q.put('c')];
    assert.equal(q.statistics().putters, 2);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
    await Promise.all(puts);
    const gets = [q.get(), q.get()];
    q.putNowait('x');
    await q.put('y');
    assert.deepEqual(await Promise.all(gets), ['x', 'y']);
  });

  it('a put that times out does not put its item; a get that times out takes nothing', async () => {
    const q = new Queue<number>({ maxsize: 1 });
    q.putNowait(1);
    await assert.rejects(q.put(2, { timeout: 1 }), TimeoutError);
    assert.equal(q.qsize(), 1);
    assert.equal(q.getNowait(), 1);
    await assert.rejects(q.get({ timeout: 1 }), TimeoutError);
    q.putNowait(3);
    assert.equal(q.getNowait(), 3);
  });

  it('taskDone / join', async () => {
    const q = new Queue<number>();
    await q.join();
    q.putNowait(1);
    q.putNowait(2);
    let joined = false;
    const j = q.join().then(() => {
      joined = true;
    });
    q.getNowait();
    q.taskDone();
    await tick();
    assert.equal(joined, false);
    q.getNowait();
    q.taskDone();
    await j;
    assert.equal(joined, true);
    assert.throws(() => q.taskDone(), ValueError);
  });

  it('shutdown(): puts refused, items drained, then QueueShutDown; waiting getters and putters are released', async () => {
    const q = new Queue<number>({ maxsize: 1 });
    q.putNowait(1);
    const blockedPut = q.put(2);
    q.shutdown();
    await assert.rejects(blockedPut, QueueShutDown);
    await assert.rejects(q.put(3), QueueShutDown);
    assert.throws(() => q.putNowait(3), QueueShutDown);
    assert.equal(await q.get(), 1);
    await assert.rejects(q.get(), QueueShutDown);
    assert.throws(() => q.getNowait(), QueueShutDown);
    const q2 = new Queue<number>();
    const g = q2.get();
    q2.shutdown();
    await assert.rejects(g, QueueShutDown);
  });

  it('shutdown({ immediate: true }) drops the items and releases join()', async () => {
    const q = new Queue<number>();
    q.putNowait(1);
    q.putNowait(2);
    const j = q.join();
    q.shutdown({ immediate: true });
    await j;
    assert.equal(q.qsize(), 0);
    await assert.rejects(q.get(), QueueShutDown);
    assert.equal(q.statistics().shutdown, true);
  });

  it('for await iterates until shutdown', async () => {
    const q = new Queue<number>();
    const producer = createTask(async () => {
      for (let i = 0; i < 5; i++) {
        await q.put(i);
        await sleep(0);
      }
      q.shutdown();
    });
    const got: number[] = [];
    for await (const x of q) got.push(x);
    await producer;
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
  });

  it('PriorityQueue gives the smallest first, with a custom compare too', async () => {
    const q = new PriorityQueue<number>();
    for (const x of [5, 1, 4, 2, 3, 0, 9]) q.putNowait(x);
    const out = [];
    while (!q.empty()) out.push(await q.get());
    assert.deepEqual(out, [0, 1, 2, 3, 4, 5, 9]);
    const pq = new PriorityQueue<[number, string]>({ compare: (a, b) => a[0] - b[0] });
    pq.putNowait([2, 'low']);
    pq.putNowait([1, 'high']);
    assert.deepEqual(pq.getNowait(), [1, 'high']);
    assert.throws(() => new PriorityQueue({ compare: 1 as never }), TypeError);
  });

  it('LifoQueue gives the newest first', async () => {
    const q = new LifoQueue<number>({ maxsize: 3 });
    q.putNowait(1);
    q.putNowait(2);
    q.putNowait(3);
    assert.equal(q.full(), true);
    assert.deepEqual([q.getNowait(), await q.get(), q.getNowait()], [3, 2, 1]);
  });

  it('for await over a queue inside a task is cancelled with the task', async () => {
    const q = new Queue<number>();
    const seen: number[] = [];
    const t = createTask(async () => {
      for await (const x of q) seen.push(x);
    });
    await sleep(1);
    q.putNowait(1);
    await sleep(1);
    t.cancel();
    await assert.rejects(t.asPromise(), CancelledError);
    assert.deepEqual(seen, [1]);
    assert.equal(q.statistics().getters, 0);
  });

  it('many waiters that leave early are dropped from the queue; FIFO holds for the rest', async () => {
    const lock = new Lock();
    const g = await lock.acquire();
    const order: number[] = [];
    const acs: AbortController[] = [];
    const ps: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      const ac = new AbortController();
      acs.push(ac);
      ps.push(
        lock.acquire(i % 5 === 0 ? undefined : { signal: ac.signal }).then(
          (h) => {
            order.push(i);
            h.release();
          },
          () => undefined,
        ),
      );
    }
    for (let i = 0; i < 500; i++) if (i % 5 !== 0) acs[i]!.abort();
    assert.equal(lock.statistics().waiters, 100);
    g.release();
    await Promise.all(ps);
    assert.deepEqual(
      order,
      Array.from({ length: 100 }, (_, k) => k * 5),
    );
    assert.equal(lock.locked(), false);
  });

  it('a getter cancelled with its task loses no item', async () => {
    const q = new Queue<number>();
    const t = createTask(() => q.get());
    await tick();
    t.cancel();
    await assert.rejects(t.asPromise(), CancelledError);
    q.putNowait(7);
    assert.equal(q.getNowait(), 7);
  });
});
