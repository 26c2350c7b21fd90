import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CancelledError,
  Event,
  InvalidStateError,
  Lock,
  Queue,
  Task,
  createTask,
  currentSignal,
  currentTask,
  run,
  sleep,
} from 'weft/asyncio';

const tick = () => sleep(0);

describe('Task, createTask, currentTask, sleep', { timeout: 30_000 }, () => {
  it('a task starts on a later microtask and gives its result', async () => {
    const order: string[] = [];
    const t = createTask(
      () => {
        order.push('body');
        return 7;
      },
      { name: 'seven' },
    );
    order.push('after create');
    assert.ok(t instanceof Task);
    assert.equal(t.name, 'seven');
    assert.equal(await t, 7);
    assert.deepEqual(order, ['after create', 'body']);
    assert.equal(t.state, 'finished');
    assert.equal(t.result(), 7);
  });

  it('default names are unique', () => {
    const a = createTask(() => 1);
    const b = createTask(() => 2);
    assert.notEqual(a.name, b.name);
    assert.match(a.name, /^Task-\d+$/);
  });

  it('a failing task keeps its error (no unhandled rejection when nobody awaits)', async () => {
    const t = createTask(async () => {
      throw new RangeError('bad');
    });
    await assert.rejects(t.asPromise(), RangeError);
    assert.ok(t.exception() instanceof RangeError);
    createTask(async () => {
      throw new Error('never awaited');
    });
    await tick();
  });

  it('currentTask() inside and outside', async () => {
    assert.equal(currentTask(), undefined);
    const t = createTask(async () => {
      const before = currentTask();
      await sleep(1);
      return [before, currentTask()];
    });
    const [a, b] = await t;
    assert.equal(a, t);
    assert.equal(b, t);
  });

  it('cancel() before start: cancelled at once, body never runs', async () => {
    let ran = false;
    const t = createTask(() => {
      ran = true;
    });
    assert.equal(t.cancel(), true);
    assert.equal(t.cancelled(), true);
    await tick();
    assert.equal(ran, false);
    assert.throws(() => t.result(), CancelledError);
    assert.equal(t.cancel(), false);
  });

  it('cancel() of a running task: cleanup (with awaits) runs first, then cancelled', async () => {
    const log: string[] = [];
    const t = createTask(async () => {
      try {
        await sleep(10_000);
      } finally {
        log.push('cleanup');
        await sleep(1);
        log.push('cleanup done');
      }
    });
    await tick();
    assert.equal(t.cancel('stop'), true);
    assert.equal(t.cancelling(), true);
    assert.equal(t.state, 'running');
    await assert.rejects(t.asPromise(), CancelledError);
    assert.deepEqual(log, ['cleanup', 'cleanup done']);
    assert.equal(t.cancelled(), true);
  });

  it('the task signal aborts on cancel and currentSignal() is it', async () => {
    const t = createTask(async () => {
      assert.equal(currentSignal(), currentTask()!.signal);
      await sleep(10_000);
    });
    await tick();
    const sig = t.signal;
    assert.equal(sig.aborted, false);
    t.cancel();
    assert.equal(sig.aborted, true);
    assert.ok(sig.reason instanceof CancelledError);
    await assert.rejects(t.asPromise(), CancelledError);
  });

  it('every kind of weft wait is cancelled with the task, no signal passed by hand', async () => {
    const lock = new Lock();
    const g = await lock.acquire();
    const q = new Queue<number>();
    const ev = new Event();
    const other = createTask(() => sleep(10_000));
    const waits: Array<() => Promise<unknown>> = [
      () => sleep(10_000),
      () => q.get(),
      () => lock.acquire(),
      () => ev.wait(),
      () => other.then((x) => x),
    ];
    for (const w of waits) {
      const t = createTask(w);
      await tick();
      t.cancel();
      await assert.rejects(t.asPromise(), CancelledError);
    }
    g.release();
    assert.equal(lock.locked(), false);
    assert.equal(q.statistics().getters, 0);
    assert.equal(ev.statistics().waiters, 0);
    other.cancel();
  });

  it('a cancellation that lands while the task runs is delivered to its next wait, once', async () => {
    const log: string[] = [];
    const t = createTask(async () => {
      t.cancel(); // the task cancels itself while running
      log.push('still running');
      try {
        await sleep(10_000);
      } catch (e) {
        log.push((e as Error).name);
      }
      await sleep(1); // delivered once: later waits work (Python semantics)
      log.push('after');
      return 'swallowed';
    });
    assert.equal(await t.asPromise(), 'swallowed');
    assert.deepEqual(log, ['still running', 'CancelledError', 'after']);
  });

  it('awaiting a task from a cancelled task cancels the awaited task too', async () => {
    const inner = createTask(() => sleep(10_000));
    const outer = createTask(async () => {
      await inner;
    });
    await tick();
    outer.cancel();
    await assert.rejects(outer.asPromise(), CancelledError);
    await assert.rejects(inner.asPromise(), CancelledError);
  });

  it('sleep resolves with its value, accepts signal, rejects bad input', async () => {
    assert.equal(await sleep(1, 'v'), 'v');
    assert.equal(await sleep(-5, 3), 3);
    const ac = new AbortController();
    const p = sleep(10_000, undefined, { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, CancelledError);
    await assert.rejects(sleep(Number.NaN), RangeError);
    await assert.rejects(sleep('1' as unknown as number), /got "1" \(string\)/);
  });

  it('bad arguments to createTask throw TypeError', () => {
    assert.throws(() => createTask(42 as unknown as () => void), TypeError);
    assert.throws(() => createTask(() => 1, { name: 3 as unknown as string }), TypeError);
  });
});

describe('run()', { timeout: 30_000 }, () => {
  it("returns main's result and runs it as the root task named main", async () => {
    const r = await run(
      async () => {
        await sleep(1);
        return currentTask()!.name;
      },
      { handleSignals: false },
    );
    assert.equal(r, 'main');
  });

  it("throws main's error", async () => {
    await assert.rejects(
      run(
        async () => {
          throw new TypeError('x');
        },
        { handleSignals: false },
      ),
      TypeError,
    );
  });

  it('cancels and awaits the tasks main left running', async () => {
    const log: string[] = [];
    let leftover: Task<void> | undefined;
    await run(
      async () => {
        leftover = createTask(async () => {
          try {
            await sleep(10_000);
          } finally {
            log.push('leftover cleaned');
          }
        });
        await sleep(1);
      },
      { handleSignals: false },
    );
    assert.deepEqual(log, ['leftover cleaned']);
    assert.equal(leftover!.cancelled(), true);
  });

  it('refuses to run inside a task, and a non-function', async () => {
    await run(
      async () => {
        await assert.rejects(
          run(async () => 1),
          InvalidStateError,
        );
      },
      { handleSignals: false },
    );
    await assert.rejects(run(5 as unknown as () => Promise<void>), TypeError);
  });

  it('removes its signal listeners', async () => {
    const before = process.listenerCount('SIGINT');
    await run(async () => {
      assert.equal(process.listenerCount('SIGINT'), before + 1);
    });
    assert.equal(process.listenerCount('SIGINT'), before);
    assert.equal(process.listenerCount('SIGTERM'), before === 0 ? 0 : process.listenerCount('SIGTERM'));
  });

  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${sig} cancels main, cleanup runs, exit code ${code}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-run-'));
      const entry = fileURLToPath(new URL('../../dist/asyncio/index.js', import.meta.url));
      const file = join(dir, 'main.mjs');
      writeFileSync(
        file,
        `
        import { run, sleep } from ${JSON.stringify(entry)};
        await run(async () => {
          try { console.log('ready'); await sleep(60_000); }
          finally { await sleep(5); console.log('cleanup'); }
        });
        console.log('not reached');
      `,
      );
      try {
        const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
        await new Promise<void>((res) =>
          child.stdout.on('data', (d) => {
            out += d;
            if (out.includes('ready')) res();
          }),
        );
        child.kill(sig);
        const c = await exited;
        assert.equal(c, code);
        assert.match(out, /cleanup/);
        assert.doesNotMatch(out, /not reached/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
