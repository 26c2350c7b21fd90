/**
 * WorkerPoolExecutor: dispatch and policy, shared by ThreadPoolExecutor (worker
 * threads) and ProcessPoolExecutor (child processes). Everything about ONE
 * worker (its state, the tasks it holds, which of them started when it died)
 * lives in its WorkerHandle (worker-handle.ts); this file decides what goes
 * where, when workers start and stop, and how futures settle.
 *
 *   submit ─> queue ─(one microtask later: every submit of this tick)─> flush
 *     flush: per ready worker, about a millisecond of expected work in ONE message
 *     worker: runs them one at a time, answers for a whole turn in ONE message
 *   answers ─> settle futures ─> flush again
 *
 * What a worker holds adapts to the measured time of each task function: about
 * a millisecond of expected work, so tiny tasks travel hundreds to a message
 * while slow ones go one at a time and never wait behind another on a busy
 * worker. The queue is shared evenly among the workers that have room.
 *
 * A worker that ends, however it ends, comes back through `workerGone` with
 * its tasks sorted: those it had started fail with WorkerCrashedError, those it
 * had not go back to the front of the queue. The pool is broken only when
 * workers cannot start on their own (an initializer that throws, a missing
 * module, bad execArgv: MAX_START_FAILURES in a row); a worker killed from
 * outside is replaced.
 */
import { Executor, taskTimeout, type SubmitOptions } from '../core/executor.js';
import type { Future } from '../core/future.js';
import { setRunning, setPending, slotOf } from '../core/internal.js';
import { BrokenExecutorError, QueueFullError, TimeoutError, describe } from '../core/errors.js';
import * as opt from '../core/options.js';
import { cancel, later, type Later } from '../core/timers.js';
import { assertNotImportingTasks } from '../core/runtime.js';
import { isTaskRef, type TaskRef, type Transferable } from '../core/tasks.js';
import { encodeArgs, explainUnsendable } from '../transport/codec.js';
import { describeTask, type TaskTarget } from '../transport/task-target.js';
import { deserializeError } from '../transport/errors.js';
import { F_CHUNK, F_INLINE, F_KIND, F_NOTIFY_START, OK, ERR, type WorkerInit } from '../transport/protocol.js';
import { setBounded } from '../core/bounded.js';
import { crashError, errMessage, type Task, type WorkerEnd, type WorkerHandle, type WorkerOwner } from './worker-handle.js';
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

/** (Internal.) One task on its way. */
export interface TaskRec extends Task {
  f: Future<unknown>;
  timeout: number;
  submitAt: number;
  w: WorkerHandle<TaskRec> | undefined;
  timer: Later | undefined;
  stat: FnStat;
  est: number; // expected run time (ms) counted in its worker's backlog
}

/** Measured run time of one task function (ms, moving average; -1 until measured). */
interface FnStat {
  avg: number;
}

type Worker = WorkerHandle<TaskRec>;

const TARGET_BATCH_MS = 1;
const MAX_CAP = 512;
/** How long the first worker of a pool starts alone before the others start anyway (ms). */
const FIRST_ALONE_MS = 100;
/** Workers that fail to start on their own, in a row, before the pool is broken. */
const MAX_START_FAILURES = 3;
/**
 * Workers killed from outside while starting are replaced (a little later each
 * time); only when at least MAX_KILLED_STARTS in a row died so and none became
 * ready for KILLED_STARTS_WINDOW_MS does the pool give up, so no caller waits for
 * ever on a machine that kills every new worker.
 */
const MAX_KILLED_STARTS = 10;
const KILLED_STARTS_WINDOW_MS = 30_000;

/**
 * A single task in flight whose function runs this long or less (ms, measured)
 * is waited for by polling its worker's reply log, one event-loop turn at a
 * time, for its run time plus POLL_MS, instead of sleeping until the worker's
 * message wakes the loop (see `maybePoll`).
 */
