/**
 * One number in shared memory with atomic operations (Python's `multiprocessing.Value`).
 *
 * Layout of its SharedArrayBuffer: bytes 0..15 a Lock (for `getLock()`), bytes
 * 16..23 the value. float64 has no native atomics; its operations are CAS loops on
 * the same 8 bytes seen as a BigInt64Array.
 */
import { describe } from '../core/errors.js';
import { kShare, shareables, type SharedDescription } from '../transport/shared.js';
import { Lock } from './lock.js';
import { abandonIfOwnedBy } from './_lockcore.js';
import { track } from './_robust.js';

/** The kinds a {@link Value} can hold. */
export type ValueKind = 'int32' | 'uint32' | 'float64' | 'bigint64';
/** The JavaScript type of a Value of kind K. */
export type ValueType<K extends ValueKind> = K extends 'bigint64' ? bigint : number;

const KINDS: readonly ValueKind[] = ['int32', 'uint32', 'float64', 'bigint64'];
const OFFSET = 16;
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

function bitsOf(x: number): bigint {
  f64[0] = x;
  return i64[0]!;
}
function floatOf(b: bigint): number {
  i64[0] = b;
  return f64[0]!;
}

/** @internal */
export interface ValueData {
  sab: SharedArrayBuffer;
  kind: ValueKind;
}

/**
 * A number (or bigint) in shared memory, read and updated atomically from every
 * thread it is passed to.
 *
 * - `int32` and `uint32` wrap around like the typed arrays they are; `bigint64` wraps at 64 bits.
 * - `float64` `compareExchange` compares bit patterns (so `NaN` matches `NaN`, `0` does not match `-0`).
 *
 * @example
 * const hits = new Value('int32', 0);
 * // in each worker:
 * hits.add(1);                       // atomic: no lost update
 * // a read-modify-write of several steps: hold its lock
 * using _ = hits.getLock().acquireSync();
 */
export class Value<K extends ValueKind = ValueKind> {
  /** The kind of number it holds. */
  readonly kind: K;
  /** @internal */ readonly _sab: SharedArrayBuffer;
  private readonly view: Int32Array | Uint32Array | BigInt64Array;
  private lock: Lock | undefined;

  /**
   * @param kind 'int32' | 'uint32' | 'float64' | 'bigint64'.
   * @param init the initial value (default 0 / 0n).
   * @throws TypeError for an unknown kind or a value of the wrong type; RangeError for a non-integer where an integer is needed.
   */
  constructor(kind: K, init?: ValueType<K>);
  /** @internal */
  constructor(kind: K, init: undefined, data: ValueData);
  constructor(kind: K, init?: ValueType<K>, data?: ValueData) {
    if (!KINDS.includes(kind)) {
      throw new TypeError(`new Value(kind) expects one of ${KINDS.map((k) => `'${k}'`).join(', ')}, got ${describe(kind)}`);
    }
    this.kind = kind;
    this._sab = data?.sab ?? new SharedArrayBuffer(OFFSET + 8);
    this.view =
      kind === 'int32'
        ? new Int32Array(this._sab, OFFSET, 1)
        : kind === 'uint32'
          ? new Uint32Array(this._sab, OFFSET, 1)
          : new BigInt64Array(this._sab, OFFSET, 1);
    if (data === undefined && init !== undefined) this.value = init;
    shareables.created++;
    track(this);
  }

  private check(what: string, v: unknown): void {
    const k = this.kind;
    if (k === 'bigint64') {
      if (typeof v !== 'bigint') throw new TypeError(`${what} of a bigint64 Value expects a bigint, got ${describe(v)}`);
    } else if (typeof v !== 'number') {
      throw new TypeError(`${what} of a ${k} Value expects a number, got ${describe(v)}`);
    } else if (k !== 'float64' && !Number.isInteger(v)) {
      throw new RangeError(`${what} of a ${k} Value expects an integer, got ${describe(v)}`);
    }
  }

  /** The current value (an atomic load / store). */
  get value(): ValueType<K> {
    const v = Atomics.load(this.view as Int32Array, 0) as number | bigint;
    return (this.kind === 'float64' ? floatOf(v as bigint) : v) as ValueType<K>;
  }
  set value(v: ValueType<K>) {
    this.check('Setting .value', v);
    if (this.kind === 'float64') Atomics.store(this.view as BigInt64Array, 0, bitsOf(v as number));
    else Atomics.store(this.view as Int32Array, 0, v as number);
  }

  /**
   * Atomically adds `n` (may be negative) and returns the new value.
   * @example const ticket = counter.add(1);
   */
  add(n: ValueType<K>): ValueType<K> {
    this.check('add(n)', n);
    switch (this.kind) {
      case 'int32':
        return ((Atomics.add(this.view as Int32Array, 0, n as number) + (n as number)) | 0) as ValueType<K>;
      case 'uint32':
        return ((Atomics.add(this.view as Uint32Array, 0, n as number) + (n as number)) >>> 0) as ValueType<K>;
      case 'bigint64':
        return BigInt.asIntN(64, Atomics.add(this.view as BigInt64Array, 0, n as bigint) + (n as bigint)) as ValueType<K>;
      default: {
        const view = this.view as BigInt64Array;
        for (;;) {
          const old = Atomics.load(view, 0);
          const next = floatOf(old) + (n as number);
          if (Atomics.compareExchange(view, 0, old, bitsOf(next)) === old) return next as ValueType<K>;
        }
      }
    }
  }

  /** Atomically subtracts `n` and returns the new value. */
  sub(n: ValueType<K>): ValueType<K> {
    this.check('sub(n)', n);
    return this.add((typeof n === 'bigint' ? -n : -(n as number)) as ValueType<K>);
  }

  /**
   * Atomically: if the value is `expected`, sets it to `next`. Returns the old value
   * (equal to `expected` when the exchange happened).
   * @example
   * let old = v.value; while (v.compareExchange(old, old * 2) !== old) old = v.value;
   */
  compareExchange(expected: ValueType<K>, next: ValueType<K>): ValueType<K> {
    this.check('compareExchange(expected, next)', expected);
    this.check('compareExchange(expected, next)', next);
    if (this.kind === 'float64') {
      return floatOf(
        Atomics.compareExchange(this.view as BigInt64Array, 0, bitsOf(expected as number), bitsOf(next as number)),
      ) as ValueType<K>;
    }
    return Atomics.compareExchange(this.view as Int32Array, 0, expected as number, next as number) as ValueType<K>;
  }

  /** Atomically sets the value and returns the old one. */
  exchange(next: ValueType<K>): ValueType<K> {
    this.check('exchange(next)', next);
    if (this.kind === 'float64') return floatOf(Atomics.exchange(this.view as BigInt64Array, 0, bitsOf(next as number))) as ValueType<K>;
    return Atomics.exchange(this.view as Int32Array, 0, next as number) as ValueType<K>;
  }

  /** The {@link Lock} that goes with this value (the same lock on every thread), for multi-step updates. */
  getLock(): Lock {
    return (this.lock ??= new Lock({ sab: this._sab, offset: 0 }));
  }

  /** @internal */
  _abandon(tid: number): boolean {
    return abandonIfOwnedBy(new Int32Array(this._sab, 0, 4), 0, tid);
  }

  /** @internal */
  [kShare](): SharedDescription {
    return { type: 'Value', data: { sab: this._sab, kind: this.kind } satisfies ValueData };
  }

  valueOf(): ValueType<K> {
    return this.value;
  }
  toString(): string {
    return String(this.value);
  }
}
