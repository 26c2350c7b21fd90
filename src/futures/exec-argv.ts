/**
 * The Node flags a worker starts with: the parent's `process.execArgv`, minus
 * those that would make the worker something else. One scan serves threads and
 * child processes:
 *
 * - both drop the flags that name the parent's own entry or mode: `-e`/`-p`
 *   and `--input-type` (a worker given a file refuses `--input-type`:
 *   ERR_INPUT_TYPE_NOT_ALLOWED, so `node --input-type=module -e '...'` could not
 *   start a pool), `--test*`, `--watch*`, `--inspect*` (its port is taken),
 *   `--check`, `--interactive`, `--run`;
 * - threads also drop the flags that load tsx: under `node --import tsx` every
 *   thread would load tsx and start a loader thread of its own (about 75 ms per
 *   worker on 2 cores, bench/RESULTS.md "cold start"), while tsx's hooks do not
 *   even reach a worker's imports on Node 20. weft's worker loader
 *   (workers/loader.ts) runs TypeScript task modules without it. Children keep
 *   them: a child process is a whole Node, and tsx's hooks work there.
 */
import { Worker } from 'node:worker_threads';

/** Flags a worker must not inherit (the parent's entry or mode). */
const ENTRY_FLAGS =
  /^(?:-e|--eval|-p|--print|-pe|-c|--check|-i|--interactive|--test|--test-.*|--experimental-test-.*|--inspect.*|--debug.*|--watch|--watch-.*|--input-type|--run)$/;
/** `--import`-like flags: their value names a module to preload. */
const PRELOAD_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
/** Flags whose value may come as the next argument rather than after `=`. */
const TAKES_VALUE = new Set([
  ...PRELOAD_FLAGS,
  '-e',
  '--eval',
  '-p',
  '--print',
  '-pe',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-concurrency',
  '--test-timeout',
  '--test-shard',
  '--watch-path',
  '--input-type',
  '--run',
  '--test-coverage-include',
  '--test-coverage-exclude',
  '--test-coverage-branches',
  '--test-coverage-functions',
  '--test-coverage-lines',
  '--test-isolation',
  '--test-global-setup',
  '--inspect-port',
  '--debug-port',
  '--inspect-publish-uid',
]);
const isTsx = (spec: string) => /(?:^|[\\/])tsx(?:$|[\\/])/.test(spec.replace(/^file:\/\//, ''));

/** `src` without the entry flags (and, with `dropTsx`, those that load tsx); `dropped`: whether any went. */
function filterFlags(src: readonly string[], dropTsx: boolean): { argv: string[]; dropped: boolean } {
  const argv: string[] = [];
  let dropped = false;
  for (let i = 0; i < src.length; i++) {
    const a = src[i]!;
    const eq = a.indexOf('=');
    const flag = eq < 0 ? a : a.slice(0, eq);
    const separate = eq < 0 && TAKES_VALUE.has(flag);
    const value = separate ? src[i + 1] : a.slice(eq + 1);
    if (ENTRY_FLAGS.test(flag) || (dropTsx && PRELOAD_FLAGS.has(flag) && value !== undefined && isTsx(value))) {
      dropped = true;
      if (separate) i++;
      continue;
    }
    argv.push(a);
    if (separate && i + 1 < src.length) argv.push(src[++i]!);
  }
  return { argv, dropped };
}

/** The parent's execArgv a child process should start with, then `extra`. */
export function childExecArgv(extra: readonly string[] | undefined): string[] {
  const { argv } = filterFlags(process.execArgv, false);
  if (extra) argv.push(...extra);
  return argv;
}

/**
 * The execArgv a worker thread should start with: the parent's without the
 * flags above, or undefined (inherit everything) when there are none.
 *
 * An inherited execArgv is taken as it is, but one given to `new Worker` is
 * checked, and flags that apply to a whole process (`--v8-pool-size`,
 * `--title`, ...) are refused: those are left out too (see `forWorkers`).
 */
export function threadExecArgv(): string[] | undefined {
  if (threadArgv === null) {
    const { argv, dropped } = filterFlags(process.execArgv, true);
    threadArgv = dropped ? forWorkers(argv) : undefined;
  }
  return threadArgv;
}
let threadArgv: string[] | undefined | null = null;

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
