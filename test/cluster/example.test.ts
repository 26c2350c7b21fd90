/**
 * examples/cluster/main.ts runs with one command (it starts its own redis-server
 * and two nodes) and prints what it promises.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChild } from '../contracts/child.ts';
import { ROOT, requireRedis, suite } from './_cluster.ts';

describe('examples/cluster', suite(90_000), () => {
  it('npx tsx examples/cluster/main.ts', async () => {
    requireRedis();
    const r = await runChild(process.execPath, ['--import', 'tsx', 'examples/cluster/main.ts'], { cwd: ROOT, timeoutMs: 60_000 });
    assert.equal(r.killed, false, 'finished within 60 s');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /fib\(25\) = 75025/);
    assert.match(r.stdout, /20 cpuBound sums in/);
    assert.equal((r.stdout.match(/^node /gm) ?? []).length, 2, 'two nodes');
  });
});
