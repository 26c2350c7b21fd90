/**
 * The soak mixture: one round of mixed load on a ThreadPoolExecutor, a
 * ProcessPoolExecutor (2 workers each) and an AsyncExecutor, plus asyncio and
 * threading primitives. Shared by the manual soak (bench/soak.ts, minutes) and the
 * bounded test (test/futures/soak.test.ts, seconds).
 *
 * Every future it makes is registered with the class of outcome it must end with
 * (a value, RangeError, CancelledError, TimeoutError, WorkerCrashedError); an
 * outcome of another class is recorded in `mismatches`, and `pending` holds the
 * futures not settled yet. Nothing here measures time: the callers sample memory
 * between rounds.
 */
import { getEventListeners } from 'node:events';
import {
  AsyncExecutor,
  CancelledError,
  FIRST_COMPLETED,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  TimeoutError,
  WorkerCrashedError,
  asCompleted,
  createTask,
  currentSignal,
  sleep,
  timeout,
  wait,
  type Future,
} from 'weft';
import { Lock, Queue, Semaphore } from 'weft/asyncio';
import * as threading from 'weft/threading';
import tasks from '../fixtures/lifecycle-tasks.mjs';
import ttasks from '../fixtures/threading-tasks.mjs';
import { disposeBoard, makeBoard, type Board } from '../fixtures/board.mjs';
import { fullGc } from './gc.ts';
import { workersOf } from './helpers.ts';

/** Heap used after forced full GCs (no `--expose-gc` needed: see gc.ts). */
export function heapAfterGc(): number {
  fullGc();
  return process.memoryUsage().heapUsed;
}

/** The class of outcome a future must end with. */
export type Expect = 'ok' | 'raise' | 'cancel' | 'timeout' | 'crash';

interface Tracked {
  kind: Expect;
  value: unknown;
  what: string;
}

const rand = (a: number, b: number) => a + Math.floor(Math.random() * (b - a + 1));
const chance = (p: number) => Math.random() < p;
const BOARD = 64; // counters of a board (tasks write counter i % BOARD: the soak checks outcomes, not counts)

/**
 * Inline functions of 600 different sources, taken in turn: more than a pool keeps
 * timings for (256), so they come and go. A fixed set, made once: V8 keeps every
 * distinct `new Function` source it compiled (here too), so ever new ones would make
 * this process's own heap grow.
 */
const INLINES = 600;
const inlines: ((x: number) => number)[] = [];
function inlineNo(k: number): (x: number) => number {
  return (inlines[k % INLINES] ??= new Function('x', `return x + ${k % INLINES}; // soak`) as (x: number) => number);
}

/** What {@link Soak.structures} reports: sizes that must not grow with the tasks run. */
export interface Structures {
  /** 'abort' listeners on the long-lived signal (0 between rounds). */
  longLivedListeners: number;
  /** Timing records the pools keep (per task function). */
  threadFnStats: number;
  processFnStats: number;
  /** Slots of the AsyncExecutor's queue (about what waits, never what ran). */
  asyncQueueSlots: number;
  /** Maps still registered on the thread pool. */
  threadMaps: number;
  /** Futures not settled yet. */
  pending: number;
}

export interface SoakOptions {
  /** Run the process pool part (default true). */
  processes?: boolean;
  /** Scale of a round (1: about 1000 tasks). */
  scale?: number;
}

export class Soak {
  readonly threads = new ThreadPoolExecutor({ maxWorkers: 2, cancelGrace: 50 });
  readonly processes: ProcessPoolExecutor | undefined;
  readonly async = new AsyncExecutor({ maxConcurrency: 4 });
  /** A signal that never aborts, used by many waits and tasks: listeners must not pile up on it. */
  readonly longLived = new AbortController();
  /** Futures and map items submitted so far. */
  tasks = 0;
  /** Outcomes by class. */
  readonly outcomes: Record<string, number> = {};
  /** Futures that ended with an outcome of the wrong class (at most 20 kept). */
  readonly mismatches: string[] = [];
  /** Futures not settled yet, with what they are. */
  readonly pending = new Map<PromiseLike<unknown>, string>();
  /** Every child pid seen. */
  readonly pids = new Set<number>();
  private readonly tBoard: Board = makeBoard(BOARD);
  private readonly pBoard: Board;
  private readonly scale: number;
  private inlineSeq = 0;
  private seq = 0;
  private streaming = true;
  private stream: Promise<unknown>[] = [];

