/**
 * `weft demo cpu`: image processing (Gaussian blur + Sobel edges) over a
 * generated image split in tiles, sequentially and under every model.
 */
import image, { type TileSpec, type TileResult } from '../tasks/image.js';
import { ThreadPoolExecutor, ProcessPoolExecutor, asyncio, cpuCount, type Executor } from '../api.js';
import { measure, withSpeedups, times, type DemoContext, type Run, type Workload, type Model } from './common.js';
import type { Stamp } from '../tasks/_stamp.js';
import { loadavg } from 'node:os';

/** The image job of the cpu workload (also run across nodes by `weft demo cluster`). */
export function imageJob(quick: boolean): { width: number; height: number; radius: number; nTiles: number; tiles: TileSpec[] } {
  const width = quick ? 1024 : 1536,
    height = quick ? 1024 : 1536,
    radius = 10;
  const nTiles = quick ? 16 : 32;
  const tiles: TileSpec[] = Array.from({ length: nTiles }, (_, i) => ({
    width,
    height,
    radius,
    y0: Math.floor((i * height) / nTiles),
    y1: Math.floor(((i + 1) * height) / nTiles),
  }));
  return { width, height, radius, nTiles, tiles };
}

/** The tiles one after the other on this thread (the sequential run), yielding to the event loop between them. */
export async function processTiles(tiles: TileSpec[], tick: () => void): Promise<TileResult[]> {
  const out: TileResult[] = [];
  for (const t of tiles) {
    out.push(image.processTile(t));
    tick();
    await Promise.resolve();
  }
  return out;
}

export async function runCpu(ctx: DemoContext): Promise<Workload> {
  const { width, height, radius, nTiles, tiles } = imageJob(ctx.quick);
  const workers = Math.max(2, cpuCount());
  const runs: Run[] = [];
  const label = (s: Stamp, i: number) => `tile ${i + 1}: rows ${tiles[i]!.y0}–${tiles[i]!.y1 - 1} (${(s.end - s.start).toFixed(0)} ms)`;
  const p = ctx.progress;
  const step = (model: Model) => p.start(`cpu · ${model.padEnd(10)}`, nTiles);
  const checksums = new Map<Model, string>();
  const keep = (m: Model) => (rs: TileResult[]) => {
    checksums.set(m, rs.map((r) => r.checksum.toString(16)).join(''));
    return rs;
  };

  try {
    step('sequential');
    runs.push(await measure('sequential', async () => keep('sequential')(await processTiles(tiles, () => p.tick())), label));

    // asyncio: one Task per tile. They take turns on one thread: nothing runs in parallel.
    step('asyncio');
    runs.push(
      await measure(
        'asyncio',
        () =>
          asyncio.run(
            async () => {
              const tasks = tiles.map((t) =>
                asyncio.createTask(() => {
                  const r = image.processTile(t);
                  p.tick();
                  return r;
                }),
              );
              return keep('asyncio')(await asyncio.gather(...tasks));
            },
            { handleSignals: false },
          ),
        label,
      ),
    );

    step('threads');
    {
      const pool = new ThreadPoolExecutor({ maxWorkers: workers });
      try {
        runs.push(await measure('threads', async () => keep('threads')(await mapAll(pool, tiles, () => p.tick())), label));
      } finally {
        await pool.shutdown();
      }
    }

    step('processes');
    {
      const pool = new ProcessPoolExecutor({ maxWorkers: workers });
      try {
        runs.push(await measure('processes', async () => keep('processes')(await mapAll(pool, tiles, () => p.tick())), label));
      } finally {
        await pool.shutdown();
      }
    }
  } finally {
    p.stop();
  }

  const ref = checksums.get('sequential');
  for (const r of runs) {
    if (checksums.get(r.model) !== ref) r.note = 'computed a different image than the sequential run';
  }
  withSpeedups(runs);
  return {
    name: 'cpu',
    title: 'CPU-bound: image processing',
    description:
      `a generated ${width}×${height} image in ${nTiles} tiles; each tile: a ${2 * radius + 1}×${2 * radius + 1} Gaussian blur, ` +
      `then Sobel edges. Pools use ${workers} workers (${cpuCount()} CPU${cpuCount() === 1 ? '' : 's'} here).`,
    runs,
    unavailable: [],
    verdict: cpuVerdict(runs, workers),
  };
}

async function mapAll(ex: Executor, tiles: TileSpec[], tick: () => void): Promise<TileResult[]> {
  const out: TileResult[] = [];
  for await (const r of ex.map(image.processTile, tiles, { chunksize: 1 })) {
    out.push(r);
    tick();
  }
  return out;
}

function cpuVerdict(runs: Run[], workers: number): string {
  const by = (m: Model) => runs.find((r) => r.model === m);
  const a = by('asyncio'),
    t = by('threads'),
    pr = by('processes');
  const parts = ['CPU-bound: the time goes to computing.'];
  if (a)
    parts.push(
      `asyncio gives no real speedup (${times(a.speedup)}): its tasks take turns on one thread, like Python threads under the GIL.`,
    );
  if (t && t.speedup >= 1.2)
    parts.push(
      `Threads run in parallel (${times(t.speedup)} on ${workers} workers, ${t.cores.toFixed(1)} cores busy): unlike Python's, Node's worker threads have no GIL.`,
    );
  else if (t)
    parts.push(
      `Threads gained little here (${times(t.speedup)}): the job is too small for the cost of starting workers, or the CPUs were busy with other work.`,
    );
  if (pr && t && pr.speedup >= 1.2)
    parts.push(
      `Processes run in parallel too (${times(pr.speedup)}) and add isolation, at a higher start-up cost${pr.seconds > t.seconds ? ` (${times(pr.seconds / t.seconds)} the time of threads here)` : ''}.`,
    );
  else if (pr) parts.push(`Processes (${times(pr.speedup)}) pay more to start than threads.`);
  const load = loadavg()[0]!;
  if (load > cpuCount())
    parts.push(
      `(This machine was busy: load average ${load.toFixed(1)} on ${cpuCount()} CPUs, so parallel runs got less than a core each.)`,
    );
  parts.push('Verdict: parallel workers (a ThreadPoolExecutor, or a ProcessPoolExecutor for isolation); never asyncio for computing.');
  return parts.join(' ');
}
