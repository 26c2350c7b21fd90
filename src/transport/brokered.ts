/**
 * Brokered objects: the hook between the multiprocessing shared objects
 * (Queue, Pipe, Value, Lock, ...) and the argument codec, and the little RPC
 * that makes them work across processes.
 *
 * Shared memory does not cross processes, so a brokered object lives in ONE
 * process (the one that made it, usually the parent): the holder. Passed to a
 * child (a Process argument, a Pool task argument), it travels as a marker
 * naming its broker channel; in the child the marker revives to a proxy of the
 * same class whose operations are requests to the holder over the IPC channel
 * (or the worker port, for threads):
 *
 *   child: lock.acquire()  ─[BROKER, callId, channel, 'acquire', args, origin?]─>  holder
 *   holder: the session looks the channel up in `targets` and runs the operation
 *           on the real object (it may wait: the lock is held)
 *   holder ─[BROKER_REPLY, callId, ok, value, handover?]─> child: the promise settles
 *
 * Everything is FIFO per link because the holder runs the operations in
 * arrival order. What follows is how nothing is lost, duplicated or left
 * waiting when a process dies.
 *
 * ## Clients: who asked, and what they hold
 *
 * Each request comes from a client: the process (or worker thread) at the
 * other end of the session, or, for a request forwarded by a proxy passed on
 * to a grandchild, the process named by `origin`. A client can *hold* things
 * (a lock, semaphore permits, JoinableQueue items not yet marked done): the
 * object registers a holding with `client.hold()`, and when the client goes
 * (its session closes, or the middle process reports it `gone`) every holding
 * is released: a lock is released as abandoned, permits go back, items go
 * back to the front of their queue. Every wait the client still had is
 * aborted: nothing waits forever on a dead process.
 *
 * ## Hand-over: an answer that gives something away
 *
 * Some answers hand something over (an item taken from a queue, a lock, a
 * permit). The reply carries a `handover` flag, and the asker confirms it:
 *
 *   holder ─[REPLY, id, ok, item, 1]─> child ─[BROKER, 0, '', 'ack', [id]]─> holder: `keep()`
 *
 * The ack is sent synchronously when the reply arrives, before the caller's
 * code sees the value. Until it arrives the holder keeps a `giveBack`; if the
 * session closes first (the child died before reading the reply), or the
 * asker answers 'nack' (its wait was cancelled meanwhile: cancel wins), the
 * thing is given back: the item returns to the front of its queue, the lock
 * or permit goes to the next waiter. So an item handed to a child that dies
 * before it received it is never lost, and one it received is never handed
 * out twice.
 *
 *   race: child waits on get ── child is SIGKILLed ── parent puts an item
 *         the item goes to the waiting get (the holder does not know yet) and the reply
 *         is written into a dead pipe; no ack comes; the session closes once the exit is
 *         seen and every message the child wrote was handled; the item goes back.
 *
 * ## Cancelling a remote wait
 *
 * A proxy's wait with a signal, or inside an asyncio task (linked into the
 * task's cancel scope, like every core wait: the cancel is delivered to it once)
 * sends `[BROKER, 0, '', 'cancel', [id]]` when it is cancelled; the holder aborts
 * that call's wait, which answers CancelledError, or, if the thing was granted
 * just before, the answer is a hand-over the asker now refuses with 'nack'. An
 * answer to a wait that is not a hand-over (Event.wait, Barrier.wait...) becomes
 * CancelledError too, except a put's: it was done, so it stands, and the task's
 * cancellation goes back to its scope (delivered at its next wait).
 *
 * ## Forwarding (grandchildren)
 *
 * A proxy passed on to a grandchild registers a forwarding target for the same
 * channel in the middle process: each operation goes up one level with the
 * grandchild as `origin`, hand-overs are confirmed only once the grandchild
 * confirmed them, and when the grandchild's session closes the middle process
 * sends `[BROKER, 0, '', 'gone', [ids]]` so the holder releases what it held.
 *
 * `brokerables.created` lets the codec skip its walk entirely in programs
 * that never made a brokered object (the hot path).
 */
import { threadId } from 'node:worker_threads';
import { runOutsideContext } from '../core/context.js';
import { CancelledError } from '../core/errors.js';
import { toCancelledError } from '../core/future.js';
import {
  linkToContext,
  listenAbort,
  unlinkFromContext,
  unlistenAbort,
  type CancelNode,
  type ContextLinked,
  type ScopeState,
} from '../core/scope.js';
import { serializeError, deserializeError } from './errors.js';
import { BROKER, BROKER_REPLY } from './protocol.js';

