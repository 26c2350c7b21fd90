/**
 * `weft bench [--json]`: weft's own numbers on this machine, in a few seconds:
 * cold start (a fresh pool's first results, `import('weft')` in a new process),
 * submit throughput, map throughput, round trip latency, CPU scaling, process
 * pool throughput and asyncio primitives. bench/ holds the full comparisons
 * with other libraries; this is the quick look.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from './args.js';
import { ThreadPoolExecutor, ProcessPoolExecutor, asyncio, cpuCount, type Executor } from './api.js';
import bt from './tasks/bench.js';
import { machineInfo } from './demo/report.js';
import { Progress, styles, table } from './term.js';

export const BENCH_HELP = `Usage: weft bench [--json]

Measures weft on this machine (a few seconds): cold start (a fresh thread
pool's and process pool's first results, import('weft') in a new process),
thread pool submit and map throughput, round-trip latency, CPU scaling from 1
to N workers, process pool throughput and asyncio primitives.

Options:
  --json       print the results as JSON on stdout
  -h, --help   show this help
`;

interface Result {
  name: string;
  value: number;
  unit: string;
  detail: string;
}

const rate = (n: number, ms: number) => (n / ms) * 1000;

async function warm(ex: Executor, workers: number): Promise<void> {
  // One slow-ish task per worker so each starts (short tasks could all land on the first one).
  await Promise.all(Array.from({ length: workers }, () => ex.submit(bt.fib, 22)));
}

async function timeIt(fn: () => PromiseLike<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * A fresh pool of `workers`, `workers` trivial tasks at once: when the first and
 * the last result came (ms from creating the pool), median over `times` pools.
 */
async function coldStart(make: () => Executor, workers: number, times: number): Promise<{ first: number; all: number }> {
  const first: number[] = [],
    all: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const pool = make();
    try {
      let seen = 0;
      await Promise.all(
        Array.from({ length: workers }, (_, k) =>
          pool.submit(bt.identity, k).then(() => {
            if (++seen === 1) first.push(performance.now() - t0);
          }),
        ),
      );
      all.push(performance.now() - t0);
      // The 4 results may all come from the first worker while the others still start;
      // let them finish starting before shutting down (a child process asked to stop
      // while it starts reports an EPIPE on stderr: a known issue of the process pool).
      for (let waited = 0; waited < 5000; waited += 5) {
        const st = pool.stats();
        if (st.busy + st.idle >= st.workers) break;
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      await pool.shutdown();
    }
  }
  return { first: median(first), all: median(all) };
}

/** `import('weft')` in a new Node process (ms, median of `times`), or NaN if it cannot run. */
function importTime(times: number): number {
  const index = fileURLToPath(new URL('../index.js', import.meta.url));
  const script = `const t = performance.now(); await import(${JSON.stringify(index)}); console.log(performance.now() - t);`;
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    const v = Number(r.stdout.trim());
    if (r.status !== 0 || !Number.isFinite(v)) return Number.NaN;
    ms.push(v);
  }
  return median(ms);
}

