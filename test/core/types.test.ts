/**
 * Type tests for typed task refs. `npm run typecheck` (tsc -p test/tsconfig.json)
 * checks this file: every `@ts-expect-error` must be an error, everything else must
 * compile. At run time it also runs a few of the same calls, so the types describe
 * what really comes back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadPoolExecutor, AsyncExecutor, type Future, wait, asCompleted, type Executor } from 'weft/futures';
import { defineTasks, tasksFrom, transfer, currentSignal, type TaskRef } from 'weft';
import tasks from '../fixtures/tasks.mjs';
import { installExitGuard, guard } from '../contracts/helpers.ts';

// ---- type-level helpers ----------------------------------------------------
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

// A task table declared here: defineTasks infers each ref's arguments and result.
function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
const local = defineTasks(import.meta.url, {
  fib,
  async greet(name: string, times?: number): Promise<string> {
    return `hi ${name}`.repeat(times ?? 1);
  },
  pair(a: string, b: boolean): [string, boolean] {
    return [a, b];
  },
  nothing(): void {},
});

expectType<Equal<typeof local.fib, TaskRef<[n: number], number>>>();
expectType<Equal<ReturnType<typeof local.greet>, Promise<string>>>();

const plain = tasksFrom<typeof import('../fixtures/plain.mjs')>(new URL('../fixtures/plain.mjs', import.meta.url));

/** Never called: only type-checked. */
async function typeOnly(pool: Executor): Promise<void> {
  // submit: Future of the awaited result
  const n: number = await pool.submit(local.fib, 30);
  const fn: Future<number> = pool.submit(local.fib, 30);
  expectType<Equal<typeof fn, Future<number>>>();
  const g = pool.submit(local.greet, 'x');
  expectType<Equal<typeof g, Future<string>>>();
  pool.submit(local.greet, 'x', 2);
  const p = pool.submit(local.pair, 'a', true);
  expectType<Equal<typeof p, Future<[string, boolean]>>>();
  const v = pool.submit(local.nothing);
  expectType<Equal<typeof v, Future<void>>>();

  // @ts-expect-error wrong argument type
  pool.submit(local.fib, 'thirty');
  // @ts-expect-error missing argument
  pool.submit(local.fib);
  // @ts-expect-error too many arguments
  pool.submit(local.fib, 1, 2);
  // @ts-expect-error result is a number, not a string
  const s: string = await pool.submit(local.fib, 1);
  // @ts-expect-error second argument must be a boolean
  pool.submit(local.pair, 'a', 'b');

  // run: args as a tuple
  const r: Future<number> = pool.run(local.fib, [3], { timeout: 100, signal: AbortSignal.timeout(10) });
  // @ts-expect-error args tuple of the wrong type
  pool.run(local.fib, ['3']);
  // @ts-expect-error unknown option
  pool.run(local.fib, [3], { timeuot: 1 });

  // map: awaited as an array, iterated as values
  const arr: number[] = await pool.map(local.fib, [1, 2, 3]);
  for await (const x of pool.map(local.fib, [1, 2, 3], { ordered: false, chunksize: 'auto', buffersize: 4 })) {
    expectType<Equal<typeof x, number>>();
  }
  async function* gen() {
    yield 1;
  }
  const fromAsync: number[] = await pool.map(local.fib, gen());
  // @ts-expect-error items of the wrong type
  pool.map(local.fib, ['a']);
  // @ts-expect-error chunksize must be a number or 'auto'
  pool.map(local.fib, [1], { chunksize: 'big' });

  // inline functions are typed by their own signature
  const sum = pool.submit((a: number, b: number) => a + b, 1, 2);
  expectType<Equal<typeof sum, Future<number>>>();
  const asyncInline = pool.submit(async (s2: string) => s2.length, 'abc');
  expectType<Equal<typeof asyncInline, Future<number>>>();
  // @ts-expect-error inline argument of the wrong type
  pool.submit((a: number) => a, 'x');

  // tasksFrom: refs to the function exports of a module type
  const d = pool.submit(plain.double, 2);
  expectType<Equal<typeof d, Future<number>>>();
  const gr = pool.submit(plain.greet, 'you');
  expectType<Equal<typeof gr, Future<string>>>();
  // @ts-expect-error a non-function export is not a task
  plain.notAFunction;

  // transfer keeps the value's type
  const buf = new Uint8Array(4);
  const t: Uint8Array = transfer(buf, [buf.buffer]);

  // wait / asCompleted keep the element type
  const { done, notDone } = await wait([fn, Promise.resolve(1)]);
  expectType<Equal<typeof done, Set<Future<number>>>>();
  // (iterate with next(): `for await` types its variable as Awaited<Future<T>> = T, since a Future is thenable)
  const it = asCompleted([fn]);
  const first = await it.next();
  if (!first.done) {
    const k: number = first.value.result();
    void k;
  }

  // Future API
  const state: 'pending' | 'running' | 'cancelled' | 'finished' = fn.state;
  fn.addDoneCallback((f) => {
    const k: number = f.result();
    void k;
  });
  const removed: number = fn.removeDoneCallback(() => {});
  const sig: AbortSignal = currentSignal();

  // stats
  const st = pool.stats();
  const nums: number[] = [st.workers, st.busy, st.idle, st.queued, st.submitted, st.completed, st.failed, st.cancelled, st.utilization];

  // constructors
  new ThreadPoolExecutor({
    maxWorkers: 2,
    minWorkers: 1,
    idleTimeout: 1000,
    initializer: local.nothing,
    initargs: [],
    maxQueue: 10,
    cancelGrace: 100,
    name: 'p',
    resourceLimits: { maxOldGenerationSizeMb: 64 },
  });
  new AsyncExecutor({ maxConcurrency: 4 });
  // @ts-expect-error maxWorkers is a number
  new ThreadPoolExecutor({ maxWorkers: '4' });

  void [n, s, r, arr, fromAsync, t, notDone, state, removed, sig, nums];
}
void typeOnly;

describe('typed task refs', { timeout: 60_000 }, () => {
  installExitGuard();

  it('the typed calls return what their types say', async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    const n: number = await guard(pool.submit(tasks.fib, 20), 'fib');
    assert.equal(n, 6765);
    const all: number[] = await guard(pool.map(tasks.fib, [10, 11, 12]), 'map fib');
    assert.deepEqual(all, [55, 89, 144]);
    const doubled: number = await guard(pool.submit(plain.double, 21), 'plain.double');
    assert.equal(doubled, 42);
    assert.equal(local.fib(10), 55, 'a ref is callable locally');
    assert.equal(local.fib.module, import.meta.url);
  });
});
