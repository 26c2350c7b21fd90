/**
 * Executor statistics: counters, and run/wait time percentiles over a ring of
 * the most recent samples (fixed memory, no allocation per task).
 */

/** Percentiles of a duration, in milliseconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** What `Executor.stats()` returns. */
export interface ExecutorStats {
  /** Workers alive now (threads, processes; for AsyncExecutor its concurrency slots in use). */
  workers: number;
  busy: number;
  idle: number;
  /** Tasks waiting for a worker. */
  queued: number;
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Time from start to end of a task (ms), recent samples. */
  runTime: Percentiles;
  /** Time from submit to start (ms), recent samples. */
  waitTime: Percentiles;
  /** Share of worker time spent running tasks since the executor started, 0..1. */
  utilization: number;
}

const RING = 1024;

export class Recorder {
  submitted = 0;
  completed = 0;
  failed = 0;
  cancelled = 0;
  busyMs = 0;
  readonly startedAt = performance.now();
  private readonly run = new Float64Array(RING);
  private readonly wait = new Float64Array(RING);
  private nRun = 0;
  private nWait = 0;

  runSample(ms: number): void {
    this.run[this.nRun++ % RING] = ms;
  }
  waitSample(ms: number): void {
    this.wait[this.nWait++ % RING] = ms;
  }

  percentiles(which: 'run' | 'wait'): Percentiles {
    const n = Math.min(which === 'run' ? this.nRun : this.nWait, RING);
    if (n === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    const a = (which === 'run' ? this.run : this.wait).slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[i]!;
    const at = (q: number) => a[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: a[n - 1]!, mean: sum / n };
  }

  /** `busyMs` over `slots` worker-slots of wall time since start. */
  utilization(slots: number): number {
    const wall = performance.now() - this.startedAt;
    if (wall <= 0 || slots <= 0) return 0;
    return Math.max(0, Math.min(1, this.busyMs / (wall * slots)));
  }
}
