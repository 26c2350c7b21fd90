/**
 * Thread: a target run in a worker thread of its own.
 *
 * A Thread drives one ThreadWorker (futures/thread-worker.ts) as a worker of
 * one task: the same transport, argument codec, remote errors, TypeScript task
 * modules and crash handling as a pool's threads.
 *
 *   start() ─> spawn [INIT name, exitAfter 1][RUN target] ─> the target runs
 *   target answers ─> the worker exits (Python: the thread ends when run() returns)
 *   worker gone (its output written out, locks it held released as abandoned)
 *     ─> join() settles with the target's value or error
 *
 * Python's Thread has no `terminate`; weft's stops the worker at once.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { CancelledError, InvalidStateError, TimeoutError, describe } from '../core/errors.js';
import * as opt from '../core/options.js';
import { assertNotImportingTasks } from '../core/runtime.js';
import { TIMED_OUT, within } from '../core/timers.js';
import type { TaskRef, Transferable } from '../core/tasks.js';
import { encodeArgs } from '../transport/codec.js';
import { deserializeError } from '../transport/errors.js';
import { OK, SKIPPED } from '../transport/protocol.js';
import { describeTask } from '../transport/task-target.js';
import { checkResourceLimits } from '../futures/thread-pool.js';
import { ThreadWorker } from '../futures/thread-worker.js';
import { crashError, type Task, type WorkerEnd, type WorkerHandle, type WorkerOwner } from '../futures/worker-handle.js';
import { tsxApiUrl } from '../futures/tsx.js';

/** Options of `new Thread(target, opts)`. */
export interface ThreadOptions {
  /** Arguments of the target (structured-cloned; weft/threading objects arrive as the same shared memory). */
  args?: unknown[];
  /** Name of the thread (default 'Thread-N'); `currentThread().name` inside it. */
  name?: string;
  /** A daemon thread does not keep the process alive (default false). */
  daemon?: boolean;
  /** Heap limits of the worker; exceeding them fails `join()` with WorkerCrashedError. */
  resourceLimits?: ResourceLimits;
}

const KEYS = ['args', 'name', 'daemon', 'resourceLimits'] as const satisfies readonly (keyof ThreadOptions)[];

let counter = 0;

type State = 'initial' | 'started' | 'stopped';
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** @internal the live Threads this thread started (for `enumerate()`): added by start(), removed when they end. */
export const liveThreads = new Set<Thread<unknown>>();

/**
 * Python's `threading.Thread`: runs `target(...args)` in a worker thread of its
 * own, truly in parallel (no GIL). The target is a task: a {@link TaskRef} from
 * `defineTasks`, or a self-contained inline function (shipped as source).
 *
 * - `join()` resolves to the target's return value, or rejects with its error (remote stack kept).
 * - `terminate()` stops it now: its worker is terminated; `join()` rejects with CancelledError.
 * - Locks it still holds when it ends (terminated, crashed, or returned while holding) are
 *   released and flagged abandoned for the next acquirer (docs/threading.md, "Owner death").
 * - A daemon thread does not keep the process alive.
 * - If the target fails and nobody called `join()`, `Thread.excepthook` reports it (stderr by default).
 *
 * @example
 * import tasks from './tasks.js';
 * const t = new Thread(tasks.countdown, { args: [5], name: 'countdown' });
 * t.start();
 * const result = await t.join();
 */
export class Thread<R = unknown> {
  /** The thread's name. */
  readonly name: string;
  /** True for a daemon thread (it does not keep the process alive). */
  readonly daemon: boolean;
  private readonly target: TaskRef<any[], R> | ((...a: any[]) => R);
  private readonly args: unknown[];
  private readonly resourceLimits: ResourceLimits | undefined;
  private state: State = 'initial';
  private worker: WorkerHandle | undefined;
  private outcome: Outcome | undefined;
  private ended: Promise<Outcome> | undefined;
  private joined = false;
  private terminated = false;
  private _ident: number | undefined;

  /**
   * Called with `(error, thread)` when a thread's target fails and `join()` was not
   * called (Python's `threading.excepthook`). Default: prints to stderr.
   */
  static excepthook: (error: unknown, thread: Thread<unknown>) => void = (error, thread) => {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    process.stderr.write(`Exception in thread ${thread.name}:\n${text}\n`);
  };

  /**
   * @param target a TaskRef or a self-contained function.
   * @param opts `args`, `name`, `daemon`, `resourceLimits`.
   * @throws TypeError for a target that is not a function or bad options (an array
   *   instead of `{ args: [...] }`, an unknown key).
   */
  constructor(target: TaskRef<any[], R> | ((...a: any[]) => R), opts?: ThreadOptions) {
    const where = 'new Thread(target, opts)';
    if (typeof target !== 'function') throw new TypeError(`${where} expects a TaskRef or a function, got ${describe(target)}`);
    const o = opt.options(where, opts, KEYS, 'args');
    this.target = target;
    this.args = opt.array(where, 'args', o.args) ?? [];
    this.name = opt.str(where, 'name', o.name) ?? `Thread-${++counter}`;
    this.daemon = opt.bool(where, 'daemon', o.daemon, false);
    this.resourceLimits = checkResourceLimits(where, o.resourceLimits);
  }

