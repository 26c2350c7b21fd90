/**
 * `weft demo race`: the seeds' race condition. Threads add 1 to a shared
 * counter, `n` times each: without a lock (updates get lost), with a shared
 * Lock (correct, serialized), with an atomic add (correct, lock-free). asyncio
 * shows the same bug at an `await` between read and write, and its Lock.
 * Processes share no memory: their counter is a weft/multiprocessing Value,
 * kept by this process, which every child reads and writes with messages. The
 * same three variants race there too (a get and a set are two round trips, so
 * updates get lost), just far fewer increments per second.
 */
import counter from '../tasks/counter.js';
import { ProcessPoolExecutor, ThreadPoolExecutor, asyncio, threading, cpuCount } from '../api.js';
import * as multiprocessing from '../../multiprocessing/index.js';
import { measure, withSpeedups, times, type DemoContext, type Run, type Workload } from './common.js';
import { begin, finish, type Stamp } from '../tasks/_stamp.js';

export async function runRace(ctx: DemoContext): Promise<Workload> {
  const threads = Math.max(2, Math.min(4, cpuCount()));
  const n = ctx.quick ? 10_000_000 : 20_000_000;
  const nAsync = Math.min(n, 100_000); // asyncio's awaits are slower: fewer increments, time scaled up
  const nProc = ctx.quick ? 1_000 : 3_000; // every brokered operation is a message to this process
  const expected = threads * n;
  const runs: Run[] = [];
  const p = ctx.progress;
  const label = (what: string) => (s: Stamp) => `${what}: ${n.toLocaleString('en-US')} increments (${(s.end - s.start).toFixed(0)} ms)`;
  const result = (r: Run, total: number) => {
    r.total = total;
    r.expected = expected;
    r.lost = expected - total;
    return r;
  };
  // asyncio runs do nAsync increments per task: their totals are checked against that and
  // their speedups compare them with sequential per increment (sequential time x nAsync/n).
  const scaled = (r: Run, exp: number): Run => {
    r.expected = exp;
    r.lost = exp - r.total!;
    if (nAsync !== n) r.note = `${nAsync.toLocaleString('en-US')} increments per task (awaits are slower); speedup per increment`;
    return r;
  };
  const scaledProc = (r: Run, exp: number): Run => {
    r.expected = exp;
    r.lost = exp - r.total!;
    r.note = `${nProc.toLocaleString('en-US')} increments per process (each operation is a message); speedup per increment`;
    return r;
  };
  let step = 0;
  const steps = 9;
  const next = (what: string) => p.start(`race · ${what.padEnd(22)}`, steps),
    tick = () => {
      step++;
      p.set(step, steps);
    };

  try {
    // sequential: one thread does all the increments; nothing to race with.
    next('sequential');
    {
      const c = new Int32Array(1);
      const r = await measure(
        'sequential',
        async () => {
          const stamps: Stamp[] = [];
          for (let t = 0; t < threads; t++) {
            const b = begin();
            for (let i = 0; i < n; i++) {
              const x = Atomics.load(c, 0);
              Atomics.store(c, 0, x + 1);
            }
            stamps.push(finish(b));
          }
          return stamps;
        },
        label('main'),
        { variant: 'one thread' },
      );
      runs.push(result(r, c[0]!));
      tick();
    }

    // asyncio: the read and the write separated by an await; then the same under an asyncio Lock.
    next('asyncio, no lock');
    {
      const box = { value: 0 };
      const r = await measure(
        'asyncio',
        () =>
          asyncio.run(
            async () =>
              asyncio.gather(
                ...Array.from({ length: threads }, () =>
                  asyncio.createTask(async () => {
                    const b = begin();
                    for (let i = 0; i < nAsync; i++) {
                      const x = box.value;
                      await null; // another task runs here, reads the same x ...
                      box.value = x + 1; // ... and one of the two writes is lost
                    }
                    return finish(b);
                  }),
                ),
              ),
            { handleSignals: false },
          ),
        label('task'),
        { variant: 'no lock (await between read and write)' },
      );
      runs.push(scaled(result(r, box.value), threads * nAsync));
      tick();
    }
    next('asyncio, Lock');
    {
      const box = { value: 0 };
      const r = await measure(
        'asyncio',
        () =>
          asyncio.run(
            async () => {
              const lock = new asyncio.Lock();
              return asyncio.gather(
                ...Array.from({ length: threads }, () =>
                  asyncio.createTask(async () => {
                    const b = begin();
                    for (let i = 0; i < nAsync; i++) {
                      await lock.acquire();
                      try {
                        const x = box.value;
                        await null;
                        box.value = x + 1;
                      } finally {
                        lock.release();
                      }
                    }
                    return finish(b);
                  }),
                ),
              );
            },
            { handleSignals: false },
          ),
        label('task'),
        { variant: 'asyncio Lock' },
      );
      runs.push(scaled(result(r, box.value), threads * nAsync));
      tick();
    }

    // threads: real parallel threads on shared memory.
    const pool = new ThreadPoolExecutor({ maxWorkers: threads });
    try {
      const gate = () => new threading.SharedArray('int32', 1);
      const all = (f: (g: Int32Array) => PromiseLike<Stamp>) => {
        const g = gate();
        return Promise.all(Array.from({ length: threads }, () => f(g)));
      };

      next('threads, no lock');
      {
        const c = new threading.SharedArray('int32', 1);
        const r = await measure('threads', () => all((g) => pool.submit(counter.unsafe, c, n, g, threads)), label('thread'), {
          variant: 'no lock',
          spanOnly: true,
        });
        runs.push(result(r, c[0]!));
        tick();
      }
      next('threads, Lock');
      {
        const c = new threading.SharedArray('int32', 1);
        const lock = new threading.Lock();
        const r = await measure('threads', () => all((g) => pool.submit(counter.locked, c, lock, n, g, threads)), label('thread'), {
          variant: 'Lock',
          spanOnly: true,
        });
        runs.push(result(r, c[0]!));
        tick();
      }
      next('threads, atomic add');
      {
        const v = new threading.Value('int32', 0);
        const r = await measure('threads', () => all((g) => pool.submit(counter.atomic, v, n, g, threads)), label('thread'), {
          variant: 'atomic add',
          spanOnly: true,
        });
        runs.push(result(r, v.value));
        tick();
      }
    } finally {
      await pool.shutdown();
    }

    // processes: the counter is a brokered multiprocessing Value (this process keeps it).
    await runProcesses(threads, nProc, runs, next, tick, scaledProc);
  } finally {
    p.stop();
  }
  withSpeedups(runs);
  for (const r of runs) if (r.model === 'asyncio') r.speedup *= nAsync / n;
  for (const r of runs) if (r.model === 'processes') r.speedup *= nProc / n;
  return {
    name: 'race',
    title: 'Race condition: the shared counter',
    description:
      `${threads} threads (or tasks, or processes) each add 1 to one shared counter ${n.toLocaleString('en-US')} times; ` +
      `the right total is ${expected.toLocaleString('en-US')}. Thread timings start at a common start line. ` +
      'Processes share a weft/multiprocessing Value that this process keeps: every get, set and add is a message.',
    runs,
    unavailable: [],
    verdict: raceVerdict(runs),
  };
}

