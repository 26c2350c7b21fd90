/**
 * A worker node of a ClusterExecutor (`weft worker`).
 *
 *   BullMQ Worker (this event loop: I/O only)        local weft pool (threads or processes)
 *     takes a job ──> 's' on the client's stream
 *                ──> pool.run(task, args) / pool.map ──────────> runs the task body
 *     result <────────────────────────────────────────────────── value or error
 *     'r' + envelope on the client's stream; envelope (base64) as the job's return value
 *
 *   pub/sub cancel channel ──> the job's AbortController ──> the pool cancels the
 *   future: the task's currentSignal() aborts, its worker is terminated after cancelGrace.
 *
 * Task bodies never run on this event loop: a CPU-bound task here would stall
 * BullMQ's lock renewal and the heartbeat, and the job would be run again
 * elsewhere although it did not fail.
 *
 * States: starting -> running -> draining (SIGINT/SIGTERM: takes no more jobs,
 * finishes the running ones) -> stopped. A second signal while draining puts
 * the running jobs back in the queue for other nodes and cancels them here.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deserialize } from 'node:v8';
import { readFileSync } from 'node:fs';
import { CancelledError, InvalidStateError, TaskDefinitionError, WorkerCrashedError } from '../core/errors.js';
import type { Executor } from '../core/executor.js';
import { options, int, oneOf, duration } from '../core/options.js';
import { isTaskTable, tasksFrom, type TaskRef } from '../core/tasks.js';
import { ThreadPoolExecutor } from '../futures/thread-pool.js';
import { ProcessPoolExecutor } from '../futures/process-pool.js';
import { cpuCount } from '../core/cpu.js';
import { deps, type BullMQ } from './deps.js';
import { queueKeys, type QueueKeys } from './keys.js';
import { Link, parseConnection, type ConnectionSpec } from './link.js';
import { beat, forget, type ClusterNode } from './registry.js';
import { moduleId } from './task-id.js';
import { CANCELLED, OK, encodeEnvelope, errorEnvelope, type Envelope, type JobData } from './wire.js';
import { KEEP_JOBS_S } from './executor.js';

/** Options of a {@link WorkerNode} (the flags of `weft worker`). */
export interface WorkerNodeOptions {
  connection: ConnectionSpec['options'] | string;
  /** Task modules to load (paths or file URLs). */
  modules: string[];
  queue?: string;
  backend?: 'threads' | 'processes';
  /** Threads or processes of the local pool (default: CPUs). */
  workers?: number;
  /** Jobs taken at once (default: workers). */
  concurrency?: number;
  /** Ms a job stays claimed without renewal (default 10000); a dead node's jobs run again after it. */
  lockDuration?: number;
  /** Ms a cancelled task may take to stop before its worker is terminated (default 1000). */
  cancelGrace?: number;
  /** Where the node says what it does (default: nothing). */
  log?: (line: string) => void;
}

const KEYS = ['connection', 'modules', 'queue', 'backend', 'workers', 'concurrency', 'lockDuration', 'cancelGrace', 'log'] as const;
/** A task still running this long after it started is reported 'running' to its client (ms). */
const START_DELAY_MS = 2;
/** A draining node stops waiting for its jobs' completions once Redis is unreachable this long (ms). */
const REDIS_LOST_MS = 2000;
/** A reply stream lives this long after its last reply (a client that died leaves it behind). */
const REPLY_TTL_MS = 24 * 3600 * 1000;

type NodeState = 'starting' | 'running' | 'draining' | 'stopped';

interface Running {
  ac: AbortController;
  job: BullMQ.Job;
  token: string | undefined;
  cancelled: boolean;
  requeue: boolean;
}

function weftVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Loads task modules and lists what they serve: portable id -> TaskRef.
 * @throws TaskDefinitionError naming a module that fails to load or defines no task.
 */