  /** The worker's `threadId` (as `currentThread().ident` inside it); undefined until it starts. */
  get ident(): number | undefined {
    return this._ident;
  }

  /**
   * Starts the thread. Call it once.
   * @throws InvalidStateError if it was started before; TypeError if an argument cannot be sent.
   */
  start(): void {
    if (this.state !== 'initial') throw new InvalidStateError(`Thread ${this.name} can only be started once`);
    assertNotImportingTasks(`Thread ${this.name}`);
    const t = describeTask(this.target, 'a thread');
    const args = [...this.args];
    const moved: Transferable[] = []; // transfer(value, list) markers among the args
    const flags = t.flags | encodeArgs(args, moved, false);
    const task: Task = { id: 1, flags, target: t.target, name: t.name, args, transfer: moved.length ? moved : undefined, seq: -1 };
    let resolveEnded!: (o: Outcome) => void;
    this.ended = new Promise<Outcome>((r) => {
      resolveEnded = r;
    });
    const owner: WorkerOwner<Task> = {
      workerReady: () => {},
      repliesHandled: () => {},
      taskStarted: () => {},
      initFailed: () => {},
      taskAnswered: (_w, _t, status, value) => {
        if (status === OK) this.outcome = { ok: true, value };
        else if (status !== SKIPPED) this.outcome = { ok: false, error: deserializeError(value) };
      },
      workerGone: (_w, end) => resolveEnded(this.finish(end)),
    };
    const w = new ThreadWorker<Task>(owner, { name: this.name, resourceLimits: this.resourceLimits });
    this.worker = w;
    this.state = 'started';
    liveThreads.add(this as Thread<unknown>);
    w.start({ name: this.name, exitAfter: 1, tsx: tsxApiUrl() });
    this._ident = w.threadId;
    const failed = w.send([task]);
    if (failed !== undefined) {
      w.kill();
      throw failed[0]!.error;
    }
    if (this.daemon) w.keepAlive(false);
  }

  /** The outcome once the worker is gone, and Python's excepthook for a failure nobody joins. */
  private finish(end: WorkerEnd<Task>): Outcome {
    this.state = 'stopped';
    liveThreads.delete(this as Thread<unknown>);
    let outcome = this.outcome;
    if (outcome === undefined) {
      const error = this.terminated
        ? new CancelledError(`Thread ${this.name} was terminated`)
        : crashError('thread', end, `thread ${this.name}`);
      outcome = { ok: false, error };
    }
    if (!outcome.ok && !this.joined && !this.terminated) Thread.excepthook(outcome.error, this as Thread<unknown>);
    return outcome;
  }

  /**
   * Waits until the thread has ended (its worker has exited) and returns the target's value.
   * `timeout` follows Python: undefined or Infinity waits for good, 0 or less does not wait.
   * @throws the target's error; CancelledError if it was terminated; WorkerCrashedError if
   *   its worker died; TimeoutError if it is still running after `timeout` ms (it goes on running);
   *   InvalidStateError if it was never started.
   */
  async join(opts?: { timeout?: number }): Promise<R> {
    const o = opt.options('Thread.join(opts)', opts, ['timeout']);
    const ms = opt.timeout('Thread.join(opts)', 'timeout', o.timeout);
    if (this.ended === undefined) throw new InvalidStateError(`Cannot join thread ${this.name} before it is started`);
    this.joined = true;
    const outcome = await within(this.ended, ms);
    if (outcome === TIMED_OUT) throw new TimeoutError(`Thread.join(): thread ${this.name} still running after ${o.timeout} ms`);
    if (!outcome.ok) throw outcome.error;
    return outcome.value as R;
  }

  /** True from `start()` until the thread has ended. */
  isAlive(): boolean {
    return this.state === 'started';
  }

  /**
   * Stops the thread now: its worker is terminated; locks it held are released as
   * abandoned. Resolves once the worker has exited. `join()` then rejects with
   * `CancelledError`. Does nothing to a thread that has ended.
   */
  async terminate(): Promise<void> {
    if (this.state === 'initial') {
      this.state = 'stopped';
      return;
    }
    if (this.state === 'started' && this.outcome === undefined) {
      this.terminated = true;
      this.joined = true;
      this.worker?.kill();
    }
    await this.ended;
  }

  get [Symbol.toStringTag](): string {
    return `Thread ${this.name} ${this.state}`;
  }
}
