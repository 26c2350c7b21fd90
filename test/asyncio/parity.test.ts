/**
 * asyncio semantics checked against CPython 3.13 (issue 10): cancel wins, bpo-32841,
 * taskGroup cleanup, Barrier draining, waitFor, timeouts, PriorityQueue order,
 * ExceptionGroup's argument order, one listener per signal, the user-settable Future.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Barrier,
  BrokenBarrierError,
  CancelledError,
  Condition,
  Event,
  ExceptionGroup,
  Future,
  InvalidStateError,
  Lock,
  PriorityQueue,
  Queue,
  QueueShutDown,
  Semaphore,
  TaskGroup,
  TimeoutError,
  createTask,
  gather,
  moveOnAfter,
  run,
  sleep,
  taskGroup,
  timeout,
  waitFor,
} from 'weft/asyncio';
import { warningsDuring } from '../core/_warnings.ts';

const tick = () => sleep(0);
const outcome = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );

describe('cancel wins (asyncio): a granted wait whose task was cancelled raises and gives back', { timeout: 30_000 }, () => {
  it('Queue.get: the item goes to the next getter', async () => {
    const q = new Queue<number>();
    const a = createTask(() => q.get());
    const b = createTask(() => q.get());
    await tick();
    q.putNowait(1); // handed to a
    assert.equal(a.cancel(), true);
    await assert.rejects(a.asPromise(), CancelledError);
    assert.equal(await b, 1);
    assert.equal(q.qsize(), 0);
  });

  it('Queue.get: with no other getter the item goes back to the front', async () => {
    const q = new Queue<number>();
    const a = createTask(() => q.get());
    await tick();
    q.putNowait(1); // handed to a
    q.putNowait(2);
    a.cancel();
    await assert.rejects(a.asPromise(), CancelledError);
    assert.deepEqual([q.getNowait(), q.getNowait()], [1, 2]);
  });

  it('Queue.get on a bounded queue: the handed item keeps its place until the getter resumes', async () => {
    const q = new Queue<number>({ maxsize: 1 });
    const a = createTask(() => q.get());
    await tick();
    q.putNowait(1); // handed to a, not resumed yet
    assert.equal(q.full(), true, 'as in asyncio, the item is still in the queue until the getter takes it');
    assert.throws(() => q.putNowait(2));
    a.cancel();
    await assert.rejects(a.asPromise(), CancelledError);
    assert.equal(q.qsize(), 1);
    assert.equal(q.getNowait(), 1);
  });

  it('Queue.put: a woken putter cancelled puts nothing and the room goes to the next putter', async () => {
    const q = new Queue<string>({ maxsize: 1 });
    q.putNowait('x');
    const p1 = createTask(() => q.put('y'));
    const p2 = createTask(() => q.put('z'));
    await tick();
    assert.equal(q.getNowait(), 'x'); // room granted to p1
    assert.equal(p1.cancel(), true);
    await assert.rejects(p1.asPromise(), CancelledError);
    await p2;
    assert.equal(q.qsize(), 1);
    assert.equal(q.getNowait(), 'z', "p1's item was never put");
    assert.equal(q.statistics().unfinished, 2); // x and z
  });

  it('Queue.put: FIFO among putters, and a putter granted room before shutdown gets QueueShutDown', async () => {
    const q = new Queue<number>({ maxsize: 1 });
    q.putNowait(0);
    const ps = [1, 2, 3].map((i) => createTask(() => q.put(i)));
    await tick();
    const got = [];
    for (let i = 0; i < 3; i++) {
      got.push(await q.get());
    }
    assert.deepEqual(got, [0, 1, 2]);
    await Promise.all(ps.slice(0, 2));
    // 3 is in the queue now; a new putter waits, is granted room, and the queue shuts down before it resumes
    const late = createTask(() => q.put(4));
    await tick();
    assert.equal(q.getNowait(), 3);
    q.shutdown();
    await assert.rejects(late.asPromise(), QueueShutDown);
    assert.equal(q.qsize(), 0);
  });

  it('Semaphore: a permit handed to a cancelled task goes to the next waiter', async () => {
    const s = new Semaphore(1);
    const g = await s.acquire();
    let ran = false;
    const a = createTask(async () => {
      using _ = await s.acquire();
      ran = true;
    });
    const b = createTask(async () => {
      using _ = await s.acquire();
      return 'b';
    });
    await tick();
    g.release();
    a.cancel();
    await assert.rejects(a.asPromise(), CancelledError);
    assert.equal(await b, 'b');
    assert.equal(ran, false);
    assert.equal(s.value, 1);
  });

  it('Condition: a notified waiter cancelled passes the notification on, and holds the lock when it raises', async () => {
    const c = new Condition();
    const log: string[] = [];
    const waiter = (name: string) =>
      createTask(async () => {
        using _ = await c.acquire();
        try {
          await c.wait();
          log.push(`${name} notified`);
        } catch (e) {
          log.push(`${name} ${(e as Error).name} locked=${c.locked()}`);
          throw e;
        }
      });
    const a = waiter('a');
    const b = waiter('b');
    await tick();
    await tick();
    {
      using _ = await c.acquire();
      c.notify(1); // to a
      a.cancel();
    }
    await assert.rejects(a.asPromise(), CancelledError);
    await b; // b got the notification a gave back
    assert.deepEqual(log, ['a CancelledError locked=true', 'b notified']);
    assert.equal(c.locked(), false);
  });

  it('Event.wait: set, then cancel before the task resumes: CancelledError', async () => {
    const e = new Event();
    const t = createTask(() => e.wait());
    await tick();
    e.set();
    assert.equal(t.cancel(), true);
    await assert.rejects(t.asPromise(), CancelledError);
  });

  it('Lock: the lock handed to a cancelled task is not held by it', async () => {
    const l = new Lock();
    const g = await l.acquire();
    const t = createTask(() => l.acquire());
    await tick();
    g.release();
    t.cancel();
    await assert.rejects(t.asPromise(), CancelledError);
    assert.equal(l.locked(), false);
  });
});

describe('Condition.wait cancelled while re-acquiring the lock (bpo-32841)', { timeout: 30_000 }, () => {
  it('raises CancelledError once it holds the lock again', async () => {
    const c = new Condition();
    let wake = false;
    const seen: string[] = [];
    const t = createTask(async () => {
      using _ = await c.acquire();
      try {
        await c.waitFor(() => wake);
        seen.push('returned');
      } catch (e) {
        seen.push(`${(e as Error).name} locked=${c.locked()}`);
      }
      return 'finished';
    });
    await tick();
    await tick();
    const g = await c.acquire();
    wake = true;
    c.notify();
    await tick(); // the task now waits to re-acquire the lock
    assert.equal(t.cancel(), true);
    g.release();
    assert.equal(await t, 'finished');
    assert.deepEqual(seen, ['CancelledError locked=true']);
    assert.equal(c.locked(), false);
  });
});

describe('taskGroup(body): cleanup after cancellation', { timeout: 30_000 }, () => {
  it('the body can still await in its cleanup and a child failing meanwhile gives an ExceptionGroup', async () => {
    const log: string[] = [];
    const outer = createTask(() =>
      taskGroup(async (tg) => {
        tg.createTask(async () => {
          try {
            await sleep(10_000);
          } catch {
            await sleep(5);
            throw new Error('child failed in its cleanup');
          }
        });
        try {
          await sleep(10_000);
        } finally {
          await sleep(20);
          log.push('body cleanup awaited');
        }
      }),
    );
    await sleep(5);
    outer.cancel();
    const r = await outcome(outer);
    assert.deepEqual(log, ['body cleanup awaited']);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.e instanceof ExceptionGroup, 'the failure has priority over the cancellation');
    assert.equal(!r.ok && (r.e as ExceptionGroup).errors.length, 1);
  });

  it('same as new TaskGroup() with await using: its body cleanup awaits too', async () => {
    const log: string[] = [];
    const outer = createTask(async () => {
      await using tg = new TaskGroup();
      tg.createTask(() => sleep(10_000));
      try {
        await sleep(10_000);
      } finally {
        await sleep(20);
        log.push('cleanup awaited');
      }
    });
    await sleep(5);
    outer.cancel();
    await assert.rejects(outer.asPromise(), CancelledError);
    assert.deepEqual(log, ['cleanup awaited']);
  });
});

describe('Barrier: draining and resetting (CPython test_locks.BarrierTests)', { timeout: 30_000 }, () => {
  it('a party calling wait() again while the barrier drains is held back until everyone left', async () => {
    const b = new Barrier(2);
    const p0 = b.wait();
    const p1 = b.wait(); // fills: draining
    assert.equal(b.statistics().state, 'draining');
    const again = b.wait(); // held back, not counted in the next round yet
    assert.equal(b.nWaiting, 0);
    assert.deepEqual(await Promise.all([p0, p1]), [0, 1]);
    await tick();
    assert.equal(b.statistics().state, 'filling');
    assert.equal(b.nWaiting, 1, 'counted once the round has left');
    const other = b.wait();
    assert.deepEqual((await Promise.all([again, other])).sort(), [0, 1]);
    assert.equal(b.statistics().cycles, 2);
  });

  it('filling tasks wait twice (test_filling_tasks_wait_twice, test_filling_tasks_check_return_value)', async () => {
    const n = 5;
    const b = new Barrier(n);
    const results: boolean[] = [];
    const ts = Array.from({ length: n }, () =>
      createTask(async () => {
        await b.wait();
        results.push(true);
        const i = await b.wait();
        results.push(false);
        return i;
      }),
    );
    const idx = await Promise.all(ts);
    assert.deepEqual([...idx].sort(), [0, 1, 2, 3, 4]);
    assert.equal(results.filter(Boolean).length, n);
    assert.equal(results.length, 2 * n);
    assert.equal(b.nWaiting, 0);
    assert.equal(b.broken, false);
  });

  it('test_blocking_tasks_while_draining', async () => {
    const n = 5;
    const rewait = 2;
    const b = new Barrier(n);
    const nowaiting = new Barrier(n - rewait);
    let rewaitN = rewait;
    await Promise.all(
      Array.from({ length: n }, () =>
        createTask(async () => {
          await b.wait();
          if (rewaitN > 0) {
            rewaitN--;
            await b.wait();
          } else {
            await nowaiting.wait();
            await b.wait();
          }
        }),
      ),
    );
    assert.equal(b.nWaiting, 0);
  });

  it('test_filling_tasks_cancel_one', async () => {
    const b = new Barrier(3);
    const results: boolean[] = [];
    const coro = async () => {
      await b.wait();
      results.push(true);
    };
    const t1 = createTask(coro);
    await tick();
    const t2 = createTask(coro);
    await tick();
    assert.equal(b.nWaiting, 2);
    t1.cancel();
    await assert.rejects(t1.asPromise(), CancelledError);
    assert.equal(b.nWaiting, 1);
    const t3 = createTask(coro);
    await tick();
    assert.equal(b.nWaiting, 2);
    const t4 = createTask(coro);
    await Promise.all([t2, t3, t4]);
    assert.equal(results.length, 3);
    assert.equal(b.nWaiting, 0);
  });

  it('a party released but cancelled before it resumed raises CancelledError; the others pass', async () => {
    const b = new Barrier(3);
    const a = createTask(() => b.wait());
    const c = createTask(() => b.wait());
    await tick();
    const last = b.wait(); // fills
    a.cancel();
    await assert.rejects(a.asPromise(), CancelledError);
    assert.deepEqual([await c, await last].sort(), [1, 2]);
    await tick();
    assert.equal(b.statistics().state, 'filling');
  });

  it('test_reset_barrier_while_tasks_waiting (and waiting again)', async () => {
    const n = 5;
    const b = new Barrier(n);
    const broken: boolean[] = [];
    const passed: boolean[] = [];
    const ts = Array.from({ length: n - 1 }, () =>
      createTask(async () => {
        try {
          await b.wait();
        } catch (e) {
          assert.ok(e instanceof BrokenBarrierError);
          broken.push(true);
        } finally {
          await b.wait();
          passed.push(true);
        }
      }),
    );
    await tick();
    await b.reset();
    await tick();
    await tick();
    const last = createTask(async () => {
      await b.wait();
      passed.push(true);
    });
    await Promise.all([...ts, last]);
    assert.equal(broken.length, n - 1);
    assert.equal(passed.length, n);
    assert.equal(b.broken, false);
    assert.equal(b.nWaiting, 0);
  });

  it('reset() while the barrier drains: as in asyncio, the parties not yet resumed get BrokenBarrierError; no hang', async () => {
    const b = new Barrier(3);
    const p0 = outcome(b.wait());
    const p1 = outcome(b.wait());
    const p2 = b.wait(); // fills
    await b.reset(); // before p0 and p1 resumed
    assert.equal(await p2, 2);
    const [r0, r1] = await Promise.all([p0, p1]);
    assert.ok(!r0.ok && r0.e instanceof BrokenBarrierError);
    assert.ok(!r1.ok && r1.e instanceof BrokenBarrierError);
    assert.equal(b.statistics().state, 'filling');
    // and it works again
    assert.deepEqual((await Promise.all([b.wait(), b.wait(), b.wait()])).sort(), [0, 1, 2]);
  });

  it('abort() while draining breaks it; held-back parties get BrokenBarrierError; reset() repairs it', async () => {
    const b = new Barrier(2);
    const p0 = outcome(b.wait());
    const filler = b.wait(); // fills
    const held = outcome(b.wait()); // held back while draining
    await b.abort();
    assert.equal(await filler, 1);
    const [r0, rh] = await Promise.all([p0, held]);
    assert.ok(!r0.ok && r0.e instanceof BrokenBarrierError);
    assert.ok(!rh.ok && rh.e instanceof BrokenBarrierError);
    assert.equal(b.broken, true);
    await assert.rejects(b.wait(), BrokenBarrierError);
    await b.reset();
    assert.equal(b.broken, false);
    assert.deepEqual((await Promise.all([b.wait(), b.wait()])).sort(), [0, 1]);
  });
});

describe('waitFor (Python 3.12+)', { timeout: 30_000 }, () => {
  it('cancelling it waits until the inner task has finished cancelling', async () => {
    const log: string[] = [];
    const inner = createTask(async () => {
      try {
        await sleep(10_000);
      } finally {
        await sleep(20);
        log.push('inner cleanup done');
      }
    });
    const outer = createTask(async () => {
      try {
        await waitFor(inner, 10_000);
      } finally {
        log.push(`outer resumes, inner done: ${inner.done()}`);
      }
    });
    await sleep(5);
    outer.cancel();
    await assert.rejects(outer.asPromise(), CancelledError);
    assert.deepEqual(log, ['inner cleanup done', 'outer resumes, inner done: true']);
  });

  it('a timeout of 0 or less on a task that has not started cancels it and raises TimeoutError', async () => {
    for (const ms of [0, -1, -Infinity]) {
      let ran = false;
      const t = createTask(() => {
        ran = true;
      });
      await assert.rejects(waitFor(t, ms), TimeoutError);
      assert.equal(t.cancelled(), true);
      assert.equal(ran, false);
    }
    assert.equal(await waitFor(Promise.resolve(7), 0).catch(() => 'timeout'), 'timeout'); // a pending promise: not done yet
    const done = createTask(() => 5);
    await done;
    assert.equal(await waitFor(done, 0), 5, 'a finished task answers at once');
  });

  it('a timeout that is not a number is a TypeError; Infinity waits forever', async () => {
    await assert.rejects(waitFor(sleep(1), '5' as never), TypeError);
    assert.equal(await waitFor(sleep(1, 'v'), Infinity), 'v');
  });
});

describe('timeout() / moveOnAfter() are enforced at the deadline whatever the body returns', { timeout: 30_000 }, () => {
  it('a plain promise: TimeoutError at the deadline, not when the promise settles', async () => {
    const t0 = performance.now();
    await assert.rejects(
      timeout(30, () => new Promise((r) => setTimeout(r, 2000, 'late'))),
      TimeoutError,
    );
    assert.ok(performance.now() - t0 < 1500);
  });

  it('a returned Future is cancelled at the deadline', async () => {
    const f = new Future<number>();
    await assert.rejects(
      timeout(20, () => f),
      TimeoutError,
    );
    assert.equal(f.cancelled(), true);
  });

  it('a returned Task is cancelled at the deadline', async () => {
    const log: string[] = [];
    const t = createTask(async () => {
      try {
        await sleep(10_000);
      } catch (e) {
        log.push((e as Error).name);
        throw e;
      }
    });
    await assert.rejects(
      timeout(20, () => t),
      TimeoutError,
    );
    await assert.rejects(t.asPromise(), CancelledError);
    assert.deepEqual(log, ['CancelledError']);
  });

  it('the body signal aborts at the deadline', async () => {
    let signal: AbortSignal | undefined;
    const { currentSignal } = await import('weft');
    await assert.rejects(
      timeout(20, () => {
        signal = currentSignal();
        return new Promise(() => {});
      }),
      TimeoutError,
    );
    assert.equal(signal?.aborted, true);
  });

  it('moveOnAfter gives undefined at the deadline for a promise that never settles', async () => {
    assert.equal(await moveOnAfter(20, () => new Promise(() => {})), undefined);
  });

  it('a cooperating body still runs its cleanup before TimeoutError (as asyncio.timeout)', async () => {
    const log: string[] = [];
    await assert.rejects(
      timeout(10, async () => {
        try {
          await sleep(10_000);
        } finally {
          await sleep(20);
          log.push('cleanup');
        }
      }),
      TimeoutError,
    );
    assert.deepEqual(log, ['cleanup']);
  });

  it('a body holding a TaskGroup: its children wind down before timeout() settles (structured concurrency)', async () => {
    const log: string[] = [];
    await outcome(
      timeout(20, async () => {
        await using tg = new TaskGroup();
        tg.createTask(async () => {
          try {
            await sleep(10_000);
          } finally {
            await sleep(30);
            log.push('child cleanup');
          }
        });
      }),
    );
    log.push('timeout settled');
    assert.deepEqual(log, ['child cleanup', 'timeout settled']);
    await assert.rejects(
      timeout(20, () =>
        taskGroup(async (tg) => {
          tg.createTask(() => sleep(10_000));
          await sleep(10_000);
        }),
      ),
      TimeoutError,
    );
  });

  it('timeout(0) still returns what a body that finished at once returns', async () => {
    assert.equal(await timeout(0, async () => 5), 5);
    await assert.rejects(
      timeout(0, () => sleep(50)),
      TimeoutError,
    );
  });
});

describe('PriorityQueue without compare orders as Python does', { timeout: 30_000 }, () => {
  it('numbers numerically, arrays (tuples) element by element', () => {
    const q = new PriorityQueue<[number, string]>();
    for (const x of [
      [10, 'ten'],
      [2, 'two'],
      [2, 'a'],
      [1, 'one'],
    ] as [number, string][])
      q.putNowait(x);
    assert.deepEqual(
      [q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()],
      [
        [1, 'one'],
        [2, 'a'],
        [2, 'two'],
        [10, 'ten'],
      ],
    );
    const n = new PriorityQueue<number>();
    for (const x of [10, 9, 100, 2]) n.putNowait(x);
    assert.deepEqual([n.getNowait(), n.getNowait(), n.getNowait(), n.getNowait()], [2, 9, 10, 100]);
    const t = new PriorityQueue<number[]>();
    t.putNowait([1, 2, 3]);
    t.putNowait([1, 2]);
    assert.deepEqual(t.getNowait(), [1, 2], 'a shorter prefix comes first');
  });

  it('an item the natural order cannot rank is a TypeError (Python: "<" not supported)', async () => {
    const q = new PriorityQueue<unknown>();
    assert.throws(() => q.putNowait({ a: 1 }), TypeError);
    q.putNowait(1);
    assert.throws(() => q.putNowait('x'), TypeError);
    await assert.rejects(q.put('x'), TypeError);
    assert.equal(q.qsize(), 1);
    assert.equal(q.statistics().unfinished, 1);
  });
});

describe('ExceptionGroup', { timeout: 30_000 }, () => {
  it("takes Python's (message, errors) as well as AggregateError's (errors, message)", () => {
    const a = new Error('a');
    const b = new Error('b');
    const py = new ExceptionGroup('two failed', [a, b]);
    const js = new ExceptionGroup([a, b], 'two failed');
    for (const g of [py, js]) {
      assert.deepEqual(g.errors, [a, b]);
      assert.equal(g.message, 'two failed (2 sub-exceptions)');
    }
    assert.throws(() => new ExceptionGroup('x', 5 as never), TypeError);
  });

  it('a message that already carries the suffix keeps one', () => {
    const g = new ExceptionGroup('boom (1 sub-exception)', [new Error('x')]);
    assert.equal(g.message, 'boom (1 sub-exception)');
  });
});

describe('Future made by user code', { timeout: 30_000 }, () => {
  it('setResult / setException settle it; InvalidStateError once done', async () => {
    const f = new Future<number>();
    assert.equal(f.state, 'pending');
    setTimeout(() => f.setResult(42), 1);
    assert.equal(await f, 42);
    assert.throws(() => f.setResult(1), InvalidStateError);
    assert.throws(() => f.setException(new Error('x')), InvalidStateError);
    const g = new Future<number>();
    g.setException(new RangeError('bad'));
    await assert.rejects(g, RangeError);
    assert.ok(g.exception() instanceof RangeError);
    const c = new Future<number>();
    c.cancel();
    assert.throws(() => c.setResult(1), InvalidStateError);
    const t = createTask(() => 1);
    assert.throws(() => t.setResult(2), InvalidStateError, 'a Task sets its own result');
    await t;
  });
});

describe('signals and timeouts', { timeout: 30_000 }, () => {
  it('1000 waits on one AbortSignal add one listener (no MaxListenersExceededWarning)', async () => {
    const warnings = await warningsDuring(async () => {
      const ac = new AbortController();
      const e = new Event();
      const ps = Array.from({ length: 1000 }, () => e.wait({ signal: ac.signal }));
      const q = new Queue<number>();
      const gs = Array.from({ length: 100 }, () => q.get({ signal: ac.signal }));
      ac.abort();
      for (const r of await Promise.allSettled([...ps, ...gs])) assert.equal(r.status, 'rejected');
    });
    assert.ok(!warnings.includes('MaxListenersExceededWarning'), warnings.join());
  });

  it('a huge finite timeout is honoured, not cut to 2^31-1 ms (no TimeoutOverflowWarning, no early expiry)', async () => {
    const warnings = await warningsDuring(async () => {
      const l = new Lock();
      const g = await l.acquire();
      const ac = new AbortController();
      const p = outcome(l.acquire({ timeout: 2 ** 31 + 10, signal: ac.signal }));
      const s = outcome(sleep(2 ** 40, undefined, { signal: ac.signal }));
      await sleep(30);
      ac.abort();
      const [rp, rs] = await Promise.all([p, s]);
      assert.ok(!rp.ok && rp.e instanceof CancelledError, 'still waiting when aborted');
      assert.ok(!rs.ok && rs.e instanceof CancelledError);
      g.release();
    });
    assert.ok(!warnings.includes('TimeoutOverflowWarning'), warnings.join());
  });

  it("a timeout of '5' is a TypeError in every asyncio wait; negative means do not wait", async () => {
    const bad = { timeout: '5' as unknown as number };
    const q = new Queue<number>();
    const waits: Array<() => Promise<unknown>> = [
      () => new Lock().acquire(bad),
      () => new Semaphore(0).acquire(bad),
      () => new Event().wait(bad),
      () => new Barrier(2).wait(bad),
      () => q.get(bad),
      () => q.put(1, bad),
      () => q.join(bad),
      () => sleep(1, undefined, bad as { signal?: AbortSignal }),
      () => timeout('5' as never, async () => 1),
      () => moveOnAfter('5' as never, async () => 1),
    ];
    for (const w of waits) await assert.rejects(w(), TypeError);
    await assert.rejects(new Event().wait({ timeout: -5 }), TimeoutError);
    await assert.rejects(q.get({ timeout: -5 }), TimeoutError);
    q.putNowait(1);
    assert.equal(await q.get({ timeout: -5 }), 1, 'an item there: taken without waiting');
    await assert.rejects(new Event().wait({ timeut: 5 } as never), /did you mean "timeout"/);
  });
});

describe('clear mistakes (issue 13)', { timeout: 30_000 }, () => {
  it('unknown option keys and wrong types are TypeErrors naming the closest key', async () => {
    assert.throws(() => createTask(() => 1, { nmae: 'x' } as never), /did you mean "name"/);
    assert.throws(() => createTask(() => 1, { name: 5 } as never), TypeError);
    await assert.rejects(
      run(async () => 1, { handle_signals: false } as never),
      /did you mean "handleSignals"/,
    );
    assert.throws(() => gather([Promise.resolve(1)], { return_exceptions: true } as never), /did you mean "returnExceptions"/);
    await assert.rejects(sleep('5' as never), TypeError);
    await assert.rejects(sleep(Number.NaN), RangeError);
    await assert.rejects(sleep(1, undefined, { timeout: 5 } as never), /unknown option "timeout"/);
    assert.throws(() => new Queue({ max_size: 2 } as never), /did you mean "maxsize"/);
    assert.throws(() => new Queue({ maxsize: '2' } as never), TypeError);
    assert.throws(() => new PriorityQueue({ compare: 5 } as never), TypeError);
    assert.throws(() => new Semaphore('2' as never), TypeError);
    assert.throws(() => new Semaphore(-1), RangeError);
    assert.throws(() => new Barrier('2' as never), TypeError);
    const q = new Queue();
    assert.throws(() => q.shutdown({ immedate: true } as never), /did you mean "immediate"/);
    const c = new Condition();
    const g = await c.acquire();
    assert.throws(() => c.notify('x' as never), TypeError);
    assert.throws(() => c.notify(-1), RangeError);
    g.release();
  });
});
