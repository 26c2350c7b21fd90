/**
 * The run loop inside every worker (a pool's thread or child process, a
 * `Thread`, a `Process`).
 *
 * It keeps the worker's event loop free between tasks (no blocking wait), so
 * timers, fetch and async tasks inside workers keep working. Tasks run one at a
 * time in arrival order; the sync tasks of a batch run back to back.
 *
 * Exactly once, across crashes and cancels
 * ────────────────────────────────────────
 * The parent must know, whatever happens to this worker, which tasks started
 * (they may have had effects: never run again) and which did not (they go to
 * another worker). Tasks are numbered in arrival order, k = 0, 1, 2...
 *
 * Every worker has a control block (protocol.ts, CB_*), shared with the parent
 * (threads) or with the child's control thread, which answers the parent even
 * while a task holds the main thread (child processes, child-control.ts):
 *   take k:   CAS STARTED k -> k+1 (fails once the parent froze the worker:
 *             nothing more starts), then read RING[k]: set means the parent
 *             cancelled k before the claim, so it is skipped, never run.
 *   parent:   cancel k = store RING[k], then load STARTED: <= k means the task
 *             had not been claimed, and the worker will see the mark after its
 *             claim (sequentially consistent atomics), so it never starts.
 * A child process also claims: before a task it has not claimed, it claims the
 * tasks received so far in one message ([PROGRESS, CLAIM, upTo]) and starts
 * only once that message has left. When something outside kills the child
 * (SIGKILL, an OOM killer), its control thread dies with it; then the parent
 * knows from the last claim that no task past it started. A claim stops before
 * a task that may run long, so one that gets the child killed is claimed alone.
 *
 * Replies
 * ───────
 * Each reply goes to the reply log the moment its task finishes
 * (reply-log.ts), so a finished result survives the worker being terminated or
 * running out of memory; a thread's DONE message tells the parent how far to
 * read, a child's carries the records (and its control thread hands over the
 * rest when the parent kills it). Values the log cannot hold travel inline.
 */
import { setWorkerContext, type TaskContext } from '../core/context.js';
import { TaskDefinitionError } from '../core/errors.js';
import { getRuntime, setRuntime } from '../core/runtime.js';
import type { Transferable } from '../core/tasks.js';
import { serializeError } from '../transport/errors.js';
import { decodeShared, decodeBrokered } from '../transport/codec.js';
import { loadReviver, type Reviver } from '../transport/revivers.js';
import { setBrokerLink, onBrokerReply } from '../transport/brokered.js';
import { ReplyLogWriter } from '../transport/reply-log.js';
import { Transfer } from '../core/tasks.js';
import { COMPILER_HELPERS, isCompilerHelperName } from './compiler-helpers.js';
import { initLoader, loadTask, ModuleInitError } from './loader.js';
import { setBounded } from '../core/bounded.js';
import {
  INIT,
  RUN,
  CANCEL,
  STOP,
  READY,
  INIT_FAILED,
  DONE,
  STARTED,
  FATAL,
  PROGRESS,
  CLAIM,
  BROKER_REPLY,
  F_KIND,
  F_TABLE,
  F_INLINE,
  F_CHUNK,
  F_SHARED,
  F_BROKERED,
  F_NOTIFY_START,
  OK,
  ERR,
  SKIPPED,
  TASK_FIELDS,
  CB_STARTED,
  CB_RING,
  CANCEL_RING,
  ordersReplies,
  type WorkerInit,
} from '../transport/protocol.js';

