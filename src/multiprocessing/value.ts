/**
 * multiprocessing Value and SharedArray: numbers shared by the processes they
 * are passed to, kept by the process that made them.
 *
 * Each operation is one request to the holder, which runs it on a typed array
 * of the chosen kind (so numbers wrap and round exactly as that typed array
 * does). The holder runs operations one at a time, so `add` is atomic; a
 * read-modify-write of several steps (`v.set((await v.get()) + 1)`) is not,
 * and loses updates when processes race, exactly as in Python: hold
 * `getLock()` around it, or use `add`.
 */
import { int } from '../core/options.js';
import { describe } from '../core/errors.js';
import { kBroker, type BrokerCall } from '../transport/brokered.js';
import { Brokered, proxyFor } from './_brokered.js';
import { checkKind, checkNumber, makeStore, type NumberKind, type Store } from './_kinds.js';
import { Lock, type LockData } from './lock.js';

export type { NumberKind } from './_kinds.js';

/** The kinds whose elements are bigints. */
export type BigKind = 'bigint64' | 'biguint64';
/** The kinds whose elements are numbers. */
export type NumKind = Exclude<NumberKind, BigKind>;

/** @internal what a Value or SharedArray marker carries. */
export interface NumbersData {
  channel: string;
  kind: NumberKind;
  length: number;
  lock: LockData;
}

/** (Internal.) What Value and SharedArray share: the store (holder) and the lock. */
abstract class Numbers<T extends number | bigint> extends Brokered {
  /** The kind of number it holds ('int32', 'float64', 'bigint64', ...). */
  readonly kind!: NumberKind;
  /** @internal */ _store: Store | undefined;
  /** @internal */ _lock!: Lock;
  /** @internal */ _length = 1;

  /** @internal */
  protected _init(where: string, kind: unknown, length: number): void {
    (this as { kind: NumberKind }).kind = checkKind(where, kind);
    this._length = length;
    this._store = makeStore(this.kind, length);
    this._lock = new Lock();
  }

  /** @internal */
  protected override _data(): Record<string, unknown> {
    return { kind: this.kind, length: this._length, lock: this._lock[kBroker]().data };
  }

  /** @internal fills in a proxy. */
  _fill(d: NumbersData): this {
    (this as { kind: NumberKind }).kind = d.kind;
    this._length = d.length;
    this._lock = Lock._revive(d.lock);
    return this;
  }

  /**
   * The {@link Lock} that goes with it (the same lock in every process), for
   * read-modify-write sequences of several operations, as Python's `get_lock()`.
   */
  getLock(): Lock {
    return this._lock;
  }

  /** @internal checks a value for this kind */
  protected _check(where: string, v: unknown): T {
    checkNumber(where, this.kind, v);
    return v as T;
  }

