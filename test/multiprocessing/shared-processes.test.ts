/**
 * The brokered shared-state primitives across processes: passed to Pool tasks,
 * ProcessPoolExecutor tasks, Process targets and on to grandchildren, they work
 * as one object; a process that dies gives back what it held (locks flagged
 * abandoned, permits, items) and nothing waits forever on it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Barrier,
  Condition,
  Event,
  JoinableQueue,
  Lock,
  Pool,
  Process,
  Queue,
  RLock,
  Semaphore,
  SharedArray,
  Value,
  activeChildren,
} from 'weft/multiprocessing';
import { ProcessPoolExecutor } from 'weft';
import tasks from '../fixtures/mp-shared.mjs';
import { guard, installExitGuard, shutdownQuietly, until } from '../contracts/helpers.ts';

installExitGuard();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a Process running `target(...args)`; killed in after() if still alive. */
const started: Process[] = [];
function start(target: any, args: unknown[], daemon = false): Process {
  const p = new Process(target, { args, daemon });
  p.start();
  started.push(p);
  return p;
}

describe('brokered primitives across processes', { timeout: 240_000 }, () => {
  const pool = new Pool({ processes: 3 });
  after(async () => {
    for (const p of started) if (p.isAlive()) p.kill();
    await pool.terminate();
  });

  it('Value: atomic add from three children loses nothing; a locked read-modify-write neither', async () => {
    const v = new Value('int32', 0);
    const r = await guard(Promise.all([1, 2, 3].map(() => pool.apply(tasks.addMany, [v, 300]))), 'adds', 60_000);
    assert.deepEqual(r, [300, 300, 300]);
    assert.equal(await v.get(), 900);
    const w = new Value('int32', 0);
    const start = new Barrier(3);
    await guard(Promise.all([1, 2, 3].map(() => pool.apply(tasks.rmwLocked, [w, 100, start]))), 'locked rmw', 60_000);
    assert.equal(await w.get(), 300, 'under the lock no update is lost');
  });

  it('Value and SharedArray operations in a child; a bad value is a RangeError there', async () => {
    assert.deepEqual(await guard(pool.apply(tasks.valueOps, [new Value('int32', 3)]), 'valueOps'), [
      3,
      15,
      12,
      12,
      20,
      20,
      7,
      'RangeError',
    ]);
    const a = new SharedArray('int32', [1, 2, 3]);
    const r = await guard(pool.apply(tasks.arrayOps, [a]), 'arrayOps');
    assert.deepEqual(r, { all: [2, 5, 8], length: 3, err: 'RangeError', lockType: 'Lock' });
    assert.deepEqual(await a.toArray(), [2, 5, 8]);
  });

  it('Lock: a child that dies holding it releases it; the next guard says abandoned, the one after is clean', async () => {
    const lock = new Lock();
    const q = new Queue<string>();
    const p = start(tasks.holdLock, [lock, q]);
    assert.match(await guard(q.get(), 'held'), /^held by \d+$/);
    assert.equal(lock.locked(), true);
    p.kill();
    assert.equal(await guard(pool.apply(tasks.lockReport, [lock, 10_000]), 'next owner'), 'abandoned');
    assert.equal(await guard(pool.apply(tasks.lockReport, [lock, 10_000]), 'the one after'), 'clean');
    assert.equal(await guard(p.join(), 'join'), -9);
  });

  it('Lock: a child killed while waiting for it never gets it, even when it is released at that moment', async () => {
    for (let run = 0; run < 3; run++) {
      const lock = new Lock();
      const held = await lock.acquire();
      const p = start(tasks.lockReport, [lock]);
      await until(() => lock.statistics().waiters === 1, 'the child waits');
      p.kill();
      held.release(); // granted to the dead child before its session is closed: it comes back
      const g = await guard(lock.acquire({ timeout: 10_000 }), 'parent takes it');
      assert.equal(g.abandoned, false, 'a grant the child never received is not an abandoned lock');
      g.release();
      await guard(p.join(), 'join');
    }
  });

  it('RLock in a child: nested acquires; releasing more than acquired is an InvalidStateError there', async () => {
    const r = new RLock();
    assert.equal(await guard(pool.apply(tasks.rlockNested, [r]), 'rlock'), 'InvalidStateError');
    assert.equal(r.locked(), false);
  });

  it('synchronous holder-only methods tell a child what to use instead', async () => {
    const msg = await guard(pool.apply(tasks.syncInChild, [new Lock(), 'locked']), 'locked()');
    assert.match(msg, /^TypeError: Lock\.locked\(\) is synchronous .* use acquire\(\{ timeout: 0 \}\)/);
    const ev = await guard(pool.apply(tasks.syncInChild, [new Event(), 'isSet']), 'isSet()');
    assert.match(ev, /^TypeError: Event\.isSet\(\)/);
  });

  it('Semaphore: at most `value` children inside at once; permits of a dead child come back', async () => {
    const sem = new Semaphore(2);
    const active = new Value('int32', 0);
    const maxSeen = new Value('int32', 0);
    await guard(Promise.all([1, 2, 3, 4, 5].map(() => pool.apply(tasks.semWork, [sem, active, maxSeen, 30]))), 'semWork', 60_000);
    const m = await maxSeen.get();
    assert.ok(m >= 1 && m <= 2, `at most 2 inside at once, saw ${m}`);
    assert.equal(sem.value, 2);

    const s3 = new Semaphore(3);
    const q = new Queue<string>();
    const p = start(tasks.holdPermits, [s3, 2, q]);
    assert.equal(await guard(q.get(), 'holding'), 'holding 2');
    assert.equal(s3.value, 1);
    p.kill();
    await guard(p.join(), 'join');
    await until(
      () => s3.value === 3,
      () => `permits back: value ${s3.value}`,
    );
    assert.equal(await guard(pool.apply(tasks.semReport, [s3, 0]), 'a child takes one'), 'got');
  });

  it('Event: children wait for the parent, the parent waits for a child', async () => {
    const ev = new Event();
    const ws = [1, 2].map(() => pool.apply(tasks.waitEvent, [ev, 20_000]));
    await sleep(100);
    ev.set();
    assert.deepEqual(await guard(Promise.all(ws), 'waiters'), ['set', 'set']);
    assert.equal(await guard(pool.apply(tasks.waitEvent, [new Event(), 10]), 'timeout'), 'TimeoutError');
    const ev2 = new Event();
    const setter = pool.apply(tasks.setEventLater, [ev2, 50]);
    assert.equal(await guard(ev2.wait({ timeout: 10_000 }), 'parent waits'), true);
    await guard(setter, 'setter');
  });

  it('Condition: a consumer in one child waits for a producer in another; a timed-out wait holds the lock again', async () => {
    const cond = new Condition();
    const v = new Value('int32', 0);
    const consumer = pool.apply(tasks.condConsumer, [cond, v]);
    await sleep(150);
    assert.equal(await guard(pool.apply(tasks.condProducer, [cond, v, 42]), 'producer'), 'notified');
    assert.equal(await guard(consumer, 'consumer'), 42);
    assert.equal(await guard(pool.apply(tasks.condWaitTimeout, [cond, 20]), 'timed wait'), 'TimeoutError');
    assert.equal(cond.locked(), false, 'the child released the lock it held again after the timeout');
    assert.equal(await guard(pool.apply(tasks.notifyNotHeld, [cond]), 'notify'), 'InvalidStateError');
  });

  it('Condition: a child that dies while waiting leaves the lock free (not abandoned)', async () => {
    const cond = new Condition(new Lock());
    const q = new Queue<string>();
    const p = start(tasks.condWaitForever, [cond, q]);
    assert.equal(await guard(q.get(), 'waiting'), 'waiting');
    await until(() => !cond.locked(), 'the wait released the lock');
    p.kill();
    await guard(p.join(), 'join');
    const g = await guard(cond.acquire({ timeout: 5000 }), 'acquire');
    assert.equal(g.abandoned, false);
    cond.notifyAll(); // nobody is left to wake
    g.release();
  });

  it('Barrier: three children pass together; a party that dies while waiting breaks it for the others', async () => {
    const b = new Barrier(3);
    const idx = await guard(Promise.all([1, 2, 3].map(() => pool.apply(tasks.barrierWait, [b]))), 'barrier', 60_000);
    assert.deepEqual([...idx].sort(), [0, 1, 2]);

    const b2 = new Barrier(3);
    const q = new Queue<string>();
    const other = pool.apply(tasks.barrierWait, [b2]);
    const p = start(tasks.barrierWaitForever, [b2, q]);
    assert.equal(await guard(q.get(), 'waiting'), 'waiting');
    await until(
      () => b2.nWaiting === 2,
      () => `two parties waiting, saw ${b2.nWaiting}`,
    );
    p.kill();
    assert.equal(await guard(other, 'the other party'), 'BrokenBarrierError', 'nothing waits forever on a dead process');
    assert.equal(b2.broken, true);
  });

  it('JoinableQueue: consumers in children, join() once every item is done, each item once', async () => {
    const q = new JoinableQueue<number | null>();
    const out = new Queue<number>();
    const consumers = [1, 2].map(() => pool.apply(tasks.joinableConsume, [q, out]));
    for (let i = 0; i < 20; i++) await q.put(i);
    await guard(q.join({ timeout: 30_000 }), 'join');
    const got = Array.from({ length: out.qsize() }, () => out.getNowait()).sort((a, b) => a - b);
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => i),
    );
    await q.put(null);
    await q.put(null);
    const n = await guard(Promise.all(consumers), 'consumers');
    assert.equal(n[0]! + n[1]!, 20);
  });

  it('JoinableQueue: an item a consumer took and did not mark done when it died goes back', async () => {
    const q = new JoinableQueue<string>();
    await q.put('job');
    const p = start(tasks.getThenDie, [q]);
    await guard(p.join(), 'join');
    await until(() => q.qsize() === 1, 'the item is back');
    assert.equal(q.unfinished, 1);
    assert.equal(q.getNowait(), 'job');
    q.taskDone();
    await guard(q.join(), 'join');
  });

  it('Queue: an item put while the consumer it goes to is being killed is never lost (8 of 8 runs)', async () => {
    for (let run = 0; run < 8; run++) {
      const q = new Queue<number>();
      const ready = new Event();
      const p = start(tasks.getAfterReady, [q, ready]);
      await guard(ready.wait(), 'ready');
      await sleep(run * 10); // the child's get reaches us (or is about to)
      p.kill();
      await q.put(run); // may be handed to the dying child's get
      assert.equal(await guard(q.get({ timeout: 10_000 }), `run ${run}`), run, `run ${run}: the item stayed`);
      await guard(p.join(), 'join');
    }
  });

  it('grandchildren: a pool task passes a Value and a Lock on to a Process it starts', async () => {
    const v = new Value('int32', 0);
    assert.equal(await guard(pool.apply(tasks.viaGrandchild, ['add', v, 50]), 'add via grandchild'), 0);
    assert.equal(await v.get(), 50);
    const lock = new Lock();
    assert.equal(await guard(pool.apply(tasks.viaGrandchild, ['lock', lock, 0]), 'lock via grandchild'), -9);
    const g = await guard(lock.acquire({ timeout: 10_000 }), 'the lock is released when the grandchild dies');
    assert.equal(g.abandoned, true);
    g.release();
  });

  it('a ProcessPoolExecutor task cancelled while it waits for a Lock does not take it', async () => {
    const ex = new ProcessPoolExecutor({ maxWorkers: 1, cancelGrace: 5000 });
    try {
      const lock = new Lock();
      const held = await lock.acquire();
      const f = ex.submit(tasks.lockReport, lock);
      await until(() => lock.statistics().waiters === 1, 'the task waits');
      f.cancel();
      await until(() => lock.statistics().waiters === 0, 'the cancel reached the lock');
      held.release();
      assert.equal(lock.locked(), false, 'nobody took it');
      assert.equal(await guard(ex.submit(tasks.lockReport, lock), 'next task'), 'clean');
    } finally {
      await shutdownQuietly(ex);
    }
  });

  it('Pool with the threads backend: the same objects work from worker threads', async () => {
    const tp = new Pool({ processes: 2, backend: 'threads' });
    try {
      const v = new Value('int32', 0);
      await guard(Promise.all([1, 2].map(() => tp.apply(tasks.addMany, [v, 100]))), 'adds');
      assert.equal(await v.get(), 200);
    } finally {
      await tp.terminate();
    }
  });

  it('activeChildren(): the live Processes started here; finished ones are reaped', async () => {
    const q = new Queue<string>();
    const lock = new Lock();
    const p = start(tasks.holdLock, [lock, q]);
    await guard(q.get(), 'held');
    assert.ok(activeChildren().includes(p));
    p.kill();
    await guard(p.join(), 'join');
    assert.ok(!activeChildren().includes(p));
  });
});
