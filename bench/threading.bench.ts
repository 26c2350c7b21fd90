/**
 * weft/threading benchmarks (BENCH.md row T9), with same-run baselines.
 *
 *   npx tsx bench/threading.bench.ts [--quick] [--write]
 *
 * - T9: a shared Lock across 2 threads, 1M acquire/release each around a
 *   non-atomic increment of a shared counter: no lost update, >= 1M ops/s total.
 *   Baseline: the same loop with an atomic add (Value.add) and no lock.
 * - Queue: 1 producer thread -> 1 consumer thread, small items, blocking ends
 *   (putSync/getSync), against a MessageChannel between the same two threads.
 *
 * Times are measured inside the workers, after a Barrier, so thread start-up is
 * not counted. `--write` replaces the "## threading (T9)" section of bench/RESULTS.md.
 */
import { cpus, loadavg } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { Thread, Lock, Value, Barrier, Queue, SharedArray } from 'weft/threading';
import { transfer } from 'weft';

const quick = process.argv.includes('--quick');
const write = process.argv.includes('--write');
const OPS = quick ? 200_000 : 1_000_000;
const ITEMS = quick ? 50_000 : 200_000;
const RUNS = quick ? 1 : 3;

/** [start, end] in ms on a clock common to all threads (timeOrigin + now). */
type Span = [number, number];
/** Wall time from the first start to the last end. */
const wall = (spans: Span[]): number => Math.max(...spans.map((s) => s[1])) - Math.min(...spans.map((s) => s[0]));

async function runThreads<R>(fns: ((...a: any[]) => R)[], args: unknown[][]): Promise<Awaited<R>[]> {
  const ts = fns.map((fn, i) => new Thread(fn, { args: args[i] }));
  for (const t of ts) t.start();
  return Promise.all(ts.map((t) => t.join())) as Promise<Awaited<R>[]>;
}

// ── T9 ───────────────────────────────────────────────────────────────────────

function lockLoop(lock: Lock, counter: Int32Array, start: Barrier, n: number): Span {
  start.waitSync();
  const t0 = performance.timeOrigin + performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    counter[0] = counter[0]! + 1;
    lock.release();
  }
  return [t0, performance.timeOrigin + performance.now()];
}

function guardLoop(lock: Lock, counter: Int32Array, start: Barrier, n: number): Span {
  start.waitSync();
  const t0 = performance.timeOrigin + performance.now();
  for (let i = 0; i < n; i++) {
    const g = lock.acquireSync();
    counter[0] = counter[0]! + 1;
    g.release();
  }
  return [t0, performance.timeOrigin + performance.now()];
}

function atomicLoop(value: Value<'int32'>, start: Barrier, n: number): Span {
  start.waitSync();
  const t0 = performance.timeOrigin + performance.now();
  for (let i = 0; i < n; i++) value.add(1);
  return [t0, performance.timeOrigin + performance.now()];
}

async function t9(loop: typeof lockLoop): Promise<{ opsPerSec: number; lost: number }> {
  const lock = new Lock();
  const counter = new SharedArray('int32', 1);
  const start = new Barrier(2);
  const spans = await runThreads(
    [loop, loop],
    [
      [lock, counter, start, OPS],
      [lock, counter, start, OPS],
    ],
  );
  return { opsPerSec: (2 * OPS) / (wall(spans) / 1000), lost: 2 * OPS - counter[0]! };
}

async function atomicBaseline(): Promise<number> {
  const value = new Value('int32', 0);
  const start = new Barrier(2);
  const spans = await runThreads(
    [atomicLoop, atomicLoop],
    [
      [value, start, OPS],
      [value, start, OPS],
    ],
  );
  if (value.value !== 2 * OPS) throw new Error('atomic baseline lost updates');
  return (2 * OPS) / (wall(spans) / 1000);
}

// ── Queue vs MessageChannel ────────────────────────────────────────────────

function qProduce(q: Queue<unknown>, start: Barrier, n: number): Span {
  start.waitSync();
  const t0 = performance.timeOrigin + performance.now();
  for (let i = 0; i < n; i++) q.putSync({ i, tag: 'item' });
  return [t0, performance.timeOrigin + performance.now()];
}

function qConsume(q: Queue<{ i: number }>, start: Barrier, n: number): Span {
  start.waitSync();
  const t0 = performance.timeOrigin + performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += q.getSync().i;
  if (sum !== (n * (n - 1)) / 2) throw new Error('queue lost or duplicated items');
  return [t0, performance.timeOrigin + performance.now()];
}

