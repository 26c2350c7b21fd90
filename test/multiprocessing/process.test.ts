/**
 * multiprocessing Process and currentProcess: start/join/terminate/kill,
 * exit codes as in Python, names, daemon and non-daemon lifetimes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Process, Queue, currentProcess, cpuCount } from 'weft/multiprocessing';
import { InvalidStateError, TaskDefinitionError } from 'weft';
import tasks from '../fixtures/mp-tasks.mjs';
import { guard, installExitGuard, until } from '../contracts/helpers.ts';
import { gone } from './_helpers.ts';
import { runChild } from '../contracts/child.ts';

installExitGuard();
const parentScript = fileURLToPath(new URL('../fixtures/mp-parent.mjs', import.meta.url));
const nodeArgs = process.execArgv.filter((a) => !a.startsWith('--test'));

describe('multiprocessing Process', { timeout: 120_000 }, () => {
  it('runs a TaskRef target with args in a child; join resolves with exit code 0', async () => {
    const q = new Queue<string>();
    const p = new Process(tasks.greet, { args: [q, 'there'], name: 'greeter' });
    assert.equal(p.pid, undefined);
    assert.equal(p.isAlive(), false);
    assert.equal(p.exitCode, null);
    p.start();
    try {
      assert.equal(typeof p.pid, 'number');
      assert.equal(await guard(q.get(), 'greeting'), 'hello there from greeter');
      assert.equal(await guard(p.join(), 'join'), 0);
      assert.equal(p.exitCode, 0);
      assert.equal(p.isAlive(), false);
      assert.equal(await p.join(), 0, 'join again resolves at once');
    } finally {
      p.kill();
    }
  });

  it('a target that throws prints the error on the child stderr and exits with code 1', async () => {
    const p = new Process(tasks.fail, { args: ['target failed'] });
    p.start();
    assert.equal(await guard(p.join(), 'join'), 1);
    const inline = new Process(
      (x: number) => {
        if (x > 0) throw new TypeError(`bad ${x}`);
      },
      { args: [5] },
    );
    inline.start();
    assert.equal(await guard(inline.join(), 'join inline'), 1);
    const fine = new Process((x: number) => x * 2, { args: [5] });
    fine.start();
    assert.equal(await guard(fine.join(), 'join fine'), 0);
  });

  it('the error printed by a failing target reaches stderr; what the target writes reaches stdout', async () => {
    const r = await runChild(
      process.execPath,
      [
        ...nodeArgs,
        '--input-type=module',
        '-e',
        `
      import { Process } from 'weft/multiprocessing';
      import tasks from ${JSON.stringify(new URL('../fixtures/mp-tasks.mjs', import.meta.url).href)};
      const a = new Process(tasks.writeOut, { args: ['from the child\\n'] }); a.start(); await a.join();
      const b = new Process(tasks.fail, { args: ['shown on stderr'], name: 'Failing' }); b.start();
      console.log('code', await b.join());
    `,
      ],
      { timeoutMs: 30_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    assert.match(r.stdout, /from the child/);
    assert.match(r.stdout, /code 1/);
    assert.match(r.stderr, /Process Failing:/);
    assert.match(r.stderr, /RangeError: shown on stderr/);
  });

  it('process.exit(n) in the target gives exit code n', async () => {
    const p = new Process(tasks.exit, { args: [5] });
    p.start();
    assert.equal(await guard(p.join(), 'join'), 5);
  });

  it('join({ timeout }) resolves null while it runs; terminate() gives -15, kill() gives -9', async () => {
    const a = new Process(tasks.sleepForever);
    const b = new Process(tasks.sleepForever);
    a.start();
    b.start();
    try {
      assert.equal(await guard(a.join({ timeout: 50 }), 'join timeout'), null);
      assert.equal(a.isAlive(), true);
      a.terminate();
      b.kill();
      assert.equal(await guard(a.join(), 'join a'), -15);
      assert.equal(await guard(b.join(), 'join b'), -9);
      assert.equal(a.exitCode, -15);
      a.terminate(); // no-op once ended
    } finally {
      a.kill();
      b.kill();
    }
  });

  it('currentProcess() names the main process and the child; cpuCount() is a positive integer', async () => {
    assert.deepEqual(currentProcess(), { name: 'MainProcess', pid: process.pid });
    const q = new Queue<string>();
    const p = new Process(tasks.greet, { args: [q, 'x'] });
    assert.match(p.name, /^Process-\d+$/);
    p.start();
    assert.equal(await guard(q.get(), 'name'), `hello x from ${p.name}`);
    await guard(p.join(), 'join');
    assert.ok(Number.isInteger(cpuCount()) && cpuCount() >= 1);
  });

  it('misuse: start twice, join before start, bad target or options', async () => {
    const p = new Process(tasks.add, { args: [1, 2] });
    await assert.rejects(p.join(), InvalidStateError);
    p.start();
    assert.throws(() => p.start(), InvalidStateError);
    assert.throws(() => {
      p.daemon = true;
    }, InvalidStateError);
    await guard(p.join(), 'join');
    assert.throws(() => new Process(42 as any), /TaskRef or a function, got 42/);
    assert.throws(() => new Process(tasks.add, { args: 'x' as any }), TypeError);
    assert.throws(() => new Process(tasks.add, { daemon: 'yes' as any }), TypeError);
    assert.throws(() => new Process(tasks.add, { execArgv: [1] as any }), TypeError);
    assert.throws(() => new Process(Math.max), TaskDefinitionError);
    const unsendable = new Process(tasks.echo, { args: [{ nested: () => 1 }] });
    assert.throws(
      () => unsendable.start(),
      (e: any) => e instanceof TypeError && /Argument 1/.test(e.message),
    );
    assert.equal(unsendable.pid, undefined, 'no child was started');
    // Python's timeouts: a negative one does not wait (the process has ended: its code at once).
    assert.equal(await p.join({ timeout: -1 }), 0);
    await assert.rejects(p.join({ timeout: '5' as any }), TypeError);
    await assert.rejects(p.join({ timout: 5 } as any), /unknown option "timout" \(did you mean "timeout"\?\)/);
  });

  it('a non-daemon Process keeps the parent alive until it ends (the parent waits for it)', async () => {
    const r = await runChild(process.execPath, [...nodeArgs, parentScript, 'nondaemon'], { timeoutMs: 30_000 });
    assert.equal(r.killed, false);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /parent done/);
    assert.match(r.stdout, /child wrote/);
  });

  it('a daemon Process does not keep the parent alive', async () => {
    const r = await runChild(
      process.execPath,
      [
        ...nodeArgs,
        '--input-type=module',
        '-e',
        `
      import { Process } from 'weft/multiprocessing';
      import tasks from ${JSON.stringify(new URL('../fixtures/mp-tasks.mjs', import.meta.url).href)};
      const p = new Process(tasks.sleepForever, { daemon: true }); p.start();
      console.log('pid', p.pid);
    `,
      ],
      { timeoutMs: 30_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    assert.equal(r.killed, false, 'the parent exited although its daemon child sleeps forever');
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1]);
    await until(() => gone(pid), `the daemon child ${pid} to die with its parent`, 10_000);
  });
});