export async function loadTaskModules(modules: readonly string[]): Promise<Map<string, TaskRef>> {
  const served = new Map<string, TaskRef>();
  for (const m of modules) {
    const url = /^file:/.test(m) ? m : pathToFileURL(resolve(m)).href;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (err) {
      throw new TaskDefinitionError(`Cannot load task module ${m}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    const before = served.size;
    const base = moduleId(url);
    // Plain function exports first, then defineTasks tables (which win on a shared name).
    const refs = tasksFrom<Record<string, (...a: unknown[]) => unknown>>(url) as Record<string, TaskRef>;
    for (const [name, v] of Object.entries(mod)) if (typeof v === 'function') served.set(`${base}#${name}`, refs[name]!);
    for (const v of Object.values(mod)) {
      if (!isTaskTable(v)) continue;
      for (const [name, ref] of Object.entries(v)) served.set(`${moduleId(ref.module)}#${name}`, ref);
    }
    if (served.size === before)
      throw new TaskDefinitionError(`Task module ${m} defines no task (no defineTasks table, no exported function)`);
  }
  return served;
}

/**
 * One worker node: takes jobs of a queue and runs them in a local weft pool.
 *
 * @example
 * const node = await WorkerNode.start({ connection: 'redis://127.0.0.1:6379', modules: ['./tasks.js'] });
 * process.once('SIGTERM', () => node.drain());
 */
export class WorkerNode {
  readonly id: string;
  private state: NodeState = 'starting';
  private readonly keys: QueueKeys;
  private readonly spec: ConnectionSpec;
  private readonly cmd: Link;
  private readonly sub: Link;
  private readonly pool: Executor;
  private worker: BullMQ.Worker | undefined;
  private readonly running = new Map<string, Running>();
  private readonly recentCancels = new Map<string, number>();
  private hbTimer: NodeJS.Timeout | undefined;
  private readonly info: ClusterNode;
  private readonly hbEvery: number;
  private stopped: Promise<void> | undefined;
  private readonly log: (line: string) => void;

  private constructor(
    opts: WorkerNodeOptions,
    private readonly served: Map<string, TaskRef>,
  ) {
    const o = options('WorkerNode', opts, KEYS);
    this.spec = parseConnection('weft worker', typeof o.connection === 'string' ? o.connection : o.connection);
    this.keys = queueKeys('weft worker', o.queue);
    const backend = oneOf('weft worker', 'backend', o.backend, ['threads', 'processes'] as const, 'threads');
    const workers = int('weft worker', 'workers', o.workers, cpuCount(), { min: 1 });
    const concurrency = int('weft worker', 'concurrency', o.concurrency, workers, { min: 1 });
    const lockDuration = int('weft worker', 'lockDuration', o.lockDuration, 10_000, { min: 500 });
    const cancelGrace = duration('weft worker', 'cancelGrace', o.cancelGrace, 1000);
    this.log = (o.log as ((l: string) => void) | undefined) ?? (() => {});
    this.id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.hbEvery = Math.min(1000, Math.floor(lockDuration / 3));
    this.pool =
      backend === 'processes'
        ? new ProcessPoolExecutor({ maxWorkers: workers, cancelGrace })
        : new ThreadPoolExecutor({ maxWorkers: workers, cancelGrace });
    this.cmd = new Link(this.spec, `weft-node-${this.id}`);
    this.sub = new Link(this.spec, `weft-node-${this.id}-cancel`);
    this.info = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      queue: this.keys.name,
      tasks: [...served.keys()].sort(),
      workers,
      concurrency,
      busy: 0,
      backend,
      lockDuration,
      version: weftVersion(),
      since: Date.now(),
      running: [],
      draining: false,
    };
  }

  /**
   * Loads the task modules, connects, announces the node and starts taking jobs.
   * @throws TaskDefinitionError for a module that fails to load; an Error naming the address when Redis cannot be reached.
   */
  static async start(opts: WorkerNodeOptions): Promise<WorkerNode> {
    if (opts === null || typeof opts !== 'object' || !Array.isArray(opts.modules) || opts.modules.length === 0) {
      throw new TypeError('WorkerNode.start needs { connection, modules: [at least one task module] }');
    }
    const served = await loadTaskModules(opts.modules);
    const node = new WorkerNode(opts, served);
    try {
      await node.begin();
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  /** What the node announces: id, host, pid, tasks, workers, busy, version... */
  describe(): ClusterNode {
    return { ...this.info, busy: this.running.size, running: [...this.running.keys()], draining: this.state !== 'running' };
  }

  private async begin(): Promise<void> {
    await Promise.all([this.cmd.ready(), this.sub.ready()]);
    await this.sub.client.subscribe(this.keys.cancel);
    this.sub.client.on('message', (_ch: string, jobId: string) => this.onCancel(jobId));
    await this.heartbeat();
    const lock = this.info.lockDuration;
    this.worker = new deps.bullmq.Worker(this.keys.name, (job: BullMQ.Job, token?: string) => this.process(job, token), {
      connection: { ...this.spec.options, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(100 * n, 1000) } as any,
      prefix: this.keys.prefix,
      concurrency: this.info.concurrency,
      lockDuration: lock,
      // A lost node's jobs go back to the queue within lockDuration + stalledInterval (T15: + 3 s at most).
      stalledInterval: Math.min(1000, Math.floor(lock / 4)),
      // weft counts re-runs itself (job data `m`): BullMQ must not fail a job for stalling.
      maxStalledCount: 1_000_000,
      removeOnComplete: { age: KEEP_JOBS_S },
      removeOnFail: { age: KEEP_JOBS_S },
      drainDelay: 2,
      autorun: false,
    });
    this.worker.on('error', () => {}); // connection trouble: ioredis reconnects; nothing to do here
    this.state = 'running';
    void this.worker.run().catch(() => {});
    this.hbTimer = setInterval(() => void this.heartbeat(), this.hbEvery);
    const { workers, backend, tasks } = this.info;
    this.log(
      `weft worker ${this.id}: queue '${this.keys.name}' on ${this.spec.address}, ${workers} ${backend === 'threads' ? 'thread' : 'process'}` +
        `${workers === 1 ? '' : backend === 'threads' ? 's' : 'es'}, ${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${tasks.join(', ')}`,
    );
  }

  private async heartbeat(): Promise<void> {
    const cutoff = Date.now() - 10 * 60_000;
    for (const [id, at] of this.recentCancels) if (at < cutoff) this.recentCancels.delete(id);
    if (!this.cmd.up) return;
    try {
      await beat(this.cmd.client, this.keys, this.describe(), this.hbEvery * 3 + 500);
    } catch {
      /* Redis away: the next beat retries */
    }
  }

  private onCancel(jobId: string): void {
    const r = this.running.get(jobId);
    if (r === undefined) {
      this.recentCancels.set(jobId, Date.now());
      return;
    }
    r.cancelled = true;
    r.ac.abort(new CancelledError('The task was cancelled by its client'));
  }

  /** The BullMQ processor: runs one job in the local pool and answers on the client's reply stream. */
  private async process(job: BullMQ.Job, token: string | undefined): Promise<string> {
    const d = job.data as JobData;
    const id = job.id!;
    if (this.recentCancels.delete(id)) return this.reply(d, id, [CANCELLED]);
    if (job.attemptsStarted > d.m + 1) {
      const lost = job.attemptsStarted - 1;
      return this.reply(
        d,
        id,
        errorEnvelope(
          new WorkerCrashedError(
            `The node running this task was lost ${lost} time${lost === 1 ? '' : 's'} (maxRetries ${d.m}): it is not run again`,
          ),
        ),
      );
    }
    const ref = this.served.get(d.t);
    if (ref === undefined) {
      return this.reply(
        d,
        id,
        errorEnvelope(new TaskDefinitionError(`Node ${this.id} does not serve ${d.t}; it serves: ${this.info.tasks.join(', ')}`)),
      );
    }
    const r: Running = { ac: new AbortController(), job, token, cancelled: false, requeue: false };
    this.running.set(id, r);
    // 'started' goes out only if the task is still running START_DELAY_MS later: a quick task's
    // reply comes alone (one stream entry, one read on the client: a shorter round trip).
    const startTimer = setTimeout(() => {
      this.cmd.client.xadd(this.keys.reply(d.r), '*', 'k', 's', 'j', id, 'n', this.id).catch(() => {});
    }, START_DELAY_MS);
    const t0 = performance.now();
    let env: Envelope;
    try {
      const args = deserialize(Buffer.from(d.a, 'base64')) as unknown[];
      const signal = r.ac.signal;
      if (d.c === 1) {
        const items = args[0] as unknown[];
        // A chunk is already sized from measured time (by the client): split it evenly, a few pieces per worker.
        const chunksize = Math.max(1, Math.ceil(items.length / (this.info.workers * 4)));
        const results = await this.pool.map(ref as TaskRef<[unknown], unknown>, items, { signal, timeout: d.o, chunksize });
        env = [OK, [results, performance.now() - t0]];
      } else {
        env = [OK, await this.pool.run(ref, args, { signal, timeout: d.o })];
      }
    } catch (err) {
      env = r.cancelled ? [CANCELLED] : errorEnvelope(err);
    } finally {
      clearTimeout(startTimer);
      this.running.delete(id);
    }
    if (r.requeue) {
      // A forced stop of this node: the job goes back to the queue for another node.
      await job.moveToWait(token);
      throw new deps.bullmq.WaitingError();
    }
    return this.reply(d, id, env, performance.now() - t0);
  }

  /** Sends the envelope on the client's reply stream; returns it (base64) as the job's return value. */
  private async reply(d: JobData, id: string, env: Envelope, ms = 0): Promise<string> {
    const buf = encodeEnvelope(env, d.p);
    const stream = this.keys.reply(d.r);
    await this.cmd.client.multi().xadd(stream, '*', 'k', 'r', 'j', id, 't', ms.toFixed(3), 'd', buf).pexpire(stream, REPLY_TTL_MS).exec();
    return buf.toString('base64');
  }

  /**
   * Stops taking jobs and lets the running ones finish, then closes the pool and
   * the connections (SIGINT/SIGTERM). Calling it again while it drains puts the
   * running jobs back in the queue and cancels them here (a second signal).
   */
  drain(): Promise<void> {
    if (this.state === 'starting') throw new InvalidStateError('The node is still starting');
    if (this.stopped !== undefined) {
      this.cancelRunning();
      return this.stopped;
    }
    this.state = 'draining';
    this.log(`weft worker ${this.id}: draining (${this.running.size} running); a second signal puts them back in the queue`);
    void this.heartbeat();
    this.stopped = (async () => {
      // BullMQ's close waits for the running jobs; with Redis gone it would wait forever
      // (their completions cannot be written): stop waiting once Redis stays unreachable.
      const lost = this.redisLost();
      let gone = false;
      await Promise.race([this.worker?.close().catch(() => {}), lost.gone.then(() => (gone = true))]);
      lost.stop();
      // Without Redis their results can go nowhere: stop them (their jobs run again elsewhere once Redis is back).
      if (gone) for (const r of this.running.values()) r.ac.abort(new CancelledError('Redis is unreachable: the node is stopping'));
      await this.pool.shutdown({ wait: true, cancelFutures: true }).catch(() => {});
      await this.close();
    })();
    return this.stopped;
  }

  /** Resolves `gone` once Redis has been unreachable for REDIS_LOST_MS in a row. */
  private redisLost(): { gone: Promise<void>; stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    let downSince: number | undefined;
    const gone = new Promise<void>((resolve) => {
      const check = () => {
        if (this.cmd.up) downSince = undefined;
        else if (Date.now() - (downSince ??= Date.now()) >= REDIS_LOST_MS) {
          this.log(`weft worker ${this.id}: Redis at ${this.spec.address} is unreachable; stopping without it`);
          return resolve();
        }
        timer = setTimeout(check, 200);
      };
      check();
    });
    return { gone, stop: () => clearTimeout(timer) };
  }

  /** Puts the running jobs back in the queue and cancels them in the pool. */
  cancelRunning(): void {
    for (const r of this.running.values()) {
      r.requeue = true;
      r.ac.abort(new CancelledError('The node is stopping'));
    }
  }

  private async close(): Promise<void> {
    this.state = 'stopped';
    if (this.hbTimer !== undefined) clearInterval(this.hbTimer);
    if (this.cmd.up) await forget(this.cmd.client, this.keys, this.id).catch(() => {});
    // Not awaited: a forced close with Redis gone may never finish; the connections go below.
    void this.worker?.close(true).catch(() => {});
    await this.pool.shutdown({ wait: false, cancelFutures: true }).catch(() => {});
    this.cmd.close();
    this.sub.close();
    await this.worker?.disconnect().catch(() => {});
  }
}
