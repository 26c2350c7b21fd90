/**
 * weft/multiprocessing waits made inside weft/asyncio tasks are linked into the task's
 * cancel scope like every core wait (defect: they listened to the scope's AbortSignal):
 *
 * 1. one cancel() is delivered once: the multiprocessing wait rejects and the task's
 *    next wait works (it was delivered a second time);
 * 2. after a task caught CancelledError, its later multiprocessing waits wait (they
 *    rejected at once: the signal stays aborted);
 * 3. timeout() / moveOnAfter() around such a wait return after the body's cleanup ran
 *    (they returned at once, the cleanup still running);
 *
 * and "cancel wins": a cancel() made after the lock / item / notification was granted but
 * before the task resumed rejects the wait and gives back what it got. Checked on the
 * holder's own objects, with a child Process holding the lock or feeding the queue, and on
 * proxies used by a child's tasks.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, createTask, moveOnAfter, sleep, timeout, type Task } from 'weft/asyncio';
import { Barrier, Condition, Event, JoinableQueue, Lock, Pool, Process, Queue, Semaphore } from 'weft/multiprocessing';
import tasks from '../fixtures/mp-shared.mjs';
import scopeTasks from '../fixtures/mp-scope.mjs';
import { guard, installExitGuard, until } from '../contracts/helpers.ts';

installExitGuard();

const errName = (e: unknown) => (e instanceof Error ? e.name : String(e));

/** One primitive under test: how to block on it, how to unblock it, and a bounded later wait. */
interface Subject {
  name: string;
  /** blocks until `release()` */
  wait(): Promise<unknown>;
  /** unblocks one wait */
  release(): void;
  /** a wait that can only time out (nothing releases it): its error's name */
  bounded(): Promise<unknown>;
  /** what a bounded wait that timed out rejects with */
  timedOut: string;
  /** after a cancel won over a grant: is what was granted back? */
  givenBack(): boolean;
  /** unblocks everything (end of the test) */
  reset(): void;
}

function lockSubject(): Subject {
  const lock = new Lock();
  let held = lock.tryAcquire();
  return {
    name: 'Lock.acquire',
    wait: () => lock.acquire(),
    release: () => {
      held?.release();
      held = undefined;
    },
    bounded: () => lock.acquire({ timeout: 20 }),
    timedOut: 'TimeoutError',
    givenBack: () => !lock.locked(),
    reset: () => {
      held?.release();
      held = undefined;
    },
  };
}

function queueSubject(): Subject {
  const q = new Queue<number>();
  return {
    name: 'Queue.get',
    wait: () => q.get(),
    release: () => q.putNowait(1),
    bounded: () => q.get({ timeout: 20 }),
    timedOut: 'QueueEmpty',
    givenBack: () => q.qsize() === 1,
    reset: () => {},
  };
}

function eventSubject(): Subject {
  const ev = new Event();
  return {
    name: 'Event.wait',
    wait: () => ev.wait(),
    release: () => ev.set(),
    bounded: () => ev.wait({ timeout: 20 }),
    timedOut: 'TimeoutError',
    givenBack: () => true,
    reset: () => ev.set(),
  };
}

function semaphoreSubject(): Subject {
  const sem = new Semaphore(0);
  return {
    name: 'Semaphore.acquire',
    wait: () => sem.acquire(),
    release: () => sem.release(),
    bounded: () => sem.acquire({ timeout: 20 }),
    timedOut: 'TimeoutError',
    givenBack: () => sem.value === 1,
    reset: () => {},
  };
}

function barrierSubject(): Subject {
  const b = new Barrier(2);
  return {
    name: 'Barrier.wait',
    wait: () => b.wait(),
    // the second party arrives: both pass
    release: () => void b.wait({ timeout: 5000 }).catch(() => {}),
    // a lone party times out (and breaks the barrier: reset for the next step)
    bounded: () =>
      b.wait({ timeout: 20 }).finally(() => {
        void b.reset();
      }),
    timedOut: 'TimeoutError',
    givenBack: () => b.nWaiting === 0,
    reset: () => void b.abort(),
  };
}

const subjects: [string, () => Subject][] = [
  ['Lock.acquire', lockSubject],
  ['Queue.get', queueSubject],
  ['Event.wait', eventSubject],
  ['Semaphore.acquire', semaphoreSubject],
  ['Barrier.wait', barrierSubject],
];

/** Outcome of a promise: 'ok' or the error's name. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return errName(e);
  }
}

/** Waits until `blocked()`, bounded. */
async function blockedIn(blocked: () => boolean, what: string): Promise<void> {
  await until(blocked, what, 5000);
}

/**
 * A task blocked (for 20 ms now) in `s.wait()`; it then records a core sleep and `more()`:
 * the outcome of each ('ok' or the error's name).
 */
