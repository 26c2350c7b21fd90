/**
 * What this thread is, in one place: the program's own main thread, a weft
 * worker thread or a weft child process; its name; which task module it is
 * importing; and who wants to hear when a worker thread exits.
 *
 * The worker entries (src/workers/) set it from their INIT message; the public
 * readers (`currentThread()`, `currentProcess()`, `isMainModule()`) and the
 * guard against executors started while a worker imports a task module read
 * it. Explicit module state, not globals: every part of weft loaded in a
 * thread shares this one module instance.
 */
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { builtin } from './builtin.js';
import { TaskDefinitionError } from './errors.js';

/** How this thread runs. */
export type RuntimeKind = 'main' | 'thread' | 'process';

interface Runtime {
  kind: RuntimeKind;
  /** The weft name of this worker (a Thread's or Process's name, `pool#n`), once told. */
  name: string | undefined;
  /** Child processes: the daemon flag it was started with. */
  daemon: boolean | undefined;
  /** The URL of the task module being imported now, while the run loop imports one. */
  importing: string | undefined;
}

const runtime: Runtime = { kind: 'main', name: undefined, daemon: undefined, importing: undefined };

/** @internal set by the worker entries (kind) and by the run loop's INIT (name, daemon). */
export function setRuntime(kind: RuntimeKind, name?: string, daemon?: boolean): void {
  runtime.kind = kind;
  if (name !== undefined) runtime.name = name;
  if (daemon !== undefined) runtime.daemon = daemon;
}

/** @internal how this thread runs and its weft name (undefined on the main program). */
export function getRuntime(): Readonly<Runtime> {
  return runtime;
}

/** @internal the run loop marks the span of a task module's import. */
export function setImporting(url: string | undefined): void {
  runtime.importing = url;
}

/**
 * @internal Refuses to start workers while this worker imports a task module: the
 * module starts an executor at import time, so every worker would start a pool
 * of its own (a runaway). The program's entry module needs Python's
 * `if __name__ == '__main__'` guard: `isMainModule(import.meta)`.
 * @throws TaskDefinitionError naming the module and the guard.
 */
export function assertNotImportingTasks(what: string): void {
  const url = runtime.importing;
  if (url === undefined) return;
  throw new TaskDefinitionError(
    `${what} was started while a weft worker imported the task module ${url}: the module starts ` +
      'workers at import time, so every worker would start its own. Guard the code that runs the ' +
      "program with `if (isMainModule(import.meta)) { ... }` (from 'weft'), or move the tasks into a module of their own.",
  );
}

// ── worker-thread exits ───────────────────────────────────────────────────

const threadExitHooks = new Set<(threadId: number) => void>();

/** @internal `hook(threadId)` runs when a weft worker thread started here has exited. */
export function onWorkerThreadExit(hook: (threadId: number) => void): void {
  threadExitHooks.add(hook);
}

/** @internal called once per worker thread that exited (thread-worker.ts). */
export function workerThreadExited(threadId: number): void {
  for (const hook of threadExitHooks) {
    try {
      hook(threadId);
    } catch {
      /* a hook must not stop the others */
    }
  }
}

// ── isMainModule ──────────────────────────────────────────────────────────

let entryUrl: string | null | undefined;

/** The file URL of the program's entry script, resolved through symlinks (null if none). */
function programEntry(): string | null {
  if (entryUrl !== undefined) return entryUrl;
  const argv1 = process.argv[1];
  entryUrl = null;
  if (argv1) {
    try {
      entryUrl = pathToFileURL(realpath(argv1)).href;
    } catch {
      entryUrl = pathToFileURL(argv1).href;
    }
  }
  return entryUrl;
}

function sameModule(url: string, entry: string): boolean {
  if (url === entry) return true;
  // `node main` runs main.js: compare without the extension Node resolved for it.
  const bare = url.replace(/\.[cm]?[jt]sx?$/, '');
  return bare === entry || bare === entry.replace(/\.[cm]?[jt]sx?$/, '');
}

/**
 * True only in the program's entry module as the program runs it; false when a
 * weft worker imports that module for its tasks. Python's
 * `if __name__ == '__main__':`, for a file that holds both its tasks and its main code.
 *
 * @param meta the module's `import.meta`.
 * @example
 * export default defineTasks(import.meta.url, { fib });
 * if (isMainModule(import.meta)) {
 *   await using pool = new ThreadPoolExecutor();
 *   console.log(await pool.map(tasks.fib, [25, 26, 27]));
 * }
 */
export function isMainModule(meta: { url: string; main?: boolean }): boolean {
  if (meta === null || typeof meta !== 'object' || typeof meta.url !== 'string') {
    throw new TypeError("isMainModule(meta) expects the module's import.meta");
  }
  if (runtime.kind !== 'main' || !isMainThread) return false;
  if (typeof meta.main === 'boolean') return meta.main; // Node 24.2+
  const entry = programEntry();
  if (entry === null) return false;
  let url = meta.url;
  if (url.startsWith('file:')) {
    try {
      url = pathToFileURL(realpath(new URL(url))).href;
    } catch {
      /* keep it as given */
    }
  }
  return sameModule(url, entry);
}

/** node:fs through `builtin`: its ESM facade costs each thread that loads weft 1-2 ms (Node 26). */
function realpath(path: string | URL): string {
  return builtin<typeof import('node:fs')>('node:fs').realpathSync(path);
}
