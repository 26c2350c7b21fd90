/**
 * T14 and T15: ClusterExecutor on 2 local worker nodes and one redis-server,
 * against raw BullMQ in the same run.
 *
 *   npm run build && npx tsx bench/cluster.bench.ts [--quick] [--write]
 *
 * - T14 map: `await ex.map(id, 100k items)` (chunksize 'auto'), items/s.
 * - T14 round trip: one task at a time, p50; the anchor is raw BullMQ on the
 *   same Redis: `queue.add`, then its 'completed' event (QueueEvents), with two
 *   raw BullMQ worker processes running `job => job.data.x`.
 * - T15: a node running a task is SIGKILLed; time from the kill until the
 *   task's future settles (re-run on the other node), against lockDuration + 3 s.
 *
 * Round-robin repetitions, medians reported. Needs redis-server on the PATH.
 * --write replaces the "## cluster (T14, T15)" section of bench/RESULTS.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { ClusterExecutor } from 'weft/cluster';
import tasks from './cluster-workers/weft-tasks.mjs';

const QUICK = process.argv.includes('--quick');
const WRITE = process.argv.includes('--write');
const N_MAP = QUICK ? 20_000 : 100_000;
const N_LAT = QUICK ? 200 : 500;
const REPS = QUICK ? 1 : 3;
const LOST_REPS = QUICK ? 1 : 2;
const LOCK = 5000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TASKS = fileURLToPath(new URL('./cluster-workers/weft-tasks.mjs', import.meta.url));
const RAW = fileURLToPath(new URL('./cluster-workers/raw-bullmq.mjs', import.meta.url));

const children = new Set<ChildProcess>();
function start(cmd: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`${cmd} ${args.join(' ')}: not ready in 30 s\n${out}`)), 30_000);
    const on = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', on);
        child.stdout!.resume();
        child.stderr!.resume();
        res(child);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (c) => rej(new Error(`${cmd} exited (${c}) before it was ready\n${out}`)));
  });
}
function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}
const node = (url: string, queue: string, extra: string[] = []) =>
  start(process.execPath, [CLI, 'worker', '--connection', url, '--queue', queue, '--workers', '1', '--quiet', ...extra, TASKS], /^ready /m);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p50 = median;
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

async function main(): Promise<void> {
  const port = await freePort();
  await start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept/);
  const url = `redis://127.0.0.1:${port}`;
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  await Promise.all([
    node(url, 'bench'),
    node(url, 'bench'),
    ...[1, 2].map(() => start(process.execPath, [RAW, String(port), 'raw'], /ready/)),
  ]);

  const ex = new ClusterExecutor({ connection: url, queue: 'bench' });
  const q = new Queue('raw', { connection });
  const qe = new QueueEvents('raw', { connection });
  await qe.waitUntilReady();
  const waiting = new Map<string, () => void>();
  qe.on('completed', ({ jobId }) => waiting.get(jobId)?.());
  let rawSeq = 0;
  const rawOne = async (x: number) => {
    const jobId = `r${++rawSeq}`;
    const done = new Promise<void>((r) => waiting.set(jobId, r));
    await q.add('id', { x }, { jobId, removeOnComplete: { age: 600 } });
    await done;
    waiting.delete(jobId);
  };
  const weftOne = (x: number) => ex.submit(tasks.id, x);
  const lat = async (one: (x: number) => PromiseLike<unknown>, n: number) => {
    const ts: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await one(i);
      ts.push(performance.now() - t);
    }
    return p50(ts);
  };
  // Warm up both paths (connections, code, the nodes' pools).
  await lat(weftOne, 100);
  await lat(rawOne, 100);
  await ex.map(
    tasks.id,
    Array.from({ length: 5000 }, (_, i) => i),
  );

  const weftLat: number[] = [];
  const rawLat: number[] = [];
  const maps: number[] = [];
  const jobs: number[] = [];
  const items = Array.from({ length: N_MAP }, (_, i) => i);
  for (let rep = 0; rep < REPS; rep++) {
    weftLat.push(await lat(weftOne, N_LAT));
    rawLat.push(await lat(rawOne, N_LAT));
    const before = ex.stats().submitted;
    const t = performance.now();
    const out = await ex.map(tasks.id, items);
    jobs.push(ex.stats().submitted - before);
    if (out.length !== N_MAP || out[N_MAP - 1] !== N_MAP - 1) throw new Error('map returned wrong results');
    maps.push(N_MAP / ((performance.now() - t) / 1000));
    console.error(
      `rep ${rep + 1}: round trip p50 weft ${weftLat.at(-1)!.toFixed(2)} ms, raw BullMQ ${rawLat.at(-1)!.toFixed(2)} ms; map ${fmt(maps.at(-1)!)} items/s`,
    );
  }

  // T15: a node is SIGKILLed while it runs a task.
  const lostNodes = await Promise.all([
    node(url, 'lost', ['--lock-duration', String(LOCK)]),
    node(url, 'lost', ['--lock-duration', String(LOCK)]),
  ]);
  const exLost = new ClusterExecutor({ connection: url, queue: 'lost', lockDuration: LOCK });
  const settles: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-lost-'));
  for (let rep = 0; rep < LOST_REPS; rep++) {
    const marker = join(dir, `run-${rep}`);
    const f = exLost.submit(tasks.slowOnce, marker);
    while (!existsSync(marker) || readFileSync(marker, 'utf8') === '') await new Promise((r) => setTimeout(r, 10));
    const pid = Number(readFileSync(marker, 'utf8'));
    const victim = lostNodes.findIndex((c) => c.pid === pid);
    if (victim < 0) throw new Error(`no node with pid ${pid}`);
    const t = performance.now();
    process.kill(pid, 'SIGKILL');
    const v = await f;
    const ms = performance.now() - t;
    if (v !== 'rerun') throw new Error(`expected a re-run, got ${String(v)}`);
    settles.push(ms);
    console.error(`lost node ${rep + 1}: settled ${(ms / 1000).toFixed(2)} s after the kill (lockDuration ${LOCK / 1000} s)`);
    lostNodes[victim] = await node(url, 'lost', ['--lock-duration', String(LOCK)]);
  }
  rmSync(dir, { recursive: true, force: true });

  await Promise.all([ex.shutdown(), exLost.shutdown(), q.close(), qe.close()]);
  for (const c of children) c.kill('SIGKILL');

  const mapMed = median(maps);
  const wl = median(weftLat);
  const rl = median(rawLat);
  const lostMax = Math.max(...settles);
  const rows = [
    `| T14 | map of ${fmt(N_MAP)} trivial items, chunksize 'auto', 2 nodes | ${fmt(mapMed)} items/s (${median(jobs)} jobs per map) | (target is absolute) | ${(mapMed / 200_000).toFixed(2)}x target | >= 200k items/s | ${mapMed >= 200_000 ? 'PASS' : 'FAIL'} |`,
    `| T14 | one task at a time, round trip p50 | ${wl.toFixed(2)} ms | raw BullMQ add + completion (QueueEvents) ${rl.toFixed(2)} ms | ${(wl / rl).toFixed(2)}x raw BullMQ | <= 1.5x raw BullMQ | ${wl / rl <= 1.5 ? 'PASS' : 'FAIL'} |`,
    `| T15 | a SIGKILLed node's running task settles (re-run elsewhere) | ${settles.map((s) => `${(s / 1000).toFixed(2)} s`).join(', ')} after the kill | lockDuration ${LOCK / 1000} s + 3 s = ${LOCK / 1000 + 3} s | ${(lostMax / (LOCK + 3000)).toFixed(2)}x the bound | <= lockDuration + 3 s | ${lostMax <= LOCK + 3000 ? 'PASS' : 'FAIL'} |`,
  ];
  const section = [
    '## cluster (T14, T15)',
    '',
    `Date ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${redisVersion()}, BullMQ ${bullmqVersion()}, ${cpus().length} x ${cpus()[0]?.model.trim()}, ${process.platform}/${process.arch}; ` +
      `load average ${loadavg()[0]!.toFixed(1)} when it ended (loaded machine: shared with other work; ratios drift less than numbers).`,
    `Command: \`npx tsx bench/cluster.bench.ts --write\` (${REPS} round-robin repetitions, medians). One redis-server on loopback; 2 \`weft worker\` nodes (1 thread each) and 2 raw BullMQ worker processes (concurrency 1) on the same machine; trivial task \`x => x\`.`,
    '',
    '| # | metric | weft | anchor (same run) | ratio | target | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Runs: map ${maps.map(fmt).join(' / ')} items/s; round trip p50 weft ${weftLat.map((x) => x.toFixed(2)).join(' / ')} ms, raw BullMQ ${rawLat.map((x) => x.toFixed(2)).join(' / ')} ms.`,
    '',
  ].join('\n');
  console.log(section);
  if (WRITE) writeSection(section);
}

function redisVersion(): string {
  try {
    return `Redis ${/v=([\d.]+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?'}`;
  } catch {
    return 'Redis ?';
  }
}
function bullmqVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'bullmq', 'package.json'), 'utf8')) as { version: string }).version;
}

function writeSection(section: string): void {
  const file = new URL('./RESULTS.md', import.meta.url);
  let text = readFileSync(file, 'utf8');
  const start = text.indexOf('## cluster (T14, T15)');
  if (start < 0) text = text.trimEnd() + '\n\n' + section;
  else {
    const next = text.indexOf('\n## ', start + 5);
    text = text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1));
  }
  writeFileSync(file, text);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGKILL');
}
