import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { weft, FIXTURES } from './_cli.js';

const math = join(FIXTURES, 'math.mjs');
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('weft map', { timeout: 120_000 }, () => {
  it('calls the default export on each line, in input order (stdin)', async () => {
    const input = Array.from({ length: 200 }, (_, i) => String(i + 1)).join('\n') + '\n';
    const r = await weft(['map', math], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      lines(r.stdout).map(Number),
      Array.from({ length: 200 }, (_, i) => (i + 1) ** 2),
    );
    assert.equal(r.stderr, '');
  });

  it('keeps input order when calls finish out of order, on every backend', async () => {
    const input = Array.from({ length: 40 }, (_, i) => String(i)).join('\n');
    const want = Array.from({ length: 40 }, (_, i) => i);
    for (const backend of ['threads', 'processes', 'async']) {
      const r = await weft(['map', `${math}#slowEcho`, '-', '--backend', backend, '--workers', '3'], { input });
      assert.equal(r.code, 0, `${backend}: ${r.stderr}`);
      assert.deepEqual(lines(r.stdout).map(Number), want, backend);
    }
    const u = await weft(['map', `${math}#slowEcho`, '--unordered', '--workers', '3'], { input });
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(
      lines(u.stdout)
        .map(Number)
        .sort((a, b) => a - b),
      want,
    );
  });

  it('reads a FILE; a failing or unparsable line is reported with its line number, the rest go on, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-map-'));
    try {
      const file = join(dir, 'in.jsonl');
      writeFileSync(file, ['1', '2', '', '"three"', '{not json', '5', ''].join('\n'));
      const r = await weft(['map', math, file]);
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stdout), ['1', '4', '25']);
      assert.match(r.stderr, /line 4: TypeError: expected a number, got "three"/);
      assert.match(r.stderr, /line 5: not valid JSON/);
      assert.match(r.stderr, /2 lines failed; 3 succeeded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--errors inline writes an {"error": ...} line in place of each failing line, so the output stays aligned', async () => {
    const input = ['1', '2', '', '"three"', '{not json', '5'].join('\n');
    for (const order of [[], ['--unordered']]) {
      const r = await weft(['map', math, '-', '--errors', 'inline', ...order], { input });
      assert.equal(r.code, 1);
      const out = lines(r.stdout).map((l) => JSON.parse(l));
      const byLine = (o: any) => (typeof o === 'number' ? Math.sqrt(o) : o.error.line);
      if (order.length) out.sort((a, b) => byLine(a) - byLine(b));
      assert.equal(out.length, 5, 'one line per non-blank input line');
      assert.deepEqual(out[0], 1);
      assert.deepEqual(out[1], 4);
      assert.deepEqual(out[2].error.line, 4);
      assert.equal(out[2].error.name, 'TypeError');
      assert.deepEqual(out[3].error.line, 5);
      assert.equal(out[3].error.name, 'SyntaxError');
      assert.match(out[3].error.message, /not valid JSON/);
      assert.deepEqual(out[4], 25);
      assert.doesNotMatch(r.stderr, /line 4:/, 'not repeated on stderr');
      assert.match(r.stderr, /2 lines failed; 3 succeeded \(errors are inline on stdout\)/);
    }
    const bad = await weft(['map', math, '-', '--errors', 'inlin'], { input: '1\n' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--errors must be stderr or inline, got 'inlin'; did you mean 'inline'\?/);
  });

  it('--fail-fast stops at the first failure', async () => {
    const input = Array.from({ length: 2000 }, (_, i) => String(i)).join('\n');
    const r = await weft(['map', `${math}#boom`, '--fail-fast', '--chunksize', '1', '--workers', '1'], { input });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 4: RangeError: three is not allowed/);
    assert.match(r.stderr, /--fail-fast/);
    assert.ok(lines(r.stdout).length < 2000);
    assert.deepEqual(lines(r.stdout).slice(0, 3), ['0', '1', '2']);
  });

  it('a missing export or module is a clear error before anything runs', async () => {
    const e = await weft(['map', `${math}#dubble`], { input: '1\n' });
    assert.equal(e.code, 2);
    assert.equal(e.stdout, '');
    assert.match(e.stderr, /has no function export named 'dubble'/);
    assert.match(e.stderr, /did you mean '#double'\?/);
    const m = await weft(['map', join(FIXTURES, 'nope.mjs')], { input: '1\n' });
    assert.equal(m.code, 2);
    assert.match(m.stderr, /module not found/);
    const n = await weft(['map'], { input: '' });
    assert.equal(n.code, 2);
    assert.match(n.stderr, /missing MODULE/);
  });
});