/** Entry of `weft bench`. Returns the exit code. */
export async function bench(argv: string[], version: string): Promise<number> {
  const { values } = parse('bench', argv, { json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const json = values.json ?? false;
  const progress = new Progress(!json && Boolean(process.stderr.isTTY));
  const results: Result[] = [];
  const add = (r: Result) => {
    results.push(r);
    progress.tick();
  };
  const workers = Math.max(2, cpuCount());
  const steps = 12;
  progress.start('bench', steps);

  try {
    {
      // Cold start: what a program pays before its first results (bench/cold.bench.ts compares it with other pools).
      const n = 4;
      const t = await coldStart(() => new ThreadPoolExecutor({ maxWorkers: n }), n, 5);
      add({
        name: 'threads: cold start',
        value: t.first,
        unit: 'ms',
        detail: `a new ${n}-thread pool's first result (median of 5 pools); all ${n} results at ${t.all.toFixed(0)} ms`,
      });
      const p = await coldStart(() => new ProcessPoolExecutor({ maxWorkers: n }), n, 3);
      add({
        name: 'processes: cold start',
        value: p.first,
        unit: 'ms',
        detail: `a new ${n}-process pool's first result (median of 3 pools); all ${n} results at ${p.all.toFixed(0)} ms`,
      });
      const imp = importTime(3);
      if (Number.isFinite(imp)) add({ name: "import('weft')", value: imp, unit: 'ms', detail: 'in a new Node process (median of 3)' });
      else progress.tick();
    }

    {
      const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
      try {
        await warm(pool, 2);
        const n = 50_000;
        const ms = await timeIt(() => Promise.all(Array.from({ length: n }, (_, i) => pool.submit(bt.identity, i))));
        add({
          name: 'threads: submit throughput',
          value: rate(n, ms),
          unit: 'tasks/s',
          detail: `${n.toLocaleString('en-US')} trivial tasks in flight, 2 threads`,
        });
        const m = 500_000;
        const ms2 = await timeIt(() =>
          pool.map(bt.identity, {
            [Symbol.iterator]: function* () {
              for (let i = 0; i < m; i++) yield i;
            },
          }),
        );
        add({
          name: 'threads: map throughput',
          value: rate(m, ms2),
          unit: 'items/s',
          detail: `${m.toLocaleString('en-US')} items, chunksize auto, 2 threads`,
        });
        const k = 2000,
          lat: number[] = [];
        for (let i = 0; i < k; i++) {
          const t0 = performance.now();
          await pool.submit(bt.identity, i);
          lat.push(performance.now() - t0);
        }
        lat.sort((a, b) => a - b);
        add({
          name: 'threads: round trip (median)',
          value: lat[k >> 1]! * 1000,
          unit: 'µs',
          detail: `one task at a time, ${k} tasks; p99 ${(lat[Math.floor(k * 0.99)]! * 1000).toFixed(0)} µs`,
        });
      } finally {
        await pool.shutdown();
      }
    }

    {
      const n = 16,
        fibN = 32;
      const timeWith = async (w: number) => {
        const pool = new ThreadPoolExecutor({ maxWorkers: w });
        try {
          await warm(pool, w);
          return await timeIt(() => pool.map(bt.fib, Array(n).fill(fibN), { chunksize: 1 }));
        } finally {
          await pool.shutdown();
        }
      };
      const one = await timeWith(1);
      progress.tick();
      const many = await timeWith(workers);
      add({
        name: `threads: CPU scaling 1 → ${workers} workers`,
        value: one / many,
        unit: '×',
        detail: `fib(${fibN}) × ${n}: ${one.toFixed(0)} ms → ${many.toFixed(0)} ms (${cpuCount()} CPUs)`,
      });
    }

    {
      const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
      try {
        await warm(pool, 2);
        const n = 10_000;
        const ms = await timeIt(() => Promise.all(Array.from({ length: n }, (_, i) => pool.submit(bt.identity, i))));
        add({
          name: 'processes: submit throughput',
          value: rate(n, ms),
          unit: 'tasks/s',
          detail: `${n.toLocaleString('en-US')} trivial tasks in flight, 2 processes`,
        });
      } finally {
        await pool.shutdown();
      }
    }

    await asyncio.run(
      async () => {
        const n = 100_000;
        const sem = new asyncio.Semaphore(10);
        const ms = await timeIt(() =>
          asyncio.gather(
            ...Array.from({ length: n }, () =>
              (async () => {
                await sem.acquire();
                try {
                  await null;
                } finally {
                  sem.release();
                }
              })(),
            ),
          ),
        );
        add({
          name: 'asyncio: Semaphore(10)-limited tasks',
          value: rate(n, ms),
          unit: 'tasks/s',
          detail: `${n.toLocaleString('en-US')} trivial async functions`,
        });
        const lock = new asyncio.Lock();
        const per = 20_000,
          tasks = 10;
        const ms2 = await timeIt(() =>
          asyncio.gather(
            ...Array.from({ length: tasks }, () =>
              (async () => {
                for (let i = 0; i < per; i++) {
                  await lock.acquire();
                  lock.release();
                }
              })(),
            ),
          ),
        );
        add({
          name: 'asyncio: Lock, contended',
          value: rate(per * tasks, ms2),
          unit: 'acquisitions/s',
          detail: `${tasks} tasks × ${per.toLocaleString('en-US')}`,
        });
        const m = 10_000;
        const ms3 = await timeIt(() =>
          asyncio.gather(...Array.from({ length: m }, () => asyncio.createTask(() => new Promise((r) => setTimeout(r, 200))))),
        );
        add({ name: 'asyncio: 10k tasks waiting 200 ms', value: ms3, unit: 'ms', detail: `createTask + gather; ideal 200 ms` });
      },
      { handleSignals: false },
    );
  } finally {
    progress.stop();
  }

  if (json) {
    process.stdout.write(
      JSON.stringify(
        { version, machine: machineInfo(), results: results.map((r) => ({ ...r, value: Math.round(r.value * 100) / 100 })) },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const s = styles(process.stdout);
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  process.stdout.write(`${s.bold('weft bench')} ${s.dim(`${version} · ${machineInfo()}`)}\n\n`);
  process.stdout.write(
    table(
      ['measure', 'value', 'unit', 'detail'],
      results.map((r) => [r.name, s.bold(fmt(r.value)), r.unit, s.dim(r.detail)]),
      ['l', 'r', 'l', 'l'],
    ) + '\n',
  );
  return 0;
}
