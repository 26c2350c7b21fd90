/**
 * ProcessPoolExecutor beyond the executor contract (which process-pool.test.ts
 * runs): children and their options, every way a child can die, exactly-once
 * across crashes, cancellation of a stuck child, and the parent's lifetime.
 *
 * No timing assertions: states, counts and errors only; every wait is bounded.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessPoolExecutor, WorkerCrashedError, BrokenExecutorError, CancelledError, TimeoutError, tasksFrom } from 'weft';
import tasks from '../fixtures/mp-tasks.mjs';
import { guard, until, installExitGuard, shutdownQuietly, rejectsWith, describeErr } from '../contracts/helpers.ts';

installExitGuard();

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-pp-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function doneLines(dir: string): number[] {
  const p = join(dir, 'done.log');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split('\n').filter(Boolean).map(Number);
}

describe('ProcessPoolExecutor', { timeout: 120_000 }, () => {
  describe('children', () => {
    it('runs tasks in child processes, at most maxWorkers of them, named SpawnProcess-n', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
      try {
        const pids = await guard(Promise.all(Array.from({ length: 8 }, () => pool.submit(tasks.recordSlow, tempDir(), 0, 20))), 'pids');
        const distinct = new Set(pids);
        assert.ok(!distinct.has(process.pid), 'tasks do not run in the parent');
        assert.ok(distinct.size >= 1 && distinct.size <= 2, `at most 2 children, got ${distinct.size}`);
        const me = await guard(pool.submit(tasks.whoAmI), 'whoAmI');
        assert.match(me.name, /^SpawnProcess-\d+$/);
        assert.equal(me.daemon, true);
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('children inherit the parent execArgv (the test runs under tsx); execArgv and env options add to it', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1, execArgv: ['--max-old-space-size=200'], env: { WEFT_TEST_VAR: 'yes' } });
      try {
        const argv = await guard(pool.submit(tasks.execArgv), 'execArgv');
        // Flags weft leaves out on purpose: the test runner's, the inspector's (Node 24's runner passes
        // --inspect-publish-uid) and --watch.
        const inherited = process.execArgv.filter((x) => !/^--(test|inspect|watch)/.test(x));
        for (const a of inherited) assert.ok(argv.includes(a), `child has ${a}: ${argv.join(' ')}`);
        assert.ok(argv.includes('--max-old-space-size=200'), `child has the extra flag: ${argv.join(' ')}`);
        assert.ok(!argv.some((a) => a.startsWith('--test')), 'test-runner flags are not inherited');
        assert.equal(await guard(pool.submit(tasks.env, 'WEFT_TEST_VAR'), 'env'), 'yes');
        assert.equal(
          await guard(pool.submit(tasks.env, 'WEFT_PROCESS_NAME'), 'env'),
          undefined,
          "weft's own variables are not left in the env",
        );
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('keeps Maps, Dates, typed arrays and BigInt across the IPC channel', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
      try {
        const v = { m: new Map([[1, new Date(5)]]), u: new Uint16Array([1, 2]), b: 2n ** 70n, s: new Set(['a']) };
        assert.deepEqual(await guard(pool.submit(tasks.echo, v), 'echo'), v);
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('a shared-memory argument is refused with a TypeError naming it', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
      try {
        const { Lock } = await import('weft/threading');
        await rejectsWith(pool.submit(tasks.echo, new Lock()), TypeError, 'shared lock', /shared memory does not cross processes/);
        assert.equal(await guard(pool.submit(tasks.add, 1, 1), 'after'), 2);
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('maxTasksPerChild replaces a child after that many tasks', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 2 });
      try {
        const pids: number[] = [];
        for (let i = 0; i < 6; i++) pids.push(await guard(pool.submit(tasks.pid), `pid ${i}`));
        assert.equal(new Set(pids).size, 3, `3 children for 6 tasks: ${pids}`);
        assert.equal(pids[0], pids[1]);
        assert.notEqual(pids[1], pids[2]);
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('a child retired by maxTasksPerChild exits gracefully: its process exit handlers run', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 2 });
      const file = join(tempDir(), 'exits.log');
      try {
        const pids: number[] = [];
        for (let i = 0; i < 3; i++) pids.push(await guard(pool.submit(tasks.onExitAppend, file), `task ${i}`));
        assert.equal(pids[0], pids[1]);
        assert.notEqual(pids[1], pids[2], 'the first child was retired after 2 tasks');
        const exitLines = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);
        await until(
          () => exitLines().includes(pids[0]!),
          () => `the retired child ${pids[0]} to run its exit handler (log: ${exitLines()})`,
        );
        await guard(pool.shutdown(), 'shutdown');
        assert.ok(exitLines().includes(pids[2]!), `the child stopped by shutdown ran its exit handler too (log: ${exitLines()})`);
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('an initializer runs in every child; one that throws breaks the pool', async () => {
      const ok = new ProcessPoolExecutor({ maxWorkers: 1, initializer: tasks.add, initargs: [1, 2] });
      const bad = new ProcessPoolExecutor({ maxWorkers: 1, initializer: tasks.fail, initargs: ['init failed'] });
      try {
        assert.equal(await guard(ok.submit(tasks.add, 2, 2), 'after initializer'), 4);
        const err = await rejectsWith(bad.submit(tasks.add, 1, 1), BrokenExecutorError, 'broken', /init failed/);
        assert.ok(err instanceof BrokenExecutorError);
        await rejectsWith(bad.submit(tasks.add, 1, 1), BrokenExecutorError, 'later submit');
      } finally {
        await shutdownQuietly(ok);
        await shutdownQuietly(bad);
      }
    });
  });

  describe('crashes', () => {
    async function crashCase(
      what: string,
      opts: ConstructorParameters<typeof ProcessPoolExecutor>[0],
      crash: (p: ProcessPoolExecutor) => PromiseLike<unknown>,
      check: (e: WorkerCrashedError) => void,
    ): Promise<void> {
      const pool = new ProcessPoolExecutor({ maxWorkers: 2, ...opts });
      try {
        const before = await guard(pool.submit(tasks.pid), 'warm up');
        assert.ok(before > 0);
        const others = Array.from({ length: 20 }, (_, i) => pool.submit(tasks.add, i, 1));
        const err = await rejectsWith(crash(pool), WorkerCrashedError, what);
        check(err);
        assert.deepEqual(
          await guard(Promise.all(others), 'other tasks'),
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        assert.equal(await guard(pool.submit(tasks.add, 40, 2), 'after the crash'), 42, 'the pool goes on with a new child');
      } finally {
        await shutdownQuietly(pool);
      }
    }

    it('process.exit(3) in a task: WorkerCrashedError with exitCode 3', async () => {
      await crashCase(
        'exit',
        {},
        (p) => p.submit(tasks.exit, 3),
        (e) => {
          assert.equal(e.exitCode, 3);
          assert.equal(e.signal, null);
        },
      );
    });

    it('a child killed with SIGKILL: WorkerCrashedError with signal SIGKILL', async () => {
      await crashCase(
        'SIGKILL',
        {},
        (p) => p.submit(tasks.killSelf),
        (e) => {
          assert.equal(e.signal, 'SIGKILL');
        },
      );
    });

    it('process.abort(): WorkerCrashedError with signal SIGABRT', async () => {
      await crashCase(
        'abort',
        {},
        (p) => p.submit(tasks.abort),
        (e) => {
          assert.equal(e.signal, 'SIGABRT');
        },
      );
    });

    it('out of memory (--max-old-space-size=32): WorkerCrashedError', async () => {
      await crashCase(
        'oom',
        { execArgv: ['--max-old-space-size=32'] },
        (p) => p.submit(tasks.oom),
        (e) => {
          assert.ok(e.signal !== null || (e.exitCode !== null && e.exitCode !== 0), `exit info: ${e.exitCode} ${e.signal}`);
        },
      );
    });

    it('an error thrown outside any task ends the child: WorkerCrashedError carrying it as cause', async () => {
      await crashCase(
        'uncaught',
        {},
        (p) => p.submit(tasks.throwLater, 'escaped'),
        (e) => {
          assert.equal(e.exitCode, 1);
          assert.match(String((e.cause as Error)?.message), /escaped/);
        },
      );
    });

    it('a task module that throws at import: WorkerCrashedError carrying the error; the pool goes on', async () => {
      await crashCase(
        'throws at load',
        {},
        (p) => p.submit(tasksFrom<Record<string, () => unknown>>(new URL('../fixtures/throws-at-load.mjs', import.meta.url)).anything!),
        (e) => {
          assert.match(String((e.cause as Error)?.message), /boom at load/);
        },
      );
    });

    it('tasks sent to a child that exits on its own and not started there run once elsewhere', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
      const dir = tempDir();
      try {
        // Measure `record` as fast, so many travel to the child in one message.
        await guard(Promise.all(Array.from({ length: 50 }, (_, i) => pool.submit(tasks.record, dir, -1 - i))), 'warm up');
        const exit = pool.submit(tasks.exit, 7);
        const after = Array.from({ length: 30 }, (_, i) => pool.submit(tasks.record, dir, i));
        await rejectsWith(exit, WorkerCrashedError, 'exit');
        assert.deepEqual(
          await guard(Promise.all(after), 'tasks queued behind the exit'),
          Array.from({ length: 30 }, (_, i) => i),
        );
        const lines = doneLines(dir)
          .filter((i) => i >= 0)
          .sort((a, b) => a - b);
        assert.deepEqual(
          lines,
          Array.from({ length: 30 }, (_, i) => i),
          'each ran exactly once',
        );
      } finally {
        await shutdownQuietly(pool);
      }
    });
  });

  describe('cancellation', () => {
    it('a stuck child is killed after cancelGrace; a task sent to it behind the stuck one is not lost', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1, cancelGrace: 100 });
      const dir = tempDir();
      try {
        await guard(Promise.all(Array.from({ length: 50 }, () => pool.submit(tasks.add, 1, 1))), 'warm up');
        const pid1 = await guard(pool.submit(tasks.pid), 'pid');
        const stuck = pool.submit(tasks.hang, dir);
        await until(() => existsSync(join(dir, 'started')), 'the stuck task to start');
        const behind = pool.submit(tasks.add, 20, 22); // measured fast: sent to the stuck child at once
        assert.equal(stuck.cancel(), true);
        assert.equal(stuck.state, 'cancelled');
        await rejectsWith(stuck, CancelledError, 'stuck');
        assert.equal(await guard(behind, 'the task behind the stuck one'), 42);
        const pid2 = await guard(pool.submit(tasks.pid), 'pid after');
        assert.notEqual(pid1, pid2, 'the stuck child was replaced');
        await until(() => {
          try {
            process.kill(pid1, 0);
            return false;
          } catch {
            return true;
          }
        }, 'the stuck child to be gone');
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('tasks queued in one batch behind a task that times out are not failed: they run (as on threads)', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
      try {
        await guard(Promise.all(Array.from({ length: 20 }, () => pool.submit(tasks.spin, 0))), 'warm up'); // measured fast
        // One tick: the stuck one and the quick ones travel to the child in one message.
        const first = pool.run(tasks.spin, [1500], { timeout: 300 });
        const quick = Array.from({ length: 5 }, () => pool.submit(tasks.spin, 0));
        await rejectsWith(first, TimeoutError, 'the task with a timeout');
        const outcomes = await guard(Promise.allSettled(quick), 'the quick tasks');
        assert.deepEqual(
          outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : describeErr(o.reason))),
          ['ok', 'ok', 'ok', 'ok', 'ok'],
        );
      } finally {
        await shutdownQuietly(pool);
      }
    });

    it('cancelling a task queued in a busy child does not kill the child', async () => {
      const pool = new ProcessPoolExecutor({ maxWorkers: 1, cancelGrace: 50 });
      try {
        await guard(Promise.all(Array.from({ length: 50 }, () => pool.submit(tasks.sleep, 0, 0))), 'warm up');
        const pid1 = await guard(pool.submit(tasks.pid), 'pid');
        const running = pool.submit(tasks.sleep, 300, 'slept');
        const queued = pool.submit(tasks.sleep, 0, 'never');
        await until(() => running.running(), 'running');
        queued.cancel();
        assert.equal(await guard(running, 'running task'), 'slept');
        assert.equal(await guard(pool.submit(tasks.pid), 'pid after'), pid1, 'same child');
      } finally {
        await shutdownQuietly(pool);
      }
    });
  });
});