/**
 * The processes rows: `parties` children of a process pool each add 1 to a brokered
 * Value `nProc` times, from a common start line (a brokered Barrier): with get then set
 * (no lock), with the Value's Lock around them, with the atomic `add`.
 */
async function runProcesses(
  parties: number,
  nProc: number,
  runs: Run[],
  next: (what: string) => void,
  tick: () => void,
  scaled: (r: Run, exp: number) => Run,
): Promise<void> {
  const pool = new ProcessPoolExecutor({ maxWorkers: parties });
  try {
    // Start every child first, so the timings do not include starting processes.
    const warm = new multiprocessing.Barrier(parties);
    await Promise.all(Array.from({ length: parties }, () => pool.submit(async (b: { wait(): Promise<number> }) => b.wait(), warm)));
    // One inline task for the three variants (inline tasks are self-contained: it takes its own stamp).
    const task = async (v: any, n: number, start: any, variant: string): Promise<Stamp> => {
      await start.wait();
      const c0 = process.cpuUsage();
      const t0 = performance.timeOrigin + performance.now();
      const lock = v.getLock();
      for (let i = 0; i < n; i++) {
        if (variant === 'atomic add') await v.add(1);
        else if (variant === 'no lock')
          await v.set((await v.get()) + 1); // another process may write in between
        else {
          const g = await lock.acquire();
          try {
            await v.set((await v.get()) + 1);
          } finally {
            g.release();
          }
        }
      }
      const d = process.cpuUsage(c0);
      const end = performance.timeOrigin + performance.now();
      return { threadId: 0, pid: process.pid, mainThread: true, start: t0, end, cpu: d.user + d.system };
    };
    for (const variant of ['no lock', 'Lock', 'atomic add']) {
      next(`processes, ${variant}`);
      const v = new multiprocessing.Value('int32', 0);
      const start = new multiprocessing.Barrier(parties);
      const r = await measure(
        'processes',
        () => Promise.all(Array.from({ length: parties }, () => pool.submit(task, v, nProc, start, variant))),
        (s: Stamp) => `process: ${nProc.toLocaleString('en-US')} increments (${(s.end - s.start).toFixed(0)} ms)`,
        { variant },
      );
      r.total = await v.get();
      runs.push(scaled(r, parties * nProc));
      tick();
    }
  } finally {
    await pool.shutdown();
  }
}

