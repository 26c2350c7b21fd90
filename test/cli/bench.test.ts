import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { weft } from './_cli.js';

describe('weft bench --json', { timeout: 120_000 }, () => {
  it('prints finite numbers for each measure, JSON only', async () => {
    const r = await weft(['bench', '--json'], { timeout: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout) as { version: string; machine: string; results: { name: string; value: number; unit: string }[] };
    assert.equal(typeof out.version, 'string');
    const names = out.results.map((x) => x.name);
    for (const want of [
      'threads: cold start',
      'processes: cold start',
      "import('weft')",
      'threads: submit throughput',
      'threads: map throughput',
      'threads: round trip (median)',
    ])
      assert.ok(names.includes(want), want);
    assert.ok(names.some((n) => n.startsWith('threads: CPU scaling')));
    for (const x of out.results) assert.ok(Number.isFinite(x.value) && x.value > 0, `${x.name} = ${x.value}`);
  });
});
