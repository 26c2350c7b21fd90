/**
 * The hook between shared-memory objects (weft/threading) and the argument codec.
 *
 * A shared object (Lock, Queue, Value, ...) implements `[kShare]()`, returning a
 * structured-clonable description of itself (its SharedArrayBuffers and settings).
 * The codec replaces it with a marker; the receiving thread turns the marker back
 * into a working object on the same memory with `revive` from
 * `src/threading/revive.ts`, loaded only when a marker arrives.
 *
 * `shareables.created` lets the codec skip its walk over arguments entirely in
 * programs that never made a shared object (the common case, and the hot path).
 */

export const kShare: unique symbol = Symbol.for('weft.share') as any;

/** What `[kShare]()` returns: a type tag and clonable data (SharedArrayBuffers are shared, not copied). */
export interface SharedDescription {
  type: string;
  data: unknown;
}

export interface Shareable {
  [kShare](): SharedDescription;
}

/** Counts shared objects ever created in this thread (each constructor increments it). */
export const shareables = { created: 0 };

export function isShareable(value: unknown): value is Shareable {
  return value !== null && typeof value === 'object' && typeof (value as any)[kShare] === 'function';
}

/** The marker a shared object travels as. */
export const SHARED_MARKER = '@@weft/shared';
export interface SharedMarker {
  [SHARED_MARKER]: string;
  data: unknown;
}
