/**
 * TaskGroup: structured concurrency with Python 3.11 semantics.
 *
 *     open ──(body ends: taskGroup() returns / asyncDispose)──> exiting ──(no child left)──> closed
 *       │                                                         │
 *       └─ first child failure, tg.cancel() or parent cancelled ──┴─> aborting: every child and the
 *          body (taskGroup form) are cancelled; createTask is refused
 *
 * At exit the group waits for every child. Then: failures (children's errors and a
 * body error) come out as one ExceptionGroup; else a cancellation of the parent task
 * comes out as CancelledError; a `tg.cancel()` is not an error.
 *
 * The group is itself a node of the parent scope (core/scope.ts): cancelling the
 * parent task aborts the group at once, even while the body is blocked somewhere
 * weft cannot interrupt.
 */
import { currentContext, type TaskContext } from '../core/context.js';
import { CancelledError, ExceptionGroup, InvalidStateError, describe } from '../core/errors.js';
import { S } from '../core/future.js';
import { isScope, link, listenAbort, unlink, unlistenAbort, type CancelNode, type Scope, type ScopeState } from '../core/scope.js';
import { Task, type TaskOptions } from './task.js';

const OPEN = 0;
const EXITING = 1;
const CLOSED = 2;

/**
 * A group of tasks that ends only when all of them have ended (Python's `asyncio.TaskGroup`).
 * Use it with `await using` or through {@link taskGroup}. The first child that fails
 * cancels its siblings (and the body, with `taskGroup()`); the group then throws an
 * `ExceptionGroup` of every failure. Cancelling the group with `cancel()` is not a failure.
 *
 * With `await using`, an error thrown by the body itself does not reach the group
 * (JavaScript does not tell a disposer why its block ended): children go on and are
 * awaited. Prefer {@link taskGroup} when the body may fail.
 *
 * @example
 * {
 *   await using tg = new TaskGroup();
 *   tg.createTask(() => sayAfter(1000, 'hello'));
 *   tg.createTask(() => sayAfter(2000, 'world'));
 * } // waits for both here
 */
export class TaskGroup implements AsyncDisposable {
  /** @internal */ _prevNode: CancelNode | null = null;
  /** @internal */ _nextNode: CancelNode | null = null;
  /** @internal */ _inScope: ScopeState | null = null;
  /** @internal */ _state = OPEN;
  /** @internal */ _aborting = false;
  /** @internal live children; each knows its index (`_groupIndex`): O(1) swap-remove, lighter than a Set */
  _children: Task<unknown>[] = [];
  /** @internal */ _errors: unknown[] = [];
  /** @internal the body's scope (taskGroup form) */ _body: Scope | undefined = undefined;
  /** @internal */ _parentCancel: CancelledError | undefined = undefined;
  /** @internal */ _cancelReason: unknown = undefined;
  /** @internal */ _userCancelled = false;
  /** @internal */ _parentSignal: AbortSignal | undefined = undefined;
  /** @internal resolves the exit wait */ _onEmpty: (() => void) | undefined = undefined;
  /** @internal one bound callback for every child */ readonly _childDone: (t: Task<unknown>) => void;
  /** @internal the context the group was created in */ readonly _parent: TaskContext | undefined;

  constructor() {
    this._childDone = (t) => this._onChildDone(t);
    const ctx = currentContext();
    this._parent = ctx;
    if (isScope(ctx)) {
      link(ctx, this);
    } else if (ctx !== undefined) {
      if (ctx.signal.aborted) this._parentCancel = new CancelledError();
      else {
        listenAbort(ctx.signal, this);
        this._parentSignal = ctx.signal;
      }
    }
  }

  /**
   * Starts `fn` as a child task of the group.
   * @param fn the child's body.
   * @param opts `name`.
   * @returns the child Task.
   * @throws InvalidStateError if the group is closed or shutting down (a child failed, or it was cancelled);
   *   TypeError if `fn` is not a function.
   */
  createTask<T>(fn: () => T | PromiseLike<T>, opts?: TaskOptions): Task<Awaited<T>> {
    if (this._state === CLOSED) throw new InvalidStateError('Cannot create a task: the TaskGroup is finished');
    if (this._aborting)
      throw new InvalidStateError('Cannot create a task: the TaskGroup is shutting down (a task failed or the group was cancelled)');
    if (typeof fn !== 'function') throw new TypeError(`TaskGroup.createTask(fn) expects a function, got ${describe(fn)}`);
    const t = new Task(fn as () => Awaited<T>, opts);
    t._groupIndex = this._children.length;
    this._children.push(t as Task<unknown>);
    t.addDoneCallback(this._childDone as (f: unknown) => void);
    return t;
  }

