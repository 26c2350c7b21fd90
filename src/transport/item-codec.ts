/**
 * How a value becomes bytes and back when it travels through shared memory
 * (a weft/threading Queue item, a reply in the reply log).
 *
 * The semantics are the structured clone algorithm (what postMessage uses), but
 * `v8.serialize` costs a C++ Serializer plus an externally allocated Buffer per
 * item, and the garbage collector pays for both: for small items that is most of
 * the time. So three encodings, chosen by the first byte:
 *
 *   T_NUMBER   a number: 8 bytes (float64)
 *   T_STRING   a string: UTF-8
 *   T_JSON     plain data that JSON round-trips exactly (plain objects and dense
 *              arrays of strings, finite non-negative-zero numbers, booleans and
 *              null; no shared or cyclic references, no `toJSON`): JSON text, UTF-8
 *   T_V8       anything else: the V8 value serializer (Map, Date, typed arrays,
 *              undefined, bigint, shared references, cycles, ...)
 *
 * Encoding writes into a scratch buffer owned by this module: the result is
 * valid until the next `encodeItem` call on this thread (copy it to keep it).
 */
import { builtin } from '../core/builtin.js';

type V8 = typeof import('node:v8');
let v8: V8 | undefined;
const v8mod = (): V8 => (v8 ??= builtin<V8>('node:v8'));

/** First byte of an encoded item: how the rest is encoded. */
export const T_V8 = 0,
  T_JSON = 1,
  T_NUMBER = 2,
  T_STRING = 3,
  T_TRUE = 4,
  T_FALSE = 5,
  T_NULL = 6,
  T_UNDEFINED = 7;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let scratch = new Uint8Array(4096);
let scratchView = new DataView(scratch.buffer);
let readScratch = new Uint8Array(4096);

function room(n: number): void {
  if (scratch.length >= n) return;
  scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  scratchView = new DataView(scratch.buffer);
}

const seen: object[] = [];
const MAX_OBJECTS = 256;

/** True if JSON round-trips `v` exactly (see above). Fills `seen` as it goes. */
function jsonSafe(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (depth > 32 || seen.length >= MAX_OBJECTS || seen.includes(v)) return false;
      seen.push(v);
      if (Array.isArray(v)) {
        const n = v.length;
        if (Object.keys(v).length !== n) return false; // holes or extra properties
        for (let i = 0; i < n; i++) if (!jsonSafe(v[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in v) return false;
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        if (keys[i] === '__proto__' || !jsonSafe((v as Record<string, unknown>)[keys[i]!], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function utf8(tag: number, s: string): Uint8Array {
  room(1 + s.length * 3);
  scratch[0] = tag;
  const { written } = encoder.encodeInto(s, scratch.subarray(1));
  return scratch.subarray(0, 1 + written!);
}

function one(tag: number): Uint8Array {
  scratch[0] = tag;
  return scratch.subarray(0, 1);
}

/**
 * Encodes `item` (structured clone semantics). The result is a view of a scratch
 * buffer, valid until the next call on this thread.
 * @throws what the V8 serializer throws for an uncloneable value (DataCloneError).
 */
export function encodeItem(item: unknown): Uint8Array {
  switch (typeof item) {
    case 'number':
      room(9);
      scratch[0] = T_NUMBER;
      scratchView.setFloat64(1, item, true);
      return scratch.subarray(0, 9);
    case 'string':
      return utf8(T_STRING, item);
    case 'boolean':
      return one(item ? T_TRUE : T_FALSE);
    case 'undefined':
      return one(T_UNDEFINED);
    case 'object': {
      if (item === null) return one(T_NULL);
      let safe: boolean;
      try {
        safe = jsonSafe(item, 0);
      } finally {
        seen.length = 0;
      }
      if (safe) return utf8(T_JSON, JSON.stringify(item));
    }
  }
  const ser = new (v8mod().Serializer)();
  ser.writeHeader();
  ser.writeValue(item);
  const body = ser.releaseBuffer();
  room(1 + body.length);
  scratch[0] = T_V8;
  scratch.set(body, 1);
  return scratch.subarray(0, 1 + body.length);
}

/** A non-shared buffer of at least `n` bytes to copy an encoded item into before decoding it. */
export function readBuffer(n: number): Uint8Array {
  if (readScratch.length < n) readScratch = new Uint8Array(Math.max(n, readScratch.length * 2));
  return readScratch;
}

/** Decodes what `encodeItem` produced (`bytes` must not be shared memory). */
export function decodeItem(bytes: Uint8Array): unknown {
  switch (bytes[0]) {
    case T_NUMBER:
      return new DataView(bytes.buffer, bytes.byteOffset + 1, 8).getFloat64(0, true);
    case T_STRING:
      return decoder.decode(bytes.subarray(1));
    case T_JSON:
      return JSON.parse(decoder.decode(bytes.subarray(1)));
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NULL:
      return null;
    case T_UNDEFINED:
      return undefined;
    default: {
      const des = new (v8mod().Deserializer)(bytes.subarray(1));
      des.readHeader();
      return des.readValue();
    }
  }
}