/** How the loop talks to its parent. */
export interface Port {
  post(msg: unknown, transfer?: Transferable[]): void;
  onMessage(cb: (msg: any) => void): void;
  /**
   * Ends the worker (after the loop has sent everything it owes). `failure`: the
   * error of a Thread's or Process's one task, which a child process prints on its
   * stderr as Python's Process does.
   */
  exit(code: number, failure?: unknown): void;
  threadId: number;
  /** Threads: the next message if one is waiting (receiveMessageOnPort), without the event loop. */
  poll?(): unknown;
  /**
   * Child processes: sends a message and calls `then` once it has left the
   * process (the claim protocol, above).
   */
  sendThen?(msg: unknown, then: () => void): void;
  /** Child processes: the parent cannot read this memory, so DONE carries the log's bytes. */
  shipsLog?: boolean;
}

/**
 * What a worker shares with its parent: a thread with the parent itself, a child
 * process with its control thread, which answers the parent (child-control.ts).
 */
export interface Shared {
  control: Int32Array;
  replyLog: SharedArrayBuffer;
}

type Fn = (...args: unknown[]) => unknown;

/** The inline replies of a DONE that has only logged ones. */
const NO_REPLIES: unknown[] = [];

/** How long an idle worker thread polls for its next task before sleeping (ms). */
const SPIN_MS = 0.1;
/** How long a chain of such polls may keep the event loop waiting (ms). */
const SPIN_CHAIN_MS = 2;
/** Replies held longer than this (ms) are sent before the next task. */
const HOLD_MS = 4;

export interface RunLoop {
  /** Sends every reply not sent yet. */
  flush(): void;
  /** Tasks taken so far. */
  started(): number;
}

