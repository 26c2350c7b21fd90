/**
 * ClusterExecutor: the Executor contract over worker nodes, through BullMQ on Redis.
 *
 *   submit ──> Future (pending, job id made HERE) ──> outbox ──one addBulk per tick──> BullMQ queue
 *                                                                                        │
 *   node: BullMQ Worker takes the job ──> 's' (started) on this client's reply stream     │
 *         runs it in its local weft pool ──> 'r' (envelope) on the reply stream,          │
 *         and the envelope (base64) as the job's return value                             v
 *   reader: XREAD on the reply stream ──> settles the future          sweep: reads the state of jobs
 *                                                                        that heard nothing for a while
 *
 * Why not BullMQ's own completion paths: `job.waitUntilFinished` hangs when a
 * job is removed or an event is missed (BullMQ #2341, #3298), and a QueueEvents
 * reader is best-effort (its stream is trimmed at 10k events; it misses events
 * while it starts, #2874, #2517). So the job id is made on the client (the future
 * exists before anything can happen to the job), each client has its own reply
 * stream (never trimmed while unread), and a sweep reads the job's own state for
 * futures that heard nothing: completed -> its return value; failed -> its
 * reason; waiting again -> its node was lost, the future is pending again; gone
 * from Redis and run by no live node -> added again, or failed as lost.
 *
 * Races, walked through:
 * - The reply and the sweep both settle a future: settling goes through
 *   internal.ts, which ignores the second; the job leaves `jobs` on the first.
 * - Cancel of a job a node just took: `remove` fails on a locked job, so the
 *   cancel is published; a node that took the job but has not started it keeps
 *   recent cancels and drops it when it starts. The future is cancelled at once.
 * - A node dies mid-task: its lock lapses, a live node's stall check puts the
 *   job back in `wait` (the sweep sets the future back to pending), another node
 *   runs it again: at-least-once. Past `maxRetries` re-runs, the node that takes
 *   it answers WorkerCrashedError instead of running it.
 * - Redis restarts (without persistence): jobs and streams vanish. Commands in
 *   flight are resent by ioredis once it is back. A node that was running a job
 *   answers on the (new) reply stream. The sweep finds the other jobs gone: this
 *   client still holds their data, so it adds them again (up to maxRetries
 *   times), then fails them with an error that says the job was lost.
 */
import { randomBytes } from 'node:crypto';
import { serialize } from 'node:v8';
import { Executor, type SubmitOptions } from '../core/executor.js';
import type { Future } from '../core/future.js';
import { setRunning, setPending, slotOf } from '../core/internal.js';
import { BrokenExecutorError, QueueFullError, TaskDefinitionError, WorkerCrashedError, describe } from '../core/errors.js';
import { options, int, duration } from '../core/options.js';
import { isTaskRef } from '../core/tasks.js';
import { encodeArgs, explainUnsendable } from '../transport/codec.js';
import { F_BROKERED } from '../transport/protocol.js';
import { deps, type BullMQ } from './deps.js';
import { queueKeys, type QueueKeys } from './keys.js';
import { Link, parseConnection } from './link.js';
import { liveNodes, type ClusterNode } from './registry.js';
import { taskId } from './task-id.js';
import { fmtBytes, openEnvelope, type JobData } from './wire.js';

/** Options of a {@link ClusterExecutor}. */
export interface ClusterExecutorOptions {
  /** Redis: `redis://host:6379` (`rediss://` for TLS) or `{ host, port, username, password, db, tls }`. */
  connection: string | { host?: string; port?: number; username?: string; password?: string; db?: number; tls?: object };
  /** The queue (default 'weft'): one queue = one set of nodes (`weft worker --queue`). */
  queue?: string;
  /** Re-runs of a task whose node was lost (default 1); then WorkerCrashedError. */
  maxRetries?: number;
  /**
   * Ms after which a silent node's task counts as lost (default 10000): the sweep
   * checks jobs that heard nothing this often. Give the nodes the same value
   * (`weft worker --lock-duration`): they hold their claims with it.
   */
  lockDuration?: number;
  /** Ms with no live node before pending futures fail with BrokenExecutorError (default: wait forever). */
  noWorkersTimeout?: number;
  /** Bytes of encoded arguments or result per task (default 8 MiB); beyond, that future fails with a RangeError. */
  maxPayload?: number;
  /** Most tasks not yet settled; a submit beyond fails with QueueFullError (default: no limit). */
  maxQueue?: number;
}