  constructor(opts: SoakOptions = {}) {
    this.scale = opts.scale ?? 1;
    if (opts.processes ?? true) {
      this.processes = new ProcessPoolExecutor({ maxWorkers: 2, cancelGrace: 100 });
      this.pBoard = makeBoard(BOARD, 'dir');
    } else this.pBoard = makeBoard(1);
    // A steady stream on the AsyncExecutor: its queue never drains while the soak runs
    // (a service under sustained load), so what the queue keeps per task shows.
    for (let k = 0; k < 4; k++) this.stream.push(this.streamLoop());
  }

  /** Keeps about 25 jobs queued behind the AsyncExecutor's 4 running ones until close(). */
  private async streamLoop(): Promise<void> {
    const inFlight: Future<unknown>[] = [];
    while (this.streaming) {
      while (inFlight.length < 8) {
        const i = this.seq++;
        const f = this.async.submit(napping, rand(0, 2), i); // (a timer: a stream of microtasks alone would starve the event loop)
        this.track(f, 'ok', i, `async stream ${i}`);
        inFlight.push(f);
      }
      await inFlight.shift()!.then(undefined, () => {});
    }
    await settleAll(inFlight);
  }

  /** Registers `f` with the outcome it must end with; returns the record (its kind may change: a cancel that took). */
  private track(f: PromiseLike<unknown>, kind: Expect, value: unknown, what: string): Tracked {
    const t: Tracked = { kind, value, what };
    this.tasks++;
    this.pending.set(f, what);
    const done = (ok: boolean, v: unknown) => {
      this.pending.delete(f);
      const got = classify(ok, v);
      this.outcomes[got] = (this.outcomes[got] ?? 0) + 1;
      const bad =
        got !== t.kind
          ? `expected ${t.kind}, got ${got}${ok ? '' : ` (${describeErr(v)})`}`
          : ok && t.value !== undefined && JSON.stringify(v) !== JSON.stringify(t.value)
            ? `expected ${JSON.stringify(t.value)}, got ${JSON.stringify(v)}`
            : undefined;
      if (bad !== undefined && this.mismatches.length < 20) this.mismatches.push(`${t.what}: ${bad}`);
    };
    Promise.resolve(f).then(
      (v) => done(true, v),
      (e) => done(false, e),
    );
    return t;
  }

  /** Cancels `f` now; if that took, `t` must end cancelled. */
  private cancel(f: Future<unknown>, t: Tracked): void {
    if (f.cancel()) t.kind = 'cancel';
  }

  /** One round of everything; resolves once every future of the round has settled. */
  async round(): Promise<void> {
    const parts = [this.poolRound(this.threads, this.tBoard, 'threads'), this.asyncRound(), this.asyncioRound()];
    if (this.processes) parts.push(this.poolRound(this.processes, this.pBoard, 'processes'));
    await Promise.all(parts);
    await this.threadingRound();
    if (this.processes) for (const w of workersOf(this.processes)) if (w.threadId > 0) this.pids.add(w.threadId);
  }

  /** Quick tasks, throws, cancels (queued and running), timeouts, crashes, maps returned early, wait / asCompleted. */
  private async poolRound(pool: ThreadPoolExecutor | ProcessPoolExecutor, b: Board, name: string): Promise<void> {
    const procs = name === 'processes';
    const n = Math.round((procs ? 200 : 500) * this.scale);
    const fs: Future<unknown>[] = [];
    const slow: { f: Future<unknown>; t: Tracked }[] = [];
    for (let k = 0; k < n; k++) {
      const i = this.seq++;
      const r = Math.random();
      let f: Future<unknown>;
      let t: Tracked;
      if (r < 0.8) {
        f = chance(0.2) ? pool.run(tasks.step, [b, i % BOARD], { signal: this.longLived.signal }) : pool.submit(tasks.step, b, i % BOARD);
        t = this.track(f, 'ok', i % BOARD, `${name} quick ${i}`);
        if (chance(0.1)) this.cancel(f, t); // before it starts (or, rarely, while it runs)
      } else if (r < 0.85) {
        f = pool.submit(tasks.step, b, i % BOARD, 'throw');
        t = this.track(f, 'raise', undefined, `${name} throw ${i}`);
      } else if (r < 0.93) {
        f = pool.submit(tasks.step, b, i % BOARD, 'wait', rand(5, 30));
        t = this.track(f, 'ok', i % BOARD, `${name} wait ${i}`);
        slow.push({ f, t });
      } else {
        f = pool.run(tasks.step, [b, i % BOARD, 'wait', 5000], { timeout: rand(5, 20), signal: this.longLived.signal });
        t = this.track(f, 'timeout', undefined, `${name} timeout ${i}`);
      }
      fs.push(f);
    }
    // A task that crashes its worker; threads also get one that never ends (killed at its timeout).
    fs.push(this.track0(pool.submit(tasks.step, b, 0, 'exit'), 'crash', `${name} exit`));
    if (!procs) {
      const stuck = pool.run(tasks.step, [b, 0, 'stuck'], { timeout: rand(10, 30) });
      this.track(stuck, 'timeout', undefined, `${name} stuck`);
      fs.push(stuck);
    }
    // Cancels at random moments while the slow ones run.
    const canceller = (async () => {
      for (const { f, t } of slow) {
        if (!chance(0.5)) continue;
        await sleep(rand(0, 5));
        this.cancel(f, t);
      }
    })();
    // A few inline functions of changing sources, and a map returned early.
    for (let j = 0; j < 4; j++) {
      const k = this.inlineSeq++;
      this.track(pool.submit(inlineNo(k), 1), 'ok', 1 + (k % INLINES), `${name} inline ${k % INLINES}`);
    }
    const items = Math.round(2000 * this.scale);
    const m = pool.map((x: number) => x * 2, range(items), chance(0.5) ? { signal: this.longLived.signal } : {});
    let got = 0;
    for await (const v of m) {
      if (v !== got * 2 && this.mismatches.length < 20) this.mismatches.push(`${name} map item ${got}: ${v}`);
      if (++got >= 50) break;
    }
    this.tasks += got;
    const all = pool.map((x: number) => -x, range(200), { ordered: chance(0.5) });
    this.track(
      all.then((a) => a.length),
      'ok',
      200,
      `${name} map`,
    );
    // wait / asCompleted on what is in flight.
    const some = fs.slice(0, 20);
    const w = await wait(some, { returnWhen: FIRST_COMPLETED, timeout: 50 });
    if (w.done.size + w.notDone.size !== new Set(some).size && this.mismatches.length < 20) this.mismatches.push(`${name} wait: sets`);
    let seen = 0;
    for await (const _ of asCompleted(fs.slice(20, 60), { signal: this.longLived.signal })) if (++seen >= 10) break;
    await canceller;
    await settleAll(fs);
    await all.then(undefined, () => {});
  }