export const kBroker: unique symbol = Symbol.for('weft.broker') as any;

/** What `[kBroker]()` returns: a type tag and clonable data (holding the channel id). */
export interface BrokerDescription {
  type: string;
  data: unknown;
}

/** An object that can travel to another process as a brokered proxy. */
export interface Brokerable {
  [kBroker](): BrokerDescription;
}

/** The real object behind a channel: runs one operation a proxy asked for. */
export interface BrokerTarget {
  brokerCall(op: string, args: unknown[], call: BrokerCall): unknown;
}

/** Counts brokered objects ever created or revived here (each constructor increments it). */
export const brokerables = { created: 0 };

/** The marker a brokered object travels as. */
export const BROKER_MARKER = '@@weft/brokered';
export interface BrokerMarker {
  [BROKER_MARKER]: string;
  data: unknown;
}

export function isBrokerable(value: unknown): value is Brokerable {
  return value !== null && typeof value === 'object' && typeof (value as any)[kBroker] === 'function';
}

// ── serving: the process that holds the real objects ─────────────────────

const targets = new Map<string, BrokerTarget>();
let nextChannel = 1;
let nextClient = 1;

/** A channel id unique across every process and thread of the program. */
export function newChannelId(): string {
  return `${process.pid}.${threadId}.${nextChannel++}`;
}

/** Makes `target` reachable as `channel` by proxies in other processes (idempotent). */
export function registerBrokerTarget(channel: string, target: BrokerTarget): void {
  targets.set(channel, target);
}

/** Something a client holds, released when the client goes away. */
export interface Holding {
  release(): void;
}

/**
 * Who asked: a process (or worker thread) using brokered objects. The holder's
 * own code is {@link LOCAL_CLIENT}, which never goes away.
 */
export class BrokerClient {
  #gone: AbortController | undefined;
  #isGone = false;
  #holds: Set<Holding> | undefined;
  /** @internal true once a request of this client was forwarded to another holder (see `gone`). */
  forwarded = false;

  constructor(readonly id: string) {}

  /** True once the client has gone (its process died or ended). */
  get gone(): boolean {
    return this.#isGone;
  }

