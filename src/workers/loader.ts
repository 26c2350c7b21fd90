/**
 * Loading task modules inside a worker (thread or child process).
 *
 * `loadTask(kind, url, name)` imports a task module once per worker and finds
 * the task in it; the run loop calls nothing else. What it does per module:
 *
 *   JavaScript ──────────────────────────────> import(url)
 *   TypeScript, Node with type stripping ────> import(url); if Node refuses the
 *       (22.18+, 23.6+)                        module at load time (an enum, a
 *                                              `./x.js` that is x.ts, a type
 *                                              imported without `type`...) and
 *                                              the parent runs under tsx: as below
 *   TypeScript under tsx, no type stripping ─> the module compiled once to plain
 *       (Node 20)                              JS in a disk cache shared by every
 *                                              worker and run, then imported from
 *                                              there; if that fails: tsx's loader
 *
 * Why not tsx's loader in every worker (what weft did first): on Node 20 tsx's
 * hooks do not reach worker threads, so each worker registered tsx itself, which
 * starts a loader thread per worker, loads tsx and esbuild into it and sends every
 * later import through it: ~85 ms per worker alone, 200-300 ms for 4 workers on 2
 * cores (bench/RESULTS.md, "cold start"). The cache below needs esbuild only when
 * a file changed (esbuild comes with tsx), and a worker with a warm cache imports
 * plain JavaScript.
 *
 * The compiled copy of a module behaves as the module does: `import.meta.url`
 * (and `filename`, `dirname`) are the original's; relative imports of other
 * TypeScript files point at their compiled copies (one copy per file, so two
 * task modules importing the same helper share one instance of it); every other
 * import is resolved where the original is and written as an absolute URL.
 * A manifest per module lists the files it was built from with their size and
 * modification time; any change rebuilds it.
 *
 * Every worker imports this file before its first task, so the built-ins only
 * the TypeScript cache needs (fs, path, ...) are taken when it is used, as
 * CommonJS objects, and it hashes without node:crypto: their ESM facades and
 * node:crypto cost a fresh worker ~5 ms (Node 20).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findTask } from '../core/tasks.js';
import { TaskDefinitionError } from '../core/errors.js';
import { setImporting } from '../core/runtime.js';
import { builtin } from '../core/builtin.js';

type Fn = (...args: unknown[]) => unknown;

/** Raised when a task module threw at import: the worker must be replaced. */
export class ModuleInitError extends Error {}

const TS_EXT = /\.(?:[mc]?ts|tsx)$/;
/** Errors Node raises while resolving or loading a module, before any of its code runs. */
const LOAD_ERRORS = new Set([
  'ERR_MODULE_NOT_FOUND',
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
  'ERR_INVALID_TYPESCRIPT_SYNTAX',
  'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING',
  'ERR_IMPORT_ATTRIBUTE_MISSING',
  'ERR_UNSUPPORTED_DIR_IMPORT',
  'ERR_REQUIRE_ESM',
]);

let tsxUrl: string | undefined;
const modules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Called once with the worker's start message: the URL of tsx's ESM API when the
 * parent runs under tsx (see futures/tsx.ts).
 */
export function initLoader(opts: { tsx?: string | undefined }): void {
  tsxUrl = opts.tsx;
}

/**
 * The task `name` of the task module at `url`: in its `defineTasks` table
 * (kind 'table') or among its exports (kind 'export').
 * @throws ModuleInitError when the module threw while being imported; the
 *   module's own load errors (not found, bad syntax) and TaskDefinitionError as they are.
 */
export async function loadTask(kind: 'table' | 'export', url: string, name: string): Promise<Fn> {
  const mod = await importOnce(url);
  return findTask(mod, kind, name, url) as Fn;
}

function importOnce(url: string): Promise<Record<string, unknown>> {
  let p = modules.get(url);
  if (p === undefined) {
    modules.set(url, (p = importModule(url)));
    p.catch(() => modules.delete(url)); // a module that failed to load is tried again next time
  }
  return p;
}

async function importModule(url: string): Promise<Record<string, unknown>> {
  // An executor started while this import runs is refused (core/runtime.ts): a
  // module that holds its tasks and its main code without the isMainModule guard.
  setImporting(url);
  try {
    if (!TS_EXT.test(url)) return await import(url);
    if (hasTypeStripping()) {
      try {
        return await import(url);
      } catch (err) {
        if (tsxUrl === undefined || !isLoadError(err)) throw err;
        // Node cannot run this module as it is; tsx can (the parent runs under it).
      }
    }
    if (tsxUrl !== undefined) return await importWithTsx(url, tsxUrl);
    return await import(url);
  } catch (err) {
    throw explainImportError(url, err);
  } finally {
    setImporting(undefined);
  }
}

/**
 * The error a failed task-module import becomes: a missing module or one Node
 * cannot load is a TaskDefinitionError that names the module (not weft's
 * loader); a module that threw while being evaluated gets the worker replaced
 * (it may be half-initialised): ModuleInitError with the module and its reason.
 */