  /** The same on the AsyncExecutor. */
  private async asyncRound(): Promise<void> {
    const ex = this.async;
    const n = Math.round(400 * this.scale);
    const fs: Future<unknown>[] = [];
    for (let k = 0; k < n; k++) {
      const i = this.seq++;
      const r = Math.random();
      if (r < 0.7) {
        const f = ex.submit(async (x: number) => x, i);
        const t = this.track(f, 'ok', i, `async quick ${i}`);
        if (chance(0.1)) this.cancel(f, t);
        fs.push(f);
      } else if (r < 0.8) {
        fs.push(
          this.track0(
            ex.submit(async () => Promise.reject(new RangeError('no'))),
            'raise',
            `async throw ${i}`,
          ),
        );
      } else if (r < 0.9) {
        const f = ex.run(napping, [rand(1, 10), i], { signal: this.longLived.signal });
        const t = this.track(f, 'ok', i, `async nap ${i}`);
        fs.push(f);
        if (chance(0.5)) setTimeout(() => this.cancel(f, t), rand(0, 8));
      } else {
        fs.push(this.track0(ex.run(napping, [1000, i], { timeout: rand(1, 10) }), 'timeout', `async timeout ${i}`));
      }
    }
    const m = ex.map(async (x: number) => x + 1, range(1000));
    let got = 0;
    for await (const v of m) {
      if (v !== got + 1 && this.mismatches.length < 20) this.mismatches.push(`async map item ${got}: ${v}`);
      if (++got >= 20) break;
    }
    this.tasks += got;
    await wait(fs.slice(0, 30), { returnWhen: FIRST_COMPLETED });
    let seen = 0;
    for await (const _ of asCompleted(fs.slice(30, 60))) if (++seen >= 5) break;
    await settleAll(fs);
  }

  private track0(f: Future<unknown>, kind: Expect, what: string): Future<unknown> {
    this.track(f, kind, undefined, what);
    return f;
  }

