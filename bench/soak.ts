/**
 * Soak: mixed load for minutes on a ThreadPoolExecutor, a ProcessPoolExecutor (2
 * workers each) and an AsyncExecutor, plus asyncio and threading primitives (the
 * mixture is test/contracts/soak.ts, shared with test/futures/soak.test.ts), watching
 * for leaks: every `--every` seconds it forces GC and prints heapUsed, RSS, the
 * pools' stats(), the open handles and the internal structures that could grow.
 *
 *   npx tsx bench/soak.ts [--minutes N] [--every S] [--no-processes]
 *
 * At the end: whether heap after GC grew between the second sample and the last (a
 * leak signal), whether an internal structure kept growing, whether any future was
 * left unsettled or settled with the wrong class of outcome, and whether a child
 * process outlived the pool. Exit code 1 if so (2 if a round hangs for a minute).
 * GC is forced without --expose-gc (heapAfterGc).
 */
import { cpus, loadavg } from 'node:os';
import { Soak, heapAfterGc, type Structures } from '../test/contracts/soak.ts';
import { pidAlive as alive } from '../test/contracts/helpers.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

const MINUTES = arg('--minutes', 3);
const EVERY = arg('--every', 15);
const mb = (n: number) => (n / 1048576).toFixed(1);

function handles(): Record<string, number> {
  const by: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) by[r] = (by[r] ?? 0) + 1;
  return by;
}

const soak = new Soak({ processes: !process.argv.includes('--no-processes') });
const t0 = performance.now();
const end = t0 + MINUTES * 60_000;
const samples: { s: number; tasks: number; heap: number; rss: number; structures: Structures }[] = [];
let rounds = 0;
let next = t0;
console.log(
  `# soak: ${MINUTES} min, a sample every ${EVERY} s; Node ${process.version}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
);
while (performance.now() < end) {
  const watchdog = setTimeout(() => {
    const what = [...soak.pending.entries()].slice(0, 10).map(([f, w]) => `${w} (${(f as any).state ?? 'promise'})`);
    console.log(`# HANG: round ${rounds + 1} has not ended after 60 s; ${soak.pending.size} pending: ${what.join(', ')}`);
    console.log(`# threads ${JSON.stringify(soak.threads.stats())}`);
    if (soak.processes) console.log(`# processes ${JSON.stringify(soak.processes.stats())}`);
    console.log(`# async ${JSON.stringify(soak.async.stats())}`);
    console.log(`# wrong outcomes so far: ${soak.mismatches.join('; ') || 'none'}`);
    process.exit(2);
  }, 60_000);
  await soak.round();
  clearTimeout(watchdog);
  rounds++;
  if (performance.now() >= next || performance.now() >= end) {
    next = performance.now() + EVERY * 1000;
    const heap = heapAfterGc();
    const rss = process.memoryUsage().rss;
    const s = (performance.now() - t0) / 1000;
    const structures = soak.structures();
    samples.push({ s, tasks: soak.tasks, heap, rss, structures });
    const st = (p: { stats(): any } | undefined) => {
      if (p === undefined) return '-';
      const x = p.stats();
      return `w${x.workers} b${x.busy} q${x.queued} ok${x.completed} err${x.failed} can${x.cancelled}`;
    };
    console.log(
      `${s.toFixed(0).padStart(5)} s  round ${rounds}  tasks ${soak.tasks}  heap ${mb(heap)} MB  rss ${mb(rss)} MB  ` +
        `threads [${st(soak.threads)}]  processes [${st(soak.processes)}]  async [${st(soak.async)}]`,
    );
    console.log(`         handles ${JSON.stringify(handles())}  structures ${JSON.stringify(structures)}`);
  }
}
const wall = (performance.now() - t0) / 1000;
await soak.close();
await new Promise((r) => setTimeout(r, 200));
const left = [...soak.pids].filter(alive);
for (const pid of left) process.kill(pid, 'SIGKILL');

const first = samples[1] ?? samples[0]!;
const last = samples[samples.length - 1]!;
const growth = last.heap - first.heap;
const perTask = growth / Math.max(1, last.tasks - first.tasks);
console.log(`\n# ${rounds} rounds, ${soak.tasks} tasks in ${wall.toFixed(0)} s; outcomes ${JSON.stringify(soak.outcomes)}`);
console.log(
  `# heap after GC: ${mb(first.heap)} MB at ${first.s.toFixed(0)} s -> ${mb(last.heap)} MB at ${last.s.toFixed(0)} s ` +
    `(${growth >= 0 ? '+' : ''}${mb(growth)} MB, ${perTask.toFixed(1)} bytes per task); rss ${mb(first.rss)} -> ${mb(last.rss)} MB`,
);
console.log(`# handles after shutdown: ${JSON.stringify(handles())}`);
const leak = growth > 8 * 1048576 && perTask > 64;
// A structure keeps growing: larger at each of the last three samples, and at the end
// more than twice (and 300 entries above: the bounded caches hold at most 260) what it
// held at the second sample.
const growing = (Object.keys(last.structures) as (keyof Structures)[]).filter((k) => {
  const v = samples.slice(-3).map((x) => x.structures[k]);
  return v.length === 3 && v[0]! < v[1]! && v[1]! < v[2]! && v[2]! > 2 * first.structures[k] + 300;
});
console.log(`# structures: ${JSON.stringify(first.structures)} -> ${JSON.stringify(last.structures)}`);
const problems = [
  leak ? `heap grew by ${mb(growth)} MB (a leak?)` : '',
  growing.length ? `still growing: ${growing.join(', ')}` : '',
  soak.pending.size ? `${soak.pending.size} futures never settled` : '',
  soak.mismatches.length ? `wrong outcomes: ${soak.mismatches.join('; ')}` : '',
  left.length ? `children left alive: ${left.join(', ')}` : '',
].filter(Boolean);
console.log(problems.length ? `# FAIL: ${problems.join(' | ')}` : '# PASS: heap flat, every future settled as expected, no child left');
process.exit(problems.length ? 1 : 0);