const POLL_TASK_MS = 0.1;
const POLL_MS = 0.05;
/**
 * How often the polls found their reply lately (a moving average, POLL_HIT_WEIGHT);
 * below POLL_MIN_HITS the pool polls only every POLL_PROBE_EVERY-th single task,
 * to notice when polling pays again. Polls miss on a machine with more runnable
 * threads than cores, where the parent's polling takes the core the worker
 * needs: a round trip then costs the whole window and more (~300 us seen).
 */
const POLL_MIN_HITS = 0.25;
const POLL_PROBE_EVERY = 32;
const POLL_HIT_WEIGHT = 1 / 32;

let nextTaskId = 1;

/** (Internal.) The settings a pool subclass passes up. */
export interface PoolSettings {
  maxWorkers: number;
  minWorkers: number;
  idleTimeout: number;
  maxQueue: number;
  cancelGrace: number;
  maxTasksPerWorker: number;
  initializer: TaskRef<any[], unknown> | undefined;
  initargs: unknown[];
  name: string;
}

/** The transfer list of the task being submitted (most have none: copied out only when one does). */
const moved: Transferable[] = [];
let movedInUse = false;

/** @internal reads the options every pool shares (after `options()` checked the keys). */
export function poolSettings(where: string, o: opt.Checked<keyof PoolOptions>, defaults: Partial<PoolSettings> = {}): PoolSettings {
  const maxWorkers = opt.int(where, 'maxWorkers', o.maxWorkers, availableParallelism(), { min: 1 });
  const minWorkers = opt.int(where, 'minWorkers', o.minWorkers, defaults.minWorkers ?? maxWorkers, { min: 0 });
  if (minWorkers > maxWorkers) throw new RangeError(`${where}: minWorkers (${minWorkers}) must not exceed maxWorkers (${maxWorkers})`);
  const initializer = o.initializer;
  if (initializer !== undefined && !isTaskRef(initializer)) {
    throw new TypeError(`${where}: initializer must be a TaskRef (from defineTasks or tasksFrom), got ${describe(initializer)}`);
  }
  const initargs = opt.array(where, 'initargs', o.initargs) ?? [];
  if (initargs.length) {
    try {
      structuredClone(initargs);
    } catch (err) {
      throw new TypeError(`${where}: initargs cannot be sent to a worker: ${explainUnsendable(initargs, err, 'initargs item').message}`, {
        cause: err,
      });
    }
  }
  return {
    maxWorkers,
    minWorkers,
    idleTimeout: opt.duration(where, 'idleTimeout', o.idleTimeout, defaults.idleTimeout ?? 30_000),
    maxQueue: opt.int(where, 'maxQueue', o.maxQueue, Infinity, { infinity: true }),
    cancelGrace: opt.duration(where, 'cancelGrace', o.cancelGrace, 1000),
    maxTasksPerWorker: defaults.maxTasksPerWorker ?? Infinity,
    initializer,
    initargs,
    name: opt.str(where, 'name', o.name, defaults.name ?? where),
  };
}

export abstract class WorkerPoolExecutor extends Executor {
  /** @internal */ readonly _settings: PoolSettings;
  /** @internal */ readonly _name: string;
  private readonly init: WorkerInit;