  /** asyncio Lock, Semaphore and Queue waited on by tasks, with timeouts and cancels at random moments. */
  private async asyncioRound(): Promise<void> {
    const lock = new Lock();
    const sem = new Semaphore(2);
    const q = new Queue<number>({ maxsize: 4 });
    let put = 0;
    let taken = 0;
    const ts = [];
    const n = Math.round(60 * this.scale);
    for (let k = 0; k < n; k++) {
      const t = createTask(async () => {
        for (let j = 0; j < 5; j++) {
          try {
            await timeout(rand(0, 3), async () => {
              using _l = await lock.acquire({ signal: this.longLived.signal });
              await sleep(rand(0, 1));
            });
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
          }
          try {
            using _s = await sem.acquire({ timeout: rand(1, 4), signal: this.longLived.signal });
            await sleep(0);
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
          }
          try {
            if (k % 2 === 0) {
              await q.put(k, { timeout: rand(1, 3) });
              put++;
            } else {
              await timeout(rand(1, 3), () => q.get());
              taken++;
            }
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
          }
        }
        return k;
      });
      const tr = this.track(t, 'ok', k, `asyncio task ${k}`);
      ts.push(t);
      if (chance(0.3)) setTimeout(() => t.cancel() && (tr.kind = 'cancel'), rand(0, 10));
    }
    await settleAll(ts);
    while (!q.empty()) {
      q.getNowait();
      taken++;
    }
    const st = q.statistics();
    if (lock.locked() || sem.value !== 2 || st.getters || st.putters || put !== taken)
      this.mismatches.push(
        `asyncio primitives after the round: locked ${lock.locked()}, semaphore ${sem.value}, getters ${st.getters}, putters ${st.putters}, put ${put} taken ${taken}`,
      );
  }

  /** threading Lock, Event and Queue between this thread and the pool's threads. */
  private async threadingRound(): Promise<void> {
    const pool = this.threads;
    const lock = new threading.Lock();
    const arr = new Int32Array(new SharedArrayBuffer(4));
    const inc = pool.submit(ttasks.incrementWithLock, lock, arr, 200);
    this.track(inc, 'ok', 200, 'threading lock task');
    for (let k = 0; k < 50; k++) {
      const g = await lock.acquire();
      arr[0] = arr[0]! + 1;
      g.release();
    }
    {
      // Held until the timed acquire has settled: it can only time out.
      const g = await lock.acquire();
      const late = lock.acquire({ timeout: rand(1, 3) });
      this.track(late, 'timeout', undefined, 'threading lock timeout');
      await late.then(
        (g2) => g2.release(),
        () => {},
      );
      g.release();
    }
    const ev = new threading.Event();
    const w = pool.submit(ttasks.waitEvent, ev, 10_000);
    this.track(
      w.then((info) => info.isMain),
      'ok',
      false,
      'threading event',
    );
    this.track(new threading.Event().wait({ timeout: rand(1, 3) }), 'timeout', undefined, 'threading event timeout');
    await sleep(rand(0, 2));
    ev.set();
    const tq = new threading.Queue<number | null>({ maxsize: 8 });
    const c = pool.submit(ttasks.consume, tq);
    this.track(
      c.then((got) => got.length),
      'ok',
      100,
      'threading queue',
    );
    for (let k = 0; k < 100; k++) await tq.put(k);
    await tq.put(null);
    await settleAll([inc, w, c]);
    if (arr[0] !== 250) this.mismatches.push(`threading lock: ${arr[0]} increments, expected 250`);
  }

  /** Live structures that must not grow with the number of tasks run. */
  structures(): Structures {
    const ls = (s: AbortSignal) => getEventListeners(s, 'abort').length;
    const pool = (p: object | undefined) => {
      if (p === undefined) return 0;
      let n = (p as any).inlineStats?.size ?? 0;
      for (const m of (p as any).fnStats.values()) n += m.size;
      return n;
    };
    return {
      longLivedListeners: ls(this.longLived.signal),
      threadFnStats: pool(this.threads),
      processFnStats: pool(this.processes),
      asyncQueueSlots: (this.async as any).queue.length,
      threadMaps: (this.threads as any)._maps.size as number,
      pending: this.pending.size,
    };
  }

  /** Stops the stream on the AsyncExecutor; resolves once its jobs have settled. */
  async quiesce(): Promise<void> {
    this.streaming = false;
    await settleAll(this.stream);
  }

  /** Shuts everything down and removes the boards. */
  async close(): Promise<void> {
    await this.quiesce();
    await Promise.all([
      this.threads.shutdown({ cancelFutures: true }),
      this.processes?.shutdown({ cancelFutures: true }),
      this.async.shutdown({ cancelFutures: true }),
    ]);
    disposeBoard(this.tBoard);
    disposeBoard(this.pBoard);
  }
}

/** An async task that naps `ms` (cut short by its signal), then returns `i`. */
async function napping(ms: number, i: number): Promise<number> {
  const s = currentSignal();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    s.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(s.reason);
      },
      { once: true },
    );
  });
  return i;
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

function settleAll(fs: PromiseLike<unknown>[]): Promise<unknown> {
  return Promise.allSettled(fs);
}

function classify(ok: boolean, v: unknown): Expect | string {
  if (ok) return 'ok';
  if (v instanceof CancelledError) return 'cancel';
  if (v instanceof TimeoutError) return 'timeout';
  if (v instanceof WorkerCrashedError) return 'crash';
  if (v instanceof RangeError) return 'raise';
  return `other (${describeErr(v)})`;
}

function describeErr(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
