/**
 * Starting weft child processes: what ProcessPoolExecutor and multiprocessing
 * Process share.
 *
 * - Children run `dist/workers/process-entry.js` with `serialization:
 *   'advanced'` (Maps, Dates, typed arrays, BigInt, errors keep their shape).
 * - They inherit the parent's execArgv (so `node --import tsx` parents'
 *   children load .ts task modules), minus the flags that would make the child
 *   something else (`-e`, `--test`, `--inspect` on the same port, `--watch`:
 *   exec-argv.ts); the caller's `execArgv` is appended.
 * - Children never outlive the parent, however it ends:
 *     - the parent exits normally: it SIGKILLs the daemon children it still has
 *       ('exit' hook below); the others see their IPC channel close;
 *     - the IPC channel closes (parent exited, killed, or retired the child): a child
 *       whose event loop is free exits at once (exit handlers run; process-entry.ts);
 *     - the parent is killed by a signal (no 'exit' hook runs) while the child is
 *       stuck in a synchronous loop (it cannot see the channel close): a watchdog
 *       thread in the child notices the parent is gone within about a second and
 *       SIGKILLs the child (process-entry.ts). This holds for non-daemon Process
 *       children too: Python would leave them running as orphans; weft does not.
 * - `watchChild` is THE place a parent learns that a child has ended, and
 *   `setChildRef` whether it keeps the parent alive.
 */
import type { ChildProcess } from 'node:child_process';
import { builtin } from '../core/builtin.js';
import { constants } from 'node:os';
import { describe } from '../core/errors.js';
import { childExecArgv } from './exec-argv.js';

/** The entry script every weft child process runs. */
export const PROCESS_ENTRY = new URL('../workers/process-entry.js', import.meta.url);

/** Validates an `execArgv` option. */
export function checkExecArgv(where: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new TypeError(`${where}: execArgv must be an array of strings, got ${describe(v)}`);
  return [...v];
}

/** Validates an `env` option. */
export function checkEnv(where: string, v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new TypeError(`${where}: env must be an object of strings, got ${describe(v)}`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new TypeError(`${where}: env.${k} must be a string, got ${describe(x)}`);
  }
  return { ...(v as Record<string, string>) };
}

const daemons = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Forks a weft child. Daemon children are SIGKILLed if still alive when this process exits. */
export function forkChild(opts: { execArgv?: readonly string[]; env?: Record<string, string>; daemon: boolean }): ChildProcess {
  const { fork } = builtin<typeof import('node:child_process')>('node:child_process');
  const child = fork(PROCESS_ENTRY, [], {
    serialization: 'advanced',
    execArgv: childExecArgv(opts.execArgv),
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
    // fd 4: the control socket, served by the child's control thread (workers/child-control.ts).
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
  });
  if (opts.daemon) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const c of daemons) {
          try {
            c.kill('SIGKILL');
          } catch {
            /* gone */
          }
        }
      });
    }
    daemons.add(child);
    child.once('exit', () => daemons.delete(child));
  }
  return child;
}

/** How a child ended, as {@link watchChild} reports it. */
export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The first 'error' the child emitted (failed to spawn, a send on a closed channel), if any. */
  error: unknown;
  /** True if the child never started (no pid): `error` says why. */
  spawnFailed: boolean;
}

/**
 * Calls `onGone` once, when the child is gone: it has exited AND its IPC channel
 * has closed, so every message it wrote before dying (replies, claims, its last
 * word) has been read and handled first. Also when it failed to spawn.
 * ('close' alone is not enough: it does not fire after a parent-side disconnect;
 * 'exit' alone is too early: messages may still be unread.)
 *
 * @returns a promise that resolves right after `onGone` has run.
 */
export function watchChild(child: ChildProcess, onGone: (end: ChildEnd) => void): Promise<void> {
  let resolve!: () => void;
  const gone = new Promise<void>((r) => {
    resolve = r;
  });
  const end: ChildEnd = { code: null, signal: null, error: undefined, spawnFailed: false };
  let exited = false,
    finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    try {
      onGone(end);
    } finally {
      resolve();
    }
  };
  child.on('error', (err) => {
    if (end.error === undefined) end.error = err;
    if (child.pid === undefined && !end.spawnFailed) {
      end.spawnFailed = true;
      queueMicrotask(done);
    }
  });
  child.once('exit', (code, signal) => {
    end.code = code;
    end.signal = signal;
    exited = true;
    if (!child.connected) done();
  });
  child.once('disconnect', () => {
    if (exited) done();
  });
  child.once('close', done);
  return gone;
}

/** Makes the child (process handle and IPC channel) keep this process alive, or stop keeping it alive. */
export function setChildRef(child: ChildProcess | undefined, ref: boolean): void {
  if (child === undefined) return;
  const ch = (child as any).channel as { ref?(): void; unref?(): void } | undefined;
  if (ref) {
    child.ref();
    ch?.ref?.();
  } else {
    child.unref();
    ch?.unref?.();
  }
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
