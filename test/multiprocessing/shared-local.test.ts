/**
 * The brokered shared-state primitives of weft/multiprocessing, used in the
 * process that made them (the holder): the same semantics as weft/asyncio's
 * primitives (FIFO, cancel-safe, timeouts that follow Python), the options
 * rules, and the values' arithmetic.
 */
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
  JoinableQueue,
  Lock,
  Queue,
  QueueEmpty,
  RLock,
  Semaphore,
  SharedArray,
  TimeoutError,
  Value,
  ValueError,
} from 'weft/multiprocessing';
import { createTask, run } from 'weft/asyncio';
import { guard } from '../contracts/helpers.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));
const DAY = 24 * 3600 * 1000;

describe('brokered primitives in the holder process', { timeout: 60_000 }, () => {
  it('Lock: FIFO hand-off, tryAcquire, release errors, guards, statistics', async () => {
    const lock = new Lock();
    const g1 = await lock.acquire();
    assert.equal(g1.abandoned, false);
    assert.equal(lock.locked(), true);
    assert.equal(lock.tryAcquire(), undefined);
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) =>
      lock.acquire().then((g) => {
        order.push(i);
        g.release();
      }),
    );
    await tick();
    assert.equal(lock.statistics().waiters, 3);
    g1.release();
    g1.release(); // a guard releases once
    await guard(Promise.all(waits), 'waiters');
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(lock.locked(), false);
    assert.throws(() => lock.release(), InvalidStateError);
    {
      using _ = lock.tryAcquire()!;
      assert.equal(lock.locked(), true);
    }
    assert.equal(lock.locked(), false);
    assert.deepEqual(lock.statistics(), { locked: false, waiters: 0, acquisitions: 5, contended: 3 });
  });

  it('Lock: timeouts follow Python (<= 0 does not wait, a 30-day timeout waits), signal and task cancellation', async () => {
    const lock = new Lock();
    const g = await lock.acquire();
    await assert.rejects(lock.acquire({ timeout: 0 }), TimeoutError);
    await assert.rejects(lock.acquire({ timeout: -5 }), TimeoutError);
    await assert.rejects(lock.acquire({ timeout: 10 }), TimeoutError);
    const ac = new AbortController();
    const long = lock.acquire({ timeout: 30 * DAY, signal: ac.signal });
    let settled = false;
    long.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, 'a 30-day timeout did not fire at once');
    ac.abort();
    await assert.rejects(long, CancelledError);
    // The current asyncio task's cancellation applies.
    await run(async () => {
      const t = createTask(() => lock.acquire());
      await tick();
      t.cancel();
      await assert.rejects(t.asPromise(), CancelledError);
    });
    g.release();
    assert.equal(lock.locked(), false, 'no cancelled wait took the lock');
    await assert.rejects(lock.acquire({ timeout: 'soon' as any }), TypeError);
    await assert.rejects(lock.acquire({ timeout: Number.NaN }), RangeError);
    await assert.rejects(lock.acquire({ timout: 5 } as any), /did you mean "timeout"/);
    await assert.rejects(lock.acquire({ signal: 'x' as any }), TypeError);
  });

  it('Lock: cancel wins over a grant that raced it (the lock goes to the next waiter)', async () => {
    const lock = new Lock();
    const g = await lock.acquire();
    const ac = new AbortController();
    const a = lock.acquire({ signal: ac.signal });
    const b = lock.acquire();
    await tick();
    g.release(); // a is granted ...
    ac.abort(); // ... and cancelled before it resumes
    await assert.rejects(a, CancelledError);
    const gb = await guard(b, 'b gets the lock');
    assert.equal(lock.locked(), true);
    gb.release();
    assert.equal(lock.locked(), false);
  });

  it('RLock: re-entrant in this process, free once released as often as acquired', async () => {
    const r = new RLock();
    const a = await r.acquire();
    const b = await r.acquire();
    assert.equal(r.locked(), true);
    b.release();
    assert.equal(r.locked(), true);
    a.release();
    assert.equal(r.locked(), false);
    assert.throws(() => r.release(), InvalidStateError);
  });

  it('Semaphore and BoundedSemaphore: permits, FIFO, bounded release, timeouts', async () => {
    const s = new Semaphore(2);
    const a = await s.acquire();
    const b = await s.acquire();
    assert.equal(s.locked(), true);
    assert.equal(s.value, 0);
    await assert.rejects(s.acquire({ timeout: 0 }), TimeoutError);
    const order: number[] = [];
    const w = [1, 2].map((i) => s.acquire().then((g) => order.push(i) && g));
    await tick();
    a.release();
    b.release();
    const gs = await guard(Promise.all(w), 'waiters');
    assert.deepEqual(order, [1, 2]);
    for (const g of gs) (g as any).release();
    assert.equal(s.value, 2);
    s.release(); // an unbounded semaphore may grow, as in Python
    assert.equal(s.value, 3);
    const bs = new BoundedSemaphore(1);
    assert.throws(() => bs.release(), ValueError);
    const g = bs.tryAcquire()!;
    assert.equal(bs.tryAcquire(), undefined);
    g.release();
    assert.equal(bs.value, 1);
    assert.throws(() => new Semaphore(-1), RangeError);
    assert.throws(() => new Semaphore('2' as any), TypeError);
    assert.throws(() => new Semaphore(1.5), RangeError);
  });

  it('Event: set wakes every waiter, clear, wait timeouts', async () => {
    const ev = new Event();
    assert.equal(ev.isSet(), false);
    await assert.rejects(ev.wait({ timeout: 0 }), TimeoutError);
    const ws = [ev.wait(), ev.wait(), ev.wait({ timeout: 30 * DAY })];
    await tick();
    ev.set();
    assert.deepEqual(await guard(Promise.all(ws), 'waiters'), [true, true, true]);
    assert.equal(await ev.wait({ timeout: -1 }), true, 'set: answers at once even with a negative timeout');
    ev.clear();
    assert.equal(ev.isSet(), false);
    assert.deepEqual(ev.statistics(), { set: false, waiters: 0 });
    await assert.rejects(ev.wait({ timeout: 5 }), TimeoutError);
  });

  it('Condition: wait releases and re-takes the lock (also on timeout), notify(n), waitFor, errors', async () => {
    const cond = new Condition(new Lock());
    await assert.rejects(cond.wait(), InvalidStateError);
    assert.throws(() => cond.notify(), InvalidStateError);
    let items = 0;
    const consumer = (async () => {
      using _ = await cond.acquire();
      await cond.waitFor(() => items > 0);
      items--;
      return cond.locked();
    })();
    await tick();
    {
      using _ = await cond.acquire();
      items++;
      cond.notify();
    }
    assert.equal(await guard(consumer, 'consumer'), true, 'the lock was held when waitFor returned');
    {
      using _ = await cond.acquire();
      await assert.rejects(cond.wait({ timeout: 5 }), TimeoutError);
      assert.equal(cond.locked(), true, 'held again after a timeout');
      await assert.rejects(
        cond.waitFor(() => false, { timeout: 5 }),
        TimeoutError,
      );
    }
    assert.equal(cond.locked(), false);
    // notify(n) wakes n, notifyAll the rest.
    const woke: number[] = [];
    const ws = [1, 2, 3].map(async (i) => {
      using _ = await cond.acquire();
      await cond.wait();
      woke.push(i);
    });
    await tick();
    {
      using _ = await cond.acquire();
      cond.notify(2);
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(woke, [1, 2]);
    {
      using _ = await cond.acquire();
      cond.notifyAll();
    }
    await guard(Promise.all(ws), 'all');
    assert.deepEqual(woke, [1, 2, 3]);
    assert.deepEqual(cond.statistics(), { locked: false, waiters: 0, lockWaiters: 0 });
    // Default lock: an RLock (Python's multiprocessing.Condition); wait releases every level.
    const rc = new Condition();
    const a = await rc.acquire();
    const b = await rc.acquire();
    const waiting = rc.wait({ timeout: 20 });
    await tick();
    assert.equal(rc.locked(), false, 'every level released while waiting');
    await assert.rejects(waiting, TimeoutError);
    b.release();
    assert.equal(rc.locked(), true, 'two levels taken again');
    a.release();
    assert.equal(rc.locked(), false);
    assert.throws(() => new Condition({} as any), TypeError);
  });

  it('Barrier: parties pass together with their indexes, reset and abort break waiters, timeout breaks it', async () => {
    const b = new Barrier(3);
    assert.equal(b.parties, 3);
    const ws = [b.wait(), b.wait()];
    await tick();
    assert.equal(b.nWaiting, 2);
    const last = await b.wait();
    assert.deepEqual([...(await guard(Promise.all(ws), 'parties')), last], [0, 1, 2]);
    assert.equal(b.statistics().cycles, 1);
    const w = b.wait();
    await tick();
    await b.reset();
    await assert.rejects(w, BrokenBarrierError);
    assert.equal(b.broken, false);
    const w2 = b.wait();
    await tick();
    await b.abort();
    await assert.rejects(w2, BrokenBarrierError);
    await assert.rejects(b.wait(), BrokenBarrierError);
    await b.reset();
    // A party whose timeout passes gets TimeoutError and breaks the barrier for the others.
    const other = b.wait();
    await assert.rejects(b.wait({ timeout: 5 }), TimeoutError);
    await assert.rejects(other, BrokenBarrierError);
    assert.equal(b.broken, true);
    await b.reset();
    // A cancelled party just leaves.
    const ac = new AbortController();
    const leaving = b.wait({ signal: ac.signal });
    await tick();
    ac.abort();
    await assert.rejects(leaving, CancelledError);
    assert.equal(b.broken, false);
    assert.equal(b.nWaiting, 0);
    assert.throws(() => new Barrier(0), RangeError);
    assert.throws(() => new (Barrier as any)(), TypeError);
  });

  it('Value: kinds, wrap-around, atomic ops, type checks; SharedArray', async () => {
    const v = new Value('int32', 5);
    assert.equal(await v.get(), 5);
    assert.equal(await v.add(2), 7);
    assert.equal(await v.sub(10), -3);
    assert.equal(await v.compareExchange(-3, 1), -3);
    assert.equal(await v.compareExchange(99, 2), 1, 'no exchange: returns the old value');
    assert.equal(await v.exchange(4), 1);
    await v.set(2 ** 31 - 1);
    assert.equal(await v.add(1), -(2 ** 31), 'int32 wraps like an Int32Array');
    await assert.rejects(v.set(1.5), RangeError);
    await assert.rejects(v.add(1n as any), TypeError);
    const f = new Value('float64', 0.5);
    assert.equal(await f.add(0.25), 0.75);
    const big = new Value('bigint64', 1n);
    assert.equal(await big.add(2n), 3n);
    await assert.rejects(big.set(1 as any), TypeError);
    assert.throws(() => new Value('int' as any), /did you mean 'int8'|kind must be one of/);
    assert.ok(v.getLock() instanceof Lock);
    assert.equal(v.getLock(), v.getLock());

    const a = new SharedArray('float64', 3);
    assert.equal(a.length, 3);
    assert.deepEqual(await a.toArray(), [0, 0, 0]);
    await a.set(1, 2.5);
    assert.equal(await a.get(1), 2.5);
    await assert.rejects(a.get(3), RangeError);
    await assert.rejects(a.get(-1), RangeError);
    const b = new SharedArray('int8', [1, 2, 300]);
    assert.deepEqual(await b.toArray(), [1, 2, 44], 'int8 wraps 300 like an Int8Array');
    assert.throws(() => new SharedArray('int32', -1), RangeError);
  });

  it('JoinableQueue: join waits for every taskDone; too many taskDone is a ValueError', async () => {
    const q = new JoinableQueue<number>();
    await q.join(); // nothing unfinished
    await q.put(1);
    q.putNowait(2);
    assert.equal(q.unfinished, 2);
    const joined = q.join();
    let done = false;
    joined.then(() => (done = true));
    assert.equal(await q.get(), 1);
    q.taskDone();
    await tick();
    assert.equal(done, false);
    assert.equal(q.getNowait(), 2);
    q.taskDone();
    await guard(joined, 'join');
    assert.throws(() => q.taskDone(), ValueError);
    await q.put(3);
    await assert.rejects(q.join({ timeout: 5 }), TimeoutError);
  });

  it('Queue: options follow the rules (unknown keys, block:false, negative timeout, 30-day timeout, cancel wins)', async () => {
    const q = new Queue<number>({ maxsize: 1 });
    assert.equal(q.maxsize, 1);
    await assert.rejects(q.get({ timeout: -1 }), QueueEmpty);
    await assert.rejects(q.get({ block: false }), QueueEmpty);
    await assert.rejects(q.get({ blok: false } as any), /did you mean "block"/);
    await assert.rejects(q.get({ block: 'no' } as any), TypeError);
    assert.throws(() => new Queue({ max_size: 1 } as any), /did you mean "maxsize"/);
    const ac = new AbortController();
    const g = q.get({ timeout: 30 * DAY, signal: ac.signal });
    let settled = false;
    g.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, 'a 30-day timeout did not fire at once');
    // Cancel wins: the item arrives and the wait is cancelled before it resumes: the item stays.
    q.putNowait(7);
    ac.abort();
    await assert.rejects(g, CancelledError);
    assert.equal(q.getNowait(), 7, 'the item went back to the front');
    await assert.rejects(q.put((() => 1) as any), TypeError);
  });
});
