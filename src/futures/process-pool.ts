/**
 * ProcessPoolExecutor: tasks on a pool of child processes.
 *
 * Isolation is the point: a child that crashes, aborts or runs out of memory
 * takes down only itself; its tasks fail with WorkerCrashedError and it is
 * replaced. The dispatcher is WorkerPoolExecutor; this file only starts,
 * messages and stops children (`child_process.fork` with an IPC channel in
 * 'advanced' serialization).
 *
 * Exactly-once without a shared gate word
 * ───────────────────────────────────────
 * Threads claim each task on a shared word, so the pool knows exactly which
 * tasks a dead thread had started. Processes share no memory, so the child
 * tells the parent instead:
 *   - CLAIMS: before the child takes a task it has not claimed, it claims the
 *     tasks it has received so far in one message ([PROGRESS, upTo, 2]) and
 *     starts only once that message has been written to the channel. 'close'
 *     fires only after the parent has read everything the child wrote, so once
 *     a child is gone, however it died (SIGKILL, abort, OOM, killed by the pool),
 *     no task past its last claim ever started: those go to another child, the
 *     others (claimed, unanswered) fail with WorkerCrashedError. Nothing runs
 *     twice. A claim stops before a task that may run long (it has a timeout,
 *     or its function is slow or not loaded yet: run-loop.ts `claimSpan`), and
 *     such a task is claimed alone, so the tasks queued behind one that gets the
 *     child killed (timeout, cancel) are re-queued, not failed, as on threads.
 *     The cost is one small message per run of quick tasks received, and one
 *     per task that may run long.
 *   - a child that exits on its own (process.exit in a task, an uncaught error,
 *     a task module that throws at import) sends its exact started count last.
 *   - every CANCEL is answered with the started count ([PROGRESS, n, 0]): once
 *     all CANCELs sent are answered, a cancelled task past that count is known to
 *     be in the child's skip set, so the child is not killed for it.
 *   - every DONE message carries the started count too.
 */
import type { ChildProcess } from 'node:child_process';
import { WorkerPoolExecutor, type PoolOptions, type WorkerSlot } from './worker-pool.js';
import type { TaskRef, Transferable } from '../core/tasks.js';
import { describe } from '../core/errors.js';
import { intOption } from '../core/executor.js';
import { deserializeError } from '../transport/errors.js';
import { CANCEL, DONE, PROGRESS, type WorkerInit } from '../transport/protocol.js';
import { checkEnv, checkExecArgv, childAlive, forkChild, setChildRef, watchChild } from './child.js';

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

interface ProcessSlot extends WorkerSlot {
  child?: ChildProcess;
  exited?: Promise<void>;
  reported: number; // started count from the latest DONE or PROGRESS
  claimed: number; // tasks the child may have started (its latest claim)
  closed: boolean; // exited, and every message it sent has arrived
  pendingCancels: number; // CANCELs sent and not yet answered
  final: number; // started count the child reported before exiting on its own, or -1
  hard: boolean; // the pool is killing it (not retiring it gracefully)
  retiringGently: boolean; // its channel was closed to let it exit on its own (see _terminate)
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  cause: unknown;
  killTimer?: NodeJS.Timeout;
}

/** How long a gracefully retired child may take to exit before it is killed. */
const RETIRE_GRACE_MS = 5000;

