/**
 * weft/threading checked against CPython 3.13 (issue 10): Event set()+clear() wakes
 * every sleeper (gh-57711), Barrier's draining phase (lock_tests.BarrierTests),
 * Python timeouts, Timer / enumerate() / getIdent(), exports and clear mistakes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, createTask, sleep } from 'weft/asyncio';
import {
  Barrier,
  BrokenBarrierError,
  Event,
  Lock,
  Queue,
  Semaphore,
  SharedArray,
  Thread,
  Timer,
  TimeoutError,
  enumerate,
  getIdent,
  currentThread,
} from 'weft/threading';
import * as threading from 'weft/threading';
import { warningsDuring } from '../core/_warnings.ts';

const outcome = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );

const started: Thread<unknown>[] = [];
after(async () => {
  for (const t of started) await t.terminate();
});

describe('threading.Event: set() then clear() wakes every sleeper (gh-57711)', { timeout: 60_000 }, () => {
  it('async waiters on this thread', async () => {
    const ev = new Event();
    const ps = [0, 1, 2].map(() => outcome(ev.wait({ timeout: 3000 })));
    await sleep(20);
    ev.set();
    ev.clear();
    for (const r of await Promise.all(ps)) assert.deepEqual(r, { ok: true, v: true });
    assert.equal(ev.isSet(), false);
  });

  it('threads asleep in waitSync()', async () => {
    const ev = new Event();
    const ready = new SharedArray('int32', 1);
    const ts = [0, 1].map(
      () =>
        new Thread(
          (e: Event, r: Int32Array) => {
            Atomics.add(r, 0, 1);
            return e.waitSync({ timeout: 5000 });
          },
          { args: [ev, ready] },
        ),
    );
    for (const t of ts) {
      started.push(t);
      t.start();
    }
    while (Atomics.load(ready, 0) < 2) await sleep(5);
    await sleep(100); // let them fall asleep
    ev.set();
    ev.clear();
    for (const t of ts) assert.equal(await t.join(), true);
  });
});

describe('threading.Barrier (CPython lock_tests.BarrierTests, parties as async tasks)', { timeout: 60_000 }, () => {
  const N = 5;
  const runParties = (f: () => Promise<void>) => Promise.all(Array.from({ length: N }, () => createTask(f)));

  it('a party calling wait() again while the barrier drains is held back', async () => {
    const b = new Barrier(2);
    const p0 = b.wait();
    while (b.nWaiting < 1) await sleep(1);
    const p1 = b.wait(); // fills: p0 is released but has not left yet
    const again = b.wait(); // held back until p0 has left, then counted in the next round
    assert.deepEqual((await Promise.all([p0, p1])).sort(), [0, 1]);
    while (b.nWaiting < 1) await sleep(1);
    const other = b.wait();
    assert.deepEqual(await Promise.all([again, other]), [0, 1]);
    assert.equal(b.broken, false);
  });

  it('test_barrier: several rounds, every index once per round', async () => {
    const b = new Barrier(N);
    const seen: number[][] = [];
    await runParties(async () => {
      for (let r = 0; r < 3; r++) {
        const i = await b.wait();
        (seen[r] ??= []).push(i);
      }
    });
    for (const round of seen) assert.deepEqual([...round].sort(), [0, 1, 2, 3, 4]);
    assert.equal(b.nWaiting, 0);
  });

  it('test_reset: reset() while the others wait in the next round breaks only that round', async () => {
    const b = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const results3: boolean[] = [];
    await runParties(async () => {
      const i = await b.wait();
      if (i === N >> 1) {
        while (b.nWaiting < N - 1) await sleep(1);
        await b.reset();
      } else {
        try {
          await b.wait();
          results1.push(true);
        } catch (e) {
          assert.ok(e instanceof BrokenBarrierError);
          results2.push(true);
        }
      }
      await b.wait();
      results3.push(true);
    });
    assert.equal(results1.length, 0);
    assert.equal(results2.length, N - 1);
    assert.equal(results3.length, N);
  });

  it('test_abort_and_reset', async () => {
    const b = new Barrier(N);
    const b2 = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const results3: boolean[] = [];
    await runParties(async () => {
      try {
        const i = await b.wait();
        if (i === N >> 1) throw new RangeError('boom');
        await b.wait();
        results1.push(true);
      } catch (e) {
        if (e instanceof BrokenBarrierError) results2.push(true);
        else await b.abort();
      }
      if ((await b2.wait()) === N >> 1) await b.reset();
      await b2.wait();
      await b.wait();
      results3.push(true);
    });
    assert.equal(results1.length, 0);
    assert.equal(results2.length, N - 1);
    assert.equal(results3.length, N);
  });

  it('test_timeout: a wait that times out breaks the barrier (TimeoutError; the others BrokenBarrierError)', async () => {
    const b = new Barrier(3);
    const a = outcome(b.wait());
    const t = outcome(b.wait({ timeout: 20 }));
    const [ra, rt] = await Promise.all([a, t]);
    assert.ok(!rt.ok && rt.e instanceof TimeoutError);
    assert.ok(!ra.ok && ra.e instanceof BrokenBarrierError);
    assert.equal(b.broken, true);
    await b.reset();
    assert.equal(b.broken, false);
  });

  it('reset() while the barrier drains does not break the parties being released (threading)', async () => {
    const b = new Barrier(3);
    const ps = [outcome(b.wait()), outcome(b.wait())];
    while (b.nWaiting < 2) await sleep(1);
    const last = b.wait(); // fills: draining
    const reset = b.reset(); // waits for the internal lock: the barrier drains or has drained
    assert.equal(await last, 2);
    await reset;
    const rs = await Promise.all(ps);
    assert.deepEqual(rs.map((r) => r.ok && r.v).sort(), [0, 1]);
    assert.equal(b.broken, false);
    assert.deepEqual((await Promise.all([b.wait(), b.wait(), b.wait()])).sort(), [0, 1, 2]);
  });

  it('a cancelled party leaves; the barrier still fills with a replacement', async () => {
    const b = new Barrier(2);
    const t = createTask(() => b.wait());
    await sleep(5);
    t.cancel();
    await assert.rejects(t.asPromise(), CancelledError);
    assert.equal(b.nWaiting, 0);
    assert.deepEqual((await Promise.all([b.wait(), b.wait()])).sort(), [0, 1]);
  });
});

describe('Python timeouts in weft/threading', { timeout: 60_000 }, () => {
  it("zero or negative does not wait; '5' is a TypeError; NaN a RangeError; unknown keys name the closest", async () => {
    const ev = new Event();
    await assert.rejects(ev.wait({ timeout: -1 }), TimeoutError);
    await assert.rejects(ev.wait({ timeout: '5' as never }), TypeError);
    await assert.rejects(ev.wait({ timeout: Number.NaN }), RangeError);
    await assert.rejects(ev.wait({ timeut: 5 } as never), /did you mean "timeout"/);
    const q = new Queue<number>();
    await assert.rejects(q.get({ timeout: 0 }), TimeoutError);
    await q.put(1, { timeout: -1 });
    assert.equal(await q.get({ timeout: -1 }), 1);
    const s = new Semaphore(0);
    await assert.rejects(s.acquire({ timeout: -10 }), TimeoutError);
    assert.throws(() => new Queue({ maxsize: '3' } as never), TypeError);
    assert.throws(() => new Queue({ max_size: 3 } as never), /did you mean "maxsize"/);
  });

  it('a huge finite timeout waits (no TimeoutOverflowWarning) and Infinity waits forever', async () => {
    const warnings = await warningsDuring(async () => {
      const ev = new Event();
      const a = new AbortController();
      const p1 = outcome(ev.wait({ timeout: 2 ** 31 + 10, signal: a.signal }));
      const p2 = outcome(ev.wait({ timeout: Infinity, signal: a.signal }));
      await sleep(30);
      ev.set();
      assert.deepEqual(await p1, { ok: true, v: true });
      assert.deepEqual(await p2, { ok: true, v: true });
    });
    assert.ok(!warnings.includes('TimeoutOverflowWarning'), warnings.join());
  });

  it('1000 async waits on one AbortSignal add one listener (no MaxListenersExceededWarning)', async () => {
    const warnings = await warningsDuring(async () => {
      const ev = new Event();
      const ac = new AbortController();
      const ps = Array.from({ length: 1000 }, () => ev.wait({ signal: ac.signal, timeout: 10_000 }));
      ac.abort();
      for (const r of await Promise.allSettled(ps)) assert.equal(r.status, 'rejected');
    });
    assert.ok(!warnings.includes('MaxListenersExceededWarning'), warnings.join());
  });
});

describe('Timer, enumerate(), getIdent()', { timeout: 60_000 }, () => {
  it('a Timer runs its target in a thread after the delay', async () => {
    const box = new SharedArray('int32', 2);
    const t = new Timer(
      30,
      (b: Int32Array) => {
        Atomics.store(b, 0, 1);
      },
      { args: [box], name: 'tick' },
    );
    assert.equal(t.isAlive(), false);
    t.start();
    started.push(t);
    assert.equal(t.isAlive(), true);
    assert.ok(enumerate().includes(t), 'a waiting Timer is live');
    assert.equal(Atomics.load(box, 0), 0);
    await t.join();
    assert.equal(Atomics.load(box, 0), 1);
    assert.equal(t.isAlive(), false);
    assert.ok(!enumerate().includes(t));
    assert.throws(() => t.start(), /only be started once/);
  });

  it('cancel() before it fires: the target never runs; join() returns at once', async () => {
    const box = new SharedArray('int32', 1);
    const t = new Timer(
      40,
      (b: Int32Array) => {
        Atomics.store(b, 0, 1);
      },
      { args: [box] },
    );
    t.start();
    t.cancel();
    assert.equal(t.cancelled(), true);
    assert.equal(await t.join(), undefined);
    await sleep(120);
    assert.equal(Atomics.load(box, 0), 0);
    assert.equal(t.isAlive(), false);
    assert.ok(!enumerate().includes(t));
  });

  it('a target that cannot start when the timer fires: join() throws why (it does not wait for good)', async () => {
    // An argument that cannot be sent to a thread is found when the thread starts, at fire time.
    const t = new Timer(10, (f: unknown) => typeof f, { args: [{ fn() {} }] });
    t.start();
    await assert.rejects(t.join(), TypeError);
    assert.equal(t.isAlive(), false);
    assert.ok(!enumerate().includes(t), 'not listed as live');
  });

  it('bad arguments are TypeError', () => {
    assert.throws(() => new Timer('5' as never, () => {}), TypeError);
    assert.throws(() => new Timer(5, 'x' as never), TypeError);
    assert.throws(() => new Timer(5, () => {}, { arg: [] } as never), /did you mean "args"/);
    assert.throws(() => new Timer(5, () => {}, [1, 2] as never), /args/);
  });

  it('enumerate() lists the started Threads until they end; getIdent() is this thread id', async () => {
    const gate = new Event();
    const t = new Thread(
      (g: Event) => {
        g.waitSync({ timeout: 10_000 });
        return 0;
      },
      { args: [gate], name: 'listed' },
    );
    assert.ok(!enumerate().includes(t));
    t.start();
    started.push(t);
    assert.ok(enumerate().includes(t));
    gate.set();
    await t.join();
    assert.ok(!enumerate().includes(t));
    assert.equal(getIdent(), currentThread().ident);
    const inside = new Thread(async () => {
      const th = await import('weft/threading');
      return [th.getIdent(), th.currentThread().ident];
    }, {});
    inside.start();
    started.push(inside);
    const [id, cur] = (await inside.join()) as number[];
    assert.equal(id, cur);
    assert.equal(id, inside.ident);
    assert.notEqual(id, getIdent());
  });
});

describe('weft/threading: exports and clear mistakes', { timeout: 30_000 }, () => {
  it('exports every error class its API throws', () => {
    for (const name of [
      'BrokenBarrierError',
      'TimeoutError',
      'CancelledError',
      'InvalidStateError',
      'ValueError',
      'QueueEmpty',
      'QueueFull',
      'QueueShutDown',
      'WorkerCrashedError',
    ]) {
      assert.equal(typeof (threading as Record<string, unknown>)[name], 'function', name);
    }
  });

  it('SharedArray: an options-like object is a TypeError, a length too big a clear RangeError', () => {
    assert.throws(() => new SharedArray('float64', { a: 1 } as never), TypeError);
    assert.throws(
      () => new SharedArray('float64', 2 ** 53),
      (e: unknown) => e instanceof RangeError && /SharedArray\('float64', 9007199254740992\)/.test((e as Error).message),
    );
    assert.equal(new SharedArray('int32', { length: 2 } as never).length, 2, 'an array-like still works');
  });

  it('forgetting await on a threading Lock names the fix', async () => {
    const l = new Lock();
    assert.throws(
      () => {
        using _ = l.acquire() as unknown as Disposable;
      },
      (e: unknown) => e instanceof TypeError && /using _ = await lock\.acquire\(\)/.test((e as Error).message),
    );
    await sleep(0);
    assert.equal(l.locked(), false);
  });
});
