import { Future, S, toCancelledError } from '../core/future.js';
import { setException, setResult } from '../core/internal.js';
import { bool, options } from '../core/options.js';
import { toFuture } from '../core/wait.js';

/** The Future `gather` returns: cancelling it cancels every child not yet done. */
class GatheringFuture<T> extends Future<T> {
  /** @internal */ _children: Future<unknown>[] = [];
  override _cancel(reason: unknown, wasRunning: boolean): boolean {
    for (const c of this._children) if (c._state < S.Cancelled) c.cancel(reason);
    return super._cancel(reason, wasRunning);
  }
}

/** A plain object after a list: the options of `gather(list, opts)` (checked: `{ return_exceptions }` is a TypeError). */
const GATHER_KEYS = ['returnExceptions'] as const;

function isGatherOptions(x: unknown): x is { returnExceptions?: boolean } {
  return (
    x !== null &&
    typeof x === 'object' &&
    !(x instanceof Future) &&
    typeof (x as PromiseLike<unknown>).then !== 'function' &&
    Object.getPrototypeOf(x) === Object.prototype
  );
}
function isIterableList(x: unknown): x is Iterable<unknown> {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as PromiseLike<unknown>).then !== 'function' &&
    typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

/**
 * Runs awaitables concurrently and collects their results in order (Python's
 * `asyncio.gather`). Two forms:
 * - `gather(a, b, c)`: results typed per position; the first failure rejects the
 *   gather (the others keep running, as in Python).
 * - `gather(iterable, { returnExceptions: true })`: failures (and CancelledErrors of
 *   cancelled children) take their place in the results instead.
 *
 * Cancelling the returned Future cancels every child Future/Task not yet done. Awaiting
 * it inside a task that gets cancelled cancels it too.
 *
 * @returns a Future of the results array.
 * @throws (as a rejection) the first child's error; CancelledError if a child was cancelled
 *   (without returnExceptions) or the gather was cancelled.
 *
 * @example
 * const [a, b] = await gather(count(), count());
 * const rs = await gather(urls.map(fetchText), { returnExceptions: true });
 */
export function gather<A>(aws: Iterable<A>, opts: { returnExceptions: true }): Future<(Awaited<A> | unknown)[]>;
export function gather<A>(aws: Iterable<A>, opts: { returnExceptions: boolean }): Future<Awaited<A>[]>;
export function gather<T extends readonly unknown[]>(
  ...aws: { [K in keyof T]: PromiseLike<T[K]> | T[K] }
): Future<{ -readonly [K in keyof T]: Awaited<T[K]> }>;
export function gather(...args: unknown[]): Future<unknown[]> {
  let items: unknown[];
  let returnExceptions = false;
  if (args.length === 2 && isGatherOptions(args[1]) && isIterableList(args[0])) {
    returnExceptions = bool('gather()', 'returnExceptions', options('gather(list, opts)', args[1], GATHER_KEYS).returnExceptions, false);
    items = [...args[0]];
  } else {
    if (
      args.length === 1 &&
      Array.isArray(args[0]) &&
      args[0].some((x) => x !== null && typeof (x as PromiseLike<unknown>)?.then === 'function')
    ) {
      // gather([t1, t2]) would resolve at once to [[t1, t2]] and leave the tasks unwatched.
      throw new TypeError(
        'gather() takes awaitables as separate arguments: gather(...tasks), ' +
          `or a list with options: gather(tasks, { returnExceptions }); got one array of ${args[0].length} items`,
      );
    }
    items = args;
  }
  const outer = new GatheringFuture<unknown[]>();
  const n = items.length;
  const results = new Array<unknown>(n);
  if (n === 0) {
    setResult(outer, results);
    return outer;
  }
  let remaining = n;
  const children = outer._children;
  for (let i = 0; i < n; i++) children.push(toFuture(items[i]));
  const onDone = (i: number, f: Future<unknown>): void => {
    if (outer._state >= S.Cancelled) return;
    if (f._state === S.Cancelled) {
      const err = toCancelledError(f._value);
      if (!returnExceptions) {
        setException(outer, err);
        return;
      }
      results[i] = err;
    } else if (f._failed) {
      if (!returnExceptions) {
        setException(outer, f._value);
        return;
      }
      results[i] = f._value;
    } else results[i] = f._value;
    if (--remaining === 0) setResult(outer, results);
  };
  for (let i = 0; i < n; i++) {
    const f = children[i]!;
    if (f._state >= S.Cancelled) onDone(i, f);
    else f.addDoneCallback((g) => onDone(i, g));
  }
  return outer;
}
