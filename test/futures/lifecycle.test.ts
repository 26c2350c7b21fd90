/**
 * The worker lifecycle: each defect of issue 9 that lives in a pool's worker,
 * as a test that failed before the redesign (futures/worker-handle.ts), on
 * threads and on child processes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BrokenExecutorError, CancelledError, ProcessPoolExecutor, ThreadPoolExecutor, WorkerCrashedError, type Executor } from 'weft';
import tasks from '../fixtures/lifecycle-tasks.mjs';
import { disposeBoard, get, makeBoard, waitFor, type Board } from '../fixtures/board.mjs';
import { delay, guard, until, workersOf } from '../contracts/helpers.ts';

type Kind = 'threads' | 'processes';
const pools: Executor[] = [];
const boards: Board[] = [];

function pool(kind: Kind, o: Record<string, unknown> = {}): ThreadPoolExecutor | ProcessPoolExecutor {
  const p = kind === 'threads' ? new ThreadPoolExecutor(o) : new ProcessPoolExecutor(o);
  pools.push(p);
  return p;
}

function board(kind: Kind, n = 64): Board {
  const b = makeBoard(n, kind === 'threads' ? 'sab' : 'dir');
  boards.push(b);
  return b;
}

/** Runs `step` a few times so the pool knows it is quick (then it batches it). */
async function warm(p: Executor, b: Board, slot: number): Promise<void> {
  for (let i = 0; i < 4; i++) await guard(p.submit(tasks.step, b, slot), 'warm-up');
}

after(async () => {
  await Promise.all(pools.map((p) => p.shutdown({ cancelFutures: true }).catch(() => {})));
  for (const b of boards) disposeBoard(b);
});

