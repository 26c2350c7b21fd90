/**
 * @internal The number kinds of a brokered Value and SharedArray: the typed
 * array kinds, named as in weft/threading.
 */
import { closest } from '../core/options.js';
import { describe } from '../core/errors.js';
import { ARRAY_KINDS } from '../threading/_wait.js';

/** The same table as weft/threading's SharedArray (one list of kinds in weft). */
export const KINDS = ARRAY_KINDS;

/** The kinds of number a Value or SharedArray holds. */
export type NumberKind = keyof typeof KINDS;
/** The JavaScript type of one element of kind K. */
export type NumberOf<K extends NumberKind> = K extends 'bigint64' | 'biguint64' ? bigint : number;

/** A typed array of one kind. */
export type Store = InstanceType<(typeof KINDS)[NumberKind]>;

/** Checks a kind. @throws TypeError naming the kinds (and the closest one). */
export function checkKind(where: string, kind: unknown): NumberKind {
  if (typeof kind === 'string' && Object.hasOwn(KINDS, kind)) return kind as NumberKind;
  const names = Object.keys(KINDS);
  const near = typeof kind === 'string' ? closest(kind, names) : undefined;
  throw new TypeError(
    `${where}: kind must be one of ${names.map((k) => `'${k}'`).join(', ')}, got ${describe(kind)}` +
      (near ? ` (did you mean '${near}'?)` : ''),
  );
}

/** True for the 64-bit integer kinds (their elements are bigints). */
export function isBig(kind: NumberKind): boolean {
  return kind === 'bigint64' || kind === 'biguint64';
}

/**
 * Checks one element value for `kind`.
 * @throws TypeError for the wrong type (a bigint where a number is expected, ...);
 *   RangeError for a non-integer where the kind holds integers.
 */
export function checkNumber(where: string, kind: NumberKind, v: unknown): void {
  if (isBig(kind)) {
    if (typeof v !== 'bigint') throw new TypeError(`${where}: a ${kind} holds bigints, got ${describe(v)}`);
    return;
  }
  if (typeof v !== 'number') throw new TypeError(`${where}: a ${kind} holds numbers, got ${describe(v)}`);
  if (kind !== 'float32' && kind !== 'float64' && !Number.isInteger(v)) {
    throw new RangeError(`${where}: a ${kind} holds integers, got ${describe(v)}`);
  }
}

/** A zero-filled store of `kind` with `length` elements. */
export function makeStore(kind: NumberKind, length: number): Store {
  return new KINDS[kind](length);
}
