/**
 * The run loop inside every worker (thread or child process).
 *
 * It keeps the worker's event loop free between tasks (no blocking wait), so
 * timers, fetch and async tasks inside workers keep working. Tasks run one at a
 * time in arrival order; sync tasks of one batch run back to back and their
 * replies leave in one message.
 *
 * Exactly-once across crashes (threads): before a task starts, the loop claims
 * it on the shared gate word with a compare-exchange (started count n-1 -> n).
 * A parent about to terminate this worker swaps the word to FROZEN first, so
 * it knows exactly which tasks started (and may have had effects) and which did
 * not (and can be given to another worker).
 *
 * Child processes have no shared word: every DONE message carries the started
 * count, each CANCEL is answered with it (PROGRESS) when the port asks for it,
 * and a child that exits on its own says it last (see process-pool.ts).
 */
import { setWorkerContext, type TaskContext } from '../core/context.js';
import { TaskDefinitionError } from '../core/errors.js';
import type { Transferable } from '../core/tasks.js';
import { serializeError } from '../transport/errors.js';
import { encodeResult, decodeShared, decodeBrokered } from '../transport/codec.js';
import { setBrokerLink, onBrokerReply } from '../transport/brokered.js';
import { initLoader, loadTask, ModuleInitError } from './loader.js';
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
  REPLY_FIELDS,
  GATE_STARTED,
  type WorkerInit,
} from '../transport/protocol.js';

/** How the loop talks to its parent. */
export interface Port {
  post(msg: unknown, transfer?: Transferable[]): void;
  onMessage(cb: (msg: any) => void): void;
  exit(code: number): void;
  threadId: number;
  /** Answer each CANCEL with [PROGRESS, started, 0] (child processes: they have no gate word). */
  reportsProgress?: boolean;
  /**
   * Child processes: called before the loop takes a task it has not claimed yet, with
   * the new claim (tasks it may take, counted from the first); the loop waits for
   * `then` so the claim has left the process before the task starts. After a crash
   * the parent knows that no task past the last claim ever started.
   */
  claim?(upTo: number, then: () => void): void;
  /** Threads: the next message if one is waiting (receiveMessageOnPort), without the event loop. */
  poll?(): unknown;
}

type Fn = (...args: unknown[]) => unknown;

/** How long an idle worker thread polls for its next task before sleeping (ms). */
const SPIN_MS = 0.1;
/** How long a chain of such polls may keep the event loop waiting (ms). */
const SPIN_CHAIN_MS = 2;

