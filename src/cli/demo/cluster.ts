/**
 * `weft demo cluster`: the CPU workload of `weft demo cpu`, run across worker
 * nodes with a ClusterExecutor. Starts a redis-server on a free loopback port
 * and two `weft worker` nodes on this machine, maps the image tiles over them,
 * and reports one timeline lane per node worker (node pid · thread).
 *
 * Needs Debian's (or any) `redis-server` on the PATH; without it the demo says
 * how to install it and `weft demo` exits 2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import image, { type TileResult } from '../tasks/image.js';
import { imageJob, processTiles } from './cpu.js';
import { cpuCount } from '../api.js';
import { measure, withSpeedups, times, type DemoContext, type Run, type Workload } from './common.js';
import type { Stamp } from '../tasks/_stamp.js';

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));
const IMAGE_TASKS = fileURLToPath(new URL('../tasks/image.js', import.meta.url));
const NODES = 2;

/** What to tell a user without redis-server. */
export const NO_REDIS = `weft demo cluster needs redis-server on the PATH (it starts one on 127.0.0.1 for the demo):
  Debian/Ubuntu: sudo apt-get install redis-server
  macOS:         brew install redis
  or any Redis/Valkey 7: see https://redis.io/docs/latest/operate/oss_and_stack/install/
`;

/** True if `redis-server` runs here. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Starts a child and resolves once its stdout matches `ready`. */
function startChild(cmd: string, args: string[], ready: RegExp, what: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start within 30 s: ${out.slice(-500)}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        res(child);
      }
    };
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      rej(e);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`${what} exited (${code}) before it was ready: ${out.slice(-500)}`)));
  });
}

/** SIGTERM, then SIGKILL if it has not exited `ms` later; resolves once it exited. */
function stopChild(c: ChildProcess, ms = 5000): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => c.kill('SIGKILL'), ms);
    c.once('exit', () => {
      clearTimeout(t);
      res();
    });
    c.kill('SIGTERM');
  });
}

export async function runCluster(ctx: DemoContext): Promise<Workload> {
  const { width, height, nTiles, tiles } = imageJob(ctx.quick);
  const perNode = Math.max(1, Math.ceil(cpuCount() / NODES));
  const label = (s: Stamp, i: number) => `tile ${i + 1} (${(s.end - s.start).toFixed(0)} ms)`;
  const p = ctx.progress;
  const children: ChildProcess[] = [];
  const runs: Run[] = [];
  const checksums: string[] = [];
  try {
    p.start('cluster · sequential', nTiles);
    runs.push(
      await measure(
        'sequential',
        async () => {
          const out = await processTiles(tiles, () => p.tick());
          checksums.push(out.map((r) => r.checksum.toString(16)).join(''));
          return out;
        },
        label,
      ),
    );

    p.start('cluster · starting redis-server and 2 nodes', 1);
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    children.push(
      await startChild(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        /Ready to accept connections/,
        'redis-server',
      ),
    );
    for (let i = 0; i < NODES; i++) {
      children.push(
        await startChild(
          process.execPath,
          [CLI, 'worker', '--connection', url, '--queue', 'demo', '--workers', String(perNode), '--quiet', IMAGE_TASKS],
          /^ready /m,
          `weft worker ${i + 1}`,
        ),
      );
    }
    const { ClusterExecutor } = await import('../../cluster/index.js');
    const ex = new ClusterExecutor({ connection: url, queue: 'demo' });
    try {
      await ex.nodes();
      p.start('cluster · 2 nodes', nTiles);
      runs.push(
        await measure(
          'cluster',
          async () => {
            const out: TileResult[] = [];
            for await (const r of ex.map(image.processTile, tiles, { chunksize: 1 })) {
              out.push(r);
              p.tick();
            }
            checksums.push(out.map((r) => r.checksum.toString(16)).join(''));
            return out;
          },
          label,
        ),
      );
    } finally {
      await ex.shutdown({ cancelFutures: true });
    }
  } finally {
    p.stop();
    // The nodes first (they drain and leave the registry), then Redis.
    const [redis, ...nodes] = children;
    await Promise.all(nodes.map((c) => stopChild(c)));
    if (redis) await stopChild(redis);
  }
  const cluster = runs.find((r) => r.model === 'cluster');
  if (cluster && checksums[1] !== checksums[0]) cluster.note = 'computed a different image than the sequential run';
  withSpeedups(runs);
  return {
    name: 'cluster',
    title: 'CPU-bound across machines: ClusterExecutor',
    description:
      `the image job of 'weft demo cpu' (${width}×${height}, ${nTiles} tiles) mapped over ${NODES} weft worker nodes ` +
      `(${perNode} thread${perNode === 1 ? '' : 's'} each) through BullMQ on a local redis-server; one lane per node worker.`,
    runs,
    unavailable: [],
    verdict:
      `The same Executor runs on other machines: each tile is a job in Redis that a node takes and runs in its own pool` +
      (cluster ? ` (${times(cluster.speedup)} here, where the nodes share this machine's ${cpuCount()} CPUs).` : '.') +
      ' Verdict: a ClusterExecutor when one machine is not enough; start nodes with weft worker on every machine.',
  };
}
