/**
 * The executor contract: written once, run over every Executor
 * (ThreadPoolExecutor, AsyncExecutor, and ProcessPoolExecutor when it lands).
 *
 *     executorContract('ThreadPoolExecutor', (o) => new ThreadPoolExecutor({ maxWorkers: o?.workers, ... }), caps);
 *
 * Behaviour that legitimately differs between executors is behind a capability
 * flag in {@link ExecutorCaps}; everything else must hold for all of them.
 * Tasks come from test/fixtures/tasks.mjs; tests observe tasks through a "board"
 * (test/fixtures/board.mjs): counters in a SharedArrayBuffer, or in files for
 * executors whose tasks do not share memory with the test.
 *
 * No timing assertions: ordering, counts, states and errors only. Every wait is
 * bounded (helpers.ts), every executor is shut down after each test.
 */
import { describe, it, afterEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { Future, wait, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, type Executor } from 'weft/futures';
import {
  tasksFrom,
  transfer,
  CancelledError,
  TimeoutError,
  InvalidStateError,
  ExecutorShutdownError,
  QueueFullError,
  TaskDefinitionError,
} from 'weft';
import tasks from '../fixtures/tasks.mjs';
import { makeBoard, disposeBoard, get, set, snapshot, waitFor, type Board } from '../fixtures/board.mjs';
import { guard, outcomeOf, rejectsWith, until, releaseAll, shutdownQuietly, describeErr, installExitGuard } from './helpers.ts';

/** Options every executor understands, mapped by the factory onto its own constructor. */
export interface ContractOptions {
  /** maxWorkers (pools) / maxConcurrency (AsyncExecutor). */
  workers?: number;
  /** Only passed when caps.maxQueue. */
  maxQueue?: number;
  /** Only meaningful when caps.isolated. */
  cancelGrace?: number;
}

/** Maps the contract's options to a worker pool's constructor options (thread and process pools alike). */
export function poolOptions<O>(o?: ContractOptions): O {
  const opts: Record<string, unknown> = {};
  if (o?.workers !== undefined) opts.maxWorkers = o.workers;
  if (o?.maxQueue !== undefined) opts.maxQueue = o.maxQueue;
  if (o?.cancelGrace !== undefined) opts.cancelGrace = o.cancelGrace;
  return opts as O;
}

/** Garbage options every worker pool refuses (each pool adds its own). */
export const POOL_BAD_OPTIONS: [string, unknown][] = [
  ['maxWorkers', 0],
  ['maxWorkers', -1],
  ['maxWorkers', '4'],
  ['maxWorkers', NaN],
  ['maxWorkers', 1.5],
  ['maxQueue', -1],
  ['maxQueue', '4'],
  ['maxQueue', NaN],
  ['cancelGrace', -1],
  ['cancelGrace', '4'],
  ['cancelGrace', NaN],
];

export interface ExecutorCaps {
  /**
   * Inline functions run (default true). False for ClusterExecutor: no code goes over
   * the wire, so an inline function is refused with a TypeError that says so.
   */
  inline?: boolean;
  /** Inline functions may use variables of their enclosing scope (AsyncExecutor: it runs them here). */
  closures: boolean;
  /**
   * Tasks run in another thread or process: arguments are serialized (a function or a
   * symbol cannot be sent), a task stuck in a synchronous loop can be terminated after
   * cancelGrace, and a crash (process.exit, OOM) is contained. False for AsyncExecutor,
   * which runs tasks on this thread.
   */
  isolated: boolean;
  /** How tests and tasks share counters: 'sab' (same memory: threads, this thread) or 'dir' (files: child processes). */
  board: 'sab' | 'dir';
  /** The executor takes a maxQueue option. */
  maxQueue: boolean;
  /** The constructor called with raw options, to check that garbage is rejected. */
  construct: (raw: Record<string, unknown>) => Executor;
  /** [option, garbage value] pairs the constructor must reject with a TypeError/RangeError naming both. */
  badOptions: Array<[option: string, value: unknown]>;
}

const fixtureUrl = new URL('../fixtures/plain.mjs', import.meta.url);

export function executorContract(name: string, make: (opts?: ContractOptions) => Executor, caps: ExecutorCaps): void {
  installExitGuard();

  const live = new Set<Executor>();
  const boards: Array<{ board: Board; size: number }> = [];
  /** Every executor a test makes goes through here, so cleanup shuts it down. */
  const exec = (o?: ContractOptions): Executor => {
    const ex = make(o);
    live.add(ex);
    return ex;
  };
  const newBoard = (size: number): Board => {
    const board = makeBoard(size, caps.board);
    boards.push({ board, size });
    return board;
  };
  const cleanup = async () => {
    for (const { board, size } of boards) releaseAll(board, size);
    for (const ex of live) await shutdownQuietly(ex);
    live.clear();
    for (const { board } of boards.splice(0)) disposeBoard(board);
  };
  /** One top-level suite per section (each with its own time guard), sharing the cleanup. */
  const section = (title: string, fn: () => void) =>
    describe(`${name} contract: ${title}`, { timeout: 60_000 }, () => {
      afterEach(cleanup);
      after(cleanup);
      fn();
    });

  /**
   * Submits a gate task (counter `started` on start, waits for counter `gate`) and waits until it runs.
   * Returns the future inside an array: an async function that returned the Future itself would
   * adopt it (a Future is thenable) and wait for the task to finish.
   */
  async function startGated(ex: Executor, board: Board, gate: number, started: number, value: unknown = gate): Promise<[Future<any>]> {
    const f = ex.submit(tasks.gate, { board, gate, started, value });
    await waitFor(board, started, 1, { what: `gate task ${gate} to start` });
    await until(
      () => f.running(),
      () => `future of gate task ${gate} to be 'running' once the task started (state: ${f.state})`,
    );
    return [f];
  }

  // ------------------------------------------------------------------------
  section('submit, run and map: results and arguments', () => {
    it('submit returns before the task runs: the task never runs inside the submit call', async () => {
      const ex = exec({ workers: 2 });
      const board = newBoard(1);
      const f = ex.submit(tasks.mark, { board, i: 0 });
      const g = ex.submit(tasks.echo, 'sync?');
      assert.equal(get(board, 0), 0, 'the task has not run yet when submit returns');
      assert.equal(f.done(), false, 'a future is never already done when submit returns');
      assert.equal(g.done(), false, 'a future is never already done when submit returns');
      assert.equal(await guard(g, 'echo'), 'sync?');
      assert.equal(await guard(f, 'mark'), 0);
    });

    it('submit returns a Future that resolves to the task result', async () => {
      const ex = exec({ workers: 2 });
      const f = ex.submit(tasks.add, 2, 3);
      assert.ok(f instanceof Future, 'submit returns a weft Future');
      assert.equal(await guard(f, 'add(2, 3)'), 5);
      assert.equal(f.result(), 5);
    });

    it('run(fn, args, opts) passes the args array and resolves to the result', async () => {
      const ex = exec({ workers: 2 });
      assert.equal(await guard(ex.run(tasks.add, [4, 5]), 'run add'), 9);
      assert.equal(await guard(ex.run(tasks.add, [4, 5], {}), 'run add {}'), 9);
      assert.deepEqual(await guard(ex.run(tasks.args, []), 'run args []'), []);
    });

    it('passes arguments of every structured-clone kind, and their count', async () => {
      const ex = exec({ workers: 2 });
      const value = {
        n: 1.5,
        s: 'text',
        b: true,
        nul: null,
        undef: undefined,
        big: 10n,
        nested: [1, [2, { three: 3 }]],
        date: new Date(0),
        re: /ab+c/gi,
        map: new Map<unknown, unknown>([
          ['k', 1],
          [2, 'two'],
        ]),
        set: new Set([1, 'x']),
        u8: new Uint8Array([1, 2, 3]),
        f64: new Float64Array([0.5]),
        err: new Error('as data'),
      };
      const back = await guard(ex.submit(tasks.echo, value), 'echo');
      assert.deepEqual(back, value);
      assert.deepEqual(await guard(ex.submit(tasks.args, 1, undefined, 'three', null), 'args'), [1, undefined, 'three', null]);
      assert.equal(await guard(ex.submit(tasks.typeOf, new Map()), 'typeOf'), '[object Map]');
    });

    it('runs many tasks and gives each future its own result', async () => {
      const ex = exec({ workers: 2 });
      const fs = Array.from({ length: 300 }, (_, i) => ex.submit(tasks.add, i, 1000));
      const got = await guard(Promise.all(fs), '300 add tasks');
      assert.deepEqual(
        got,
        Array.from({ length: 300 }, (_, i) => i + 1000),
      );
    });

    it('await pool.map(...) gives an array in input order; an empty input gives []', async () => {
      const ex = exec({ workers: 2 });
      assert.deepEqual(await guard(ex.map(tasks.square, [1, 2, 3, 4]), 'map'), [1, 4, 9, 16]);
      assert.deepEqual(await guard(ex.map(tasks.square, []), 'map []'), []);
    });

    it('for await over map yields results in input order (ordered by default)', async () => {
      const ex = exec({ workers: 4 });
      const items: Array<[number, string]> = [
        [80, 'a'],
        [1, 'b'],
        [40, 'c'],
        [0, 'd'],
        [20, 'e'],
      ];
      const out: string[] = [];
      await guard(
        (async () => {
          for await (const v of ex.map(tasks.after, items, { chunksize: 1 })) out.push(v);
        })(),
        'for await map',
      );
      assert.deepEqual(out, ['a', 'b', 'c', 'd', 'e']);
    });

    it('map { ordered: false } yields in completion order', async () => {
      const ex = exec({ workers: 2 });
      const board = newBoard(4);
      set(board, 1, 1); // item 1's gate is open, item 0's is closed
      const items = [
        { board, gate: 0, started: 2, value: 'slow' },
        { board, gate: 1, started: 3, value: 'fast' },
      ];
      const it = ex.map(tasks.gate, items, { ordered: false, chunksize: 1 })[Symbol.asyncIterator]();
      const first = await guard(it.next(), 'first unordered result');
      assert.deepEqual(first, { done: false, value: 'fast' });
      set(board, 0, 1);
      const second = await guard(it.next(), 'second unordered result');
      assert.deepEqual(second, { done: false, value: 'slow' });
      assert.equal((await guard(it.next(), 'end of unordered map')).done, true);
    });

    it('map with a numeric chunksize and with chunksize "auto" keeps every result in order', async () => {
      const ex = exec({ workers: 2 });
      const items = Array.from({ length: 23 }, (_, i) => i);
      assert.deepEqual(
        await guard(ex.map(tasks.square, items, { chunksize: 5 }), 'chunksize 5'),
        items.map((x) => x * x),
      );
      const many = Array.from({ length: 500 }, (_, i) => i);
      assert.deepEqual(
        await guard(ex.map(tasks.square, many, { chunksize: 'auto' }), 'chunksize auto'),
        many.map((x) => x * x),
      );
      const out: number[] = [];
      for await (const v of ex.map(tasks.square, many, { chunksize: 7, ordered: false })) out.push(v);
      assert.deepEqual(
        out.sort((a, b) => a - b),
        many.map((x) => x * x),
      );
    });

    it('map rejects a garbage chunksize or buffersize with TypeError/RangeError', async () => {
      const ex = exec({ workers: 1 });
      for (const [opt, bad] of [
        ['chunksize', 0],
        ['chunksize', -2],
        ['chunksize', 'big'],
        ['buffersize', 0],
        ['buffersize', NaN],
      ] as const) {
        const o = await outcomeOf(() => ex.map(tasks.square, [1, 2], { [opt]: bad } as any), `map ${opt}=${String(bad)}`);
        assert.equal(o.ok, false, `map with ${opt}: ${String(bad)} must fail`);
        if (!o.ok) {
          assert.ok(o.error instanceof TypeError || o.error instanceof RangeError, `${opt}=${String(bad)}: got ${describeErr(o.error)}`);
          assert.ok(
            (o.error as Error).message.includes(String(bad)),
            `${opt}=${String(bad)}: message should mention the value: ${(o.error as Error).message}`,
          );
        }
      }
    });

    it('map reads a sync generator lazily when buffersize is small', async () => {
      const ex = exec({ workers: 2 });
      let pulled = 0;
      function* items() {
        for (let i = 0; i < 60; i++) {
          pulled++;
          yield i;
        }
      }
      const buffersize = 3;
      const out: number[] = [];
      await guard(
        (async () => {
          for await (const v of ex.map(tasks.square, items(), { buffersize, chunksize: 1 })) {
            // when result k is handed out, at most k+1 results were consumed and buffersize more are in flight
            assert.ok(
              pulled <= out.length + 1 + buffersize + 1,
              `pulled ${pulled} items by result #${out.length} with buffersize ${buffersize}`,
            );
            out.push(v);
          }
        })(),
        'lazy map',
      );
      assert.equal(pulled, 60);
      assert.deepEqual(
        out,
        Array.from({ length: 60 }, (_, i) => i * i),
      );
    });

    it('map reads an async generator lazily when buffersize is small', async () => {
      const ex = exec({ workers: 2 });
      let pulled = 0;
      async function* items() {
        for (let i = 0; i < 30; i++) {
          pulled++;
          await null;
          yield i;
        }
      }
      const buffersize = 2;
      const out: number[] = [];
      await guard(
        (async () => {
          for await (const v of ex.map(tasks.square, items(), { buffersize, chunksize: 1 })) {
            assert.ok(
              pulled <= out.length + 1 + buffersize + 1,
              `pulled ${pulled} items by result #${out.length} with buffersize ${buffersize}`,
            );
            out.push(v);
          }
        })(),
        'lazy async map',
      );
      assert.deepEqual(
        out,
        Array.from({ length: 30 }, (_, i) => i * i),
      );
    });

    it('map takes an async iterable without buffersize', async () => {
      const ex = exec({ workers: 2 });
      async function* items() {
        for (let i = 0; i < 20; i++) {
          await null;
          yield i;
        }
      }
      assert.deepEqual(
        await guard(ex.map(tasks.square, items()), 'map async gen'),
        Array.from({ length: 20 }, (_, i) => i * i),
      );
    });

    it('breaking out of for await early cancels the rest of the map', async () => {
      const ex = exec({ workers: 2 });
      const n = 40;
      const board = newBoard(n);
      const items = Array.from({ length: n }, (_, i) => ({ board, i, ms: 50 }));
      let seen = 0;
      await guard(
        (async () => {
          for await (const _ of ex.map(tasks.markSleep, items, { chunksize: 1 })) {
            seen++;
            break;
          }
        })(),
        'map broken out of',
      );
      assert.equal(seen, 1);
      await guard(ex.shutdown(), 'shutdown after break');
      const started = snapshot(board, n).reduce((a, b) => a + b, 0);
      assert.ok(started < n, `only some of the ${n} tasks may have started after the loop broke, but ${started} did`);
      assert.ok(
        snapshot(board, n).every((c) => c <= 1),
        'no task ran twice',
      );
      const st = ex.stats();
      assert.ok(st.cancelled >= 1, `stats().cancelled counts the tasks the break cancelled (${st.cancelled})`);
    });

    it('breaking out of an unordered map early cancels the rest too', async () => {
      const ex = exec({ workers: 2 });
      const n = 40;
      const board = newBoard(n);
      const items = Array.from({ length: n }, (_, i) => ({ board, i, ms: 50 }));
      let seen = 0;
      await guard(
        (async () => {
          for await (const _ of ex.map(tasks.markSleep, items, { chunksize: 1, ordered: false })) {
            seen++;
            break;
          }
        })(),
        'unordered map broken out of',
      );
      assert.equal(seen, 1, 'one result before the break');
      await guard(ex.shutdown(), 'shutdown after break');
      const started = snapshot(board, n).reduce((a, b) => a + b, 0);
      assert.ok(started < n, `only some of the ${n} tasks may have started after the loop broke, but ${started} did`);
      assert.ok(ex.stats().cancelled >= 1, `stats().cancelled counts the tasks the break cancelled (${ex.stats().cancelled})`);
    });

    it('aborting the map signal: the iteration throws CancelledError and the rest is cancelled', async () => {
      const ex = exec({ workers: 2 });
      const n = 30;
      const board = newBoard(n);
      const ac = new AbortController();
      const items = Array.from({ length: n }, (_, i) => ({ board, i, ms: 50 }));
      let seen = 0;
      await rejectsWith(
        (async () => {
          for await (const _ of ex.map(tasks.markSleep, items, { chunksize: 1, signal: ac.signal })) {
            seen++;
            if (seen === 1) ac.abort();
          }
        })(),
        CancelledError,
        'aborted map',
      );
      assert.equal(seen, 1);
      await guard(ex.shutdown(), 'shutdown after abort');
      const started = snapshot(board, n).reduce((a, b) => a + b, 0);
      assert.ok(started < n, `only some of the ${n} tasks may have started after the abort, but ${started} did`);
      await rejectsWith(
        exec({ workers: 1 }).map(tasks.square, [1], { signal: AbortSignal.abort() }),
        CancelledError,
        'map with an aborted signal',
      );
    });

    it('an input that throws: for await yields the results of the items before it, then throws its error', async () => {
      const ex = exec({ workers: 2 });
      const boom = new RangeError('the input broke');
      function* sync() {
        for (let i = 0; i < 5; i++) yield i;
        throw boom;
      }
      async function* asyncInput() {
        for (let i = 0; i < 5; i++) yield i;
        throw boom;
      }
      for (const [what, input] of [
        ['sync', sync],
        ['async', asyncInput],
      ] as const) {
        for (const chunksize of [1, 'auto'] as const) {
          const out: number[] = [];
          const err = await guard(
            (async () => {
              try {
                for await (const r of ex.map(tasks.square, input(), { chunksize })) out.push(r as number);
              } catch (e) {
                return e;
              }
              return undefined;
            })(),
            `${what} input`,
          );
          assert.equal(err, boom, `${what}, chunksize ${chunksize}: the input's own error`);
          assert.deepEqual(out, [0, 1, 4, 9, 16], `${what}, chunksize ${chunksize}: the results before the failure`);
        }
      }
      await assert.rejects(guard(ex.map(tasks.square, sync()), 'await map'), (e: unknown) => e === boom);
    });

    it('a failing item: for await yields the earlier results then throws the error; await map rejects with it', async () => {
      const ex = exec({ workers: 2 });
      const out: number[] = [];
      const err = await rejectsWith(
        (async () => {
          for await (const v of ex.map(tasks.checkPositive, [1, 2, -3, 4], { chunksize: 1 })) out.push(v);
        })(),
        RangeError,
        'map with failing item',
        /negative: -3/,
      );
      assert.ok(err);
      assert.deepEqual(out, [1, 2]);
      await rejectsWith(ex.map(tasks.checkPositive, [5, -6, 7]), RangeError, 'await map with failing item', /negative: -6/);
    });

    it('submit of something that is not a task fails with a TypeError (as a rejected future)', async () => {
      const ex = exec({ workers: 1 });
      for (const bad of [42, 'add', null, {}]) {
        const o = await outcomeOf(() => ex.submit(bad as any), `submit(${String(bad)})`);
        assert.equal(o.ok, false);
        if (!o.ok) assert.ok(o.error instanceof TypeError, `submit(${String(bad)}): got ${describeErr(o.error)}`);
      }
    });
  });

  // ------------------------------------------------------------------------
  section('Future', () => {
    it('moves pending -> running -> finished; result()/exception() throw InvalidStateError until done', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(2);
      const [running] = await startGated(ex, board, 0, 1, 'gated');
      const pending = ex.submit(tasks.echo, 'second');
      assert.equal(running.state, 'running');
      assert.equal(running.running(), true);
      assert.equal(running.done(), false);
      assert.equal(running.cancelled(), false);
      assert.equal(pending.state, 'pending');
      assert.equal(pending.running(), false);
      assert.equal(pending.done(), false);
      assert.throws(() => running.result(), InvalidStateError);
      assert.throws(() => running.exception(), InvalidStateError);
      assert.throws(() => pending.result(), InvalidStateError);
      assert.throws(() => pending.exception(), InvalidStateError);
      set(board, 0, 1);
      assert.equal(await guard(running, 'gated task'), 'gated');
      assert.equal(await guard(pending, 'second task'), 'second');
      for (const f of [running, pending]) {
        assert.equal(f.state, 'finished');
        assert.equal(f.done(), true);
        assert.equal(f.running(), false);
        assert.equal(f.cancelled(), false);
        assert.equal(f.exception(), undefined);
      }
      assert.equal(running.result(), 'gated');
    });

    it('a failed future: result() throws the error, exception() returns it, await rejects with it', async () => {
      const ex = exec({ workers: 1 });
      const f = ex.submit(tasks.fail, 'nope');
      const err = await rejectsWith(f, RangeError, 'fail task', /nope/);
      assert.equal(f.state, 'finished');
      assert.equal(f.done(), true);
      assert.equal(f.cancelled(), false);
      assert.equal(f.exception(), err);
      assert.throws(
        () => f.result(),
        (e: unknown) => e === err,
      );
    });

    it('cancelling a pending future: true, state cancelled, CancelledError everywhere, the task never runs', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(3);
      const [blocker] = await startGated(ex, board, 0, 1);
      const f = ex.submit(tasks.mark, { board, i: 2 });
      assert.equal(f.state, 'pending');
      assert.equal(f.cancel(), true);
      assert.equal(f.state, 'cancelled');
      assert.equal(f.cancelled(), true);
      assert.equal(f.done(), true);
      assert.equal(f.running(), false);
      assert.throws(() => f.result(), CancelledError);
      assert.throws(() => f.exception(), CancelledError);
      await rejectsWith(f, CancelledError, 'await cancelled future');
      assert.equal(f.cancel(), false, 'cancel() of a cancelled future is false');
      set(board, 0, 1);
      await guard(blocker, 'blocker');
      await guard(ex.shutdown(), 'shutdown');
      assert.equal(get(board, 2), 0, 'a task cancelled while pending never runs');
    });

    it('cancel() of a finished future returns false and changes nothing', async () => {
      const ex = exec({ workers: 1 });
      const f = ex.submit(tasks.add, 1, 1);
      await guard(f, 'add');
      assert.equal(f.cancel(), false);
      assert.equal(f.state, 'finished');
      assert.equal(f.result(), 2);
    });

    it('done callbacks: called once with the future; at once on a done future; removeDoneCallback counts', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(4);
      const [f] = await startGated(ex, board, 0, 1, 'v');
      const calls: string[] = [];
      const a = (g: Future<unknown>) => {
        assert.equal(g, f);
        calls.push(`a:${g.state}`);
      };
      const b = () => calls.push('b');
      const c = () => calls.push('c');
      f.addDoneCallback(a);
      f.addDoneCallback(b);
      f.addDoneCallback(b);
      f.addDoneCallback(c);
      assert.equal(f.removeDoneCallback(b), 2, 'removes every registration of b');
      assert.equal(f.removeDoneCallback(b), 0);
      assert.equal(
        f.removeDoneCallback(() => {}),
        0,
      );
      assert.deepEqual(calls, [], 'no callback before the future is done');
      set(board, 0, 1);
      await guard(f, 'gated');
      assert.deepEqual(calls, ['a:finished', 'c'], 'callbacks run once, in order, when the future finishes');
      let late: Future<unknown> | undefined;
      f.addDoneCallback((g: Future<unknown>) => {
        late = g;
      });
      assert.equal(late, f, 'a callback added to a done future runs at once');
      assert.deepEqual(calls, ['a:finished', 'c'], 'earlier callbacks are not run again');

      const [blocker] = await startGated(ex, board, 2, 3);
      let onCancel: string | undefined;
      const pending = ex.submit(tasks.echo, 2);
      assert.equal(pending.state, 'pending');
      pending.addDoneCallback((g) => {
        onCancel = g.state;
      });
      pending.cancel();
      assert.equal(onCancel, 'cancelled', 'callbacks run when a future is cancelled');
      set(board, 2, 1);
      await guard(blocker, 'blocker');
    });

    it('a done callback that throws is reported as a warning and does not stop the others', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(2);
      const [f] = await startGated(ex, board, 0, 1);
      const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
      let after = 0;
      f.addDoneCallback(() => {
        throw new Error('callback failure');
      });
      f.addDoneCallback(() => {
        after++;
      });
      set(board, 0, 1);
      await guard(f, 'gated');
      assert.equal(after, 1, 'the next callback still ran');
      const w = await guard(warned, 'warning');
      assert.match(String(w.message), /callback failure/);
    });

    it('a future is awaitable and has then/catch/finally', async () => {
      const ex = exec({ workers: 1 });
      assert.equal(
        await guard(
          ex.submit(tasks.add, 20, 1).then((v) => v * 2),
          'then',
        ),
        42,
      );
      const e = await guard(
        ex.submit(tasks.failType, 'x').catch((err: unknown) => err),
        'catch',
      );
      assert.ok(e instanceof TypeError);
      let fin = 0;
      assert.equal(
        await guard(
          ex.submit(tasks.echo, 'f').finally(() => {
            fin++;
          }),
          'finally',
        ),
        'f',
      );
      assert.equal(fin, 1);
    });
  });

  // ------------------------------------------------------------------------
  section('wait and asCompleted', () => {
    it('wait: ALL_COMPLETED by default; done holds the same Future objects', async () => {
      const ex = exec({ workers: 2 });
      const fs = [ex.submit(tasks.add, 1, 1), ex.submit(tasks.add, 2, 2), ex.submit(tasks.fail, 'x')];
      const { done, notDone } = await guard(wait(fs), 'wait all');
      assert.equal(done.size, 3);
      assert.equal(notDone.size, 0);
      for (const f of fs) assert.ok(done.has(f), 'done holds the futures passed in');
      const again = await guard(wait(fs, { returnWhen: ALL_COMPLETED }), 'wait ALL_COMPLETED');
      assert.equal(again.done.size, 3);
    });

    it('wait FIRST_COMPLETED returns when one is done and cancels nothing', async () => {
      const ex = exec({ workers: 2 });
      const board = newBoard(2);
      const [slow] = await startGated(ex, board, 0, 1);
      const quick = ex.submit(tasks.echo, 'q');
      const { done, notDone } = await guard(wait([slow, quick], { returnWhen: FIRST_COMPLETED }), 'wait first');
      assert.ok(done.has(quick));
      assert.ok(notDone.has(slow));
      assert.equal(slow.done(), false, 'wait does not cancel the rest');
      set(board, 0, 1);
      await guard(slow, 'slow');
    });

    it('wait FIRST_EXCEPTION returns at the first failure, or when all are done', async () => {
      const ex = exec({ workers: 3 });
      const board = newBoard(2);
      const [slow] = await startGated(ex, board, 0, 1);
      const bad = ex.submit(tasks.failAsync, 'first exception');
      const { done, notDone } = await guard(wait([slow, bad], { returnWhen: FIRST_EXCEPTION }), 'wait first exception');
      assert.ok(done.has(bad));
      assert.ok(notDone.has(slow));
      assert.ok(bad.exception() instanceof RangeError);
      set(board, 0, 1);
      await guard(slow, 'slow');
      const ok = [ex.submit(tasks.add, 1, 2), ex.submit(tasks.add, 3, 4)];
      const all = await guard(wait(ok, { returnWhen: FIRST_EXCEPTION }), 'wait first exception, none fails');
      assert.equal(all.done.size, 2);
      assert.equal(all.notDone.size, 0);
    });

    it('wait with a timeout resolves with what is not done (no error, nothing cancelled)', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(2);
      const [slow] = await startGated(ex, board, 0, 1);
      const { done, notDone } = await guard(wait([slow], { timeout: 50 }), 'wait timeout');
      assert.equal(done.size, 0);
      assert.ok(notDone.has(slow));
      assert.equal(slow.done(), false);
      set(board, 0, 1);
      await guard(slow, 'slow');
    });

    it('wait takes plain promises mixed with futures', async () => {
      const ex = exec({ workers: 1 });
      const f = ex.submit(tasks.add, 1, 2);
      const boom = new Error('plain rejection');
      const rejected = Promise.reject(boom);
      rejected.catch(() => {});
      const { done, notDone } = await guard(wait<number>([f, Promise.resolve(7), rejected]), 'wait mixed');
      assert.equal(done.size, 3);
      assert.equal(notDone.size, 0);
      assert.ok(done.has(f));
      const results = [...done]
        .filter((d) => d.exception() === undefined)
        .map((d) => d.result())
        .sort();
      assert.deepEqual(results, [3, 7]);
      assert.ok(
        [...done].some((d) => d.exception() === boom),
        'the rejected promise is a failed future in done',
      );
      const rejected2 = Promise.reject(boom);
      rejected2.catch(() => {});
      let release!: (v: string) => void;
      const later = new Promise<string>((r) => {
        release = r;
      });
      const first = await guard(wait<unknown>([rejected2, later], { returnWhen: FIRST_EXCEPTION }), 'wait FIRST_EXCEPTION plain');
      assert.equal(first.done.size, 1);
      assert.equal(first.notDone.size, 1);
      release('now');
    });

    it('wait of nothing resolves at once with empty sets', async () => {
      const { done, notDone } = await guard(wait([]), 'wait []');
      assert.equal(done.size, 0);
      assert.equal(notDone.size, 0);
    });

    it('asCompleted yields futures in completion order', async () => {
      const ex = exec({ workers: 3 });
      const board = newBoard(6);
      const fs = [0, 1, 2].map((g) => ex.submit(tasks.gate, { board, gate: g, started: 3 + g, value: g }));
      for (const g of [0, 1, 2]) await waitFor(board, 3 + g, 1, { what: `gate task ${g} to start` });
      const it = asCompleted(fs)[Symbol.asyncIterator]();
      const order: unknown[] = [];
      for (const g of [2, 0, 1]) {
        set(board, g, 1);
        const r = await guard(it.next(), `asCompleted after opening gate ${g}`);
        assert.equal(r.done, false);
        assert.equal(r.value, fs[g], `asCompleted yields the future that completed (gate ${g})`);
        order.push(await r.value);
      }
      assert.deepEqual(order, [2, 0, 1]);
      assert.equal((await guard(it.next(), 'asCompleted end')).done, true);
    });

    it('asCompleted yields already-done futures first and takes plain promises', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(2);
      const done1 = ex.submit(tasks.echo, 'done');
      await guard(done1, 'done1');
      const [slow] = await startGated(ex, board, 0, 1, 'slow');
      const got: unknown[] = [];
      const iter = (async () => {
        for await (const f of asCompleted<unknown>([slow, done1, Promise.resolve('plain')])) {
          assert.ok(f instanceof Future, 'asCompleted yields Futures, also for plain promises');
          got.push(await f);
          if (got.length === 2) set(board, 0, 1);
        }
      })();
      await guard(iter, 'asCompleted');
      assert.deepEqual(got.slice(0, 2).sort(), ['done', 'plain']);
      assert.equal(got[2], 'slow');
    });

    it('asCompleted throws TimeoutError when the timeout passes, and cancels nothing', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(2);
      const [slow] = await startGated(ex, board, 0, 1);
      await rejectsWith(
        (async () => {
          for await (const _ of asCompleted([slow], { timeout: 50 })) {
            /* none */
          }
        })(),
        TimeoutError,
        'asCompleted timeout',
      );
      assert.equal(slow.done(), false);
      set(board, 0, 1);
      await guard(slow, 'slow');
    });

    it('wait and asCompleted with an aborted signal reject with CancelledError and cancel nothing', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(2);
      const [slow] = await startGated(ex, board, 0, 1);
      const ac = new AbortController();
      const waiting = wait([slow], { signal: ac.signal });
      const iterating = (async () => {
        for await (const _ of asCompleted([slow], { signal: ac.signal })) {
          /* none */
        }
      })();
      ac.abort();
      await rejectsWith(waiting, CancelledError, 'wait aborted');
      await rejectsWith(iterating, CancelledError, 'asCompleted aborted');
      assert.equal(slow.done(), false, 'the futures waited for are not cancelled');
      set(board, 0, 1);
      await guard(slow, 'slow');
    });

    it('the return-when constants have their Python names', () => {
      assert.equal(FIRST_COMPLETED, 'FIRST_COMPLETED');
      assert.equal(FIRST_EXCEPTION, 'FIRST_EXCEPTION');
      assert.equal(ALL_COMPLETED, 'ALL_COMPLETED');
    });
  });

  // ------------------------------------------------------------------------
  section('cancellation and timeouts', () => {
    it('cancelling pending tasks leaves the others alone', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(8);
      const [blocker] = await startGated(ex, board, 0, 1);
      const fs = [2, 3, 4, 5, 6].map((i) => ex.submit(tasks.mark, { board, i }));
      assert.equal(fs[1]!.cancel(), true);
      assert.equal(fs[3]!.cancel(), true);
      set(board, 0, 1);
      await guard(blocker, 'blocker');
      const settled = await guard(Promise.allSettled(fs), 'the rest');
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'],
      );
      await guard(ex.shutdown(), 'shutdown');
      assert.deepEqual(snapshot(board, 7).slice(2), [1, 0, 1, 0, 1]);
    });

    it('cancelling a running task aborts its currentSignal() and cancels the future at once', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(3);
      const f = ex.submit(tasks.gate, { board, gate: 0, started: 1, aborted: 2 });
      await waitFor(board, 1, 1, { what: 'task start' });
      await until(() => f.running(), 'future running');
      assert.equal(f.cancel('stop'), true);
      assert.equal(f.cancelled(), true, 'the future is cancelled at once');
      assert.equal(f.state, 'cancelled');
      await rejectsWith(f, CancelledError, 'cancelled running future');
      await waitFor(board, 2, 1, { what: 'the task to see its signal abort' });
      assert.equal(await guard(ex.submit(tasks.add, 1, 2), 'next task'), 3, 'the executor goes on');
    });

    if (caps.isolated) {
      it('a running task that ignores its signal: cancelled at once, worker replaced after cancelGrace, later tasks run', async () => {
        const ex = exec({ workers: 1, cancelGrace: 100 });
        const board = newBoard(1);
        const f = ex.submit(tasks.spinMarked, board, 0);
        await waitFor(board, 0, 1, { what: 'the stuck task to start' });
        await until(() => f.running(), 'future running');
        assert.equal(f.cancel(), true);
        assert.equal(f.cancelled(), true, 'cancelled at once, before the worker is stopped');
        await rejectsWith(f, CancelledError, 'cancelled stuck task');
        assert.equal(await guard(ex.submit(tasks.add, 2, 2), 'task after the stuck one'), 4);
        assert.ok(ex.stats().workers <= 1, `workers ${ex.stats().workers} <= maxWorkers 1`);
      });
    }

    it('the signal option cancels the future; a signal that already aborted cancels before it runs', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(4);
      const ac = new AbortController();
      const f = ex.run(tasks.gate, [{ board, gate: 0, started: 1, aborted: 2 }], { signal: ac.signal });
      await waitFor(board, 1, 1, { what: 'task start' });
      ac.abort();
      await rejectsWith(f, CancelledError, 'aborted by signal');
      assert.equal(f.cancelled(), true);
      await waitFor(board, 2, 1, { what: 'the task to see its signal abort' });
      const g = ex.run(tasks.mark, [{ board, i: 3 }], { signal: AbortSignal.abort() });
      await rejectsWith(g, CancelledError, 'pre-aborted signal');
      await guard(ex.shutdown(), 'shutdown');
      assert.equal(get(board, 3), 0, 'a task whose signal was already aborted never runs');
    });

    it('timeout counts from the start of the run, not from submit', async () => {
      const ex = exec({ workers: 1 });
      const first = ex.submit(tasks.sleep, 600, 'first');
      const second = ex.run(tasks.sleep, [20, 'second'], { timeout: 400 });
      assert.equal(await guard(first, 'first'), 'first');
      assert.equal(await guard(second, 'second'), 'second', 'queued behind a 600 ms task, a 20 ms task with timeout 400 still succeeds');
    });

    it('a task that runs past its timeout fails with TimeoutError; the executor goes on', async () => {
      const ex = exec({ workers: 1 });
      const f = ex.run(tasks.sleep, [30_000, 'late'], { timeout: 100 });
      await rejectsWith(f, TimeoutError, 'timed-out task');
      assert.equal(f.done(), true);
      assert.equal(await guard(ex.submit(tasks.add, 1, 1), 'after timeout'), 2);
    });

    if (caps.isolated) {
      it('a stuck synchronous task past its timeout fails with TimeoutError and is stopped', async () => {
        const ex = exec({ workers: 1, cancelGrace: 100 });
        await rejectsWith(ex.run(tasks.spin, [120_000], { timeout: 100 }), TimeoutError, 'stuck task timeout');
        assert.equal(await guard(ex.submit(tasks.add, 5, 5), 'after stuck timeout'), 10);
      });
    }

    it('a timeout of zero or less leaves no time (Python): a task that waits fails with TimeoutError', async () => {
      const ex = exec({ workers: 1 });
      await rejectsWith(ex.run(tasks.sleep, [30_000, 'late'], { timeout: -1 }), TimeoutError, 'negative timeout');
      assert.equal(await guard(ex.submit(tasks.add, 1, 1), 'after'), 2);
    });

    it('garbage submit options are rejected with TypeError/RangeError; an unknown key names the closest one', async () => {
      const ex = exec({ workers: 1 });
      const typo = await outcomeOf(() => ex.run(tasks.add, [1, 2], { timout: 5 } as any), 'run with a typo');
      assert.ok(!typo.ok && typo.error instanceof TypeError && /did you mean "timeout"/.test(String(typo.error.message)), 'typo');
      for (const opts of [{ timeout: NaN }, { timeout: 'soon' }, { signal: 'no' }, { transfer: 'x' }]) {
        const o = await outcomeOf(() => ex.run(tasks.add, [1, 2], opts as any), `run with ${JSON.stringify(opts)}`);
        assert.equal(o.ok, false, `run with ${JSON.stringify(opts)} must fail`);
        if (!o.ok) assert.ok(o.error instanceof TypeError || o.error instanceof RangeError, describeErr(o.error));
      }
    });
  });

  // ------------------------------------------------------------------------
  section('errors keep their identity', () => {
    it('class, message, remote stack, cause and own properties', async () => {
      const ex = exec({ workers: 1 });
      const err = await rejectsWith(ex.submit(tasks.fail, 'bad thing'), RangeError, 'fail', /^bad thing$/);
      assert.equal(err.name, 'RangeError');
      assert.match(String(err.stack), /tasks\.mjs/, 'the stack is the remote one (names the task module)');
      assert.equal((err as any).code, 'E_TEST');
      assert.deepEqual((err as any).details, { attempt: 3, tags: ['a', 'b'] });
      assert.ok(err.cause instanceof Error, 'cause is an Error');
      assert.equal((err.cause as Error).message, 'inner');
    });

    it('built-in classes arrive as those classes, from sync and async tasks', async () => {
      const ex = exec({ workers: 1 });
      await rejectsWith(ex.submit(tasks.failType, 'tt'), TypeError, 'TypeError', /tt/);
      await rejectsWith(ex.submit(tasks.failAsync, 'async range'), RangeError, 'async RangeError', /async range/);
    });

    it('a custom error class keeps its name, message and properties', async () => {
      const ex = exec({ workers: 1 });
      const err = await rejectsWith(ex.submit(tasks.failCustom, 'unexpected token'), Error, 'custom error', /unexpected token/);
      assert.equal(err.name, 'ParseError');
      assert.equal((err as any).line, 42);
      assert.match(String(err.stack), /tasks\.mjs/);
    });

    if (caps.isolated) {
      it('an argument that cannot be sent fails only its own future, with a TypeError naming the argument', async () => {
        const ex = exec({ workers: 2 });
        const starts = [
          () => ex.submit(tasks.echo, 1),
          () => ex.submit(tasks.echo, () => 1),
          () => ex.submit(tasks.args, 1, Symbol('s')),
          () => ex.submit(tasks.echo, 3),
        ];
        // all four are submitted in the same tick
        const fs = starts.map((s) => {
          try {
            return s();
          } catch (error) {
            return { sync: error };
          }
        });
        for (const f of fs) assert.ok(f instanceof Future, `submit must not throw synchronously: ${describeErr((f as any).sync)}`);
        const [ok1, badFn, badSym, ok2] = fs as Future<unknown>[];
        assert.equal(await guard(ok1!, 'ok1'), 1);
        assert.equal(await guard(ok2!, 'ok2'), 3);
        const e1 = await rejectsWith(badFn!, TypeError, 'function argument', /arg/i);
        assert.match(e1.message, /\b(0|1|first)\b/i, `says which argument: ${e1.message}`);
        const e2 = await rejectsWith(badSym!, TypeError, 'symbol argument', /arg/i);
        assert.match(e2.message, /\b(1|2|second)\b/i, `says which argument: ${e2.message}`);
      });

      it('a result that cannot be sent back fails that future; the executor goes on', async () => {
        const ex = exec({ workers: 1 });
        const o = await outcomeOf(() => ex.submit(tasks.returnsFunction), 'returnsFunction');
        assert.equal(o.ok, false);
        if (!o.ok) {
          assert.equal(o.sync, false);
          assert.ok(o.error instanceof Error, describeErr(o.error));
        }
        assert.equal(await guard(ex.submit(tasks.add, 1, 2), 'after unsendable result'), 3);
      });
    }
  });

  // ------------------------------------------------------------------------
  section('tasks: inline functions, tasksFrom, currentSignal, transfer', () => {
    if (caps.inline === false) {
      it('inline functions are refused with a TypeError (no code goes over the wire); the executor goes on', async () => {
        const ex = exec({ workers: 1 });
        for (const fn of [
          (a: number, b: number) => a + b,
          async (x: number) => x * 2,
          function upper(s: string) {
            return s;
          },
        ]) {
          const o = await outcomeOf(() => ex.submit(fn as any, 1, 2), 'inline function');
          assert.ok(!o.ok && !o.sync, 'a rejected future, not a synchronous throw');
          assert.ok(!o.ok && o.error instanceof TypeError, `expected TypeError, got ${!o.ok && describeErr(o.error)}`);
          assert.match((o as { error: Error }).error.message, /module/i, 'says to use a task module');
        }
        await rejectsWith(
          ex.map((x: number) => x + 1, [1, 2, 3]),
          TypeError,
          'map inline',
        );
        assert.equal(await guard(ex.submit(tasks.add, 1, 2), 'after inline'), 3);
      });
    } else {
      it('inline functions run: arrow, async arrow, function expression, using globals', async () => {
        const ex = exec({ workers: 2 });
        assert.equal(
          await guard(
            ex.submit((a: number, b: number) => a + b, 1, 2),
            'arrow',
          ),
          3,
        );
        assert.equal(
          await guard(
            ex.submit(async (x: number) => x * 2, 21),
            'async arrow',
          ),
          42,
        );
        assert.equal(
          await guard(
            ex.submit(function upper(s: string) {
              return s.toUpperCase();
            }, 'abc'),
            'function',
          ),
          'ABC',
        );
        assert.deepEqual(
          await guard(
            ex.submit((xs: number[]) => JSON.parse(JSON.stringify({ m: Math.max(...xs) })), [1, 5, 2]),
            'globals',
          ),
          { m: 5 },
        );
        assert.deepEqual(
          await guard(
            ex.map((x: number) => x + 1, [1, 2, 3]),
            'map inline',
          ),
          [2, 3, 4],
        );
      });

      if (caps.closures) {
        it('inline closures over outer variables work (the function runs on this thread)', async () => {
          const ex = exec({ workers: 1 });
          const outerMultiplier = 10;
          assert.equal(
            await guard(
              ex.submit((x: number) => x * outerMultiplier, 2),
              'closure',
            ),
            20,
          );
        });
      } else {
        it('an inline closure over an outer variable fails with TaskDefinitionError naming the identifier', async () => {
          const ex = exec({ workers: 1 });
          const outerMultiplier = 10;
          const o = await outcomeOf(() => ex.submit((x: number) => x * outerMultiplier, 2), 'closure');
          assert.equal(o.ok, false, 'a closure must not run in another thread');
          if (!o.ok) {
            assert.ok(o.error instanceof TaskDefinitionError, `expected TaskDefinitionError, got ${describeErr(o.error)}`);
            assert.match((o.error as Error).message, /outerMultiplier/, 'names the missing identifier');
            assert.match((o.error as Error).message, /module/i, 'says to move the function into a task module');
          }
          assert.equal(await guard(ex.submit(tasks.add, 1, 2), 'after closure'), 3);
        });
      }
    }

    it('tasksFrom refs run the named exports of a plain module', async () => {
      const ex = exec({ workers: 1 });
      const plain = tasksFrom<typeof import('../fixtures/plain.mjs')>(fixtureUrl);
      assert.equal(await guard(ex.submit(plain.double, 21), 'plain.double'), 42);
      assert.equal(await guard(ex.submit(plain.greet, 'you'), 'plain.greet'), 'hello you');
    });

    it('currentSignal() inside a task is an AbortSignal that has not aborted', async () => {
      const ex = exec({ workers: 1 });
      assert.deepEqual(await guard(ex.submit(tasks.signalState), 'signalState'), { isSignal: true, aborted: false });
    });

    it('transfer() arguments and results arrive as their values', async () => {
      const ex = exec({ workers: 1 });
      const u8 = new Uint8Array(16);
      assert.equal(await guard(ex.submit(tasks.byteLength, transfer(u8, [u8.buffer])), 'transfer arg'), 16);
      const buf = new ArrayBuffer(32);
      assert.equal(await guard(ex.run(tasks.byteLength, [buf], { transfer: [buf] }), 'transfer option'), 32);
      const back = await guard(ex.submit(tasks.makeBuffer, 8), 'transfer result');
      assert.ok(
        back instanceof ArrayBuffer,
        `a transferred result arrives as the ArrayBuffer, got ${Object.prototype.toString.call(back)}`,
      );
      assert.deepEqual([...new Uint8Array(back)], [7, 7, 7, 7, 7, 7, 7, 7]);
    });
  });

  // ------------------------------------------------------------------------
  section('limits, shutdown and stats', () => {
    if (caps.maxQueue) {
      it('maxQueue: submit beyond it returns a future rejected with QueueFullError, never throws', async () => {
        const ex = exec({ workers: 1, maxQueue: 2 });
        const board = newBoard(6);
        const [blocker] = await startGated(ex, board, 0, 1);
        const outcomes: Array<Future<number> | unknown> = [];
        for (let i = 2; i < 6; i++) {
          try {
            outcomes.push(ex.submit(tasks.mark, { board, i }));
          } catch (error) {
            outcomes.push(error);
          }
        }
        for (const o of outcomes) assert.ok(o instanceof Future, `submit must not throw: ${describeErr(o)}`);
        const fs = outcomes as Future<number>[];
        await rejectsWith(fs[2]!, QueueFullError, 'third queued submit');
        await rejectsWith(fs[3]!, QueueFullError, 'fourth queued submit');
        set(board, 0, 1);
        await guard(blocker, 'blocker');
        assert.deepEqual(await guard(Promise.all(fs.slice(0, 2)), 'accepted tasks'), [2, 3]);
        assert.equal(await guard(ex.submit(tasks.add, 1, 1), 'submit once the queue drained'), 2);
      });
    }

    it('after shutdown, submit/run/map give futures rejected with ExecutorShutdownError', async () => {
      const ex = exec({ workers: 1 });
      await guard(ex.submit(tasks.add, 1, 1), 'warm up');
      await guard(ex.shutdown(), 'shutdown');
      const o = await outcomeOf(() => ex.submit(tasks.add, 1, 2), 'submit after shutdown');
      assert.ok(!o.ok && !o.sync, 'a rejected future, not a synchronous throw');
      assert.ok(!o.ok && o.error instanceof ExecutorShutdownError, `got ${!o.ok && describeErr(o.error)}`);
      await rejectsWith(ex.run(tasks.add, [1, 2]), ExecutorShutdownError, 'run after shutdown');
      await rejectsWith(ex.map(tasks.square, [1, 2]), ExecutorShutdownError, 'map after shutdown');
      await guard(ex.shutdown(), 'second shutdown is harmless');
    });

    it('shutdown() waits for running and queued tasks', async () => {
      const ex = exec({ workers: 1 });
      const fs = [ex.submit(tasks.sleep, 30, 'a'), ex.submit(tasks.sleep, 30, 'b'), ex.submit(tasks.sleep, 30, 'c')];
      await guard(ex.shutdown(), 'shutdown');
      assert.deepEqual(
        fs.map((f) => f.state),
        ['finished', 'finished', 'finished'],
      );
      assert.deepEqual(
        fs.map((f) => f.result()),
        ['a', 'b', 'c'],
      );
    });

    it('shutdown({ cancelFutures: true }) cancels the queued tasks and lets the running one finish', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(6);
      const [running] = await startGated(ex, board, 0, 1, 'ran');
      const queued = [2, 3, 4].map((i) => ex.submit(tasks.mark, { board, i }));
      const done = ex.shutdown({ cancelFutures: true });
      set(board, 0, 1);
      await guard(done, 'shutdown cancelFutures');
      assert.equal(running.state, 'finished');
      assert.equal(running.result(), 'ran');
      assert.deepEqual(
        queued.map((f) => f.state),
        ['cancelled', 'cancelled', 'cancelled'],
      );
      assert.deepEqual(snapshot(board, 5).slice(2), [0, 0, 0], 'cancelled queued tasks never ran');
    });

    it('shutdown({ wait: false }) returns before running tasks end; they still settle', async () => {
      const ex = exec({ workers: 1 });
      const board = newBoard(2);
      const [running] = await startGated(ex, board, 0, 1, 'still');
      await guard(ex.shutdown({ wait: false }), 'shutdown without waiting');
      assert.equal(running.done(), false, 'the running task is not waited for, nor cancelled');
      set(board, 0, 1);
      assert.equal(await guard(running, 'running task after shutdown'), 'still');
      await guard(ex.shutdown(), 'shutdown again, waiting');
    });

    it('await using shuts the executor down at the end of the block, waiting for its tasks', async () => {
      let f: Future<string> | undefined;
      let kept: Executor | undefined;
      {
        await using ex = exec({ workers: 1 });
        kept = ex;
        f = ex.submit(tasks.sleep, 30, 'disposed');
      }
      assert.equal(f.state, 'finished');
      assert.equal(f.result(), 'disposed');
      await rejectsWith(kept.submit(tasks.add, 1, 1), ExecutorShutdownError, 'submit after disposal');
    });

    it('stats() counts tasks by state and the numbers add up', async () => {
      const ex = exec({ workers: 2 });
      const fresh = ex.stats();
      for (const k of ['submitted', 'completed', 'failed', 'cancelled', 'queued', 'busy'] as const)
        assert.equal(fresh[k], 0, `fresh stats().${k}`);

      const board = newBoard(11);
      const [a] = await startGated(ex, board, 0, 5);
      const [b] = await startGated(ex, board, 1, 6);
      const queued = [2, 3, 4].map((g) => ex.submit(tasks.gate, { board, gate: g, value: g }));
      await until(
        () => ex.stats().busy === 2 && ex.stats().queued === 3,
        () => `busy 2 and queued 3 (got ${JSON.stringify(ex.stats())})`,
      );
      let st = ex.stats();
      assert.equal(st.submitted, 5);
      assert.equal(st.workers, st.busy + st.idle, 'workers = busy + idle');
      for (let g = 0; g < 5; g++) set(board, g, 1);
      await guard(Promise.all([a, b, ...queued]), 'gated tasks');
      await guard(
        ex.submit(tasks.fail, 'counted').catch(() => {}),
        'failing task',
      );
      const [blocker] = await startGated(ex, board, 7, 8);
      const [blocker2] = await startGated(ex, board, 9, 10);
      const cancelMe = ex.submit(tasks.add, 1, 1);
      cancelMe.cancel();
      set(board, 7, 1);
      set(board, 9, 1);
      await guard(Promise.all([blocker, blocker2]), 'blockers');
      await until(() => ex.stats().busy === 0, 'busy back to 0');
      st = ex.stats();
      assert.equal(st.submitted, 9);
      assert.equal(st.completed, 7);
      assert.equal(st.failed, 1);
      assert.equal(st.cancelled, 1);
      assert.equal(st.completed + st.failed + st.cancelled, st.submitted);
      assert.equal(st.queued, 0);
      assert.equal(st.workers, st.busy + st.idle);
      assert.ok(st.workers <= 2, `workers ${st.workers} <= 2`);
      for (const key of ['runTime', 'waitTime'] as const) {
        const p = st[key] as unknown as Record<string, number>;
        assert.ok(p && typeof p === 'object', `${key} is an object of percentiles`);
        for (const [k, v] of Object.entries(p)) assert.ok(Number.isFinite(v) && v >= 0, `${key}.${k} = ${v}`);
        if ('p50' in p && 'p99' in p) assert.ok(p.p50! <= p.p99!, `${key}: p50 <= p99`);
        if ('p99' in p && 'max' in p) assert.ok(p.p99! <= p.max!, `${key}: p99 <= max`);
      }
      assert.ok(st.utilization >= 0 && st.utilization <= 1, `utilization ${st.utilization} in 0..1`);
    });

    it('garbage constructor options throw a TypeError/RangeError that mentions the value', async () => {
      for (const [opt, bad] of caps.badOptions) {
        let made: Executor | undefined;
        try {
          assert.throws(
            () => {
              made = caps.construct({ [opt]: bad });
            },
            (e: unknown) => {
              assert.ok(e instanceof TypeError || e instanceof RangeError, `${opt}: ${String(bad)} -> ${describeErr(e)}`);
              assert.ok(e.message.includes(String(bad)), `${opt}: ${String(bad)}: message should mention the value given: ${e.message}`);
              assert.ok(e.message.includes(opt), `${opt}: ${String(bad)}: message should name the option: ${e.message}`);
              return true;
            },
            `${opt}: ${String(bad)} must be rejected`,
          );
        } finally {
          if (made) await shutdownQuietly(made);
        }
      }
    });
  });
}
