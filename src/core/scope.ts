/**
 * Cancel scopes: how cancelling an asyncio Task reaches the wait it is blocked in.
 *
 *     Task ── scope ──┬── Wait (sleep)            each node is linked into the scope of
 *                     ├── Wait (q.get)            the context it was started in
 *                     ├── TaskGroup               (intrusive doubly linked list: O(1)
 *                     └── Scope (timeout body) ── Wait (lock.acquire)     link/unlink)
 *
 * Every Task owns a Scope, which is also the value stored in the AsyncLocalStorage of
 * `context.ts` (a Scope *is* a `TaskContext`: `{ signal, task }`). `timeout()` and
 * `taskGroup()` bodies run in a child scope linked into the parent's list.
 *
 * Delivery is edge-triggered, as in Python: `cancel()` rejects every wait pending in
 * the scope at that moment with `CancelledError`; when nothing is pending the
 * cancellation is kept and the *next* wait started in the scope consumes it. Once
 * delivered, later waits work again, so `finally { await cleanup() }` runs. The
 * scope's AbortSignal (created lazily, for `currentSignal()`) stays aborted.
 *
 * Why not one AbortSignal listener per wait: an EventTarget listener costs an order
 * of magnitude more than relinking two pointers, and 100k sleeping tasks would hold
 * 100k AbortControllers. Foreign contexts (AsyncExecutor, workers) only provide a
 * signal; waits started there listen to it (see `armWait` in waiters.ts).
 */
import { currentContext, type TaskContext } from './context.js';
import type { CancelledError } from './errors.js';
import { toCancelledError } from './future.js';

/** (Internal.) Something a scope tells about its cancellation: a wait, a child scope, a task group. */
export interface CancelNode {
  /** previous / next node in the scope's list; the scope holding it */
  _prevNode: CancelNode | null;
  _nextNode: CancelNode | null;
  _inScope: ScopeState | null;
  /** Called once per delivery; a wait unlinks itself, a child scope stays linked. Returns true if it consumed the cancellation. */
  _onCancel(reason: CancelledError): boolean;
}

/**
 * (Internal.) The state of a cancel scope. Implemented by {@link Scope} (timeout and
 * task-group bodies) and directly by asyncio's Task (one object less per task).
 */
export interface ScopeState extends TaskContext {
  /** brand: this context is a weft cancel scope */
  readonly _isScope: true;
  /** nodes waiting in this scope */
  _head: CancelNode | null;
  _tail: CancelNode | null;
  /** cancel() was called (permanent) */
  _cancelled: boolean;
  /** a cancellation nobody has received yet: the next wait consumes it */
  _pending: boolean;
  /** the CancelledError waits reject with */
  _reason: CancelledError | undefined;
  /** created on first use of `signal` */
  _ac: AbortController | undefined;
}

/** @internal True if `ctx` is a weft cancel scope (a Task or a Scope). */
export function isScope(ctx: unknown): ctx is ScopeState {
  return ctx !== undefined && ctx !== null && (ctx as ScopeState)._isScope === true;
}

/** @internal Links `node` at the tail of `scope`'s list. */
export function link(scope: ScopeState, node: CancelNode): void {
  const tail = scope._tail;
  node._inScope = scope;
  node._prevNode = tail;
  node._nextNode = null;
  if (tail === null) scope._head = node;
  else tail._nextNode = node;
  scope._tail = node;
}

/** @internal Unlinks `node` from its scope (no-op if not linked). */
export function unlink(node: CancelNode): void {
  const s = node._inScope;
  if (s === null) return;
  const p = node._prevNode;
  const n = node._nextNode;
  if (p === null) s._head = n;
  else p._nextNode = n;
  if (n === null) s._tail = p;
  else n._prevNode = p;
  node._prevNode = node._nextNode = null;
  node._inScope = null;
}

/** @internal The scope's AbortSignal, created on first use (aborted already if the scope is cancelled). */
export function scopeSignal(s: ScopeState): AbortSignal {
  let ac = s._ac;
  if (ac === undefined) {
    ac = s._ac = new AbortController();
    if (s._cancelled) ac.abort(s._reason);
  }
  return ac.signal;
}

/**
 * @internal Cancels a scope: every wait pending in it rejects with CancelledError (or
 * the next one started, if none is pending). Can be called again to deliver again.
 * @returns true on the first call.
 */
export function scopeCancel(s: ScopeState, reason?: unknown): boolean {
  const first = !s._cancelled;
  const err = first ? toCancelledError(reason) : s._reason!;
  if (first) {
    s._cancelled = true;
    s._reason = err;
    s._ac?.abort(err);
  }
  // Deliver to the nodes present now; nodes added while delivering (a wait started
  // by a cancellation hook) are not part of this delivery.
  const last = s._tail;
  let n = s._head;
  let consumed = false;
  while (n !== null) {
    const next: CancelNode | null = n === last ? null : n._nextNode;
    if (n._onCancel(err)) consumed = true;
    n = next;
  }
  s._pending = !consumed;
  return first;
}

/** @internal Consumes a pending cancellation: the error a new wait must reject with, or undefined. */
export function scopeTake(s: ScopeState): CancelledError | undefined {
  if (!s._pending) return undefined;
  s._pending = false;
  return s._reason;
}

/**
 * (Internal.) A child cancel scope (a `timeout()` or `taskGroup()` body); also the async
 * context value of the code running in it.
 */
