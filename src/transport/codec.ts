/**
 * The argument codec: what happens to a task's arguments and result on the way
 * to another thread or process, besides structured clone.
 *
 * - `transfer(value, list)` markers (top level only) are unwrapped and their
 *   lists joined into the message's transfer list.
 * - Shared-memory objects (weft/threading), also nested in plain objects and
 *   arrays, become markers and are revived on the other side on the same memory.
 *   The walk runs only in programs that made a shared object.
 * - Brokered objects (multiprocessing Queue, Pipe Connection; see brokered.ts),
 *   also nested, become markers naming their broker channel and are revived
 *   on the other side as proxies that talk to the holder. The walk runs only in
 *   programs that made one.
 * - Functions and symbols are refused up front with a TypeError naming the argument.
 */
import { Transfer, type Transferable } from '../core/tasks.js';
import { describe } from '../core/errors.js';
import { SHARED_MARKER, isShareable, kShare, shareables, type SharedMarker } from './shared.js';
import { BROKER_MARKER, brokerables, isBrokerable, kBroker, type BrokerMarker } from './brokered.js';
import { F_SHARED, F_BROKERED } from './protocol.js';

/** Encodes `args` in place; returns extra flags (F_SHARED, F_BROKERED) or throws a TypeError naming the bad argument. */
export function encodeArgs(args: unknown[], transferList: Transferable[], forProcess: boolean): number {
  const st = { flags: 0 };
  const walk = shareables.created > 0 || brokerables.created > 0;
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a instanceof Transfer) {
      for (const t of a.transferList) transferList.push(t as Transferable);
      a = args[i] = a.value;
    }
    const t = typeof a;
    if (t === 'function' || t === 'symbol') {
      throw new TypeError(
        `Argument ${i + 1} cannot be sent to a worker: it is ${t === 'symbol' ? 'a symbol' : describe(a)}; ` +
          'only structured-clonable values (and weft shared objects) cross threads',
      );
    }
    if (walk && a !== null && t === 'object') {
      const enc = encodeShared(a, forProcess, i, 0, st);
      if (enc !== a) args[i] = enc;
    }
  }
  return st.flags;
}

function encodeShared(v: any, forProcess: boolean, argIndex: number, depth: number, st: { flags: number }): any {
  if (isBrokerable(v)) {
    const d = v[kBroker]();
    st.flags |= F_BROKERED;
    return { [BROKER_MARKER]: d.type, data: d.data } satisfies BrokerMarker;
  }
  if (isShareable(v)) {
    if (forProcess) {
      throw new TypeError(
        `Argument ${argIndex + 1} is a shared-memory ${v.constructor?.name ?? 'object'} (weft/threading); ` +
          'shared memory does not cross processes: use a ThreadPoolExecutor or a multiprocessing Queue/Pipe',
      );
    }
    const d = v[kShare]();
    st.flags |= F_SHARED;
    return { [SHARED_MARKER]: d.type, data: d.data } satisfies SharedMarker;
  }
  if (depth > 32) return v;
  if (Array.isArray(v)) {
    let out: any[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object') {
        const e = encodeShared(x, forProcess, argIndex, depth + 1, st);
        if (e !== x) (out ??= v.slice())[i] = e;
      }
    }
    return out ?? v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  let out: any;
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x !== null && typeof x === 'object') {
      const e = encodeShared(x, forProcess, argIndex, depth + 1, st);
      if (e !== x) (out ??= { ...v })[k] = e;
    }
  }
  return out ?? v;
}

/** Unwraps a `transfer()` marker on a return value. */
export function encodeResult(value: unknown, transferList: Transferable[]): unknown {
  if (value instanceof Transfer) {
    for (const t of value.transferList) transferList.push(t as Transferable);
    return value.value;
  }
  return value;
}

type Reviver = (type: string, data: unknown) => object;

/** Replaces shared-object markers with working objects (args flagged F_SHARED). */
export function decodeShared(v: any, revive: Reviver, depth = 0): any {
  return decodeMarkers(v, SHARED_MARKER, revive, depth);
}

/** Replaces brokered-object markers with proxies (args flagged F_BROKERED). */
export function decodeBrokered(v: any, revive: Reviver): any {
  return decodeMarkers(v, BROKER_MARKER, revive, 0);
}

function decodeMarkers(v: any, key: string, revive: Reviver, depth: number): any {
  if (v === null || typeof v !== 'object' || depth > 33) return v;
  if (typeof v[key] === 'string') return revive(v[key], v.data);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = decodeMarkers(v[i], key, revive, depth + 1);
    return v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  for (const k of Object.keys(v)) v[k] = decodeMarkers(v[k], key, revive, depth + 1);
  return v;
}

/** Finds which argument structured clone refuses, for a clear message after a DataCloneError. */
export function explainUnsendable(args: readonly unknown[], err: unknown): TypeError {
  for (let i = 0; i < args.length; i++) {
    try {
      structuredClone(args[i]);
    } catch (e) {
      return new TypeError(`Argument ${i + 1} cannot be sent to a worker: ${(e as Error).message}`, { cause: e });
    }
  }
  return new TypeError(`The task's arguments cannot be sent to a worker: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
