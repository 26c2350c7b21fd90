/**
 * WorkerPoolExecutor: the dispatcher shared by ThreadPoolExecutor (worker
 * threads) and ProcessPoolExecutor (child processes). Subclasses only start,
 * message, ref and stop one worker.
 *
 *   submit ─> queue ─(one microtask later: every submit of this tick)─> flush
 *     flush: per ready worker, about a millisecond of expected work in ONE message
 *     worker: runs them one at a time, replies for a whole turn in ONE message
 *   reply ─> settle futures in dispatch order ─> flush again
 *
 * What a worker holds adapts to the measured time of each task function: about
 * a millisecond of expected work, so tiny tasks travel hundreds to a message
 * while slow ones go one at a time and never wait behind another on a busy
 * worker. The queue is shared evenly among the workers that have room.
 *
 * Every way a worker ends (exit, error, OOM, failed start, terminate) goes
 * through `workerGone`, which settles or re-queues every task it held: tasks
 * the worker had started fail with WorkerCrashedError, tasks it had not
 * started go back to the queue (the gate word of run-loop.ts tells which is
 * which, exactly, for threads).
 */
import { Executor, clampDelay, intOption, type SubmitOptions } from '../core/executor.js';
import type { Future } from '../core/future.js';
import { setRunning, setPending } from '../core/internal.js';
import { BrokenExecutorError, QueueFullError, TimeoutError, WorkerCrashedError, describe } from '../core/errors.js';
import { isTaskRef, type TaskRef, type Transferable } from '../core/tasks.js';
import { encodeArgs, explainUnsendable } from '../transport/codec.js';
import { describeTask, type TaskTarget } from '../transport/task-target.js';
import { deserializeError } from '../transport/errors.js';
import { BrokerSession } from '../transport/brokered.js';
import {
  INIT,
  RUN,
  CANCEL,
  READY,
  INIT_FAILED,
  DONE,
  STARTED,
  FATAL,
  BROKER,
  F_CHUNK,
  F_NOTIFY_START,
  OK,
  ERR,
  SKIPPED,
  REPLY_FIELDS,
  type WorkerInit,
} from '../transport/protocol.js';
import { availableParallelism } from 'node:os';

/** Options shared by the pools. */
export interface PoolOptions {
  maxWorkers?: number;
  minWorkers?: number;
  idleTimeout?: number;
  initializer?: TaskRef<any[], unknown>;
  initargs?: unknown[];
  maxQueue?: number;
  cancelGrace?: number;
  name?: string;
}

/** @internal one task on its way. */
export interface TaskRec {
  f: Future<unknown>;
  id: number;
  flags: number;
  target: string;
  name: string;
  args: unknown[] | undefined;
  transfer: Transferable[] | undefined;
  timeout: number;
  submitAt: number;
  w: WorkerSlot | undefined;
  timer: NodeJS.Timeout | undefined;
  stat: FnStat;
  est: number; // expected run time (ms) counted in its worker's backlog
}

/** Measured run time of one task function (ms, moving average; -1 until measured). */
interface FnStat {
  avg: number;
}

/** @internal one worker as the dispatcher sees it. */
export interface WorkerSlot {
  readonly id: number;
  ready: boolean;
  inflight: TaskRec[];
  head: number;
  taken: number; // tasks sent so far (index of the next one)
  acked: number; // tasks replied for so far
  refd: boolean;
  retiring: boolean; // asked to stop (idle, cancel, maxTasks, shutdown)
  frozenAt: number; // started count when frozen, or -1
  fatal: unknown; // error a task module threw at import, before exit
  idleTimer: NodeJS.Timeout | undefined;
  threadId: number;
  done: number; // tasks finished by this worker
  backlog: number; // expected ms of work sent and not answered
  gone: boolean;
  broker?: BrokerSession; // serves the multiprocessing Queues/Pipes its tasks use (transport/brokered.ts)
}

const TARGET_BATCH_MS = 1;
const MAX_CAP = 512;
const MAX_START_FAILURES = 3;

let nextTaskId = 1;