  private queue: (TaskRec | undefined)[] = [];
  private qHead = 0;
  private queuedLive = 0;
  private readonly workers = new Set<Worker>();
  private readonly idleTimers = new Map<Worker, Later>();
  private starting = 0;
  private spawned = 0;
  private flushScheduled = false;
  /** A `maybePoll` is under way: on this worker, until then. */
  private polling = false;
  private pollW: Worker | undefined;
  private pollUntil = 0;
  /** How often polls found their reply lately, and single tasks seen while that was low (POLL_MIN_HITS). */
  private pollHits = 1;
  private pollProbes = 0;
  /** Timings of task functions by module and name (TaskRefs: a bounded set of names). */
  private readonly fnStats = new Map<string, Map<string, FnStat>>();
  /** Timings of inline functions by source: bounded (core/bounded.ts), as the sources a program sends are not. */
  private readonly inlineStats = new Map<string, FnStat>();
  private broken: BrokenExecutorError | undefined;
  private startFailures = 0; // workers that failed to start on their own, in a row
  private killedStarts = 0; // workers killed from outside while starting, in a row
  private lastReadyAt = performance.now();
  private respawnTimer: NodeJS.Timeout | undefined;
  private aloneTimer: NodeJS.Timeout | undefined;
  /** Set once a worker was ready (or the first took FIRST_ALONE_MS): workers start in parallel. */
  private othersMayStart = false;
  private drainWaiters: (() => void)[] = [];
  private readonly boundFlush = () => this.flush();
  /** @internal what its workers tell it (the pool's own methods stay off its public surface) */
  protected readonly _owner: WorkerOwner<TaskRec> = {
    workerReady: (w) => this.workerReady(w),
    taskAnswered: (w, t, status, value, ms) => this.taskAnswered(w, t, status, value, ms),
    repliesHandled: (w, busyMs) => this.repliesHandled(w, busyMs),
    taskStarted: (w, t) => this.taskStarted(w, t),
    initFailed: (w, err) => this.initFailed(w, err),
    workerGone: (w, end) => this.workerGone(w, end),
  };

  constructor(settings: PoolSettings) {
    super();
    assertNotImportingTasks(`A ${settings.name}`);
    this._settings = settings;
    this._name = settings.name;
    const ini = settings.initializer;
    this.init = { initializer: ini ? describeTask(ini) : undefined, initargs: settings.initargs, name: settings.name };
  }

  // ── what a subclass provides ──────────────────────────────────────────────

  /** @internal a new worker (not started): a thread or a child process. */
  protected abstract newWorker(n: number): Worker;
  /** @internal the first message of worker number `n` (1, 2, ...). */
  protected abstract initMessage(base: WorkerInit, n: number): WorkerInit;
  /** @internal 'thread' or 'process' (error messages; shared memory crosses threads only). */
  protected abstract readonly _kind: 'thread' | 'process';

  // ── submitting ────────────────────────────────────────────────────────────