async function blockedTask(s: Subject, more?: () => Promise<unknown>): Promise<{ t: Task<string[]> }> {
  let waited = false;
  const t = createTask(async () => {
    waited = true;
    const out = [await outcome(s.wait()), await outcome(sleep(1))];
    if (more !== undefined) out.push(await outcome(more()));
    return out;
  });
  await blockedIn(() => waited, `${s.name}: task started`);
  await sleep(20);
  return { t }; // wrapped: an async function would adopt the Task (a thenable)
}

describe('multiprocessing waits inside asyncio tasks (cancel scopes)', { timeout: 120_000 }, () => {
  const started: Process[] = [];
  const pool = new Pool({ processes: 1 });
  after(async () => {
    for (const p of started) if (p.isAlive()) p.kill();
    await pool.terminate();
  });

  for (const [name, make] of subjects) {
    describe(name, () => {
      it('one cancel() is delivered once: the wait rejects, the next core wait of the task works', async () => {
        const s = make();
        const { t } = await blockedTask(s, () => s.bounded());
        t.cancel();
        assert.deepEqual(await guard(t, `${name} task`), ['CancelledError', 'ok', s.timedOut]);
        assert.equal(t.cancelled(), false, 'the task caught the one cancellation and finished');
        s.reset();
      });

      it('after catching CancelledError, the task waits again (and is granted)', async () => {
        const s = make();
        let caught = false;
        const t = createTask(async () => {
          try {
            await sleep(60_000);
          } catch (e) {
            assert.ok(e instanceof CancelledError);
            caught = true;
          }
          return outcome(s.wait());
        });
        await sleep(10);
        t.cancel();
        await blockedIn(() => caught, `${name}: the task caught its cancellation`);
        await sleep(20);
        assert.equal(t.done(), false, `${name}: the later wait waits instead of rejecting at once`);
        s.release();
        assert.equal(await guard(t, `${name} task`), 'ok');
        s.reset();
      });

      for (const fn of ['timeout', 'moveOnAfter'] as const) {
        it(`${fn}() around it returns after the body's cleanup ran`, async () => {
          const s = make();
          const log: string[] = [];
          const body = async () => {
            try {
              await s.wait();
            } finally {
              await sleep(30);
              log.push('cleanup');
            }
          };
          const t = createTask(async () => {
            try {
              const r = fn === 'timeout' ? await timeout(30, body) : await moveOnAfter(30, body);
              log.push(`returned ${String(r)}`);
            } catch (e) {
              log.push(errName(e));
            }
          });
          await guard(t, `${name} ${fn}`);
          assert.deepEqual(log, ['cleanup', fn === 'timeout' ? 'TimeoutError' : 'returned undefined']);
          s.reset();
        });
      }

      it('cancel wins over a grant made just before: the wait rejects, what it got goes back, delivered once', async () => {
        const s = make();
        const { t } = await blockedTask(s);
        s.release(); // granted: the task has not resumed yet
        t.cancel(); // ... and is cancelled first
        assert.deepEqual(await guard(t, `${name} task`), ['CancelledError', 'ok']);
        assert.ok(s.givenBack(), `${name}: what the cancelled wait was granted went back`);
        s.reset();
      });
    });
  }

  it('outside tasks: a signal or a timeout still ends the wait, and later waits work', async () => {
    const lock = new Lock();
    const held = lock.tryAcquire()!;
    const ac = new AbortController();
    const p = lock.acquire({ signal: ac.signal });
    ac.abort();
    assert.equal(await outcome(p), 'CancelledError');
    assert.equal(await outcome(lock.acquire({ timeout: 10 })), 'TimeoutError');
    const q = new Queue<number>();
    const ac2 = new AbortController();
    const g = q.get({ signal: ac2.signal });
    q.putNowait(7);
    ac2.abort(); // after the grant, before the caller resumed: the signal wins, the item stays
    assert.equal(await outcome(g), 'CancelledError');
    assert.equal(q.getNowait(), 7);
    const ev = new Event();
    assert.equal(await outcome(ev.wait({ timeout: 0 })), 'TimeoutError');
    const w = ev.wait({ timeout: 5000 });
    ev.set();
    assert.equal(await w, true);
    held.release();
    (await lock.acquire()).release();
  });

  it("Condition.wait and JoinableQueue.join: one cancel delivered once; the condition's lock is held again", async () => {
    const cond = new Condition();
    const jq = new JoinableQueue<number>();
    jq.putNowait(1); // unfinished: join() waits
    const t = createTask(async () => {
      const g = await cond.acquire();
      const a = await outcome(cond.wait());
      const held = cond.locked();
      g.release();
      const b = await outcome(sleep(1));
      const c = await outcome(jq.join());
      const d = await outcome(sleep(1));
      return [a, held, b, c, d];
    });
    await until(() => cond.statistics().waiters === 1, 'the task waits on the condition');
    t.cancel();
    await until(() => jq.unfinished === 1 && cond.statistics().waiters === 0 && !cond.locked(), 'the task left the condition');
    await sleep(20);
    t.cancel();
    assert.deepEqual(await guard(t, 'task'), ['CancelledError', true, 'ok', 'CancelledError', 'ok']);
  });

  it('a bounded Queue.put cancelled after it was granted room puts nothing; delivered once', async () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    let waited = false;
    const t = createTask(async () => {
      waited = true;
      const a = await outcome(q.put(2));
      const b = await outcome(sleep(1));
      return [a, b];
    });
    await blockedIn(() => waited, 'put task started');
    await sleep(20);
    assert.equal(q.getNowait(), 1); // room for the waiting put
    t.cancel();
    assert.deepEqual(await guard(t, 'put task'), ['CancelledError', 'ok']);
    assert.equal(q.qsize(), 0, 'the cancelled put put nothing');
    await q.put(3, { timeout: 0 });
    assert.equal(q.getNowait(), 3);
  });

  it('an item handed to a waiting get takes room until the get resumes: a cancel that gives it back never leaves maxsize + 1', async () => {
    const q = new Queue<string>(1);
    let waited = false;
    const g = createTask(async () => {
      waited = true;
      return await q.get();
    });
    await blockedIn(() => waited, 'get task started');
    await sleep(20);
    q.putNowait('X'); // handed to the waiting get, which has not resumed yet
    assert.throws(
      () => q.putNowait('Z'),
      (e: Error) => e.name === 'QueueFull',
      'the handed item still takes the room',
    );
    assert.equal(q.full(), true);
    g.cancel(); // before it resumes: cancel wins, X goes back
    await assert.rejects(guard(g, 'get task'), CancelledError);
    assert.equal(q.qsize(), 1, 'X is back, and nothing else went in');
    assert.equal(q.getNowait(), 'X');
    // A put waiting for that room is admitted when the get resumes with the item.
    const g2 = createTask(() => q.get());
    await sleep(20);
    q.putNowait('Y');
    const p = createTask(() => q.put('W'));
    assert.equal(await guard(g2, 'second get'), 'Y');
    await guard(p, 'put admitted once the get resumed');
    assert.equal(q.getNowait(), 'W');
  });

  it('a child Process holds the Lock: a task cancelled in acquire() gets the cancel once', async () => {
    const lock = new Lock();
    const q = new Queue<string>();
    const p = new Process(tasks.holdLock, { args: [lock, q] });
    p.start();
    started.push(p);
    assert.match(await guard(q.get(), 'held'), /^held by \d+$/);
    const t = createTask(async () => [
      await outcome(lock.acquire()),
      await outcome(sleep(1)),
      await outcome(lock.acquire({ timeout: 20 })),
    ]);
    await until(() => lock.statistics().waiters === 1, 'the task waits for the lock');
    t.cancel();
    assert.deepEqual(await guard(t, 'task'), ['CancelledError', 'ok', 'TimeoutError']);
    p.kill();
    await guard(p.join(), 'child ends');
    const g = await guard(lock.acquire({ timeout: 5000 }), 'lock after the holder died');
    assert.equal(g.abandoned, true);
    g.release();
  });

  it('a child Process feeds the Queue: a cancelled get takes nothing, the next one gets the item', async () => {
    const q = new Queue<string>();
    const t = createTask(async () => {
      const a = await outcome(q.get());
      const b = await outcome(sleep(1));
      const c = await q.get({ timeout: 20_000 });
      return [a, b, c];
    });
    await sleep(20);
    t.cancel();
    const p = new Process(scopeTasks.putLater, { args: [q, 50, 'from the child'] });
    p.start();
    started.push(p);
    assert.deepEqual(await guard(t, 'task', 30_000), ['CancelledError', 'ok', 'from the child']);
    await guard(p.join(), 'child ends', 20_000);
    assert.equal(q.qsize(), 0);
  });

  describe("proxies used by a child's tasks", () => {
    it('Lock.acquire', async () => {
      const lock = new Lock();
      const held = lock.tryAcquire()!;
      const r = await guard(pool.apply(scopeTasks.scopeReport, [lock, 'lock']), 'scopeLock', 30_000);
      assert.deepEqual(r, { cancel: ['CancelledError', 'slept', 'TimeoutError'], cleanup: ['cleanup', 'TimeoutError'] });
      assert.equal(lock.statistics().waiters, 0);
      held.release();
      assert.equal(lock.locked(), false, 'no cancelled wait of the child kept the lock');
    });

    it('Queue.get', async () => {
      const q = new Queue<string>();
      const r = await guard(pool.apply(scopeTasks.scopeReport, [q, 'queue']), 'scopeQueue', 30_000);
      assert.deepEqual(r, { cancel: ['CancelledError', 'slept', 'QueueEmpty'], cleanup: ['cleanup', 'TimeoutError'] });
      q.putNowait('x');
      assert.equal(q.getNowait(), 'x');
    });

    it('Event.wait', async () => {
      const ev = new Event();
      const r = await guard(pool.apply(scopeTasks.scopeReport, [ev, 'event']), 'scopeEvent', 30_000);
      assert.deepEqual(r, { cancel: ['CancelledError', 'slept', 'TimeoutError'], cleanup: ['cleanup', 'TimeoutError'] });
      assert.equal(ev.statistics().waiters, 0);
    });
  });
});
