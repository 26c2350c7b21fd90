/**
 * Finding tsx, so worker threads can load TypeScript task modules.
 *
 * On Node 20, tsx's loader hooks do not reach worker threads, and inheriting
 * the parent's `--import tsx` does not help. What works: the worker registers
 * tsx's ESM API itself before it imports a .ts module. We find that API next
 * to the tsx the parent runs under. Node 22.18+/24 strip types natively and
 * need nothing.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { builtin } from '../core/builtin.js';

let cached: string | undefined | null = null;

/** file URL of tsx's ESM API when this process runs under tsx, else undefined. */
export function tsxApiUrl(): string | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (!flags.some((f) => /tsx/.test(f))) return cached;
  const candidates: string[] = [];
  for (const f of flags) {
    const m = /^(?:file:\/\/)?(.*[\\/]node_modules[\\/]tsx)[\\/]/.exec(f);
    if (m) candidates.push(decodeURIComponent(m[1]!));
  }
  for (const base of [process.cwd(), ...(process.argv[1] ? [dirname(process.argv[1])] : [])]) {
    try {
      candidates.push(dirname(createRequire(join(base, 'noop.js')).resolve('tsx/package.json')));
    } catch {
      /* not resolvable from there */
    }
  }
  for (const dir of candidates) {
    const api = join(dir, 'dist', 'esm', 'api', 'index.mjs');
    if (builtin<typeof import('node:fs')>('node:fs').existsSync(api)) return (cached = pathToFileURL(api).href);
  }
  return cached;
}

/** `--import`-like flags whose next argument (or `=value`) names a module to preload. */
const PRELOAD_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
const isTsx = (spec: string) => /(?:^|[\\/])tsx(?:$|[\\/])/.test(spec.replace(/^file:\/\//, ''));

/**
 * The execArgv a worker thread should start with: the parent's, without the flags
 * that load tsx, or undefined (inherit everything) when there are none.
 *
 * A worker thread inherits its parent's execArgv, so under `node --import tsx`
 * every worker would load tsx and start a loader thread of its own (about 75 ms
 * per worker on 2 cores, bench/RESULTS.md "cold start"), while tsx's hooks do not
 * even reach the worker's imports on Node 20. weft's worker loader
 * (workers/loader.ts) runs TypeScript task modules without it.
 *
 * An inherited execArgv is taken as it is, but one given to `new Worker` is
 * checked, and flags that apply to a whole process (`--v8-pool-size`,
 * `--title`, ...) are refused: those are left out too (see `forWorkers`).
 */
export function threadExecArgv(): string[] | undefined {
  if (threadArgv === null) threadArgv = withoutTsx(process.execArgv);
  return threadArgv;
}
let threadArgv: string[] | undefined | null = null;

function withoutTsx(src: readonly string[]): string[] | undefined {
  const out: string[] = [];
  let dropped = false;
  for (let i = 0; i < src.length; i++) {
    const a = src[i]!;
    const eq = a.indexOf('=');
    const flag = eq < 0 ? a : a.slice(0, eq);
    if (PRELOAD_FLAGS.has(flag)) {
      const value = eq < 0 ? src[i + 1] : a.slice(eq + 1);
      if (value !== undefined && isTsx(value)) {
        dropped = true;
        if (eq < 0) i++;
        continue;
      }
    }
    out.push(a);
  }
  return dropped ? forWorkers(out) : undefined;
}

/**
 * `argv` without the flags a worker thread refuses. Node names them in the
 * error of `new Worker`, which it throws before starting any thread: a probe with
 * one flag sure to be refused (so the probe never starts a thread) learns the others.
 */
function forWorkers(argv: string[]): string[] {
  const sentinel = '--v8-pool-size=1';
  try {
    const w = new Worker('', { eval: true, execArgv: [...argv, sentinel], stdout: true, stderr: true });
    void w.terminate(); // this Node accepted even the sentinel: nothing to learn
    return argv;
  } catch (err: any) {
    if (err?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return argv;
    const message = String(err.message);
    const refused = new Set(message.slice(message.indexOf(': ') + 2).split(', '));
    return argv.filter((a) => !refused.has(a));
  }
}
