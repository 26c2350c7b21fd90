/**
 * `weft demo`: the words follow the numbers. The verdicts are computed from the
 * measured runs, so a busy machine (slow threads, a sequential run that wins)
 * gets sentences that say so instead of the textbook lesson; runs are repeated
 * interleaved and the best kept; start-up is measured apart from the work.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ioVerdict } from '../../dist/cli/demo/io.js';
import { cpuVerdict } from '../../dist/cli/demo/cpu.js';
import { bestOf, measure, type Model, type Run } from '../../dist/cli/demo/common.js';
import { begin, finish } from '../../dist/cli/tasks/_stamp.js';

function run(model: Model, seconds: number, extra: Partial<Run> = {}): Run {
  return { model, seconds, speedup: 1, cpuSeconds: 0.1, cores: 0.1, workers: 1, tasks: 10, bars: [], ...extra };
}
/** Runs with speedups against the sequential one, as withSpeedups fills them. */
function workload(...runs: Run[]): Run[] {
  const base = runs.find((r) => r.model === 'sequential')!.seconds;
  for (const r of runs) r.speedup = base / r.seconds;
  return runs;
}

describe('weft demo verdicts', { timeout: 30_000 }, () => {
  it('io: threads that were no faster than sequential are not said to wait in parallel', () => {
    const text = ioVerdict(
      workload(
        run('sequential', 2.0),
        run('asyncio', 0.3),
        run('threads', 2.2, { startup: 1.6, workers: 8, cpuSeconds: 0.9, cores: 0.5 }),
        run('processes', 3.0, { startup: 2.1, workers: 8, cpuSeconds: 0.9 }),
      ),
    );
    assert.doesNotMatch(text, /wait in parallel too/);
    assert.match(text, /Threads were no faster than sequential \(0\.9×\)/);
    assert.match(text, /1\.60 s of its 2\.20 s went to starting 8 worker threads/);
    assert.match(text, /Verdict: asyncio for many I\/O waits: it was the fastest here/);
  });

  it('io: the textbook case reads as the textbook says', () => {
    const text = ioVerdict(
      workload(run('sequential', 2.2), run('asyncio', 0.31), run('threads', 0.7, { startup: 0.3, workers: 8 }), run('processes', 1.0)),
    );
    assert.match(text, /Threads wait in parallel too \(3\.1×\), but 300 ms of its 700 ms went to starting/);
    assert.match(text, /Verdict: asyncio/);
  });

  it('io: when threads win, the verdict names them and gives the numbers', () => {
    const text = ioVerdict(workload(run('sequential', 2.0), run('asyncio', 1.0), run('threads', 0.4, { cpuSeconds: 0.9 })));
    assert.match(text, /Verdict: threads was the fastest here \(5\.0×\)/);
  });

  it('cpu: a busy machine where sequential wins does not crown parallel workers', () => {
    const text = cpuVerdict(
      workload(
        run('sequential', 1.0, { cores: 0.4 }),
        run('asyncio', 1.1, { cores: 0.4 }),
        run('threads', 1.3, { cores: 0.6, startup: 0.2 }),
        run('processes', 1.5, { cores: 0.5, startup: 0.4 }),
      ),
      2,
      9.5,
    );
    assert.doesNotMatch(text, /Verdict: parallel workers/);
    assert.doesNotMatch(text, /run in parallel/);
    assert.match(text, /Verdict: nothing beat one thread here \(fastest: sequential/);
    assert.match(text, /load average 9\.5/);
  });

  it('cpu: faster but with under one core busy is not called parallel', () => {
    const text = cpuVerdict(workload(run('sequential', 2.0, { cores: 0.3 }), run('threads', 1.5, { cores: 0.5 })), 2, 9);
    assert.match(text, /Threads: 1\.3×, but with only 0\.5 cores busy/);
  });

  it('cpu: the textbook case crowns parallel workers', () => {
    const text = cpuVerdict(
      workload(
        run('sequential', 1.13, { cores: 1.04 }),
        run('asyncio', 1.0, { cores: 1.0 }),
        run('threads', 0.59, { cores: 1.9, startup: 0.05 }),
        run('processes', 0.66, { cores: 1.6, startup: 0.12 }),
      ),
      2,
      0.5,
    );
    assert.match(text, /Threads run in parallel \(1\.9× on 2 workers, 1\.9 cores busy, 50 ms of it starting them\)/);
    assert.match(text, /Verdict: parallel workers \(threads were the fastest here/);
  });
});

describe('weft demo measurements', { timeout: 30_000 }, () => {
  it('bestOf runs the contenders interleaved, keeps each one fastest run, and runs a `once` contender once', async () => {
    const order: string[] = [];
    const times: Record<string, number[]> = { a: [3, 1, 2], b: [5, 6, 4] };
    const make = (model: Model, key: 'a' | 'b') => ({
      model,
      run: async (rep: number) => {
        order.push(`${key}${rep}`);
        return run(model, times[key]![rep - 1]!);
      },
    });
    const once = {
      model: 'sequential' as Model,
      once: true,
      run: async (rep: number) => {
        order.push(`s${rep}`);
        return run('sequential', 9);
      },
    };
    const best = await bestOf(3, [once, make('threads', 'a'), make('processes', 'b')]);
    assert.deepEqual(order, ['s1', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
    assert.deepEqual(
      best.map((r) => [r.model, r.seconds, r.reps, r.slowest]),
      [
        ['sequential', 9, 1, 9],
        ['threads', 1, 3, 3],
        ['processes', 4, 3, 6],
      ],
    );
  });

  it('measure: start-up is the time before the first task began; a race run (common start line) has none', async () => {
    const r = await measure(
      'threads',
      async () => {
        await new Promise((res) => setTimeout(res, 80));
        return [finish(begin())];
      },
      () => 'task',
    );
    assert.ok(r.startup !== undefined && r.startup >= 0.07 && r.startup <= r.seconds, `startup ${r.startup} of ${r.seconds}`);
    const race = await measure(
      'threads',
      async () => [finish(begin())],
      () => 'task',
      { spanOnly: true },
    );
    assert.equal(race.startup, undefined);
  });
});
