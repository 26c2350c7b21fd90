/**
 * `weft demo [io|cpu|race|cluster|all] [--quick] [--json] [--report FILE.html]`: the
 * seeds' lesson, measured here. Runs each workload sequentially and under each
 * model, then prints a table and a verdict per workload (or JSON), and
 * optionally writes the HTML report with the timelines.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, UsageError, closest } from '../args.js';
import { Progress, styles, table, fmtSeconds } from '../term.js';
import { runIo } from './io.js';
import { runCpu } from './cpu.js';
import { runRace } from './race.js';
import { runCluster, hasRedisServer, NO_REDIS } from './cluster.js';
import { renderReport, machineInfo } from './report.js';
import { fmtDuration, times, type Workload, type WorkloadName, type DemoContext } from './common.js';

const WORKLOADS: readonly WorkloadName[] = ['io', 'cpu', 'race'];
/** Workloads run only when named ('all' leaves them out): cluster needs redis-server. */
const EXTRA: readonly WorkloadName[] = ['cluster'];
const RUNNERS: Record<WorkloadName, (ctx: DemoContext) => Promise<Workload>> = {
  io: runIo,
  cpu: runCpu,
  race: runRace,
  cluster: runCluster,
};

export const DEMO_HELP = `Usage: weft demo [io|cpu|race|all] [--quick] [--json] [--report FILE.html]

The lesson of Python's concurrency toolkit, measured on this machine: I/O-bound
work waits in parallel (asyncio, threads), CPU-bound work runs in parallel
(threads and processes here: Node's worker threads have no GIL), and shared
state needs a lock or an atomic operation.

Workloads (default: all):
  io     the seeds' web crawler against an embedded slow HTTP server on 127.0.0.1
  cpu    image processing (Gaussian blur + Sobel edges) on a generated image, in tiles
  race   tasks, threads and processes adding to one shared counter: no lock, a Lock, an atomic add

Also, only when named (weft demo cluster): the cpu job across two weft worker
nodes with a ClusterExecutor, through BullMQ on a redis-server it starts on
127.0.0.1 (needs redis-server on the PATH; exit code 2 without it).

Each runs sequentially, as asyncio tasks, on a ThreadPoolExecutor and on a
ProcessPoolExecutor, and is reported with its time, the part of it spent
starting workers, speedup, CPU time, cores busy and a verdict. io and cpu run
each model 3 times (2 with --quick), new workers each time, and keep the best,
so a busy machine does not decide the verdict.

Options:
  --quick              smaller workloads (about 14 s in all on 2 cores)
  --json               print the results as JSON on stdout, nothing else
  --report FILE.html   write a self-contained HTML report with a timeline per model
  -h, --help           show this help
`;

