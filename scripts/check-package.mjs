#!/usr/bin/env node
/**
 * Checks the package as npm users get it: packs the tarball (after `npm run
 * build`; no scripts run), then
 * - publint (package.json "exports", "files", types: what bundlers and Node see);
 * - @arethetypeswrong/cli, ESM-only profile (what TypeScript resolves for each
 *   entry point, under node16/nodenext and bundler resolution);
 * - every source a source map names is in the tarball (stack traces and "go to
 *   definition" must not point at files the package does not ship);
 * - every relative link of README.md and docs/*.md points at a file in the tarball;
 * - the declarations of every entry point type-check on their own, without
 *   skipLibCheck (stripInternal must not leave a public declaration naming an
 *   internal one).
 *
 *   node scripts/check-package.mjs          (npm run check:package; npm test runs it)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const work = mkdtempSync(join(tmpdir(), 'weft-pack-'));
const problems = [];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

try {
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work]);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.out}`);
  const tarball = join(work, JSON.parse(pack.stdout)[0].filename);
  const unpacked = join(work, 'x');
  run('mkdir', ['-p', unpacked]);
  const tar = run('tar', ['-xzf', tarball, '-C', unpacked]);
  if (tar.code !== 0) throw new Error(`tar failed:\n${tar.out}`);
  const pkg = join(unpacked, 'package');

  const publint = run(process.execPath, [bin('publint'), 'run', tarball, '--level', 'warning', '--strict']);
  if (publint.code !== 0) problems.push(`publint:\n${publint.out}`);
  const attw = run(process.execPath, [bin('attw'), tarball, '--profile', 'esm-only', '--format', 'table-flipped']);
  if (attw.code !== 0) problems.push(`@arethetypeswrong/cli:\n${attw.out}`);

  const files = [];
  (function walk(dir) {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  })(pkg);

  let maps = 0;
  for (const f of files.filter((f) => f.endsWith('.map'))) {
    maps++;
    const { sources = [] } = JSON.parse(readFileSync(f, 'utf8'));
    for (const s of sources) {
      if (!existsSync(resolve(dirname(f), s))) problems.push(`${relative(pkg, f)} names ${s}, which the package does not ship`);
    }
  }

  const docs = [join(pkg, 'README.md'), ...files.filter((f) => relative(pkg, f).startsWith('docs/') && f.endsWith('.md'))];
  let links = 0;
  for (const doc of docs) {
    const text = readFileSync(doc, 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split('#')[0];
      if (!target || /^[a-z]+:/i.test(target)) continue;
      links++;
      if (!existsSync(resolve(dirname(doc), decodeURIComponent(target))))
        problems.push(`${relative(pkg, doc)} links to ${m[1]}, which the package does not ship`);
    }
  }

  // The entry points' declarations, checked strictly, as a user with skipLibCheck off gets them.
  const entries = Object.values(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports)
    .filter((v) => typeof v === 'object' && v.types)
    .map((v) => join(pkg, v.types));
  const tsc = run(process.execPath, [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '--noEmit',
    '--strict',
    '--skipLibCheck',
    'false',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--lib',
    'es2023,esnext.disposable,esnext.asynciterable',
    '--types',
    'node',
    '--typeRoots',
    join(root, 'node_modules', '@types'),
    ...entries,
  ]);
  // (weft/cluster's optional peers ship their own declarations: their errors are not ours)
  const own = tsc.out
    .split('\n')
    .filter((l) => /error TS/.test(l) && !/node_modules[\\/](bullmq|ioredis)|module '(bullmq|ioredis)'/.test(l));
  if (own.length) problems.push(`the declarations do not type-check without skipLibCheck:\n${own.join('\n')}`);

  if (problems.length) {
    console.error(`The package has problems:\n- ${problems.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    console.log(
      `package ok: ${files.length} files; publint and arethetypeswrong clean; declarations type-check; ${maps} source maps name shipped sources; ${links} relative doc links resolve`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
