/**
 * `weft demo io`: the seeds' web crawler (`download_all_sites`) against the
 * embedded slow server, sequentially and under every model.
 *
 * Each concurrent model runs `ctx.reps` times, interleaved, with a new pool
 * each time (starting the workers is part of what the lesson measures), and
 * keeps its fastest run; the sequential run only waits, so it runs once.
 */
import crawl, { type PageResult } from '../tasks/crawl.js';
import { ThreadPoolExecutor, ProcessPoolExecutor, asyncio, type Executor } from '../api.js';
import {
  bestOf,
  fmtDuration,
  onNewPool,
  onThisThread,
  withSpeedups,
  times,
  type DemoContext,
  type Run,
  type Workload,
  type Model,
} from './common.js';
import { startSlowServer } from './server.js';
import type { Stamp } from '../tasks/_stamp.js';

/** How many downloads wait at once under every concurrent model (the seeds use 5 to 10). */
export const IO_CONCURRENCY = 8;

export async function runIo(ctx: DemoContext): Promise<Workload> {
  const pages = ctx.quick ? 24 : 160; // the seeds: 2 sites x 80
  const delay = 50;
  const server = await startSlowServer(delay);
  const urls = server.urls(pages);
  const label = (s: Stamp, i: number) => `GET ${new URL(urls[i]!).pathname} (${(s.end - s.start).toFixed(0)} ms)`;
  const p = ctx.progress;
  const step = (model: Model, rep: number) =>
    p.start(`io · ${model.padEnd(10)}${ctx.reps > 1 && model !== 'sequential' ? ` ${rep}/${ctx.reps}` : ''}`, pages);
  const checkAll = (rs: PageResult[]) => {
    const bad = rs.filter((r) => r.status !== 200).length;
    if (bad) throw new Error(`${bad} of ${rs.length} downloads failed`);
    return rs;
  };
  let runs: Run[];
  try {
    runs = await bestOf(ctx.reps, [
      // sequential: one download after the other, on this thread.
      onThisThread(
        'sequential',
        label,
        step,
        async () => {
          const out: PageResult[] = [];
          for (const u of urls) {
            out.push(await crawl.downloadSite(u));
            p.tick();
          }
          return checkAll(out);
        },
        { once: true },
      ),
      // asyncio: one Task per download, at most IO_CONCURRENCY at once (a Semaphore), on this thread.
      onThisThread('asyncio', label, step, () =>
        asyncio.run(
          async () => {
            const sem = new asyncio.Semaphore(IO_CONCURRENCY);
            const tasks = urls.map((u) =>
              asyncio.createTask(async () => {
                await sem.acquire();
                try {
                  const r = await crawl.downloadSite(u);
                  p.tick();
                  return r;
                } finally {
                  sem.release();
                }
              }),
            );
            return checkAll(await asyncio.gather(...tasks));
          },
          { handleSignals: false },
        ),
      ),
      // threads: a ThreadPoolExecutor; each worker thread waits for its download.
      onNewPool(
        'threads',
        label,
        step,
        () => new ThreadPoolExecutor({ maxWorkers: IO_CONCURRENCY }),
        (pool) => mapAll(pool, urls, p.tick.bind(p, 1)).then(checkAll),
      ),
      // processes: a ProcessPoolExecutor; each child process waits for its download.
      onNewPool(
        'processes',
        label,
        step,
        () => new ProcessPoolExecutor({ maxWorkers: IO_CONCURRENCY }),
        (pool) => mapAll(pool, urls, p.tick.bind(p, 1)).then(checkAll),
      ),
    ]);
  } finally {
    p.stop();
    await server.close();
  }

  withSpeedups(runs);
  return {
    name: 'io',
    title: 'I/O-bound: the web crawler',
    description:
      `download_all_sites: ${pages} pages from a local server that answers each after ${delay} ms; ` +
      `concurrent models wait for up to ${IO_CONCURRENCY} pages at once` +
      (ctx.reps > 1 ? `; each concurrent model's best of ${ctx.reps} runs, each with new workers.` : '.'),
    runs,
    unavailable: [],
    verdict: ioVerdict(runs),
  };
}

