/**
 * weft/asyncio benchmarks: BENCH.md rows T6, T7, T8, T10, each against its anchor
 * measured in the same run, printed as ratios.
 *
 *   npx tsx bench/asyncio.bench.ts            # print
 *   npx tsx bench/asyncio.bench.ts --write    # also replace the asyncio section of bench/RESULTS.md
 *   options: --quick (smaller N), --only=T6,T7
 *
 * Every row runs in a child process of its own (same Node, same flags): on Node 20 an
 * AsyncLocalStorage costs nothing until first used and slows every promise of the
 * process once it is, so a row must not pay for the tasks of the row before it.
 * T10 measures "bare" before any weft task exists, and again after (the global cost).
 * T8 runs each side in a separate child so the heap numbers are its own.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { Mutex, Semaphore as AMSemaphore } from 'async-mutex';
import { Lock, Semaphore, createTask, sleep, taskGroup } from 'weft/asyncio';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = args.includes('--write');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const rowArg = args.find((a) => a.startsWith('--row='))?.slice(6);
const want = (id: string) => rowArg === id;
const isRowChild = rowArg !== undefined;
const rows: string[][] = [];
const notes: string[] = [];

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : n.toFixed(0));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const gc = (globalThis as { gc?: () => void }).gc;

/** Best (smallest) time of `reps` runs of fn, in ms. */
async function best(reps: number, fn: () => Promise<unknown>): Promise<number> {
  return (await interleaved(reps, [fn]))[0]!;
}

/**
 * Runs the functions round-robin `reps` times (weft and anchor alternate, so a burst
 * of load from other processes on this shared machine hits both) and returns the
 * best wall time of each, in ms. The order rotates every round, so no side always
 * runs first (or always right after the same neighbour). A full GC runs before each
 * measurement when exposed.
 */
async function interleaved(reps: number, fns: Array<() => Promise<unknown>>): Promise<number[]> {
  const mins = fns.map(() => Infinity);
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (k + r) % fns.length;
      gc?.();
      const t0 = performance.now();
      await fns[i]!();
      mins[i] = Math.min(mins[i]!, performance.now() - t0);
    }
  }
  return mins;
}

// ─── T8 child mode ───────────────────────────────────────────────────────────
if (args[0] === '--t8-child') {
  const mode = args[1];
  const n = Number(args[2]);
  const ms = 1000;
  (globalThis as { gc?: () => void }).gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed - heap0);
  }, 100);
  const t0 = performance.now();
  if (mode === 'bare') {
    const ps = new Array<Promise<void>>(n);
    for (let i = 0; i < n; i++) ps[i] = new Promise<void>((r) => setTimeout(r, ms));
    peak = Math.max(peak, process.memoryUsage().heapUsed - heap0);
    await Promise.all(ps);
  } else {
    await taskGroup(async (tg) => {
      for (let i = 0; i < n; i++) tg.createTask(() => sleep(ms));
      peak = Math.max(peak, process.memoryUsage().heapUsed - heap0);
    });
  }
  const elapsed = performance.now() - t0;
  clearInterval(sampler);
  console.log(JSON.stringify({ elapsed, peakMB: peak / 2 ** 20 }));
  process.exit(0);
}