  /**
   * @internal runs `op` here (holder) or at the holder (proxy), after checking that
   * `values` fit this kind (`where` names the method in the error).
   */
  protected _do<R>(op: string, args: unknown[], where?: string, values: readonly unknown[] = args): Promise<R> {
    try {
      if (where !== undefined) for (const v of values) this._check(where, v);
      if (this._remote) return this._ask(op, args) as Promise<R>;
      return Promise.resolve(this._run(op, args) as R);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** @internal one operation on the store. */
  protected abstract _run(op: string, args: unknown[]): unknown;

  /** (Internal: runs an operation in the holder.) */
  brokerCall(op: string, args: unknown[], _call: BrokerCall): unknown {
    return this._run(op, args);
  }
}

/**
 * One number shared by processes: Python's `multiprocessing.Value`.
 *
 * Pass it to a `Process` or a `Pool` task; every process reads and updates the
 * same number, kept by the process that made it. Every method returns a promise.
 *
 * @example
 * const counter = new Value('int32', 0);
 * // in each child:
 * await counter.add(1);                          // atomic: no update is lost
 * { using _ = await counter.getLock().acquire(); // several steps: hold the lock
 *   await counter.set((await counter.get()) * 2); }
 */
export class ValueImpl<T extends number | bigint = number | bigint> extends Numbers<T> {
  constructor(kind: NumberKind, init?: T) {
    super();
    if (this._remote) return;
    this._init('new Value(kind, init)', kind, 1);
    if (init !== undefined) this._store![0] = this._check('new Value(kind, init)', init) as never;
  }

  /** @internal */
  protected get _type(): string {
    return 'Value';
  }
  /** @internal a proxy in another process. */
  static _revive(d: NumbersData): ValueImpl {
    return proxyFor(d.channel, () => new ValueImpl('int32')._fill(d));
  }

  /** The current value. */
  get(): Promise<T> {
    return this._do('get', []);
  }
  /** Sets the value. @throws (rejects) TypeError/RangeError for a value the kind cannot hold. */
  set(v: T): Promise<void> {
    return this._do('set', [v], 'Value.set(v)');
  }
  /** Atomically adds `n` (may be negative) and returns the new value. */
  add(n: T): Promise<T> {
    return this._do('add', [n], 'Value.add(n)');
  }
  /** Atomically subtracts `n` and returns the new value. */
  sub(n: T): Promise<T> {
    return this._do('add', [typeof n === 'bigint' ? -n : -(n as number)], 'Value.sub(n)', [n]);
  }
  /** Atomically: if the value is `expected`, sets it to `next`. Returns the old value. */
  compareExchange(expected: T, next: T): Promise<T> {
    return this._do('cas', [expected, next], 'Value.compareExchange(expected, next)');
  }
  /** Atomically sets the value and returns the old one. */
  exchange(next: T): Promise<T> {
    return this._do('xchg', [next], 'Value.exchange(next)');
  }

  /** @internal */
  protected _run(op: string, args: unknown[]): unknown {
    const s = this._store as unknown as { 0: any };
    switch (op) {
      case 'get':
        return s[0];
      case 'set':
        s[0] = this._check('Value.set(v)', args[0]);
        return undefined;
      case 'add':
        s[0] = s[0] + this._check('Value.add(n)', args[0]);
        return s[0];
      case 'cas': {
        const old = s[0];
        const e = this._check('Value.compareExchange(expected, next)', args[0]);
        if (Object.is(old, e) || old === e) s[0] = this._check('Value.compareExchange(expected, next)', args[1]);
        return old;
      }
      case 'xchg': {
        const old = s[0];
        s[0] = this._check('Value.exchange(next)', args[0]);
        return old;
      }
      default:
        return this._unknownOp(op);
    }
  }

  override toString(): string {
    return `<Value ${this.kind}${this._remote ? ' proxy' : ` ${String((this._store as any)[0])}`}>`;
  }
}

/** The `Value` constructor: `new Value('int32', 0)` is a `Value<number>`, `new Value('bigint64', 0n)` a `Value<bigint>`. */
export interface ValueConstructor {
  /**
   * A shared number of `kind`, starting at `init` (default 0).
   * @throws TypeError for an unknown kind or a value of the wrong type; RangeError for a non-integer in an integer kind.
   */
  new (kind: BigKind, init?: bigint): ValueImpl<bigint>;
  new (kind: NumKind, init?: number): ValueImpl<number>;
  new <T extends number | bigint>(kind: NumberKind, init?: T): ValueImpl<T>;
  readonly prototype: ValueImpl;
  /** @internal */
  _revive(d: NumbersData): ValueImpl;
}
/** One number shared by processes (see {@link ValueImpl}). */
export const Value = ValueImpl as ValueConstructor;
/** One number shared by processes. */
export type Value<T extends number | bigint = number | bigint> = ValueImpl<T>;

/**
 * A fixed-length array of numbers shared by processes: Python's `multiprocessing.Array`.
 *
 * @example
 * const hist = new SharedArray('int32', 10);
 * // in each child:
 * { using _ = await hist.getLock().acquire(); await hist.set(3, (await hist.get(3)) + 1); }
 * console.log(await hist.toArray());
 */
export class SharedArrayImpl<T extends number | bigint = number | bigint> extends Numbers<T> {
  constructor(kind: NumberKind, lengthOrValues: number | Iterable<T> | ArrayLike<T>) {
    super();
    if (this._remote) return;
    const where = 'new SharedArray(kind, length)';
    if (typeof lengthOrValues === 'number') {
      this._init(where, kind, int(where, 'length', lengthOrValues, 0));
      return;
    }
    if (lengthOrValues === null || typeof lengthOrValues !== 'object') {
      throw new TypeError(`${where} expects a length or an array of values, got ${describe(lengthOrValues)}`);
    }
    const values = Array.from(lengthOrValues as ArrayLike<T>);
    this._init(where, kind, values.length);
    for (let i = 0; i < values.length; i++) (this._store as any)[i] = this._check(where, values[i]);
  }

  /** @internal */
  protected get _type(): string {
    return 'SharedArray';
  }
  /** @internal a proxy in another process. */
  static _revive(d: NumbersData): SharedArrayImpl {
    return proxyFor(d.channel, () => new SharedArrayImpl('int32', 0)._fill(d));
  }

  /** Number of elements. */
  get length(): number {
    return this._length;
  }

  #index(where: string, i: unknown): number {
    return int(where, 'index', i, 0, { max: this._length - 1 });
  }

  /** Element `i`. @throws (rejects) RangeError for an index out of bounds. */
  get(i: number): Promise<T> {
    try {
      this.#index('SharedArray.get(i)', i);
    } catch (err) {
      return Promise.reject(err);
    }
    return this._do('get', [i]);
  }
  /** Sets element `i`. @throws (rejects) RangeError for an index out of bounds; TypeError/RangeError for a bad value. */
  set(i: number, v: T): Promise<void> {
    try {
      this.#index('SharedArray.set(i, v)', i);
    } catch (err) {
      return Promise.reject(err);
    }
    return this._do('set', [i, v], 'SharedArray.set(i, v)', [v]);
  }
  /** A copy of every element, as a plain array. */
  toArray(): Promise<T[]> {
    return this._do('all', []);
  }

  /** @internal */
  protected _run(op: string, args: unknown[]): unknown {
    const s = this._store as unknown as Record<number, any> & { length: number };
    switch (op) {
      case 'get':
        return s[this.#index('SharedArray.get(i)', args[0])];
      case 'set':
        s[this.#index('SharedArray.set(i, v)', args[0])] = this._check('SharedArray.set(i, v)', args[1]);
        return undefined;
      case 'all':
        return Array.from(this._store as unknown as ArrayLike<T>);
      default:
        return this._unknownOp(op);
    }
  }
}

/** The `SharedArray` constructor: `new SharedArray('float64', 10)` or `new SharedArray('int32', [1, 2, 3])`. */
export interface SharedArrayConstructor {
  /**
   * A zero-filled shared array of `kind` with `length` elements, or filled with `values`.
   * @throws TypeError for an unknown kind or a bad value; RangeError for a bad length.
   */
  new (kind: BigKind, lengthOrValues: number | Iterable<bigint> | ArrayLike<bigint>): SharedArrayImpl<bigint>;
  new (kind: NumKind, lengthOrValues: number | Iterable<number> | ArrayLike<number>): SharedArrayImpl<number>;
  new <T extends number | bigint>(kind: NumberKind, lengthOrValues: number | Iterable<T> | ArrayLike<T>): SharedArrayImpl<T>;
  readonly prototype: SharedArrayImpl;
  /** @internal */
  _revive(d: NumbersData): SharedArrayImpl;
}
/** A fixed-length array of numbers shared by processes (see {@link SharedArrayImpl}). */
export const SharedArray = SharedArrayImpl as SharedArrayConstructor;
/** A fixed-length array of numbers shared by processes. */
export type SharedArray<T extends number | bigint = number | bigint> = SharedArrayImpl<T>;