  /** @internal */
  _enqueue(f: Future<any>, fn: Function, args: unknown[], opts: SubmitOptions | undefined, chunk: boolean): void {
    if (this.broken) return this._fail(f, this.broken);
    if (this.queuedLive >= this._settings.maxQueue && !chunk) {
      // (map's chunks are exempt: map bounds what it has in flight by itself)
      return this._fail(f, new QueueFullError(`Cannot submit: the queue already holds maxQueue = ${this._settings.maxQueue} tasks`));
    }
    let t: TaskTarget;
    let flags: number;
    // (a fresh list if a getter of an argument being encoded submits: never mix two tasks' lists)
    const list = movedInUse ? [] : moved;
    movedInUse = true;
    if (opts?.transfer) list.push(...opts.transfer);
    try {
      t = describeTask(fn);
      flags = t.flags | encodeArgs(args, list, this._kind === 'process');
    } catch (err) {
      list.length = 0;
      return this._fail(f, err);
    } finally {
      if (list === moved) movedInUse = false;
    }
    if (chunk) flags |= F_CHUNK;
    const timeout = taskTimeout(opts);
    if (timeout !== Infinity) flags |= F_NOTIFY_START;
    const rec: TaskRec = {
      f,
      id: nextTaskId++,
      flags,
      target: t.target,
      name: t.name,
      args,
      transfer: list.length ? list.splice(0) : undefined,
      seq: -1,
      timeout,
      submitAt: performance.now(),
      w: undefined,
      timer: undefined,
      stat: this.statOf(t),
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
  private statOf({ flags, target, name }: TaskTarget): FnStat {
    if ((flags & F_KIND) === F_INLINE) {
      let st = this.inlineStats.get(target);
      if (st === undefined) setBounded(this.inlineStats, target, (st = { avg: -1 }));
      return st;
    }
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
    const max = this._settings.maxTasksPerWorker;
    // Share the queue evenly among the workers that have room, so a burst of
    // slow tasks never lands on one worker while another idles.
    let withRoom = 0;
    for (const w of this.workers) if (w.accepting && w.sentCount < max) withRoom++;
    for (const w of this.workers) {
      if (!w.accepting) continue;
      const share = Math.ceil(this.queuedLive / Math.max(1, withRoom--));
      let room = Math.min(MAX_CAP - w.load, max - w.sentCount, share);
      if (room <= 0) continue;
      const recs: TaskRec[] = [];
      let backlog = w.backlog;
      while (room > 0 && this.qHead < this.queue.length) {
        const rec = this.queue[this.qHead]!;
        if (rec.f.done()) {
          this.queue[this.qHead++] = undefined; // cancelled while queued
          continue;
        }
        // A worker holds about TARGET_BATCH_MS of expected work: tiny tasks travel by
        // the hundred, a slow one alone, and nothing waits behind a long task.
        const est = WorkerPoolExecutor.estimate(rec.stat);
        if (backlog > 0 && backlog + est > TARGET_BATCH_MS) break;
        this.queue[this.qHead++] = undefined;
        this.queuedLive--;
        rec.est = est;
        backlog += est;
        recs.push(rec);
        room--;
      }
      if (recs.length === 0) {
        if (this.qHead >= this.queue.length) break;
        continue; // this worker's budget is full; the next one may have room
      }
      this.send(w, recs);
      if (this.queuedLive === 0) break;
    }
    let idleReady = 0;
    let anyReady = false;
    for (const w of this.workers) {
      if (w.state !== 'ready') continue;
      anyReady = true;
      if (w.load === 0) idleReady++;
    }
    // Start workers for what is still waiting. While none is ready, one at a time:
    // workers that boot together share the cores, and the first result would wait
    // for all of them (bench/RESULTS.md, "Cold start"). The first READY flushes
    // again and starts the others; so does FIRST_ALONE_MS without one (a slow
    // initializer must not keep the others from starting).
    let want = Math.min(this._settings.maxWorkers - this.workers.size, this.queuedLive - this.starting - idleReady);
    if (!anyReady && !this.othersMayStart) want = Math.min(want, this.starting > 0 ? 0 : 1);
    for (let i = 0; i < want && !this.broken && this.respawnTimer === undefined; i++) this.spawn();
    if (!anyReady && this.starting > 0 && this.queuedLive > this.starting && this.aloneTimer === undefined && !this.othersMayStart) {
      this.aloneTimer = setTimeout(() => {
        this.aloneTimer = undefined;
        this.othersMayStart = true;
        if (this.queuedLive > 0 && !this.broken) this.flush();
      }, FIRST_ALONE_MS);
      this.aloneTimer.unref();
    }
    this.compactQueue();
  }

  private send(w: Worker, recs: TaskRec[]): void {
    const now = performance.now();
    for (const r of recs) {
      setRunning(r.f);
      r.w = w;
    }
    const failed = w.send(recs);
    if (failed !== undefined) {
      for (const { task, error } of failed) {
        task.w = undefined;
        this._fail(task.f, error);
      }
    }
    for (const r of recs) {
      if (r.w !== w) continue;
      w.backlog += r.est;
      this._rec.waitSample(now - r.submitAt);
      r.submitAt = now; // from here on: when it was sent (for run time)
      // r.args stays until the answer: a task whose worker dies before starting it is sent again.
    }
    this.clearIdle(w);
    if (recs.length === 1 && this._kind === 'thread' && w.load === 1) this.maybePoll(w, recs[0]!);
  }

  /**
   * One quick task in flight, and nothing else in the pool: poll for its reply.
   *
   * A caller that awaits one task at a time (T3 of BENCH.md) otherwise pays for
   * two wake-ups per round trip: the worker's (it polls its port for a while
   * after its last task, so the next one rarely needs it) and its own event
   * loop's, asleep until the worker's DONE message arrives (~10 us on a VM). The
   * reply is in the reply log in shared memory before that message is sent, so
   * the pool looks there once per event-loop turn (setImmediate: the loop keeps
   * running timers and I/O, it only does not sleep) for the task's run time plus
   * POLL_MS, and answers the future as soon as the record is there (and every
   * message the worker sent before it has been handled: WorkerHandle.peekReplies). The DONE message that
   * follows then finds nothing left to read. When polls keep finding nothing
   * (a loaded machine), the pool polls only now and then (POLL_MIN_HITS).
   */
  private maybePoll(w: Worker, rec: TaskRec): void {
    const avg = rec.stat.avg;
    if (!(avg >= 0 && avg <= POLL_TASK_MS)) return;
    for (const o of this.workers) if (o !== w && o.load > 0) return;
    if (this.pollHits < POLL_MIN_HITS && ++this.pollProbes % POLL_PROBE_EVERY !== 0) return;
    this.pollW = w;
    this.pollUntil = performance.now() + avg + POLL_MS;
    // A poll still under way (the last reply came by DONE before its turn) goes on for this task.
    if (!this.polling) {
      this.polling = true;
      setImmediate(this.pollTurn);
    }
  }

  /** One turn of `maybePoll`: the reply is there, or it is time to give up, or poll again next turn. */
  private readonly pollTurn = (): void => {
    const w = this.pollW!;
    if (w.load === 0 || w.peekReplies()) {
      this.pollHits += (1 - this.pollHits) * POLL_HIT_WEIGHT; // answered (by the poll, or by a DONE in between)
    } else if (performance.now() < this.pollUntil) {
      return void setImmediate(this.pollTurn);
    } else {
      this.pollHits -= this.pollHits * POLL_HIT_WEIGHT;
    }
    this.polling = false;
    this.pollW = undefined;
  };

  private spawn(): void {
    if (this._closed && this.queuedLive === 0) return;
    const n = ++this.spawned;
    const w = this.newWorker(n);
    this.workers.add(w);
    this.starting++;
    try {
      w.start(this.initMessage(this.init, n));
    } catch (err) {
      // Whatever failed here (the start itself, or a first message that cannot be
      // sent) will fail the same way for the next worker: the pool is broken.
      this.breakPool(new BrokenExecutorError(`The executor is broken: a worker could not be started: ${errMessage(err)}`, { cause: err }));
      w.kill();
    }
  }

  // ── hearing from workers (WorkerOwner) ────────────────────────────────────

  /** @internal */
  private workerReady(w: Worker): void {
    this.lastReadyAt = performance.now();
    this.othersMayStart = true;
    if (this.aloneTimer) clearTimeout(this.aloneTimer);
    this.aloneTimer = undefined;
    this.starting--;
    this.startFailures = 0;
    this.killedStarts = 0;
    if (this.queuedLive > 0) this.flush();
    else this.becameIdle(w);
  }

  /** @internal */
  private taskAnswered(w: Worker, rec: TaskRec, status: number, value: unknown, ms: number): void {
    w.backlog -= rec.est;
    rec.args = undefined;
    cancel(rec.timer);
    rec.timer = undefined;
    this._rec.runSample(performance.now() - rec.submitAt);
    if (status === OK) this._ok(rec.f, value);
    else if (status === ERR) this._fail(rec.f, deserializeError(value));
    else return; // SKIPPED: the future was cancelled already
    const st = rec.stat;
    st.avg = st.avg < 0 ? ms : st.avg * 0.8 + ms * 0.2;
  }

  /** @internal */
  private repliesHandled(w: Worker, busyMs: number): void {
    this._rec.busyMs += busyMs;
    if (w.answeredCount >= this._settings.maxTasksPerWorker) w.retire();
    if (w.load === 0) this.becameIdle(w);
    if (this.queuedLive > 0) this.flush();
    this.checkDrained();
  }

  /** @internal */
  private taskStarted(_w: Worker, rec: TaskRec): void {
    rec.submitAt = performance.now();
    if (rec.timeout === Infinity || rec.f.done()) return;
    cancel(rec.timer);
    rec.timer = later(
      (r: TaskRec) => {
        r.timer = undefined;
        const err = new TimeoutError(`The task did not finish within its timeout of ${r.timeout} ms`);
        if (r.f.done()) return;
        this._fail(r.f, err);
        this.stopRunning(r, err);
      },
      rec.timeout,
      rec,
    );
    rec.timer.unref();
  }

  /** @internal */
  private initFailed(_w: Worker, error: unknown): void {
    this.breakPool(
      new BrokenExecutorError(`The executor is broken: a worker's initializer failed: ${errMessage(error)}`, { cause: error }),
    );
  }

  /**
   * @internal A worker has ended: its started, unanswered tasks fail; the others go
   * back to the front of the queue; a worker that could not start on its own counts
   * toward a broken pool.
   */
  private workerGone(w: Worker, end: WorkerEnd<TaskRec>): void {
    this.workers.delete(w);
    this.clearIdle(w);
    if (end.beforeReady) this.starting--;
    for (const rec of end.crashed) {
      cancel(rec.timer);
      rec.timer = undefined;
      rec.w = undefined;
      this._fail(rec.f, crashError(this._kind, end));
    }
    this.requeue(end.unstarted);
    if (end.beforeReady && !end.intentional) this.startFailed(end);
    if (this.queuedLive > 0 && !this.broken) this.flush();
    this.checkDrained();
  }

  /** Tasks a worker never started: back to the front of the queue, in their order. */
  private requeue(recs: TaskRec[]): void {
    const live: TaskRec[] = [];
    for (const rec of recs) {
      cancel(rec.timer);
      rec.timer = undefined;
      rec.w = undefined;
      if (rec.f.done()) continue;
      if (this.broken) {
        this._fail(rec.f, this.broken); // a broken pool runs nothing more
        continue;
      }
      setPending(rec.f);
      live.push(rec);
    }
    if (live.length === 0) return;
    this.queue = [...live, ...this.queue.slice(this.qHead)];
    this.qHead = 0;
    this.queuedLive += live.length;
  }

  /**
   * A worker died before it was ready, and not because the pool stopped it. Killed
   * from outside (a signal: an OOM killer, an operator): replace it, a little later
   * each time. On its own (an exit code, a failed spawn, a module that throws): one
   * may be bad luck, MAX_START_FAILURES in a row (or any once shutdown began)
   * break the pool, so no caller waits on workers that cannot start.
   */
  private startFailed(end: WorkerEnd<TaskRec>): void {
    const why = end.cause !== undefined ? errMessage(end.cause) : end.signal ? `it was killed by ${end.signal}` : exitText(end.exitCode);
    if (end.signal && !end.moduleThrew) {
      this.killedStarts++;
      if (this.killedStarts >= MAX_KILLED_STARTS && performance.now() - this.lastReadyAt > KILLED_STARTS_WINDOW_MS) {
        this.breakPool(
          new BrokenExecutorError(
            `The executor is broken: for ${KILLED_STARTS_WINDOW_MS / 1000} s every worker was killed while starting (${why})`,
          ),
        );
      } else if (this.queuedLive > 0 && this.respawnTimer === undefined) {
        this.respawnTimer = setTimeout(
          () => {
            this.respawnTimer = undefined;
            if (this.queuedLive > 0 && !this.broken) this.flush();
          },
          // The first few at once; then back off (up to a second) from a machine that keeps killing.
          this.killedStarts <= 3 ? 0 : Math.min(1000, 10 * 2 ** (this.killedStarts - 3)),
        );
      }
      return;
    }
    if (++this.startFailures >= MAX_START_FAILURES || this._closed) {
      this.breakPool(
        new BrokenExecutorError(`The executor is broken: a worker failed to start: ${why}${this.startHint(end)}`, { cause: end.cause }),
      );
    }
  }

  /** @internal a hint for why workers fail to start (ProcessPoolExecutor: execArgv). */
  protected startHint(_end: WorkerEnd<TaskRec>): string {
    return '';
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
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.respawnTimer = undefined;
    for (const w of [...this.workers]) if (w.state === 'starting') w.kill();
    this.checkDrained();
  }

  private becameIdle(w: Worker): void {
    if (w.state === 'retiring' || w.state === 'killing') return; // on its way out: kept alive until it has exited (shutdown awaits it)
    w.keepAlive(false);
    if (this._closed) {
      this.checkDrained();
      return;
    }
    const s = this._settings;
    if (this.staying() > s.minWorkers && s.idleTimeout !== Infinity && !this.idleTimers.has(w)) {
      const t = later(
        (worker: Worker) => {
          this.idleTimers.delete(worker);
          if (worker.load === 0 && worker.accepting && this.staying() > s.minWorkers) worker.retire();
        },
        s.idleTimeout,
        w,
      );
      t.unref();
      this.idleTimers.set(w, t);
    }
  }

  private clearIdle(w: Worker): void {
    const t = this.idleTimers.get(w);
    if (t !== undefined) {
      cancel(t);
      this.idleTimers.delete(w);
    }
  }

  /** Workers not on their way out. */
  private staying(): number {
    let n = 0;
    for (const w of this.workers) if (w.state === 'starting' || w.state === 'ready') n++;
    return n;
  }

  // ── cancelling ────────────────────────────────────────────────────────────

  /** @internal */
  protected _cancelTask(f: Future<unknown>, _wasRunning: boolean, reason: unknown): void {
    const rec = slotOf<TaskRec | undefined>(f);
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
   * Stops a task a worker holds: one that had not started never will; one that
   * may be running has its signal aborted, and its worker is killed (and
   * replaced) if the task has not finished `cancelGrace` ms later.
   */
  private stopRunning(rec: TaskRec, reason: unknown): void {
    const w = rec.w;
    if (w === undefined || w.state === 'gone') return;
    if (w.cancel(rec, reason) === 'skipped') return;
    cancel(rec.timer);
    const check = (r: TaskRec): void => {
      r.timer = undefined;
      if (w.state === 'gone' || !w.holds(r)) return;
      const started = w.mayHaveStarted(r);
      if (started === false) return; // it will be skipped
      if (started === undefined) {
        // Not known yet (a child's claim may be on its way): look again later.
        r.timer = later(check, this._settings.cancelGrace || 10, r);
        r.timer.unref();
        return;
      }
      w.kill();
    };
    rec.timer = later(check, this._settings.cancelGrace, rec);
    rec.timer.unref();
  }

  /** @internal */
  protected _cancelQueued(): void {
    for (let i = this.qHead; i < this.queue.length; i++) this.queue[i]?.f.cancel();
  }

  // ── shutting down ─────────────────────────────────────────────────────────

  private checkDrained(): void {
    if (!this._closed || this.drainWaiters.length === 0) return;
    if (this.queuedLive > 0) return;
    for (const w of this.workers) if (w.load > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const r of waiters) r();
  }

  /** @internal */
  protected async _shutdown(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.checkDrained();
    });
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.respawnTimer = undefined;
    const workers = [...this.workers];
    for (const w of workers) {
      if (w.state === 'starting') w.kill();
      else w.retire();
    }
    await Promise.all(workers.map((w) => w.whenGone()));
  }

  /** @internal */
  protected _live() {
    let busy = 0;
    let idle = 0;
    for (const w of this.workers) {
      if (w.state !== 'ready' && w.state !== 'retiring') continue;
      if (w.load > 0) busy++;
      else idle++;
    }
    return { workers: this.workers.size, busy, idle, queued: this.queuedLive };
  }

  /** @internal */
  _parallelism(): number {
    return this._settings.maxWorkers;
  }

  /** @internal thread ids (threads) or pids (processes) of the live, ready workers (tests, weft/threading). */
  _workerIds(): number[] {
    return [...this.workers].filter((w) => w.state === 'ready').map((w) => w.threadId);
  }

  /** @internal the live workers' handles (tests). */
  _workers(): readonly Worker[] {
    return [...this.workers];
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

function exitText(code: number | null): string {
  return `it exited with code ${code ?? 'unknown'}`;
}
