/**
 * The threading examples added for issue 10 run with one command and print what they
 * promise (test/examples.test.ts runs the older ones).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runChild } from '../contracts/child.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('threading examples', { timeout: 120_000 }, () => {
  it('examples/threading/timer.ts: the Timer fires, the cancelled one never runs', async () => {
    const r = await runChild(process.execPath, ['--import', 'tsx', 'examples/threading/timer.ts'], { cwd: root, timeoutMs: 60_000 });
    assert.equal(r.killed, false);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[stretch-timer\] reminder: stretch/);
    assert.doesNotMatch(r.stdout, /this never prints/);
    assert.match(r.stdout, /done; live threads: 0/);
  });
});
