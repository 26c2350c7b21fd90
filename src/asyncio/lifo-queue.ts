import { Queue } from './queue.js';

/**
 * A last-in, first-out queue (Python's `asyncio.LifoQueue`): `get()` returns the most
 * recently put item.
 *
 * @example
 * const s = new LifoQueue<number>();
 * s.putNowait(1); s.putNowait(2);
 * s.getNowait(); // 2
 */
export class LifoQueue<T> extends Queue<T> {
  /** @internal */ declare _stack: T[];
  /** @internal */ override _init(): void {
    this._stack = [];
  }
  /** @internal */ override _put(item: T): void {
    this._stack.push(item);
  }
  /** @internal */ override _get(): T {
    return this._stack.pop() as T;
  }
  /** @internal */ override _size(): number {
    return this._stack.length;
  }
  /** @internal the item a cancelled getter gives back was the newest */
  override _putBack(item: T): void {
    this._stack.push(item);
  }
  /** @internal */ override _clear(): void {
    this._stack.length = 0;
  }
}
