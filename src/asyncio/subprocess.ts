/**
 * createSubprocessExec: Python's `asyncio.create_subprocess_exec`.
 *
 *   createSubprocessExec(file, args) ──spawned──> Subprocess (running) ──exit──> returncode set
 *        │ spawn fails (ENOENT, EACCES): rejects        │
 *        │                                              ├─ wait() / communicate() resolve
 *        │                                              └─ a task awaiting them is cancelled:
 *        │                                                 SIGTERM now, SIGKILL after killGrace
 *
 * No child outlives its program: when the process exits (normally, `process.exit()`,
 * an uncaught error), the children still running are killed (SIGKILL). Under `run()`,
 * SIGINT / SIGTERM cancel the main task, which terminates the children it awaits.
 *
 * `wait()` is a weft wait: it belongs to the current task's cancel scope, so cancelling
 * the task (or a `timeout()` around it) rejects it with CancelledError, and that is what
 * stops the child. A `returncode` is the exit code, or minus the signal number when a
 * signal ended the child (Python's convention: -9 after `kill()`).
 */
// node:child_process is loaded on first use: importing weft/asyncio loads no process machinery.
import { builtin } from '../core/builtin.js';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { describe, InvalidStateError } from '../core/errors.js';
import { array, duration, oneOf, options, record, str } from '../core/options.js';
import { cancel as cancelTimer, later, type Later } from '../core/timers.js';
import { WaiterQueue } from '../core/waiters.js';

/** How a standard stream of the child is connected. */
export type StdioMode = 'pipe' | 'inherit' | 'ignore';

/** Options of {@link createSubprocessExec}. */
export interface SubprocessOptions {
  /** Working directory of the child. */
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: Record<string, string>;
  /** Default 'inherit' (as Python's None). 'pipe': `proc.stdin` is a WritableStream. */
  stdin?: StdioMode;
  /** Default 'inherit'. 'pipe': `proc.stdout` is an async iterable of byte chunks. */
  stdout?: StdioMode;
  /** Default 'inherit'. 'pipe': `proc.stderr` is an async iterable of byte chunks. */
  stderr?: StdioMode;
  /** Milliseconds between SIGTERM and SIGKILL when a cancellation stops the child (default 1000). */
  killGrace?: number;
}

/** A running child process (Python's `asyncio.subprocess.Process`). */
export interface Subprocess {
  /** The child's process id. */
  readonly pid: number;
  /** Its standard input, with `stdin: 'pipe'`. */
  readonly stdin?: WritableStream<Uint8Array>;
  /** Its standard output, with `stdout: 'pipe'` (`for await (const chunk of proc.stdout)`). */
  readonly stdout?: AsyncIterable<Uint8Array>;
  /** Its standard error, with `stderr: 'pipe'`. */
  readonly stderr?: AsyncIterable<Uint8Array>;
  /** null while it runs; then its exit code, or minus the signal number that ended it. */
  readonly returncode: number | null;
  /** Waits for the child to exit; returns `returncode`. Cancelling the awaiting task stops the child. */
  wait(): Promise<number>;
  /**
   * Sends `input` to its stdin (then closes it), reads stdout and stderr to the end and
   * waits for it to exit. Streams that are not piped come back empty.
   * Cancelling the awaiting task stops the child.
   */
  communicate(input?: string | Uint8Array): Promise<{ stdout: Uint8Array; stderr: Uint8Array }>;
  /** SIGTERM (nothing if it has exited). */
  terminate(): void;
  /** SIGKILL (nothing if it has exited). */
  kill(): void;
}

const KEYS = ['cwd', 'env', 'stdin', 'stdout', 'stderr', 'killGrace'] as const;
const MODES = ['pipe', 'inherit', 'ignore'] as const;
const WHERE = 'createSubprocessExec()';

// ─── no child outlives its program ───────────────────────────────────────────

