#!/usr/bin/env node
// Runs every test file (test/**/*.test.ts) with Node's test runner under tsx.
//
//   node test/run.mjs [--matrix | --node MAJOR] [substring ...]
//
// --matrix (what `npm test` does): the whole suite on the Node that runs this
// script, then again on Node 26 (the current LTS). Without it: on this Node only,
// or on `--node MAJOR`. Substrings select the files whose path contains one of them.
//
// Node 26 (the matrix) and Node 24 (the tests that run TypeScript task modules with
// Node's own type stripping, on every Node of the matrix) are installed from npm into
// test/.node26 and test/.node24 on first use (scripts/node-runtime.mjs). Without
// Node 24 those tests skip with a message; without Node 26 the matrix stops with an error.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from '../scripts/node-runtime.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'test');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules' || name.startsWith('.node')) continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
})(testDir);

const args = process.argv.slice(2);
const matrix = args.includes('--matrix');
const nodeAt = args.indexOf('--node');
const wanted = nodeAt >= 0 ? args[nodeAt + 1] : undefined;
const filters = args.filter((a, i) => !a.startsWith('--') && (nodeAt < 0 || i !== nodeAt + 1));
const selected = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (!selected.length) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const here = process.versions.node.split('.')[0];
const runtimes = []; // [major, binary]
if (matrix || wanted === undefined || wanted === here) runtimes.push([here, process.execPath]);
for (const major of matrix ? ['26'] : wanted && wanted !== here ? [wanted] : []) {
  if (major === here) continue;
  const bin = nodeBinary(Number(major));
  if (!bin) {
    console.error(`# Node ${major} is not available: set WEFT_NODE${major}=/path/to/node`);
    process.exit(1);
  }
  runtimes.push([major, bin]);
}

const node24 = nodeBinary(24);
if (node24) process.env.WEFT_NODE24 = node24;
else console.error('# Node 24 is not available: the type-stripping tests will be skipped');

let status = 0;
for (const [major, bin] of runtimes) {
  if (runtimes.length > 1) console.log(`\n# ── Node ${major} (${bin === process.execPath ? 'this Node' : bin}) ──`);
  const t0 = Date.now();
  const res = spawnSync(bin, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', ...selected], {
    cwd: root,
    stdio: 'inherit',
  });
  if (runtimes.length > 1)
    console.log(`# Node ${major}: ${res.status === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - t0) / 1000)} s`);
  if (res.status !== 0) status = res.status ?? 1;
}
process.exit(status);
