/**
 * Property-based tests: random programs of puts/gets/acquires/barrier waits with
 * random cancellations (task.cancel(), AbortSignal) and timeouts, checking the
 * invariants of the primitives: cancel wins (a task whose cancel() returned true
 * ends with CancelledError, never holding what it waited for), no item lost or
 * duplicated, permits conserved, mutual exclusion, FIFO among the waiters that
 * were not cancelled.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Barrier,
  BrokenBarrierError,
  CancelledError,
  Condition,
  Lock,
  Queue,
  Semaphore,
  TimeoutError,
  createTask,
  sleep,
  type Task,
} from 'weft/asyncio';

const tick = () => sleep(0);
const NUM_RUNS = Number(process.env.WEFT_FC_RUNS ?? 40);

/** How a wait may end early. */
const cancelHow = fc.constantFrom('none', 'none', 'signal', 'task', 'timeout0', 'timeout1');
type How = 'none' | 'signal' | 'task' | 'timeout0' | 'timeout1';

/** Starts `op` the way `how` says; returns a handle to cancel it and its outcome. */
function launch<T>(how: How, op: (o: { signal?: AbortSignal; timeout?: number }) => Promise<T>) {
  const ac = new AbortController();
  const opts = how === 'signal' ? { signal: ac.signal } : how === 'timeout0' ? { timeout: 0 } : how === 'timeout1' ? { timeout: 1 } : {};
  let task: Task<T> | undefined;
  let p: Promise<T>;
  if (how === 'task') {
    task = createTask(() => op(opts));
    p = task.asPromise();
  } else p = op(opts);
  const outcome = p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  const h = {
    /** task.cancel() returned true at least once */
    cancelWon: false,
    cancel() {
      if (how === 'signal') ac.abort();
      else if (task?.cancel()) h.cancelWon = true;
    },
    outcome,
  };
  return h;
}

/** Cancel wins: a task whose cancel() returned true ended with CancelledError. */
async function expectCancelWins(hs: { cancelWon: boolean; outcome: Promise<{ ok: boolean; e?: unknown }> }[]) {
  for (const h of hs) {
    if (!h.cancelWon) continue;
    const o = await h.outcome;
    assert.ok(!o.ok && o.e instanceof CancelledError, `cancel() returned true but the task ended with ${o.ok ? 'a result' : String(o.e)}`);
  }
}

function expectCancelLike(e: unknown) {
  assert.ok(e instanceof CancelledError || e instanceof TimeoutError, `unexpected error ${String(e)}`);
}

