/**
 * Attacks on the worker lifecycle (issue 9), bounded in time: children killed
 * at random moments, threads that exit, throw, time out and run out of memory,
 * and cancellation at random moments in the middle of batches. Every future
 * settles, no task body runs twice, results are right, nothing cancelled starts
 * after cancel() returned, the pool works afterwards and no child is left.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, ProcessPoolExecutor, ThreadPoolExecutor, TimeoutError, WorkerCrashedError, type Future } from 'weft';
import { slotOf } from '../../dist/core/internal.js';
import tasks from '../fixtures/lifecycle-tasks.mjs';
import { disposeBoard, get, makeBoard } from '../fixtures/board.mjs';
import { guard, pidAlive as alive, workersOf } from '../contracts/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-attack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs of each body, from a record file. */
function runsOf(path: string): Map<number, number> {
  const runs = new Map<number, number>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    /* no run at all */
  }
  for (const line of text.split('\n')) if (line) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
  return runs;
}

function settle<T>(f: PromiseLike<T>): Promise<{ ok: true; v: T } | { ok: false; e: unknown }> {
  return Promise.resolve(f).then(
    (v) => ({ ok: true as const, v }),
    (e) => ({ ok: false as const, e }),
  );
}

const rand = (a: number, b: number) => a + Math.floor(Math.random() * (b - a + 1));

