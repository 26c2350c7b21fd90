/**
 * A growable ring buffer (FIFO deque): O(1) push/shift without Array.shift's O(n)
 * copy. Used by asyncio Queue and asCompleted.
 */
export class Ring<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private mask: number;
  /** Number of items. */
  length = 0;

  constructor(capacity = 16) {
    let c = 16;
    while (c < capacity) c <<= 1;
    this.buf = new Array<T | undefined>(c);
    this.mask = c - 1;
  }

  push(item: T): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  /** Adds an item at the front (it becomes the oldest). */
  unshift(item: T): void {
    if (this.length === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = item;
    this.length++;
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const i = this.head;
    const v = this.buf[i];
    this.buf[i] = undefined;
    this.head = (i + 1) & this.mask;
    this.length--;
    return v;
  }

  /** Removes and returns the newest item (undefined when empty). */
  pop(): T | undefined {
    if (this.length === 0) return undefined;
    this.length--;
    const i = (this.head + this.length) & this.mask;
    const v = this.buf[i];
    this.buf[i] = undefined;
    return v;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.buf[this.head];
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const old = this.buf;
    const n = old.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < n; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}
