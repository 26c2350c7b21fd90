/**
 * One file for tasks and main (issue 9, defect 8): a module that starts an
 * executor at import time while a worker imports it for its tasks fails that
 * task with a TaskDefinitionError naming the module and the guard, instead of
 * every worker starting a pool of its own; `isMainModule(import.meta)` guards it.
 * Also: what a Thread prints reaches the terminal before its end is reported.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { isMainModule } from 'weft';
import { runChild } from '../contracts/child.ts';

const oneFile = fileURLToPath(new URL('../fixtures/one-file.mjs', import.meta.url));
const threadOutput = fileURLToPath(new URL('../fixtures/thread-output.mjs', import.meta.url));

describe('one file for tasks and main', { timeout: 120_000 }, () => {
  for (const kind of ['threads', 'processes']) {
    it(`${kind}: guarded by isMainModule(import.meta), the file runs its main once and its tasks in the workers`, async () => {
      const r = await runChild(process.execPath, [oneFile], {
        timeoutMs: 60_000,
        env: { ...process.env, WEFT_TEST_KIND: kind, WEFT_TEST_GUARD: 'guarded' },
      });
      assert.equal(r.killed, false, 'it ended by itself');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /RESULT \[55,89,144\]/);
      assert.equal(r.stdout.match(/MAIN true/g)?.length, 1, r.stdout);
    });

    it(`${kind}: unguarded, the task fails with a TaskDefinitionError naming the module and the guard (no runaway)`, async () => {
      const r = await runChild(process.execPath, [oneFile], {
        timeoutMs: 60_000,
        env: { ...process.env, WEFT_TEST_KIND: kind, WEFT_TEST_GUARD: 'unguarded' },
      });
      assert.equal(r.killed, false, 'it ended by itself instead of starting pools in its workers');
      assert.match(r.stdout, /FAILED TaskDefinitionError: .*one-file\.mjs.*isMainModule\(import\.meta\)/);
      assert.equal(r.stdout.match(/RESULT/g), null, r.stdout);
    });
  }

  it('isMainModule is true for the entry module (this test file runs as one) and false for another; it checks its argument', () => {
    assert.equal(isMainModule(import.meta), true);
    assert.equal(isMainModule({ url: new URL('../fixtures/one-file.mjs', import.meta.url).href }), false);
    assert.throws(() => isMainModule(undefined as any), TypeError);
  });

  it('what a Thread prints while sleeping in Atomics.wait reaches stdout before join() returns (every line, every round)', async () => {
    const rounds = 8;
    const r = await runChild(process.execPath, [threadOutput, String(rounds)], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const expected: string[] = [];
    for (let i = 0; i < rounds; i++) expected.push(`round ${i} line 1`, `round ${i} line 2`, `round ${i} line 3`, `round ${i} joined`);
    assert.deepEqual(lines, expected);
  });
});
