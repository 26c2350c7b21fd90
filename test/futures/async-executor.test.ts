/**
 * AsyncExecutor: the executor contract, then what only an executor on this
 * thread's event loop does (maxConcurrency, closures, the async task context).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { threadId as mainThreadId } from 'node:worker_threads';
import { AsyncExecutor, type Future } from 'weft/futures';
import { currentSignal, CancelledError } from 'weft';
import tasks from '../fixtures/tasks.mjs';
import { makeBoard, get } from '../fixtures/board.mjs';
import { executorContract } from '../contracts/executor.contract.ts';
import { guard, rejectsWith, until, shutdownQuietly, installExitGuard, delay } from '../contracts/helpers.ts';

executorContract('AsyncExecutor', (o) => new AsyncExecutor(o?.workers === undefined ? {} : { maxConcurrency: o.workers }), {
  closures: true,
  isolated: false,
  board: 'sab',
  maxQueue: false,
  construct: (raw) => new AsyncExecutor(raw as ConstructorParameters<typeof AsyncExecutor>[0]),
  badOptions: [
    ['maxConcurrency', 0],
    ['maxConcurrency', -1],
    ['maxConcurrency', '4'],
    ['maxConcurrency', NaN],
    ['maxConcurrency', 1.5],
  ],
});

describe('AsyncExecutor', { timeout: 60_000 }, () => {
  installExitGuard();
  const live = new Set<AsyncExecutor>();
  const make = (o?: ConstructorParameters<typeof AsyncExecutor>[0]) => {
    const e = new AsyncExecutor(o);
    live.add(e);
    return e;
  };
  after(async () => {
    for (const e of live) await shutdownQuietly(e);
  });

  it('never runs more than maxConcurrency tasks at once', async () => {
    const ex = make({ maxConcurrency: 3 });
    let now = 0;
    let most = 0;
    const order: number[] = [];
    const fs = Array.from({ length: 10 }, (_, i) =>
      ex.submit(async () => {
        now++;
        most = Math.max(most, now);
        order.push(i);
        await delay(10);
        now--;
        return i;
      }),
    );
    assert.deepEqual(
      await guard(Promise.all(fs), 'ten tasks'),
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.equal(most, 3, 'ten tasks at once on maxConcurrency 3: exactly three ran together');
    assert.deepEqual(
      order,
      Array.from({ length: 10 }, (_, i) => i),
      'tasks start in submit order (FIFO)',
    );
    assert.ok(ex.stats().workers <= 3);
    const board = makeBoard(2, 'sab');
    await guard(Promise.all(Array.from({ length: 9 }, () => ex.submit(tasks.concurrent, { board, ms: 5 }))), 'task refs');
    assert.equal(get(board, 1), 3, 'the same for task refs');
    await guard(ex.shutdown(), 'shutdown');
  });

  it('runs functions on this thread, closures included', async () => {
    const ex = make({ maxConcurrency: 2 });
    const outer = { hits: 0 };
    const base = 40;
    assert.equal(
      await guard(
        ex.submit((x: number) => {
          outer.hits++;
          return x + base;
        }, 2),
        'closure',
      ),
      42,
    );
    assert.equal(outer.hits, 1, 'the closure ran here, on the same object');
    assert.equal(
      await guard(
        ex.submit(() => mainThreadId),
        'threadId',
      ),
      mainThreadId,
    );
    const notCloneable = { fn: () => 'functions can be passed: nothing is serialized' };
    assert.equal(
      await guard(
        ex.submit((o: typeof notCloneable) => o.fn(), notCloneable),
        'function argument',
      ),
      notCloneable.fn(),
    );
    await guard(ex.shutdown(), 'shutdown');
  });

  it('a function that throws synchronously gives a rejected future, not a throw', async () => {
    const ex = make();
    let f: Future<never> | undefined;
    assert.doesNotThrow(() => {
      f = ex.submit(() => {
        throw new RangeError('sync throw');
      });
    });
    await rejectsWith(f!, RangeError, 'sync throw', /sync throw/);
    await guard(ex.shutdown(), 'shutdown');
  });

  it('currentSignal() inside a task, across awaits, aborts when the future is cancelled', async () => {
    const ex = make({ maxConcurrency: 1 });
    let seen: AbortSignal | undefined;
    let sameAfterAwait = false;
    let abortedWith: unknown;
    const f = ex.submit(async () => {
      seen = currentSignal();
      await delay(1);
      sameAfterAwait = currentSignal() === seen;
      await new Promise<void>((resolve) =>
        seen!.addEventListener(
          'abort',
          () => {
            abortedWith = seen!.reason;
            resolve();
          },
          { once: true },
        ),
      );
      return 'finished anyway';
    });
    await until(() => sameAfterAwait, 'the task to get past its first await');
    assert.equal(seen!.aborted, false);
    assert.equal(f.cancel(), true);
    assert.equal(seen!.aborted, true, 'the signal aborts when the running future is cancelled');
    assert.equal(f.cancelled(), true);
    await rejectsWith(f, CancelledError, 'cancelled task');
    await until(() => abortedWith !== undefined, 'abort listener');
    const outside = currentSignal();
    assert.equal(outside.aborted, false, 'outside any task, currentSignal() is a signal that never aborts');
    assert.notEqual(outside, seen);
    await guard(ex.shutdown(), 'shutdown');
  });

  it('each task has its own signal, also when they interleave', async () => {
    const ex = make({ maxConcurrency: 4 });
    const signals: AbortSignal[] = [];
    const fs = Array.from({ length: 4 }, () =>
      ex.submit(async () => {
        const s = currentSignal();
        await delay(5);
        assert.equal(currentSignal(), s, 'the context survives an await with others running');
        signals.push(s);
        return s.aborted;
      }),
    );
    assert.deepEqual(await guard(Promise.all(fs), 'interleaved'), [false, false, false, false]);
    assert.equal(new Set(signals).size, 4, 'four tasks, four signals');
    await guard(ex.shutdown(), 'shutdown');
  });
});
