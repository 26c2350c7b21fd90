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
import { CancelledError, InvalidStateError, describe } from '../core/errors.js';
import { Future, S } from '../core/future.js';
import { currentContext, runInContext, runOutsideContext } from '../core/context.js';
import { setCancelled, setException, setResult, setRunning } from '../core/internal.js';
import { options, str } from '../core/options.js';
import { scopeCancel, scopeSignal, type CancelNode } from '../core/scope.js';
import { later, type Later } from '../core/timers.js';

/** Options of {@link createTask} and `TaskGroup.createTask`. */
export interface TaskOptions {
  /** A name for debugging and `currentTask().name`; default `Task-<n>`. */
  name?: string;
}

let counter = 0;
const TASK_KEYS = ['name'] as const;

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
  if (t._fn === undefined) return;
  if (!setRunning(t)) {
    t._fn = undefined;
    return;
  }
  starting = t;
  runInContext(t, runBody);
}

const promiseThen = Promise.prototype.then;

/** The task runBody is starting (a module slot: no closure or argument array per task). */
let starting: Task<unknown> | undefined;

/**
 * Runs the body inside the task's context and hooks up its promise. The `then` is
 * registered inside the context on purpose: the handlers are shared functions that
 * find their task as the current context (a promise reaction runs in the context
 * its `then` was called in), so no closure is allocated per task. One derived
 * promise per task (an async wrapper would cost three, each paying the
 * AsyncLocalStorage promise hooks on Node 20).
 */
function runBody(): void {
  const t = starting!;
  starting = undefined;
  const fn = t._fn!;
  t._fn = undefined;
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    runOutsideContext(taskFailed, t, e);
    return;
  }
  if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof (r as PromiseLike<unknown>).then === 'function') {
    // A foreign thenable (a Task, a Future) is adopted inside the task's context, so
    // awaiting it is cancelled with the task. The native `then`, not a Promise
    // subclass's override: its reaction runs once, in the context it was registered in.
    const p = r instanceof Promise ? r : Promise.resolve(r as PromiseLike<unknown>);
    promiseThen.call(p, onBodyValue, onBodyError);
  } else {
    runOutsideContext(taskDone, t, r);
  }
}

// Done callbacks run outside the task's context (as in Python, where they are
// scheduled on the loop), so a wait started in one is not tied to the finished task.
function onBodyValue(v: unknown): void {
  runOutsideContext(taskDone, currentContext() as Task<unknown>, v);
}

function onBodyError(e: unknown): void {
  runOutsideContext(taskFailed, currentContext() as Task<unknown>, e);
}

function taskDone(t: Task<unknown>, v: unknown): void {
  setResult(t, v);
  forget(t);
}

function taskFailed(t: Task<unknown>, e: unknown): void {
  if (e instanceof CancelledError) setCancelled(t, t._cancelled ? t._reason : e);
  else setException(t, e);
  forget(t);
}

/** A task is done: it leaves the registry. */
function forget(t: Task<unknown>): void {
  if (!young.delete(t) && !aged.delete(t)) weak.delete(t._id);
}

// ─── registry of every task not yet done (allTasks(), run()'s leftovers) ─────
//
// Weak, as Python's `_all_tasks` WeakSet: a task stuck forever on a promise nobody
// else holds is garbage (nothing can ever resume or cancel it), and a registry that
// held it strongly would keep it, its closure and its chain of awaits for the life
// of the process.
//
// But a WeakRef costs about as much as the whole rest of creating a task (V8 keeps
// each new WeakRef's target in a set until the microtask queue drains), and most
// tasks finish in well under a second. So the registry has generations:
//   young: tasks created since the last tick of the ager (a strong Set);
//   aged:  tasks created in the interval before that (a strong Set);
//   weak:  older tasks, id -> WeakRef.
// Every AGE_MS (an unref'd timer, armed only while young or aged holds a task) the
// tasks still in aged move to weak and young becomes aged. So a task is held
// strongly for at most 2 * AGE_MS, and only a task that lived at least AGE_MS pays
// for a WeakRef. Ids only grow and each generation is in creation order, so weak,
// aged, young read in turn are in creation order. A done task leaves at once
// (forget); one collected unfinished leaves when a sweep finds its WeakRef empty:
// allTasks() sweeps as it reads, and the ager sweeps when weak has doubled since
// the last sweep (amortised O(1) per task, bounded for a program that never calls
// allTasks()).

