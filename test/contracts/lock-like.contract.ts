/**
 * Contract suite for every lock-like primitive (Lock, Semaphore, BoundedSemaphore,
 * Condition) of weft/asyncio and weft/threading: written once, run over each
 * implementation (Trio's generic_lock_test). `capacity` is how many holders may hold
 * it at once; `caps` says what an implementation does not promise (threading locks
 * are not FIFO-fair across threads and have no statistics()).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, TimeoutError, createTask, sleep, run } from 'weft/asyncio';

/** What the contract needs from a primitive. */
export interface LockLike {
  acquire(o?: { signal?: AbortSignal; timeout?: number }): Promise<Disposable & { release(): void }>;
  tryAcquire(): (Disposable & { release(): void }) | undefined;
  release(): void;
  locked(): boolean;
  statistics?(): object;
}

/** What an implementation promises beyond the common core (default: everything). */
export interface LockCaps {
  /** Waiters are served in FIFO order. */
  fifo?: boolean;
  /** It has statistics(). */
  statistics?: boolean;
}

const tick = () => sleep(0);

export function lockLikeContract(name: string, make: () => LockLike, capacity: number, caps: LockCaps = {}): void {
  const fifo = caps.fifo ?? true;
  const hasStats = caps.statistics ?? true;
  const fill = async (l: LockLike) => {
    const gs = [];
    for (let i = 0; i < capacity; i++) gs.push(await l.acquire());
    return gs;
  };

  describe(`${name} (lock-like contract)`, { timeout: 30_000 }, () => {
    it('acquire/release and locked()', async () => {
      const l = make();
      assert.equal(l.locked(), false);
      const gs = await fill(l);
      assert.equal(l.locked(), true);
      for (const g of gs) g.release();
      assert.equal(l.locked(), false);
    });

    it('tryAcquire is the non-waiting twin', async () => {
      const l = make();
      const gs = [];
      for (let i = 0; i < capacity; i++) {
        const g = l.tryAcquire();
        assert.ok(g);
        gs.push(g);
      }
      assert.equal(l.tryAcquire(), undefined);
      gs[0]!.release();
      const g = l.tryAcquire();
      assert.ok(g);
      g[Symbol.dispose]();
      for (const x of gs.slice(1)) x.release();
      assert.equal(l.locked(), false);
    });

    it('the guard is Disposable and releases once', async () => {
      const l = make();
      {
        using _g = await l.acquire();
        assert.equal(capacity === 1 ? l.locked() : true, true);
      }
      const gs = await fill(l);
      gs[0]![Symbol.dispose]();
      gs[0]![Symbol.dispose]();
      gs[0]!.release();
      assert.equal(l.tryAcquire() !== undefined, true);
      assert.equal(l.tryAcquire(), undefined, 'double dispose must not free a second permit');
    });

    it('waiters are served in FIFO order', { skip: !fifo && 'not FIFO-fair (across threads)' }, async () => {
      const l = make();
      const gs = await fill(l);
      const order: number[] = [];
      const ps = [0, 1, 2, 3, 4].map((i) =>
        l.acquire().then((g) => {
          order.push(i);
          return g;
        }),
      );
      await tick();
      assert.deepEqual(order, []);
      for (const g of gs) g.release();
      for (const p of ps) (await p).release();
      assert.deepEqual(order, [0, 1, 2, 3, 4]);
      assert.equal(l.locked(), false);
    });

    it('an aborted signal rejects with CancelledError and takes nothing', async () => {
      const l = make();
      const gs = await fill(l);
      const ac = new AbortController();
      const p1 = l.acquire({ signal: ac.signal });
      const p2 = l.acquire();
      ac.abort();
      await assert.rejects(p1, CancelledError);
      gs[0]!.release();
      const g2 = await p2;
      g2.release();
      for (const g of gs.slice(1)) g.release();
      assert.equal(l.locked(), false);
      const pre = new AbortController();
      pre.abort();
      for (const g of await fill(l)) g.release();
      const gs2 = await fill(l);
      await assert.rejects(l.acquire({ signal: pre.signal }), CancelledError);
      for (const g of gs2) g.release();
    });

    it('timeout rejects with TimeoutError and takes nothing', async () => {
      const l = make();
      const gs = await fill(l);
      await assert.rejects(l.acquire({ timeout: 5 }), TimeoutError);
      await assert.rejects(l.acquire({ timeout: 0 }), TimeoutError);
      for (const g of gs) g.release();
      const g = await l.acquire({ timeout: 0 });
      g.release();
      assert.equal(l.locked(), false);
      if (hasStats) assert.equal((l.statistics!() as { waiters?: number; lockWaiters?: number }).waiters ?? 0, 0);
    });

    it('cancelling the task that waits rejects with CancelledError, no permit lost', async () => {
      const l = make();
      const gs = await fill(l);
      const t = createTask(async () => {
        const g = await l.acquire();
        g.release();
        return 'got';
      });
      await tick();
      t.cancel();
      await assert.rejects(
        t.then((x) => x),
        CancelledError,
      );
      assert.equal(t.cancelled(), true);
      for (const g of gs) g.release();
      assert.equal(l.locked(), false);
      for (const g of await fill(l)) g.release();
    });

    it('woken, then cancelled: cancel wins, the permit goes to the next waiter', async () => {
      const l = make();
      const gs = await fill(l);
      let held = false;
      const t = createTask(async () => {
        using _g = await l.acquire();
        held = true;
      });
      const next = l.acquire();
      await tick();
      gs[0]!.release(); // hands the permit to the task...
      assert.equal(t.cancel(), true); // ...and cancels it before it resumes
      await assert.rejects(t.asPromise(), CancelledError);
      assert.equal(held, false, 'a task whose cancel() returned true never runs holding the permit');
      const g = await next; // the permit went on to the next waiter
      g.release();
      for (const x of gs.slice(1)) x.release();
      assert.equal(l.locked(), false);
      for (const x of await fill(l)) x.release();
    });

    it('never lets more than the capacity in', async () => {
      await run(
        async () => {
          const l = make();
          let inside = 0;
          let most = 0;
          const ts = [];
          for (let i = 0; i < 50; i++) {
            ts.push(
              createTask(async () => {
                using _g = await l.acquire();
                inside++;
                most = Math.max(most, inside);
                await sleep(i % 3);
                inside--;
              }),
            );
          }
          for (const t of ts) await t;
          assert.equal(most, capacity);
          assert.equal(l.locked(), false);
        },
        { handleSignals: false },
      );
    });

    it('forgetting await in `using _ = l.acquire()` names the fix', async () => {
      const l = make();
      let error: unknown;
      try {
        using _g = l.acquire() as unknown as Disposable;
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof TypeError);
      assert.match((error as Error).message, /using _ = await \w+\.acquire\(\)/);
      await tick();
      await tick();
      assert.equal(l.locked(), false, 'the acquisition is released as soon as it arrives');
    });

    it('timeouts follow Python; bad options are TypeError / RangeError', async () => {
      const l = make();
      const g = await l.acquire({ timeout: -1 }); // free: a timeout <= 0 still takes it
      const rest = [];
      for (let i = 1; i < capacity; i++) rest.push(await l.acquire({ timeout: 0 }));
      await assert.rejects(l.acquire({ timeout: -1 }), TimeoutError); // held: does not wait
      g.release();
      for (const x of rest) x.release();
      await assert.rejects(l.acquire({ timeout: Number.NaN }), RangeError);
      await assert.rejects(l.acquire({ timeout: '5' as unknown as number }), TypeError);
      await assert.rejects(l.acquire({ signal: 'nope' as unknown as AbortSignal }), TypeError);
      await assert.rejects(l.acquire({ timout: 5 } as unknown as object), /did you mean "timeout"/);
      await assert.rejects(l.acquire(42 as unknown as object), TypeError);
      assert.equal(l.locked(), false);
    });

    it('statistics() describes the state', { skip: !hasStats && 'no statistics()' }, async () => {
      const l = make();
      const s = l.statistics!();
      assert.equal(typeof s, 'object');
      const gs = await fill(l);
      const p = l.acquire();
      const st = l.statistics!() as { waiters?: number; lockWaiters?: number };
      assert.equal((st.waiters ?? 0) + (st.lockWaiters ?? 0), 1);
      for (const g of gs) g.release();
      (await p).release();
    });
  });
}
