#!/usr/bin/env node
/**
 * Builds dist/: declarations from tsc, the library's JavaScript from esbuild.
 *
 *   node scripts/build.mjs [--verbose]          (npm run build)
 *
 * Why bundle: Node pays for every module file it loads (resolve, stat, read,
 * compile, link), and a worker thread pays again in every thread, since the task
 * module's `import 'weft'` loads the library in each worker. weft is ~100 small
 * files; loaded one by one they made `import('weft')` 2.6x piscina's and a fresh
 * pool's first results 2x (bench/RESULTS.md, "Cold start"). Bundled:
 *
 *   dist/_chunks/weft.js       the library: every module's code, once
 *   dist/_chunks/chunk-*.js    the part weft/asyncio needs (core + asyncio), which
 *                              weft.js imports: weft/asyncio loads no worker code
 *   dist/asyncio/index.js      weft/asyncio
 *   dist/index.js, dist/futures/index.js, dist/threading/index.js,
 *   dist/multiprocessing/index.js, and every module something loads by URL
 *   (a dynamic import, a worker entry's import, a task module)
 *                              one line: that module's exports, taken from
 *                              _chunks/weft.js (one copy of every class and of
 *                              every module's state, whichever entry point the
 *                              code came through, so instanceof works across them)
 *   dist/workers/thread-entry.js, process-entry.js
 *                              what a worker starts with: turns on Node's compile
 *                              cache, then imports thread-main.js / process-main.js
 *                              (the entry's own code; the rest comes from weft.js)
 *   dist/workers/child-control.js
 *                              a child process's control thread, self-contained
 *   dist/cli/**                the CLI, compiled file by file by tsc: it imports
 *                              the library through the entry points only
 *   dist/cluster/**            weft/cluster, compiled file by file by tsc (it loads
 *                              its optional peers, bullmq and ioredis): the library
 *                              modules it imports get one-line files
 *
 * import.meta.url: every chunk sits one directory below dist/, as every library
 * source sits one directory below src/, so `new URL('../workers/x.js',
 * import.meta.url)` means the same in the bundle. A task module inside the
 * library (`defineTasks(import.meta.url, ...)`, which workers import by URL) gets
 * its own URL: import.meta.url in it is rewritten to the URL of its one-line file.
 *
 * Source maps name ../src/*.ts, which the package ships (package.json "files").
 * Export lists are read from the sources (esbuild's metafile): adding an export
 * to an index file needs no change here.
 */
import { build } from 'esbuild';
import ts from 'typescript';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const verbose = process.argv.includes('--verbose');
const posix = (p) => p.split(sep).join('/');
/** 'futures/thread-pool' for src/futures/thread-pool.ts */
const modOf = (file) => posix(relative(src, file)).replace(/\.ts$/, '');

/** Library folders: their JavaScript comes from the bundle, not from tsc. */
const LIB_DIRS = ['core', 'asyncio', 'futures', 'threading', 'multiprocessing', 'transport', 'workers'];
/** Public entry points served from _chunks/weft.js (weft/asyncio is built on its own). */
const PUBLIC = ['index', 'futures/index', 'threading/index', 'multiprocessing/index'];
/** Worker entries: URL the pools start -> the entry's source. */
const WORKERS = { 'workers/thread': 'workers/thread-entry', 'workers/process': 'workers/process-entry' };

/** Compiled by tsc file by file, outside the bundle: the CLI, and weft/cluster (it loads its optional peers). */
const OWN_FILES = ['cli/', 'cluster/'];
const isLib = (file) => file.startsWith(src + sep) && file.endsWith('.ts') && !OWN_FILES.some((d) => modOf(file).startsWith(d));
function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}
// No keepNames: it wraps every function and class in a `__name` call, which cost import('weft') ~4 ms of
// 17 on Node 26 (T13). Bundling still renames clashing top-level names (three classes are called Lock:
// `var Lock2 = class _Lock`), so step 6 gives those their `.name` back, and only those.
// minifyWhitespace: a third less to parse in every thread that loads weft (import('weft') on Node 26: 16.5 -> 14 ms);
// the linked source maps still name every line of src/ (node --enable-source-maps).
const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  minifyWhitespace: true,
};

// ── 1. tsc: declarations for everything, JavaScript for the CLI ────────────
rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
for (const f of walk(dist)) {
  const rel = posix(relative(dist, f));
  if ((LIB_DIRS.includes(rel.split('/')[0]) || rel.startsWith('index.js')) && /\.js(\.map)?$/.test(rel)) rmSync(f);
}

