/**
 * ThreadPoolExecutor: the executor contract, then what only a pool of worker
 * threads does (crashes, broken pools, scaling, process lifetime, transfer, stress).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { threadId as mainThreadId } from 'node:worker_threads';
import { ThreadPoolExecutor, type Future } from 'weft/futures';
import {
  tasksFrom,
  transfer,
  CancelledError,
  TaskDefinitionError,
  WorkerCrashedError,
  BrokenExecutorError,
  ExecutorShutdownError,
} from 'weft';
import { Event as MpEvent } from 'weft/multiprocessing';
import tasks from '../fixtures/tasks.mjs';
import { makeBoard, set, get, snapshot, waitFor, type Board } from '../fixtures/board.mjs';
import { executorContract, poolOptions, POOL_BAD_OPTIONS } from '../contracts/executor.contract.ts';
import { guard, rejectsWith, until, delay, shutdownQuietly, describeErr, installExitGuard, releaseAll } from '../contracts/helpers.ts';
import { runChild } from '../contracts/child.ts';

type PoolOptions = ConstructorParameters<typeof ThreadPoolExecutor>[0];

executorContract('ThreadPoolExecutor', (o) => new ThreadPoolExecutor(poolOptions<PoolOptions>(o)), {
  closures: false,
  isolated: true,
  board: 'sab',
  maxQueue: true,
  construct: (raw) => new ThreadPoolExecutor(raw as PoolOptions),
  badOptions: [
    ...POOL_BAD_OPTIONS,
    ['minWorkers', -1],
    ['minWorkers', '1'],
    ['idleTimeout', -1],
    ['idleTimeout', '4'],
    ['idleTimeout', NaN],
  ],
});

const fixtures = new URL('../fixtures/', import.meta.url);

describe('ThreadPoolExecutor', { timeout: 60_000 }, () => {
  installExitGuard();
  const live = new Set<ThreadPoolExecutor>();
  const boards: Array<{ board: Board; size: number }> = [];
  const pool = (opts?: PoolOptions) => {
    const p = new ThreadPoolExecutor(opts);
    live.add(p);
    return p;
  };
  const newBoard = (size: number) => {
    const board = makeBoard(size, 'sab');
    boards.push({ board, size });
    return board;
  };
  after(async () => {
    for (const { board, size } of boards) releaseAll(board, size);
    for (const p of live) await shutdownQuietly(p);
  });

  it('one task at a time (the parent polls the reply log): values, errors, inline replies, cancels and a dying worker each settle once', async () => {
    const p = pool({ maxWorkers: 1 });
    // Warm up: the pool polls only for functions measured as quick.
    for (let i = 0; i < 50; i++) assert.equal(await p.submit(tasks.add, i, 1), i + 1);
    let round = 0;
    for (; round < 300; round++) {
      switch (round % 6) {
        case 0:
        case 1:
          assert.equal(await p.submit(tasks.add, round, 1), round + 1);
          break;
        case 2:
          await rejectsWith(p.submit(tasks.fail, `r${round}`), Error, `round ${round}: the task's error`);
          break;
        case 3: {
          // a SharedArrayBuffer cannot go in the log: its reply comes inline, in DONE
          const sab = (await p.submit((n: number) => new SharedArrayBuffer(n), round)) as SharedArrayBuffer;
          assert.equal(sab.byteLength, round);
          break;
        }
        case 4: {
          const f = p.submit(tasks.add, round, 1);
          await delay(0);
          f.cancel();
          const r = await f.then(
            (v) => v,
            (e) => e,
          );
          assert.ok(r === round + 1 || r instanceof CancelledError, `round ${round}: ${describeErr(r)}`);
          break;
        }
        case 5:
          if (round % 60 === 5) await rejectsWith(p.submit(tasks.exit, 3), WorkerCrashedError, `round ${round}: the worker exits`);
          else assert.equal(await p.submit(tasks.add, 1, round), round + 1);
          break;
      }
    }
    assert.equal(await p.submit(tasks.add, 2, 2), 4, 'the pool still works');
    assert.equal(p.stats().busy, 0);
    await p.shutdown();
  });

  it('the poll never answers a task ahead of an earlier reply sent inline, nor ahead of what the task told the parent', async () => {
    // Found in review: the reply log was read ahead of DONE messages and brokered
    // messages the worker had sent before (B settled before A in ~7 of 2000 rounds;
    // a task's Event.set() was not yet applied when its future settled in ~8 of 3000).
    const p = pool({ maxWorkers: 1 });
    const inline = () => new SharedArrayBuffer(8); // too big a thing for the log: its reply goes inline
    const logged = (i: number) => i;
    for (let i = 0; i < 200; i++) {
      await p.submit(inline);
      await p.submit(logged, i);
    }
    let inversions = 0;
    for (let i = 0; i < 2000; i++) {
      const order: string[] = [];
      const a = p.submit(inline);
      a.addDoneCallback(() => order.push('A'));
      await null;
      await null; // A is sent alone, and polled for
      const b = p.submit(logged, i);
      b.addDoneCallback(() => order.push('B'));
      await Promise.all([a, b]);
      if (order[0] !== 'A') inversions++;
    }
    assert.equal(inversions, 0, 'B, sent after A to the same worker, settled first');

    const ev = new MpEvent();
    const setIt = (e: { set(): void }) => {
      e.set();
      return 1;
    };
    let notYet = 0;
    for (let i = 0; i < 2000; i++) {
      ev.clear();
      await p.submit(setIt, ev);
      if (!ev.isSet()) notYet++;
    }
    assert.equal(notYet, 0, "the task's Event.set() was not applied when its future settled");
    await p.shutdown();
  });

  describe('workers', () => {
    it('starts no worker before the first task', async () => {
      const p = pool({ maxWorkers: 2 });
      assert.equal(p.stats().workers, 0);
      await guard(p.shutdown(), 'shutdown of an unused pool');
    });

    it('runs tasks in worker threads, at most maxWorkers at once', async () => {
      const p = pool({ maxWorkers: 3 });
      const ids = await guard(Promise.all(Array.from({ length: 6 }, () => p.submit(tasks.threadId))), 'threadIds');
      for (const id of ids) assert.notEqual(id, mainThreadId, 'tasks do not run on the main thread');
      const board = newBoard(2);
      await guard(Promise.all(Array.from({ length: 12 }, () => p.submit(tasks.concurrent, { board, ms: 30 }))), 'concurrent tasks');
      const most = get(board, 1);
      assert.ok(most >= 1 && most <= 3, `at most maxWorkers (3) tasks ran at once, saw ${most}`);
      assert.ok(p.stats().workers <= 3);
      await guard(p.shutdown(), 'shutdown');
    });

    it("a worker's event loop keeps running between tasks (timers started by a task fire while it is idle)", async () => {
      const p = pool({ maxWorkers: 1 });
      assert.equal(await guard(p.submit(tasks.startTicker), 'startTicker'), true);
      await delay(150); // the worker is idle now; its interval must keep firing
      const ticks = await guard(p.submit(tasks.stopTicker), 'stopTicker');
      assert.ok(ticks >= 3, `the 5 ms interval kept firing while the worker waited 150 ms for work (ticks: ${ticks})`);
      await guard(p.shutdown(), 'shutdown');
    });

    it('shrinks back to minWorkers after idleTimeout, and not below', async () => {
      const p = pool({ maxWorkers: 3, minWorkers: 1, idleTimeout: 100 });
      const board = newBoard(6);
      const fs = [0, 1, 2].map((g) => p.submit(tasks.gate, { board, gate: g, started: 3 + g }));
      for (const g of [0, 1, 2]) await waitFor(board, 3 + g, 1, { what: `task ${g} start` });
      assert.equal(p.stats().workers, 3, 'three tasks at once need three workers');
      for (const g of [0, 1, 2]) set(board, g, 1);
      await guard(Promise.all(fs), 'gated tasks');
      await until(
        () => p.stats().workers <= 1,
        () => `workers to shrink to minWorkers 1 (now ${p.stats().workers})`,
        15_000,
      );
      await delay(400);
      assert.equal(p.stats().workers, 1, 'an idle pool keeps minWorkers workers');
      assert.equal(await guard(p.submit(tasks.add, 1, 1), 'task after shrinking'), 2);
      await guard(p.shutdown(), 'shutdown');
    });

    it('an idle pool never keeps the process alive; a busy one does', async () => {
      const script = fileURLToPath(new URL('idle-exit.mjs', fixtures));
      for (const mode of ['idle', 'min'] as const) {
        const r = await runChild(process.execPath, [script, mode], { timeoutMs: 20_000 });
        assert.equal(
          r.killed,
          false,
          `${mode}: the child did not exit by itself within 20 s (an idle pool keeps the process alive). stderr: ${r.stderr}`,
        );
        assert.equal(r.code, 0, `${mode}: exit code ${r.code}; stderr: ${r.stderr}`);
        assert.match(r.stdout, /result 5/, `${mode}: stdout ${r.stdout}`);
      }
      const busy = await runChild(process.execPath, [script, 'busy'], { timeoutMs: 20_000 });
      assert.equal(busy.killed, false, `busy: the child did not exit by itself within 20 s. stderr: ${busy.stderr}`);
      assert.match(
        busy.stdout,
        /done late/,
        `a busy pool keeps the process alive until its task is done; stdout: ${busy.stdout} stderr: ${busy.stderr}`,
      );
    });
  });

  describe('crashes', () => {
    it('process.exit in a task: WorkerCrashedError with the exit code; every other task completes exactly once', async () => {
      const p = pool({ maxWorkers: 2 });
      const n = 40;
      const board = newBoard(n);
      const fs: Future<number>[] = [];
      let crash: Future<never> | undefined;
      for (let i = 0; i < n; i++) {
        if (i === 10) crash = p.submit(tasks.exit, 3);
        fs.push(p.submit(tasks.mark, { board, i }));
      }
      const err = await rejectsWith(crash!, WorkerCrashedError, 'exiting task');
      assert.equal(err.exitCode, 3);
      assert.equal(err.name, 'WorkerCrashedError');
      assert.deepEqual(
        await guard(Promise.all(fs), 'other tasks'),
        Array.from({ length: n }, (_, i) => i),
      );
      assert.deepEqual(snapshot(board, n), Array(n).fill(1), 'every other task ran exactly once');
      assert.equal(await guard(p.submit(tasks.add, 1, 2), 'after crash'), 3, 'the worker was replaced');
      assert.ok(p.stats().workers <= 2);
      await guard(p.shutdown(), 'shutdown');
    });

    it('a task module that throws at the top level: WorkerCrashedError carrying the error; the pool goes on', async () => {
      const p = pool({ maxWorkers: 1 });
      const broken = tasksFrom<{ never(): number }>(new URL('throws-at-load.mjs', fixtures));
      const err = await rejectsWith(p.submit(broken.never), WorkerCrashedError, 'task from a module that throws at load');
      const text = `${err.message} ${err.cause instanceof Error ? err.cause.message : String(err.cause)}`;
      assert.match(text, /boom at load/, `the crash says why (message or cause): ${describeErr(err)} / cause ${describeErr(err.cause)}`);
      assert.equal(await guard(p.submit(tasks.add, 2, 2), 'after module load failure'), 4);
      await guard(p.shutdown(), 'shutdown');
    });

    it('out of memory under resourceLimits: WorkerCrashedError; the pool goes on', async () => {
      const p = pool({ maxWorkers: 2, resourceLimits: { maxOldGenerationSizeMb: 16 } });
      const board = newBoard(10);
      const others = Array.from({ length: 10 }, (_, i) => p.submit(tasks.mark, { board, i }));
      const err = await rejectsWith(p.submit(tasks.allocate), WorkerCrashedError, 'allocating task', undefined);
      assert.ok(err.exitCode !== null || err.cause !== undefined, `exitCode or cause is set: ${describeErr(err)}`);
      assert.equal(await guard(p.submit(tasks.add, 3, 3), 'after OOM'), 6);
      await guard(Promise.all(others), 'other tasks');
      assert.deepEqual(snapshot(board, 10), Array(10).fill(1));
      await guard(p.shutdown(), 'shutdown');
    });

    it('a worker killed (process.exit) while 1000 tasks wait: all others complete exactly once', async () => {
      const p = pool({ maxWorkers: 2 });
      const n = 1000;
      const board = newBoard(n);
      const fs: Future<number>[] = [];
      let crash: Future<never> | undefined;
      for (let i = 0; i < n; i++) {
        if (i === 100) crash = p.submit(tasks.exit, 9);
        fs.push(p.submit(tasks.mark, { board, i }));
      }
      const err = await rejectsWith(crash!, WorkerCrashedError, 'exiting task');
      assert.equal(err.exitCode, 9);
      const settled = await guard(Promise.allSettled(fs), '1000 tasks', 20_000);
      const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [`#${i}: ${describeErr(s.reason)}`] : []));
      assert.deepEqual(failed, [], 'no other task fails');
      const counts = snapshot(board, n);
      const wrong = counts.flatMap((c, i) => (c === 1 ? [] : [`#${i} ran ${c} times`]));
      assert.deepEqual(wrong, [], 'every task ran exactly once');
      await guard(p.shutdown(), 'shutdown');
    });
  });

  describe('broken pools', () => {
    it('a failing initializer breaks the pool: pending and later futures reject with BrokenExecutorError', async () => {
      const p = pool({ maxWorkers: 2, initializer: tasks.initFail });
      const fs = [p.submit(tasks.add, 1, 1), p.submit(tasks.add, 2, 2), p.submit(tasks.add, 3, 3)];
      for (const [i, f] of fs.entries()) await rejectsWith(f, BrokenExecutorError, `pending future ${i}`);
      await rejectsWith(p.submit(tasks.add, 4, 4), BrokenExecutorError, 'later submit');
      await guard(p.shutdown(), 'shutdown of a broken pool');
    });

    it('an initializer from a missing module breaks the pool too', async () => {
      const missing = tasksFrom<{ init(): void }>(new URL('does-not-exist.mjs', fixtures));
      const p = pool({ maxWorkers: 1, initializer: missing.init });
      await rejectsWith(p.submit(tasks.add, 1, 1), BrokenExecutorError, 'pending future');
      await rejectsWith(p.submit(tasks.add, 1, 1), BrokenExecutorError, 'later submit');
      await guard(p.shutdown(), 'shutdown of a broken pool');
    });

    it('a working initializer runs with initargs in every worker', async () => {
      const p = pool({ maxWorkers: 2, initializer: tasks.init, initargs: ['hello'] });
      const board = newBoard(4);
      // two tasks at once, so both workers run one
      const a = p.submit(tasks.gate, { board, gate: 0, started: 2 });
      const b = p.submit(tasks.gate, { board, gate: 1, started: 3 });
      await waitFor(board, 2, 1, { what: 'first task' });
      await waitFor(board, 3, 1, { what: 'second task' });
      set(board, 0, 1);
      set(board, 1, 1);
      await guard(Promise.all([a, b]), 'gated');
      const seen = await guard(Promise.all(Array.from({ length: 8 }, () => p.submit(tasks.getInit))), 'getInit');
      assert.deepEqual(seen, Array(8).fill('hello'));
      await guard(p.shutdown(), 'shutdown');
    });
  });

  describe('cancellation', () => {
    it('a task that stops when cancelled keeps its worker; one that ignores the signal gets a new worker', async () => {
      const p = pool({ maxWorkers: 1, cancelGrace: 150 });
      const board = newBoard(5);
      const before = await guard(p.submit(tasks.threadId), 'threadId');
      const coop = p.submit(tasks.gate, { board, gate: 0, started: 1, aborted: 2 });
      await waitFor(board, 1, 1, { what: 'cooperative task start' });
      await until(() => coop.running(), 'running');
      coop.cancel();
      await rejectsWith(coop, CancelledError, 'cooperative cancel');
      await waitFor(board, 2, 1, { what: 'the task saw the abort' });
      assert.equal(
        await guard(p.submit(tasks.threadId), 'threadId after cooperative cancel'),
        before,
        'the worker that stopped in time is kept',
      );

      const stuck = p.submit(tasks.spinMarked, board, 3);
      await waitFor(board, 3, 1, { what: 'stuck task start' });
      await until(() => stuck.running(), 'running');
      assert.equal(stuck.cancel(), true);
      assert.equal(stuck.state, 'cancelled', 'cancelled at once');
      const after = await guard(p.submit(tasks.threadId), 'threadId after stuck cancel');
      assert.notEqual(after, before, 'the stuck worker was terminated and replaced');
      await guard(p.shutdown(), 'shutdown');
    });

    it('hostile: 10k tasks cancelled at random moments: every future settles, nothing runs twice, stats add up', async () => {
      const p = pool({ maxWorkers: 2 });
      const n = 10_000;
      const board = newBoard(n);
      let seed = 0x5eed;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const fs: Future<number>[] = [];
      const timers: NodeJS.Timeout[] = [];
      for (let i = 0; i < n; i++) {
        const f: Future<number> = i % 40 === 0 ? p.submit(tasks.markSleep, { board, i, ms: 2 }) : p.submit(tasks.mark, { board, i });
        fs.push(f);
        const r = rnd();
        if (r < 0.1) f.cancel();
        else if (r < 0.2) queueMicrotask(() => f.cancel());
        else if (r < 0.3) setImmediate(() => f.cancel());
        else if (r < 0.4) timers.push(setTimeout(() => f.cancel(), Math.floor(rnd() * 40)));
        if (i % 500 === 499) await new Promise((res) => setImmediate(res)); // bursts: cancels land at every stage
      }
      const settled = await guard(Promise.allSettled(fs), '10k futures', 25_000);
      await delay(60); // let the last timed cancels fire (on done futures: no-ops)
      const counts = snapshot(board, n);
      let fulfilled = 0;
      let cancelled = 0;
      const problems: string[] = [];
      settled.forEach((s, i) => {
        if (counts[i]! > 1) problems.push(`#${i} ran ${counts[i]} times`);
        if (s.status === 'fulfilled') {
          fulfilled++;
          if (s.value !== i) problems.push(`#${i} resolved to ${s.value}`);
          if (counts[i] !== 1) problems.push(`#${i} resolved but ran ${counts[i]} times`);
        } else if (s.reason instanceof CancelledError && fs[i]!.cancelled()) {
          cancelled++;
        } else {
          problems.push(`#${i} rejected with ${describeErr(s.reason)}`);
        }
      });
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
      assert.ok(cancelled >= 500, `a cancel was tried on about 40% (10% at once), got ${cancelled} cancelled`);
      await guard(p.shutdown(), 'shutdown');
      const st = p.stats();
      assert.equal(st.submitted, n);
      assert.equal(st.completed, fulfilled);
      assert.equal(st.cancelled, cancelled);
      assert.equal(st.failed, 0);
      assert.equal(st.completed + st.failed + st.cancelled, st.submitted);
      for (const t of timers) clearTimeout(t);
    });
  });

  describe('tasks', () => {
    it('transfer() moves an ArrayBuffer: the sender is left with an empty one', async () => {
      const p = pool({ maxWorkers: 1 });
      const buf = new ArrayBuffer(1024);
      const f = p.submit(tasks.byteLength, transfer(buf, [buf]));
      assert.equal(await guard(f, 'transfer'), 1024);
      assert.equal(buf.byteLength, 0, 'the buffer was moved, not copied');
      const u8 = new Uint8Array(64);
      assert.equal(await guard(p.run(tasks.byteLength, [u8], { transfer: [u8.buffer] }), 'transfer option'), 64);
      assert.equal(u8.byteLength, 0, 'moved with the transfer option');
      const copied = new ArrayBuffer(8);
      assert.equal(await guard(p.submit(tasks.byteLength, copied), 'copy'), 8);
      assert.equal(copied.byteLength, 8, 'without transfer the sender keeps its buffer');
      await guard(p.shutdown(), 'shutdown');
    });

    it('a SharedArrayBuffer argument is shared, not copied', async () => {
      const p = pool({ maxWorkers: 1 });
      const board = newBoard(1);
      await guard(p.submit(tasks.mark, { board, i: 0 }), 'mark');
      assert.equal(get(board, 0), 1);
      await guard(p.shutdown(), 'shutdown');
    });

    it('a tasksFrom ref runs only through an executor: calling it here throws TaskDefinitionError', () => {
      const plain = tasksFrom<typeof import('../fixtures/plain.mjs')>(new URL('plain.mjs', fixtures));
      assert.throws(() => plain.double(2), TaskDefinitionError);
    });

    it('a defineTasks ref is still callable locally with the same signature', async () => {
      assert.equal(tasks.add(2, 3), 5);
      assert.equal(tasks.fib(10), 55);
      assert.equal(typeof tasks.add.module, 'string');
    });

    it('a shut-down pool rejects work with ExecutorShutdownError and has no workers left', async () => {
      const p = pool({ maxWorkers: 2 });
      await guard(p.submit(tasks.add, 1, 1), 'warm up');
      await guard(p.shutdown(), 'shutdown');
      assert.equal(p.stats().workers, 0, 'shutdown stops every worker');
      await rejectsWith(p.submit(tasks.add, 1, 1), ExecutorShutdownError, 'submit after shutdown');
    });
  });
});
