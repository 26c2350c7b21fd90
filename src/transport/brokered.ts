/**
 * Brokered objects: the hook between multiprocessing Queue / Pipe and the
 * argument codec, and the little RPC that makes them work across processes.
 *
 * Shared memory does not cross processes, so a multiprocessing Queue lives in
 * ONE process (the one that made it, usually the parent), which holds the real
 * buffer. Passed to a child (a Process argument, a Pool task argument), it
 * travels as a marker naming its broker channel; in the child the marker
 * revives to a proxy of the same class whose operations are requests to the
 * parent over the IPC channel (or the worker port, for threads):
 *
 *   child: queue.get()  ─[BROKER, callId, channel, 'get', args]─>  parent
 *   parent: the session looks the channel up in `targets`, runs the operation
 *           on the real object (it may wait: a get on an empty queue)
 *   parent ─[BROKER_REPLY, callId, ok, value]─> child: the promise settles
 *
 * Everything is FIFO per channel because the parent runs the operations on one
 * object in arrival order, and nothing is lost or duplicated because each item
 * lives in exactly one buffer. When a child goes away, the session aborts its
 * calls still waiting (a get that has not taken an item never will).
 *
 * A proxy passed on to a grandchild registers itself as the target for the
 * same channel in its own process, forwarding each operation up one level.
 *
 * `brokerables.created` lets the codec skip its walk entirely in programs
 * that never made a brokered object (the hot path).
 */
import { threadId } from 'node:worker_threads';
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
  brokerCall(op: string, args: unknown[], signal: AbortSignal): unknown;
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

/** A channel id unique across every process and thread of the program. */
export function newChannelId(): string {
  return `${process.pid}.${threadId}.${nextChannel++}`;
}

/** Makes `target` reachable as `channel` by proxies in other processes (idempotent). */
export function registerBrokerTarget(channel: string, target: BrokerTarget): void {
  targets.set(channel, target);
}

/**
 * The server side of one connection (one worker thread or child process):
 * runs the operations it asks for and answers each. `close()` aborts the calls
 * still waiting, when the other side has gone.
 */
export class BrokerSession {
  private readonly calls = new Map<number, AbortController>();
  private closed = false;
  constructor(private readonly reply: (msg: unknown) => void) {}

  /** Handles one `[BROKER, callId, channel, op, args]` message. */
  handle(msg: unknown[]): void {
    const callId = msg[1] as number,
      channel = msg[2] as string,
      op = msg[3] as string,
      args = msg[4] as unknown[];
    const target = targets.get(channel);
    if (target === undefined) {
      this.answer(
        callId,
        false,
        serializeError(new ReferenceError(`No brokered object with channel ${channel} in process ${process.pid}`)),
      );
      return;
    }
    const ac = new AbortController();
    let r: unknown;
    try {
      r = target.brokerCall(op, args, ac.signal);
    } catch (err) {
      this.answer(callId, false, serializeError(err));
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as any).then === 'function') {
      this.calls.set(callId, ac);
      (r as Promise<unknown>).then(
        (v) => {
          this.calls.delete(callId);
          this.answer(callId, true, v);
        },
        (e) => {
          this.calls.delete(callId);
          this.answer(callId, false, serializeError(e));
        },
      );
    } else {
      this.answer(callId, true, r);
    }
  }

  private answer(callId: number, ok: boolean, value: unknown): void {
    if (this.closed || callId === 0) return; // 0: the asker wants no answer
    try {
      this.reply([BROKER_REPLY, callId, ok, value]);
    } catch (err) {
      if (!ok) return;
      try {
        this.reply([BROKER_REPLY, callId, false, serializeError(err)]);
      } catch {
        /* the other side is gone */
      }
    }
  }

  /** The other side has gone: abort what it was waiting for. */
  close(): void {
    this.closed = true;
    for (const ac of this.calls.values()) ac.abort(new Error('the process that asked has gone'));
    this.calls.clear();
  }
}

// ── using: a process that holds proxies ──────────────────────────────────

let link: ((msg: unknown) => void) | undefined;
let nextCall = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

/** @internal set by the worker run loop: how requests reach the process that holds the objects. */
export function setBrokerLink(post: ((msg: unknown) => void) | undefined): void {
  link = post;
}

/** True when this process or thread can reach a broker (it is a weft worker). */
export function hasBrokerLink(): boolean {
  return link !== undefined;
}

/** Sends one operation on `channel` to the holder; resolves with its answer. */
export function brokerRequest(channel: string, op: string, args: unknown[]): Promise<unknown> {
  const post = link;
  if (post === undefined) {
    return Promise.reject(
      new Error(
        `This brokered object (channel ${channel}) cannot reach the process that holds it: ` + 'it was revived outside a weft worker',
      ),
    );
  }
  const callId = nextCall++;
  return new Promise((resolve, reject) => {
    pending.set(callId, { resolve, reject });
    try {
      post([BROKER, callId, channel, op, args]);
    } catch (err) {
      pending.delete(callId);
      reject(
        err instanceof Error && err.name === 'DataCloneError'
          ? new TypeError(`The value cannot be sent to another process: ${err.message}`, { cause: err })
          : err,
      );
    }
  });
}

/**
 * Sends one operation that needs no answer (callId 0), synchronously: a value that
 * cannot be sent throws here. Operations on one channel still run in order.
 */
export function brokerSend(channel: string, op: string, args: unknown[]): void {
  const post = link;
  if (post === undefined) throw new Error(`This brokered object (channel ${channel}) cannot reach the process that holds it`);
  try {
    post([BROKER, 0, channel, op, args]);
  } catch (err) {
    throw err instanceof Error && err.name === 'DataCloneError'
      ? new TypeError(`The value cannot be sent to another process: ${err.message}`, { cause: err })
      : err;
  }
}

/** @internal a `[BROKER_REPLY, callId, ok, value]` message arrived. */
export function onBrokerReply(msg: unknown[]): void {
  const p = pending.get(msg[1] as number);
  if (p === undefined) return;
  pending.delete(msg[1] as number);
  if (msg[2]) p.resolve(msg[3]);
  else p.reject(deserializeError(msg[3]));
}

/** @internal the link to the holder is gone: every request waiting fails. */
export function brokerLinkLost(err: unknown): void {
  link = undefined;
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}
