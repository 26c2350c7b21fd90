/**
 * Options and arguments: ONE set of rules for every weft API (executors,
 * primitives, Process, Pool, Thread, map, waits).
 *
 * - An options argument is `undefined` or a plain object; anything else is a
 *   TypeError that says what was given (an array gets a hint: `new Thread(fn,
 *   [2, 10])` meant `{ args: [2, 10] }`).
 * - An unknown key is a TypeError naming the accepted keys and the closest one
 *   (`max_workers` -> "did you mean maxWorkers?").
 * - A value of the wrong type is a TypeError, a value out of range a RangeError;
 *   both say what was given. The same mistake gets the same class everywhere.
 * - Timeouts and delays follow Python: `undefined` waits forever, zero or a
 *   negative number means "do not wait" (try once), any finite value is
 *   honoured exactly (core/timers.ts arms timers longer than 2^31-1 ms), and
 *   `Infinity` waits forever. NaN or a non-number is an error.
 *
 * Every checker takes `where` (what the user called: `ThreadPoolExecutor`,
 * `Queue.get()`), so the message names it.
 */
import { describe } from './errors.js';

/** What `options()` returns: the checked object, with every accepted key possibly present. */
export type Checked<K extends string> = { readonly [P in K]?: unknown };

const EMPTY: Checked<never> = Object.freeze({});

/**
 * Checks an options argument: `undefined` (returns an empty object) or a plain object
 * whose keys are all in `keys`.
 *
 * @param where what the user called, e.g. `'ThreadPoolExecutor'` or `'Queue.get()'`.
 * @param opts the argument as given.
 * @param keys the accepted keys.
 * @param hint for an array given instead of an object: which key it probably meant (e.g. `'args'`).
 * @throws TypeError for a non-object or an unknown key (naming the closest accepted one).
 */
export function options<K extends string>(where: string, opts: unknown, keys: readonly K[], hint?: K): Checked<K> {
  if (opts === undefined) return EMPTY;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    const tip = Array.isArray(opts) && hint !== undefined ? `; to pass an array, name it: { ${hint}: [...] }` : '';
    throw new TypeError(`${where} expects an options object, got ${describeValue(opts)}${tip}`);
  }
  for (const key in opts) {
    if (!(keys as readonly string[]).includes(key)) throw unknownKey(where, key, keys);
  }
  return opts as Checked<K>;
}

/** The TypeError for an unknown option key. */
export function unknownKey(where: string, key: string, keys: readonly string[]): TypeError {
  const near = closest(key, keys);
  const accepted = keys.length ? `accepted options: ${keys.join(', ')}` : 'it takes no options';
  return new TypeError(`${where}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}; ${accepted}`);
}

/**
 * The candidate closest to `name`: equal once case, `_` and `-` are ignored, or
 * within a small edit distance (about a third of its length). Undefined if none is close.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const n = norm(name);
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(n.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(n, norm(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Like `describe`, with arrays shown briefly. */
function describeValue(v: unknown): string {
  if (Array.isArray(v)) {
    const shown = v.length <= 4 ? v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ') : `${v.length} items`;
    return `an array [${shown}]`;
  }
  return describe(v);
}

// ── values ───────────────────────────────────────────────────────────────

/** Bounds of an integer option. */
export interface IntRule {
  /** Smallest accepted value (default 0). */
  min?: number;
  /** Largest accepted value (default Number.MAX_SAFE_INTEGER). */
  max?: number;
  /** Accept `Infinity` ("no limit"). */
  infinity?: boolean;
}

/**
 * An integer option: `dflt` when undefined.
 * @throws TypeError if not a number; RangeError if not an integer or out of bounds.
 */
export function int(where: string, name: string, v: unknown, dflt: number, rule: IntRule = {}): number {
  if (v === undefined) return dflt;
  const min = rule.min ?? 0;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be an integer, got ${describe(v)}`);
  if (v === Infinity && rule.infinity) return v;
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${where}: ${name} must be an integer ${range}${rule.infinity ? ' (or Infinity)' : ''}, got ${describe(v)}`);
  }
  return v;
}

/** A number option (finite, within bounds). */
export function num(where: string, name: string, v: unknown, dflt: number, min = -Infinity, max = Infinity): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${describe(v)}`);
  if (Number.isNaN(v) || v < min || v > max)
    throw new RangeError(`${where}: ${name} must be a number from ${min} to ${max}, got ${describe(v)}`);
  return v;
}

/** A boolean option. @throws TypeError for anything but true/false. */
export function bool(where: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${where}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** A string option. */
export function str(where: string, name: string, v: unknown): string | undefined;
export function str(where: string, name: string, v: unknown, dflt: string): string;
export function str(where: string, name: string, v: unknown, dflt?: string): string | undefined {
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new TypeError(`${where}: ${name} must be a string, got ${describe(v)}`);
  return v;
}

/** One of a fixed set of strings. @throws TypeError naming the accepted values (and the closest one). */
export function oneOf<T extends string>(where: string, name: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    const near = typeof v === 'string' ? closest(v, allowed) : undefined;
    throw new TypeError(
      `${where}: ${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(v)}` +
        (near ? ` (did you mean "${near}"?)` : ''),
    );
  }
  return v as T;
}

/** A function option. */
export function fn<F extends Function>(where: string, name: string, v: unknown): F | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') throw new TypeError(`${where}: ${name} must be a function, got ${describe(v)}`);
  return v as F;
}

/** An AbortSignal option. */
export function signal(where: string, name: string, v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof AbortSignal)) throw new TypeError(`${where}: ${name} must be an AbortSignal, got ${describe(v)}`);
  return v;
}

/** An array option (copied). */
export function array<T = unknown>(where: string, name: string, v: unknown): T[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new TypeError(`${where}: ${name} must be an array, got ${describe(v)}`);
  return [...v] as T[];
}

/** A plain object option (not an array, not null). */
export function record<T extends object>(where: string, name: string, v: unknown): T | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new TypeError(`${where}: ${name} must be an object, got ${describeValue(v)}`);
  return v as T;
}

// ── time ─────────────────────────────────────────────────────────────────

/**
 * A timeout or delay in milliseconds, Python's way: undefined and Infinity wait
 * forever (Infinity is returned), zero or negative means "do not wait" (0 is
 * returned), any finite value is kept exactly (timers.ts honours it past 2^31-1 ms).
 * @throws TypeError if not a number; RangeError for NaN.
 */
export function timeout(where: string, name: string, v: unknown): number {
  if (v === undefined) return Infinity;
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be a number of milliseconds, got ${describe(v)}`);
  if (Number.isNaN(v)) throw new RangeError(`${where}: ${name} must be a number of milliseconds, got NaN`);
  return v > 0 ? v : 0;
}

/**
 * A duration that must not be negative (a grace period, an idle timeout): like
 * `timeout` but a negative number is a RangeError.
 */
export function duration(where: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be a number of milliseconds, got ${describe(v)}`);
  if (Number.isNaN(v) || v < 0)
    throw new RangeError(`${where}: ${name} must be a number of milliseconds >= 0 (or Infinity), got ${describe(v)}`);
  return v;
}

/** The deadline (on `performance.now()`'s clock) `ms` from now; Infinity for none. */
export function deadlineIn(ms: number): number {
  return ms === Infinity ? Infinity : performance.now() + ms;
}

/** Milliseconds left until `deadline` (never negative; Infinity when there is none). */
export function msUntil(deadline: number): number {
  if (deadline === Infinity) return Infinity;
  const ms = deadline - performance.now();
  return ms > 0 ? ms : 0;
}