describe('attacks on the worker lifecycle', { timeout: 240_000 }, () => {
  it('2000 tasks on 3 children while a random child (starting or not) is SIGKILLed every 50-200 ms', async () => {
    const N = 2000;
    const path = join(dir, 'kills.log');
    // A child must live long enough to start: on a loaded machine start-up is slower,
    // so the kill interval follows it (50-200 ms on a quiet machine).
    const probe = new ProcessPoolExecutor({ maxWorkers: 1 });
    const t0 = performance.now();
    await guard(probe.submit(tasks.record, join(dir, 'probe.log'), 0), 'probe');
    const startup = performance.now() - t0;
    await probe.shutdown();
    const [lo, hi] = [Math.max(50, startup / 2), Math.max(200, startup * 2)];
    const pool = new ProcessPoolExecutor({ maxWorkers: 3 });
    const seen = new Set<number>();
    let kills = 0;
    let done = false;
    const killer = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, rand(lo, hi)));
        const ws = workersOf(pool).filter((w) => w.threadId > 0 && w.state !== 'gone');
        for (const w of ws) seen.add(w.threadId);
        const victim = ws[rand(0, ws.length - 1)];
        if (victim && !done) {
          try {
            process.kill(victim.threadId, 'SIGKILL');
            kills++;
          } catch {
            /* gone already */
          }
        }
      }
    })();
    try {
      const fs = Array.from({ length: N }, (_, i) => pool.submit(tasks.record, path, i, 4));
      const outcomes = await guard(Promise.all(fs.map(settle)), 'every future settles', 180_000);
      done = true;
      await killer;
      const runs = runsOf(path);
      let ok = 0;
      let crashed = 0;
      for (let i = 0; i < N; i++) {
        const o = outcomes[i]!;
        assert.ok((runs.get(i) ?? 0) <= 1, `task ${i} ran ${runs.get(i)} times`);
        if (o.ok) {
          ok++;
          assert.equal(o.v, i * 2, `result of ${i}`);
          assert.equal(runs.get(i), 1, `task ${i} succeeded, so it ran once`);
        } else {
          crashed++;
          assert.ok(o.e instanceof WorkerCrashedError, `task ${i}: ${String(o.e)}`);
          assert.match((o.e as Error).message, /killed by SIGKILL/);
        }
      }
      console.log(
        `# child start-up ${startup.toFixed(0)} ms, a kill every ${lo.toFixed(0)}-${hi.toFixed(0)} ms; kills: ${kills}, tasks: ${N}, succeeded: ${ok}, failed (running in a killed child): ${crashed}`,
      );
      assert.ok(kills >= 3, `the attack happened (${kills} kills)`);
      assert.equal(await guard(pool.submit(tasks.record, path, N, 0), 'the pool works afterwards'), N * 2);
      for (const w of workersOf(pool)) seen.add(w.threadId);
    } finally {
      done = true;
      await guard(pool.shutdown(), 'shutdown');
    }
    const left = [...seen].filter(alive);
    assert.deepEqual(left, [], 'no child is left');
  });

  it('threads: 2000 tasks among which some exit, throw, time out or run out of memory', async () => {
    const N = 2000;
    const b = makeBoard(N + 1);
    const pool = new ThreadPoolExecutor({ maxWorkers: 2, cancelGrace: 20, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    try {
      for (let i = 0; i < 4; i++) await pool.submit(tasks.step, b, N); // known quick: batched
      const modes: string[] = [];
      const fs: Future<number>[] = [];
      for (let i = 0; i < N; i++) {
        const r = Math.random();
        const mode = r < 0.02 ? 'exit' : r < 0.05 ? 'throw' : r < 0.06 ? 'stuck' : r < 0.063 ? 'alloc' : 'quick';
        modes.push(mode);
        fs.push(mode === 'stuck' ? pool.run(tasks.step, [b, i, 'stuck'], { timeout: 30 }) : pool.submit(tasks.step, b, i, mode as any));
      }
      const outcomes = await guard(Promise.all(fs.map(settle)), 'every future settles', 180_000);
      const count: Record<string, number> = {};
      for (let i = 0; i < N; i++) {
        const o = outcomes[i]!;
        const mode = modes[i]!;
        count[mode] = (count[mode] ?? 0) + 1;
        assert.ok(get(b, i) <= 1, `task ${i} (${mode}) ran ${get(b, i)} times`);
        if (mode === 'quick') {
          assert.ok(o.ok, `quick task ${i} must succeed: ${o.ok ? '' : String(o.e)}`);
          assert.equal(o.ok && o.v, i);
        } else if (mode === 'throw') assert.ok(!o.ok && o.e instanceof RangeError, `${i}: ${!o.ok && String(o.e)}`);
        else if (mode === 'stuck') assert.ok(!o.ok && o.e instanceof TimeoutError, `${i}: ${!o.ok && String(o.e)}`);
        else if (mode === 'exit') {
          assert.ok(!o.ok && o.e instanceof WorkerCrashedError, `${i}: ${!o.ok && String(o.e)}`);
          assert.equal((o.e as WorkerCrashedError).exitCode, 3);
        } else assert.ok(!o.ok && o.e instanceof WorkerCrashedError, `${i} (alloc): ${!o.ok && String(o.e)}`);
      }
      console.log(`# thread tasks by kind: ${JSON.stringify(count)}`);
      assert.equal(await guard(pool.submit(tasks.step, b, N), 'the pool works afterwards'), N);
    } finally {
      await guard(pool.shutdown({ cancelFutures: true }), 'shutdown');
      disposeBoard(b);
    }
  });

  for (const kind of ['threads', 'processes'] as const) {
    it(`${kind}: cancels at random moments in the middle of batches: nothing cancelled before it started ever runs`, async () => {
      const N = kind === 'threads' ? 3000 : 1500;
      const b = makeBoard(N + 1, kind === 'threads' ? 'sab' : 'dir');
      const pool = kind === 'threads' ? new ThreadPoolExecutor({ maxWorkers: 2 }) : new ProcessPoolExecutor({ maxWorkers: 2 });
      try {
        for (let i = 0; i < 4; i++) await pool.submit(tasks.step, b, N);
        const fs = Array.from({ length: N }, (_, i) => pool.submit(tasks.step, b, i, 'spin', Math.random() < 0.1 ? 1 : 0));
        const order = fs.map((_, i) => i).sort(() => Math.random() - 0.5);
        // What the pool knew at each cancel: queued (never sent), or sent and not started.
        const unstartedAtCancel: { i: number; rec: any; seq: number; w: any }[] = [];
        let cancelled = 0;
        for (const i of order.slice(0, Math.floor(N * 0.3))) {
          if (Math.random() < 0.5) await new Promise((r) => setImmediate(r));
          const f = fs[i]!;
          const rec = slotOf<any>(f as any);
          if (f.cancel()) {
            cancelled++;
            unstartedAtCancel.push({ i, rec, seq: rec?.seq ?? -1, w: rec?.w });
          }
        }
        const outcomes = await guard(Promise.all(fs.map(settle)), 'every future settles', 120_000);
        let checked = 0;
        for (const { i, seq, w } of unstartedAtCancel) {
          assert.ok(fs[i]!.cancelled(), `task ${i} cancelled`);
          const o = outcomes[i]!;
          assert.ok(!o.ok && o.e instanceof CancelledError);
          // Not sent at all, or the worker said it had not started it: it must never run.
          let notStarted: boolean | undefined;
          if (w === undefined) notStarted = true;
          else if (kind === 'threads')
            notStarted = undefined; // checked below through the ring
          else {
            const answer = (w as any).cancelAnswers?.get(seq);
            notStarted = answer === undefined ? undefined : answer <= seq;
          }
          if (kind === 'threads' && w !== undefined) notStarted = !w.mayHaveStarted({ seq });
          if (notStarted) {
            checked++;
            assert.equal(get(b, i), 0, `task ${i} was cancelled before it started, yet it ran`);
          }
        }
        for (let i = 0; i < N; i++) {
          assert.ok(get(b, i) <= 1, `task ${i} ran ${get(b, i)} times`);
          const o = outcomes[i]!;
          if (!fs[i]!.cancelled()) assert.ok(o.ok && o.v === i, `task ${i}: ${o.ok ? o.v : String(o.e)}`);
        }
        console.log(`# ${kind}: ${cancelled} cancels; ${checked} known not started at cancel time, none of which ran`);
        assert.ok(checked > 0, 'some cancels caught tasks before they started');
        assert.equal(await guard(pool.submit(tasks.step, b, N), 'the pool works afterwards'), N);
      } finally {
        await guard(pool.shutdown({ cancelFutures: true }), 'shutdown');
        disposeBoard(b);
      }
    });
  }
});
