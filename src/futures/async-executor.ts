/**
 * AsyncExecutor: the executor contract on this thread's event loop, for
 * I/O-bound async functions. At most `maxConcurrency` run at once; any function
 * is accepted, closures included (nothing is shipped anywhere).
 */
import { Executor, taskTimeout, type SubmitOptions } from '../core/executor.js';
import { int, options } from '../core/options.js';
import { cancel, later, type Later } from '../core/timers.js';
import type { Future } from '../core/future.js';
import { setRunning, slotOf } from '../core/internal.js';
import { runInContext, type TaskContext } from '../core/context.js';
import { TimeoutError } from '../core/errors.js';
import { Transfer, isTaskRef, findTask, type TaskRef } from '../core/tasks.js';
import { Ring } from '../core/ring.js';

interface Job {
  f: Future<unknown>;
  fn: Function;
  args: unknown[];
  timeout: number;
  submitAt: number;
  ac: AbortController | undefined;
  timer: Later | undefined;
  running: boolean;
}

/** Context of a job: the signal is made only if the task asks for it. */
class JobContext implements TaskContext {
  constructor(private readonly job: Job) {}
  get signal(): AbortSignal {
    return (this.job.ac ??= new AbortController()).signal;
  }
  get task(): unknown {
    return this.job.f;
  }
}

/**
 * Runs async functions on this event loop, at most `maxConcurrency` at once.
 *
 * @example
 * await using ex = new AsyncExecutor({ maxConcurrency: 5 });
 * const pages = await ex.map((url: string) => fetch(url, { signal: currentSignal() }).then((r) => r.text()), urls);
 */
export class AsyncExecutor extends Executor {
  private readonly max: number;
  /**
   * Jobs waiting for a slot, oldest first (cancelled ones are skipped when they come
   * up). A ring, not an array read from a moving head: under sustained load the
   * queue never empties, and an array would keep a slot for every job ever queued.
   */
  private readonly queue = new Ring<Job>();
  private queuedLive = 0;
  private running = 0;
  private drainWaiters: (() => void)[] = [];
  private scheduled = false;

  constructor(opts?: { maxConcurrency?: number }) {
    super();
    const o = options('AsyncExecutor', opts, ['maxConcurrency']);
    this.max = int('AsyncExecutor', 'maxConcurrency', o.maxConcurrency, Infinity, { min: 1, infinity: true });
  }

  /** @internal */
  _enqueue(f: Future<any>, fn: Function, args: unknown[], opts: SubmitOptions | undefined, chunk: boolean): void {
    if (chunk) {
      const items = args[0] as unknown[];
      args = [items[0]];
    }
    for (let i = 0; i < args.length; i++) if (args[i] instanceof Transfer) args[i] = (args[i] as Transfer).value;
    const job: Job = {
      f,
      fn,
      args,
      timeout: taskTimeout(opts),
      submitAt: performance.now(),
      ac: undefined,
      timer: undefined,
      running: false,
    };
    this._own(f, job);
    // Like every executor, run later, never inside submit(): the caller gets a pending future.
    this.queue.push(job);
    this.queuedLive++;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.boundPump);
    }
  }

  private readonly boundPump = () => {
    this.scheduled = false;
    this.pump();
  };

  /** Starts queued jobs while there is room. */
  private pump(): void {
    while (this.running < this.max && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (next.f.done()) continue;
      this.queuedLive--;
      this.start(next);
    }
  }

  private start(job: Job): void {
    const f = job.f;
    if (!setRunning(f)) return;
    this.running++;
    job.running = true;
    const t0 = performance.now();
    this._rec.waitSample(t0 - job.submitAt);
    job.submitAt = t0;
    if (job.timeout !== Infinity) {
      job.timer = later(() => {
        job.timer = undefined;
        this._fail(f, new TimeoutError(`The task did not finish within its timeout of ${job.timeout} ms`));
        job.ac?.abort(new TimeoutError('timeout'));
        this.release(job);
      }, job.timeout);
    }
    let r: unknown;
    try {
      const fn = job.fn;
      r =
        isTaskRef(fn) && fn.kind === 'export'
          ? runInContext(new JobContext(job), callExport, fn, job.args) // a tasksFrom ref: import its module here
          : runInContext(new JobContext(job), () => fn(...job.args));
    } catch (err) {
      this.end(job, false, err);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as any).then === 'function') {
      (r as PromiseLike<unknown>).then(
        (v) => this.end(job, true, v),
        (e) => this.end(job, false, e),
      );
    } else this.end(job, true, r);
  }

  private end(job: Job, ok: boolean, value: unknown): void {
    if (value instanceof Transfer) value = value.value;
    if (ok) this._ok(job.f, value);
    else this._fail(job.f, value);
    this.release(job);
  }

  /** Frees the job's slot (once) and starts the next queued job. */
  private release(job: Job): void {
    if (!job.running) return;
    job.running = false;
    if (job.timer) {
      cancel(job.timer);
      job.timer = undefined;
    }
    this._rec.runSample(performance.now() - job.submitAt);
    this._rec.busyMs += performance.now() - job.submitAt;
    this.running--;
    this.pump();
    this.checkDrained();
  }

  /** @internal */
  protected _cancelTask(f: Future<unknown>, wasRunning: boolean, reason: unknown): void {
    const job = slotOf<Job>(f);
    if (!wasRunning) {
      this.queuedLive--;
      this.checkDrained();
      return;
    }
    (job.ac ??= new AbortController()).abort(reason);
    this.release(job);
  }

  /** @internal */
  protected _cancelQueued(): void {
    // (every queued job is cancelled: none stays in the queue)
    for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) job.f.cancel();
  }

  private checkDrained(): void {
    if (!this._closed || this.running > 0 || this.queuedLive > 0) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const r of w) r();
  }

  /** @internal */
  protected _shutdown(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.checkDrained();
    });
  }

  /** @internal */
  protected _live() {
    return { workers: this.running, busy: this.running, idle: 0, queued: this.queuedLive };
  }

  /** @internal */
  _parallelism(): number {
    return this.max === Infinity ? 64 : this.max;
  }

  /** @internal map runs one item per task here: chunks would only serialise async items. */
  override _chunks(): boolean {
    return false;
  }
}

/** Runs a `tasksFrom` ref on this thread: imports its module, then calls the export. */
async function callExport(ref: TaskRef, args: unknown[]): Promise<unknown> {
  const mod = await import(ref.module);
  return findTask(mod, 'export', ref.taskName, ref.module)(...args);
}
