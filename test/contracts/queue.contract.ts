/**
 * Contract suite for every Queue (weft/asyncio, weft/threading, weft/multiprocessing):
 * written once, run over each implementation. The common core is Python's queue:
 * FIFO, put/get that wait, non-waiting twins with QueueFull / QueueEmpty, qsize /
 * empty / full, timeouts and cancellation that take nothing. `caps` names what an
 * implementation does not have or does its own way (checked with the public API only).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, QueueEmpty, QueueFull, QueueShutDown, createTask, sleep } from 'weft/asyncio';

/** What the contract needs from a queue. */
export interface QueueLike<T> {
  put(item: T, o?: { timeout?: number; signal?: AbortSignal }): Promise<void>;
  get(o?: { timeout?: number; signal?: AbortSignal }): Promise<T>;
  putNowait(item: T): void;
  getNowait(): T;
  qsize(): number;
  empty(): boolean;
  full(): boolean;
  shutdown?(o?: { immediate?: boolean }): void;
  taskDone?(): void;
  join?(): Promise<void>;
  [Symbol.asyncIterator]?(): AsyncIterator<T>;
}

/** What an implementation has beyond the common core. */
export interface QueueCaps {
  /** The error a timed-out get / put rejects with (asyncio and threading: TimeoutError; multiprocessing: QueueEmpty / QueueFull, as Python's). */
  getTimeout: new (
    ...a: any[]
  ) => Error;
  putTimeout: new (...a: any[]) => Error;
  /** Waiting getters are served in FIFO order. */
  fifoWaiters: boolean;
  /** The current task's cancellation rejects a waiting get. */
  taskCancel: boolean;
  /** shutdown() (Python 3.13), QueueShutDown and `for await` that ends. */
  shutdown: boolean;
  /** taskDone() / join(). */
  join: boolean;
  /** Unknown option keys and non-number timeouts are TypeErrors. */
  strictOptions: boolean;
}

const tick = () => sleep(0);
const outcome = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );

export function queueContract(name: string, make: (maxsize?: number) => QueueLike<number>, caps: QueueCaps): void {
  describe(`${name} (queue contract)`, { timeout: 60_000 }, () => {
    it('FIFO; qsize / empty / full', async () => {
      const q = make(3);
      assert.equal(q.empty(), true);
      await q.put(1);
      q.putNowait(2);
      await q.put(3);
      assert.equal(q.qsize(), 3);
      assert.equal(q.full(), true);
      assert.deepEqual([await q.get(), q.getNowait(), await q.get()], [1, 2, 3]);
      assert.equal(q.empty(), true);
      assert.equal(q.full(), false);
    });

    it('non-waiting twins: QueueEmpty when empty, QueueFull when full; nothing changes', async () => {
      const q = make(1);
      assert.throws(() => q.getNowait(), QueueEmpty);
      q.putNowait(7);
      assert.throws(() => q.putNowait(8), QueueFull);
      assert.equal(q.qsize(), 1);
      assert.equal(q.getNowait(), 7);
      const u = make();
      for (let i = 0; i < 100; i++) u.putNowait(i);
      assert.equal(u.full(), false, 'an unbounded queue is never full');
      assert.equal(u.qsize(), 100);
    });

    it('get waits for a put; a bounded put waits for a get', async () => {
      const q = make(1);
      const g = q.get();
      await tick();
      await q.put(5);
      assert.equal(await g, 5);
      await q.put(1);
      let putDone = false;
      const p = q.put(2).then(() => {
        putDone = true;
      });
      await sleep(10);
      assert.equal(putDone, false, 'full: the put waits');
      assert.equal(await q.get(), 1);
      await p;
      assert.equal(await q.get(), 2);
    });

    it('waiting getters are served in FIFO order', { skip: !caps.fifoWaiters && 'not promised' }, async () => {
      const q = make();
      const order: number[] = [];
      const gs = [0, 1, 2].map((i) => q.get().then((v) => order.push(i * 10 + v)));
      await tick();
      for (let v = 0; v < 3; v++) await q.put(v);
      await Promise.all(gs);
      assert.deepEqual(order, [0, 11, 22]);
    });

    it('a get that times out takes nothing; a put that times out puts nothing', async () => {
      const q = make(1);
      await assert.rejects(q.get({ timeout: 20 }), caps.getTimeout);
      await q.put(1);
      await assert.rejects(q.put(2, { timeout: 20 }), caps.putTimeout);
      assert.equal(q.qsize(), 1);
      assert.equal(await q.get(), 1);
      assert.equal(q.qsize(), 0);
      await q.put(3);
      assert.equal(await q.get(), 3, 'the queue still works');
    });

    it('an aborted signal rejects the wait with CancelledError and takes nothing', async () => {
      const q = make();
      const ac = new AbortController();
      const g = q.get({ signal: ac.signal });
      await tick();
      ac.abort();
      await assert.rejects(g, CancelledError);
      await q.put(9);
      assert.equal(q.qsize(), 1, 'the item is still there');
      assert.equal(await q.get(), 9);
    });

    it('cancelling the task waiting in get() takes nothing', { skip: !caps.taskCancel && 'no task cancellation' }, async () => {
      const q = make();
      const t = createTask(() => q.get());
      await sleep(5);
      assert.equal(t.cancel(), true);
      await assert.rejects(t.asPromise(), CancelledError);
      await q.put(4);
      assert.equal(await q.get(), 4);
    });

    it('producers and consumers: nothing lost, nothing duplicated', async () => {
      const q = make(4);
      const n = 200;
      const producers = [0, 1].map((p) =>
        (async () => {
          for (let i = p; i < n; i += 2) await q.put(i);
        })(),
      );
      const got: number[] = [];
      const consumers = [0, 1, 2].map(() =>
        (async () => {
          for (;;) {
            const v = await q.get();
            if (v < 0) return;
            got.push(v);
          }
        })(),
      );
      await Promise.all(producers);
      for (let i = 0; i < 3; i++) await q.put(-1);
      await Promise.all(consumers);
      assert.deepEqual(
        [...got].sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
      );
    });

    it('shutdown(): puts refused, gets drain then QueueShutDown, for await ends', { skip: !caps.shutdown && 'no shutdown()' }, async () => {
      const q = make();
      await q.put(1);
      await q.put(2);
      const waiting = make();
      const w = outcome(waiting.get());
      await tick();
      waiting.shutdown!();
      const r = await w;
      assert.ok(!r.ok && r.e instanceof QueueShutDown);
      q.shutdown!();
      await assert.rejects(q.put(3), QueueShutDown);
      const seen: number[] = [];
      for await (const x of q as AsyncIterable<number>) seen.push(x);
      assert.deepEqual(seen, [1, 2]);
      await assert.rejects(q.get(), QueueShutDown);
    });

    it('taskDone() / join()', { skip: !caps.join && 'no join()' }, async () => {
      const q = make();
      await q.put(1);
      await q.put(2);
      let joined = false;
      const j = q.join!().then(() => {
        joined = true;
      });
      await q.get();
      q.taskDone!();
      await sleep(5);
      assert.equal(joined, false);
      await q.get();
      q.taskDone!();
      await j;
      assert.equal(joined, true);
    });

    it("bad options: unknown keys and a timeout of '5' are TypeErrors", { skip: !caps.strictOptions && 'not yet' }, async () => {
      const q = make();
      await assert.rejects(q.get({ timeout: '5' as never }), TypeError);
      await assert.rejects(q.get({ timout: 5 } as never), /did you mean "timeout"/);
      await assert.rejects(q.put(1, { signal: 5 as never }), TypeError);
      assert.equal(q.qsize(), 0);
    });
  });
}
