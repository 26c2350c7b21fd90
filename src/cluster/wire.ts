/**
 * What travels between a ClusterExecutor and its nodes.
 *
 * Values cross as `v8.serialize` does them (Map, Set, Date, BigInt, typed
 * arrays, `undefined`: what a child process gets), never as JSON: BullMQ keeps
 * job data as JSON, so the encoded arguments ride inside it as one base64
 * string (1.33x, against 5x for a Buffer turned into JSON). Results come back
 * as raw bytes on the client's reply stream, and as base64 in the job's
 * return value for the sweep. Errors are serialized by transport/errors.ts,
 * the same records worker threads and child processes use.
 *
 *   job data   { t: task id, a: base64 args, c: 1 for a map chunk, o: timeout ms,
 *                r: client id (its reply stream), m: maxRetries, p: maxPayload }
 *   envelope   [OK, value] | [ERR, serialized error] | [CANCELLED]
 */
import { serialize, deserialize } from 'node:v8';
import { serializeError, deserializeError } from '../transport/errors.js';
import { CancelledError } from '../core/errors.js';

/** The data of one BullMQ job of weft. */
export interface JobData {
  /** Portable task id (task-id.ts). */
  t: string;
  /** Arguments: base64 of v8.serialize(args). For a chunk, args is [items]. */
  a: string;
  /** 1: run the task over the items in args[0] and answer [results, ms]. */
  c?: 1;
  /** Timeout in ms, counted from the start on the node. */
  o?: number;
  /** The client id: where the node sends the reply. */
  r: string;
  /** How many times a job whose node was lost runs again. */
  m: number;
  /** Largest encoded result accepted (bytes). */
  p: number;
}

export const OK = 0;
export const ERR = 1;
export const CANCELLED = 2;

export type Envelope = [typeof OK, unknown] | [typeof ERR, unknown] | [typeof CANCELLED];

/** Encodes an envelope; a value v8 cannot encode becomes an error envelope saying so. */
export function encodeEnvelope(env: Envelope, maxPayload: number): Buffer {
  let buf: Buffer;
  try {
    buf = serialize(env);
  } catch (err) {
    return serialize([ERR, serializeError(new TypeError(`The task's result cannot be sent back: ${(err as Error).message}`))]);
  }
  if (buf.length > maxPayload) {
    return serialize([
      ERR,
      serializeError(new RangeError(`The task's result encodes to ${fmtBytes(buf.length)}, over maxPayload (${fmtBytes(maxPayload)})`)),
    ]);
  }
  return buf;
}

/** An error as an envelope. */
export function errorEnvelope(err: unknown): Envelope {
  return [ERR, serializeError(err)];
}

/** What a client does with an envelope: a value, or an error to fail with. */
export function openEnvelope(buf: Buffer): { ok: true; value: unknown } | { ok: false; error: unknown } {
  const env = deserialize(buf) as Envelope;
  if (env[0] === OK) return { ok: true, value: env[1] };
  if (env[0] === ERR) return { ok: false, error: deserializeError(env[1]) };
  return { ok: false, error: new CancelledError('The task was cancelled on its node') };
}

/** `1.5 MiB`, `812 B`. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
