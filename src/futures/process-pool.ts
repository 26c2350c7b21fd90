/**
 * ProcessPoolExecutor: tasks on a pool of child processes.
 *
 * Isolation is the point: a child that crashes, aborts or runs out of memory
 * takes down only itself; its tasks fail with WorkerCrashedError and it is
 * replaced. The dispatcher is WorkerPoolExecutor; each worker is a ChildWorker
 * (child-worker.ts: `child_process.fork` with an IPC channel in 'advanced'
 * serialization, and how a child tells which tasks it started).
 */
import type { TaskRef } from '../core/tasks.js';
import * as opt from '../core/options.js';
import type { WorkerInit } from '../transport/protocol.js';
import { WorkerPoolExecutor, poolSettings, type TaskRec } from './worker-pool.js';
import type { WorkerEnd } from './worker-handle.js';
import { ChildWorker } from './child-worker.js';
import { checkEnv, checkExecArgv } from './child.js';

/** Options of {@link ProcessPoolExecutor}. */
export interface ProcessPoolOptions {
  /** Most child processes (default: the number of CPUs). */
  maxWorkers?: number;
  /** A task (TaskRef) each child runs once before its first task. If it throws, the pool is broken. */
  initializer?: TaskRef<any[], unknown>;
  /** Arguments of the initializer. */
  initargs?: unknown[];
  /** A child exits and is replaced after this many tasks (default: never), like Python's max_tasks_per_child. */
  maxTasksPerChild?: number;
  /** Most tasks waiting; beyond it submit returns a future rejected with QueueFullError (default: no limit). */
  maxQueue?: number;
  /**
   * Extra Node flags for the children (e.g. `['--max-old-space-size=256']`), appended to
   * the parent's own execArgv, which children inherit so loaders such as tsx keep working.
   */
  execArgv?: string[];
  /** Environment variables added to (or overriding) the parent's for the children. */
  env?: Record<string, string>;
  /** Milliseconds a cancelled running task has to stop before its child is killed (default 1000). */
  cancelGrace?: number;
  /** Name prefix of the children (currentProcess().name is `${name}-${n}`; default 'SpawnProcess'). */
  name?: string;
}

const KEYS = [
  'maxWorkers',
  'initializer',
  'initargs',
  'maxTasksPerChild',
  'maxQueue',
  'execArgv',
  'env',
  'cancelGrace',
  'name',
] as const satisfies readonly (keyof ProcessPoolOptions)[];

/**
 * Runs tasks on a pool of child processes: Python's
 * `concurrent.futures.ProcessPoolExecutor`, with cancellation of running
 * tasks and replacement of crashed children.
 *
 * Tasks are TaskRefs from task modules (`defineTasks`/`tasksFrom`) or
 * self-contained inline functions; arguments and results travel by Node's
 * 'advanced' IPC serialization (structured clone: Maps, Dates, typed arrays,
 * BigInt). Shared-memory objects of weft/threading cannot be sent (TypeError);
 * weft/multiprocessing objects (Queue, Pipe, Value, Lock, ...) can.
 *
 * An idle pool never keeps the parent alive; children exit when the parent does.
 *
 * @example
 * import tasks from './tasks.js';
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 4 });
 * const n = await pool.submit(tasks.fib, 30);
 * const all = await pool.map(tasks.fib, [25, 26, 27]);
 *
 * @throws TypeError / RangeError for bad options (e.g. `maxWorkers: 0`, `execArgv: 'x'`).
 */
export class ProcessPoolExecutor extends WorkerPoolExecutor {
  /** @internal */ protected readonly _kind = 'process';
  private readonly execArgv: string[] | undefined;
  private readonly env: Record<string, string> | undefined;

  constructor(opts?: ProcessPoolOptions) {
    const where = 'ProcessPoolExecutor';
    const o = opt.options(where, opts, KEYS);
    super(
      poolSettings(where, o, {
        minWorkers: 0,
        idleTimeout: Infinity,
        name: opt.str(where, 'name', o.name, 'SpawnProcess'),
        maxTasksPerWorker: opt.int(where, 'maxTasksPerChild', o.maxTasksPerChild, Infinity, { min: 1, infinity: true }),
      }),
    );
    this.execArgv = checkExecArgv(where, o.execArgv);
    this.env = checkEnv(where, o.env);
  }

  /** @internal */
  protected newWorker(): ChildWorker<TaskRec> {
    return new ChildWorker<TaskRec>(this._owner, { execArgv: this.execArgv, env: this.env, daemon: true });
  }

  /** @internal */
  protected initMessage(base: WorkerInit, n: number): WorkerInit {
    return { ...base, name: `${this._name}-${n}`, daemon: true };
  }

  /** @internal Node exits with code 9 when it rejects a command-line option. */
  protected override startHint(end: WorkerEnd<TaskRec>): string {
    if (end.exitCode !== 9) return '';
    return `; code 9 means Node rejected an option on the child's command line: check execArgv ${JSON.stringify(this.execArgv ?? [])}`;
  }

  /** @internal pids of the live children (for tests). */
  _pids(): number[] {
    return this._workerIds();
  }
}
