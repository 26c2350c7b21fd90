import { describe } from '../core/errors.js';
import { fn } from '../core/options.js';
import { Queue, type QueueOptions } from './queue.js';

const PQ_KEYS = ['maxsize', 'compare'] as const;

/**
 * Python's order for the items of a PriorityQueue without `compare`: numbers (and
 * bigints, booleans) numerically, strings by code units, Dates by time, and arrays
 * (Python's tuples) lexicographically, element by element with this same order, a
 * shorter prefix first. `[2, 'two']` comes before `[10, 'ten']`.
 */
export function naturalOrder(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = a.length < b.length ? a.length : b.length;
    for (let i = 0; i < n; i++) {
      const c = naturalOrder(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** What the natural order can compare: 'number' (bigints, booleans), 'string', 'date', 'array'; else undefined. */
function kindOf(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number':
    case 'bigint':
    case 'boolean':
      return 'number';
    case 'string':
      return 'string';
    case 'object':
      return Array.isArray(v) ? 'array' : v instanceof Date ? 'date' : undefined;
    default:
      return undefined;
  }
}

/**
 * A queue that returns the smallest item first (Python's `asyncio.PriorityQueue`),
 * by `compare`. Without one, items are ordered as Python orders them: numbers
 * numerically, strings, Dates, and arrays (Python's `(priority, data)` tuples)
 * element by element, so `[2, 'two']` comes before `[10, 'ten']`; an item of another
 * kind is a TypeError. Items with equal priority come out in no guaranteed order, as
 * with `heapq`.
 *
 * @example
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([10, 'low']); q.putNowait([2, 'high']);
 * q.getNowait(); // [2, 'high']
 */
export class PriorityQueue<T> extends Queue<T> {
  /** @internal binary heap */ declare _heap: T[];
  /** @internal */ declare _cmp: (a: T, b: T) => number;

  /** @param opts `maxsize`, `compare`. @throws TypeError if compare is not a function. */
  constructor(opts?: QueueOptions & { compare?: (a: T, b: T) => number }) {
    super(opts);
    this._cmp = fn<(a: T, b: T) => number>('PriorityQueue(opts)', 'compare', opts?.compare) ?? naturalOrder;
  }

  /** @internal */ override _init(): void {
    this._heap = [];
  }
  /** @internal */ override _optionKeys(): readonly string[] {
    return PQ_KEYS;
  }

  /**
   * @internal Without `compare`, only items the natural order can rank are accepted, and
   * all of one kind (Python raises TypeError for `'<' not supported` too).
   */
  override _check(item: T): void {
    if (this._cmp !== naturalOrder) return;
    const k = kindOf(item);
    const h = this._heap;
    const other = h.length > 0 ? kindOf(h[0]) : k;
    if (k === undefined || k !== other) {
      throw new TypeError(
        `PriorityQueue cannot order ${describe(item)}${k === undefined ? '' : ` among ${other} items`} without a compare function: ` +
          'pass new PriorityQueue({ compare: (a, b) => ... })',
      );
    }
  }
  /** @internal */ override _size(): number {
    return this._heap.length;
  }
  /** @internal */ override _clear(): void {
    this._heap.length = 0;
  }
  /** @internal */ override _putBack(item: T): void {
    this._put(item);
  }

  /** @internal */
  override _put(item: T): void {
    const h = this._heap;
    const cmp = this._cmp;
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cmp(item, h[p]!) >= 0) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  /** @internal */
  override _get(): T {
    const h = this._heap;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      const cmp = this._cmp;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && cmp(h[r]!, h[l]!) < 0 ? r : l;
        if (cmp(h[c]!, last) >= 0) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
