/**
 * The argument codec: what happens to a task's arguments on the way to another
 * thread or process, besides structured clone.
 *
 * One walk over each object argument (plain objects, arrays, Maps, Sets; to
 * depth 64; cycles are fine), which:
 * - refuses, with a TypeError that names the argument and the path inside it
 *   (`argument 1 .options.onDone`), what structured clone would refuse or spoil:
 *   functions and symbols; instances of classes whose prototype has methods
 *   (they would arrive as plain objects without them: the message names the
 *   class); shared memory sent to a process;
 * - replaces shared-memory objects (weft/threading) with markers revived on the
 *   other side on the same memory, and brokered objects (weft/multiprocessing)
 *   with markers revived as proxies of the object the holder keeps.
 * `transfer(value, list)` markers (top level) are unwrapped and their lists joined
 * into the message's transfer list. Arguments that are not objects cost nothing.
 */
import { Transfer, type Transferable } from '../core/tasks.js';
import { describe } from '../core/errors.js';
import { SHARED_MARKER, isShareable, kShare, type SharedMarker } from './shared.js';
import { BROKER_MARKER, isBrokerable, kBroker, type BrokerMarker } from './brokered.js';
import { F_SHARED, F_BROKERED } from './protocol.js';

const MAX_DEPTH = 64;

/** Encodes `args` in place; returns extra flags (F_SHARED, F_BROKERED) or throws a TypeError naming the bad argument. */
export function encodeArgs(args: unknown[], transferList: Transferable[], forProcess: boolean): number {
  let walk: Walk | undefined;
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a instanceof Transfer) {
      for (const t of a.transferList) transferList.push(t as Transferable);
      a = args[i] = a.value;
    }
    const t = typeof a;
    if (t === 'object' ? a !== null : t === 'function' || t === 'symbol') {
      walk ??= { flags: 0, forProcess, seen: new Map(), label: '' };
      walk.label = `Argument ${i + 1}`;
      const enc = encodeValue(a, '', 0, walk);
      if (enc !== a) args[i] = enc;
    }
  }
  return walk?.flags ?? 0;
}

interface Walk {
  flags: number;
  forProcess: boolean;
  /** every object walked, and what it was encoded as (a second reference gets the same) */
  seen: Map<object, unknown>;
  label: string;
}

function refuse(w: Walk, path: string, what: string, advice: string): TypeError {
  return new TypeError(`${w.label}${path ? ` ${path}` : ''} ${what}: ${advice}`);
}