function raceVerdict(runs: Run[]): string {
  const find = (m: string, v: string) => runs.find((r) => r.model === m && r.variant === v);
  const un = find('threads', 'no lock'),
    lk = find('threads', 'Lock'),
    at = find('threads', 'atomic add');
  const an = runs.find((r) => r.model === 'asyncio' && r.variant?.startsWith('no lock'));
  const pct = (r: Run) => `${(((r.lost ?? 0) / (r.expected ?? 1)) * 100).toFixed(0)}%`;
  const parts: string[] = [];
  if (un) {
    parts.push(
      un.lost
        ? `Without a lock, threads lost ${un.lost.toLocaleString('en-US')} of ${un.expected!.toLocaleString('en-US')} updates (${pct(un)}): ` +
            'two threads read the same value and both write it plus one.'
        : 'Without a lock no update was lost this time; that was luck, not correctness.',
    );
  }
  if (an?.lost) parts.push(`asyncio loses updates too (${pct(an)}), but only where the code awaits between the read and the write.`);
  if (lk && at) {
    parts.push(
      `A Lock makes it correct but serializes the threads (${times(lk.speedup)} of sequential speed); ` +
        `an atomic add is correct and ${times(lk.seconds / at.seconds)} faster than the Lock.`,
    );
  }
  const pn = find('processes', 'no lock'),
    pl = find('processes', 'Lock'),
    pa = find('processes', 'atomic add');
  if (pn && pl && pa) {
    parts.push(
      (pn.lost
        ? `Processes racing on a shared Value lose updates as well (${pct(pn)}): a get and a set are two messages, and another process writes in between. `
        : 'Processes racing on a shared Value lost no update this time (luck: a get and a set are two messages). ') +
        `Its Lock or its atomic add make it exact (the Lock takes ${times(pl.seconds / pa.seconds)} as long as the add); ` +
        'every operation is a message, so processes share counters slowly: give each its own part and combine the results.',
    );
  }
  parts.push(
    'Verdict: share as little as possible; counters: atomic add (Value.add); several fields updated together: a Lock; ' +
      'parallel speed comes from splitting work, not from sharing it.',
  );
  return parts.join(' ');
}
