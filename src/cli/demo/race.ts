/**
 * `weft demo race`: the seeds' race condition. Threads add 1 to a shared
 * counter, `n` times each: without a lock (updates get lost), with a shared
 * Lock (correct, serialized), with an atomic add (correct, lock-free). asyncio
 * shows the same bug at an `await` between read and write, and its Lock.
 * Processes share no memory, so they have no counter to race on.
 */
import counter from '../tasks/counter.js';
import { ThreadPoolExecutor, asyncio, threading, cpuCount } from '../api.js';
import { measure, withSpeedups, times, type DemoContext, type Run, type Workload } from './common.js';
import { begin, finish, type Stamp } from '../tasks/_stamp.js';

export async function runRace(ctx: DemoContext): Promise<Workload> {
  const threads = Math.max(2, Math.min(4, cpuCount()));
  const n = ctx.quick ? 10_000_000 : 20_000_000;
  const nAsync = Math.min(n, 100_000); // asyncio's awaits are slower: fewer increments, time scaled up
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
  let step = 0;
  const steps = 6;
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
  } finally {
    p.stop();
  }
  withSpeedups(runs);
  for (const r of runs) if (r.model === 'asyncio') r.speedup *= nAsync / n;
  return {
    name: 'race',
    title: 'Race condition: the shared counter',
    description:
      `${threads} threads (or tasks) each add 1 to one shared counter ${n.toLocaleString('en-US')} times; ` +
      `the right total is ${expected.toLocaleString('en-US')}. Thread timings start at a common start line.`,
    runs,
    unavailable: [
      {
        model: 'processes',
        reason: 'processes share no memory: there is no shared counter to race on (use a Queue, or a weft/multiprocessing Value)',
      },
    ],
    verdict: raceVerdict(runs),
  };
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
  parts.push(
    'Verdict: share as little as possible; counters: atomic add (Value.add); several fields updated together: a Lock; ' +
      'parallel speed comes from splitting work, not from sharing it.',
  );
  return parts.join(' ');
}
