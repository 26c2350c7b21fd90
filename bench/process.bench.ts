/**
 * T5: ProcessPoolExecutor submit throughput, trivial task, 2 child processes,
 * against Python's concurrent.futures.ProcessPoolExecutor, workerpool's process
 * mode and tinypool's child_process runtime, all in the same run.
 *
 *   npx tsx bench/process.bench.ts [--quick] [--write]
 *
 * Each library: 2 workers, warmed up (children started), then N trivial tasks
 * submitted at once ("all in flight") and awaited; round-robin over the
 * libraries, REPS times; the median per library is reported. Also: map with
 * chunking (weft 'auto' vs Python chunksize=64), for information.
 * --write replaces the "## multiprocessing (T5)" section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { ProcessPoolExecutor } from 'weft';
import workerpool from 'workerpool';
import { Tinypool } from 'tinypool';
import tasks from './process-workers/weft-tasks.mjs';

const QUICK = process.argv.includes('--quick');
const WRITE = process.argv.includes('--write');
const W = 2;
const N_WEFT = QUICK ? 20_000 : 100_000;
const N_ANCHOR = QUICK ? 5_000 : 20_000;
const N_MAP = QUICK ? 200_000 : 1_000_000;
const REPS = QUICK ? 1 : 3;
const url = (f: string) => new URL(`./process-workers/${f}`, import.meta.url);

interface Lib {
  name: string;
  n: number;
  run(n: number): Promise<number>;
  close(): Promise<unknown>;
}

async function timeAll(n: number, submit: (i: number) => PromiseLike<unknown>): Promise<number> {
  const t = performance.now();
  const ps: PromiseLike<unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = submit(i);
  await Promise.all(ps);
  return n / ((performance.now() - t) / 1000);
}

function weft(): Lib {
  const pool = new ProcessPoolExecutor({ maxWorkers: W });
  return {
    name: 'weft ProcessPoolExecutor',
    n: N_WEFT,
    run: (n) => timeAll(n, (i) => pool.submit(tasks.id, i)),
    close: () => pool.shutdown(),
  };
}
function wpool(): Lib {
  const pool = workerpool.pool(url('workerpool.cjs').pathname, { minWorkers: W, maxWorkers: W, workerType: 'process' });
  return {
    name: 'workerpool 10 (process)',
    n: N_ANCHOR,
    run: (n) => timeAll(n, (i) => pool.exec('id', [i])),
    close: () => pool.terminate(),
  };
}
function tpool(): Lib {
  const pool = new Tinypool({ filename: url('tinypool.mjs').href, runtime: 'child_process', minThreads: W, maxThreads: W });
  return { name: 'tinypool 2.2 (child_process)', n: N_ANCHOR, run: (n) => timeAll(n, (i) => pool.run(i)), close: () => pool.destroy() };
}

const PY = `
import sys, time
from concurrent.futures import ProcessPoolExecutor
def ident(x): return x
if __name__ == '__main__':
    n, nmap, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    with ProcessPoolExecutor(${W}) as ex:
        list(ex.map(ident, range(2000)))
        for _ in range(reps):
            t = time.perf_counter(); fs = [ex.submit(ident, i) for i in range(n)]
            for f in fs: f.result()
            print('submit', n / (time.perf_counter() - t))
        t = time.perf_counter(); list(ex.map(ident, range(nmap), chunksize=64)); print('map', nmap / (time.perf_counter() - t))
`;

function python(reps: number): { submit: number[]; map: number } | undefined {
  const r = spawnSync('python3', ['-c', PY, String(N_ANCHOR), String(N_MAP / 2), String(reps)], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    console.error(`python3 failed: ${r.stderr || r.error}`);
    return undefined;
  }
  const submit = [...r.stdout.matchAll(/submit ([\d.]+)/g)].map((m) => Number(m[1]));
  const map = Number(/map ([\d.]+)/.exec(r.stdout)?.[1]);
  return { submit, map };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

async function main(): Promise<void> {
  const libs = [weft(), wpool(), tpool()];
  for (const l of libs) await l.run(1000); // warm up: children started, code loaded
  const results = new Map<string, number[]>(libs.map((l) => [l.name, []]));
  let py: { submit: number[]; map: number } | undefined;
  for (let rep = 0; rep < REPS; rep++) {
    for (const l of libs) {
      const v = await l.run(l.n);
      results.get(l.name)!.push(v);
      console.error(`rep ${rep + 1}: ${l.name} ${fmt(v)}/s`);
    }
    if (rep === 0) {
      py = python(REPS);
      if (py) console.error(`python: submit ${py.submit.map(fmt).join(', ')} /s; map ${fmt(py.map)}/s`);
    }
  }
  // map, for information
  const ex = libs[0]!;
  const pool = new ProcessPoolExecutor({ maxWorkers: W });
  await pool.map(
    tasks.id,
    Array.from({ length: 10_000 }, (_, i) => i),
  );
  const items = Array.from({ length: N_MAP }, (_, i) => i);
  const t = performance.now();
  await pool.map(tasks.id, items);
  const weftMap = N_MAP / ((performance.now() - t) / 1000);
  await pool.shutdown();
  for (const l of libs) await l.close();
  void ex;

  const weftMed = median(results.get(libs[0]!.name)!);
  const pyMed = py ? median(py.submit) : NaN;
  const ratio = weftMed / pyMed;
  const rows = [
    `| T5 | submit, all in flight, trivial task, 2 children | ${fmt(weftMed)}/s (N=${fmt(N_WEFT)}) | Python 3 ProcessPoolExecutor ${fmt(pyMed)}/s (N=${fmt(N_ANCHOR)}) | ${ratio.toFixed(1)}x Python | >= 5x Python | ${ratio >= 5 ? 'PASS' : 'FAIL'} |`,
    `| | same, vs the JS process pools | | workerpool (process) ${fmt(median(results.get(libs[1]!.name)!))}/s, tinypool (child_process) ${fmt(median(results.get(libs[2]!.name)!))}/s (N=${fmt(N_ANCHOR)}) | ${(weftMed / median(results.get(libs[1]!.name)!)).toFixed(1)}x workerpool, ${(weftMed / median(results.get(libs[2]!.name)!)).toFixed(1)}x tinypool | | |`,
    `| | map, chunksize 'auto' (Python: chunksize=64) | ${fmt(weftMap)} items/s (N=${fmt(N_MAP)}) | Python ${py ? fmt(py.map) : '?'} items/s (N=${fmt(N_MAP / 2)}) | ${py ? (weftMap / py.map).toFixed(1) : '?'}x Python | (information) | |`,
  ];
  const runs =
    libs.map((l) => `${l.name} ${results.get(l.name)!.map(fmt).join(' / ')}`).join('; ') +
    (py ? `; Python ${py.submit.map(fmt).join(' / ')}` : '');
  const section = [
    '## multiprocessing (T5)',
    '',
    `Date ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, Python ${pythonVersion()}, ${cpus().length} x ${cpus()[0]?.model.trim()}, ${process.platform}/${process.arch}; ` +
      `load average ${loadavg()[0]!.toFixed(1)} when it ended (shared machine: numbers drift, ratios less).`,
    `Command: \`npx tsx bench/process.bench.ts --write\` (${REPS} round-robin repetitions, median reported). 2 child processes each, trivial task \`x => x\`, pools warmed up first.`,
    '',
    '| # | metric | weft | anchors (same run) | ratio | target | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Runs: ${runs}.`,
    '',
  ].join('\n');
  console.log(section);
  if (WRITE) writeSection(section);
}

function pythonVersion(): string {
  const r = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr).trim().replace(/^Python /, '');
}

function writeSection(section: string): void {
  const file = new URL('./RESULTS.md', import.meta.url);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# weft benchmark results\n\n';
  }
  const start = text.indexOf('## multiprocessing (T5)');
  if (start < 0) text = text.trimEnd() + '\n\n' + section;
  else {
    const next = text.indexOf('\n## ', start + 5);
    text = text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1));
  }
  writeFileSync(file, text);
}

await main();
