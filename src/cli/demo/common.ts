/**
 * What every workload of `weft demo` shares: the shapes of its results;
 * `measure`, which times one model's run (wall clock, CPU, start-up) and turns
 * the tasks' stamps into timeline bars; `bestOf`, which repeats the runs so a
 * busy machine does not decide the verdict.
 */
import type { Stamp } from '../tasks/_stamp.js';
import { now } from '../tasks/_stamp.js';
import type { Progress } from '../term.js';

export type Model = 'sequential' | 'asyncio' | 'threads' | 'processes' | 'cluster';
export type WorkloadName = 'io' | 'cpu' | 'race' | 'cluster';

/** One task on the timeline: its lane (worker), start and end in ms from the run's start. */
export interface Bar {
  lane: string;
  start: number;
  end: number;
  label: string;
}

/** One model's run of a workload. */
export interface Run {
  model: Model;
  /** Race only: how the counter is updated ('no lock', 'Lock', 'atomic add', ...). */
  variant?: string;
  seconds: number;
  /** sequential seconds / these seconds. */
  speedup: number;
  /** CPU time (user + system) spent, in seconds. */
  cpuSeconds: number;
  /** cpuSeconds / seconds: how many cores were busy on average (1.0 = one core). */
  cores: number;
  /**
   * Seconds from the start of the run until its first task began: starting the
   * workers (threads, processes) and sending them the first task; about 0 on this
   * thread. Undefined where the run is timed from a common start line (race).
   */
  startup?: number;
  /** How many times the run was repeated (`seconds` is the fastest), and the slowest time. */
  reps?: number;
  slowest?: number;
  /** Threads or processes used ('main' counts as one). */
  workers: number;
  tasks: number;
  /** Race only: the counter's final value, what it should be, and how many updates were lost. */
  total?: number;
  expected?: number;
  lost?: number;
  /** Anything the reader should know about this run (e.g. a check that failed). */
  note?: string;
  bars: Bar[];
}

/** A workload's results: its runs (first one sequential), the verdict, and what could not run. */
export interface Workload {
  name: WorkloadName;
  title: string;
  description: string;
  runs: Run[];
  verdict: string;
  unavailable: { model: Model; reason: string }[];
}

/** What a workload's runner gets. */
export interface DemoContext {
  quick: boolean;
  progress: Progress;
  /** How many times `bestOf` repeats each run. */
  reps: number;
}

/** The lane a stamp belongs to, by model. */
export function laneOf(model: Model, s: Stamp): string {
  if (model === 'threads') return s.mainThread ? 'main' : `thread ${s.threadId}`;
  if (model === 'processes') return `pid ${s.pid}`;
  if (model === 'cluster') return `node ${s.pid} · thread ${s.threadId}`;
  return 'main';
}

/**
 * Runs `body` and measures it: wall time from the call until its stamps are in,
 * CPU time of this process (which includes its worker threads) plus, for
 * processes, the CPU time the tasks measured in the child processes.
 */
export async function measure(
  model: Model,
  body: () => Promise<Stamp[]>,
  label: (s: Stamp, i: number) => string,
  opts: { variant?: string; spanOnly?: boolean } = {},
): Promise<Run> {
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const stamps = await body();
  const t1 = now();
  const cpu = process.cpuUsage(cpu0);
  let cpuUs = cpu.user + cpu.system;
  if (model === 'processes' || model === 'cluster') for (const s of stamps) cpuUs += s.cpu;
  // Span-only runs: a thread's process.cpuUsage() counts the whole process, and the threads
  // overlap from a common start line, so the largest of their deltas is the process's CPU time
  // over the span (without starting the threads).
  if (opts.spanOnly && stamps.length) cpuUs = Math.max(...stamps.map((s) => s.cpu));
  // Race runs time the threads' work from the start line (without starting threads).
  const origin = opts.spanOnly && stamps.length ? Math.min(...stamps.map((s) => s.start)) : t0;
  const end = opts.spanOnly && stamps.length ? Math.max(...stamps.map((s) => s.end)) : t1;
  const seconds = Math.max(1e-6, (end - origin) / 1000);
  const bars = stamps.map((s, i) => ({ lane: laneOf(model, s), start: s.start - origin, end: s.end - origin, label: label(s, i) }));
  const lanes = new Set(bars.map((b) => b.lane));
  const cpuSeconds = cpuUs / 1e6;
  const first = bars.length ? Math.min(...bars.map((b) => b.start)) : 0;
  return {
    model,
    ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
    seconds,
    speedup: 1,
    cpuSeconds,
    cores: cpuSeconds / seconds,
    ...(opts.spanOnly ? {} : { startup: Math.max(0, first / 1000) }),
    workers: lanes.size,
    tasks: stamps.length,
    bars,
  };
}

/** One model's way to run a workload once (with a new pool each time: its start-up is part of the run). */
export interface Contender {
  model: Model;
  /** Runs the workload once; `rep` counts from 1. */
  run(rep: number): Promise<Run>;
  /** Run once only (a run that only waits, whose time the machine's load does not change). */
  once?: boolean;
}

/** A contender that runs `body` on this thread; `start` announces each run (progress). */
export function onThisThread(
  model: Model,
  label: (s: Stamp, i: number) => string,
  start: (model: Model, rep: number) => void,
  body: () => Promise<Stamp[]>,
  opts: { once?: boolean } = {},
): Contender {
  return {
    model,
    ...(opts.once ? { once: true } : {}),
    run(rep) {
      start(model, rep);
      return measure(model, body, label);
    },
  };
}

/** A contender that runs `body` on a new pool each time (its start-up is measured), shut down after. */
export function onNewPool<P extends { shutdown(): Promise<unknown> }>(
  model: Model,
  label: (s: Stamp, i: number) => string,
  start: (model: Model, rep: number) => void,
  make: () => P,
  body: (pool: P) => Promise<Stamp[]>,
): Contender {
  return {
    model,
    async run(rep) {
      start(model, rep);
      const pool = make();
      try {
        return await measure(model, () => body(pool), label);
      } finally {
        await pool.shutdown();
      }
    },
  };
}

/**
 * Runs every contender `reps` times, interleaved (rep 1 of each, then rep 2 of
 * each, ...) so that a burst of load on the machine hits them alike, and keeps
 * each one's fastest run (with the number of runs and the slowest time):
 * on a busy machine the best run is the one least disturbed by other work.
 */
export async function bestOf(reps: number, contenders: Contender[]): Promise<Run[]> {
  const runs: Run[][] = contenders.map(() => []);
  for (let rep = 1; rep <= reps; rep++) {
    for (const [i, c] of contenders.entries()) {
      if (c.once && rep > 1) continue;
      runs[i]!.push(await c.run(rep));
    }
  }
  return runs.map((rs) => {
    const best = rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    return { ...best, reps: rs.length, slowest: Math.max(...rs.map((r) => r.seconds)) };
  });
}

/** `120 ms` or `1.23 s` */
export const fmtDuration = (seconds: number): string =>
  seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;

/** Fills in each run's speedup against the workload's sequential run. */
export function withSpeedups(runs: Run[]): Run[] {
  const base = runs.find((r) => r.model === 'sequential')?.seconds;
  for (const r of runs) r.speedup = base ? base / r.seconds : 1;
  return runs;
}

/** `x.x×` */
export const times = (x: number): string =>
  `${x >= 10 ? x.toFixed(0) : x >= 0.095 ? x.toFixed(1) : x >= 0.0095 ? x.toFixed(2) : x.toPrecision(1)}×`;