describe('property tests under random cancellation', { timeout: 120_000 }, () => {
  it('Queue: no item lost or duplicated, FIFO among surviving getters and putters', async () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), how: cancelHow }),
      fc.record({ kind: fc.constant('get' as const), how: cancelHow }),
      fc.record({ kind: fc.constant('cancel' as const), idx: fc.nat(40) }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(action, { maxLength: 40 }), async (maxsize, actions) => {
        const q = new Queue<number>({ maxsize });
        let next = 0;
        let arrivals = 0;
        const puts: ReturnType<typeof launch<number>>[] = [];
        const gets: ReturnType<typeof launch<{ v: number; at: number }>>[] = [];
        const all: { cancel(): void }[] = [];
        for (const a of actions) {
          // items and arrival numbers are taken when put()/get() is actually called
          // (a 'task' launch calls it one microtask later)
          if (a.kind === 'put') {
            const h = launch(a.how, (o) => {
              const item = next++;
              return q.put(item, o).then(() => item);
            });
            puts.push(h);
            all.push(h);
          } else if (a.kind === 'get') {
            const h = launch(a.how, (o) => {
              const at = arrivals++;
              return q.get(o).then((v) => ({ v, at }));
            });
            gets.push(h);
            all.push(h);
          } else if (a.kind === 'cancel') all[a.idx % Math.max(1, all.length)]?.cancel();
          else await tick();
        }
        await tick();
        await sleep(2);
        // Settle everything: getters still waiting are released by shutdown; the rest is drained.
        const leftPuttersBefore = q.statistics().putters;
        q.shutdown();
        const drained: number[] = [];
        while (!q.empty()) drained.push(q.getNowait());
        const putOut = await Promise.all(puts.map((p) => p.outcome));
        const getOut = await Promise.all(gets.map((g) => g.outcome));
        await expectCancelWins([...puts, ...gets]);
        const received: { v: number; at: number }[] = [];
        const isShutDown = (e: unknown) => e instanceof Error && e.name === 'QueueShutDown';
        for (const r of getOut) {
          if (r.ok) received.push(r.v);
          else if (!isShutDown(r.e)) expectCancelLike(r.e);
        }
        const putOk: number[] = [];
        for (const p of putOut) {
          if (p.ok) putOk.push(p.v);
          else if (!isShutDown(p.e)) expectCancelLike(p.e);
        }
        putOk.sort((a, b) => a - b);
        received.sort((a, b) => a.at - b.at);
        // Exactly the items that were put, each once, in put order, to getters in arrival order (FIFO everywhere).
        assert.deepEqual([...received.map((r) => r.v), ...drained], putOk);
        assert.ok(leftPuttersBefore >= 0);
        assert.equal(q.statistics().getters, 0);
        assert.equal(q.statistics().putters, 0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Semaphore: permits conserved, capacity respected, FIFO among surviving waiters', async () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), how: cancelHow }),
      fc.record({ kind: fc.constant('release' as const) }),
      fc.record({ kind: fc.constant('cancel' as const), idx: fc.nat(40) }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(action, { maxLength: 40 }), async (initial, actions) => {
        const sem = new Semaphore(initial);
        const held: Disposable[] = [];
        const grantOrder: number[] = [];
        const hs: ReturnType<typeof launch<Disposable>>[] = [];
        let extra = 0; // releases without a guard (adds permits)
        let arrivals = 0;
        for (const a of actions) {
          if (a.kind === 'acquire') {
            // arrival number taken when acquire() is actually called (a 'task' launch calls it a microtask later)
            const h = launch(a.how, (o) => {
              const at = arrivals++;
              return sem.acquire(o).then((g) => {
                grantOrder.push(at);
                held.push(g);
                return g;
              });
            });
            hs.push(h);
          } else if (a.kind === 'release') {
            const g = held.shift();
            if (g) g[Symbol.dispose]();
            else {
              sem.release();
              extra++;
            }
          } else if (a.kind === 'cancel') hs[a.idx % Math.max(1, hs.length)]?.cancel();
          else {
            await tick();
            // quiescent point: every permit is either free or held, none lost or duplicated
            assert.equal(sem.value + held.length, initial + extra);
            assert.ok(sem.value === 0 || sem.statistics().waiters === 0, 'free permits while tasks wait');
          }
        }
        // Release everything held until no one waits, then check conservation.
        await tick();
        for (let rounds = 0; rounds < 100 && (held.length > 0 || sem.statistics().waiters > 0); rounds++) {
          while (held.length) held.shift()![Symbol.dispose]();
          await tick();
          if (held.length === 0 && sem.statistics().waiters > 0) {
            sem.release();
            extra++;
            await tick();
          }
        }
        const outs = await Promise.all(hs.map((h) => h.outcome));
        while (held.length) held.shift()![Symbol.dispose]();
        for (const o of outs) if (!o.ok) expectCancelLike(o.e);
        await expectCancelWins(hs);
        assert.equal(sem.value, initial + extra);
        // FIFO: grants in the order acquire() was called, among those that got one.
        assert.deepEqual(
          grantOrder,
          [...grantOrder].sort((a, b) => a - b),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Lock: mutual exclusion and FIFO under random cancellation and timeouts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ how: cancelHow, hold: fc.nat(2), cancelAt: fc.nat(3) }), { minLength: 1, maxLength: 25 }),
        async (specs) => {
          const lock = new Lock();
          let inside = 0;
          let maxInside = 0;
          const entered: number[] = [];
          let arrivals = 0;
          const hs = specs.map((s) =>
            launch(s.how, async (o) => {
              const at = arrivals++;
              const g = await lock.acquire(o);
              inside++;
              try {
                entered.push(at);
                maxInside = Math.max(maxInside, inside);
                if (s.hold) await sleep(s.hold);
              } finally {
                inside--;
                g.release();
              }
            }),
          );
          for (let step = 0; step < 4; step++) {
            specs.forEach((s, i) => {
              if (s.cancelAt === step) hs[i]!.cancel();
            });
            await tick();
          }
          const outs = await Promise.all(hs.map((h) => h.outcome));
          for (const o of outs) if (!o.ok) expectCancelLike(o.e);
          await expectCancelWins(hs);
          assert.ok(maxInside <= 1, 'two holders at once');
          assert.equal(lock.locked(), false);
          assert.equal(lock.statistics().waiters, 0);
          assert.deepEqual(
            entered,
            [...entered].sort((a, b) => a - b),
            'FIFO among those that got the lock',
          );
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('Condition: the lock is held after every wait (notified, cancelled or timed out), no item lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ how: cancelHow, cancelAt: fc.nat(3) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 15 }),
        async (consumers, nItems) => {
          const cond = new Condition();
          const items: number[] = [];
          const got: number[] = [];
          let holder = -1;
          let closed = false;
          const took = new Set<number>();
          const hs = consumers.map((c, i) =>
            launch(c.how, async (o) => {
              using _g = await cond.acquire();
              try {
                await cond.waitFor(() => items.length > 0 || closed, o);
              } finally {
                assert.equal(cond.locked(), true, 'wait ended without the lock');
                assert.equal(holder, -1, 'two holders of the condition lock');
              }
              holder = i;
              try {
                if (items.length > 0) {
                  got.push(items.shift()!);
                  took.add(i);
                }
                await tick(); // hold the lock across a turn (may be cancelled here): nobody else may get in
              } finally {
                holder = -1;
              }
            }),
          );
          for (let step = 0; step < 4; step++) {
            consumers.forEach((c, i) => {
              if (c.cancelAt === step) hs[i]!.cancel();
            });
            if (step === 1) {
              using _g = await cond.acquire();
              for (let k = 0; k < nItems; k++) items.push(k);
              cond.notifyAll();
            }
            await tick();
          }
          {
            using _g = await cond.acquire();
            closed = true;
            cond.notifyAll();
          }
          const outs = await Promise.all(hs.map((h) => h.outcome));
          for (const o of outs) if (!o.ok) expectCancelLike(o.e);
          await expectCancelWins(hs);
          assert.equal(holder, -1);
          assert.equal(cond.locked(), false);
          // every item is either consumed once or still there, in order
          assert.deepEqual(
            [...got, ...items],
            Array.from({ length: nItems }, (_, k) => k),
          );
          // no notification lost: if items are left, every consumer that ended normally took one
          if (items.length > 0)
            outs.forEach((o, i) => {
              if (o.ok) assert.ok(took.has(i), `consumer ${i} woke without an item while items were left`);
            });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('Barrier: rounds of exactly `parties`, cancel wins, nothing hangs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ how: cancelHow, cancelAt: fc.nat(4) }), { minLength: 1, maxLength: 20 }),
        async (parties, specs) => {
          const b = new Barrier(parties);
          const hs = specs.map((s) => launch(s.how, (o) => b.wait(o)));
          for (let step = 0; step < 5; step++) {
            specs.forEach((s, i) => {
              if (s.cancelAt === step) hs[i]!.cancel();
            });
            await tick();
          }
          await b.abort(); // whoever still waits gets BrokenBarrierError: nothing hangs
          const outs = await Promise.all(hs.map((h) => h.outcome));
          await expectCancelWins(hs);
          let passed = 0;
          for (const o of outs) {
            if (o.ok) {
              passed++;
              assert.ok(Number.isInteger(o.v) && (o.v as number) >= 0 && (o.v as number) < parties, `index ${String(o.v)}`);
            } else
              assert.ok(o.e instanceof BrokenBarrierError || o.e instanceof CancelledError || o.e instanceof TimeoutError, String(o.e));
          }
          const cycles = b.statistics().cycles;
          const wonCancels = hs.filter((h) => h.cancelWon).length;
          // every round released `parties` waiters; only a cancel that won may take one back
          assert.ok(passed <= cycles * parties, `${passed} passed in ${cycles} rounds of ${parties}`);
          assert.ok(passed >= cycles * parties - wonCancels, `${passed} passed in ${cycles} rounds of ${parties}`);
          await tick();
          assert.equal(b.statistics().state, 'broken');
          await b.reset();
          assert.equal(b.nWaiting, 0);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