if (!isRowChild && args[0] !== '--t8-child') {
  // parent: run every wanted row in its own child process, collect its rows
  const self = fileURLToPath(import.meta.url);
  for (const id of ['T10', 'T6', 'T7', 'T8']) {
    if (only && !only.includes(id)) continue;
    const out = execFileSync(process.execPath, [...process.execArgv, '--expose-gc', self, `--row=${id}`, ...(quick ? ['--quick'] : [])], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const last = out.trim().split('\n').pop()!;
    rows.push(...(JSON.parse(last) as string[][]));
    process.stderr.write(`${id} done\n`);
  }
}

// ─── T10: context cost on a promise-heavy loop ──────────────────────────────
async function leaf(i: number): Promise<number> {
  return i;
}
async function promiseLoop(n: number): Promise<number> {
  let s = 0;
  for (let i = 0; i < n; i++) s += await leaf(i);
  return s;
}

if (want('T10')) {
  const n = quick ? 200_000 : 1_000_000;
  await promiseLoop(50_000);
  const bare = await best(5, () => promiseLoop(n)); // no AsyncLocalStorage yet
  const inTask = await best(5, () => createTask(() => promiseLoop(n)).asPromise());
  const bareAfter = await best(5, () => promiseLoop(n)); // ALS enabled, code outside any task
  rows.push([
    'T10',
    `promise-heavy loop (${fmt(n)} awaits of an async call) inside a Task`,
    `${fmt((n / inTask) * 1000)}/s`,
    `bare (no AsyncLocalStorage yet): ${fmt((n / bare) * 1000)}/s`,
    `${(inTask / bare).toFixed(2)}x bare`,
    inTask / bare <= 1.3 ? 'PASS (<= 1.3x)' : 'MISS (<= 1.3x)',
  ]);
  rows.push([
    'T10',
    'same loop outside any task, once AsyncLocalStorage is in use',
    `${fmt((n / bareAfter) * 1000)}/s`,
    '',
    `${(bareAfter / bare).toFixed(2)}x bare`,
    'info',
  ]);
}

// ─── T6: Semaphore-limited 200k tasks ───────────────────────────────────────
async function work(i: number): Promise<number> {
  return i;
}

if (want('T6')) {
  const n = quick ? 50_000 : 200_000;
  const nm = quick ? 10_000 : 20_000; // async-mutex is quadratic-ish: fewer items (flatters it)
  const range = Array.from({ length: n }, (_, i) => i);
  const limited = async () => {
    const limit = pLimit(10);
    await Promise.all(range.map((i) => limit(() => work(i))));
  };
  const pqueue = async () => {
    const q = new PQueue({ concurrency: 10 });
    await Promise.all(range.map((i) => q.add(() => work(i))));
  };
  const weftSem = async () => {
    const sem = new Semaphore(10);
    await Promise.all(
      range.map(async (i) => {
        const g = await sem.acquire();
        try {
          return await work(i);
        } finally {
          g.release();
        }
      }),
    );
  };
  const weftTasks = async () => {
    const sem = new Semaphore(10);
    await taskGroup(async (tg) => {
      for (let i = 0; i < n; i++)
        tg.createTask(async () => {
          const g = await sem.acquire();
          try {
            return await work(i);
          } finally {
            g.release();
          }
        });
    });
  };
  const amSem = async () => {
    const sem = new AMSemaphore(10);
    await Promise.all(range.slice(0, nm).map((i) => sem.runExclusive(() => work(i))));
  };
  await limited();
  await weftSem(); // warm up
  const [tP, tQ, tW] = await interleaved(5, [limited, pqueue, weftSem]); // 5 rounds: both sides are GC-bound and noisy
  const tM = await best(1, amSem);
  const tT = await best(3, weftTasks); // last: it turns AsyncLocalStorage on for the whole process
  const rP = (n / tP) * 1000,
    rQ = (n / tQ) * 1000,
    rW = (n / tW) * 1000,
    rT = (n / tT) * 1000,
    rM = (nm / tM) * 1000;
  rows.push([
    'T6',
    `Semaphore(10), ${fmt(n)} async calls (\`await sem.acquire()\` / release)`,
    `${fmt(rW)}/s`,
    `p-limit(10): ${fmt(rP)}/s`,
    ratio(rW, rP),
    rW / rP >= 1.5 ? 'PASS (>= 1.5x)' : 'MISS (>= 1.5x)',
  ]);
  rows.push([
    'T6',
    `same, each call a weft Task in one TaskGroup`,
    `${fmt(rT)}/s`,
    `p-limit(10): ${fmt(rP)}/s`,
    ratio(rT, rP),
    rT / rP >= 1.5 ? 'PASS (>= 1.5x)' : 'below 1.5x',
  ]);
  rows.push([
    'T6',
    'anchors',
    '',
    `p-queue(10): ${fmt(rQ)}/s; async-mutex Semaphore(10): ${fmt(rM)}/s (${fmt(nm)} items)`,
    `${ratio(rW, rQ)} p-queue`,
    'info',
  ]);
}

// ─── T7: contended Lock ─────────────────────────────────────────────────────
// async-mutex's contended cost grows with the queue length (it is ~quadratic), so the
// like-for-like number runs both at the same N; at the full 200k that takes it ~30 s.
if (want('T7')) {
  const n = quick ? 20_000 : 200_000;
  const weftLock = async (count: number) => {
    const lock = new Lock();
    let c = 0;
    const ps = new Array<Promise<void>>(count);
    for (let i = 0; i < count; i++)
      ps[i] = (async () => {
        const g = await lock.acquire();
        try {
          c++;
          await null;
        } finally {
          g.release();
        }
      })();
    await Promise.all(ps);
    if (c !== count) throw new Error('lost update');
  };
  const amMutex = async (count: number) => {
    const m = new Mutex();
    let c = 0;
    const ps = new Array<Promise<void>>(count);
    for (let i = 0; i < count; i++)
      ps[i] = m.runExclusive(async () => {
        c++;
        await null;
      });
    await Promise.all(ps);
    if (c !== count) throw new Error('lost update');
  };
  // The limit (BENCH.md T7): a minimal FIFO promise lock, a flag and an array of resolvers.
  const minimalLock = async (count: number) => {
    let held = false;
    const waiters: (() => void)[] = [];
    let head = 0;
    const acquire = (): Promise<void> | void => {
      if (!held) {
        held = true;
        return;
      }
      return new Promise<void>((r) => waiters.push(r));
    };
    const release = (): void => {
      if (head < waiters.length) waiters[head++]!();
      else held = false;
    };
    let c = 0;
    const ps = new Array<Promise<void>>(count);
    for (let i = 0; i < count; i++)
      ps[i] = (async () => {
        await acquire();
        try {
          c++;
          await null;
        } finally {
          release();
        }
      })();
    await Promise.all(ps);
    if (c !== count) throw new Error('lost update');
  };
  await weftLock(10_000);
  await minimalLock(10_000);
  // Interleaved, best of 3 each, so a burst of load from other processes does not decide the ratio.
  const [tW, tL] = await interleaved(3, [() => weftLock(n), () => minimalLock(n)]);
  const tM = await best(1, () => amMutex(n)); // one run: async-mutex takes ~15-30 s at 200k
  const rW = (n / tW) * 1000,
    rL = (n / tL) * 1000,
    rM = (n / tM) * 1000;
  rows.push([
    'T7',
    `Lock, contended: ${fmt(n)} concurrent acquire / release`,
    `${fmt(rW)}/s`,
    `minimal FIFO promise lock: ${fmt(rL)}/s`,
    ratio(rW, rL),
    rW / rL >= 0.9 ? 'PASS (>= 0.9x)' : 'MISS (>= 0.9x)',
  ]);
  rows.push(['T7', 'same, against async-mutex', `${fmt(rW)}/s`, `async-mutex Mutex: ${fmt(rM)}/s`, ratio(rW, rM), 'info']);
  const small = 10_000;
  const [tWs, tMs] = await interleaved(3, [() => weftLock(small), () => amMutex(small)]);
  rows.push([
    'T7',
    `same at ${fmt(small)} (async-mutex's best case: short queue)`,
    `${fmt((small / tWs) * 1000)}/s`,
    `async-mutex Mutex: ${fmt((small / tMs) * 1000)}/s`,
    ratio(tMs, tWs),
    'info',
  ]);
}

// ─── T8: 100k sleeping tasks ─────────────────────────────────────────────────
if (want('T8')) {
  const n = quick ? 20_000 : 100_000;
  const self = fileURLToPath(import.meta.url);
  const child = (mode: string) =>
    JSON.parse(
      execFileSync(process.execPath, [...process.execArgv, '--expose-gc', self, '--t8-child', mode, String(n)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop()!,
    ) as { elapsed: number; peakMB: number };
  // three interleaved runs of each side, each in a fresh process; best time, worst heap
  let bare = { elapsed: Infinity, peakMB: 0 };
  let weft = { elapsed: Infinity, peakMB: 0 };
  for (let r = 0; r < 3; r++) {
    const b = child('bare');
    const w = child('weft');
    bare = { elapsed: Math.min(bare.elapsed, b.elapsed), peakMB: Math.max(bare.peakMB, b.peakMB) };
    weft = { elapsed: Math.min(weft.elapsed, w.elapsed), peakMB: Math.max(weft.peakMB, w.peakMB) };
  }
  const r = weft.elapsed / bare.elapsed;
  rows.push([
    'T8',
    `${fmt(n)} Tasks each \`sleep(1000)\` in one TaskGroup, until all settled`,
    `${(weft.elapsed / 1000).toFixed(2)} s, heap +${weft.peakMB.toFixed(0)} MB`,
    `bare setTimeout promises: ${(bare.elapsed / 1000).toFixed(2)} s, heap +${bare.peakMB.toFixed(0)} MB`,
    `${r.toFixed(2)}x`,
    r <= 1.25 && weft.peakMB < 200 ? 'PASS (<= 1.25x, < 200 MB)' : 'MISS (<= 1.25x, < 200 MB)',
  ]);
}

if (isRowChild) {
  console.log(JSON.stringify(rows));
  process.exit(0);
}

// ─── report ─────────────────────────────────────────────────────────────────
const cpu = os.cpus();
const header = `Date ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, ${process.platform}/${process.arch}${quick ? ', --quick' : ''}.`;
const table = [
  '| # | what | weft | anchor (same run) | ratio | verdict |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(header);
console.log(table);
for (const n of notes) console.log(n);

if (write) {
  const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  const title = '## asyncio (T6, T7, T8, T10)';
  const section = `${title}\n\n${header}\nCommand: \`npx tsx bench/asyncio.bench.ts --write\`. Each row runs in its own process; times are the best of 3 interleaved runs in rotating order (5 for T6; 1 for async-mutex at 200k, ~15-30 s, with weft's 3 runs around it), full GC before each. The machine is shared (2 cores, other jobs running): expect +-30% between runs.\n\n${table}\n`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# weft benchmark results\n';
  const start = text.indexOf(title);
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + title.length);
    const notesStart = text.indexOf('\n<!-- asyncio notes -->', start);
    const end = next < 0 ? text.length : next + 1;
    const keepNotes = notesStart >= 0 && notesStart < end ? text.slice(notesStart + 1, end) : '';
    text = text.slice(0, start) + section + (keepNotes ? `\n${keepNotes}` : '\n') + text.slice(end);
  } else {
    text = `${text.trimEnd()}\n\n${section}`;
  }
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
