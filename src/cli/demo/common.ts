/**
 * What every workload of `weft demo` shares: the shapes of its results, and
 * `measure`, which times one model's run (wall clock and CPU) and turns the
 * tasks' stamps into timeline bars.
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
  return {
    model,
    ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
    seconds,
    speedup: 1,
    cpuSeconds,
    cores: cpuSeconds / seconds,
    workers: lanes.size,
    tasks: stamps.length,
    bars,
  };
}

/** Fills in each run's speedup against the workload's sequential run. */
export function withSpeedups(runs: Run[]): Run[] {
  const base = runs.find((r) => r.model === 'sequential')?.seconds;
  for (const r of runs) r.speedup = base ? base / r.seconds : 1;
  return runs;
}

/** `x.x×` */
export const times = (x: number): string =>
  `${x >= 10 ? x.toFixed(0) : x >= 0.095 ? x.toFixed(1) : x >= 0.0095 ? x.toFixed(2) : x.toPrecision(1)}×`;
