/**
 * Real parts for the cluster tests: Debian's redis-server on a free loopback
 * port, and worker nodes (`weft worker`) as child processes. Everything started
 * here is tracked and stopped by PID in `stopAll()` (call it in `after()`).
 *
 * Without redis-server on the PATH the cluster tests skip, except under CI
 * (env CI set), where that is a failure: CI installs it (.ci/run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const TASKS = join(ROOT, 'test', 'fixtures', 'tasks.mjs');
export const PLAIN = join(ROOT, 'test', 'fixtures', 'plain.mjs');

const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * `describe` options for a cluster suite: skip without redis-server (a failure under CI).
 * Under CI, `requireRedis()` in `before()` fails the suite instead.
 */
export function suite(timeout: number): { timeout: number; skip?: string } {
  if (hasRedis || process.env.CI) return { timeout };
  return { timeout, skip: 'redis-server is not installed (apt-get install redis-server); the cluster tests need it' };
}

/** Throws under CI when redis-server is missing (CI must install it, see .ci/run). */
export function requireRedis(): void {
  if (!hasRedis) throw new Error('redis-server is not on the PATH: the cluster tests need it (apt-get install -y redis-server)');
}

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills (SIGKILL) every child this file started that is still running, by PID, and waits for them. */
export async function stopAll(): Promise<void> {
  const left = [...children];
  await Promise.all(
    left.map(
      (c) =>
        new Promise<void>((res) => {
          if (c.exitCode !== null || c.signalCode !== null) return res();
          c.once('exit', () => res());
          try {
            process.kill(c.pid!, 'SIGKILL');
          } catch {
            res();
          }
        }),
    ),
  );
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Waits until `re` matches a line of the child's stdout; rejects if it exits or `ms` pass. */
function waitLine(child: ChildProcess, re: RegExp, what: string, ms: number): Promise<RegExpMatchArray> {
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => done(new Error(`${what}: not ready within ${ms} ms\nstdout: ${out}\nstderr: ${err}`)), ms);
    const onOut = (b: Buffer) => {
      out += b.toString();
      const m = re.exec(out);
      if (m) done(undefined, m);
    };
    const onErr = (b: Buffer) => {
      err += b.toString();
    };
    const onExit = (code: number | null, sig: string | null) =>
      done(new Error(`${what}: exited (${code ?? sig}) before it was ready\nstdout: ${out}\nstderr: ${err}`));
    function done(e?: Error, m?: RegExpMatchArray) {
      clearTimeout(timer);
      child.stdout!.off('data', onOut);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (e) rej(e);
      else res(m!);
    }
    child.stdout!.on('data', onOut);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Resolves with [code, signal] once the child exited. */
export function exited(child: ChildProcess): Promise<[number | null, string | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode, child.signalCode]);
  return new Promise((res) => child.once('exit', (code, sig) => res([code, sig])));
}

/** A redis-server of this test file: loopback only, no persistence. */
export class RedisServer {
  private constructor(
    readonly port: number,
    private proc: ChildProcess,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  get pid(): number {
    return this.proc.pid!;
  }

  private static async spawn(port: number): Promise<ChildProcess> {
    const proc = track(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    await waitLine(proc, /Ready to accept connections/, `redis-server on port ${port}`, 15_000);
    proc.stdout!.resume();
    proc.stderr!.resume();
    return proc;
  }

  /** Starts one on a free port. */
  static async start(): Promise<RedisServer> {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      try {
        return new RedisServer(port, await RedisServer.spawn(port));
      } catch (err) {
        if (attempt >= 2) throw err;
      }
    }
  }

  /** Stops it (by PID) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = exited(this.proc);
    process.kill(this.proc.pid!, signal);
    await gone;
  }

  /** Kills it and starts a new one on the same port: an empty Redis, as after a crash without persistence. */
  async restart(downMs = 0): Promise<void> {
    await this.stop('SIGKILL');
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    this.proc = await RedisServer.spawn(this.port);
  }
}

export interface NodeOptions {
  queue?: string;
  workers?: number;
  concurrency?: number;
  lockDuration?: number;
  cancelGrace?: number;
  backend?: 'threads' | 'processes';
  modules?: string[];
  env?: Record<string, string>;
}

/** A worker node: `weft worker` in a child process. */
export class WorkerProc {
  stderr = '';
  private constructor(
    readonly proc: ChildProcess,
    readonly id: string,
  ) {
    proc.stderr!.on('data', (b: Buffer) => {
      this.stderr += b.toString();
    });
    proc.stdout!.resume();
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Starts a node and waits until it takes jobs. */
  static async start(url: string, o: NodeOptions = {}): Promise<WorkerProc> {
    const args = [CLI, 'worker', '--connection', url, '--queue', o.queue ?? 'weft', '--workers', String(o.workers ?? 1)];
    if (o.concurrency !== undefined) args.push('--concurrency', String(o.concurrency));
    if (o.lockDuration !== undefined) args.push('--lock-duration', String(o.lockDuration));
    if (o.cancelGrace !== undefined) args.push('--cancel-grace', String(o.cancelGrace));
    if (o.backend !== undefined) args.push('--backend', o.backend);
    args.push(...(o.modules ?? [TASKS, PLAIN]));
    const proc = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } }));
    const m = await waitLine(proc, /^ready (\S+)$/m, `weft worker (queue ${o.queue ?? 'weft'})`, 30_000);
    return new WorkerProc(proc, m[1]!);
  }

  /** Sends a signal by PID. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      process.kill(this.proc.pid!, signal);
    } catch {
      /* already gone */
    }
  }

  /** Resolves with [code, signal] once it exited. */
  exited(): Promise<[number | null, string | null]> {
    return exited(this.proc);
  }

  /** SIGKILL and wait. */
  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited();
  }
}