export function startRunLoop(port: Port, gate: Int32Array | undefined): { flush(): void; started(): number } {
  // ── queue of tasks not yet taken (flat, as they arrive) ─────────────────
  let q: unknown[] = [];
  let qHead = 0;
  let busy = false; // a task is running (async) or the loop is draining
  let stopping = false;
  let started = 0; // tasks taken so far (mirrors the gate word)
  let claimed = 0; // tasks the parent was told we may take (port.claim)
  const skip = new Set<number>();
  const slowFns = new WeakSet<Fn>(); // functions that ran over a millisecond

  // ── the running task's context ──────────────────────────────────────────
  let runningId = -1;
  let runningAc: AbortController | undefined;
  const ctx: TaskContext = {
    get signal() {
      return (runningAc ??= new AbortController()).signal;
    },
  };

  // ── replies, batched ────────────────────────────────────────────────────
  let out: unknown[] = [];
  let outTransfer: Transferable[] = [];
  let busyMs = 0;
  let firstPendingAt = 0;

  const fnCache = new Map<string, Fn>();
  let reviveShared: ((type: string, data: unknown) => object) | undefined;
  let reviveBrokered: ((type: string, data: unknown) => object) | undefined;
  setBrokerLink((msg) => port.post(msg));

  function flush(): void {
    if (out.length === 0) return;
    const batch = out,
      transfer = outTransfer,
      ms = busyMs;
    out = [];
    outTransfer = [];
    busyMs = 0;
    try {
      port.post([DONE, batch, ms, started], transfer);
    } catch {
      // A result structured clone refuses: send the replies one by one so only that task fails.
      for (let i = 0; i < batch.length; i += REPLY_FIELDS) {
        const one = batch.slice(i, i + REPLY_FIELDS);
        try {
          port.post([DONE, one, 0, started], transfer.length ? collectTransfer(batch[i + 2], transfer) : undefined);
        } catch (e) {
          port.post([
            DONE,
            [
              batch[i],
              ERR,
              serializeError(new TypeError(`The task's result cannot be sent back from the worker: ${(e as Error).message}`)),
              0,
            ],
            0,
            started,
          ]);
        }
      }
    }
  }

  function reply(id: number, status: number, value: unknown, ms = 0): void {
    if (out.length === 0) firstPendingAt = performance.now();
    out.push(id, status, value, ms);
  }

  // ── resolving a task's function ─────────────────────────────────────────
  async function load(flags: number, target: string, name: string): Promise<Fn> {
    const key = cacheKey(flags, target, name);
    let fn = fnCache.get(key);
    if (fn !== undefined) return fn;
    const kind = flags & F_KIND;
    if (kind === F_INLINE) fn = compileInline(target);
    else fn = await loadTask(kind === F_TABLE ? 'table' : 'export', target, name);
    fnCache.set(key, fn);
    return fn;
  }

  // ── running ─────────────────────────────────────────────────────────────
  function take(): boolean {
    // Claim the next task on the gate; false once the parent froze this worker.
    started++;
    if (gate === undefined) return true;
    return Atomics.compareExchange(gate, GATE_STARTED, started - 1, started) === started - 1;
  }

  /**
   * Drains the queue; then, on threads, stays on the thread for up to SPIN_MS
   * polling the port for the next message instead of going back to sleep in the
   * event loop: one task at a time then costs one wake-up (the parent's), not two.
   * The event loop waits at most SPIN_CHAIN_MS for its turn, so timers and I/O
   * of tasks are not starved.
   */
  function drain(): void {
    // The spins of one drain add up to at most SPIN_CHAIN_MS: a caller that answers
    // faster than SPIN_MS must not keep the event loop (timers, I/O of earlier
    // tasks) waiting for long; past it, the next message comes through the loop.
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
      const id = q[qHead] as number,
        flags = q[qHead + 1] as number;
      const target = q[qHead + 2] as string,
        name = q[qHead + 3] as string;
      const fn = fnCache.get(cacheKey(flags, target, name));
      if (
        fn === undefined ||
        ((flags & F_SHARED) !== 0 && reviveShared === undefined) ||
        ((flags & F_BROKERED) !== 0 && reviveBrokered === undefined)
      ) {
        // Slow path: load the module (or the shared-object reviver) first, then come back.
        prepare(flags, target, name).then(drain, (err) => {
          qHead += TASK_FIELDS;
          if (take()) failLoad(id, err);
          drain();
        });
        flush();
        return false;
      }
      if (port.claim !== undefined && started >= claimed) {
        // Claim the tasks received so far in one message, and go on once it has left.
        claimed = started + claimSpan(flags, fn);
        port.claim(claimed, drain);
        return false;
      }
      let args = q[qHead + 4] as unknown[];
      q[qHead + 4] = undefined;
      qHead += TASK_FIELDS;
      if (!take()) {
        q = [];
        qHead = 0;
        busy = false;
        flush();
        return false;
      }
      if (skip.size !== 0 && skip.delete(id)) {
        reply(id, SKIPPED, undefined);
        continue;
      }
      if ((flags & F_SHARED) !== 0) args = decodeShared(args, reviveShared!);
      if ((flags & F_BROKERED) !== 0) args = decodeBrokered(args, reviveBrokered!);
      // Results already computed leave before a task that may run long (it has a
      // timeout, or its function took over a millisecond before): they are not held
      // back by it, nor lost if it gets this worker terminated.
      if (out.length !== 0 && ((flags & F_NOTIFY_START) !== 0 || slowFns.has(fn))) flush();
      if ((flags & F_NOTIFY_START) !== 0) port.post([STARTED, id]);
      if (!runTask(id, flags, fn, args)) return false; // went async; resumes in `settled`
      if (performance.now() - firstPendingAt > 4) flush();
    }
    if (q.length > 4096) {
      q = [];
      qHead = 0;
    } else if (qHead === q.length) {
      q.length = 0;
      qHead = 0;
    }
    // Nothing is queued: a cancel still in `skip` arrived after its task had finished.
    if (skip.size !== 0) skip.clear();
    busy = false;
    flush();
    if (stopping) {
      port.exit(0);
      return false;
    }
    return true;
  }

  /**
   * How many tasks, from the next one (flags0, fn0), one claim covers (child
   * processes). The parent counts every claimed task of a child that dies as
   * started (it may have had effects), so a claim stops before a task that may
   * run long: it has a timeout, its function ran over a millisecond before, or
   * its function is not loaded yet (never ran here). Such a task is claimed alone,
   * so when it gets the child killed (timeout, cancel, crash) the tasks queued
   * behind it were never claimed and go to another child, as on threads. A run
   * of quick tasks still takes one claim (the trivial-task path: one small
   * message per batch).
   */
  function claimSpan(flags0: number, fn0: Fn): number {
    if ((flags0 & F_NOTIFY_START) !== 0 || slowFns.has(fn0)) return 1;
    let n = 1;
    let kind = flags0 & F_KIND,
      target = q[qHead + 2] as string,
      name = q[qHead + 3] as string;
    for (let i = qHead + TASK_FIELDS; i < q.length; i += TASK_FIELDS, n++) {
      const f = q[i + 1] as number;
      if ((f & F_NOTIFY_START) !== 0) break;
      const t = q[i + 2] as string,
        nm = q[i + 3] as string;
      if ((f & F_KIND) !== kind || t !== target || nm !== name) {
        // Another function than the previous task's (rare in a batch): is it known quick?
        const g = fnCache.get(cacheKey(f, t, nm));
        if (g === undefined || slowFns.has(g)) break;
        kind = f & F_KIND;
        target = t;
        name = nm;
      }
    }
    return n;
  }

  async function prepare(flags: number, target: string, name: string): Promise<void> {
    if ((flags & F_SHARED) !== 0 && reviveShared === undefined) {
      reviveShared = (await import('../threading/revive.js' as string)).revive;
    }
    if ((flags & F_BROKERED) !== 0 && reviveBrokered === undefined) {
      reviveBrokered = (await import('../multiprocessing/revive.js' as string)).revive;
    }
    await load(flags, target, name);
  }

  function failLoad(id: number, err: unknown): void {
    if (err instanceof ModuleInitError) {
      // The module may have left this worker half-initialised: report, then exit so the pool replaces us.
      flush();
      port.post([FATAL, id, serializeError((err as any).cause ?? err)]);
      port.exit(1);
      return;
    }
    reply(id, ERR, serializeError(err));
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
      finishTask(id, ERR, serializeError(err), t0, fn);
      return true;
    }
    if (r !== null && typeof r === 'object' && typeof (r as any).then === 'function') {
      (r as Promise<unknown>).then(
        (v) => {
          finishTask(id, OK, encodeResult(v, outTransfer), t0, fn);
          drain();
        },
        (e) => {
          finishTask(id, ERR, serializeError(e), t0, fn);
          drain();
        },
      );
      return false;
    }
    finishTask(id, OK, encodeResult(r, outTransfer), t0, fn);
    return true;
  }

  function finishTask(id: number, status: number, value: unknown, t0: number, fn: Fn): void {
    const ms = performance.now() - t0;
    busyMs += ms;
    // One slow run (maybe just a GC pause) marks a function slow; one quick run clears it.
    if (ms > 1) slowFns.add(fn);
    else slowFns.delete(fn);
    if (status === OK && value instanceof ChunkResult) value = [value.results, ms];
    setWorkerContext(undefined);
    runningId = -1;
    runningAc = undefined;
    reply(id, status, value, ms);
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
        const id = msg[1] as number;
        if (id === runningId) (runningAc ??= new AbortController()).abort(msg[2]);
        else skip.add(id);
        if (port.reportsProgress) port.post([PROGRESS, started, 0]);
        break;
      }
      case BROKER_REPLY: {
        onBrokerReply(msg);
        break;
      }
      case STOP:
        stopping = true;
        if (!busy) port.exit(0);
        break;
      case INIT:
        init(msg[1] as WorkerInit);
        break;
    }
  }

  async function init(opts: WorkerInit): Promise<void> {
    initLoader(opts);
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
      port.post([READY, port.threadId]);
    } catch (err) {
      port.post([INIT_FAILED, serializeError((err as any) instanceof ModuleInitError ? (err as any).cause : err)]);
    }
  }

  return { flush, started: () => started };
}