export abstract class WorkerPoolExecutor extends Executor {
  /** @internal */ protected readonly _max: number;
  /** @internal */ protected readonly _min: number;
  /** @internal */ protected readonly _idleTimeout: number;
  /** @internal */ protected readonly _maxQueue: number;
  /** @internal */ protected readonly _cancelGrace: number;
  /** @internal */ protected readonly _maxTasksPerWorker: number;
  /** @internal */ protected readonly _init: WorkerInit;
  /** @internal */ readonly _name: string;

  private queue: TaskRec[] = [];
  private qHead = 0;
  private queuedLive = 0;
  private readonly workers = new Set<WorkerSlot>();
  private starting = 0;
  private nextWorkerId = 1;
  private flushScheduled = false;
  private readonly fnStats = new Map<string, Map<string, FnStat>>();
  private broken: BrokenExecutorError | undefined;
  private startFailures = 0; // workers that died before READY, in a row
  private drainWaiters: (() => void)[] = [];
  private readonly boundFlush = () => this.flush();

  constructor(opts: (PoolOptions & { maxTasksPerWorker?: number }) | undefined, kind: string) {
    super();
    if (opts !== undefined && (opts === null || typeof opts !== 'object'))
      throw new TypeError(`${kind} options must be an object, got ${describe(opts)}`);
    const o = opts ?? {};
    this._max = intOption('maxWorkers', o.maxWorkers, availableParallelism(), 1);
    this._min = intOption('minWorkers', o.minWorkers, this._max, 0);
    if (this._min > this._max) throw new RangeError(`minWorkers (${this._min}) must not exceed maxWorkers (${this._max})`);
    this._idleTimeout = intOption('idleTimeout', o.idleTimeout, 30_000, 0, true);
    this._maxQueue = intOption('maxQueue', o.maxQueue, Infinity, 0, true);
    this._cancelGrace = intOption('cancelGrace', o.cancelGrace, 1000, 0);
    this._maxTasksPerWorker = intOption('maxTasksPerWorker', o.maxTasksPerWorker, Infinity, 1, true);
    if (o.initializer !== undefined && !isTaskRef(o.initializer)) {
      throw new TypeError(`initializer must be a TaskRef (from defineTasks or tasksFrom), got ${describe(o.initializer)}`);
    }
    if (o.initargs !== undefined && !Array.isArray(o.initargs))
      throw new TypeError(`initargs must be an array, got ${describe(o.initargs)}`);
    if (o.initargs?.length) {
      try {
        structuredClone(o.initargs);
      } catch (err) {
        throw new TypeError(
          `initargs cannot be sent to a worker: ${explainUnsendable(o.initargs, err).message.replace(/^Argument/, 'initargs item')}`,
          { cause: err },
        );
      }
    }
    if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`name must be a string, got ${describe(o.name)}`);
    this._name = o.name ?? kind;
    const ini = o.initializer;
    this._init = {
      initializer: ini ? describeTask(ini) : undefined,
      initargs: o.initargs ?? [],
      name: this._name,
    };
  }

  // ── what a subclass provides ──────────────────────────────────────────────

  /** @internal start a worker; report back through `workerMessage` and `workerGone`. */
  protected abstract _spawn(w: WorkerSlot): void;
  /** @internal post a message; may throw (DataCloneError). */
  protected abstract _post(w: WorkerSlot, msg: unknown, transfer?: Transferable[]): void;
  /** @internal stop the worker now. */
  protected abstract _terminate(w: WorkerSlot): void;
  /** @internal keep (or stop keeping) the process alive for this worker. */
  protected abstract _setRef(w: WorkerSlot, ref: boolean): void;
  /**
   * @internal stop the worker from starting more tasks and say how many it has
   * started (undefined if the backend cannot tell: then every unanswered task
   * counts as started, so nothing can run twice).
   */
  protected abstract _freeze(w: WorkerSlot): number | undefined;
  /** @internal how many tasks it has started so far (undefined if unknown). */
  protected abstract _startedCount(w: WorkerSlot): number | undefined;
  /** @internal true for child processes (shared memory cannot be sent). */
  protected abstract readonly _isProcess: boolean;

  // ── submitting ────────────────────────────────────────────────────────────

  /** @internal */
  _enqueue(f: Future<any>, fn: Function, args: unknown[], opts: SubmitOptions | undefined, chunk: boolean): void {
    if (this.broken) {
      this._fail(f, this.broken);
      return;
    }
    if (this.queuedLive >= this._maxQueue && !chunk) {
      this._fail(f, new QueueFullError(`Cannot submit: the queue already holds maxQueue = ${this._maxQueue} tasks`));
      return;
    }
    let t: TaskTarget;
    try {
      t = describeTask(fn);
    } catch (err) {
      this._fail(f, err);
      return;
    }
    let flags = t.flags;
    const { target, name } = t;
    const transfer: Transferable[] = opts?.transfer ? [...opts.transfer] : [];
    try {
      flags |= encodeArgs(args, transfer, this._isProcess);
    } catch (err) {
      this._fail(f, err);
      return;
    }
    if (chunk) flags |= F_CHUNK;
    const timeout = clampDelay(opts?.timeout ?? Infinity);
    if (timeout !== Infinity) flags |= F_NOTIFY_START;
    const rec: TaskRec = {
      f,
      id: nextTaskId++,
      flags,
      target,
      name,
      args,
      transfer: transfer.length ? transfer : undefined,
      timeout,
      submitAt: performance.now(),
      w: undefined,
      timer: undefined,
      stat: this.statOf(target, name),
      est: 0,
    };
    this._own(f, rec);
    this.queue.push(rec);
    this.queuedLive++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.boundFlush);
    }
  }

  // ── dispatching ───────────────────────────────────────────────────────────

  /** Timing record of a task function (per module and name, or per inline source). */
  private statOf(target: string, name: string): FnStat {
    let byName = this.fnStats.get(target);
    if (byName === undefined) this.fnStats.set(target, (byName = new Map()));
    let st = byName.get(name);
    if (st === undefined) byName.set(name, (st = { avg: -1 }));
    return st;
  }

  /**
   * Expected run time of a task (ms): its function's measured average, or the
   * whole budget while it is unmeasured (so it travels alone).
   */
  private static estimate(st: FnStat): number {
    return st.avg < 0 ? TARGET_BATCH_MS : Math.max(st.avg, 1e-4);
  }

  /** Sends queued tasks to ready workers (one message each) and starts workers if needed. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.queuedLive === 0) {
      this.compactQueue();
      return;
    }
    let idleReady = 0;
    // Share the queue evenly among the workers that have room, so a burst of
    // slow tasks never lands on one worker while another idles.
    let withRoom = 0;
    for (const w of this.workers) if (w.ready && !w.retiring && w.taken < this._maxTasksPerWorker) withRoom++;
    for (const w of this.workers) {
      if (!w.ready || w.retiring) continue;
      const share = Math.ceil(this.queuedLive / Math.max(1, withRoom--));
      let room = Math.min(MAX_CAP - (w.inflight.length - w.head), this._maxTasksPerWorker - w.taken, share);
      if (room <= 0) continue;
      const batch: unknown[] = [];
      let transfer: Transferable[] | undefined;
      const recs: TaskRec[] = [];
      while (room > 0 && this.qHead < this.queue.length) {
        const rec = this.queue[this.qHead]!;
        if (rec.f.done()) {
          this.queue[this.qHead++] = undefined as any;
          continue;
        } // cancelled while queued
        // A worker holds about TARGET_BATCH_MS of expected work: tiny tasks travel by
        // the hundred, a slow one alone, and nothing waits behind a long task.
        const est = WorkerPoolExecutor.estimate(rec.stat);
        if (w.backlog > 0 && w.backlog + est > TARGET_BATCH_MS) break;
        this.queue[this.qHead++] = undefined as any;
        this.queuedLive--;
        setRunning(rec.f);
        rec.w = w;
        rec.est = est;
        w.backlog += est;
        batch.push(rec.id, rec.flags, rec.target, rec.name, rec.args);
        if (rec.transfer) (transfer ??= []).push(...rec.transfer);
        recs.push(rec);
        room--;
      }
      if (recs.length === 0) {
        if (this.qHead >= this.queue.length) break;
        continue; // this worker's budget is full; the next one may have room
      }
      this.send(w, batch, recs, transfer);
      if (this.queuedLive === 0) break;
    }
    for (const w of this.workers) if (w.ready && !w.retiring && w.inflight.length === w.head) idleReady++;
    // Start workers for what is still waiting.
    const want = Math.min(this._max - this.workers.size, this.queuedLive - this.starting - idleReady);
    for (let i = 0; i < want && !this.broken; i++) this.spawn();
    this.compactQueue();
  }

  private send(w: WorkerSlot, batch: unknown[], recs: TaskRec[], transfer: Transferable[] | undefined): void {
    const now = performance.now();
    try {
      this._post(w, [RUN, batch], transfer);
      for (const r of recs) this.accept(w, r, now);
    } catch {
      // One argument structured clone refuses: send the tasks one by one so only its owner fails.
      for (const r of recs) {
        try {
          this._post(w, [RUN, [r.id, r.flags, r.target, r.name, r.args]], r.transfer);
          this.accept(w, r, now);
        } catch (e) {
          r.w = undefined;
          this._fail(r.f, explainUnsendable(r.args ?? [], e));
        }
      }
    }
    if (!w.refd && w.inflight.length > w.head) {
      w.refd = true;
      this._setRef(w, true);
    }
    if (w.idleTimer) {
      clearTimeout(w.idleTimer);
      w.idleTimer = undefined;
    }
  }

  private accept(w: WorkerSlot, r: TaskRec, now: number): void {
    w.inflight.push(r);
    w.taken++;
    this._rec.waitSample(now - r.submitAt);
    r.submitAt = now; // from here on: when it was sent (for run time)
    // r.args stays until the reply: a task whose worker dies before starting it is sent again.
  }

  private spawn(): void {
    const w: WorkerSlot = {
      id: this.nextWorkerId++,
      ready: false,
      inflight: [],
      head: 0,
      taken: 0,
      acked: 0,
      refd: true,
      retiring: false,
      frozenAt: -1,
      fatal: undefined,
      idleTimer: undefined,
      threadId: -1,
      done: 0,
      gone: false,
      backlog: 0,
    };
    this.workers.add(w);
    this.starting++;
    try {
      this._spawn(w);
      this._post(w, [INIT, this.initMessage()]);
    } catch (err) {
      // It may be running already, waiting for a first message that will never come.
      // Whatever failed here (the start itself, or a first message that cannot be
      // sent) will fail the same way for the next worker: the pool is broken.
      w.retiring = true;
      try {
        this._terminate(w);
      } catch {
        /* it never started */
      }
      this.breakPool(new BrokenExecutorError(`The executor is broken: a worker could not be started: ${errMessage(err)}`, { cause: err }));
      this.workerGone(w, { cause: err });
    }
  }

  /** @internal the message a new worker starts with (subclasses may add to it). */
  protected initMessage(): WorkerInit {
    return this._init;
  }

  // ── replies ───────────────────────────────────────────────────────────────

  /** @internal every message a worker sends comes here. */
  protected workerMessage(w: WorkerSlot, msg: any): void {
    switch (msg[0]) {
      case DONE:
        return this.onDone(w, msg[1] as unknown[], msg[2] as number);
      case STARTED:
        return this.onStarted(w, msg[1] as number);
      case READY:
        w.ready = true;
        w.threadId = msg[1];
        this.starting--;
        this.startFailures = 0;
        if (this.queuedLive > 0) this.flush();
        else this.becameIdle(w);
        return;
      case INIT_FAILED:
        this.breakPool(
          new BrokenExecutorError(`The executor is broken: a worker's initializer failed: ${errMessage(deserializeError(msg[1]))}`, {
            cause: deserializeError(msg[1]),
          }),
        );
        return;
      case FATAL:
        w.fatal = deserializeError(msg[2]);
        return;
      case BROKER:
        if (w.gone) return;
        (w.broker ??= new BrokerSession((m) => this._post(w, m))).handle(msg);
        return;
    }
  }

  private onDone(w: WorkerSlot, batch: unknown[], busyMs: number): void {
    const now = performance.now();
    for (let i = 0; i < batch.length; i += REPLY_FIELDS) {
      const id = batch[i] as number;
      let rec: TaskRec | undefined = w.inflight[w.head];
      if (rec === undefined || rec.id !== id) rec = this.findInflight(w, id);
      if (rec === undefined) continue;
      w.inflight[w.head++] = undefined as any;
      w.acked++;
      w.done++;
      w.backlog -= rec.est;
      rec.args = undefined;
      if (rec.timer) {
        clearTimeout(rec.timer);
        rec.timer = undefined;
      }
      this._rec.runSample(now - rec.submitAt);
      const status = batch[i + 1];
      if (status === OK) this._ok(rec.f, batch[i + 2]);
      else if (status === ERR) this._fail(rec.f, deserializeError(batch[i + 2]));
      // SKIPPED: the future was cancelled already.
      if (status !== SKIPPED) {
        const ms = batch[i + 3] as number,
          st = rec.stat;
        st.avg = st.avg < 0 ? ms : st.avg * 0.8 + ms * 0.2;
      }
    }
    if (w.head > 256 && w.head * 2 >= w.inflight.length) {
      w.inflight = w.inflight.slice(w.head);
      w.head = 0;
    }
    if (w.inflight.length === w.head) w.backlog = 0; // no drift from float sums
    this._rec.busyMs += busyMs;
    if (w.done >= this._maxTasksPerWorker && !w.retiring) this.retire(w);
    if (w.inflight.length === w.head) this.becameIdle(w);
    if (this.queuedLive > 0) this.flush();
    this.checkDrained();
  }

  private findInflight(w: WorkerSlot, id: number): TaskRec | undefined {
    // Replies come in dispatch order; a mismatch means the head was dropped (it cannot happen
    // unless a worker misbehaves). Drop the entries before the match so order holds again.
    for (let j = w.head; j < w.inflight.length; j++) {
      if (w.inflight[j]!.id === id) {
        for (let k = w.head; k < j; k++) {
          const lost = w.inflight[k]!;
          this._fail(lost.f, new WorkerCrashedError('The worker lost track of this task'));
          w.inflight[k] = undefined as any;
        }
        w.head = j;
        return w.inflight[j];
      }
    }
    return undefined;
  }

  private onStarted(w: WorkerSlot, id: number): void {
    for (let j = w.head; j < w.inflight.length; j++) {
      const rec = w.inflight[j]!;
      if (rec.id !== id) continue;
      rec.submitAt = performance.now();
      if (rec.timeout !== Infinity && !rec.f.done()) {
        rec.timer = setTimeout(() => {
          rec.timer = undefined;
          if (this._failTimeout(rec))
            this.stopRunning(rec, new TimeoutError(`The task did not finish within its timeout of ${rec.timeout} ms`));
        }, rec.timeout);
        rec.timer.unref();
      }
      return;
    }
  }

  private _failTimeout(rec: TaskRec): boolean {
    if (rec.f.done()) return false;
    this._fail(rec.f, new TimeoutError(`The task did not finish within its timeout of ${rec.timeout} ms`));
    return true;
  }

  // ── cancelling ────────────────────────────────────────────────────────────

  /** @internal */
  protected _cancelTask(f: Future<unknown>, _wasRunning: boolean, reason: unknown): void {
    const rec = (f as any)._slot as TaskRec | undefined;
    if (rec === undefined) return;
    if (rec.w === undefined) {
      this.queuedLive--; // still in our queue: flush will skip it
      rec.args = undefined;
      this.checkDrained();
      return;
    }
    this.stopRunning(rec, reason);
  }

  /**
   * Asks the worker to stop a task it holds; if the task has started and is still
   * running `cancelGrace` ms later, the worker is terminated and replaced.
   */
  private stopRunning(rec: TaskRec, reason: unknown): void {
    const w = rec.w!;
    if (w.gone) return;
    try {
      this._post(w, [CANCEL, rec.id, reasonText(reason)]);
    } catch {
      /* worker is going away */
    }
    if (rec.timer) clearTimeout(rec.timer);
    rec.timer = setTimeout(() => {
      rec.timer = undefined;
      if (w.gone || !this.stillHeld(w, rec)) return;
      const started = this._startedCount(w);
      const index = w.acked + w.inflight.indexOf(rec, w.head) - w.head;
      if (started !== undefined && started <= index) return; // not started: the worker will skip it
      this.kill(w);
    }, this._cancelGrace);
    rec.timer.unref();
  }

  private stillHeld(w: WorkerSlot, rec: TaskRec): boolean {
    for (let j = w.head; j < w.inflight.length; j++) if (w.inflight[j] === rec) return true;
    return false;
  }

  /** Terminates a worker; what it held is sorted out in `workerGone` when it has exited. */
  private kill(w: WorkerSlot): void {
    if (w.gone) return;
    w.retiring = true;
    const started = this._freeze(w);
    // undefined: not known yet (a child process tells once it is gone); workerGone asks again.
    if (w.frozenAt < 0 && started !== undefined) w.frozenAt = started;
    this._terminate(w);
  }

  /** @internal */
  protected _cancelQueued(): void {
    for (let i = this.qHead; i < this.queue.length; i++) this.queue[i]?.f.cancel();
  }

  // ── workers ending ────────────────────────────────────────────────────────

  /**
   * @internal THE place a worker ends, however it ends. Tasks it had started and
   * not answered fail with WorkerCrashedError; the others go back to the queue.
   */
  protected workerGone(w: WorkerSlot, info: { exitCode?: number | null; signal?: string | null; cause?: unknown }): void {
    if (w.gone) return;
    w.gone = true;
    w.broker?.close();
    this.workers.delete(w);
    if (w.idleTimer) clearTimeout(w.idleTimer);
    if (!w.ready) this.starting--;
    const intentional = w.retiring;
    let started = w.frozenAt >= 0 ? w.frozenAt : this._freeze(w);
    if (started === undefined) started = Infinity;
    const cause = w.fatal ?? info.cause;
    const requeue: TaskRec[] = [];
    for (let j = w.head, index = w.acked; j < w.inflight.length; j++, index++) {
      const rec = w.inflight[j]!;
      if (rec.timer) {
        clearTimeout(rec.timer);
        rec.timer = undefined;
      }
      if (rec.f.done()) continue;
      if (index < started || rec.transfer !== undefined) {
        // Started (it may have had effects), or its transferred buffers are gone with the worker.
        this._fail(
          rec.f,
          new WorkerCrashedError(crashMessage(this._isProcess, info, w.fatal !== undefined), {
            exitCode: info.exitCode,
            signal: info.signal,
            cause,
          }),
        );
      } else {
        rec.w = undefined;
        setPending(rec.f);
        requeue.push(rec);
      }
    }
    w.inflight = [];
    w.head = 0;
    if (requeue.length) {
      if (this.broken) {
        for (const rec of requeue) this._fail(rec.f, this.broken); // a broken pool runs nothing more
      } else {
        // Back to the front of the queue, in their original order.
        this.queue = [...requeue, ...this.queue.slice(this.qHead)];
        this.qHead = 0;
        this.queuedLive += requeue.length;
      }
    }
    // A worker that dies before it is ready, and not because we stopped it: a start
    // failure. One in a row may be bad luck (a transient resource shortage): replace
    // it; MAX_START_FAILURES in a row (or any after shutdown began) break the pool,
    // so no caller waits on workers that cannot start.
    if (!w.ready && !intentional && (++this.startFailures >= MAX_START_FAILURES || this._closed)) {
      const why = cause !== undefined ? errMessage(cause) : `it exited with code ${info.exitCode ?? info.signal}`;
      this.breakPool(new BrokenExecutorError(`The executor is broken: a worker failed to start: ${why}`, { cause: cause ?? info }));
    } else if (this.queuedLive > 0 && !this.broken) {
      this.flush();
    }
    this.checkDrained();
  }

  private breakPool(err: BrokenExecutorError): void {
    if (this.broken) return;
    this.broken = err;
    for (let i = this.qHead; i < this.queue.length; i++) {
      const rec = this.queue[i];
      if (rec && !rec.f.done()) this._fail(rec.f, err);
    }
    this.queue = [];
    this.qHead = 0;
    this.queuedLive = 0;
    for (const w of [...this.workers])
      if (!w.ready) {
        w.retiring = true;
        this._terminate(w);
      }
    this.checkDrained();
  }

  private becameIdle(w: WorkerSlot): void {
    if (w.refd) {
      w.refd = false;
      this._setRef(w, false);
    }
    if (w.retiring) {
      this._terminate(w);
      return;
    }
    if (this._closed) {
      this.checkDrained();
      return;
    }
    if (this.staying() > this._min && this._idleTimeout !== Infinity && !w.idleTimer) {
      w.idleTimer = setTimeout(() => {
        w.idleTimer = undefined;
        if (w.inflight.length === w.head && !w.retiring && this.staying() > this._min) this.retire(w);
      }, this._idleTimeout);
      w.idleTimer.unref();
    }
  }

  /** Workers not on their way out. */
  private staying(): number {
    let n = 0;
    for (const w of this.workers) if (!w.retiring) n++;
    return n;
  }

  /** Lets a worker go once it has answered everything it holds (see `becameIdle`). */
  private retire(w: WorkerSlot): void {
    w.retiring = true;
    if (w.inflight.length === w.head) this._terminate(w);
  }

  // ── shutting down ─────────────────────────────────────────────────────────

  private checkDrained(): void {
    if (!this._closed || this.drainWaiters.length === 0) return;
    if (this.queuedLive > 0) return;
    for (const w of this.workers) if (w.inflight.length > w.head) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const r of waiters) r();
  }

  /** @internal */
  protected async _shutdown(_cancelFutures: boolean): Promise<void> {
    await new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.checkDrained();
    });
    const exits = [...this.workers].map((w) => this._whenGone(w));
    for (const w of [...this.workers]) {
      w.retiring = true;
      this._terminate(w);
    }
    await Promise.all(exits);
  }

  /** @internal resolves when the worker has exited. */
  protected abstract _whenGone(w: WorkerSlot): Promise<void>;

  /** @internal */
  protected _live() {
    let busy = 0,
      idle = 0;
    for (const w of this.workers) {
      if (!w.ready) continue;
      if (w.inflight.length > w.head) busy++;
      else idle++;
    }
    return { workers: this.workers.size, busy, idle, queued: this.queuedLive };
  }

  /** @internal */
  _parallelism(): number {
    return this._max;
  }

  /** @internal thread ids of the live workers (for tests and weft/threading). */
  _workerIds(): number[] {
    return [...this.workers].filter((w) => w.ready).map((w) => w.threadId);
  }

  private compactQueue(): void {
    if (this.qHead === this.queue.length) {
      this.queue = [];
      this.qHead = 0;
    } else if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
  }
}

function errMessage(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function reasonText(reason: unknown): string | undefined {
  return reason === undefined ? undefined : reason instanceof Error ? reason.message : String(reason);
}

function crashMessage(
  isProcess: boolean,
  info: { exitCode?: number | null; signal?: string | null; cause?: unknown },
  moduleThrew: boolean,
): string {
  const who = isProcess ? 'child process' : 'worker thread';
  if (moduleThrew) return `The ${who} running this task was replaced: the task module threw while being imported`;
  if (info.signal) return `The ${who} running this task was killed by ${info.signal}`;
  if (info.cause !== undefined) return `The ${who} running this task crashed: ${errMessage(info.cause)}`;
  return `The ${who} running this task exited with code ${info.exitCode ?? 'unknown'}`;
}