export function startRunLoop(port: Port, shared: Shared): RunLoop {
  const control = shared.control;
  const log = new ReplyLogWriter(shared.replyLog);
  const claims = port.sendThen !== undefined;
  /** What a DONE message says about the log: how far to read (threads), or the records (children). */
  const logMark = port.shipsLog ? () => log.take() : () => log.end;

  // ── queue of tasks not yet taken (flat, as they arrive) ─────────────────
  let q: unknown[] = [];
  let qHead = 0;
  let busy = false; // a task is running (async) or the loop is draining
  let stopping = false;
  let started = 0; // tasks taken so far (mirrors STARTED for threads)
  let claimed = 0; // child processes: tasks the parent was told we may take
  let finished = 0; // tasks answered (for exitAfter)
  let exitAfter = Infinity;
  let lastFailed = false; // the last task answered failed (a Process exits with code 1)
  let lastError: unknown;
  const slowFns = new WeakSet<Fn>(); // functions that ran over a millisecond

  // ── the running task's context ──────────────────────────────────────────
  let runningId = -1;
  let runningAc: AbortController | undefined;
  const ctx: TaskContext = {
    get signal() {
      return (runningAc ??= new AbortController()).signal;
    },
  };

  // ── replies ─────────────────────────────────────────────────────────────
  let logged = false; // records in the log not yet announced by a DONE
  let busyMs = 0;
  let firstPendingAt = 0;

  /** Task functions loaded from modules, by kind, module and name. */
  const fnCache = new Map<string, Fn>();
  /** Inline functions compiled, by source: bounded (core/bounded.ts), as the sources sent are not. */
  const inlineFns = new Map<string, Fn>();
  const cached = (flags: number, target: string, name: string): Fn | undefined =>
    (flags & F_KIND) === F_INLINE ? inlineFns.get(target) : fnCache.get(cacheKey(flags, target, name));
  let reviveShared: Reviver | undefined;
  let reviveBrokered: Reviver | undefined;
  /**
   * Every message the loop sends: those that order replies are counted in the
   * log first (transport/reply-log.ts, POSTED), so a parent that reads the log
   * ahead of DONE waits until it has handled them.
   */
  const send = (msg: unknown[], transfer?: Transferable[]): void => {
    const counted = ordersReplies(msg);
    if (counted) log.countPost();
    try {
      port.post(msg, transfer);
    } catch (err) {
      if (counted) log.countPost(-1);
      throw err;
    }
  };
  setBrokerLink((msg) => send(msg as unknown[]));

  /** Announces the replies written to the log since the last DONE (one message for a run of them). */
  function flush(): void {
    if (!logged) return;
    const ms = busyMs;
    logged = false;
    busyMs = 0;
    send([DONE, logMark(), ms, NO_REPLIES]);
  }

  /** Sends one reply inline now (a value with a transfer list, or one the log cannot hold). */
  function postInline(id: number, status: number, value: unknown, ms: number, transfer: Transferable[] | undefined): void {
    const mark = logMark();
    try {
      send([DONE, mark, 0, [id, status, value, ms]], transfer);
    } catch (e) {
      const err = new TypeError(`The task's result cannot be sent back from the worker: ${(e as Error).message}`);
      send([DONE, mark, 0, [id, ERR, serializeError(err), ms]]);
    }
  }

  function reply(id: number, status: number, value: unknown, ms: number): void {
    if (!logged) firstPendingAt = performance.now();
    if (value instanceof Transfer) {
      // Moved, not copied: only a message can carry a transfer list. Send what is pending first.
      flush();
      postInline(id, status, value.value, ms, value.transferList as Transferable[]);
      return;
    }
    if (log.append(id, status, value, ms)) {
      logged = true;
      return;
    }
    // Not loggable (shared memory, a port, or the log is full): inline, in order.
    flush();
    postInline(id, status, value, ms, undefined);
  }

  // ── resolving a task's function ─────────────────────────────────────────
  async function load(flags: number, target: string, name: string): Promise<Fn> {
    let fn = cached(flags, target, name);
    if (fn !== undefined) return fn;
    const kind = flags & F_KIND;
    if (kind === F_INLINE) setBounded(inlineFns, target, (fn = compileInline(target)));
    else fnCache.set(cacheKey(flags, target, name), (fn = await loadTask(kind === F_TABLE ? 'table' : 'export', target, name)));
    return fn;
  }

  // ── claiming (see the top of this file) ─────────────────────────────────
  const RUN_IT = 0;
  const SKIP_IT = 1;
  const FROZEN = 2;

  function take(): number {
    const k = started;
    if (Atomics.compareExchange(control, CB_STARTED, k, k + 1) !== k) return FROZEN;
    started = k + 1;
    return Atomics.load(control, CB_RING + (k % CANCEL_RING)) === k + 1 ? SKIP_IT : RUN_IT;
  }

  /**
   * Drains the queue; then, on threads, stays on the thread for up to SPIN_MS
   * polling the port for the next message instead of going back to sleep in the
   * event loop: one task at a time then costs one wake-up (the parent's), not two.
   * The spins of one drain add up to at most SPIN_CHAIN_MS, so timers and I/O of
   * earlier tasks are not starved.
   */
  function drain(): void {
    const until = performance.now() + SPIN_CHAIN_MS;
    while (drainOnce() && port.poll !== undefined && performance.now() < until && spinForMessage()) {
      /* more work arrived */
    }
  }

  let spinning = false;
  function spinForMessage(): boolean {
    const until = performance.now() + SPIN_MS;
    spinning = true;
    try {
      do {
        const m = port.poll!();
        if (m !== undefined) {
          onMessage(m);
          if (qHead < q.length) return true;
          if (stopping) return false;
        }
      } while (performance.now() < until);
      return false;
    } finally {
      spinning = false;
    }
  }

  /** Runs queued tasks; true if it emptied the queue, false if it stopped early (it resumes itself). */
  function drainOnce(): boolean {
    busy = true;
    while (qHead < q.length) {
      const id = q[qHead] as number;
      const flags = q[qHead + 1] as number;
      const target = q[qHead + 2] as string;
      const name = q[qHead + 3] as string;
      const fn = cached(flags, target, name);
      if (
        fn === undefined ||
        ((flags & F_SHARED) !== 0 && reviveShared === undefined) ||
        ((flags & F_BROKERED) !== 0 && reviveBrokered === undefined)
      ) {
        // Slow path: load the module (or a reviver) first, then come back.
        flush();
        prepare(flags, target, name).then(drain, (err) => failLoad(id, err));
        return false;
      }
      if (claims && started >= claimed) {
        // Claim the tasks received so far in one message, and go on once it has left.
        // Replies go first: a claimed span that gets the child killed takes no finished result with it.
        flush();
        claimed = started + claimSpan(flags, fn);
        port.sendThen!([PROGRESS, CLAIM, claimed], drain);
        return false;
      }
      let args = q[qHead + 4] as unknown[];
      q[qHead + 4] = undefined;
      qHead += TASK_FIELDS;
      const t = take();
      if (t === FROZEN) {
        // The parent froze us (it is terminating this worker): nothing more starts.
        q = [];
        qHead = 0;
        busy = false;
        flush();
        return false;
      }
      if (t === SKIP_IT) {
        answered(id, SKIPPED, undefined, 0);
        continue;
      }
      if ((flags & F_SHARED) !== 0) args = decodeShared(args, reviveShared!);
      if ((flags & F_BROKERED) !== 0) args = decodeBrokered(args, reviveBrokered!);
      // Results already computed leave before a task that may run long (it has a
      // timeout, or its function took over a millisecond before): not held back by it.
      if (logged && ((flags & F_NOTIFY_START) !== 0 || slowFns.has(fn))) flush();
      if ((flags & F_NOTIFY_START) !== 0) send([STARTED, id]);
      if (!runTask(id, flags, fn, args)) return false; // went async; resumes in `finishTask`
      if (stopping && finished >= exitAfter) return false;
      if (logged && performance.now() - firstPendingAt > HOLD_MS) flush();
    }
    if (q.length > 4096) {
      q = [];
      qHead = 0;
    } else if (qHead === q.length) {
      q.length = 0;
      qHead = 0;
    }
    busy = false;
    flush();
    if (stopping) {
      port.exit(exitCode());
      return false;
    }
    return true;
  }

  function exitCode(): number {
    if (exitAfter !== Infinity && lastFailed) return 1;
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  }

  /**
   * How many tasks, from the next one (flags0, fn0), one claim covers (child
   * processes). The parent counts every claimed task of a child that dies as
   * started (it may have had effects), so a claim stops before a task that may
   * run long: it has a timeout, its function ran over a millisecond before, or
   * its function is not loaded yet (never ran here). Such a task is claimed alone,
   * so when it gets the child killed (timeout, cancel, crash) the tasks queued
   * behind it were never claimed and go to another child, as on threads. A run
   * of quick tasks still takes one claim (one small message per batch).
   */
  function claimSpan(flags0: number, fn0: Fn): number {
    if ((flags0 & F_NOTIFY_START) !== 0 || slowFns.has(fn0) || exitAfter !== Infinity) return 1;
    let n = 1;
    let kind = flags0 & F_KIND;
    let target = q[qHead + 2] as string;
    let name = q[qHead + 3] as string;
    for (let i = qHead + TASK_FIELDS; i < q.length; i += TASK_FIELDS, n++) {
      const f = q[i + 1] as number;
      if ((f & F_NOTIFY_START) !== 0) break;
      const t = q[i + 2] as string;
      const nm = q[i + 3] as string;
      if ((f & F_KIND) !== kind || t !== target || nm !== name) {
        // Another function than the previous task's (rare in a batch): is it known quick?
        const g = cached(f, t, nm);
        if (g === undefined || slowFns.has(g)) break;
        kind = f & F_KIND;
        target = t;
        name = nm;
      }
    }
    return n;
  }

  async function prepare(flags: number, target: string, name: string): Promise<void> {
    if ((flags & F_SHARED) !== 0) reviveShared ??= await loadReviver('shared');
    if ((flags & F_BROKERED) !== 0) reviveBrokered ??= await loadReviver('brokered');
    await load(flags, target, name);
  }

  function failLoad(id: number, err: unknown): void {
    // The task cannot start: take it (so the parent counts it) and answer with the error.
    qHead += TASK_FIELDS;
    const t = take();
    if (t === FROZEN) return;
    if (err instanceof ModuleInitError) {
      // The module may have left this worker half-initialised: report, then exit so the pool replaces us.
      flush();
      send([FATAL, id, serializeError(err)]);
      port.exit(1, exitAfter !== Infinity ? err : undefined);
      return;
    }
    answered(id, t === SKIP_IT ? SKIPPED : ERR, t === SKIP_IT ? undefined : serializeError(err), 0);
    drain();
  }

  /** Runs one task; true if it finished synchronously. */
  function runTask(id: number, flags: number, fn: Fn, args: unknown[]): boolean {
    runningId = id;
    runningAc = undefined;
    setWorkerContext(ctx);
    const t0 = performance.now();
    let r: unknown;
    try {
      r = (flags & F_CHUNK) !== 0 ? runChunk(fn, args[0] as unknown[], 0, []) : fn(...args);
    } catch (err) {
      finishTask(id, ERR, err, t0, fn);
      return true;
    }
    if (r !== null && typeof r === 'object' && typeof (r as any).then === 'function') {
      (r as Promise<unknown>).then(
        (v) => {
          finishTask(id, OK, v, t0, fn);
          if (!(stopping && finished >= exitAfter)) drain();
        },
        (e) => {
          finishTask(id, ERR, e, t0, fn);
          if (!(stopping && finished >= exitAfter)) drain();
        },
      );
      return false;
    }
    finishTask(id, OK, r, t0, fn);
    return true;
  }

  function finishTask(id: number, status: number, value: unknown, t0: number, fn: Fn): void {
    const ms = performance.now() - t0;
    busyMs += ms;
    // One slow run (maybe just a GC pause) marks a function slow; one quick run clears it.
    if (ms > 1) slowFns.add(fn);
    else slowFns.delete(fn);
    setWorkerContext(undefined);
    runningId = -1;
    runningAc = undefined;
    if (status === OK) {
      if (value instanceof ChunkResult) value = [value.results, ms];
    } else {
      lastError = value;
      value = serializeError(value);
    }
    answered(id, status, value, ms);
  }

  /** A task is answered (run, failed, skipped): reply, and end the worker after its last one. */
  function answered(id: number, status: number, value: unknown, ms: number): void {
    reply(id, status, value, ms);
    lastFailed = status === ERR;
    if (++finished >= exitAfter) {
      // A Thread's or Process's one task is done: the worker ends (Python: the run() returned).
      stopping = true;
      busy = false;
      flush();
      port.exit(exitCode(), lastFailed ? lastError : undefined);
    }
  }

  port.onMessage(onMessage);
  function onMessage(msg: any): void {
    switch (msg[0]) {
      case RUN: {
        const batch = msg[1] as unknown[];
        if (qHead === q.length) {
          q = batch;
          qHead = 0;
        } else for (let i = 0; i < batch.length; i++) q.push(batch[i]);
        if (!busy && !spinning) drain();
        break;
      }
      case CANCEL: {
        // The parent marked the task in the control block (it is skipped if not started);
        // this message aborts its signal if it is running.
        if (msg[1] === runningId) (runningAc ??= new AbortController()).abort(msg[2]);
        break;
      }
      case BROKER_REPLY:
        onBrokerReply(msg);
        break;
      case STOP:
        stopping = true;
        if (!busy) {
          flush();
          port.exit(exitCode());
        }
        break;
      case INIT:
        void init(msg[1] as WorkerInit);
        break;
    }
  }

  async function init(opts: WorkerInit): Promise<void> {
    initLoader(opts);
    setRuntime(getRuntime().kind, opts.name, opts.daemon);
    if (opts.exitAfter !== undefined) exitAfter = opts.exitAfter;
    try {
      if (opts.initializer) {
        const { flags, target, name } = opts.initializer;
        const fn = await load(flags, target, name);
        setWorkerContext(ctx);
        try {
          await fn(...(opts.initargs ?? []));
        } finally {
          setWorkerContext(undefined);
        }
      }
      send([READY, port.threadId]);
    } catch (err) {
      send([INIT_FAILED, serializeError(err)]);
    }
  }

  return { flush, started: () => started };
}

