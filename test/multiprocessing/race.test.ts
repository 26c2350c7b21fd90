/**
 * The seeds' race across processes: `weft demo race` has the processes rows
 * (no lock, Lock, atomic add on a multiprocessing Value), and the ported
 * example prints exact totals with the Lock and the atomic add.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { weft, ROOT } from '../cli/_cli.ts';
import { runChild } from '../contracts/child.ts';

interface JsonRun {
  model: string;
  variant?: string;
  total?: number;
  expected?: number;
  lost?: number;
  seconds: number;
}

describe('the shared-counter race across processes', { timeout: 240_000 }, () => {
  it('weft demo race --quick --json: the processes rows (no lock, Lock, atomic add) with exact totals for Lock and add', async () => {
    const r = await weft(['demo', 'race', '--quick', '--json'], { timeout: 200_000 });
    assert.equal(r.code, 0, r.stderr);
    const w = (JSON.parse(r.stdout) as { workloads: { runs: JsonRun[]; verdict: string; unavailable?: unknown }[] }).workloads[0]!;
    const procs = w.runs.filter((x) => x.model === 'processes');
    assert.deepEqual(
      procs.map((x) => x.variant),
      ['no lock', 'Lock', 'atomic add'],
    );
    for (const x of procs) {
      assert.ok(Number.isInteger(x.total) && x.expected! > 0, `${x.variant}: total ${x.total}`);
      assert.ok(x.seconds > 0);
    }
    assert.equal(procs[1]!.total, procs[1]!.expected, 'the Lock loses nothing');
    assert.equal(procs[2]!.total, procs[2]!.expected, 'the atomic add loses nothing');
    assert.ok(procs[0]!.total! <= procs[0]!.expected!);
    assert.match(w.verdict, /Processes racing on a shared Value/);
    assert.doesNotMatch(r.stdout, /not run|share no memory: there is no shared counter/);
  });

  it('examples/multiprocessing/race.ts: exact with a Lock and with the atomic add', async () => {
    const r = await runChild(process.execPath, ['--import', 'tsx', 'examples/multiprocessing/race.ts'], { cwd: ROOT, timeoutMs: 120_000 });
    assert.equal(r.killed, false, 'finished in time');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no lock: +\d+ \(expected 8000; \d+ updates lost\)/);
    assert.match(r.stdout, /with a Lock: +8000 \(expected 8000\)/);
    assert.match(r.stdout, /atomic add: +8000 \(expected 8000\)/);
  });
});