describe('worker lifecycle (issue 9)', { timeout: 180_000 }, () => {
  for (const kind of ['threads', 'processes'] as const) {
    it(`${kind}: a fresh pool whose first task cannot be sent fails that task alone, runs the next and shuts down`, async () => {
      const unsendable: [unknown, RegExp][] = [
        [{ fn() {} }, /Argument 2 \.fn is a function named fn/],
        [
          {
            get x(): number {
              throw new Error('nope');
            },
          },
          /Argument 2 \.x could not be read: its getter threw nope/,
        ],
      ];
      for (const [bad, message] of unsendable) {
        const p = pool(kind, { maxWorkers: 1 });
        const b = board(kind, 4);
        await assert.rejects(
          guard(p.submit(tasks.step, b as any, bad as any), 'unsendable'),
          (e: unknown) => e instanceof TypeError && message.test(e.message),
        );
        assert.equal(await guard(p.submit(tasks.step, b, 1), 'next task'), 1);
        await guard(p.shutdown(), 'shutdown');
      }
    });

    it(`${kind}: a task cancelled behind a long one of the same batch never starts, and the long one is not killed`, async () => {
      const p = pool(kind, { maxWorkers: 1, cancelGrace: 50 });
      const b = board(kind);
      await warm(p, b, 0);
      // One tick: one batch on the one worker (step is known quick).
      const long = p.submit(tasks.step, b, 1, 'spin', 800);
      const victim = p.submit(tasks.step, b, 2);
      const next = p.submit(tasks.step, b, 3);
      await guard(waitFor(b, 1), 'the long task started');
      assert.equal(victim.cancel(), true);
      assert.equal(await guard(long, 'long'), 1, 'the innocent long task finished (its worker was not killed)');
      assert.equal(await guard(next, 'next'), 3);
      assert.equal(victim.cancelled(), true);
      assert.equal(get(b, 2), 0, 'the cancelled task never ran');
      assert.equal(p.stats().workers, 1);
    });

    it(`${kind}: when a stuck task is killed, the tasks of its batch that finished keep their results; the rest run elsewhere`, async () => {
      const p = pool(kind, { maxWorkers: 1, cancelGrace: 50 });
      const b = board(kind);
      await warm(p, b, 0);
      const before = Array.from({ length: 10 }, (_, i) => p.submit(tasks.step, b, 10 + i));
      const stuck = p.submit(tasks.step, b, 1, 'stuck');
      const behind = Array.from({ length: 10 }, (_, i) => p.submit(tasks.step, b, 30 + i));
      await guard(waitFor(b, 1), 'the stuck task started');
      stuck.cancel();
      assert.deepEqual(
        await guard(Promise.all(before), 'before'),
        before.map((_, i) => 10 + i),
        'finished before the stuck task: kept',
      );
      assert.deepEqual(
        await guard(Promise.all(behind), 'behind'),
        behind.map((_, i) => 30 + i),
        'not started: run by the replacement',
      );
      await assert.rejects(stuck, CancelledError);
      for (let i = 0; i < 10; i++) {
        assert.equal(get(b, 10 + i), 1, `task ${10 + i} ran once`);
        assert.equal(get(b, 30 + i), 1, `task ${30 + i} ran once`);
      }
    });

    it(`${kind}: a task's timeout kills only its worker's running task; finished and queued ones are kept`, async () => {
      const p = pool(kind, { maxWorkers: 1, cancelGrace: 50 });
      const b = board(kind);
      await warm(p, b, 0);
      const before = [p.submit(tasks.step, b, 10), p.submit(tasks.step, b, 11)];
      const stuck = p.run(tasks.step, [b, 1, 'stuck'], { timeout: 100 });
      const behind = [p.submit(tasks.step, b, 12), p.submit(tasks.step, b, 13)];
      await assert.rejects(guard(stuck, 'stuck'), (e: unknown) => (e as Error).name === 'TimeoutError');
      assert.deepEqual(await guard(Promise.all([...before, ...behind]), 'others'), [10, 11, 12, 13]);
    });
  }

  it('threads: a task that runs out of memory fails alone; the finished tasks of its batch keep their results', async () => {
    const p = pool('threads', { maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    const b = board('threads');
    await warm(p, b, 0);
    const before = Array.from({ length: 8 }, (_, i) => p.submit(tasks.step, b, 10 + i));
    const hog = p.submit(tasks.step, b, 1, 'alloc');
    const behind = Array.from({ length: 8 }, (_, i) => p.submit(tasks.step, b, 30 + i));
    await assert.rejects(guard(hog, 'hog', 60_000), WorkerCrashedError);
    assert.deepEqual(
      await guard(Promise.all(before), 'before'),
      before.map((_, i) => 10 + i),
    );
    assert.deepEqual(
      await guard(Promise.all(behind), 'behind'),
      behind.map((_, i) => 30 + i),
    );
  });

  it('processes: children killed from outside while starting are replaced, not a broken pool; a kill is "killed by SIGKILL"', async () => {
    const p = pool('processes', { maxWorkers: 1 }) as ProcessPoolExecutor;
    const b = board('processes');
    const f = p.submit(tasks.step, b, 1);
    // Kill every child that appears, before it is ready, four times.
    const killed = new Set<number>();
    for (let round = 0; round < 4; round++) {
      await until(() => workersOf(p).some((w) => w.threadId > 0 && !killed.has(w.threadId)), 'a new child', 20_000);
      for (const w of workersOf(p)) {
        if (w.threadId > 0 && !killed.has(w.threadId)) {
          killed.add(w.threadId);
          process.kill(w.threadId, 'SIGKILL');
        }
      }
      if (f.done()) break;
    }
    const r = await guard(
      f.then(
        (v) => ({ ok: true as const, v }),
        (e) => ({ ok: false as const, e }),
      ),
      'the task',
      30_000,
    );
    if (!r.ok) {
      // It may have been running in a killed child: then it failed, and says how.
      assert.ok(r.e instanceof WorkerCrashedError, String(r.e));
      assert.match(r.e.message, /was killed by SIGKILL/);
      assert.equal(r.e.signal, 'SIGKILL');
    }
    assert.equal(await guard(p.submit(tasks.step, b, 2), 'after the kills', 30_000), 2, 'the pool is not broken');
  });

  it('processes: a child that cannot start on its own (bad execArgv) breaks the pool, and says why', async () => {
    const p = pool('processes', { maxWorkers: 1, execArgv: ['--no-such-flag'] });
    const b = board('processes', 4);
    const e = await guard(
      p.submit(tasks.step, b, 1).then(
        () => undefined,
        (err: unknown) => err,
      ),
      'broken',
      30_000,
    );
    assert.ok(e instanceof BrokenExecutorError, String(e));
    assert.match((e as Error).message, /code 9.*execArgv \["--no-such-flag"\]/);
  });

  it('delays longer than 2^31-1 ms are honoured: an idle worker with a 30-day idleTimeout stays; a 30-day cancelGrace does not kill', async () => {
    const DAYS30 = 30 * 86_400_000;
    const p = pool('threads', { maxWorkers: 1, minWorkers: 0, idleTimeout: DAYS30, cancelGrace: DAYS30 }) as ThreadPoolExecutor;
    const b = board('threads');
    await warm(p, b, 0);
    await delay(50);
    assert.equal(p.stats().workers, 1, 'not retired by an idle timer that fired at once');
    const f = p.submit(tasks.step, b, 1, 'wait', 200);
    await guard(waitFor(b, 1), 'started');
    f.cancel();
    await delay(50);
    assert.equal(workersOf(p)[0]?.state, 'ready', 'not killed by a grace timer that fired at once');
  });
});