// ── 2. which modules need a URL of their own ────────────────────────────────
const libFiles = walk(src).filter(isLib);
// (code, not a comment or a message: a line that starts with the call, an export or an assignment of it)
const taskModules = libFiles
  .filter((f) => /^(?:export default |(?:export )?(?:const|let) \w+ = )?defineTasks\(\s*import\.meta\.url/m.test(readFileSync(f, 'utf8')))
  .map(modOf);
// The worker backends get one-line files too: the worker-handle contract test drives them directly.
const stubs = new Set([...PUBLIC, ...taskModules, 'futures/thread-worker', 'futures/child-worker']);

/** Marks imports of library modules external (keeping their relative path) and records them. */
function externalLib(record, kinds, inline = () => false) {
  return {
    name: 'weft-external-lib',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!kinds.includes(args.kind)) return undefined;
        const file = join(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        if (!isLib(file) || (args.kind === 'import-statement' && inline(modOf(file)))) return undefined;
        record.add(modOf(file));
        return { path: args.path, external: true };
      });
    },
  };
}
/**
 * The code only a worker runs (the run loop, the task loader, ...) is bundled into
 * the worker entries, not into _chunks/weft.js, which the main thread loads too;
 * the library modules it imports still load stubs (one instance with the task
 * module's `weft`).
 */
const workerOnly = (m) => m.startsWith('workers/');
// Worker entries' imports and dynamic imports inside the library load stubs.
await build({
  ...common,
  entryPoints: Object.values(WORKERS).map((m) => join(src, `${m}.ts`)),
  write: false,
  outdir: join(root, '.probe'),
  plugins: [externalLib(stubs, ['import-statement', 'dynamic-import'], workerOnly)],
});
// weft/cluster's imports of library modules load stubs (one copy of every class with weft.js).
await build({
  ...common,
  entryPoints: walk(join(src, 'cluster')).filter((f) => f.endsWith('.ts')),
  write: false,
  outdir: join(root, '.probe'),
  plugins: [externalLib(stubs, ['import-statement', 'dynamic-import'])],
});
// ...and so on, for what those load dynamically, until nothing new turns up.
for (let size = -1; size !== stubs.size; ) {
  size = stubs.size;
  await build({
    ...common,
    entryPoints: [...stubs, 'asyncio/index'].map((m) => join(src, `${m}.ts`)),
    write: false,
    outdir: join(root, '.probe'),
    plugins: [externalLib(stubs, ['dynamic-import'])],
  });
}

// Export names of every stub module.
const exportsOf = {};
const probe = await build({
  ...common,
  entryPoints: [...stubs].map((m) => join(src, `${m}.ts`)),
  write: false,
  metafile: true,
  outdir: join(root, '.probe'),
  outbase: src,
});
for (const meta of Object.values(probe.metafile.outputs)) {
  if (meta.entryPoint) exportsOf[modOf(join(root, meta.entryPoint))] = meta.exports;
}

// ── 3. the library bundle ───────────────────────────────────────────────────
const alias = (m, name) => `${m.replace(/[^A-Za-z0-9]/g, '_')}$${name}`;
let lib = '';
for (const m of stubs) {
  const names = exportsOf[m];
  if (names.length) lib += `export { ${names.map((n) => `${n} as ${alias(m, n)}`).join(', ')} } from './${m}.ts';\n`;
}

const libPlugin = {
  name: 'weft-lib',
  setup(b) {
    b.onResolve({ filter: /^weft:lib$/ }, () => ({ path: 'weft:lib', namespace: 'weft' }));
    b.onLoad({ filter: /.*/, namespace: 'weft' }, () => ({ contents: lib, loader: 'ts', resolveDir: src }));
    // A task module's import.meta.url is the URL of its own file, not the chunk's.
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const m = modOf(args.path);
      if (!taskModules.includes(m)) return undefined;
      const text = readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        `new URL(${JSON.stringify(`../${m}.js`)}, import.meta.url).href`,
      );
      return { contents: text, loader: 'ts' };
    });
  },
};
const out = { outdir: dist, sourcemap: 'linked', sourcesContent: false, metafile: true };
const libBuild = await build({
  ...common,
  ...out,
  entryPoints: [
    { in: 'weft:lib', out: '_chunks/weft' },
    { in: join(src, 'asyncio/index.ts'), out: 'asyncio/index' },
  ],
  splitting: true,
  chunkNames: '_chunks/[name]-[hash]',
  plugins: [libPlugin, externalLib(new Set(), ['dynamic-import'])],
});