function explainImportError(url: string, err: any): Error {
  const path = shortPath(url);
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (err instanceof TaskDefinitionError) return err; // an executor started at import (core/runtime.ts)
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(path)) {
    return new TaskDefinitionError(`Task module ${path} was not found (a task ref names it: ${url})`, { cause: err });
  }
  if (isLoadError(err)) return new TaskDefinitionError(`Task module ${path} could not be loaded: ${reason}`, { cause: err });
  return new ModuleInitError(`Task module ${path} threw while being imported: ${reason}`, { cause: err });
}

/** True when this Node strips TypeScript types by itself (22.18+, 23.6+, or the flag). */
function hasTypeStripping(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

/**
 * An error from resolving, loading or linking a module, before its code ran: the
 * codes above, or a SyntaxError with no frame in a file (a parse or link error,
 * not one the module's code threw).
 */
function isLoadError(err: any): boolean {
  if (err === null || typeof err !== 'object') return false;
  if (LOAD_ERRORS.has(err.code)) return true;
  return err instanceof SyntaxError && !/\n\s+at .*file:\/\//.test(String(err.stack));
}

function shortPath(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
}

// ── TypeScript under tsx ──────────────────────────────────────────────────

let tsxRegistered: Promise<void> | undefined;

async function importWithTsx(url: string, api: string): Promise<Record<string, unknown>> {
  if (tsxRegistered === undefined && url.startsWith('file:') && !url.endsWith('.cts')) {
    let compiled: string | undefined;
    try {
      node ??= builtins();
      compiled = await compiledCopy(fileURLToPath(url), api);
    } catch {
      compiled = undefined; // no esbuild next to tsx, or it failed: tsx's loader will say why
    }
    if (compiled !== undefined) return await import(compiled);
  }
  await (tsxRegistered ??= import(api).then((m) => m.register()));
  return await import(url);
}

/**
 * The built-ins of the TypeScript cache, loaded on its first use, as CommonJS
 * objects (core/builtin.ts): their ESM facades and node:crypto cost a worker
 * ~5 ms on Node 20, every time a fresh worker loads a task module from the cache.
 */
function builtins() {
  return {
    fs: builtin<typeof import('node:fs')>('node:fs'),
    module: builtin<typeof import('node:module')>('node:module'),
    os: builtin<typeof import('node:os')>('node:os'),
    path: builtin<typeof import('node:path')>('node:path'),
  };
}
let node: ReturnType<typeof builtins>;

/** Bumped when the shape of the compiled copies changes. */
const CACHE_VERSION = 2;

interface Manifest {
  v: number;
  /** the module this manifest is for (names are hashes: a manifest is used only for its own module) */
  src: string;
  out: string;
  files: Record<string, [number, number]>;
}

function cacheDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return node.path.join(node.os.tmpdir(), `weft-${uid}`, 'ts');
}

/**
 * A file name for a path: a 32-bit FNV-1a hash and a second multiplicative one,
 * 16 hex digits. Not cryptographic (node:crypto alone costs a worker ~3 ms to load); a
 * manifest is used only if it lists the file it was asked for.
 */
