/**
 * Every example the README lists runs with one command and prints what it
 * promises (run here as `node --import tsx examples/...`, the same as `npx tsx`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runChild } from './contracts/child.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

const examples: [file: string, expect: RegExp][] = [
  ['examples/futures/download_all_sites.ts', /5 threads: +downloaded 160 sites/],
  ['examples/futures/cpu_bound.ts', /Same results: true/],
  ['examples/asyncio/hello-world.ts', /hello\s+world/],
  ['examples/asyncio/count-gather.ts', /(One\s+){3}(Two\s+){3}Executed in/],
  ['examples/asyncio/say-after-create-task.ts', /hello\s+world/],
  ['examples/asyncio/say-after-task-group.ts', /hello\s+world/],
  ['examples/asyncio/async-generator.ts', /\S/],
  ['examples/asyncio/coroutines.ts', /\S/],
  ['examples/threading/countdown.ts', /\S/],
  ['examples/threading/race.ts', /with a Lock: +4000000 \(expected 4000000\)/],
  ['examples/threading/event.ts', /\S/],
  ['examples/multiprocessing/worker_processes.ts', /Worker 0/],
  ['examples/multiprocessing/process_join.ts', /\S/],
  ['examples/multiprocessing/pool_apply.ts', /^7$/m],
  ['examples/multiprocessing/pool_apply_async.ts', /\S/],
  ['examples/multiprocessing/cpu_bound.ts', /\S/],
];

describe('examples run with one command', { timeout: 240_000 }, () => {
  for (const [file, expect] of examples) {
    it(file, async () => {
      const r = await runChild(process.execPath, ['--import', 'tsx', file], { cwd: root, timeoutMs: 60_000 });
      assert.equal(r.killed, false, `${file} did not finish within 60 s`);
      assert.equal(r.code, 0, `${file} exited with ${r.code}: ${r.stderr}`);
      assert.match(r.stdout, expect);
    });
  }
});
