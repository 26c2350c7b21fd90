import { describe } from '../core/errors.js';
import { Queue, type QueueOptions } from './queue.js';

function naturalOrder(a: unknown, b: unknown): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * A queue that returns the smallest item first (Python's `asyncio.PriorityQueue`),
 * by `compare` (default: `<` on the items, e.g. numbers or strings; for Python's
 * `(priority, data)` tuples pass `(a, b) => a[0] - b[0]`). Items with equal priority
 * come out in no guaranteed order, as with `heapq`.
 *
 * @example
 * const q = new PriorityQueue<[number, string]>({ compare: (a, b) => a[0] - b[0] });
 * q.putNowait([2, 'low']); q.putNowait([1, 'high']);
 * q.getNowait(); // [1, 'high']
 */
export class PriorityQueue<T> extends Queue<T> {
  /** @internal binary heap */ declare _heap: T[];
  /** @internal */ declare _cmp: (a: T, b: T) => number;

  /** @param opts `maxsize`, `compare`. @throws TypeError if compare is not a function. */
  constructor(opts?: QueueOptions & { compare?: (a: T, b: T) => number }) {
    super(opts);
    const c = opts?.compare;
    if (c !== undefined && typeof c !== 'function')
      throw new TypeError(`PriorityQueue compare must be a function (a, b) => number, got ${describe(c)}`);
    this._cmp = c ?? naturalOrder;
  }

  /** @internal */ override _init(): void {
    this._heap = [];
  }
  /** @internal */ override _size(): number {
    return this._heap.length;
  }
  /** @internal */ override _clear(): void {
    this._heap.length = 0;
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