// ── 4. worker entries: their own code; library modules through stubs (step 7)
const workerBuild = await build({
  ...common,
  ...out,
  entryPoints: Object.entries(WORKERS).map(([url, m]) => ({ in: join(src, `${m}.ts`), out: `${url}-main` })),
  plugins: [externalLib(new Set(), ['import-statement', 'dynamic-import'], workerOnly)],
});

// A child process's control thread (workers/child-control.ts): small and self-contained, so
// it starts light and fast beside a task (it never loads the library chunk).
await build({
  ...common,
  ...out,
  entryPoints: [{ in: join(src, 'workers/child-control.ts'), out: 'workers/child-control' }],
});

const header = (what) => `// weft: ${what} (generated by scripts/build.mjs; the code is in dist/_chunks/)\n`;

/**
 * Writes `text` to `file` with `line` before it, as a line of its own, and shifts
 * the file's source map down one line (a `;` before its mappings). The bundles
 * are one long line (minifyWhitespace): text added at the start of that line
 * would move every column after it, and the map would name the wrong places.
 */
function writeWithFirstLine(file, line, text) {
  writeFileSync(file, `${line}\n${text}`);
  const mapFile = `${file}.map`;
  if (!existsSync(mapFile)) return;
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  map.mappings = `;${map.mappings}`;
  writeFileSync(mapFile, JSON.stringify(map));
}

// ── 5. dynamic imports: through one tiny file ───────────────────────────────
// Loaders that rewrite dynamic imports (tsx does, in the main thread and in any
// worker that inherits `--import tsx`) build a fine-grained source map of every
// file that has one: for the 70 kB chunk weft/asyncio loads that cost ~20 ms
// of tsx's loader thread, which the main thread waits for (import('weft/asyncio')
// under tsx on Node 20: 45 ms, 21 ms without it; natively 8.7 and 10.2 ms). So
// the chunks call `__wfi$(specifier)` (same length as `import`, so columns and
// source maps stay true), defined in _chunks/import.js, a file of one line. It
// sits in _chunks/ with them, so relative specifiers mean the same.
const chunkDir = join(dist, '_chunks');
writeFileSync(
  join(chunkDir, 'import.js'),
  `// weft: the dynamic imports of dist/_chunks/*.js (generated by scripts/build.mjs)\nexport const __wfi$ = (specifier, options) => (options === undefined ? import(specifier) : import(specifier, options));\n`,
);
for (const name of readdirSync(chunkDir)) {
  if (!name.endsWith('.js') || name === 'import.js') continue;
  const file = join(chunkDir, name);
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const at = [];
  const visit = (n) => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) at.push(n.expression.getStart(sf));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (at.length === 0) continue;
  let out = text;
  for (const i of at.sort((a, b) => b - a)) out = `${out.slice(0, i)}__wfi$${out.slice(i + 'import'.length)}`;
  writeWithFirstLine(file, `import { __wfi$ } from "./import.js";`, out);
}

// ── 6. names: what bundling renamed gets the `.name` its source gave it ────
// A top-level class or function that esbuild renamed (a clash: `Lock2`; a class
// or function expression that refers to itself: `class _Thread`) gets
// `Object.defineProperty(X, "name", ...)` at the end of its chunk, on the last line
// of code (no line or column before it moves: the source map stays true).
// Names that end in digits in the sources (i32, utf8) are left as they are.
const sourceNames = new Set();
for (const f of libFiles) {
  for (const m of readFileSync(f, 'utf8').matchAll(/\b(?:class|function\*?|const|let|var)\s+([A-Za-z_$][\w$]*)/g)) sourceNames.add(m[1]);
}
const intended = (name) => {
  if (sourceNames.has(name)) return undefined;
  const base = name.replace(/^_/, '').replace(/\d+$/, '');
  return base !== name && sourceNames.has(base) ? base : undefined;
};
const renamedOutputs = [...Object.keys(libBuild.metafile.outputs), ...Object.keys(workerBuild.metafile.outputs)].filter((f) =>
  f.endsWith('.js'),
);
for (const out of renamedOutputs) {
  const file = join(root, out);
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const fixes = [];
  for (const st of sf.statements) {
    if ((ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st)) && st.name) {
      const want = intended(st.name.text);
      if (want) fixes.push([st.name.text, want]);
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !d.initializer || !(ts.isClassExpression(d.initializer) || ts.isFunctionExpression(d.initializer)))
          continue;
        // `var Lock2 = class _Lock`, `var Thread = class _Thread`, `var SharedArray = function SharedArray2`
        const name = intended(d.name.text) ?? d.name.text;
        const inner = d.initializer.name?.text ?? d.name.text;
        if (inner !== name && inner.replace(/^_/, '').replace(/\d+$/, '') === name) fixes.push([d.name.text, name]);
      }
    }
  }
  if (fixes.length === 0) continue;
  const set = fixes.map(([id, name]) => `Object.defineProperty(${id},"name",{value:${JSON.stringify(name)},configurable:true});`).join('');
  const at = text.lastIndexOf('\n//# sourceMappingURL=');
  writeFileSync(file, at < 0 ? `${text}${set}` : `${text.slice(0, at)}${set}${text.slice(at)}`);
  if (verbose) console.log(`${posix(relative(root, file))}: names ${fixes.map(([id, n]) => `${id}->${n}`).join(', ')}`);
}

