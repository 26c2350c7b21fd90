/**
 * ClusterExecutor under failure: Redis restarted (empty, no persistence) under
 * load, and 2000 tasks while worker nodes are SIGKILLed and restarted at random.
 * The claims: every future settles, exactly once, with the right result or an
 * error that says what happened; no future is left pending.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterExecutor } from 'weft/cluster';
import type { Future } from 'weft/futures';
import tasks from '../fixtures/tasks.mjs';
import { guard, describeErr, until } from '../contracts/helpers.ts';
import { RedisServer, WorkerProc, requireRedis, stopAll, suite } from './_cluster.ts';

let redis: RedisServer;
const executors: ClusterExecutor[] = [];

/** Counts how many times each future settles. */
function settleCounts(fs: Future<unknown>[]): number[] {
  const counts = fs.map(() => 0);
  fs.forEach((f, i) => {
    f.addDoneCallback(() => counts[i]!++);
  });
  return counts;
}

describe('ClusterExecutor under failure', suite(150_000), () => {
  before(async () => {
    requireRedis();
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const ex of executors) await guard(ex.shutdown({ cancelFutures: true }), 'cleanup', 10_000).catch(() => {});
    await stopAll();
  });

  it('Redis restarted under load: every future settles; jobs it lost run again (maxRetries) or fail saying so', async () => {
    await Promise.all([1, 2].map(() => WorkerProc.start(redis.url, { queue: 'r', workers: 2, lockDuration: 2000 })));
    const ex = new ClusterExecutor({ connection: redis.url, queue: 'r', lockDuration: 2000 });
    const ex0 = new ClusterExecutor({ connection: redis.url, queue: 'r', lockDuration: 2000, maxRetries: 0 });
    executors.push(ex, ex0);
    const fs = Array.from({ length: 300 }, (_, i) => ex.submit(tasks.after, [10, i]));
    // Queued behind those (so lost in the restart): submitted once the first result is in,
    // so the two clients' first batches cannot reach Redis in the other order.
    await guard(fs[0]!, 'the first result', 20_000);
    const fs0 = Array.from({ length: 100 }, (_, i) => ex0.submit(tasks.after, [10, i]));
    const counts = settleCounts([...fs, ...fs0]);
    // Restart once part of the work is done.
    for (let t = 0; fs.filter((f) => f.done()).length < 60; t++) {
      assert.ok(t < 400, 'tasks make progress before the restart');
      await new Promise((r) => setTimeout(r, 25));
    }
    await redis.restart(300);
    const [outcomes, outcomes0] = await guard(
      Promise.all([Promise.allSettled(fs), Promise.allSettled(fs0)]),
      'every future after the restart',
      40_000,
    );
    // maxRetries 1 (the default): a job Redis lost is added again by its client and runs.
    outcomes.forEach((o, i) => {
      assert.deepEqual(o, { status: 'fulfilled', value: i }, `task ${i}`);
    });
    // maxRetries 0: it fails with an error that says the job was lost.
    let lost = 0;
    outcomes0.forEach((o, i) => {
      if (o.status === 'fulfilled') assert.equal(o.value, i, `task ${i}: the right result`);
      else {
        assert.match(String((o.reason as Error)?.message), /the job was lost/, `task ${i}: ${describeErr(o.reason)}`);
        lost++;
      }
    });
    assert.ok(lost > 0, 'with maxRetries 0, jobs queued during the restart are reported lost');
    assert.deepEqual(
      counts.filter((c) => c !== 1),
      [],
      'each future settled exactly once',
    );
    console.log(`# after the restart: 300 results (jobs added again), ${lost} of 100 lost with maxRetries 0`);
    // The nodes reconnected and announce themselves again: new work runs.
    const again = await guard(
      Promise.all(Array.from({ length: 20 }, (_, i) => ex.submit(tasks.add, i, 1))),
      'work after the restart',
      20_000,
    );
    assert.deepEqual(
      again,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('2000 tasks while nodes are SIGKILLed and restarted at random: each future settles once, with the right result', async () => {
    const opts = { queue: 'k', workers: 2, lockDuration: 1500 };
    const nodes = await Promise.all([1, 2, 3].map(() => WorkerProc.start(redis.url, opts)));
    const ex = new ClusterExecutor({ connection: redis.url, queue: 'k', lockDuration: 1500, maxRetries: 20 });
    executors.push(ex);
    const N = 2000;
    const fs = Array.from({ length: N }, (_, i) => ex.submit(tasks.after, [i % 7 === 0 ? 15 : 1, i * 3]));
    const counts = settleCounts(fs);
    const all = Promise.allSettled(fs);
    let stop = false;
    let kills = 0;
    const chaos = (async () => {
      // A fixed seed: the same "random" schedule on every run.
      let seed = 42;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      while (!stop && kills < 6) {
        await new Promise((r) => setTimeout(r, 300 + rand() * 500));
        if (stop) break;
        const victim = Math.floor(rand() * nodes.length);
        await nodes[victim]!.stop();
        kills++;
        nodes[victim] = await WorkerProc.start(redis.url, opts);
      }
    })();
    const outcomes = await guard(all, `2000 futures with ${kills} kills so far`, 90_000);
    stop = true;
    await chaos;
    const wrong = outcomes
      .map((o, i) =>
        o.status === 'fulfilled' && o.value === i * 3 ? undefined : `${i}: ${o.status === 'fulfilled' ? o.value : describeErr(o.reason)}`,
      )
      .filter((x) => x !== undefined);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} futures without their result`);
    assert.deepEqual(
      counts.filter((c) => c !== 1),
      [],
      'each future settled exactly once',
    );
    assert.ok(kills >= 1, 'at least one node was killed while tasks ran');
    console.log(`# ${N} tasks, ${kills} nodes killed and restarted`);
  });

  it('a node whose Redis is gone still stops on SIGTERM (its running task cannot report; another node re-runs it later)', async () => {
    const own = await RedisServer.start();
    const n = await WorkerProc.start(own.url, { queue: 'gone', workers: 1 });
    const ex = new ClusterExecutor({ connection: own.url, queue: 'gone' });
    executors.push(ex);
    const f = ex.submit(tasks.sleep, 60_000, 'never');
    await until(() => f.running(), 'the task to start');
    await own.stop('SIGKILL');
    n.kill('SIGTERM');
    const [code] = await guard(n.exited(), 'the node to exit without Redis', 15_000);
    assert.equal(code, 0);
    assert.match(n.stderr, /unreachable; stopping without it/);
    f.cancel();
  });
});