/** Entry of `weft demo`. Returns the exit code. */
export async function demo(argv: string[], version: string): Promise<number> {
  const { values, positionals } = parse('demo', argv, {
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    report: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`weft demo takes one workload, got '${positionals.join(' ')}'`, 'demo');
  const which = positionals[0] ?? 'all';
  if (which !== 'all' && !WORKLOADS.includes(which as WorkloadName) && !EXTRA.includes(which as WorkloadName)) {
    const hint = closest(which, [...WORKLOADS, ...EXTRA, 'all']);
    throw new UsageError(`unknown workload '${which}' (io, cpu, race, cluster or all)` + (hint ? `; did you mean '${hint}'?` : ''), 'demo');
  }
  const reportPath = values.report;
  if (reportPath !== undefined && (reportPath === '' || reportPath.startsWith('-'))) {
    throw new UsageError(`--report expects a file name, got '${reportPath}'`, 'demo');
  }
  const json = values.json ?? false;
  const quick = values.quick ?? false;
  const progress = new Progress(!json && Boolean(process.stderr.isTTY));
  const selected = which === 'all' ? WORKLOADS : [which as WorkloadName];
  if (selected.includes('cluster') && !hasRedisServer()) {
    process.stderr.write(NO_REDIS);
    return 2;
  }

  const workloads: Workload[] = [];
  for (const name of selected) {
    const w = await RUNNERS[name]({ quick, progress, reps: quick ? 2 : 3 });
    workloads.push(w);
    if (!json) process.stdout.write(formatWorkload(w) + '\n');
  }

  if (reportPath !== undefined) {
    const file = resolve(reportPath);
    writeFileSync(
      file,
      renderReport({
        version,
        date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
        machine: machineInfo(),
        quick,
        workloads,
      }),
    );
    if (!json) process.stdout.write(`Report: ${file}\n`);
  }
  if (json) process.stdout.write(JSON.stringify(toJson(workloads), null, 2) + '\n');
  return 0;
}

/** The --json shape: { workloads: [{ name, runs: [{ model, seconds, speedup, ... }], verdict }] }. */
export function toJson(ws: Workload[]) {
  // 3 decimals; 3 significant digits below 0.01 (a process race's speedup per increment is ~0.0003).
  const r3 = (x: number) => (x !== 0 && Math.abs(x) < 0.01 ? Number(x.toPrecision(3)) : Math.round(x * 1000) / 1000);
  return {
    workloads: ws.map((w) => ({
      name: w.name,
      runs: w.runs.map((r) => ({
        model: r.model,
        ...(r.variant !== undefined ? { variant: r.variant } : {}),
        seconds: r3(r.seconds),
        ...(r.startup !== undefined ? { startupSeconds: r3(r.startup) } : {}),
        ...(r.reps !== undefined ? { reps: r.reps, slowestSeconds: r3(r.slowest ?? r.seconds) } : {}),
        speedup: r3(r.speedup),
        cpuSeconds: r3(r.cpuSeconds),
        cores: r3(r.cores),
        workers: r.workers,
        tasks: r.tasks,
        ...(r.total !== undefined ? { total: r.total, expected: r.expected, lost: r.lost } : {}),
        ...(r.note !== undefined ? { note: r.note } : {}),
      })),
      verdict: w.verdict,
    })),
  };
}

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

/** A workload as text: title, description, table, verdict. */
export function formatWorkload(w: Workload): string {
  const s = styles(process.stdout);
  const race = w.name === 'race';
  // The fastest correct run (a run that lost updates is fast but wrong).
  const best = Math.max(...w.runs.filter((r) => !r.lost).map((r) => r.speedup));
  const header = [
    'model',
    ...(race ? ['variant'] : []),
    'seconds',
    ...(race ? [] : ['start-up']),
    'speedup',
    'CPU s',
    'cores',
    race ? 'total' : 'workers',
  ];
  const rows = w.runs.map((r) => {
    const sp = times(r.speedup);
    const total =
      r.total === undefined
        ? ''
        : r.lost
          ? s.red(`${r.total.toLocaleString('en-US')} (${r.lost.toLocaleString('en-US')} lost)`)
          : s.green(`${r.total.toLocaleString('en-US')} ✓`);
    return [
      r.model,
      ...(race ? [r.variant ?? ''] : []),
      fmtSeconds(r.seconds),
      ...(race ? [] : [r.startup === undefined || r.startup < 0.0005 ? s.dim('none') : fmtDuration(r.startup)]),
      r.speedup === best ? s.bold(sp) : sp,
      r.cpuSeconds.toFixed(2),
      r.cores.toFixed(2),
      race ? total : String(r.workers),
    ];
  });
  const align: ('l' | 'r')[] = [
    'l',
    ...(race ? ['l' as const] : []),
    'r',
    ...(race ? [] : ['r' as const]),
    'r',
    'r',
    'r',
    race ? 'l' : 'r',
  ];
  const width = Math.min(100, (process.stdout.columns || 100) - 4);
  const lines = [s.bold(w.title), s.dim(wrap(w.description, width, '  ')), '', table(header, rows, align)];
  for (const r of w.runs) if (r.note) lines.push(s.yellow(`  note: ${r.model}${r.variant ? ` (${r.variant})` : ''}: ${r.note}`));
  for (const u of w.unavailable) lines.push(s.dim(`  not run: ${u.model}: ${u.reason}`));
  lines.push('', wrap(w.verdict, width, '  ').replace(/Verdict:/, s.cyan(s.bold('Verdict:'))), '');
  return lines.join('\n');
}