  /** Aborts when the client goes away. */
  get signal(): AbortSignal {
    const ac = (this.#gone ??= new AbortController());
    if (this.#isGone && !ac.signal.aborted) ac.abort(new Error(`the process that asked (${this.id}) has gone`));
    return ac.signal;
  }

  /**
   * Registers `h`: its `release()` runs if the client goes away before {@link unhold}.
   * @returns false (and registers nothing) if the client has already gone.
   */
  hold(h: Holding): boolean {
    if (this.#isGone) return false;
    (this.#holds ??= new Set()).add(h);
    return true;
  }

  /** The client gave `h` back itself. */
  unhold(h: Holding): void {
    this.#holds?.delete(h);
  }

  /** @internal the client has gone: abort its waits, release what it held. */
  _end(): void {
    if (this.#isGone) return;
    this.#isGone = true;
    this.#gone?.abort(new Error(`the process that asked (${this.id}) has gone`));
    const holds = this.#holds;
    this.#holds = undefined;
    if (holds) for (const h of holds) h.release();
  }
}

/** The holder process's own code, as a client. */
export const LOCAL_CLIENT = new BrokerClient('local');

/** One operation a client asked for, as the target sees it. */
export class BrokerCall {
  #ac: AbortController | undefined;
  /** @internal set by handOver() */
  giveBack: (() => void) | undefined;
  /** @internal set by handOver() */
  keep: (() => void) | undefined;

  /** @internal */
  constructor(
    readonly client: BrokerClient,
    /** 0 when the asker wants no answer. */
    readonly id: number,
  ) {}

  /** Aborts when the asker cancels this wait or goes away. */
  get signal(): AbortSignal {
    if (this.#ac === undefined) {
      this.#ac = new AbortController();
      if (this.client.gone) this.#ac.abort(this.client.signal.reason);
      else listenAbort(this.client.signal, this);
    }
    return this.#ac.signal;
  }

  /** @internal AbortNode: the client went away. */
  _onAbort(reason: unknown): void {
    this.#ac?.abort(reason);
  }

  /** @internal the asker cancelled it, or the answer is out: stop listening. */
  _cancel(reason: unknown): void {
    this.#ac?.abort(reason);
  }

  /** @internal */
  _settled(): void {
    if (this.#ac !== undefined) unlistenAbort(this.client.signal, this);
  }

  /**
   * The answer hands something over: `giveBack` runs if the asker never receives it
   * (it died) or refuses it (its wait was cancelled meanwhile); `keep` runs once it
   * confirmed receipt. Call it just before returning the answer.
   */
  handOver(giveBack: () => void, keep?: () => void): void {
    this.giveBack = giveBack;
    this.keep = keep;
  }
}

const goneError = () => new Error('the process that asked has gone');

/**
 * The server side of one connection (one worker thread or child process):
 * runs the operations it asks for and answers each. `close()` (once the other
 * side has gone and every message it sent was handled) aborts the calls still
 * waiting, gives back what was handed over and not confirmed, and releases
 * what its clients held.
 */
export class BrokerSession {
  private readonly calls = new Map<number, BrokerCall>();
  private readonly handovers = new Map<number, BrokerCall>();
  private readonly peer = new BrokerClient(`${process.pid}.${threadId}.c${nextClient++}`);
  private forwarded: Map<string, BrokerClient> | undefined;
  private closed = false;
  constructor(private readonly reply: (msg: unknown) => void) {}

  /** Handles one `[BROKER, callId, channel, op, args, origin?]` message. */
  handle(msg: unknown[]): void {
    const callId = msg[1] as number,
      channel = msg[2] as string,
      op = msg[3] as string,
      args = msg[4] as unknown[];
    if (channel === '') return this.control(op, args);
    const origin = msg[5] as string | undefined;
    const client = origin === undefined ? this.peer : this.clientFor(origin);
    const target = targets.get(channel);
    const call = new BrokerCall(client, callId);
    if (target === undefined) {
      this.answer(call, false, serializeError(new ReferenceError(`No brokered object with channel ${channel} in process ${process.pid}`)));
      return;
    }
    let r: unknown;
    try {
      runOutsideContext(invoke, target, [op, args, call]);
      r = invoked;
    } catch (err) {
      this.answer(call, false, serializeError(err));
      return;
    } finally {
      invoked = undefined;
    }
    if (r !== null && typeof r === 'object' && typeof (r as any).then === 'function') {
      if (callId !== 0) this.calls.set(callId, call);
      (r as Promise<unknown>).then(
        (v) => {
          this.calls.delete(callId);
          this.answer(call, true, v);
        },
        (e) => {
          this.calls.delete(callId);
          this.answer(call, false, serializeError(e));
        },
      );
    } else this.answer(call, true, r);
  }

  private clientFor(origin: string): BrokerClient {
    const m = (this.forwarded ??= new Map());
    let c = m.get(origin);
    if (c === undefined) {
      c = new BrokerClient(origin);
      m.set(origin, c);
    }
    return c;
  }

  /** ack / nack of a hand-over, cancel of a wait, gone of forwarded clients. */
  private control(op: string, args: unknown[]): void {
    switch (op) {
      case 'ack':
      case 'nack': {
        const id = args[0] as number;
        const call = this.handovers.get(id);
        if (call === undefined) return;
        this.handovers.delete(id);
        if (op === 'ack') call.keep?.();
        else call.giveBack!();
        return;
      }
      case 'cancel': {
        const call = this.calls.get(args[0] as number);
        call?._cancel(new CancelledError('The wait was cancelled by the process that asked'));
        return;
      }
      case 'gone': {
        for (const id of args as string[]) {
          const c = this.forwarded?.get(id);
          if (c === undefined || c.gone) continue;
          c._end();
          if (c.forwarded) tellGone([id]);
        }
        return;
      }
    }
  }

  private answer(call: BrokerCall, ok: boolean, value: unknown): void {
    call._settled();
    const callId = call.id;
    if (callId === 0) {
      // The asker wants no answer (a release, a set): a failure is a bug in its code; say so here.
      if (!ok && !this.closed) process.emitWarning(`weft: a brokered operation from another process failed: ${describeErr(value)}`);
      return;
    }
    const handover = ok && call.giveBack !== undefined;
    if (this.closed || call.client.gone) {
      if (handover) call.giveBack!();
      return;
    }
    if (handover) this.handovers.set(callId, call);
    try {
      this.reply(handover ? [BROKER_REPLY, callId, ok, value, 1] : [BROKER_REPLY, callId, ok, value]);
    } catch (err) {
      if (handover) {
        this.handovers.delete(callId);
        call.giveBack!();
      }
      if (!ok) return;
      try {
        this.reply([BROKER_REPLY, callId, false, serializeError(err)]);
      } catch {
        /* the other side is gone */
      }
    }
  }

  /**
   * The other side has gone and every message it sent was handled: abort what it was
   * waiting for, give back what was handed to it and not confirmed, release what it held.
   * Call it exactly once.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The clients first: their waits see `client.gone` when they abort (a Barrier breaks on it).
    const up: string[] = [];
    for (const c of [this.peer, ...(this.forwarded?.values() ?? [])]) {
      if (c.gone) continue;
      c._end();
      if (c.forwarded) up.push(c.id);
    }
    const err = goneError();
    for (const call of this.calls.values()) call._cancel(err);
    this.calls.clear();
    // Latest first, so items given back to the front of a queue keep their order.
    const hs = [...this.handovers.values()];
    this.handovers.clear();
    for (let i = hs.length - 1; i >= 0; i--) hs[i]!.giveBack!();
    if (up.length) tellGone(up);
  }
}

// The target runs outside any asyncio task's context (a message handler may have inherited
// one from where the child was started): only the call's own signal cancels its wait.
let invoked: unknown;
function invoke(target: BrokerTarget, a: [string, unknown[], BrokerCall]): void {
  invoked = target.brokerCall(a[0], a[1], a[2]);
}

function describeErr(v: unknown): string {
  const e = deserializeError(v);
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Tells the holders above that these forwarded clients have gone. */
function tellGone(ids: string[]): void {
  if (link === undefined) return;
  try {
    link([BROKER, 0, '', 'gone', ids]);
  } catch {
    /* the holder is gone too */
  }
}

// ── using: a process that holds proxies ──────────────────────────────────

let link: ((msg: unknown) => void) | undefined;
let nextCall = 1;

/** Options of {@link brokerRequest}. */
export interface RequestOptions {
  /** Aborting it cancels the wait at the holder. */
  signal?: AbortSignal | undefined;
  /**
   * A wait of this process's code: the current asyncio task's cancellation applies too
   * (linked into its cancel scope like every core wait: one cancel() is delivered once).
   * Once cancelled, `'wins'`: it rejects with CancelledError whatever the holder answers (a
   * hand-over is refused); `'stands'`: a success the holder answered anyway stands (a put
   * cannot be undone) and the task's cancellation is given back, for its next wait.
   */
  wait?: 'wins' | 'stands';
  /** @internal forwarding: the client the request is made for, and its call (hand-overs are relayed). */
  relay?: BrokerCall;
}

/**
 * A request waiting for its answer. A wait (`opts.wait`) is a node of the current
 * task's cancel scope: its outcome is decided, and it leaves the scope, synchronously
 * when the answer arrives or when it is cancelled (it then asks the holder to stop and
 * waits for its answer). A cancel() after that is the task's next wait's.
 */
class Pending implements ContextLinked {
  _prevNode: CancelNode | null = null;
  _nextNode: CancelNode | null = null;
  _inScope: ScopeState | null = null;
  ctxSignal: AbortSignal | undefined = undefined;
  /** the cancellation it received (it asked the holder to stop) */
  cancelled: CancelledError | undefined = undefined;
  /** the task scope whose cancellation it consumed (given back if the answer stands) */
  consumedFrom: ScopeState | null = null;
  constructor(
    readonly id: number,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
    readonly signal: AbortSignal | undefined,
    readonly relay: BrokerCall | undefined,
    readonly wait: 'wins' | 'stands' | undefined,
  ) {}
  /** Unlinks from the scope and the signals. */
  detach(): void {
    unlinkFromContext(this);
    if (this.signal !== undefined) unlistenAbort(this.signal, this);
  }
  /** CancelNode: the task's scope was cancelled. */
  _onCancel(reason: CancelledError): boolean {
    this.consumedFrom = this._inScope;
    this.cancel(reason);
    return true;
  }
  /** AbortNode: the signal (or a foreign context's) aborted. */
  _onAbort(reason: unknown): void {
    this.cancel(toCancelledError(reason));
  }
  private cancel(err: CancelledError): void {
    if (this.cancelled !== undefined) return;
    this.cancelled = err;
    this.detach();
    // Ask the holder to stop waiting; its answer (CancelledError, or a hand-over we refuse) settles us.
    control('cancel', this.id);
  }
}
const pending = new Map<number, Pending>();

/** @internal set by the worker run loop: how requests reach the process that holds the objects. */
export function setBrokerLink(post: ((msg: unknown) => void) | undefined): void {
  link = post;
}

function noLink(channel: string): Error {
  return new Error(
    `This brokered object (channel ${channel}) cannot reach the process that holds it: it was revived outside a weft worker, or the holder has gone`,
  );
}

function sendError(err: unknown): unknown {
  return err instanceof Error && err.name === 'DataCloneError'
    ? new TypeError(`The value cannot be sent to another process: ${err.message}`, { cause: err })
    : err;
}

function control(op: string, id: number): void {
  try {
    link?.([BROKER, 0, '', op, [id]]);
  } catch {
    /* the holder is gone: brokerLinkLost settles everything */
  }
}

/**
 * Sends one operation on `channel` to the holder; resolves with its answer.
 * A hand-over answer is confirmed before the promise resolves, or refused (and
 * the promise rejects with CancelledError) when `signal` aborted meanwhile.
 */
export function brokerRequest(channel: string, op: string, args: unknown[], opts?: RequestOptions): Promise<unknown> {
  const post = link;
  if (post === undefined) return Promise.reject(noLink(channel));
  const signal = opts?.signal;
  const relay = opts?.relay;
  const wait = opts?.wait;
  const callId = nextCall++;
  let p!: Pending;
  const promise = new Promise((resolve, reject) => {
    p = new Pending(callId, resolve, reject, signal, relay, wait);
  });
  // Like a core wait (armWait): the task's pending cancellation first, then the signal.
  const err = wait === undefined ? undefined : linkToContext(p);
  if (err !== undefined || signal?.aborted) {
    p.detach();
    return Promise.reject(err ?? toCancelledError(signal!.reason));
  }
  pending.set(callId, p);
  try {
    post(relay === undefined ? [BROKER, callId, channel, op, args] : [BROKER, callId, channel, op, args, relay.client.id]);
  } catch (e) {
    pending.delete(callId);
    p.detach();
    return Promise.reject(sendError(e));
  }
  if (signal !== undefined) listenAbort(signal, p);
  return promise;
}

/**
 * Sends one operation that needs no answer (callId 0), synchronously: a value that
 * cannot be sent throws here. Operations on one channel still run in order.
 */
export function brokerSend(channel: string, op: string, args: unknown[], relay?: BrokerCall): void {
  const post = link;
  if (post === undefined) throw noLink(channel);
  try {
    post(relay === undefined ? [BROKER, 0, channel, op, args] : [BROKER, 0, channel, op, args, relay.client.id]);
  } catch (err) {
    throw sendError(err);
  }
}

/**
 * A target that forwards every operation on `channel` to the holder one level up:
 * what a proxy registers when it is passed on to another process.
 */
export function forwardingTarget(channel: string): BrokerTarget {
  return {
    brokerCall(op, args, call) {
      call.client.forwarded = true;
      if (call.id === 0) {
        brokerSend(channel, op, args, call);
        return undefined;
      }
      return brokerRequest(channel, op, args, { signal: call.signal, relay: call });
    },
  };
}

/** @internal a `[BROKER_REPLY, callId, ok, value, handover?]` message arrived. */
export function onBrokerReply(msg: unknown[]): void {
  const id = msg[1] as number;
  const p = pending.get(id);
  const handover = msg[4] === 1;
  if (p === undefined) {
    if (handover) control('nack', id);
    return;
  }
  pending.delete(id);
  p.detach();
  const ok = !!msg[2];
  if (p.relay !== undefined) {
    if (!ok) return p.reject(deserializeError(msg[3]));
    // Confirmed upwards only once the process we asked for confirmed it.
    if (handover) {
      p.relay.handOver(
        () => control('nack', id),
        () => control('ack', id),
      );
    }
    return p.resolve(msg[3]);
  }
  if (p.cancelled !== undefined && (!ok || handover || p.wait !== 'stands')) {
    // Cancel wins: a hand-over is refused (the holder gives it back); nothing else is kept.
    if (ok && handover) control('nack', id);
    return p.reject(p.cancelled);
  }
  if (!ok) return p.reject(deserializeError(msg[3]));
  if (handover) control('ack', id);
  // A put the holder did before the cancel reached it stands: the task's next wait gets the cancel.
  const scope = p.cancelled === undefined ? null : p.consumedFrom;
  if (scope?._cancelled) scope._pending = true;
  p.resolve(msg[3]);
}

/** @internal the link to the holder is gone: every request waiting fails. */
export function brokerLinkLost(err: unknown): void {
  link = undefined;
  for (const p of pending.values()) {
    p.detach();
    p.reject(err);
  }
  pending.clear();
}