const AGE_MS = 1000;
const MIN_SWEEP = 1024;
let young = new Set<Task<unknown>>();
let aged = new Set<Task<unknown>>();
const weak = new Map<number, WeakRef<Task<unknown>>>();
let ager: Later | undefined;
let sweepAt = MIN_SWEEP;

function remember(t: Task<unknown>): void {
  young.add(t);
  if (ager === undefined) runOutsideContext(armAger, undefined, undefined);
}

/**
 * Armed outside any task's context: a timer keeps the async context it was armed in,
 * and its callback re-arms in that context, so the task that first armed it (maybe
 * one stuck forever) would be held for as long as tasks keep coming.
 */
function armAger(): void {
  const timer = later(age, AGE_MS);
  timer.unref();
  ager = timer;
}

function age(): void {
  ager = undefined;
  if (aged.size > 0) {
    for (const t of aged) weak.set(t._id, new WeakRef(t));
    aged.clear();
    if (weak.size >= sweepAt) {
      sweepWeak();
      sweepAt = Math.max(MIN_SWEEP, weak.size * 2);
    }
  }
  const empty = aged;
  aged = young;
  young = empty;
  if (aged.size > 0) armAger();
}

/** Drops the WeakRefs whose task was collected; calls `each` with the live ones. */
function sweepWeak(each?: (t: Task<unknown>) => void): void {
  for (const [id, ref] of weak) {
    const t = ref.deref();
    if (t === undefined) weak.delete(id);
    else each?.(t);
  }
}

/**
 * @internal every Task not yet done (and not collected), in creation order; with
 * `after`, only those created after the task of that id (run()'s leftovers).
 */
export function tasksNotDone(after = 0): Task<unknown>[] {
  const out: Task<unknown>[] = [];
  const add = (t: Task<unknown>): void => {
    if (t._id > after) out.push(t);
  };
  sweepWeak(add);
  aged.forEach(add);
  young.forEach(add);
  return out;
}

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
export class Task<T = unknown> extends Future<T> {
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
  _groupIndex = -1;
  /** @internal the function, until it starts */
  _fn: (() => T | PromiseLike<T>) | undefined;

  /**
   * Schedules `fn` to run as a task (prefer {@link createTask}).
   * @throws TypeError if `fn` is not a function or `opts.name` not a string.
   */
  constructor(fn: () => T | PromiseLike<T>, opts?: TaskOptions) {
    super();
    if (typeof fn !== 'function') throw new TypeError(`A Task runs a function (() => value or promise), got ${describe(fn)}`);
    // The common case (no options) checks nothing: this is the hot path of every task.
    const name = opts === undefined ? undefined : str('Task', 'name', options('createTask(fn, opts)', opts, TASK_KEYS).name);
    this._name = name;
    this._id = ++counter;
    this._fn = fn;
    remember(this as Task<unknown>);
    scheduleStart(this as Task<unknown>);
  }

  /** The task's name (default `Task-<n>`). */
  get name(): string {
    return (this._name ??= `Task-${this._id}`);
  }

  /** The AbortSignal that aborts when the task is cancelled (hand it to `fetch` and friends). */
  get signal(): AbortSignal {
    return scopeSignal(this);
  }

  /** @internal as a context value: the task the running code belongs to */
  get task(): Task<T> {
    return this;
  }

  /**
   * True after `cancel()` was called on a task that has not finished yet (Python's
   * `cancelling() > 0`).
   */
  cancelling(): boolean {
    return this._cancelled && this._state < S.Cancelled;
  }

  /** @internal a pending task is cancelled at once; a running one when its body ends. */
  override _cancel(reason: unknown, wasRunning: boolean): boolean {
    scopeCancel(this, reason);
    if (!wasRunning) {
      this._fn = undefined;
      forget(this as Task<unknown>);
      return super._cancel(this._reason, false);
    }
    return true;
  }

  /** A Task's result comes from its function. @throws InvalidStateError always (as Python's Task). */
  override setResult(_value: T): void {
    throw new InvalidStateError('A Task does not support setResult(): its function sets its result');
  }
  /** @throws InvalidStateError always (as Python's Task). */
  override setException(_error: unknown): void {
    throw new InvalidStateError('A Task does not support setException(): its function sets its outcome');
  }

  override get [Symbol.toStringTag](): string {
    return `Task ${this.name} ${this.state}`;
  }
}
Object.defineProperty(Task.prototype, '_isScope', { value: true });
