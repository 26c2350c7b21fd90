/**
 * The API report (api/*.d.ts, written by `npm run api` from the built
 * declarations) matches the build: a change to the public surface of an entry
 * point fails here until the report is regenerated and committed, so it shows
 * in review. The declarations are built with stripInternal: `@internal` members
 * are not part of them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the API report', { timeout: 60_000 }, () => {
  it('api/*.d.ts matches the built declarations (run `npm run api` after changing the public API)', () => {
    const r = spawnSync(process.execPath, ['scripts/api.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('holds the public surface only: no @internal member, no private one', () => {
    const futures = readFileSync(`${root}api/weft-futures.d.ts`, 'utf8');
    assert.match(futures, /export declare class ThreadPoolExecutor extends WorkerPoolExecutor/);
    assert.doesNotMatch(futures, /_enqueue|_spawn|_cancelTask|private /);
  });
});
