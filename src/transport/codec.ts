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
      walk ??= { flags: 0, forProcess, seen: new Map(), arg: 0, at: [] };
      walk.arg = i;
      const enc = encodeValue(a, 0, walk);
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
  /** the index of the argument walked */
  arg: number;
  /**
   * Where the walk is, without building a string per object (the path is only
   * needed to refuse something): the container at depth d writes how it reached the
   * child it is walking at `at[2d]` (a STEP_ kind) and `at[2d + 1]` (the key or
   * index). A value at depth d is reached by the steps 0..d-1; deeper slots are stale.
   */
  at: unknown[];
}

const STEP_INDEX = 0; // [i]
const STEP_KEY = 1; // .k
const STEP_MAP_KEY = 2; // .<key i>
const STEP_MAP_VALUE = 3; // .get(k)
const STEP_SET_ITEM = 4; // .<item i>

/** The path of the value at `depth` (`.options.onDone`, `[2].get("a")`), '' at the top. */
function pathAt(w: Walk, depth: number): string {
  let path = '';
  for (let d = 0; d < depth; d++) {
    const key = w.at[2 * d + 1];
    switch (w.at[2 * d]) {
      case STEP_INDEX:
        path += `[${key}]`;
        break;
      case STEP_KEY:
        path += `.${key}`;
        break;
      case STEP_MAP_KEY:
        path += `.<key ${key}>`;
        break;
      case STEP_MAP_VALUE:
        path += `.get(${keyText(key)})`;
        break;
      default:
        path += `.<item ${key}>`;
    }
  }
  return path;
}

function refuse(w: Walk, depth: number, what: string, advice: string): TypeError {
  const path = pathAt(w, depth);
  return new TypeError(`Argument ${w.arg + 1}${path ? ` ${path}` : ''} ${what}: ${advice}`);
}

function encodeValue(v: any, depth: number, w: Walk): any {
  const t = typeof v;
  if (t === 'function') {
    throw refuse(w, depth, `is ${describe(v)}`, 'functions cannot be sent to a worker; pass data, or put the code in a task module');
  }
  if (t === 'symbol') throw refuse(w, depth, 'is a symbol', 'symbols cannot be sent to a worker');
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
        depth,
        `is a shared-memory ${v.constructor?.name ?? 'object'} (weft/threading)`,
        'shared memory does not cross processes; use a ThreadPoolExecutor, or the weft/multiprocessing objects (Queue, Value, Lock, ...)',
      );
    }
    const d = v[kShare]();
    w.flags |= F_SHARED;
    return { [SHARED_MARKER]: d.type, data: d.data } satisfies SharedMarker;
  }
  w.seen.set(v, v); // (a cycle back to it, while it is walked, gets it as it is)
  const at = w.at;
  const slot = 2 * depth;
  if (Array.isArray(v)) {
    let out: any[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const tx = typeof x;
      if (tx === 'object' ? x === null : tx !== 'function' && tx !== 'symbol') continue;
      at[slot] = STEP_INDEX;
      at[slot + 1] = i;
      const e = encodeValue(x, depth + 1, w);
      if (e !== x) (out ??= v.slice())[i] = e;
    }
    if (out !== undefined) w.seen.set(v, out);
    return out ?? v;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
  if (v instanceof SharedArrayBuffer) {
    if (w.forProcess) {
      throw refuse(w, depth, 'is a SharedArrayBuffer', 'shared memory does not cross processes; use a ThreadPoolExecutor');
    }
    return v;
  }
  if (v instanceof Map) {
    let i = 0;
    for (const [k, x] of v) {
      inCollection(k, STEP_MAP_KEY, i, depth, w);
      inCollection(x, STEP_MAP_VALUE, k, depth, w);
      i++;
    }
    return v;
  }
  if (v instanceof Set) {
    let i = 0;
    for (const x of v) inCollection(x, STEP_SET_ITEM, i++, depth, w);
    return v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    if (isCloneableBuiltin(v) || Object.getPrototypeOf(proto) === null) return v; // a built-in, or a plain object of another realm
    const cls = proto.constructor?.name || 'an anonymous class';
    if (hasMethods(proto) && !keptByClone(v, proto)) {
      throw refuse(
        w,
        depth,
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
      at[slot] = STEP_KEY;
      at[slot + 1] = k;
      throw refuse(w, depth + 1, 'could not be read', `its getter threw ${(e as Error)?.message ?? String(e)}`);
    }
    const tx = typeof x;
    if (tx === 'object' ? x === null : tx !== 'function' && tx !== 'symbol') continue;
    at[slot] = STEP_KEY;
    at[slot + 1] = k;
    const e = encodeValue(x, depth + 1, w);
    if (e !== x) (out ??= { ...v })[k] = e;
  }
  if (out !== undefined) w.seen.set(v, out);
  return out ?? v;
}

/** A key or value of a Map or Set (reached by `step`, `key`): checked like any value, but it cannot be replaced by a marker there. */
function inCollection(x: unknown, step: number, key: unknown, depth: number, w: Walk): void {
  w.at[2 * depth] = step;
  w.at[2 * depth + 1] = key;
  if (encodeValue(x, depth + 1, w) !== x) {
    throw refuse(
      w,
      depth + 1,
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
