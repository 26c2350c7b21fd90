/**
 * Errors across threads and processes.
 *
 * Structured clone keeps only part of an Error (no own properties, no custom
 * class, the cause only on newer V8), so errors travel as plain records:
 * class name, name, message, the remote stack, cause (recursively) and own
 * enumerable properties. On arrival, built-in classes and weft's own error
 * classes are rebuilt as those classes; any other class comes back as an Error
 * whose `name` is the original one.
 */
import * as weftErrors from '../core/errors.js';

export interface SerializedError {
  $weftError: 1;
  ctor: string;
  name: string;
  message: string;
  stack: string | undefined;
  cause?: unknown;
  hasCause: boolean;
  errors?: unknown[];
  props?: Record<string, unknown>;
}

const BUILTINS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};
const KNOWN: Record<string, unknown> = { ...BUILTINS, AggregateError, ...weftErrors };
const SKIP = new Set(['name', 'message', 'stack', 'cause', 'errors']);

/** Turns any thrown value into something structured clone keeps intact. */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return encodeThrownValue(err);
  let ctor = err.constructor?.name ?? 'Error';
  if (!(ctor in KNOWN)) ctor = err.name in KNOWN ? err.name : 'Error';
  const out: SerializedError = {
    $weftError: 1,
    ctor,
    name: String(err.name),
    message: String(err.message),
    stack: typeof err.stack === 'string' ? err.stack : undefined,
    hasCause: 'cause' in err,
  };
  if (out.hasCause) out.cause = depth < 8 ? serializeError(err.cause, depth + 1) : String(err.cause);
  if (err instanceof AggregateError) out.errors = err.errors.map((e) => serializeError(e, depth + 1));
  for (const key of Object.keys(err)) {
    if (SKIP.has(key)) continue;
    const v = (err as any)[key];
    if (typeof v === 'function' || typeof v === 'symbol') continue;
    (out.props ??= {})[key] = v instanceof Error ? serializeError(v, depth + 1) : clonable(v);
  }
  return out;
}

/**
 * A property value as it can cross: as it is when structured clone takes it,
 * else (an axios-style `err.config` holding functions, a socket...) a JSON-ish
 * copy without the parts that cannot travel, so the error itself still arrives.
 */
function clonable(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  try {
    structuredClone(v);
    return v;
  } catch {
    try {
      return JSON.parse(
        JSON.stringify(v, (_k, x) => (typeof x === 'function' || typeof x === 'symbol' || typeof x === 'bigint' ? undefined : x)),
      );
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
}

function encodeThrownValue(v: unknown): unknown {
  // Thrown non-errors (strings, numbers, plain objects) cross as they are when they can.
  if (typeof v === 'function' || typeof v === 'symbol')
    return {
      $weftError: 1,
      ctor: 'Error',
      name: 'Error',
      message: `A task threw a ${typeof v}: ${String(v)}`,
      stack: undefined,
      hasCause: false,
    } satisfies SerializedError;
  return v;
}

export function isSerializedError(v: unknown): v is SerializedError {
  return v !== null && typeof v === 'object' && (v as any).$weftError === 1;
}

/** Rebuilds an error serialized by {@link serializeError}. Other values come back as they are. */
export function deserializeError(v: unknown): unknown {
  if (!isSerializedError(v)) return v;
  const Ctor = KNOWN[v.ctor] as any;
  let err: any;
  if (v.ctor === 'AggregateError' || v.ctor === 'ExceptionGroup') {
    err = new Ctor((v.errors ?? []).map(deserializeError));
    // The message as it was: a group's constructor would add its "(N sub-exceptions)" again.
    Object.defineProperty(err, 'message', { value: v.message, writable: true, configurable: true, enumerable: false });
  } else if (Ctor && (Ctor === Error || Object.values(BUILTINS).includes(Ctor))) {
    err = new Ctor(v.message);
  } else if (Ctor) {
    err = Object.create(Ctor.prototype);
    Object.defineProperty(err, 'message', { value: v.message, writable: true, configurable: true, enumerable: false });
  } else err = new Error(v.message);
  if (err.name !== v.name) Object.defineProperty(err, 'name', { value: v.name, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(err, 'stack', {
    value: v.stack ?? `${v.name}: ${v.message}`,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (v.hasCause)
    Object.defineProperty(err, 'cause', { value: deserializeError(v.cause), writable: true, configurable: true, enumerable: false });
  if (v.props) for (const [k, val] of Object.entries(v.props)) err[k] = deserializeError(val);
  if (v.ctor === 'WorkerCrashedError') {
    // readonly fields set by the constructor we skipped
    err.exitCode ??= null;
    err.signal ??= null;
  }
  return err;
}
