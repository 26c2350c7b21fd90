/**
 * multiprocessing.Pipe and Connection: two connected ends that child
 * processes can use.
 *
 * The process that calls Pipe() holds both directions (one unbounded queue
 * each way, see queue.ts); an end passed to a child revives there as a proxy.
 *
 *   Pipe(true):   a ──[ab]──> b      a.send(x) puts on ab, b.recv() takes from ab
 *                 a <──[ba]── b
 *   Pipe(false):  a <──[ba]── b      a receives only, b sends only (Python's order)
 *
 * End of stream: the holder counts the open handles of each end (its own, plus
 * one per time the end was sent to a child, minus each close()). When an end
 * has none left, the other end's recv() drains what was sent, then throws an
 * error named 'EOFError', as Python's does. A child that dies without closing
 * its handle keeps the end open (as a leaked descriptor would).
 */
import { ValueError, describe } from '../core/errors.js';
import { bool, timeout as timeoutOption } from '../core/options.js';
import {
  kBroker,
  brokerables,
  brokerSend,
  forwardingTarget,
  newChannelId,
  registerBrokerTarget,
  type BrokerDescription,
  type BrokerTarget,
} from '../transport/brokered.js';
import { Queue, type QueueData } from './queue.js';

/**
 * Raised by {@link Connection.recv} when nothing is left to receive and the other end
 * was closed (Python's `EOFError`). Across processes it arrives as an Error whose
 * `name` is 'EOFError': test `err.name === 'EOFError'`.
 */
export class EOFError extends Error {
  constructor(message = 'The other end of the pipe was closed and nothing is left to receive') {
    super(message);
    this.name = 'EOFError';
  }
}

/** @internal what a Connection marker carries. */
export interface ConnectionData {
  end: string;
  read: QueueData | undefined;
  write: QueueData | undefined;
}

/** @internal the holder's bookkeeping for one end. */
class End implements BrokerTarget {
  holds = 1;
  constructor(
    readonly id: string,
    private readonly writes: Queue<unknown> | undefined,
  ) {}
  release(): void {
    if (this.holds <= 0) return;
    if (--this.holds === 0) this.writes?._setEof(() => new EOFError());
  }
  brokerCall(op: string): unknown {
    if (op === 'release') {
      this.release();
      return undefined;
    }
    if (op === 'acquire') {
      this.holds++;
      return undefined;
    }
    throw new TypeError(`Connection: unknown brokered operation ${describe(op)}`);
  }
}

/**
 * One end of a {@link Pipe}: Python's `multiprocessing.connection.Connection`.
 *
 * `send` is synchronous (the pipe is unbounded); `recv` and `poll` wait.
 * Usable in the child processes it is passed to (Process args, Pool task args).
 *
 * @example
 * const [parentEnd, childEnd] = Pipe();
 * const p = new Process(tasks.greet, { args: [childEnd] });  // greet(c) { c.send('hello'); c.close(); }
 * p.start();
 * console.log(await parentEnd.recv());   // 'hello'
 */
export class Connection {
  #read: Queue<unknown> | undefined;
  #write: Queue<unknown> | undefined;
  #end: End | undefined; // in the holder
  #endId: string;
  #closed = false;

  /** @internal use {@link Pipe}. */
  constructor(read: Queue<unknown> | undefined, write: Queue<unknown> | undefined, end: End | undefined, endId: string) {
    if (!(read instanceof Queue) && read !== undefined) throw new TypeError('Connection objects are made by Pipe()');
    this.#read = read;
    this.#write = write;
    this.#end = end;
    this.#endId = end?.id ?? endId;
    brokerables.created++;
  }

  /** @internal a proxy for an end another process holds. */
  static _revive(data: ConnectionData): Connection {
    return new Connection(data.read && Queue._revive(data.read), data.write && Queue._revive(data.write), undefined, data.end);
  }

