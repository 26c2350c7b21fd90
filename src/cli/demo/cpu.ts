/**
 * `weft demo cpu`: image processing (Gaussian blur + Sobel edges) over a
 * generated image split in tiles, sequentially and under every model.
 *
 * Every model runs `ctx.reps` times, interleaved, pools new each time, and
 * keeps its fastest run: one burst of load on a shared machine must not crown
 * the wrong model.
 */
import image, { type TileSpec, type TileResult } from '../tasks/image.js';
import { ThreadPoolExecutor, ProcessPoolExecutor, asyncio, cpuCount, type Executor } from '../api.js';
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
import type { Stamp } from '../tasks/_stamp.js';
import { loadavg } from 'node:os';

/** The image job of the cpu workload (also run across nodes by `weft demo cluster`). */
export function imageJob(quick: boolean): { width: number; height: number; radius: number; nTiles: number; tiles: TileSpec[] } {
  const width = quick ? 768 : 1536,
    height = quick ? 768 : 1536,
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
  const label = (s: Stamp, i: number) => `tile ${i + 1}: rows ${tiles[i]!.y0}–${tiles[i]!.y1 - 1} (${(s.end - s.start).toFixed(0)} ms)`;
  const p = ctx.progress;
  const step = (model: Model, rep: number) => p.start(`cpu · ${model.padEnd(10)}${ctx.reps > 1 ? ` ${rep}/${ctx.reps}` : ''}`, nTiles);
  const checksums = new Map<Model, string>();
  const keep = (m: Model) => (rs: TileResult[]) => {
    checksums.set(m, rs.map((r) => r.checksum.toString(16)).join(''));
    return rs;
  };
  let runs: Run[];
  const loadBefore = loadavg()[0]!;
  try {
    runs = await bestOf(ctx.reps, [
      onThisThread('sequential', label, step, async () => keep('sequential')(await processTiles(tiles, () => p.tick()))),
      // asyncio: one Task per tile. They take turns on one thread: nothing runs in parallel.
      onThisThread('asyncio', label, step, () =>
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
      ),
      onNewPool(
        'threads',
        label,
        step,
        () => new ThreadPoolExecutor({ maxWorkers: workers }),
        async (pool) => keep('threads')(await mapAll(pool, tiles, () => p.tick())),
      ),
      onNewPool(
        'processes',
        label,
        step,
        () => new ProcessPoolExecutor({ maxWorkers: workers }),
        async (pool) => keep('processes')(await mapAll(pool, tiles, () => p.tick())),
      ),
    ]);
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
      `then Sobel edges. Pools use ${workers} workers (${cpuCount()} CPU${cpuCount() === 1 ? '' : 's'} here)` +
      (ctx.reps > 1 ? `; each model's best of ${ctx.reps} runs, pools new each time.` : '.'),
    runs,
    unavailable: [],
    verdict: cpuVerdict(runs, workers, Math.max(loadBefore, loadavg()[0]!)),
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

/**
 * The words follow the numbers: each claim is checked against this run's
 * measurements, and the verdict names what actually won here.
 */
export function cpuVerdict(runs: Run[], workers: number, load: number): string {
  const by = (m: Model) => runs.find((r) => r.model === m);
  const seq = by('sequential'),
    a = by('asyncio'),
    t = by('threads'),
    pr = by('processes');
  const cpus = cpuCount();
  const busy = load > cpus * 0.75;
  const parts = [`CPU-bound: the time goes to computing${seq ? ` (one thread kept ${seq.cores.toFixed(2)} cores busy)` : ''}.`];
  if (a)
    parts.push(
      a.speedup < 1.2
        ? `asyncio gives no speedup (${times(a.speedup)}): its tasks take turns on one thread, like Python threads under the GIL.`
        : `asyncio measured ${times(a.speedup)} here, though its tasks take turns on one thread: the sequential run was slowed by other work.`,
    );
  const why = (r: Run) =>
    busy
      ? `the machine was busy (load average ${load.toFixed(1)} on ${cpus} CPU${cpus === 1 ? '' : 's'}), so the workers found no idle core`
      : r.startup !== undefined && r.startup > r.seconds * 0.3
        ? `starting the workers took ${fmtDuration(r.startup)} of the run's ${fmtDuration(r.seconds)}: the job is small for them`
        : cpus < 2
          ? 'this machine has one CPU'
          : 'the workers did not get a core each';
  for (const [r, name] of [
    [t, 'Threads'],
    [pr, 'Processes'],
  ] as const) {
    if (!r) continue;
    const start = r.startup !== undefined ? `, ${fmtDuration(r.startup)} of it starting them` : '';
    if (r.speedup >= 1.2 && r.cores >= 1.2)
      parts.push(
        `${name} run in parallel (${times(r.speedup)} on ${workers} workers, ${r.cores.toFixed(1)} cores busy${start})` +
          (name === 'Threads' ? `: unlike Python's, Node's worker threads have no GIL.` : ', with isolation on top.'),
      );
    else if (r.speedup >= 1.2) parts.push(`${name}: ${times(r.speedup)}, but with only ${r.cores.toFixed(1)} cores busy: ${why(r)}.`);
    else parts.push(`${name} gained little (${times(r.speedup)}, ${r.cores.toFixed(1)} cores busy): ${why(r)}.`);
  }
  const best = runs.reduce((x, y) => (y.seconds < x.seconds ? y : x), runs[0]!);
  if (!best) return parts.join(' ');
  if (best.model === 'threads' || best.model === 'processes') {
    parts.push(
      `Verdict: parallel workers (${best.model} were the fastest here: a ThreadPoolExecutor, or a ProcessPoolExecutor for isolation); never asyncio for computing.`,
    );
  } else {
    parts.push(
      `Verdict: nothing beat one thread here (fastest: ${best.model}, ${fmtDuration(best.seconds)}): parallel workers need idle cores, ` +
        `and ${busy ? `this machine's were busy with other work` : `these ran out of them`}. With idle cores, parallel workers win; asyncio never does for computing.`,
    );
  }
  return parts.join(' ');
}