const KEYS = ['connection', 'queue', 'maxRetries', 'lockDuration', 'noWorkersTimeout', 'maxPayload', 'maxQueue'] as const;
const NODES_FRESH_MS = 1000;
/**
 * map's 'auto' chunks aim at about 1 ms of work each (core/map.ts): right for a
 * local pool, far too small across a network, where a job costs a few ms of
 * round trips whatever it holds. A chunk's time is reported to map in units of
 * CHUNK_MS, so that 'auto' sizes cluster chunks to about CHUNK_MS of work.
 */
const CHUNK_MS = 40;
/** Completed and failed jobs stay this long in Redis for the sweep (seconds). */
export const KEEP_JOBS_S = 600;

/** A task's life on this client: in the outbox, not yet added; then added to the queue
 * (its future pending until a node starts it, then running). */
const OUTBOX = 0;
const SENT = 1;

interface Job {
  f: Future<unknown>;
  id: string;
  data: JobData;
  state: typeof OUTBOX | typeof SENT;
  /** Last time (performance.now) this client heard of the job or checked it. */
  heard: number;
  /** Times the job was added again after it vanished from Redis. */
  readds: number;
  submitAt: number;
  startAt: number;
}

/**
 * Runs task refs on worker nodes (`weft worker`) through BullMQ on Redis: the
 * Executor contract (submit, run, map, cancel, timeout, wait, asCompleted)
 * across machines. Python's twin: Dask's `distributed.Client`.
 *
 * @example
 * await using ex = new ClusterExecutor({ connection: 'redis://10.0.0.5:6379' });
 * const n = await ex.submit(tasks.fib, 35);
 * for await (const r of ex.map(tasks.resize, files)) save(r);
 * // on each machine: npx weft worker --connection redis://10.0.0.5:6379 ./tasks.js
 */
export class ClusterExecutor extends Executor {
  /** The queue's name. */
  readonly queue: string;
  private readonly keys: QueueKeys;
  private readonly cmd: Link;
  private readonly reader: Link;
  private readonly bq: BullMQ.Queue;
  private readonly clientId = randomBytes(6).toString('hex');
  private readonly replyKey: string;
  private readonly maxRetries: number;
  private readonly lockDuration: number;
  private readonly noWorkersTimeout: number;
  private readonly maxPayload: number;
  private readonly maxQueue: number;
  private seq = 0;
  /** Every task not yet settled, by job id. */
  private readonly jobs = new Map<string, Job>();
  private outbox: Job[] = [];
  private flushScheduled = false;
  private running = 0;
  private reading = false;
  private lastId = '0-0';
  private sweepTimer: NodeJS.Timeout | undefined;
  private nodesCache: { at: number; list: ClusterNode[] } | undefined;
  private noNodeSince: number | undefined;
  private drainWaiters: (() => void)[] = [];
  private closedLinks = false;
  /** Calls under way that are not tasks (nodes()): the sockets stay ref'd meanwhile. */
  private holds = 0;

  /**
   * @throws TypeError for an unknown option (naming the closest one) or a value of the wrong type;
   *   RangeError for a value out of range.
   */
  constructor(opts: ClusterExecutorOptions) {
    super();
    if (opts === undefined) throw new TypeError("ClusterExecutor needs options: { connection: 'redis://host:6379' }");
    const o = options('ClusterExecutor', opts, KEYS);
    const spec = parseConnection('ClusterExecutor', o.connection);
    this.keys = queueKeys('ClusterExecutor', o.queue);
    this.queue = this.keys.name;
    this.maxRetries = int('ClusterExecutor', 'maxRetries', o.maxRetries, 1, { min: 0, max: 1000 });
    this.lockDuration = int('ClusterExecutor', 'lockDuration', o.lockDuration, 10_000, { min: 100 });
    this.noWorkersTimeout = duration('ClusterExecutor', 'noWorkersTimeout', o.noWorkersTimeout, Infinity);
    this.maxPayload = int('ClusterExecutor', 'maxPayload', o.maxPayload, 8 * 1024 * 1024, { min: 1 });
    this.maxQueue = int('ClusterExecutor', 'maxQueue', o.maxQueue, Infinity, { min: 1, infinity: true });
    this.replyKey = this.keys.reply(this.clientId);
    this.cmd = new Link(spec, `weft-client-${this.clientId}`);
    this.reader = new Link(spec, `weft-client-${this.clientId}-reply`);
    this.cmd.ref(false);
    this.reader.ref(false);
    this.bq = new deps.bullmq.Queue(this.keys.name, {
      connection: this.cmd.client as any,
      prefix: this.keys.prefix,
      skipMetasUpdate: true,
    });
    this.bq.on('error', () => {}); // connection errors reach submits through Link
  }