// ── 7. worker entries import the library from _chunks/weft.js itself ────────
// esbuild wrote their imports of library modules as imports of the one-line
// files (step 4): each is one more module a fresh worker resolves, reads and
// links (14 in a thread, ~5 ms on Node 20, ~3 on Node 26). They become one
// import of the same names from weft.js (the same instances: the one-line
// files re-export them); the old ones are blanked out in place, so no column moves.
const stubOf = (spec) => {
  const file = join(dist, 'workers', spec);
  const m = posix(relative(dist, file)).replace(/\.js$/, '');
  return spec.startsWith('.') && stubs.has(m) ? m : undefined;
};
for (const url of Object.keys(WORKERS)) {
  const file = join(dist, `${url}-main.js`);
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const names = [];
  let out = text;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    const m = stubOf(st.moduleSpecifier.text);
    if (m === undefined) continue;
    const bindings = st.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings) || st.importClause.name) {
      throw new Error(`build: ${posix(relative(root, file))}: only named imports of library modules can be rewritten: ${st.getText(sf)}`);
    }
    for (const el of bindings.elements) names.push(`${alias(m, (el.propertyName ?? el.name).text)} as ${el.name.text}`);
    const [a, b] = [st.getStart(sf), st.getEnd()];
    out = out.slice(0, a) + text.slice(a, b).replace(/[^\n]/g, ' ') + out.slice(b);
  }
  if (names.length) writeWithFirstLine(file, `import { ${names.join(', ')} } from "../_chunks/weft.js";`, out);
}

// ── 8. the one-line files ───────────────────────────────────────────────────
for (const m of stubs) {
  if (m === 'asyncio/index') continue;
  const file = join(dist, `${m}.js`);
  mkdirSync(dirname(file), { recursive: true });
  let from = posix(relative(dirname(file), join(dist, '_chunks', 'weft.js')));
  if (!from.startsWith('.')) from = `./${from}`;
  const names = exportsOf[m];
  const body = names.length
    ? `export { ${names.map((n) => `${alias(m, n)} as ${n}`).join(', ')} } from ${JSON.stringify(from)};\n`
    : `import ${JSON.stringify(from)};\n`;
  writeFileSync(file, header(m) + body);
}
// A worker's first module turns on Node's compile cache (Node 22.1+; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), then imports the entry: the entry, weft and the task modules (TypeScript
// after type stripping too) are then compiled once per machine, not once per worker. The
// import must be dynamic: static imports are compiled before any code here runs.
for (const url of Object.keys(WORKERS)) {
  writeFileSync(
    join(dist, `${url}-entry.js`),
    header(`${url}-entry`) +
      `import * as m from 'node:module';\n` +
      `try { m.enableCompileCache?.(); } catch {}\n` +
      `await import(${JSON.stringify(`./${url.split('/').pop()}-main.js`)});\n`,
  );
}

if (verbose) {
  for (const b of [libBuild, workerBuild]) {
    for (const [file, meta] of Object.entries(b.metafile.outputs)) {
      if (file.endsWith('.map')) continue;
      const inputs = Object.keys(meta.inputs).length;
      console.log(`${posix(relative(root, file)).padEnd(36)} ${String(meta.bytes).padStart(7)} B  ${inputs} modules`);
    }
  }
  console.log(`stubs: ${[...stubs].join(', ')}`);
}
if (!existsSync(join(dist, 'index.js'))) throw new Error('build: dist/index.js is missing');
