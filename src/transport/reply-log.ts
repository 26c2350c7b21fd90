/**
 * The reply log: where a worker thread writes each task's reply the moment the
 * task finishes, in shared memory, so no finished result is ever lost.
 *
 * Why: a worker runs the tasks of a batch back to back and answers for many of
 * them in one message (per-message cost dominates tiny tasks). But a worker that
 * is terminated (a cancelled task stuck in a loop, out of memory) takes the
 * replies it had not sent yet with it, and those tasks had finished. A reply
 * written here survives the worker: the parent reads the log when a DONE message
 * says how far it goes, and reads the rest when the worker is gone. So only the
 * task that was running when a worker died can fail with it.
 *
 *   worker: task finishes -> append record, then publish WRITE (Atomics.store)
 *           end of a turn -> [DONE, WRITE, busyMs, inline]
 *   parent: DONE          -> read records up to WRITE, then the inline replies
 *           worker gone   -> read records up to Atomics.load(WRITE)
 *           a short poll  -> load WRITE, then POSTED: if every such message
 *                            the worker posted has been handled, read records
 *                            up to that WRITE before the DONE that announces
 *                            them (one quick task in flight: futures/worker-
 *                            pool.ts, `maybePoll`). A message posted before a
 *                            record is counted before the record is written,
 *                            so none can be overtaken.
 *
 * The worker counts a message in POSTED before it posts it (and takes it back if
 * posting throws); the parent counts it when it handles it.
 *
 * A value the log cannot hold (shared memory, a transfer list, a port, more than
 * the free space) goes inline in a DONE message sent at once, so order is kept:
 * everything logged before it is read before it.
 *
 * A child process keeps the same log in its own memory: its DONE messages carry
 * the records' bytes (`take`), and when the parent must kill it, the child's
 * control thread freezes the log and sends what is left (`dumpFrozen`,
 * workers/child-control.ts), so a child's finished results survive too.
 *
 * Layout: Int32 [WRITE, READ, LOCK, POSTED] (byte positions, counting up, wrapping at
 * 2^31; LOCK: 0 free, 1 the child is taking records, 2 frozen for a dump;
 * POSTED: messages the worker has posted that order replies, `ordersReplies`),
 * then CAPACITY bytes of records: u32 id | u8 status | f64 ms | u32 n | n bytes
 * of the value (item-codec.ts: numbers and strings raw, plain data as JSON,
 * the rest through the V8 serializer). A record never wraps: when the space
 * left before the end is too short, the writer marks it unused (n = WRAP) and
 * starts again at 0; a tail shorter than a header is skipped without a mark.
 */
import { decodeItem, encodeItem, readBuffer, T_FALSE, T_NULL, T_NUMBER, T_TRUE, T_UNDEFINED } from './item-codec.js';

const WRITE = 0,
  READ = 1,
  LOCK = 2,
  POSTED = 3;
const HEADER = 16;
/** Bytes of records (a power of two). */
export const CAPACITY = 1 << 16;
const MASK = CAPACITY - 1;
const POS_MASK = 0x7fffffff;
const REC = 17; // id + status + ms + n
const WRAP = 0xffffffff;
const LOCK_FREE = 0,
  LOCK_TAKING = 1,
  LOCK_FROZEN = 2;

/** Calls `onReply` for one reply. */
export type OnReply = (id: number, status: number, value: unknown, ms: number) => void;

/** A new shared buffer for one worker's log. */
export function newReplyLog(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + CAPACITY);
}

/** The ring of one log, as both ends see it. */
class Ring {
  protected readonly head: Int32Array;
  protected readonly view: DataView;
  protected readonly bytes: Uint8Array;

  constructor(sab: SharedArrayBuffer) {
    this.head = new Int32Array(sab, 0, 4);
    this.view = new DataView(sab, HEADER, CAPACITY);
    this.bytes = new Uint8Array(sab, HEADER, CAPACITY);
  }

  /** Walks the records from `from` to `to` (positions), calling `each(at, n)` for every record. */
  protected walk(from: number, to: number, each: (at: number, n: number) => void): void {
    const v = this.view;
    let pos = from;
    while (pos !== to) {
      const at = pos & MASK;
      const left = CAPACITY - at;
      const n = left < REC ? WRAP : v.getUint32(at + 13, true);
      if (n === WRAP) {
        pos = (pos + left) & POS_MASK;
        continue;
      }
      each(at, n);
      pos = (pos + REC + n) & POS_MASK;
    }
  }

  /** The records from READ to WRITE, back to back in a new buffer (what `decodeRecords` reads). */
  protected copyOut(): Uint8Array {
    const from = Atomics.load(this.head, READ);
    const to = Atomics.load(this.head, WRITE);
    let size = 0;
    this.walk(from, to, (_at, n) => {
      size += REC + n;
    });
    const out = new Uint8Array(size);
    let o = 0;
    this.walk(from, to, (at, n) => {
      out.set(this.bytes.subarray(at, at + REC + n), o);
      o += REC + n;
    });
    return out;
  }
}

