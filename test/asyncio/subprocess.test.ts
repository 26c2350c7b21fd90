/**
 * createSubprocessExec (asyncio's subprocess): pipes as streams, wait, communicate,
 * terminate, kill; cancelling the awaiting task stops the child (SIGTERM, then SIGKILL
 * after killGrace); no child outlives its program. Every child is stopped by PID in after().
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CancelledError, TimeoutError, allTasks, createSubprocessExec, createTask, run, sleep, timeout } from 'weft/asyncio';
import type { Subprocess } from 'weft/asyncio';

const node = process.execPath;
const pids = new Set<number>();
const spawned = async (...a: Parameters<typeof createSubprocessExec>): Promise<Subprocess> => {
  const p = await createSubprocessExec(...a);
  pids.add(p.pid);
  return p;
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
after(() => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A child that ignores SIGTERM and says "ready" on stdout once it does. */
const STUBBORN = 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000);';

async function readLine(s: AsyncIterable<Uint8Array>): Promise<string> {
  let acc = '';
  for await (const chunk of s) {
    acc += text(chunk);
    if (acc.includes('\n')) break;
  }
  return acc.trim();
}

describe('createSubprocessExec', { timeout: 60_000 }, () => {
  it('communicate: input to stdin, stdout and stderr back, returncode', async () => {
    const p = await spawned(node, ['-e', 'process.stdin.pipe(process.stdout); process.stderr.write("e"); process.exitCode = 3'], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    assert.equal(p.returncode, null);
    const r = await p.communicate('hello');
    assert.equal(text(r.stdout), 'hello');
    assert.equal(text(r.stderr), 'e');
    assert.equal(p.returncode, 3);
    assert.equal(await p.wait(), 3);
  });

  it('streams: write to stdin, read stdout with for await', async () => {
    const p = await spawned(node, ['-e', 'process.stdin.on("data", (d) => process.stdout.write(String(d).toUpperCase()))'], {
      stdin: 'pipe',
      stdout: 'pipe',
    });
    const w = p.stdin!.getWriter();
    await w.write(new TextEncoder().encode('abc\n'));
    assert.equal(await readLine(p.stdout!), 'ABC');
    await w.close();
    assert.equal(await p.wait(), 0);
  });

  it('terminate() and kill(): returncode is minus the signal number', async () => {
    const a = await spawned(node, ['-e', 'setInterval(() => {}, 1000)']);
    a.terminate();
    assert.equal(await a.wait(), -15);
    const b = await spawned(node, ['-e', STUBBORN], { stdout: 'pipe' });
    assert.equal(await readLine(b.stdout!), 'ready');
    b.kill();
    assert.equal(await b.wait(), -9);
    b.kill(); // exited: nothing
  });

  it('cancelling the task awaiting wait() terminates the child, then kills it after killGrace', async () => {
    const p = await spawned(node, ['-e', STUBBORN], { stdout: 'pipe', killGrace: 100 });
    assert.equal(await readLine(p.stdout!), 'ready');
    const t = createTask(() => p.wait());
    await sleep(5);
    t.cancel();
    await assert.rejects(t.asPromise(), CancelledError);
    assert.equal(alive(p.pid), true, 'it ignores SIGTERM: still alive during the grace period');
    const t2 = createTask(() => p.wait()); // another waiter sees the end
    assert.equal(await t2, -9);
    assert.equal(alive(p.pid), false);
  });

  it('a timeout around communicate() stops the child too', async () => {
    const p = await spawned(node, ['-e', 'setInterval(() => {}, 1000)'], { stdout: 'pipe' });
    await assert.rejects(
      timeout(50, () => p.communicate()),
      TimeoutError,
    );
    assert.equal(await p.wait(), -15);
  });

  it('bad input is a clear error; a missing program rejects with ENOENT', async () => {
    await assert.rejects(createSubprocessExec(node, ['-e', '1'], { stdout: 'piped' as never }), /did you mean "pipe"/);
    await assert.rejects(createSubprocessExec(node, ['-e', '1'], { stdot: 'pipe' } as never), /did you mean "stdout"/);
    await assert.rejects(createSubprocessExec(node, [5 as never]), TypeError);
    await assert.rejects(createSubprocessExec('/no/such/program-weft'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    const p = await spawned(node, ['-e', '1']);
    await assert.rejects(p.communicate('x'), /stdin: 'pipe'/);
    await p.wait();
  });

  it('no child outlives its program', () => {
    const entry = fileURLToPath(new URL('../../dist/asyncio/index.js', import.meta.url));
    const script = `
      const { createSubprocessExec } = await import(${JSON.stringify(entry)});
      const p = await createSubprocessExec(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      console.log(p.pid);
      process.exit(0);
    `;
    const r = spawnSync(node, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    const pid = Number(r.stdout.trim());
    assert.ok(pid > 0, r.stderr);
    pids.add(pid);
    const deadline = Date.now() + 5000;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (alive(pid) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 20);
    assert.equal(alive(pid), false, 'the child was killed when its parent exited');
  });
});

describe('allTasks()', { timeout: 30_000 }, () => {
  it('is the set of tasks not yet done', async () => {
    await run(
      async () => {
        const t = createTask(() => sleep(10_000));
        const all = allTasks();
        assert.ok(all.has(t));
        assert.ok([...all].some((x) => x.name === 'main'));
        t.cancel();
        await t.asPromise().catch(() => {});
        assert.equal(allTasks().has(t), false);
        const pending = createTask(() => 1);
        assert.ok(allTasks().has(pending), 'created, not started yet: not done');
        await pending;
        assert.equal(allTasks().has(pending), false);
      },
      { handleSignals: false },
    );
  });
});
