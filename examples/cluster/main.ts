/**
 * A ClusterExecutor: the same Executor, with the work on worker nodes.
 *
 *   npx tsx examples/cluster/main.ts                  # starts redis-server and two nodes here
 *   REDIS_URL=redis://10.0.0.5:6379 npx tsx examples/cluster/main.ts   # use your Redis and nodes
 *
 * With no REDIS_URL it starts a redis-server (Debian: apt-get install redis-server)
 * on a free loopback port and two `weft worker` nodes as child processes, runs,
 * and stops them. On real machines you start the nodes yourself, on each one:
 *
 *   npx weft worker --connection redis://10.0.0.5:6379 ./examples/cluster/tasks.ts
 *
 * (a TypeScript task module needs `node --import tsx $(npx which weft) worker ...`
 * on Node 20, or Node 22.18+; compiled JavaScript needs nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ClusterExecutor } from 'weft/cluster';
import tasks from './tasks.ts';

const children: ChildProcess[] = [];

/** Starts `cmd` and waits until its output matches `ready`. */
function start(cmd: string, args: string[], ready: RegExp): Promise<void> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
  });
}

/** SIGTERM, SIGKILL 5 s later if need be; resolves once it exited. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function localCluster(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  await start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept/);
  const url = `redis://127.0.0.1:${port}`;
  const weft = fileURLToPath(new URL('./dist/cli/main.js', import.meta.resolve('weft/package.json')));
  const node = [
    ...process.execArgv,
    weft,
    'worker',
    '--connection',
    url,
    '--workers',
    '1',
    '--quiet',
    fileURLToPath(new URL('./tasks.ts', import.meta.url)),
  ];
  await Promise.all([start(process.execPath, node, /^ready/m), start(process.execPath, node, /^ready/m)]);
  return url;
}

try {
  const connection = process.env.REDIS_URL ?? (await localCluster());
  await using ex = new ClusterExecutor({ connection });
  for (const n of await ex.nodes()) console.log(`node ${n.id}: ${n.workers} ${n.backend}, serves ${n.tasks.length} tasks`);

  console.log(`fib(25) = ${await ex.submit(tasks.fib, 25)}`);

  const numbers = Array.from({ length: 20 }, (_, i) => 1_000_000 + i);
  const t0 = performance.now();
  const sums = await ex.map(tasks.cpuBound, numbers);
  console.log(`${sums.length} cpuBound sums in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

  const places = await Promise.all(Array.from({ length: 8 }, () => ex.submit(tasks.where)));
  console.log(`ran on: ${[...new Set(places)].join(', ')}`);
} finally {
  // The nodes first (they finish their tasks and leave), then redis-server.
  const [redis, ...nodes] = children;
  await Promise.all(nodes.map(stop));
  if (redis) await stop(redis);
}