/** The worker's end: appends replies. */
export class ReplyLogWriter extends Ring {
  private pos: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.pos = Atomics.load(this.head, WRITE);
  }

  /** Where the log ends now (what a thread's DONE message carries). */
  get end(): number {
    return this.pos;
  }

  /** A message that orders replies is about to be posted (`by` -1: its post threw). */
  countPost(by = 1): void {
    Atomics.add(this.head, POSTED, by);
  }

  /**
   * Appends one reply and publishes it; false if the value cannot be logged (it
   * holds shared memory or a port, or the log is full): the caller then sends it
   * inline, after everything logged so far.
   */
  append(id: number, status: number, value: unknown, ms: number): boolean {
    // Numbers and constants are written in place (the common case of tiny tasks).
    let item: Uint8Array | undefined;
    let n: number;
    if (typeof value === 'number') n = 9;
    else if (value === undefined || value === null || typeof value === 'boolean') n = 1;
    else {
      try {
        item = encodeItem(value);
      } catch {
        return false;
      }
      n = item.length;
    }
    const size = REC + n;
    let at = this.pos & MASK;
    const wrap = at + size > CAPACITY ? CAPACITY - at : 0;
    const used = (this.pos - Atomics.load(this.head, READ)) & POS_MASK;
    if (used + wrap + size > CAPACITY) return false;
    const v = this.view;
    if (wrap !== 0) {
      // The record does not fit before the end: mark the rest unused (a tail
      // shorter than a header needs no mark, the reader skips it by itself).
      if (wrap >= REC) v.setUint32(at + 13, WRAP, true);
      this.pos = (this.pos + wrap) & POS_MASK;
      at = 0;
    }
    v.setUint32(at, id, true);
    v.setUint8(at + 4, status);
    v.setFloat64(at + 5, ms, true);
    v.setUint32(at + 13, n, true);
    const p = at + REC;
    if (item !== undefined) this.bytes.set(item, p);
    else if (n === 9) {
      v.setUint8(p, T_NUMBER);
      v.setFloat64(p + 1, value as number, true);
    } else v.setUint8(p, value === undefined ? T_UNDEFINED : value === null ? T_NULL : value ? T_TRUE : T_FALSE);
    this.pos = (this.pos + size) & POS_MASK;
    Atomics.store(this.head, WRITE, this.pos);
    return true;
  }

  /**
   * A child process: the records not sent yet, back to back, and their space freed;
   * undefined when there are none or the log is frozen (the parent is killing this
   * child and has what was left).
   */
  take(): Uint8Array | undefined {
    if (Atomics.load(this.head, READ) === this.pos) return undefined;
    if (Atomics.compareExchange(this.head, LOCK, LOCK_FREE, LOCK_TAKING) !== LOCK_FREE) return undefined;
    const out = this.copyOut();
    Atomics.store(this.head, READ, this.pos);
    Atomics.store(this.head, LOCK, LOCK_FREE);
    return out;
  }
}

/**
 * A child's control thread: freezes the log for good and returns the records not
 * sent yet (the parent is about to kill the child). Waits out a `take` under way.
 */
export function dumpFrozen(sab: SharedArrayBuffer): Uint8Array {
  const ring = new (class extends Ring {
    freeze(): Uint8Array {
      for (;;) {
        const was = Atomics.compareExchange(this.head, LOCK, LOCK_FREE, LOCK_FROZEN);
        if (was !== LOCK_TAKING) break; // free (now frozen) or frozen already
        Atomics.wait(this.head, LOCK, LOCK_TAKING, 1);
      }
      return this.copyOut();
    }
  })(sab);
  return ring.freeze();
}

/** The parent's end of a thread's log: reads replies in the order they were written. */
export class ReplyLogReader extends Ring {
  private pos: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.pos = Atomics.load(this.head, READ);
  }

  /**
   * Reads the records published so far, ahead of the DONE that will announce
   * them, if every message that orders replies the worker posted has been handled
   * (`handled` of them); false if it read nothing.
   */
  peek(handled: number, onReply: OnReply): boolean {
    const end = Atomics.load(this.head, WRITE); // first WRITE, then POSTED: see the header
    if (end === this.pos || Atomics.load(this.head, POSTED) !== handled) return false;
    this.readTo(end, onReply);
    return true;
  }

  /** Where the worker has published up to, now (once it is gone: everything it wrote). */
  published(): number {
    return Atomics.load(this.head, WRITE);
  }

  /**
   * Calls `onReply` for every record up to byte position `end`, then frees their
   * space. An `end` already read past (a DONE message after a `peek`) reads nothing.
   */
  readTo(end: number, onReply: OnReply): void {
    if (((end - this.pos) & POS_MASK) > CAPACITY) return; // behind: read already
    const v = this.view;
    const bytes = this.bytes;
    this.walk(this.pos, end, (at, n) => emit(v, bytes, at, n, onReply));
    this.pos = end;
    Atomics.store(this.head, READ, end);
  }
}

/** Calls `onReply` for each record of a buffer made by `take` or `dumpFrozen`. */
export function decodeRecords(buf: Uint8Array, onReply: OnReply): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 0; at < buf.length; ) {
    const n = view.getUint32(at + 13, true);
    emit(view, buf, at, n, onReply);
    at += REC + n;
  }
}

function emit(v: DataView, bytes: Uint8Array, at: number, n: number, onReply: OnReply): void {
  const id = v.getUint32(at, true);
  const status = v.getUint8(at + 4);
  const ms = v.getFloat64(at + 5, true);
  const p = at + REC;
  let value: unknown;
  switch (v.getUint8(p)) {
    case T_NUMBER:
      value = v.getFloat64(p + 1, true);
      break;
    case T_UNDEFINED:
      break;
    case T_NULL:
      value = null;
      break;
    case T_TRUE:
      value = true;
      break;
    case T_FALSE:
      value = false;
      break;
    default: {
      // The decoders want memory that is not shared: copy the item out first.
      const copy = readBuffer(n);
      copy.set(bytes.subarray(p, p + n));
      value = decodeItem(copy.subarray(0, n));
    }
  }
  onReply(id, status, value, ms);
}
