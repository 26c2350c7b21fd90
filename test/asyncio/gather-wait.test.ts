import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_COMPLETED,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  Queue,
  TimeoutError,
  asCompleted,
  createTask,
  gather,
  moveOnAfter,
  shield,
  sleep,
  timeout,
  timeoutAt,
  wait,
  waitFor,
  type Task,
} from 'weft/asyncio';

const tick = () => sleep(0);

describe('gather', { timeout: 30_000 }, () => {
  it('collects results in argument order (tasks, promises, plain values)', async () => {
    const t = createTask(async () => {
      await sleep(5);
      return 'task';
    });
    const r = await gather(t, sleep(1, 2), 3);
    assert.deepEqual(r, ['task', 2, 3]);
    assert.deepEqual(await gather(), []);
  });

  it('the first failure rejects the gather; the others keep running', async () => {
    const slow = createTask(async () => {
      await sleep(10);
      return 'slow';
    });
    await assert.rejects(gather(slow, Promise.reject(new Error('fast'))).asPromise(), /fast/);
    assert.equal(await slow, 'slow');
  });

  it('returnExceptions puts errors and CancelledErrors in the results', async () => {
    const c = createTask(() => sleep(10_000));
    c.cancel();
    const r = await gather([sleep(1, 'ok'), Promise.reject(new RangeError('r')), c], { returnExceptions: true });
    assert.equal(r[0], 'ok');
    assert.ok(r[1] instanceof RangeError);
    assert.ok(r[2] instanceof CancelledError);
    const r2 = await gather([1, 2], { returnExceptions: false });
    assert.deepEqual(r2, [1, 2]);
  });

  it('one array of awaitables without options is refused with a hint (not resolved to [array])', async () => {
    const t = createTask(() => sleep(1, 'x'));
    assert.throws(
      () => gather([t, sleep(1)] as any),
      (e: unknown) => e instanceof TypeError && /gather\(\.\.\.tasks\)/.test((e as Error).message),
    );
    assert.equal(await t, 'x');
    assert.deepEqual(await gather([1, 2] as any), [[1, 2]], 'an array of plain values is one plain value, as the signature says');
  });

  it('cancelling the gather future cancels its children', async () => {
    const a = createTask(() => sleep(10_000));
    const b = createTask(() => sleep(10_000));
    const g = gather(a, b);
    await tick();
    assert.equal(g.cancel(), true);
    await assert.rejects(g.asPromise(), CancelledError);
    await assert.rejects(a.asPromise(), CancelledError);
    await assert.rejects(b.asPromise(), CancelledError);
  });

  it('a task awaiting a gather that gets cancelled cancels the children', async () => {
    const a = createTask(() => sleep(10_000));
    const outer = createTask(async () => {
      await gather(a, sleep(10_000));
    });
    await tick();
    outer.cancel();
    await assert.rejects(outer.asPromise(), CancelledError);
    await assert.rejects(a.asPromise(), CancelledError);
  });
});

describe('wait / asCompleted', { timeout: 30_000 }, () => {
  it('ALL_COMPLETED (default) with Futures and promises', async () => {
    const t = createTask(() => sleep(3, 'a'));
    const p = sleep(1, 'b');
    const { done, notDone } = await wait([t, p]);
    assert.equal(done.size, 2);
    assert.equal(notDone.size, 0);
    for (const f of done) assert.ok(f instanceof Future);
    assert.deepEqual([...done].map((f) => f.result()).sort(), ['a', 'b']);
  });

  it('FIRST_COMPLETED and timeout', async () => {
    const fast = createTask(() => sleep(1, 'fast'));
    const slow = createTask(() => sleep(10_000));
    const r = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
    assert.deepEqual([...r.done], [fast]);
    assert.deepEqual([...r.notDone], [slow]);
    const r2 = await wait([slow], { timeout: 5 });
    assert.equal(r2.done.size, 0);
    assert.equal(r2.notDone.size, 1);
    slow.cancel();
  });

  it('FIRST_EXCEPTION returns on the first failure, not on success or cancellation', async () => {
    const ok = createTask(() => sleep(1, 1));
    const bad = createTask(async () => {
      await sleep(5);
      throw new Error('x');
    });
    const slow = createTask(() => sleep(10_000));
    const r = await wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
    assert.ok(r.done.has(ok) && r.done.has(bad));
    assert.ok(r.notDone.has(slow));
    slow.cancel();
    assert.equal(ALL_COMPLETED, 'ALL_COMPLETED');
  });

  it('honours signal and the current task cancellation; bad input rejects', async () => {
    const slow = createTask(() => sleep(10_000));
    const ac = new AbortController();
    const p = wait([slow], { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, CancelledError);
    const t = createTask(() => wait([slow]));
    await tick();
    t.cancel();
    await assert.rejects(t.asPromise(), CancelledError);
    assert.equal(slow.done(), false, 'wait() never cancels what it waits for');
    slow.cancel();
    await assert.rejects(wait([slow], { returnWhen: 'SOMETIMES' as never }), TypeError); // options.ts: a value not among the accepted ones
    await assert.rejects(wait(5 as never), TypeError);
  });

  it('asCompleted yields in completion order', async () => {
    const ts = [30, 10, 20].map((ms) => createTask(() => sleep(ms, ms)));
    const order: number[] = [];
    for await (const f of asCompleted(ts)) order.push(await f);
    assert.deepEqual(order, [10, 20, 30]);
    // At run time each item is the done Future itself (TypeScript types a for-await
    // variable as Awaited<...>, hence `await f`, which is right for both).
    const it = asCompleted(ts);
    const first = await it.next();
    assert.ok(first.value instanceof Future && first.value.done());
    await it.return!();
  });

  it('asCompleted times out with TimeoutError after yielding what finished', async () => {
    const fast = createTask(() => sleep(1, 'fast'));
    const slow = createTask(() => sleep(10_000));
    const got: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const f of asCompleted([fast, slow], { timeout: 20 })) got.push(await f);
      })(),
      TimeoutError,
    );
    assert.deepEqual(got, ['fast']);
    slow.cancel();
  });

  it('asCompleted: break removes callbacks; promises accepted', async () => {
    const slow = createTask(() => sleep(10_000));
    for await (const f of asCompleted([sleep(1, 1), slow])) {
      assert.equal(await f, 1);
      break;
    }
    slow.cancel();
    await assert.rejects(slow.asPromise(), CancelledError);
  });
});

