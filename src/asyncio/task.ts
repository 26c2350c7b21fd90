/**
 * Task: a Future that runs a function on this event loop, as Python's `asyncio.Task`.
 *
 *     new Task(fn) ──(next microtask)──> running: fn() runs in the task's Scope
 *        │                                   │ cancel(): the scope is cancelled, the wait
 *        │ cancel(): cancelled at once       │ the body is blocked in rejects with
 *        v                                   v CancelledError, cleanup runs, and the task
 *     cancelled                          finished | cancelled   settles when the body ends
 *
 * The task's Scope is the AsyncLocalStorage value (see core/scope.ts), so every weft
 * wait the body starts, however deep, is cancelled with the task without passing a
 * signal by hand. Starting is batched: all tasks created in one tick start in one
 * microtask, with no closure per task.
 */
import { CancelledError, describe } from '../core/errors.js';
import { Future, S } from '../core/future.js';
import { runInContext } from '../core/context.js';
import { setCancelled, setException, setResult, setRunning } from '../core/internal.js';
import { scopeCancel, scopeSignal, type CancelNode, type ScopeState } from '../core/scope.js';
import { awaitInContext } from '../core/wait.js';

/** Options of {@link createTask} and `TaskGroup.createTask`. */
export interface TaskOptions {
  /** A name for debugging and `currentTask().name`; default `Task-<n>`. */
  name?: string;
}

let counter = 0;

// ─── batched start ───────────────────────────────────────────────────────────

let startQueue: Task<unknown>[] = [];
let startScheduled = false;

function drainStarts(): void {
  const q = startQueue;
  startQueue = [];
  startScheduled = false;
  for (let i = 0; i < q.length; i++) startTask(q[i]!);
}

function scheduleStart(t: Task<unknown>): void {
  startQueue.push(t);
  if (!startScheduled) {
    startScheduled = true;
    queueMicrotask(drainStarts);
  }
}

function startTask(t: Task<unknown>): void {
  const fn = t._fn;
  t._fn = undefined;
  if (fn === undefined || !setRunning(t)) return;
  let r: unknown;
  try {
    r = runInContext(t, fn);
  } catch (e) {
    taskFailed(t, e);
    return;
  }
  if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof (r as PromiseLike<unknown>).then === 'function') {
    // One derived promise per task (an async wrapper would cost three, each paying the
    // AsyncLocalStorage promise hooks on Node 20). A foreign thenable (a Task, a Future)
    // is adopted inside the task's context, so awaiting it is cancelled with the task.
    const p = r instanceof Promise ? r : runInContext(t, adopt, r as PromiseLike<unknown>);
    p.then((v) => { taskDone(t, v); }, (e) => { taskFailed(t, e); });
  } else {
    taskDone(t, r);
  }
}

function adopt(x: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(x);
}

function taskDone(t: Task<unknown>, v: unknown): void {
  setResult(t, v);
  const reg = liveTasks;
  if (reg !== undefined) reg.delete(t);
}

function taskFailed(t: Task<unknown>, e: unknown): void {
  if (e instanceof CancelledError) setCancelled(t, t._cancelled ? t._reason : e);
  else setException(t, e);
  const reg = liveTasks;
  if (reg !== undefined) reg.delete(t);
}

// ─── registry of live tasks (only while run() is active) ─────────────────────

/** @internal tasks alive while `run()` runs, so it can cancel the leftovers. */
export let liveTasks: Set<Task<unknown>> | undefined;
/** @internal */
export function setLiveTasks(s: Set<Task<unknown>> | undefined): void { liveTasks = s; }

// ─── Task ────────────────────────────────────────────────────────────────────

/**
 * A function running concurrently on this event loop: a {@link Future} of its result.
 * Create one with {@link createTask} or `TaskGroup.createTask`. The function starts on
 * the next microtask; `cancel()` rejects whatever weft wait it is blocked in with
 * `CancelledError` and the task becomes cancelled once the function has ended (its
 * `finally` blocks run first, and may await).
 *
 * @example
 * const t = createTask(async () => { await sleep(100); return 42; }, { name: 'answer' });
 * console.log(t.name, await t);
 */
export class Task<T = unknown> extends Future<T> implements ScopeState {
  // The Task is its own cancel scope and async-context value (see core/scope.ts).
  /** @internal brand (on the prototype) */ declare readonly _isScope: true;
  /** @internal */ _head: CancelNode | null = null;
  /** @internal */ _tail: CancelNode | null = null;
  /** @internal */ _cancelled = false;
  /** @internal */ _pending = false;
  /** @internal */ _reason: CancelledError | undefined = undefined;
  /** @internal */ _ac: AbortController | undefined = undefined;
  /** @internal explicit name, or undefined for `Task-<id>` */
  _name: string | undefined;
  /** @internal */
  readonly _id: number;
  /** @internal index in its TaskGroup's child list, -1 if none */
  _gi = -1;
  /** @internal the function, until it starts */
  _fn: (() => T | PromiseLike<T>) | undefined;

  /**
   * Schedules `fn` to run as a task (prefer {@link createTask}).
   * @throws TypeError if `fn` is not a function or `opts.name` not a string.
   */
  constructor(fn: () => T | PromiseLike<T>, opts?: TaskOptions) {
    super();
    if (typeof fn !== 'function') throw new TypeError(`A Task runs a function (() => value or promise), got ${describe(fn)}`);
    const name = opts?.name;
    if (name !== undefined && typeof name !== 'string') throw new TypeError(`Task name must be a string, got ${describe(name)}`);
    this._name = name;
    this._id = ++counter;
    this._fn = fn;
    const reg = liveTasks;
    if (reg !== undefined) reg.add(this as Task<unknown>);
    scheduleStart(this as Task<unknown>);
  }

  /** The task's name (default `Task-<n>`). */
  get name(): string { return this._name ??= `Task-${this._id}`; }

  /** The AbortSignal that aborts when the task is cancelled (hand it to `fetch` and friends). */
  get signal(): AbortSignal { return scopeSignal(this); }

  /** @internal as a context value: the task the running code belongs to */
  get task(): Task<T> { return this; }

  /**
   * True after `cancel()` was called on a task that has not finished yet (Python's
   * `cancelling() > 0`).
   */
  cancelling(): boolean { return this._cancelled && this._s < S.Cancelled; }

  /** @internal a pending task is cancelled at once; a running one when its body ends. */
  override _cancel(reason: unknown, wasRunning: boolean): boolean {
    scopeCancel(this, reason);
    if (!wasRunning) {
      this._fn = undefined;
      const reg = liveTasks;
      if (reg !== undefined) reg.delete(this as Task<unknown>);
      return super._cancel(this._reason, false);
    }
    return true;
  }

  /**
   * `await task`: inside another task, rejects with CancelledError if that task is
   * cancelled first, and cancels this task too (as Python does; use `shield()` to
   * keep it running).
   */
  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return awaitInContext(this, true).then(onfulfilled, onrejected);
  }

  override get [Symbol.toStringTag](): string { return `Task ${this.name} ${this.state}`; }
}
Object.defineProperty(Task.prototype, '_isScope', { value: true });