const live = new Set<ChildProcess>();
function killAll(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
function track(c: ChildProcess): void {
  if (live.size === 0) process.on('exit', killAll);
  live.add(c);
}
function untrack(c: ChildProcess): void {
  if (live.delete(c) && live.size === 0) process.off('exit', killAll);
}

function noop(): void {}

async function collect(s: AsyncIterable<Uint8Array> | undefined): Promise<Uint8Array> {
  if (s === undefined) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for await (const chunk of s) parts.push(chunk);
  return Buffer.concat(parts);
}

class SubprocessImpl implements Subprocess {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array> | undefined;
  readonly stdout: AsyncIterable<Uint8Array> | undefined;
  readonly stderr: AsyncIterable<Uint8Array> | undefined;
  returncode: number | null = null;
  private readonly exit = new WaiterQueue<number>();
  private killTimer: Later | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly killGrace: number,
  ) {
    this.pid = child.pid!;
    // A write to a child that has exited fails its stream, not the program.
    child.stdin?.on('error', noop);
    const { Writable } = builtin<typeof import('node:stream')>('node:stream');
    this.stdin = child.stdin ? (Writable.toWeb(child.stdin) as WritableStream<Uint8Array>) : undefined;
    this.stdout = child.stdout ?? undefined;
    this.stderr = child.stderr ?? undefined;
    // A task awaiting wait()/communicate() was cancelled: stop the child.
    this.exit.onAbort = () => this.stop();
    child.once('exit', (code, signal) => {
      this.returncode = code ?? (signal !== null ? -(constants.signals[signal] ?? 1) : -1);
      cancelTimer(this.killTimer);
      this.killTimer = undefined;
      untrack(child);
      this.exit.grantAll(this.returncode);
    });
  }

  wait(): Promise<number> {
    if (this.returncode !== null) return Promise.resolve(this.returncode);
    return this.exit.wait(undefined);
  }

  async communicate(input?: string | Uint8Array): Promise<{ stdout: Uint8Array; stderr: Uint8Array }> {
    if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array))
      throw new TypeError(`Subprocess.communicate(input) expects a string or a Uint8Array, got ${describe(input)}`);
    const stdin = this.child.stdin;
    if (input !== undefined && stdin == null)
      throw new InvalidStateError("Subprocess.communicate(input) needs the child's stdin: start it with { stdin: 'pipe' }");
    if (stdin != null && !stdin.writableEnded) stdin.end(input ?? undefined);
    const out = collect(this.stdout);
    const err = collect(this.stderr);
    out.catch(noop);
    err.catch(noop);
    await this.wait();
    return { stdout: await out, stderr: await err };
  }

  terminate(): void {
    this.signal('SIGTERM');
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.returncode !== null) return;
    try {
      this.child.kill(sig);
    } catch {
      /* already gone */
    }
  }

  /** SIGTERM now, SIGKILL after killGrace if it is still running. */
  private stop(): void {
    if (this.returncode !== null) return;
    this.terminate();
    if (this.killTimer === undefined) this.killTimer = later(killChild, this.killGrace, this);
  }

  /** @internal */
  _killNow(): void {
    this.killTimer = undefined;
    this.kill();
  }

  get [Symbol.toStringTag](): string {
    return `Subprocess ${this.pid} ${this.returncode === null ? 'running' : `exited ${this.returncode}`}`;
  }
}

function killChild(p: SubprocessImpl): void {
  p._killNow();
}

/**
 * Starts `file` with `args` as a child process (Python's
 * `asyncio.create_subprocess_exec`): no shell, arguments passed as they are.
 *
 * @param file the program (looked up in PATH).
 * @param args its arguments.
 * @param opts `cwd`, `env`, `stdin` / `stdout` / `stderr` ('pipe' | 'inherit' | 'ignore', default
 *   'inherit'), `killGrace` (ms between SIGTERM and SIGKILL when a cancellation stops it; default 1000).
 * @returns the {@link Subprocess}, once it has started.
 * @throws (as a rejection) the spawn error (ENOENT, EACCES ...); TypeError for bad arguments.
 *
 * @example
 * const proc = await createSubprocessExec('node', ['-e', 'console.log(6 * 7)'], { stdout: 'pipe' });
 * const { stdout } = await proc.communicate();
 * console.log(new TextDecoder().decode(stdout).trim(), proc.returncode); // 42 0
 */
export async function createSubprocessExec(file: string, args: string[] = [], opts?: SubprocessOptions): Promise<Subprocess> {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${WHERE} expects a program name, got ${describe(file)}`);
  const argv = array<unknown>(WHERE, 'args', args) ?? [];
  for (const a of argv) if (typeof a !== 'string') throw new TypeError(`${WHERE}: every argument must be a string, got ${describe(a)}`);
  const o = options(WHERE, opts, KEYS);
  const cwd = str(WHERE, 'cwd', o.cwd);
  const env = record<Record<string, string>>(WHERE, 'env', o.env);
  if (env !== undefined)
    for (const [k, v] of Object.entries(env))
      if (typeof v !== 'string') throw new TypeError(`${WHERE}: env.${k} must be a string, got ${describe(v)}`);
  const stdio = [
    oneOf(WHERE, 'stdin', o.stdin, MODES, 'inherit'),
    oneOf(WHERE, 'stdout', o.stdout, MODES, 'inherit'),
    oneOf(WHERE, 'stderr', o.stderr, MODES, 'inherit'),
  ];
  const killGrace = duration(WHERE, 'killGrace', o.killGrace, 1000);
  const { spawn } = builtin<typeof import('node:child_process')>('node:child_process');
  const child = spawn(file, argv as string[], { cwd, env, stdio });
  await new Promise<void>((resolve, reject) => {
    const onSpawn = () => {
      child.off('error', onError);
      resolve();
    };
    const onError = (e: Error) => {
      child.off('spawn', onSpawn);
      reject(e);
    };
    child.once('spawn', onSpawn);
    child.once('error', onError);
  });
  child.on('error', noop); // later errors (a failed kill) are not the program's
  track(child);
  return new SubprocessImpl(child, killGrace);
}