/** Maps the download over the urls on an executor, in input order, ticking progress. */
async function mapAll(ex: Executor, urls: string[], tick: () => void): Promise<PageResult[]> {
  const out: PageResult[] = [];
  for await (const r of ex.map(crawl.downloadSite, urls, { chunksize: 1 })) {
    out.push(r);
    tick();
  }
  return out;
}

/** The words follow the numbers: every claim below is checked against this run's measurements. */
export function ioVerdict(runs: Run[]): string {
  const by = (m: Model) => runs.find((r) => r.model === m);
  const a = by('asyncio'),
    t = by('threads'),
    pr = by('processes');
  const busiest = Math.max(...runs.map((r) => r.cores));
  const parts = [
    busiest < 0.9
      ? `I/O-bound: the time goes to waiting, not computing (no run kept even one core busy: at most ${busiest.toFixed(2)}).`
      : `I/O-bound: the time goes to waiting; here starting workers kept up to ${busiest.toFixed(1)} cores busy.`,
  ];
  if (a)
    parts.push(
      a.speedup >= 1.5
        ? `asyncio waits for ${IO_CONCURRENCY} pages at once on one thread: ${times(a.speedup)} faster than sequential, with nothing to start.`
        : `asyncio gained little here (${times(a.speedup)}).`,
    );
  const workers = (r: Run, what: string) =>
    r.startup !== undefined
      ? `${fmtDuration(r.startup)} of its ${fmtDuration(r.seconds)} went to starting ${r.workers} ${what} before the first page`
      : '';
  if (t) {
    const start = workers(t, 'worker threads');
    if (t.speedup >= 1.5) parts.push(`Threads wait in parallel too (${times(t.speedup)})${start ? `, but ${start}` : ''}.`);
    else if (t.speedup > 1.05) parts.push(`Threads gained less (${times(t.speedup)})${start ? `: ${start}` : ''}.`);
    else parts.push(`Threads were no faster than sequential (${times(t.speedup)})${start ? `: ${start}` : ''}.`);
  }
  if (pr) {
    const start = workers(pr, 'child processes');
    parts.push(`Processes: ${times(pr.speedup)}${start ? `; ${start}` : ''}.`);
  }
  const concurrent = [a, t, pr].filter((r): r is Run => r !== undefined);
  const winner = concurrent.reduce((x, y) => (y.seconds < x.seconds ? y : x), concurrent[0]!);
  if (!winner) return parts.join(' ');
  if (winner.model === 'asyncio') {
    const others = [t, pr].filter((r): r is Run => r !== undefined);
    const cpu = others.length
      ? ` and used ${a!.cpuSeconds.toFixed(2)} CPU s to their ${others.map((r) => r.cpuSeconds.toFixed(2)).join(' and ')}`
      : '';
    parts.push(
      `Verdict: asyncio for many I/O waits: it was the fastest here${cpu}; threads when a blocking API forces you; processes are overkill for waiting.`,
    );
  } else if (a && a.seconds <= winner.seconds * 1.2) {
    parts.push(
      `Verdict: ${winner.model} and asyncio finished close (${fmtDuration(winner.seconds)} and ${fmtDuration(a.seconds)}), but asyncio used ` +
        `${a.cpuSeconds.toFixed(2)} CPU s to ${winner.model}' ${winner.cpuSeconds.toFixed(2)} and starts nothing: asyncio for many I/O waits.`,
    );
  } else {
    parts.push(
      `Verdict: ${winner.model} was the fastest here (${times(winner.speedup)}); ` +
        `waiting needs no parallel workers, so expect asyncio to win where starting ${winner.model} costs more than it saves.`,
    );
  }
  return parts.join(' ');
}