  /**
   * Cancels every child (and the body, with `taskGroup()`). The group still waits for
   * them to end; this is not an error: the group exits normally unless a child failed.
   */
  cancel(reason?: unknown): void {
    this._userCancelled = true;
    if (this._cancelReason === undefined) this._cancelReason = reason;
    this._abort();
  }

  /** Number of children still running. */
  get size(): number {
    return this._children.length;
  }

  /** @internal */
  _onChildDone(t: Task<unknown>): void {
    const list = this._children;
    const i = t._groupIndex;
    const last = list.pop()!;
    if (last !== t) {
      list[i] = last;
      last._groupIndex = i;
    }
    t._groupIndex = -1;
    if (t._state === S.Finished && t._failed) {
      this._errors.push(t._value);
      this._abort();
    }
    if (list.length === 0 && this._onEmpty !== undefined) {
      const f = this._onEmpty;
      this._onEmpty = undefined;
      f();
    }
  }

  /**
   * @internal cancels children and body once. `cancelBody` false: the cancellation came
   * from the parent scope, which the body's scope is linked to and gets on its own (a
   * second delivery would cancel the body's cleanup awaits as well).
   */
  _abort(cancelBody = true): void {
    if (this._aborting) return;
    this._aborting = true;
    const reason = this._cancelReason ?? this._parentCancel;
    // cancel() may settle a child at once (not started yet), which removes it from the
    // list through _onChildDone: iterate over a copy.
    for (const c of this._children.slice()) c.cancel(reason);
    if (cancelBody) this._body?.cancel(reason);
  }

  /** @internal the parent scope was cancelled */
  _onCancel(reason: CancelledError): boolean {
    this._parentCancel = reason;
    this._abort(false);
    // Not consumed: the wait the parent's body is blocked in (or its next one) gets it too.
    return false;
  }

  /** @internal foreign parent signal aborted */
  _onAbort(reason: unknown): void {
    this._onCancel(new CancelledError('The task running the TaskGroup was cancelled', { cause: reason }));
  }

  /**
   * @internal Waits for the children and reports. `bodyFailed`/`bodyError`: how the body ended.
   */
  async _exit(bodyFailed: boolean, bodyError?: unknown, disposing = false): Promise<void> {
    if (this._state !== OPEN) throw new InvalidStateError('The TaskGroup was already exited');
    this._state = EXITING;
    let foreignCancel: unknown;
    if (this._parentCancel !== undefined) this._abort(false);
    if (bodyFailed) {
      if (!(bodyError instanceof CancelledError)) {
        this._errors.push(bodyError);
        this._abort();
      } else if (!this._aborting) {
        // Cancelled by something else than this group (it awaited a cancelled future):
        // behave as a cancellation of the body.
        foreignCancel = bodyError;
        this._abort();
      }
    }
    try {
      if (this._children.length > 0)
        await new Promise<void>((res) => {
          this._onEmpty = res;
        });
    } finally {
      this._state = CLOSED;
      if (this._inScope !== null) unlink(this);
      if (this._parentSignal !== undefined) {
        unlistenAbort(this._parentSignal, this);
        this._parentSignal = undefined;
      }
    }
    if (this._errors.length > 0) throw new ExceptionGroup(this._errors);
    // With `await using`, the parent's own CancelledError is already on its way (or pending
    // in its scope): throwing another one would only wrap both in a SuppressedError.
    if (this._parentCancel !== undefined && !disposing) {
      // This throw delivers the parent's cancellation: it is no longer pending there.
      if (isScope(this._parent)) this._parent._pending = false;
      throw this._parentCancel;
    }
    if (foreignCancel !== undefined) throw foreignCancel;
  }

  /**
   * Waits for every child (`await using tg = new TaskGroup()`).
   * @throws ExceptionGroup of the children's failures. A cancellation of the enclosing
   *   task is not thrown here: it reaches the body's current or next wait.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this._exit(false, undefined, true);
  }
}