  /** True if this end can receive. */
  get readable(): boolean {
    return this.#read !== undefined;
  }
  /** True if this end can send. */
  get writable(): boolean {
    return this.#write !== undefined;
  }
  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `obj` to the other end (structured clone: Maps, Dates, typed arrays, BigInt...).
   * @throws ValueError if this end is closed or receive-only; TypeError if `obj` cannot be sent.
   */
  send(obj: unknown): void {
    this.#check('send');
    if (this.#write === undefined) throw new ValueError('Connection is read-only: this end of a one-way Pipe cannot send');
    if (this.#write._isProxy) this.#write._tellPut(obj);
    else {
      if (typeof obj === 'function' || typeof obj === 'symbol')
        throw new TypeError(`Connection.send: ${describe(obj)} cannot be sent between processes`);
      this.#write.putNowait(obj);
    }
  }

  /**
   * Waits for the next object sent from the other end.
   * Cancel-safe in the holder process (a rejected recv took nothing).
   * @throws an error named 'EOFError' when the other end is closed and nothing is left;
   *   ValueError if this end is closed or send-only.
   */
  recv(): Promise<unknown> {
    try {
      this.#check('recv');
      if (this.#read === undefined) throw new ValueError('Connection is write-only: this end of a one-way Pipe cannot receive');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#read.get();
  }

  /**
   * True if there is something to receive (or the other end is closed), waiting up to
   * `timeout` ms. As in Python the default is 0 (just look; so is a negative timeout);
   * `Infinity` waits until there is. Any finite timeout is honoured exactly.
   * @throws (rejects) TypeError if timeout is not a number; ValueError if this end is closed or send-only.
   */
  poll(timeout = 0): Promise<boolean> {
    let t: number;
    try {
      this.#check('poll');
      t = timeoutOption('Connection.poll(timeout)', 'timeout', timeout);
      if (this.#read === undefined) throw new ValueError('Connection is write-only: this end of a one-way Pipe cannot receive');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#read._poll(t);
  }

  /** Closes this handle. When no handle of this end is left open, the other end sees EOF. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#end) this.#end.release();
    else {
      try {
        brokerSend(this.#endId, 'release', []);
      } catch {
        /* the holder is gone */
      }
    }
  }

  #check(what: string): void {
    if (this.#closed) throw new ValueError(`Connection is closed: cannot ${what}`);
  }

  /** @internal */
  [kBroker](): BrokerDescription {
    if (this.#closed) throw new ValueError('Connection is closed: it cannot be sent to another process');
    if (this.#end) {
      this.#end.holds++;
      registerBrokerTarget(this.#end.id, this.#end);
    } else {
      // A proxy passed on (to a grandchild): count the new handle at the holder, forward its ops.
      const id = this.#endId;
      brokerSend(id, 'acquire', []);
      registerBrokerTarget(id, forwardingTarget(id));
    }
    const read = this.#read && (this.#read[kBroker]().data as QueueData);
    const write = this.#write && (this.#write[kBroker]().data as QueueData);
    return { type: 'Connection', data: { end: this.#endId, read, write } satisfies ConnectionData };
  }
}

/**
 * Makes a pair of connected {@link Connection}s: Python's `multiprocessing.Pipe()`.
 *
 * @param duplex true (default): both ends send and receive. false: the first end
 *   only receives, the second only sends (Python's order).
 * @throws TypeError if `duplex` is not a boolean.
 *
 * @example
 * const [a, b] = Pipe();
 * a.send({ hello: 'world' });
 * console.log(await b.recv());
 */
export function Pipe(duplex?: boolean): [Connection, Connection] {
  duplex = bool('Pipe(duplex)', 'duplex', duplex, true);
  const ab = new Queue<unknown>();
  if (!duplex) {
    // a receives from b.
    const endA = new End(newChannelId(), undefined);
    const endB = new End(newChannelId(), ab);
    return [new Connection(ab, undefined, endA, endA.id), new Connection(undefined, ab, endB, endB.id)];
  }
  const ba = new Queue<unknown>();
  const endA = new End(newChannelId(), ab);
  const endB = new End(newChannelId(), ba);
  return [new Connection(ba, ab, endA, endA.id), new Connection(ab, ba, endB, endB.id)];
}
