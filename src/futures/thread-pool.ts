/**
 * ThreadPoolExecutor: tasks on a pool of worker threads.
 *
 * Worker threads are full, parallel JavaScript interpreters (no GIL), so this is
 * the pool for CPU-bound work as well as for blocking calls; they share nothing
 * but SharedArrayBuffers (weft/threading objects). The dispatcher is
 * WorkerPoolExecutor; each worker is a ThreadWorker (thread-worker.ts).
 */
import type { ResourceLimits } from 'node:worker_threads';
import * as opt from '../core/options.js';
import type { WorkerInit } from '../transport/protocol.js';
import { WorkerPoolExecutor, poolSettings, type PoolOptions, type TaskRec } from './worker-pool.js';
import { ThreadWorker } from './thread-worker.js';
import { tsxApiUrl } from './tsx.js';

/** Options of {@link ThreadPoolExecutor}. */
export interface ThreadPoolOptions extends PoolOptions {
  /** Most threads (default: the number of CPUs). */
  maxWorkers?: number;
  /** Threads kept when idle (default: maxWorkers); the others exit after `idleTimeout` ms. */
  minWorkers?: number;
  /** Milliseconds an idle thread above `minWorkers` lives (default 30000). */
  idleTimeout?: number;
  /** Heap limits of each thread; a thread that exceeds them fails its task with WorkerCrashedError. */
  resourceLimits?: ResourceLimits;
  /** Milliseconds a cancelled running task has to stop before its thread is terminated (default 1000). */
  cancelGrace?: number;
}

const KEYS = [
  'maxWorkers',
  'minWorkers',
  'idleTimeout',
  'initializer',
  'initargs',
  'maxQueue',
  'resourceLimits',
  'cancelGrace',
  'name',
] as const satisfies readonly (keyof ThreadPoolOptions)[];

const LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

/** Checks a `resourceLimits` option (each limit a positive number of MB). */
export function checkResourceLimits(where: string, v: unknown): ResourceLimits | undefined {
  const rl = opt.record<Record<string, unknown>>(where, 'resourceLimits', v);
  if (rl === undefined) return undefined;
  const o = opt.options(`${where} resourceLimits`, rl, LIMIT_KEYS);
  const out: ResourceLimits = {};
  for (const k of LIMIT_KEYS) {
    if (o[k] !== undefined) out[k] = opt.num(where, `resourceLimits.${k}`, o[k], 0, Number.MIN_VALUE);
  }
  return out;
}

/**
 * Runs tasks on a pool of worker threads: `concurrent.futures.ThreadPoolExecutor`,
 * with true parallelism (like Python's InterpreterPoolExecutor).
 *
 * @example
 * import tasks from './tasks.js';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
 * const n = await pool.submit(tasks.fib, 30);
 * const all = await pool.map(tasks.fib, [25, 26, 27]);
 *
 * @throws TypeError / RangeError for bad options (e.g. `maxWorkers: 0`, `max_workers: 4`).
 */
export class ThreadPoolExecutor extends WorkerPoolExecutor {
  /** @internal */ protected readonly _kind = 'thread';
  private readonly resourceLimits: ResourceLimits | undefined;

  /** @param opts pool options (see {@link ThreadPoolOptions}). */
  constructor(opts?: ThreadPoolOptions);
  /** @internal multiprocessing `Pool` with `backend: 'threads'`: a worker's task limit too. */
  constructor(opts: ThreadPoolOptions | undefined, internal: { maxTasksPerWorker?: number });
  constructor(opts?: ThreadPoolOptions, internal?: { maxTasksPerWorker?: number }) {
    const o = opt.options('ThreadPoolExecutor', opts, KEYS);
    super(poolSettings('ThreadPoolExecutor', o, { maxTasksPerWorker: internal?.maxTasksPerWorker }));
    this.resourceLimits = checkResourceLimits('ThreadPoolExecutor', o.resourceLimits);
  }

  /** @internal */
  protected newWorker(n: number): ThreadWorker<TaskRec> {
    return new ThreadWorker<TaskRec>(this._owner, { name: `${this._name}#${n}`, resourceLimits: this.resourceLimits });
  }

  /** @internal */
  protected initMessage(base: WorkerInit, n: number): WorkerInit {
    return { ...base, name: `${this._name}#${n}`, tsx: tsxApiUrl() };
  }
}
