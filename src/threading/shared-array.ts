/**
 * Typed arrays over a SharedArrayBuffer (Python's `multiprocessing.Array`, lock-free).
 */
import { describe } from '../core/errors.js';
import { kShare, shareables, type SharedDescription, type Shareable } from '../transport/shared.js';
import { ARRAY_KINDS } from './_wait.js';

/** The element kinds of a {@link SharedArray}. */
export type ArrayKind = keyof typeof ARRAY_KINDS;
/** The typed array class for each kind. */
export type ArrayOf<K extends ArrayKind> = InstanceType<(typeof ARRAY_KINDS)[K]>;
/** A typed array over shared memory that travels to other threads as the same memory. */
export type SharedTypedArray<K extends ArrayKind> = ArrayOf<K> & Shareable;

/** @internal */
export interface SharedArrayData {
  kind: ArrayKind;
  sab: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

/** The `SharedArray` constructor: `new SharedArray(kind, length)` or `new SharedArray(kind, values)`. */
export interface SharedArrayConstructor {
  /**
   * A zero-filled typed array of `kind` with `length` elements over a new SharedArrayBuffer.
   * @throws TypeError for an unknown kind; RangeError for a bad length.
   */
  new <K extends ArrayKind>(kind: K, length: number): SharedTypedArray<K>;
  /** A typed array of `kind` over a new SharedArrayBuffer, filled with `values`. */
  new <K extends ArrayKind>(kind: K, values: ArrayLike<number | bigint> | Iterable<number | bigint>): SharedTypedArray<K>;
  /** True if `value` is a typed array made by `SharedArray` (or revived from one). */
  isSharedArray(value: unknown): value is SharedTypedArray<ArrayKind>;
  /** @internal rebuilds one in another thread. */
  _revive(data: SharedArrayData): SharedTypedArray<ArrayKind>;
}

const kKind = Symbol('weft.sharedArrayKind');

function share(this: ArrayOf<ArrayKind> & { [kKind]: ArrayKind }): SharedDescription {
  return {
    type: 'SharedArray',
    data: {
      kind: this[kKind],
      sab: this.buffer as unknown as SharedArrayBuffer,
      byteOffset: this.byteOffset,
      length: this.length,
    } satisfies SharedArrayData,
  };
}

function mark<K extends ArrayKind>(arr: ArrayOf<K>, kind: K): SharedTypedArray<K> {
  Object.defineProperty(arr, kShare, { value: share, enumerable: false });
  Object.defineProperty(arr, kKind, { value: kind, enumerable: false });
  shareables.created++;
  return arr as SharedTypedArray<K>;
}

/**
 * A typed array (`Float64Array`, `Int32Array`, ...) over a `SharedArrayBuffer`:
 * pass it to a `Thread` or a pool task and both sides see the same memory. Use
 * `Atomics` on integer kinds for lock-free updates, or guard it with a {@link Lock}.
 *
 * Kinds: int8, uint8, uint8clamped, int16, uint16, int32, uint32, float32, float64, bigint64, biguint64.
 *
 * @example
 * const counts = new SharedArray('int32', 4);   // an Int32Array
 * Atomics.add(counts, 0, 1);
 * const xs = new SharedArray('float64', [1.5, 2.5]);
 */
export const SharedArray: SharedArrayConstructor = function SharedArray(
  this: unknown,
  kind: ArrayKind,
  lengthOrValues: number | ArrayLike<number | bigint> | Iterable<number | bigint>,
) {
  if (new.target === undefined) throw new TypeError('SharedArray is a constructor: use new SharedArray(kind, length)');
  if (typeof kind !== 'string' || !Object.hasOwn(ARRAY_KINDS, kind)) {
    throw new TypeError(`new SharedArray(kind, ...) expects one of ${Object.keys(ARRAY_KINDS).join(', ')}, got ${describe(kind)}`);
  }
  const Ctor = ARRAY_KINDS[kind] as unknown as {
    new (b: SharedArrayBuffer): ArrayOf<ArrayKind>;
    BYTES_PER_ELEMENT: number;
  };
  let values: ArrayLike<number | bigint> | undefined;
  let length: number;
  if (typeof lengthOrValues === 'number') {
    if (!Number.isInteger(lengthOrValues) || lengthOrValues < 0) {
      throw new RangeError(`new SharedArray(kind, length) expects an integer length >= 0, got ${describe(lengthOrValues)}`);
    }
    length = lengthOrValues;
  } else if (
    lengthOrValues !== null &&
    typeof lengthOrValues === 'object' &&
    (Symbol.iterator in lengthOrValues || Number.isInteger((lengthOrValues as ArrayLike<unknown>).length))
  ) {
    values =
      Symbol.iterator in lengthOrValues
        ? Array.from(lengthOrValues as Iterable<number | bigint>)
        : (lengthOrValues as ArrayLike<number | bigint>);
    length = values.length;
  } else {
    // An options-like object ({ a: 1 }) is not a list of values: say so rather than make an empty array.
    throw new TypeError(`new SharedArray(kind, x) expects a length or an array (or iterable) of values, got ${describe(lengthOrValues)}`);
  }
  let sab: SharedArrayBuffer;
  try {
    sab = new SharedArrayBuffer(length * Ctor.BYTES_PER_ELEMENT);
  } catch (e) {
    throw new RangeError(
      `new SharedArray('${kind}', ${length}): cannot allocate ${length * Ctor.BYTES_PER_ELEMENT} bytes of shared memory ` +
        `(${(e as Error).message})`,
      { cause: e },
    );
  }
  const arr = new Ctor(sab);
  if (values !== undefined) (arr as unknown as { set(v: ArrayLike<number | bigint>): void }).set(values);
  return mark(arr, kind);
} as unknown as SharedArrayConstructor;

SharedArray.isSharedArray = (value: unknown): value is SharedTypedArray<ArrayKind> =>
  ArrayBuffer.isView(value) && typeof (value as unknown as Record<symbol, unknown>)[kKind] === 'string';

SharedArray._revive = (data: SharedArrayData): SharedTypedArray<ArrayKind> => {
  const Ctor = ARRAY_KINDS[data.kind] as unknown as { new (b: SharedArrayBuffer, o: number, l: number): ArrayOf<ArrayKind> };
  return mark(new Ctor(data.sab, data.byteOffset, data.length), data.kind);
};