// ── helpers ───────────────────────────────────────────────────────────────

function cacheKey(flags: number, target: string, name: string): string {
  return `${flags & F_KIND}\u0000${target}\u0000${name}`;
}

/** Results of a map chunk, tagged so the reply carries [results, ms]. */
class ChunkResult {
  constructor(readonly results: unknown[]) {}
}

function runChunk(fn: Fn, items: unknown[], from: number, results: unknown[]): ChunkResult | Promise<ChunkResult> {
  for (let i = from; i < items.length; i++) {
    const r = fn(items[i]);
    if (r !== null && typeof r === 'object' && typeof (r as any).then === 'function') {
      return (r as Promise<unknown>).then((v) => {
        results[i] = v;
        return runChunk(fn, items, i + 1, results);
      });
    }
    results[i] = r;
  }
  return new ChunkResult(results);
}

const HELPER_NAMES = Object.keys(COMPILER_HELPERS);
const HELPER_VALUES = Object.values(COMPILER_HELPERS);

/**
 * Compiles an inline task from its source, at global scope, with the helpers a
 * compiler may have written into it (compiler-helpers.ts). A ReferenceError it
 * throws later means it used a variable of the scope it was written in:
 * reported as a TaskDefinitionError naming the identifier.
 */
function compileInline(source: string): Fn {
  let fn: unknown;
  const compile = (expr: string) => new Function(...HELPER_NAMES, `"use strict"; return (${expr});`)(...HELPER_VALUES);
  try {
    fn = compile(source);
  } catch {
    try {
      // method shorthand: `name(a) { ... }`
      fn = compile(`{ ${source} }`);
      fn = fn && Object.values(fn as object)[0];
    } catch (err) {
      throw new TaskDefinitionError(
        'An inline task could not be compiled from its source; move it into a task module ' +
          `(defineTasks(import.meta.url, {...})). Source: ${source.slice(0, 200)}`,
        { cause: err },
      );
    }
  }
  if (typeof fn !== 'function') throw new TaskDefinitionError(`An inline task's source is not a function: ${source.slice(0, 200)}`);
  const inner = fn as Fn;
  return function inlineTask(this: unknown, ...args: unknown[]) {
    try {
      const r = inner.apply(this, args);
      if (r !== null && typeof r === 'object' && typeof (r as any).then === 'function')
        return (r as Promise<unknown>).catch(rethrowScopeError);
      return r;
    } catch (err) {
      return rethrowScopeError(err);
    }
  };
}

function rethrowScopeError(err: unknown): never {
  if (err instanceof ReferenceError) {
    const m = /^(\S+) is not defined$/.exec(err.message);
    if (m && isCompilerHelperName(m[1]!)) {
      throw new TaskDefinitionError(
        `An inline task calls "${m[1]}", a helper its compiler (tsx/esbuild, TypeScript) wrote into the module; ` +
          'shipped alone as source, the task cannot reach it. Move the function into a task module ' +
          '(defineTasks(import.meta.url, {...})).',
        { cause: err },
      );
    }
    if (m) {
      throw new TaskDefinitionError(
        `An inline task uses "${m[1]}" from the scope it was written in, but inline tasks are ` +
          `shipped as source and must be self-contained. Pass "${m[1]}" as an argument, or move the function into a task ` +
          'module (defineTasks(import.meta.url, {...})).',
        { cause: err },
      );
    }
  }
  throw err;
}