// ── helpers ───────────────────────────────────────────────────────────────

function cacheKey(flags: number, target: string, name: string): string {
  return (flags & F_KIND) === F_INLINE ? target : `${flags & F_KIND}\u0000${target}\u0000${name}`;
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

/**
 * Compiles an inline task from its source. A ReferenceError it throws later
 * means it used a variable of the scope it was written in: reported as a
 * TaskDefinitionError naming the identifier.
 */
function keepName<F>(fn: F, name: string): F {
  try {
    Object.defineProperty(fn, 'name', { value: name, configurable: true });
  } catch {
    /* frozen */
  }
  return fn;
}

function compileInline(source: string): Fn {
  let fn: unknown;
  // Compiled at global scope, with the one helper a compiler may have written into the
  // source: esbuild (tsx) with keepNames wraps nested functions in `__name(fn, "name")`.
  const compile = (expr: string) => new Function('__name', `"use strict"; return (${expr});`)(keepName);
  try {
    fn = compile(source);
  } catch {
    try {
      // method shorthand: `name(a) { ... }`
      fn = compile(`{ ${source} }`);
      fn = fn && Object.values(fn as object)[0];
    } catch (err) {
      throw new TaskDefinitionError(
        `An inline task could not be compiled from its source; move it into a task module ` +
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

function collectTransfer(value: unknown, all: Transferable[]): Transferable[] | undefined {
  // After a failed batch we no longer know which transferables belong to which reply;
  // keep those reachable at the top of this value.
  const mine = all.filter((t) => t === value || (ArrayBuffer.isView(value) && t === value.buffer));
  return mine.length ? mine : undefined;
}