  /** The live worker nodes of this queue: id, host, pid, tasks they serve, workers, busy, weft version, since. */
  async nodes(): Promise<ClusterNode[]> {
    this.holds++;
    this.busy(true);
    try {
      await this.cmd.ready();
      const list = await liveNodes(this.cmd.client, this.keys);
      this.nodesCache = { at: performance.now(), list };
      return list;
    } finally {
      this.holds--;
      if (this.holds === 0 && this.jobs.size === 0) this.busy(false);
    }
  }

  // ── submitting ───────────────────────────────────────────────────────────

  /** @internal */
  _enqueue(f: Future<any>, fn: Function, args: unknown[], opts: SubmitOptions | undefined, chunk: boolean): void {
    if (!isTaskRef(fn)) {
      this._fail(
        f,
        new TypeError(
          `ClusterExecutor runs task refs only (defineTasks / tasksFrom), got ${describe(fn)}: ` +
            'no code goes over the wire, so move the function into a task module that every node loads',
        ),
      );
      return;
    }
    const queued = this.jobs.size - this.running;
    if (queued >= this.maxQueue) {
      this._fail(f, new QueueFullError(`Cannot submit: ${queued} tasks are already queued (maxQueue ${this.maxQueue})`));
      return;
    }
    let data: JobData;
    try {
      const t = taskId(fn);
      if (encodeArgs(args, [], true) & F_BROKERED) {
        throw new TypeError('multiprocessing Queues, Pipes and locks do not cross machines: pass plain values to a cluster task');
      }
      let bytes: Buffer;
      try {
        bytes = serialize(args);
      } catch (err) {
        throw explainUnsendable(chunk ? (args[0] as unknown[]) : args, err);
      }
      if (bytes.length > this.maxPayload) {
        throw new RangeError(`The task's arguments encode to ${fmtBytes(bytes.length)}, over maxPayload (${fmtBytes(this.maxPayload)})`);
      }
      data = { t, a: bytes.toString('base64'), r: this.clientId, m: this.maxRetries, p: this.maxPayload };
      if (chunk) data.c = 1;
      const timeout = opts?.timeout;
      if (timeout !== undefined && timeout !== Infinity) data.o = timeout;
    } catch (err) {
      this._fail(f, err);
      return;
    }
    const now = performance.now();
    const job: Job = { f, id: `${this.clientId}.${++this.seq}`, data, state: OUTBOX, heard: now, readds: 0, submitAt: now, startAt: 0 };
    this._own(f, job);
    this.jobs.set(job.id, job);
    this.busy(true);
    this.outbox.push(job);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => void this.flush());
    }
  }

  /** Sends the outbox in one addBulk (every submit of this tick). */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    try {
      await this.cmd.ready();
      await this.freshNodes();
    } catch (err) {
      for (const j of batch) this.settleError(j, err instanceof Error && /Cannot reach Redis/.test(err.message) ? err : this.cmd.error());
      return;
    }
    const list = this.nodesCache?.list ?? [];
    const send: Job[] = [];
    for (const j of batch) {
      if (j.f.done()) continue; // cancelled before it left
      if (list.length > 0 && !list.some((n) => n.tasks.includes(j.data.t))) {
        const served = [...new Set(list.flatMap((n) => n.tasks))].sort();
        this.settleError(
          j,
          new TaskDefinitionError(
            `No live node of queue '${this.queue}' serves ${j.data.t}; the nodes serve: ${served.join(', ') || '(nothing)'}. ` +
              'Start the nodes with the module that defines it (weft worker ... MODULE), from the same package',
          ),
        );
        continue;
      }
      send.push(j);
    }
    if (send.length === 0) return;
    try {
      await this.add(send);
    } catch (err) {
      for (const j of send) this.settleError(j, err);
      return;
    }
    const now = performance.now();
    for (const j of send) {
      j.state = SENT;
      j.heard = now;
      // Cancelled while the addBulk was under way: take it back out.
      if (!this.jobs.has(j.id)) this.withdraw(j);
    }
    this.startReading();
    this.armSweep();
  }

  /** One addBulk for these jobs (made-here ids: adding one again is harmless). */
  private add(jobs: Job[]): Promise<unknown> {
    const opts = { removeOnComplete: { age: KEEP_JOBS_S }, removeOnFail: { age: KEEP_JOBS_S } };
    // One job: a plain add (one script call; addBulk wraps it in MULTI/EXEC).
    if (jobs.length === 1) return this.bq.add(jobs[0]!.data.t, jobs[0]!.data, { ...opts, jobId: jobs[0]!.id });
    return this.bq.addBulk(
      jobs.map((j) => ({
        name: j.data.t,
        data: j.data,
        opts: { ...opts, jobId: j.id },
      })),
    );
  }

  private async freshNodes(): Promise<void> {
    const c = this.nodesCache;
    if (c === undefined || performance.now() - c.at > NODES_FRESH_MS) await this.nodes();
  }

  // ── hearing back ─────────────────────────────────────────────────────────

  /** Reads this client's reply stream while tasks are out. */
  private startReading(): void {
    if (this.reading || this.closedLinks) return;
    this.reading = true;
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    try {
      await this.reader.ready().catch(() => {});
      while (this.jobs.size > 0 && !this.closedLinks) {
        let res: [Buffer, [Buffer, Buffer[]][]][] | null;
        try {
          res = (await this.reader.client.xreadBuffer('COUNT', 2000, 'BLOCK', 1000, 'STREAMS', this.replyKey, this.lastId)) as any;
        } catch {
          if (this.closedLinks) return;
          await new Promise((r) => setTimeout(r, 200).unref());
          continue;
        }
        if (res === null) continue;
        for (const [, entries] of res) {
          for (const [id, fields] of entries) {
            this.lastId = id.toString();
            this.onReply(fields);
          }
        }
        // Entries read are done with: trim them (MINID keeps the last one, harmless).
        if (!this.closedLinks) this.cmd.client.xtrim(this.replyKey, 'MINID', this.lastId).catch(() => {});
      }
    } finally {
      this.reading = false;
      if (this.jobs.size > 0 && !this.closedLinks) this.startReading();
    }
  }

  /**
   * fields: k ('s' started | 'r' result), j (job id), then n (node), or t (ms it ran)
   * and d (envelope). A quick task has no 's': its node answers before it would send one.
   */
  private onReply(fields: Buffer[]): void {
    let kind = '';
    let jobId = '';
    let ranMs = 0;
    let payload: Buffer | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const k = fields[i]!.toString();
      if (k === 'k') kind = fields[i + 1]!.toString();
      else if (k === 'j') jobId = fields[i + 1]!.toString();
      else if (k === 't') ranMs = Number(fields[i + 1]!.toString()) || 0;
      else if (k === 'd') payload = fields[i + 1];
    }
    const job = this.jobs.get(jobId);
    if (job === undefined) return;
    job.heard = performance.now();
    if (kind === 's') this.started(job);
    else if (kind === 'r' && payload !== undefined) {
      if (job.startAt === 0) {
        // Never reported running: count its times from what the node measured.
        this._rec.waitSample(Math.max(0, job.heard - job.submitAt - ranMs));
        this._rec.runSample(ranMs);
        this._rec.busyMs += ranMs;
      }
      this.settle(job, payload);
    }
  }

  private started(job: Job): void {
    if (job.startAt === 0 && setRunning(job.f)) {
      job.startAt = performance.now();
      this.running++;
      this._rec.waitSample(job.startAt - job.submitAt);
    }
  }

  /** Settles a job from an envelope (reply stream or return value). */
  private settle(job: Job, envelope: Buffer): void {
    let out: ReturnType<typeof openEnvelope>;
    try {
      out = openEnvelope(envelope);
    } catch (err) {
      out = { ok: false, error: new Error(`The reply of job ${job.id} could not be decoded`, { cause: err }) };
    }
    if (!this.forget(job)) return;
    if (out.ok && job.data.c === 1) (out.value as [unknown[], number])[1] /= CHUNK_MS;
    if (out.ok) this._ok(job.f, out.value);
    else this._fail(job.f, out.error);
    this.idleCheck();
  }

  private settleError(job: Job, err: unknown): void {
    if (!this.forget(job)) return;
    this._fail(job.f, err);
    this.idleCheck();
  }

  /** Drops a job from the books (once); false if it was already gone. */
  private forget(job: Job): boolean {
    if (this.jobs.get(job.id) !== job) return false;
    this.jobs.delete(job.id);
    if (job.startAt !== 0) {
      const ms = performance.now() - job.startAt;
      this._rec.runSample(ms);
      this._rec.busyMs += ms;
      this.running--;
    }
    return true;
  }

  // ── the sweep: futures that heard nothing ────────────────────────────────

  private sweepEvery(): number {
    const base = Math.min(Math.max(this.lockDuration / 2, 250), 5000);
    return this.noWorkersTimeout === Infinity ? base : Math.max(50, Math.min(base, this.noWorkersTimeout / 2));
  }

  private armSweep(): void {
    if (this.sweepTimer !== undefined || this.closedLinks) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep().finally(() => {
        if (this.jobs.size > 0) this.armSweep();
      });
    }, this.sweepEvery());
    this.sweepTimer.unref();
  }

  private async sweep(): Promise<void> {
    if (this.jobs.size === 0 || this.closedLinks || !this.cmd.up) return;
    const now = performance.now();
    let list: ClusterNode[];
    try {
      list = await this.nodes();
    } catch {
      return;
    }
    this.checkNoWorkers(list, now);
    const silent: Job[] = [];
    const every = this.sweepEvery();
    for (const j of this.jobs.values()) {
      if (j.state === SENT && now - j.heard >= every) silent.push(j);
      if (silent.length >= 5000) break;
    }
    if (silent.length === 0) return;
    const pipe = this.cmd.client.pipeline();
    for (const j of silent) {
      const key = this.keys.job(j.id);
      pipe.hmget(key, 'finishedOn', 'returnvalue', 'failedReason', 'name');
      pipe.exists(`${key}:lock`);
    }
    let res: [Error | null, unknown][] | null;
    try {
      res = await pipe.exec();
    } catch {
      return;
    }
    if (!res) return;
    const runningOnNodes = new Set(list.flatMap((n) => n.running ?? []));
    const readd: Job[] = [];
    for (let i = 0; i < silent.length; i++) {
      const j = silent[i]!;
      if (this.jobs.get(j.id) !== j) continue;
      const [e1, h] = res[2 * i]!;
      const [e2, locked] = res[2 * i + 1]!;
      if (e1 || e2) continue;
      const [finishedOn, returnvalue, failedReason, name] = h as (string | null)[];
      j.heard = performance.now();
      if (name == null) {
        if (runningOnNodes.has(j.id)) continue;
        if (j.readds < this.maxRetries) {
          // Gone with Redis (a restart without persistence): this client still has it, so it goes in again.
          j.readds++;
          this.requeued(j);
          readd.push(j);
          continue;
        }
        this.settleError(
          j,
          new WorkerCrashedError(
            `Job ${j.id} (${j.data.t}) is gone from Redis at ${this.cmd.spec.address} and no live node runs it: ` +
              `the job was lost (was Redis restarted without persistence, or the job removed by hand?); added again ${j.readds} time(s) (maxRetries)`,
          ),
        );
      } else if (finishedOn != null) {
        if (returnvalue != null && returnvalue !== 'null' && failedReason == null) {
          let b64: unknown;
          try {
            b64 = JSON.parse(returnvalue);
          } catch {
            b64 = undefined;
          }
          if (typeof b64 === 'string') this.settle(j, Buffer.from(b64, 'base64'));
          else
            this.settleError(j, new Error(`Job ${j.id} completed without a weft reply (was it run by something else than weft worker?)`));
        } else {
          this.settleError(j, new WorkerCrashedError(`Job ${j.id} (${j.data.t}) failed in BullMQ: ${failedReason ?? 'no reason given'}`));
        }
      } else if (locked === 1) {
        this.started(j); // a start we did not hear (it cannot be lost, but be sure)
      } else {
        // Its node was lost and the stall check put it back in the queue: pending until a node takes it.
        this.requeued(j);
      }
    }
    if (readd.length > 0) {
      await this.add(readd).catch(() => {
        for (const j of readd) j.readds--; // not added: the next sweep finds them gone again and retries
      });
    }
  }

  /** A running job is back in the queue: its future is pending again until a node takes it. */
  private requeued(j: Job): void {
    if (j.startAt !== 0 && setPending(j.f)) {
      this.running--;
      this._rec.busyMs += performance.now() - j.startAt;
      j.startAt = 0;
    }
  }

  /** noWorkersTimeout: futures that waited that long with no live node fail. */
  private checkNoWorkers(list: ClusterNode[], now: number): void {
    if (list.length > 0) {
      this.noNodeSince = undefined;
      return;
    }
    this.noNodeSince ??= now;
    if (this.noWorkersTimeout === Infinity) return;
    for (const j of [...this.jobs.values()]) {
      if (now - Math.max(this.noNodeSince, j.submitAt) < this.noWorkersTimeout) continue;
      this.withdraw(j);
      this.settleError(
        j,
        new BrokenExecutorError(
          `No worker node served queue '${this.queue}' for ${this.noWorkersTimeout} ms (noWorkersTimeout); start one with weft worker`,
        ),
      );
    }
  }

  // ── cancel, shutdown, idle ───────────────────────────────────────────────

  /** Removes a job from the queue, or, if a node holds it, tells the nodes to cancel it. */
  private withdraw(job: Job): void {
    if (job.state !== SENT || !this.cmd.up) return;
    this.bq
      .remove(job.id)
      .then((n) => (n === 0 ? this.cmd.client.publish(this.keys.cancel, job.id) : 0))
      .catch(() => {});
  }

  /** @internal */
  protected _cancelTask(f: Future<unknown>, _wasRunning: boolean, _reason: unknown): void {
    const job = slotOf<Job>(f);
    if (!this.forget(job)) return;
    this.withdraw(job); // a job still in the outbox is skipped at flush
    this.idleCheck();
  }

  /** @internal */
  protected _cancelQueued(): void {
    for (const j of [...this.jobs.values()]) if (!j.f.running()) j.f.cancel();
  }

  /** @internal */
  protected async _shutdown(): Promise<void> {
    if (this.jobs.size > 0) await new Promise<void>((r) => this.drainWaiters.push(r));
    this.closeLinks();
  }

  private closeLinks(): void {
    if (this.closedLinks) return;
    this.closedLinks = true;
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.reader.close();
    const done = () => {
      void this.bq.close().catch(() => {}); // shared connection: closed below, whatever BullMQ does
      this.cmd.close();
    };
    if (!this.cmd.up) return done();
    // The reply stream goes (best effort, bounded: Redis may vanish right now).
    const t = setTimeout(done, 1000);
    this.cmd.client
      .del(this.replyKey)
      .catch(() => {})
      .finally(() => {
        clearTimeout(t);
        done();
      });
  }

  /** Nothing pending: the sockets stop keeping the process alive; shutdown() may finish. */
  private idleCheck(): void {
    if (this.jobs.size > 0) return;
    if (this.holds === 0) this.busy(false);
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const r of w) r();
  }

  private busy(on: boolean): void {
    this.cmd.ref(on);
    this.reader.ref(on);
  }

  /** @internal */
  protected _live() {
    const workers = (this.nodesCache?.list ?? []).reduce((s, n) => s + n.workers, 0);
    return { workers, busy: this.running, idle: Math.max(0, workers - this.running), queued: this.jobs.size - this.running };
  }

  /** @internal */
  _parallelism(): number {
    const list = this.nodesCache?.list;
    if (!list || list.length === 0) return 2;
    return Math.max(
      1,
      list.reduce((s, n) => s + Math.max(n.workers, n.concurrency), 0),
    );
  }
}
