/**
 * `weft demo cluster`: starts its own redis-server and two worker nodes, runs
 * the CPU job across them; without redis-server it says how to install it and
 * exits 2.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { CLI, requireRedis, suite } from './_cluster.ts';

describe('weft demo cluster', suite(120_000), () => {
  it('--quick --json: a sequential run and a cluster run over two nodes, same image', () => {
    requireRedis();
    const r = spawnSync(process.execPath, [CLI, 'demo', 'cluster', '--quick', '--json'], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { workloads: { name: string; runs: { model: string; workers: number; note?: string }[] }[] };
    const w = out.workloads[0]!;
    assert.equal(w.name, 'cluster');
    assert.deepEqual(
      w.runs.map((x) => x.model),
      ['sequential', 'cluster'],
    );
    const cluster = w.runs[1]!;
    assert.ok(cluster.workers >= 2, `one lane per node worker, tiles on both nodes (got ${cluster.workers} lanes)`);
    assert.equal(cluster.note, undefined, 'the cluster computed the same image');
  });

  it('without redis-server on the PATH: says how to install it and exits 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'demo', 'cluster', '--quick'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, PATH: dirname(process.execPath) === '/usr/bin' ? '/nonexistent' : dirname(process.execPath) },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /apt-get install redis-server/);
  });
});