function encodeValue(v: any, path: string, depth: number, w: Walk): any {
  const t = typeof v;
  if (t === 'function') {
    throw refuse(w, path, `is ${describe(v)}`, 'functions cannot be sent to a worker; pass data, or put the code in a task module');
  }
  if (t === 'symbol') throw refuse(w, path, 'is a symbol', 'symbols cannot be sent to a worker');
  if (t !== 'object' || v === null || depth > MAX_DEPTH) return v;
  if (w.seen.has(v)) return w.seen.get(v);
  if (isBrokerable(v)) {
    const d = v[kBroker]();
    w.flags |= F_BROKERED;
    return { [BROKER_MARKER]: d.type, data: d.data } satisfies BrokerMarker;
  }
  if (isShareable(v)) {
    if (w.forProcess) {
      throw refuse(
        w,
        path,
        `is a shared-memory ${v.constructor?.name ?? 'object'} (weft/threading)`,
        'shared memory does not cross processes; use a ThreadPoolExecutor, or the weft/multiprocessing objects (Queue, Value, Lock, ...)',
      );
    }
    const d = v[kShare]();
    w.flags |= F_SHARED;
    return { [SHARED_MARKER]: d.type, data: d.data } satisfies SharedMarker;
  }
  w.seen.set(v, v); // (a cycle back to it, while it is walked, gets it as it is)
  if (Array.isArray(v)) {
    let out: any[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const tx = typeof x;
      if (tx === 'object' ? x === null : tx !== 'function' && tx !== 'symbol') continue;
      const e = encodeValue(x, `${path}[${i}]`, depth + 1, w);
      if (e !== x) (out ??= v.slice())[i] = e;
    }
    if (out !== undefined) w.seen.set(v, out);
    return out ?? v;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
  if (v instanceof SharedArrayBuffer) {
    if (w.forProcess) {
      throw refuse(w, path, 'is a SharedArrayBuffer', 'shared memory does not cross processes; use a ThreadPoolExecutor');
    }
    return v;
  }
  if (v instanceof Map) {
    let i = 0;
    for (const [k, x] of v) {
      inCollection(k, `${path}.<key ${i}>`, depth, w);
      inCollection(x, `${path}.get(${keyText(k)})`, depth, w);
      i++;
    }
    return v;
  }
  if (v instanceof Set) {
    let i = 0;
    for (const x of v) inCollection(x, `${path}.<item ${i++}>`, depth, w);
    return v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    if (isCloneableBuiltin(v) || Object.getPrototypeOf(proto) === null) return v; // a built-in, or a plain object of another realm
    const cls = proto.constructor?.name || 'an anonymous class';
    if (hasMethods(proto) && !keptByClone(v, proto)) {
      throw refuse(
        w,
        path,
        `is an instance of class ${cls}`,
        'it would arrive as a plain object without its methods; send plain data (e.g. { ...value }) and rebuild the object in the task',
      );
    }
  }
  let out: any;
  for (const k of Object.keys(v)) {
    let x: unknown;
    try {
      x = v[k];
    } catch (e) {
      throw refuse(w, `${path}.${k}`, 'could not be read', `its getter threw ${(e as Error)?.message ?? String(e)}`);
    }
    const tx = typeof x;
    if (tx === 'object' ? x === null : tx !== 'function' && tx !== 'symbol') continue;
    const e = encodeValue(x, `${path}.${k}`, depth + 1, w);
    if (e !== x) (out ??= { ...v })[k] = e;
  }
  if (out !== undefined) w.seen.set(v, out);
  return out ?? v;
}

/** A key or value of a Map or Set: checked like any value, but it cannot be replaced by a marker there. */
function inCollection(x: unknown, path: string, depth: number, w: Walk): void {
  if (encodeValue(x, path, depth + 1, w) !== x) {
    throw refuse(
      w,
      path,
      'holds a weft shared or brokered object inside a Map or Set',
      'such objects travel in arrays and plain objects only; send them beside the Map (e.g. as another argument)',
    );
  }
}

function keyText(k: unknown): string {
  return typeof k === 'string' ? JSON.stringify(k) : typeof k === 'object' ? '<object>' : String(k);
}

const BUILTINS: Function[] = [Date, RegExp, Error, Boolean, Number, String, BigInt];
if (typeof Blob === 'function') BUILTINS.push(Blob);

function isCloneableBuiltin(v: object): boolean {
  for (const C of BUILTINS) if (v instanceof C) return true;
  return false;
}

/**
 * True unless structured clone turns `v` into a plain object (what it does to an
 * instance of a JavaScript class). Platform objects (a MessagePort, a Blob, a
 * KeyObject) keep their class, or cannot be cloned at all (then postMessage
 * says so): those are not refused here.
 */
function keptByClone(v: object, proto: object): boolean {
  try {
    return Object.getPrototypeOf(structuredClone(v)) === proto;
  } catch {
    return true;
  }
}

/** True if a prototype chain up to Object.prototype has methods (besides the constructor). */
function hasMethods(proto: object): boolean {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (d && (typeof d.value === 'function' || d.get !== undefined)) return true;
    }
  }
  return false;
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
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH + 1) return v;
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

/**
 * Finds which argument (and where inside it) structured clone refuses, after a
 * DataCloneError, for a clear message.
 * @param label how to name each item ("Argument", "initargs item").
 */
export function explainUnsendable(args: readonly unknown[], err: unknown, label = 'Argument'): TypeError {
  for (let i = 0; i < args.length; i++) {
    const where = findUnclonable(args[i], '', 0, new Set());
    if (where !== undefined) {
      return new TypeError(`${label} ${i + 1}${where.path ? ` ${where.path}` : ''} cannot be sent to a worker: ${where.reason}`, {
        cause: where.error,
      });
    }
  }
  return new TypeError(`The task's arguments cannot be sent to a worker: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** The deepest path under `v` that structured clone refuses, and why. */
function findUnclonable(
  v: unknown,
  path: string,
  depth: number,
  seen: Set<object>,
): { path: string; reason: string; error: unknown } | undefined {
  let error: unknown;
  try {
    structuredClone(v);
    return undefined;
  } catch (e) {
    error = e;
  }
  const reason = (error as Error)?.message ?? String(error);
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH || seen.has(v)) return { path, reason, error };
  seen.add(v);
  let keys: string[];
  try {
    keys = Object.keys(v);
  } catch {
    return { path, reason, error };
  }
  for (const k of keys) {
    let x: unknown;
    try {
      x = (v as Record<string, unknown>)[k];
    } catch (e) {
      return { path: `${path}.${k}`, reason: `reading it threw ${(e as Error)?.message ?? String(e)}`, error: e };
    }
    const inner = findUnclonable(x, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, depth + 1, seen);
    if (inner !== undefined) return inner;
  }
  return { path, reason, error };
}