function hash(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
const stamp = (file: string): [number, number] => {
  const st = node.fs.statSync(file);
  return [st.mtimeMs, st.size];
};

/** file URL of the compiled copy of `file`, built now if missing or stale. */
async function compiledCopy(file: string, api: string): Promise<string> {
  const dir = cacheDir();
  const manifestFile = node.path.join(dir, `${hash(file)}${variant()}.json`);
  try {
    const m = JSON.parse(node.fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    if (
      m.v === CACHE_VERSION &&
      m.src === file &&
      node.fs.existsSync(m.out) &&
      Object.entries(m.files).every(([f, s]) => same(stamp(f), s))
    )
      return pathToFileURL(m.out).href;
  } catch {
    /* no manifest, or a file is gone: build */
  }
  node.fs.mkdirSync(dir, { recursive: true });
  const files = await compileGraph(file, dir, api);
  const manifest: Manifest = { v: CACHE_VERSION, src: file, out: outFile(dir, file), files };
  writeAtomic(manifestFile, JSON.stringify(manifest));
  return pathToFileURL(manifest.out).href;
}

const same = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];
const outFile = (dir: string, file: string) => node.path.join(dir, `${hash(file)}${variant()}.mjs`);
/** Copies made where Node strips types import the files it runs as they are: they are kept apart. */
const variant = () => (hasTypeStripping() ? '-s' : '');

function writeAtomic(file: string, text: string): void {
  // Several workers may build the same file at once: each writes its own temp file.
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  node.fs.writeFileSync(tmp, text);
  node.fs.renameSync(tmp, file);
}

/** One TypeScript file, compiled; its TypeScript imports still to be pointed somewhere. */
interface Scanned {
  /** the compiled code; each TypeScript import is a placeholder `weft-dep:N` */
  text: string;
  /** the TypeScript files it imports: as written, and where they resolved */
  deps: { spec: string; path: string }[];
  /** other relative imports, as written (Node resolves them as written, or not) */
  rel: string[];
}

/**
 * Compiles `entry` and the TypeScript files it imports (relatively, outside
 * node_modules) into `dir`; returns every file read, with its stamp.
 *
 * Where Node strips types itself, an imported file Node can run as it is (see
 * `runsAsIs`) is imported from its own URL, not compiled: a module loaded both
 * by this copy and by a task module Node runs natively is then one instance.
 */
async function compileGraph(entry: string, dir: string, api: string): Promise<Record<string, [number, number]>> {
  const esbuild = node.module.createRequire(tsxPackageJson(api))('esbuild') as typeof import('esbuild');
  const files: Record<string, [number, number]> = {};
  const scanned = new Map<string, Scanned>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (scanned.has(file)) continue;
    files[file] = stamp(file);
    const s = await scan(esbuild, file);
    scanned.set(file, s);
    for (const d of s.deps) if (!scanned.has(d.path)) queue.push(d.path);
  }

  const asIs = new Map<string, boolean>();
  const runsAsIs = (file: string): boolean => {
    let ok = asIs.get(file);
    if (ok !== undefined) return ok;
    asIs.set(file, true); // a cycle: decided by the other files of the cycle
    const s = scanned.get(file)!;
    const base = node.path.dirname(file);
    ok =
      hasTypeStripping() &&
      strips(node.fs.readFileSync(file, 'utf8')) &&
      [...s.rel, ...s.deps.map((d) => d.spec)].every(
        (spec) => !spec.startsWith('.') || node.fs.existsSync(node.path.resolve(base, spec)),
      ) &&
      s.deps.every((d) => runsAsIs(d.path));
    asIs.set(file, ok);
    return ok;
  };

  // Write the copies: the entry, and what it reaches through files that need one.
  const written = new Set<string>();
  const write = (file: string) => {
    if (written.has(file)) return;
    written.add(file);
    const s = scanned.get(file)!;
    let text = s.text;
    s.deps.forEach((d, i) => {
      const asIsDep = runsAsIs(d.path);
      if (!asIsDep) write(d.path);
      text = text.replaceAll(`"weft-dep:${i}"`, JSON.stringify(pathToFileURL(asIsDep ? d.path : outFile(dir, d.path)).href));
    });
    writeAtomic(outFile(dir, file), text);
  };
  write(entry);
  return files;
}

/** Compiles one file; every import is left external: TypeScript ones as placeholders, others as absolute URLs. */
async function scan(esbuild: typeof import('esbuild'), file: string): Promise<Scanned> {
  const deps: Scanned['deps'] = [];
  const rel: string[] = [];
  const skip = Symbol('weft');
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true, // only to get every import through onResolve below; each is external
    write: false,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    logLevel: 'silent',
    define: {
      'import.meta.url': JSON.stringify(pathToFileURL(file).href),
      'import.meta.filename': JSON.stringify(file),
      'import.meta.dirname': JSON.stringify(node.path.dirname(file)),
    },
    plugins: [
      {
        name: 'weft-external',
        setup(b) {
          b.onResolve({ filter: /.*/ }, async (args) => {
            if (args.kind === 'entry-point' || args.pluginData === skip) return undefined;
            if (node.module.isBuiltin(args.path)) return { path: args.path, external: true };
            const r = await b.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              importer: args.importer,
              pluginData: skip,
            });
            if (r.errors.length || !r.path) return { path: args.path, external: true }; // Node will say what is wrong
            if (TS_EXT.test(r.path) && !r.path.endsWith('.cts') && !/[\\/]node_modules[\\/]/.test(r.path)) {
              let i = deps.findIndex((d) => d.path === r.path);
              if (i < 0) i = deps.push({ spec: args.path, path: r.path }) - 1;
              return { path: `weft-dep:${i}`, external: true };
            }
            if (args.path.startsWith('.')) rel.push(args.path);
            return { path: pathToFileURL(r.path).href, external: true };
          });
        },
      },
    ],
  });
  return { text: result.outputFiles[0]!.text, deps, rel };
}

/** True if Node's type stripping runs this source (no enum, namespace, parameter property...). */
function strips(source: string): boolean {
  const strip = (node.module as { stripTypeScriptTypes?: (code: string) => string }).stripTypeScriptTypes;
  if (strip === undefined) return false;
  // It warns that it is experimental, once per thread: not a message for weft's users.
  const emit = process.emitWarning;
  process.emitWarning = (() => {}) as typeof process.emitWarning;
  try {
    strip(source);
    return true;
  } catch {
    return false;
  } finally {
    process.emitWarning = emit;
  }
}

/** tsx's package.json, from the URL of its ESM API (…/tsx/dist/esm/api/index.mjs). */
function tsxPackageJson(api: string): string {
  const { dirname, join } = node.path;
  let dir = dirname(fileURLToPath(api));
  for (let i = 0; i < 6; i++) {
    const pj = join(dir, 'package.json');
    if (node.fs.existsSync(pj) && (JSON.parse(node.fs.readFileSync(pj, 'utf8')) as { name?: string }).name === 'tsx') return pj;
    dir = dirname(dir);
  }
  throw new Error(`tsx's package.json not found above ${api}`);
}