describe('timeout / timeoutAt / moveOnAfter / waitFor / shield', { timeout: 30_000 }, () => {
  it('timeout returns the body result in time and throws TimeoutError after cleanup otherwise', async () => {
    assert.equal(
      await timeout(1000, async () => {
        await sleep(1);
        return 5;
      }),
      5,
    );
    const log: string[] = [];
    await assert.rejects(
      timeout(5, async () => {
        try {
          await sleep(10_000);
        } finally {
          await sleep(1);
          log.push('cleanup');
        }
      }),
      TimeoutError,
    );
    assert.deepEqual(log, ['cleanup']);
  });

  it('timeout inside a task: the task is not cancelled, only the body', async () => {
    const t = createTask(async () => {
      const r = await timeout(5, () => sleep(10_000)).catch((e: unknown) => (e as Error).name);
      await sleep(1);
      return r;
    });
    assert.equal(await t, 'TimeoutError');
  });

  it('a cancelled outer task is not turned into TimeoutError', async () => {
    const t = createTask(() => timeout(10_000, () => sleep(10_000)));
    await tick();
    t.cancel();
    await assert.rejects(t.asPromise(), CancelledError);
  });

  it('timeoutAt uses performance.now() deadlines', async () => {
    await assert.rejects(
      timeoutAt(performance.now() + 5, () => sleep(10_000)),
      TimeoutError,
    );
    assert.equal(await timeoutAt(performance.now() + 10_000, () => sleep(1, 'ok')), 'ok');
    await assert.rejects(
      timeoutAt(performance.now() - 1, () => sleep(10_000)),
      TimeoutError,
    );
  });

  it('moveOnAfter gives undefined on expiry', async () => {
    const q = new Queue<number>();
    assert.equal(await moveOnAfter(5, () => q.get()), undefined);
    q.putNowait(1);
    assert.equal(await moveOnAfter(1000, () => q.get()), 1);
    assert.equal(q.statistics().getters, 0);
  });

  it('nested timeouts: the inner one expires first', async () => {
    const r = await timeout(10_000, async () => {
      const inner = await timeout(5, () => sleep(10_000)).catch((e: unknown) => (e as Error).name);
      return inner;
    });
    assert.equal(r, 'TimeoutError');
  });

  it('bad arguments', async () => {
    await assert.rejects(
      timeout(Number.NaN, async () => 1),
      RangeError,
    );
    await assert.rejects(timeout(5, 'x' as never), TypeError);
    await assert.rejects(waitFor(sleep(1), 'x' as never), TypeError); // a timeout that is not a number is a TypeError everywhere
  });

  it('waitFor returns in time; on expiry cancels the task after its cleanup', async () => {
    assert.equal(await waitFor(sleep(1, 'v'), 1000), 'v');
    const log: string[] = [];
    const t: Task<void> = createTask(async () => {
      try {
        await sleep(10_000);
      } finally {
        await sleep(1);
        log.push('cleaned');
      }
    });
    await assert.rejects(waitFor(t, 5), TimeoutError);
    assert.deepEqual(log, ['cleaned']);
    assert.equal(t.cancelled(), true);
  });

  it('shield: cancelling the outer future or the awaiting task leaves the inner running', async () => {
    const inner = createTask(() => sleep(10, 'inner'));
    const s = shield(inner);
    s.cancel();
    await assert.rejects(s.asPromise(), CancelledError);
    const outer = createTask(async () => {
      await shield(inner);
    });
    await tick();
    outer.cancel();
    await assert.rejects(outer.asPromise(), CancelledError);
    assert.equal(await inner, 'inner');
    assert.equal(await shield(sleep(1, 3)), 3);
  });
});