/**
 * Runs tasks on a pool of child processes: Python's
 * `concurrent.futures.ProcessPoolExecutor`, with cancellation of running
 * tasks and replacement of crashed children.
 *
 * Tasks are TaskRefs from task modules (`defineTasks`/`tasksFrom`) or
 * self-contained inline functions; arguments and results travel by Node's
 * 'advanced' IPC serialization (structured clone: Maps, Dates, typed arrays,
 * BigInt). Shared-memory objects of weft/threading cannot be sent (TypeError);
 * multiprocessing `Queue` and `Pipe` connections can.
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
  /** @internal */ protected readonly _isProcess = true;
  private readonly execArgv: string[] | undefined;
  private readonly env: Record<string, string> | undefined;

  constructor(opts?: ProcessPoolOptions) {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
      throw new TypeError(`ProcessPoolExecutor options must be an object, got ${describe(opts)}`);
    }
    const o = opts ?? {};
    const maxTasksPerChild = intOption('maxTasksPerChild', o.maxTasksPerChild, Infinity, 1, true);
    const max = o.maxWorkers;
    const base: PoolOptions & { maxTasksPerWorker?: number } = {
      maxWorkers: max,
      minWorkers: 0,
      idleTimeout: Infinity,
      initializer: o.initializer,
      initargs: o.initargs,
      maxQueue: o.maxQueue,
      cancelGrace: o.cancelGrace,
      name: o.name ?? 'SpawnProcess',
      maxTasksPerWorker: maxTasksPerChild,
    };
    super(base, 'ProcessPoolExecutor');
    this.execArgv = checkExecArgv(o.execArgv);
    this.env = checkEnv(o.env);
  }

  /** @internal */
  protected override initMessage(): WorkerInit {
    return { ...this._init, mode: 'pool' };
  }

  /** @internal */
  protected _spawn(w: ProcessSlot): void {
    w.reported = 0;
    w.claimed = 0;
    w.closed = false;
    w.pendingCancels = 0;
    w.final = -1;
    w.hard = false;
    w.retiringGently = false;
    w.exitCode = null;
    w.signal = null;
    w.cause = undefined;
    const child = forkChild({ execArgv: this.execArgv, env: this.env, name: `${this._name}-${w.id}`, daemon: true });
    w.child = child;
    child.on('message', (msg: any) => {
      switch (msg[0]) {
        case DONE:
          if (typeof msg[3] === 'number') w.reported = msg[3];
          break;
        case PROGRESS:
          if (msg[2] === 2) {
            w.claimed = msg[1];
            return;
          }
          w.reported = msg[1];
          if (msg[2] === 1) {
            w.final = msg[1];
            if (msg[3] !== undefined) w.cause = deserializeError(msg[3]);
          } else if (w.pendingCancels > 0) w.pendingCancels--;
          return;
      }
      this.workerMessage(w, msg);
    });
    // Gone = exited AND every message it wrote has been read (child.ts), so replies
    // and claims written just before a crash are counted.
    w.exited = watchChild(child, (end) => {
      if (w.closed) return;
      w.closed = true;
      w.exitCode = end.code;
      w.signal = end.signal;
      if (w.cause === undefined) w.cause = end.error;
      if (w.killTimer) clearTimeout(w.killTimer);
      this.workerGone(w, { exitCode: w.exitCode, signal: w.signal, cause: w.cause });
    });
  }

  /** @internal */
  protected _post(w: ProcessSlot, msg: unknown, _transfer?: Transferable[]): void {
    const child = w.child;
    if (child === undefined || !child.connected) return; // gone: its exit settles what it held
    child.send(msg as any);
    if ((msg as unknown[])[0] === CANCEL) w.pendingCancels++;
  }

  /** @internal */
  protected _terminate(w: ProcessSlot): void {
    const child = w.child;
    if (!childAlive(child)) return;
    // Whoever awaits its exit (shutdown) keeps the parent alive until 'close'.
    this._setRef(w, true);
    // A graceful stop is under way (its channel is closed, the child is exiting on its
    // own; the kill timer bounds it): a second call (retire, then becameIdle; shutdown)
    // must not turn it into a SIGKILL, or the child's exit handlers never run. A hard
    // stop (kill: a stuck task) still goes through.
    if (w.retiringGently && !w.hard) return;
    if (!w.hard && w.inflight.length === w.head && child!.connected) {
      // Retiring an idle child: close its channel, it exits on its own (exit handlers run).
      w.retiringGently = true;
      child!.disconnect();
      w.killTimer = setTimeout(() => {
        if (childAlive(child)) child!.kill('SIGKILL');
      }, RETIRE_GRACE_MS);
      w.killTimer.unref();
    } else {
      child!.kill('SIGKILL');
    }
  }

  /** @internal */
  protected _setRef(w: ProcessSlot, ref: boolean): void {
    setChildRef(w.child, ref);
  }

  /**
   * @internal no shared gate to freeze a live child: unknown until it is gone; then
   * exact: its last word, or else its last claim (no task past it ever started).
   */
  protected _freeze(w: ProcessSlot): number | undefined {
    w.hard = true;
    if (!w.closed) return undefined;
    return w.final >= 0 ? w.final : w.claimed; // its own exact count, else the upper bound
  }

  /** @internal exact once every CANCEL sent has been answered (see the top of this file). */
  protected _startedCount(w: ProcessSlot): number | undefined {
    if (w.final >= 0) return w.final;
    return w.pendingCancels === 0 ? w.reported : undefined;
  }

  /** @internal */
  protected _whenGone(w: ProcessSlot): Promise<void> {
    return w.exited ?? Promise.resolve();
  }

  /** @internal pids of the live children (for tests). */
  _pids(): number[] {
    return this._workerIds();
  }
}