export class Scope {
  readonly _isScope = true as const;
  _prevNode: CancelNode | null = null;
  _nextNode: CancelNode | null = null;
  _inScope: ScopeState | null = null;
  _head: CancelNode | null = null;
  _tail: CancelNode | null = null;
  _cancelled = false;
  _pending = false;
  /** @internal the last cancellation came from the parent scope */
  _fromParent = false;
  _reason: CancelledError | undefined = undefined;
  _ac: AbortController | undefined = undefined;
  /** @internal signal of a foreign (non-scope) parent context we listen to */
  _parentSignal: AbortSignal | undefined = undefined;
  /** The asyncio Task this code belongs to (a timeout body's scope names its enclosing task). */
  readonly task: unknown;

  constructor(task: unknown, parent?: TaskContext) {
    this.task = task;
    if (parent === undefined) return;
    if (isScope(parent)) {
      link(parent, this);
      if (parent._pending) {
        // A cancellation not yet received by anyone is handed down to the new body.
        parent._pending = false;
        this._fromParent = true;
        this.cancel(parent._reason);
      }
    } else {
      const sig = parent.signal;
      if (sig.aborted) this.cancel(sig.reason);
      else {
        listenAbort(sig, this);
        this._parentSignal = sig;
      }
    }
  }

  /** The signal that aborts when this scope is cancelled (created on first use). */
  get signal(): AbortSignal {
    return scopeSignal(this);
  }

  /** Cancels the scope (see {@link scopeCancel}). */
  cancel(reason?: unknown): boolean {
    return scopeCancel(this, reason);
  }

  /** @internal as a child scope: the parent was cancelled. */
  _onCancel(reason: CancelledError): boolean {
    this._fromParent = true;
    scopeCancel(this, reason);
    return true;
  }

  /** @internal foreign parent signal aborted */
  _onAbort(reason: unknown): void {
    this._fromParent = true;
    scopeCancel(this, reason);
  }

  /** Leaves the scope: detaches it from its parent; an undelivered cancellation from the parent goes back to it. */
  close(): void {
    const parent = this._inScope;
    if (parent !== null) {
      unlink(this);
      if (this._pending && this._fromParent && parent._cancelled) parent._pending = true;
    }
    if (this._parentSignal !== undefined) {
      unlistenAbort(this._parentSignal, this);
      this._parentSignal = undefined;
    }
  }
}

/** (Internal.) A wait that the current context's cancellation reaches: a scope's node, or a foreign context signal's listener. */
export interface ContextLinked extends CancelNode, AbortNode {
  /** the signal of a foreign (non-scope) context it listens to */
  ctxSignal: AbortSignal | undefined;
}

/**
 * @internal Links `node` to the cancellation of the code running now: into its scope
 * (consuming a pending cancellation: returned, nothing linked), or to the signal of a
 * foreign context (an aborted one: its CancelledError returned). Undone by
 * {@link unlinkFromContext}.
 */
export function linkToContext(node: ContextLinked): CancelledError | undefined {
  const ctx = currentContext();
  if (ctx === undefined) return undefined;
  if (isScope(ctx)) {
    const err = scopeTake(ctx);
    if (err === undefined) link(ctx, node);
    return err;
  }
  const s = ctx.signal;
  if (s.aborted) return toCancelledError(s.reason);
  listenAbort(s, node);
  node.ctxSignal = s;
  return undefined;
}

/** @internal Undoes {@link linkToContext} (no-op if not linked). */
export function unlinkFromContext(node: ContextLinked): void {
  if (node._inScope !== null) unlink(node);
  if (node.ctxSignal !== undefined) {
    unlistenAbort(node.ctxSignal, node);
    node.ctxSignal = undefined;
  }
}

/** @internal The scope of the code running now, if it runs inside an asyncio Task (or a body scope). */
export function currentScope(): ScopeState | undefined {
  const ctx = currentContext();
  return isScope(ctx) ? ctx : undefined;
}

// ─── one listener per AbortSignal ─────────────────────────────────────────────
// However many waits and scopes watch one AbortSignal, the signal gets one listener
// (defect: 1000 waits on one signal raised MaxListenersExceededWarning).

/** (Internal.) Something told when an AbortSignal it listens to (through {@link listenAbort}) aborts. */
export interface AbortNode {
  _onAbort(reason: unknown): void;
}

const hubs = new WeakMap<AbortSignal, Set<AbortNode>>();

function hubListener(ev: Event): void {
  const s = ev.target as AbortSignal;
  const nodes = hubs.get(s);
  if (nodes === undefined) return;
  hubs.delete(s);
  s.removeEventListener('abort', hubListener);
  const reason = s.reason;
  for (const n of nodes) n._onAbort(reason);
}

/**
 * @internal Tells `node` when `signal` aborts. All nodes of one signal share one
 * listener on it; {@link unlistenAbort} removes the node (and the listener with the last).
 */
export function listenAbort(signal: AbortSignal, node: AbortNode): void {
  let nodes = hubs.get(signal);
  if (nodes === undefined) {
    nodes = new Set();
    hubs.set(signal, nodes);
    signal.addEventListener('abort', hubListener);
  }
  nodes.add(node);
}

/** @internal Stops telling `node` about `signal`. */
export function unlistenAbort(signal: AbortSignal, node: AbortNode): void {
  const nodes = hubs.get(signal);
  if (nodes === undefined || !nodes.delete(node)) return;
  if (nodes.size === 0) {
    hubs.delete(signal);
    signal.removeEventListener('abort', hubListener);
  }
}