function mcProduce(port: MessagePort, start: Barrier, n: number): Span {
  start.waitSync();
  const t0 = performance.timeOrigin + performance.now();
  for (let i = 0; i < n; i++) port.postMessage({ i, tag: 'item' });
  return [t0, performance.timeOrigin + performance.now()];
}

function mcConsume(port: MessagePort, start: Barrier, n: number): Promise<Span> {
  return new Promise<Span>((resolve, reject) => {
    let got = 0,
      sum = 0,
      t0 = 0;
    port.onmessage = (e: MessageEvent) => {
      sum += e.data.i;
      if (++got === n) {
        port.close();
        if (sum !== (n * (n - 1)) / 2) reject(new Error('lost messages'));
        else resolve([t0, performance.timeOrigin + performance.now()]);
      }
    };
    start.waitSync();
    t0 = performance.timeOrigin + performance.now();
  });
}

async function queueBench(): Promise<number> {
  const q = new Queue({ maxsize: 4096, bytes: 256 * 1024 });
  const start = new Barrier(2);
  const spans = await runThreads<Span>(
    [qProduce as any, qConsume as any],
    [
      [q, start, ITEMS],
      [q, start, ITEMS],
    ],
  );
  return ITEMS / (wall(spans) / 1000);
}

async function channelBench(): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  const start = new Barrier(2);
  const spans = await runThreads<Span | Promise<Span>>(
    [mcProduce as any, mcConsume as any],
    [
      [transfer(port1, [port1]), start, ITEMS],
      [transfer(port2, [port2]), start, ITEMS],
    ],
  );
  return ITEMS / (wall(spans as Span[]) / 1000);
}

// ── main ───────────────────────────────────────────────────────────────────

function best<T>(xs: T[], key: (x: T) => number): T {
  return xs.reduce((a, b) => (key(b) > key(a) ? b : a));
}
const fmt = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`);

const lockRuns = [],
  guardRuns = [],
  atomicRuns = [],
  qRuns = [],
  mcRuns = [];
for (let r = 0; r < RUNS; r++) {
  lockRuns.push(await t9(lockLoop));
  guardRuns.push(await t9(guardLoop));
  atomicRuns.push(await atomicBaseline());
  qRuns.push(await queueBench());
  mcRuns.push(await channelBench());
}
const lock = best(lockRuns, (x) => x.opsPerSec);
const guardR = best(guardRuns, (x) => x.opsPerSec);
const lost = Math.max(...lockRuns.map((x) => x.lost), ...guardRuns.map((x) => x.lost));
const atomic = Math.max(...atomicRuns);
const qps = Math.max(...qRuns);
const mps = Math.max(...mcRuns);

const rows = [
  [
    'T9: Lock, 2 threads x ' + fmt(OPS) + ' acquireSync/release',
    `${fmt(lock.opsPerSec)} ops/s`,
    lost === 0 ? 'no lost update' : `${lost} LOST`,
    lock.opsPerSec >= 1e6 && lost === 0 ? 'PASS (>= 1M ops/s)' : 'FAIL',
  ],
  ['T9 variant: `const g = acquireSync(); ...; g.release()`', `${fmt(guardR.opsPerSec)} ops/s`, '', ''],
  [
    'baseline: Value.add (atomic, no lock), same threads',
    `${fmt(atomic)} ops/s`,
    '',
    `lock = ${((lock.opsPerSec / atomic) * 100).toFixed(0)}% of it`,
  ],
  [`Queue putSync -> getSync, ${fmt(ITEMS)} small objects`, `${fmt(qps)} items/s`, '', `${(qps / mps).toFixed(2)}x MessageChannel`],
  ['baseline: MessageChannel between the same 2 threads', `${fmt(mps)} items/s`, '', ''],
];
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const load = loadavg()[0]!.toFixed(1);
const header = `Date ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} x ${cpu}, ${process.platform}/${process.arch}; best of ${RUNS} run(s)${quick ? ' (--quick)' : ''}; load average ${load} when it ended (shared machine: numbers drift, ratios less).`;
const table = ['| what | result | check | verdict |', '| --- | --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
console.log(header + '\n\n' + table);

if (write) {
  const path = new URL('./RESULTS.md', import.meta.url);
  const section = `## threading (T9)\n\n${header}\nCommand: \`npx tsx bench/threading.bench.ts --write\`. Times are measured inside the workers after a Barrier.\n\n${table}\n`;
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# weft benchmark results\n';
  const re = /## threading \(T9\)\n[\s\S]*?(?=\n## |$)/;
  text = re.test(text) ? text.replace(re, section.trimEnd() + '\n') : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(path, text);
  console.log(`\nwrote ${path.pathname}`);
}
