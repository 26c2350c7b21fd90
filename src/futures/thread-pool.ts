/**
 * ThreadPoolExecutor: tasks on a pool of worker threads.
 *
 * Worker threads are full, parallel JavaScript interpreters (no GIL), so this is
 * the pool for CPU-bound work as well as for blocking calls; they share nothing
 * but SharedArrayBuffers (weft/threading objects). The dispatcher is
 * WorkerPoolExecutor; this file only starts, messages and stops threads.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { WorkerPoolExecutor, type PoolOptions, type WorkerSlot } from './worker-pool.js';
import type { Transferable } from '../core/tasks.js';
import { describe } from '../core/errors.js';
import { GATE_FROZEN, GATE_STARTED, type WorkerInit } from '../transport/protocol.js';
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

interface ThreadSlot extends WorkerSlot {
  worker?: Worker;
  gate?: Int32Array;
  exited?: Promise<void>;
}

const ENTRY = new URL('../workers/thread-entry.js', import.meta.url);
const kThreadExited = Symbol.for('weft.threading.threadExited');

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
 * @throws TypeError / RangeError for bad options (e.g. `maxWorkers: 0`).
 */
export class ThreadPoolExecutor extends WorkerPoolExecutor {
  /** @internal */ protected readonly _isProcess = false;
  private readonly resourceLimits: ResourceLimits | undefined;

  constructor(opts?: ThreadPoolOptions) {
    super(opts, 'ThreadPoolExecutor');
    const rl = opts?.resourceLimits;
    if (rl !== undefined && (rl === null || typeof rl !== 'object'))
      throw new TypeError(`resourceLimits must be an object, got ${describe(rl)}`);
    this.resourceLimits = rl;
  }

  /** @internal */
  protected override initMessage(): WorkerInit {
    return { ...this._init, tsx: tsxApiUrl() };
  }

  /** @internal */
  protected _spawn(w: ThreadSlot): void {
    const sab = new SharedArrayBuffer(4);
    w.gate = new Int32Array(sab);
    const worker = new Worker(ENTRY, {
      workerData: { gate: sab },
      name: `${this._name}#${w.id}`,
      resourceLimits: this.resourceLimits,
    });
    w.worker = worker;
    w.threadId = worker.threadId;
    let lastError: unknown;
    worker.on('message', (msg) => this.workerMessage(w, msg));
    worker.on('error', (err) => {
      lastError = err;
    });
    w.exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        // Shared-memory locks the thread still held are released as abandoned (weft/threading).
        (globalThis as any)[kThreadExited]?.(w.threadId);
        this.workerGone(w, { exitCode: code, cause: lastError });
        resolve();
      });
    });
  }

  /** @internal */
  protected _post(w: ThreadSlot, msg: unknown, transfer?: Transferable[]): void {
    w.worker!.postMessage(msg, transfer as any);
  }

  /** @internal */
  protected _terminate(w: ThreadSlot): void {
    void w.worker?.terminate();
  }

  /** @internal */
  protected _setRef(w: ThreadSlot, ref: boolean): void {
    if (ref) w.worker?.ref();
    else w.worker?.unref();
  }

  /** @internal */
  protected _freeze(w: ThreadSlot): number | undefined {
    if (!w.gate) return 0;
    const old = Atomics.exchange(w.gate, GATE_STARTED, GATE_FROZEN);
    return old === GATE_FROZEN ? undefined : old;
  }

  /** @internal */
  protected _startedCount(w: ThreadSlot): number | undefined {
    if (!w.gate) return 0;
    const v = Atomics.load(w.gate, GATE_STARTED);
    return v === GATE_FROZEN ? undefined : v;
  }

  /** @internal */
  protected _whenGone(w: ThreadSlot): Promise<void> {
    return w.exited ?? Promise.resolve();
  }
}
