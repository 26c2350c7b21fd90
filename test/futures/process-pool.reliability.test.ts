/**
 * ProcessPoolExecutor under fire: children SIGKILLed at random moments while
 * 1000 tasks run; the lifetime of children (no zombies or orphans after
 * shutdown or after the parent is killed; an idle pool lets the parent exit).
 *
 * Exactly-once is observed through a file each task appends its index to.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { ProcessPoolExecutor, WorkerCrashedError } from 'weft';
import tasks from '../fixtures/mp-tasks.mjs';
import { guard, until, installExitGuard, shutdownQuietly, describeErr } from '../contracts/helpers.ts';
import { runChild } from '../contracts/child.ts';
import { gone } from '../multiprocessing/_helpers.ts';

installExitGuard();

const parentScript = fileURLToPath(new URL('../fixtures/mp-parent.mjs', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ProcessPoolExecutor reliability', { timeout: 120_000 }, () => {
  it('1000 tasks over 2 children while a third of the children are SIGKILLed: all settle, none runs twice, the pool ends healthy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-rel-'));
    dirs.push(dir);
    const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
    const seen = new Set<number>();
    const killed = new Set<number>();
    const timers: NodeJS.Timeout[] = [];
    let rnd = 12345;
    const random = () => {
      rnd = (rnd * 1103515245 + 12345) % 2147483648;
      return rnd / 2147483648;
    };
    try {
      const N = 1000;
      const fs = Array.from({ length: N }, (_, i) => pool.submit(tasks.recordSlow, dir, i, i % 7 === 0 ? 2 : 0));
      for (const f of fs) {
        f.then(
          (pid) => {
            if (seen.has(pid)) return;
            seen.add(pid);
            // The first child, and a third of the others, die at a random moment.
            if (seen.size === 1 || random() < 1 / 3) {
              timers.push(
                setTimeout(
                  () => {
                    try {
                      process.kill(pid, 'SIGKILL');
                      killed.add(pid);
                    } catch {
                      /* gone */
                    }
                  },
                  Math.floor(random() * 60),
                ),
              );
            }
          },
          () => {},
        );
      }
      const outcomes = await guard(Promise.allSettled(fs), '1000 futures to settle', 90_000);
      const counts = new Map<number, number>();
      for (const line of readFileSync(join(dir, 'done.log'), 'utf8').split('\n')) {
        if (line) counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
      }
      let ok = 0,
        crashed = 0;
      outcomes.forEach((o, i) => {
        const c = counts.get(i) ?? 0;
        assert.ok(c <= 1, `task ${i} ran ${c} times`);
        if (o.status === 'fulfilled') {
          ok++;
          assert.equal(c, 1, `task ${i} finished, so it ran exactly once`);
        } else {
          crashed++;
          assert.ok(o.reason instanceof WorkerCrashedError, `task ${i}: ${describeErr(o.reason)}`);
          assert.equal((o.reason as WorkerCrashedError).signal, 'SIGKILL');
        }
      });
      console.log(`# ${killed.size} of ${seen.size} children killed; ${ok} tasks finished, ${crashed} failed with WorkerCrashedError`);
      assert.ok(killed.size >= 1, 'at least one child was killed');
      assert.equal(ok + crashed, N);
      assert.ok(ok > 0);
      // Healthy afterwards.
      assert.deepEqual(await guard(Promise.all([pool.submit(tasks.add, 1, 1), pool.submit(tasks.add, 2, 2)]), 'after'), [2, 4]);
      const st = pool.stats();
      assert.equal(st.completed + st.failed, N + 2);
      assert.ok(st.workers <= 2);
    } finally {
      for (const t of timers) clearTimeout(t);
      await shutdownQuietly(pool);
    }
  });

  it('after shutdown no child is left (no zombie, no orphan)', async () => {
    const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
    let pids: number[] = [];
    try {
      const dir = mkdtempSync(join(tmpdir(), 'weft-sd-'));
      dirs.push(dir);
      pids = await guard(Promise.all([pool.submit(tasks.recordSlow, dir, 0, 50), pool.submit(tasks.pid)]), 'pids');
      await guard(pool.shutdown(), 'shutdown');
      for (const pid of new Set(pids)) assert.ok(gone(pid), `child ${pid} is gone after shutdown`);
      // Ours are reaped too: not even a zombie.
      for (const pid of new Set(pids)) assert.throws(() => process.kill(pid, 0), `child ${pid} has been reaped`);
    } finally {
      await shutdownQuietly(pool);
    }
  });

  it('children do not outlive a parent killed with SIGKILL (pool children and Processes)', async () => {
    const parent = spawn(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), parentScript, 'orphans'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    parent.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<void>((r) => parent.once('exit', () => r()));
    try {
      await until(() => out.includes('\n'), 'the parent to print its children', 30_000);
      const { pids } = JSON.parse(out.split('\n')[0]!) as { pids: number[] };
      assert.equal(pids.length, 4);
      for (const pid of pids) assert.ok(!gone(pid), `child ${pid} runs`);
      parent.kill('SIGKILL');
      await guard(exited, 'parent exit');
      await until(() => pids.every(gone), `children ${pids} to be gone after the parent was killed`, 10_000);
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    }
  });

  it('children stuck in a synchronous loop do not outlive a parent killed with SIGTERM (pool child, daemon and non-daemon Process)', async () => {
    // No exit hook of the parent runs, and a child whose main thread is stuck never sees its
    // IPC channel close: the watchdog thread of process-entry.ts must end it.
    const dir = mkdtempSync(join(tmpdir(), 'weft-stuck-'));
    dirs.push(dir);
    const parent = spawn(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), parentScript, 'stuck', dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    parent.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<void>((r) => parent.once('exit', () => r()));
    let pids: number[] = [];
    try {
      await until(() => out.includes('\n'), 'the parent to print its stuck children', 30_000);
      pids = (JSON.parse(out.split('\n')[0]!) as { pids: number[] }).pids;
      assert.equal(pids.length, 3);
      for (const pid of pids) assert.ok(!gone(pid), `child ${pid} runs`);
      parent.kill('SIGTERM');
      await guard(exited, 'parent exit');
      assert.equal(parent.signalCode, 'SIGTERM', 'the parent was killed by the signal (no exit hook ran)');
      await until(
        () => pids.every(gone),
        () => `children ${pids.filter((p) => !gone(p))} to be gone after the parent was killed`,
        10_000,
      );
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      for (const pid of pids)
        if (!gone(pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
    }
  });

  it('an idle pool lets the parent exit; a busy one keeps it alive until the task is done', async () => {
    const args = process.execArgv.filter((a) => !a.startsWith('--test'));
    const idle = await runChild(process.execPath, [...args, parentScript, 'idle'], { timeoutMs: 30_000 });
    assert.equal(idle.killed, false, 'the parent exited by itself');
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /result 3/);
    const busy = await runChild(process.execPath, [...args, parentScript, 'busy'], { timeoutMs: 30_000 });
    assert.equal(busy.code, 0, busy.stderr);
    assert.match(busy.stdout, /result late result/);
  });
});
