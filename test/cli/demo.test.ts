import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { weft } from './_cli.js';

interface JsonRun {
  model: string;
  seconds: number;
  speedup: number;
  variant?: string;
  total?: number;
  [k: string]: unknown;
}
interface JsonOut {
  workloads: { name: string; runs: JsonRun[]; verdict: string }[];
}

function checkShape(stdout: string, name: string): JsonOut['workloads'][number] {
  const out = JSON.parse(stdout) as JsonOut; // stdout is exactly one JSON document
  assert.deepEqual(Object.keys(out), ['workloads']);
  assert.equal(out.workloads.length, 1);
  const w = out.workloads[0]!;
  assert.deepEqual(Object.keys(w).sort(), ['name', 'runs', 'verdict']);
  assert.equal(w.name, name);
  assert.equal(typeof w.verdict, 'string');
  assert.ok(w.verdict.length > 20);
  for (const r of w.runs) {
    assert.ok(['sequential', 'asyncio', 'threads', 'processes'].includes(r.model), r.model);
    for (const k of ['seconds', 'speedup'] as const) assert.ok(Number.isFinite(r[k]) && r[k] > 0, `${r.model}.${k} = ${r[k]}`);
  }
  return w;
}

describe('weft demo --json', { timeout: 120_000 }, () => {
  it('demo race --quick --json: sequential and the three thread variants, with totals', async () => {
    const r = await weft(['demo', 'race', '--quick', '--json'], { timeout: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress on stderr in --json mode');
    const w = checkShape(r.stdout, 'race');
    const models = new Set(w.runs.map((x) => x.model));
    for (const m of ['sequential', 'asyncio', 'threads']) assert.ok(models.has(m), `model ${m} present`);
    const threads = w.runs.filter((x) => x.model === 'threads');
    assert.deepEqual(
      threads.map((x) => x.variant),
      ['no lock', 'Lock', 'atomic add'],
    );
    const seq = w.runs.find((x) => x.model === 'sequential')!;
    for (const x of w.runs) assert.ok(Number.isInteger(x.total), `${x.model} ${x.variant} has a total`);
    // The lock and the atomic add never lose an update; no lock may (when the threads overlap).
    assert.equal(threads[1]!.total, seq.total);
    assert.equal(threads[2]!.total, seq.total);
    assert.ok(threads[0]!.total! <= seq.total!);
  });

  it('demo io --quick --json: the crawl under every model', async () => {
    const r = await weft(['demo', 'io', '--quick', '--json'], { timeout: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const w = checkShape(r.stdout, 'io');
    assert.deepEqual(
      w.runs.map((x) => x.model),
      ['sequential', 'asyncio', 'threads', 'processes'],
    );
    assert.equal(w.runs[0]!.speedup, 1);
    // 24 pages of 50 ms each: sequential takes at least 1.2 s; waiting 8 at a time is faster.
    assert.ok(w.runs[0]!.seconds >= 1.2, `sequential ${w.runs[0]!.seconds}`);
    assert.ok(w.runs[1]!.speedup > 1, `asyncio speedup ${w.runs[1]!.speedup}`);
  });
});
