/**
 * `weft demo io`: the seeds' web crawler (`download_all_sites`) against the
 * embedded slow server, sequentially and under every model.
 */
import crawl, { type PageResult } from '../tasks/crawl.js';
import { ThreadPoolExecutor, ProcessPoolExecutor, asyncio, type Executor } from '../api.js';
import { measure, withSpeedups, times, type DemoContext, type Run, type Workload, type Model } from './common.js';
import { startSlowServer } from './server.js';
import type { Stamp } from '../tasks/_stamp.js';

/** How many downloads wait at once under every concurrent model (the seeds use 5 to 10). */
export const IO_CONCURRENCY = 8;

export async function runIo(ctx: DemoContext): Promise<Workload> {
  const pages = ctx.quick ? 40 : 160; // the seeds: 2 sites x 80
  const delay = 50;
  const server = await startSlowServer(delay);
  const urls = server.urls(pages);
  const runs: Run[] = [];
  const label = (s: Stamp, i: number) => `GET ${new URL(urls[i]!).pathname} (${(s.end - s.start).toFixed(0)} ms)`;
  const p = ctx.progress;
  const step = (model: Model) => p.start(`io · ${model.padEnd(10)}`, pages);
  const checkAll = (rs: PageResult[]) => {
    const bad = rs.filter((r) => r.status !== 200).length;
    if (bad) throw new Error(`${bad} of ${rs.length} downloads failed`);
    return rs;
  };

  try {
    // sequential: one download after the other, on this thread.
    step('sequential');
    runs.push(
      await measure(
        'sequential',
        async () => {
          const out: PageResult[] = [];
          for (const u of urls) {
            out.push(await crawl.downloadSite(u));
            p.tick();
          }
          return checkAll(out);
        },
        label,
      ),
    );

    // asyncio: one Task per download, at most IO_CONCURRENCY at once (a Semaphore), on this thread.
    step('asyncio');
    runs.push(
      await measure(
        'asyncio',
        () =>
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
        label,
      ),
    );

    // threads: a ThreadPoolExecutor; each worker thread waits for its download.
    step('threads');
    {
      const pool = new ThreadPoolExecutor({ maxWorkers: IO_CONCURRENCY });
      try {
        runs.push(await measure('threads', () => mapAll(pool, urls, p.tick.bind(p, 1)).then(checkAll), label));
      } finally {
        await pool.shutdown();
      }
    }

    // processes: a ProcessPoolExecutor; each child process waits for its download.
    step('processes');
    {
      const pool = new ProcessPoolExecutor({ maxWorkers: IO_CONCURRENCY });
      try {
        runs.push(await measure('processes', () => mapAll(pool, urls, p.tick.bind(p, 1)).then(checkAll), label));
      } finally {
        await pool.shutdown();
      }
    }
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
      `concurrent models wait for up to ${IO_CONCURRENCY} pages at once.`,
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

function ioVerdict(runs: Run[]): string {
  const by = (m: Model) => runs.find((r) => r.model === m);
  const a = by('asyncio'),
    t = by('threads'),
    pr = by('processes');
  const parts = [`I/O-bound: the time goes to waiting, not computing (CPU use stays far below one core).`];
  if (a)
    parts.push(
      `asyncio waits for ${IO_CONCURRENCY} pages at once on one thread: ${times(a.speedup)} faster than sequential, with no workers to start.`,
    );
  if (t) parts.push(`Threads wait in parallel too (${times(t.speedup)}) but each one costs a JavaScript interpreter to start.`);
  if (pr) parts.push(`Processes (${times(pr.speedup)}) pay the most to start and to talk to.`);
  parts.push('Verdict: asyncio for many I/O waits (threads when a blocking API forces you); processes are overkill for waiting.');
  return parts.join(' ');
}
