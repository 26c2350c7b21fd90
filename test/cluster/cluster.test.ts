/**
 * ClusterExecutor beyond the shared contract: values and errors over the wire,
 * payload limits, unknown tasks, cancel of waiting and running tasks, timeouts,
 * lost nodes (SIGKILL), graceful and forced SIGTERM, Redis unreachable,
 * noWorkersTimeout, idle exit, `weft cluster status`, and importing weft/cluster
 * without bullmq. A real redis-server and `weft worker` child processes.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ClusterExecutor } from 'weft/cluster';
import { CancelledError, TimeoutError, TaskDefinitionError, WorkerCrashedError, BrokenExecutorError } from 'weft';
import tasks from '../fixtures/tasks.mjs';
import other from '../fixtures/cluster/other.mjs';
import { makeBoard, disposeBoard, get, set, waitFor, type Board } from '../fixtures/board.mjs';
import { guard, rejectsWith, until } from '../contracts/helpers.ts';
import { CLI, ROOT, RedisServer, WorkerProc, exited, freePort, requireRedis, stopAll, suite } from './_cluster.ts';

let redis: RedisServer;
const executors = new Set<ClusterExecutor>();
const boards: Board[] = [];

function exec(o: Partial<ConstructorParameters<typeof ClusterExecutor>[0]> = {}): ClusterExecutor {
  const ex = new ClusterExecutor({ connection: redis.url, queue: 'main', lockDuration: 2000, ...o });
  executors.add(ex);
  return ex;
}
function board(n: number): Board {
  const b = makeBoard(n, 'dir');
  boards.push(b);
  return b;
}

/** Runs `weft ARGS` to completion. */
function cli(args: string[], ms = 30_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: ms });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ClusterExecutor on a real redis-server', suite(150_000), () => {
  before(async () => {
    requireRedis();
    redis = await RedisServer.start();
    await Promise.all([
      WorkerProc.start(redis.url, { queue: 'main', workers: 1, lockDuration: 2000, cancelGrace: 200 }),
      WorkerProc.start(redis.url, { queue: 'main', workers: 1, lockDuration: 2000, cancelGrace: 200 }),
    ]);
  });
  after(async () => {
    for (const ex of executors) await guard(ex.shutdown({ cancelFutures: true }), 'cleanup shutdown', 10_000).catch(() => {});
    for (const b of boards) disposeBoard(b);
    await stopAll();
  });

  describe('values and errors', () => {
    it('values survive as v8 serializes them: Map, Set, Date, BigInt, typed arrays, undefined, a 1.1 MB Buffer', async () => {
      const ex = exec();
      const value = {
        map: new Map<unknown, unknown>([
          ['a', 1],
          [2, new Set([1, 2])],
        ]),
        set: new Set(['x']),
        date: new Date(1_700_000_000_000),
        big: 2n ** 70n,
        f64: new Float64Array([1.5, -0]),
        u8: new Uint8Array([1, 2, 3]),
        undef: undefined,
        nested: [undefined, null, { deep: [NaN, Infinity] }],
        re: /a+b/gi,
      };
      assert.deepEqual(await guard(ex.submit(tasks.echo, value), 'echo'), value);
      const buf = Buffer.alloc(1_100_000, 7);
      const back = (await guard(ex.submit(tasks.echo, buf), 'echo buffer')) as Uint8Array;
      assert.equal(back.byteLength, 1_100_000);
      assert.equal(back[1_099_999], 7);
      assert.deepEqual(await guard(ex.submit(tasks.args, 1, undefined, 'three'), 'args'), [1, undefined, 'three']);
    });

    it('errors keep class, message, remote stack, cause and own properties', async () => {
      const ex = exec();
      const err = await rejectsWith(ex.submit(tasks.fail, 'bad thing'), RangeError, 'fail', /^bad thing$/);
      assert.equal((err as any).code, 'E_TEST');
      assert.deepEqual((err as any).details, { attempt: 3, tags: ['a', 'b'] });
      assert.match(String(err.stack), /tasks\.mjs/, 'the remote stack names the task module');
      assert.ok(err.cause instanceof Error && err.cause.message === 'inner', 'cause kept');
      const custom = await rejectsWith(ex.submit(tasks.failCustom, 'unexpected'), Error, 'custom');
      assert.equal(custom.name, 'ParseError');
      assert.equal((custom as any).line, 42);
      await rejectsWith(ex.submit(tasks.failType, 'tt'), TypeError, 'TypeError');
    });

    it('maxPayload: arguments over it fail at submit; a result over it fails on the node', async () => {
      const ex = exec({ maxPayload: 64 * 1024 });
      await rejectsWith(ex.submit(tasks.echo, Buffer.alloc(100_000)), RangeError, 'big argument', /maxPayload/);
      await rejectsWith(ex.submit(tasks.makeBuffer, 100_000), RangeError, 'big result', /maxPayload/);
      assert.equal(await guard(ex.submit(tasks.add, 1, 2), 'small'), 3);
    });

    it('an inline function is a TypeError that says no code goes over the wire', async () => {
      const ex = exec();
      await rejectsWith(
        ex.submit((x: number) => x, 1),
        TypeError,
        'inline',
        /task module/,
      );
    });

    it('a task no live node serves fails with TaskDefinitionError listing what the nodes serve', async () => {
      const ex = exec();
      const err = await rejectsWith(ex.submit(other.nope), TaskDefinitionError, 'unknown task', /cluster\/other\.mjs#nope/);
      assert.match(err.message, /weft\/test\/fixtures\/tasks\.mjs#add/, 'lists the tasks served');
      assert.equal(await guard(ex.submit(tasks.add, 2, 2), 'after'), 4);
    });

    it('map batches many items per job and keeps them in order', async () => {
      const ex = exec();
      const items = Array.from({ length: 20_000 }, (_, i) => i);
      const out = await guard(ex.map(tasks.square, items), 'map');
      assert.equal(out.length, items.length);
      for (let i = 0; i < items.length; i += 997) assert.equal(out[i], i * i);
      assert.ok(ex.stats().submitted < items.length / 20, `chunks: ${ex.stats().submitted} jobs for ${items.length} items`);
    });
  });

  describe('cancel and timeout', () => {
    it('cancelling a waiting task removes its job: it never runs', async () => {
      const ex = exec();
      const b = board(8);
      const gates = [0, 1].map((g) => ex.submit(tasks.gate, { board: b, gate: g, started: 2 + g, value: g }));
      await waitFor(b, 2, 1, { what: 'first gate to start' });
      await waitFor(b, 3, 1, { what: 'second gate to start' });
      const waiting = ex.submit(tasks.mark, { board: b, i: 5 });
      await new Promise((r) => setTimeout(r, 100)); // let the job reach Redis
      assert.equal(waiting.cancel(), true);
      assert.equal(waiting.cancelled(), true, 'cancelled at once');
      set(b, 0, 1);
      set(b, 1, 1);
      assert.deepEqual(await guard(Promise.all(gates), 'gates'), [0, 1]);
      assert.equal(await guard(ex.submit(tasks.mark, { board: b, i: 6 }), 'next'), 6);
      assert.equal(get(b, 5), 0, 'the cancelled task never ran');
    });

    it('cancelling a running task aborts its currentSignal() on its node; the future is cancelled at once', async () => {
      const ex = exec();
      const b = board(4);
      const f = ex.submit(tasks.gate, { board: b, gate: 0, started: 1, aborted: 2 });
      await waitFor(b, 1, 1, { what: 'gate to start' });
      await until(() => f.running(), 'future running');
      f.cancel();
      assert.equal(f.state, 'cancelled');
      await rejectsWith(f, CancelledError, 'cancelled future');
      await waitFor(b, 2, 1, { what: 'the task to see its signal abort' });
      assert.equal(await guard(ex.submit(tasks.add, 1, 1), 'after cancel'), 2);
    });

    it('a running task that ignores its signal is terminated after cancelGrace; its node goes on', async () => {
      const ex = exec();
      const b = board(2);
      const f = ex.submit(tasks.spinMarked, b, 0);
      await waitFor(b, 0, 1, { what: 'spin to start' });
      await until(() => f.running(), 'future running');
      f.cancel();
      const results = await guard(Promise.all([1, 2, 3, 4].map((i) => ex.submit(tasks.add, i, i))), 'later tasks');
      assert.deepEqual(results, [2, 4, 6, 8]);
    });

    it('timeout counts on the node from the start; a stuck task past it fails with TimeoutError', async () => {
      const ex = exec();
      await rejectsWith(ex.run(tasks.sleep, [5000, 'x'], { timeout: 150 }), TimeoutError, 'sleep timeout');
      await rejectsWith(ex.run(tasks.spin, [5000], { timeout: 150 }), TimeoutError, 'spin timeout');
      assert.equal(await guard(ex.run(tasks.sleep, [20, 'ok'], { timeout: 5000 }), 'in time'), 'ok');
    });
  });

  describe('nodes, status and lost nodes', () => {
    it('nodes() lists the live nodes with what they serve', async () => {
      const ex = exec();
      const list = await guard(ex.nodes(), 'nodes');
      assert.equal(list.length, 2);
      for (const n of list) {
        assert.equal(typeof n.id, 'string');
        assert.equal(typeof n.pid, 'number');
        assert.equal(n.queue, 'main');
        assert.equal(n.workers, 1);
        assert.ok(n.tasks.includes('weft/test/fixtures/tasks.mjs#add'), 'serves the fixture tasks');
        assert.ok(n.tasks.includes('weft/test/fixtures/plain.mjs#double'), 'and the plain module exports');
        assert.match(n.version, /^\d+\.\d+\.\d+/);
        assert.ok(n.since <= Date.now());
      }
      assert.deepEqual(ex.stats().workers, 2);
    });

    it('weft cluster status shows the nodes and queue depths (text and --json)', () => {
      const json = cli(['cluster', 'status', '--connection', redis.url, '--queue', 'main', '--json']);
      assert.equal(json.code, 0, json.stderr);
      const st = JSON.parse(json.stdout);
      assert.equal(st.queue, 'main');
      assert.equal(st.nodes.length, 2);
      assert.equal(typeof st.counts.waiting, 'number');
      const text = cli(['cluster', 'status', '--connection', redis.url, '--queue', 'main']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /2 live nodes/);
      assert.match(text.stdout, /waiting \d+/);
      const none = cli(['cluster', 'status', '--connection', redis.url, '--queue', 'nobody']);
      assert.match(none.stdout, /no live worker node/);
      const bad = cli(['cluster', 'stats', '--connection', redis.url]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /did you mean 'status'/);
    });

    it('a SIGKILLed node: its running task runs again on another node and settles once', async () => {
      const a = await WorkerProc.start(redis.url, { queue: 'lost', workers: 1, lockDuration: 1500 });
      const ex = exec({ queue: 'lost', lockDuration: 1500 });
      const b = board(2);
      const f = ex.submit(tasks.markSleep, { board: b, i: 0, ms: 1500 });
      await waitFor(b, 0, 1, { what: 'the task to start on the first node' });
      let settled = 0;
      f.addDoneCallback(() => settled++);
      const killedAt = Date.now();
      await a.stop();
      await WorkerProc.start(redis.url, { queue: 'lost', workers: 1, lockDuration: 1500 });
      assert.equal(await guard(f, 'the re-run task', 20_000), 0);
      assert.equal(get(b, 0), 2, 'the body ran twice (at-least-once)');
      assert.equal(settled, 1, 'the future settled once');
      console.log(`# re-run settled ${Date.now() - killedAt} ms after the kill (lockDuration 1500)`);
    });

    it('maxRetries: a task whose node is lost more often fails with WorkerCrashedError', async () => {
      const ex = exec({ queue: 'lost', maxRetries: 0, lockDuration: 1500 });
      const b = board(2);
      const f = ex.submit(tasks.markSleep, { board: b, i: 0, ms: 20_000 });
      await waitFor(b, 0, 1, { what: 'the task to start' });
      let runner: { pid: number } | undefined;
      for (let i = 0; i < 100 && runner === undefined; i++) {
        runner = (await ex.nodes()).find((n) => n.busy > 0); // the heartbeat says who runs it
        if (runner === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(runner, 'a node reports the running task');
      process.kill(runner.pid, 'SIGKILL');
      await WorkerProc.start(redis.url, { queue: 'lost', workers: 1, lockDuration: 1500 });
      await rejectsWith(guard(f, 'crashed task', 20_000), WorkerCrashedError, 'maxRetries 0', /maxRetries 0/);
      assert.equal(get(b, 0), 1, 'not run again');
    });

    it('--backend processes: tasks run in child processes of the node', async () => {
      const n = await WorkerProc.start(redis.url, { queue: 'proc', workers: 2, backend: 'processes' });
      const ex = exec({ queue: 'proc' });
      const pids = new Set(await guard(Promise.all([1, 2, 3, 4].map(() => ex.submit(tasks.pid))), 'pids'));
      assert.ok(!pids.has(n.pid), 'not on the node process itself');
      assert.ok(pids.size >= 1 && pids.size <= 2, `at most 2 worker processes (got ${[...pids].join(', ')})`);
      const [node] = await ex.nodes();
      assert.equal(node?.backend, 'processes');
      await rejectsWith(ex.submit(tasks.fail, 'from a child'), RangeError, 'error from a child process', /from a child/);
    });

    it('SIGTERM drains: the running task finishes, the node exits 0 and leaves the registry', async () => {
      const n = await WorkerProc.start(redis.url, { queue: 'term', workers: 1 });
      const ex = exec({ queue: 'term' });
      const b = board(2);
      const f = ex.submit(tasks.markSleep, { board: b, i: 0, ms: 600 });
      await waitFor(b, 0, 1, { what: 'the task to start' });
      n.kill('SIGTERM');
      assert.equal(await guard(f, 'drained task'), 0);
      assert.deepEqual(await guard(n.exited(), 'node exit'), [0, null]);
      assert.deepEqual(await ex.nodes(), []);
      assert.match(n.stderr, /draining/);
    });

    it('a second signal puts the running task back in the queue: another node runs it', async () => {
      const n = await WorkerProc.start(redis.url, { queue: 'term', workers: 1 });
      const ex = exec({ queue: 'term' });
      const b = board(2);
      const f = ex.submit(tasks.markSleep, { board: b, i: 0, ms: 3000 });
      await waitFor(b, 0, 1, { what: 'the task to start' });
      n.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      n.kill('SIGTERM');
      assert.deepEqual(await guard(n.exited(), 'node exit'), [0, null]);
      await WorkerProc.start(redis.url, { queue: 'term', workers: 1 });
      assert.equal(await guard(f, 'task run by the next node', 15_000), 0);
      assert.equal(get(b, 0), 2);
    });
  });

  describe('Redis and the process', () => {
    it('Redis unreachable: a submit fails with an error naming the address', async () => {
      const port = await freePort();
      const ex = new ClusterExecutor({ connection: `redis://127.0.0.1:${port}` });
      executors.add(ex);
      await rejectsWith(
        ex.submit(tasks.add, 1, 2),
        Error,
        'unreachable',
        new RegExp(`Cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`),
      );
      await rejectsWith(ex.nodes(), Error, 'nodes() unreachable', /Cannot reach Redis/);
    });

    it('noWorkersTimeout: with no live node, pending futures fail with BrokenExecutorError', async () => {
      const ex = exec({ queue: 'empty', noWorkersTimeout: 300 });
      await rejectsWith(ex.submit(tasks.add, 1, 2), BrokenExecutorError, 'no workers', /noWorkersTimeout/);
    });

    it('an idle ClusterExecutor does not keep the process alive (even with Redis unreachable); a busy one does', async () => {
      const script = join(ROOT, 'test', 'fixtures', 'cluster', 'idle-exit.mjs');
      const nowhere = `redis://127.0.0.1:${await freePort()}`;
      for (const mode of ['idle', 'busy', 'unused', 'down']) {
        const url = mode === 'down' ? nowhere : redis.url;
        const child = spawn(process.execPath, [script, url, 'main', mode], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const [code, sig] = await exited(child);
        clearTimeout(timer);
        assert.equal(sig, null, `${mode}: the process exited by itself (it was killed after 15 s)`);
        assert.equal(code, 0, `${mode}: exit code`);
        if (mode === 'idle') assert.match(out, /result 5\nnodes 2/);
        if (mode === 'busy') assert.match(out, /done late/);
        if (mode === 'down') assert.match(out, /failed Cannot reach Redis/);
      }
    });

    it('importing weft/cluster without bullmq says which command installs it', () => {
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          join(ROOT, 'test', 'fixtures', 'cluster', 'no-bullmq.mjs'),
          '-e',
          "import('weft/cluster').catch((e) => console.log(e.message))",
        ],
        { encoding: 'utf8', cwd: ROOT, timeout: 20_000 },
      );
      assert.match(r.stdout, /npm install bullmq ioredis/, r.stderr);
      const plain = spawnSync(
        process.execPath,
        ['--import', join(ROOT, 'test', 'fixtures', 'cluster', 'no-bullmq.mjs'), '-e', "import('weft').then(() => console.log('ok'))"],
        { encoding: 'utf8', cwd: ROOT, timeout: 20_000 },
      );
      assert.match(plain.stdout, /ok/, `weft itself never loads bullmq: ${plain.stderr}`);
    });

    it('unknown options name the closest one', () => {
      assert.throws(() => new ClusterExecutor({ connection: redis.url, lock_duration: 5 } as any), /did you mean "lockDuration"/);
      assert.throws(() => new ClusterExecutor({} as any), /connection is required/);
      assert.throws(() => new ClusterExecutor({ connection: 'http://x' }), TypeError);
      const r = cli(['worker', '--connection', redis.url, '--workrs', '2', 'x.mjs']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /did you mean '--workers'/);
    });
  });
});
