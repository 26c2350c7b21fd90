/**
 * Starting weft child processes: what ProcessPoolExecutor and multiprocessing
 * Process share.
 *
 * - Children run `dist/workers/process-entry.js` with `serialization:
 *   'advanced'` (Maps, Dates, typed arrays, BigInt, errors keep their shape).
 * - They inherit the parent's execArgv (so `node --import tsx` parents'
 *   children load .ts task modules), minus the flags that would make the child
 *   something else (`-e`, `--test`, `--inspect` on the same port, `--watch`);
 *   the caller's `execArgv` is appended.
 * - Children never outlive the parent: they exit when the IPC channel closes
 *   (process-entry.ts), and the parent SIGKILLs the daemon ones it still has
 *   when it exits (a child stuck in a synchronous loop cannot see the channel close).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { describe } from '../core/errors.js';

/** The entry script every weft child process runs. */
export const PROCESS_ENTRY = new URL('../workers/process-entry.js', import.meta.url);

/** Env var names the entry reads (and removes) to answer `currentProcess()`. */
export const ENV_NAME = 'WEFT_PROCESS_NAME', ENV_DAEMON = 'WEFT_PROCESS_DAEMON';

// Flags of the parent a child must not inherit, and those among them that take a separate value.
const DROP = /^(?:-e|--eval|-p|--print|-pe|-c|--check|-i|--interactive|--test|--test-.*|--experimental-test-.*|--inspect.*|--debug.*|--watch|--watch-.*|--input-type|--run)(?:=.*)?$/;
const TAKES_VALUE = new Set([
  '-e', '--eval', '-p', '--print', '-pe', '--test-name-pattern', '--test-skip-pattern', '--test-reporter',
  '--test-reporter-destination', '--test-concurrency', '--test-timeout', '--test-shard', '--watch-path',
  '--input-type', '--run', '--test-coverage-include', '--test-coverage-exclude',
]);

/** The parent's execArgv a child should start with, then `extra`. */
export function childExecArgv(extra: readonly string[] | undefined): string[] {
  const out: string[] = [];
  const src = process.execArgv;
  for (let i = 0; i < src.length; i++) {
    const a = src[i]!;
    if (DROP.test(a)) {
      if (!a.includes('=') && TAKES_VALUE.has(a)) i++;
      continue;
    }
    out.push(a);
  }
  if (extra) out.push(...extra);
  return out;
}

/** Validates an `execArgv` option. */
export function checkExecArgv(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new TypeError(`execArgv must be an array of strings, got ${describe(v)}`);
  return [...v];
}

/** Validates an `env` option. */
export function checkEnv(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`env must be an object of strings, got ${describe(v)}`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new TypeError(`env.${k} must be a string, got ${describe(x)}`);
  }
  return { ...(v as Record<string, string>) };
}

const daemons = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Forks a weft child. Daemon children are SIGKILLed if still alive when this process exits. */
export function forkChild(opts: { execArgv?: readonly string[]; env?: Record<string, string>; name: string; daemon: boolean }): ChildProcess {
  const child = fork(PROCESS_ENTRY, [], {
    serialization: 'advanced',
    execArgv: childExecArgv(opts.execArgv),
    env: { ...process.env, ...opts.env, [ENV_NAME]: opts.name, [ENV_DAEMON]: opts.daemon ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (opts.daemon) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => { for (const c of daemons) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });
    }
    daemons.add(child);
    child.once('exit', () => daemons.delete(child));
  }
  return child;
}

/** True while the child has not exited. */
export function childAlive(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Python's exit code convention: the code, or minus the signal number when a signal ended it. */
export function pythonExitCode(code: number | null, signal: NodeJS.Signals | null): number | null {
  if (signal) return -((constants.signals as Record<string, number>)[signal] ?? 0);
  return code;
}
