/**
 * Thread: a target run in a worker thread of its own.
 *
 * Built on a one-worker ThreadPoolExecutor (so it shares the pool's transport,
 * argument codec, remote errors, TypeScript task modules and crash handling):
 *
 *   start() ─> submit(identify, name)  ─> ident, currentThread().name in the worker
 *           └> submit(target, ...args) ─> the target's value or error
 *   target settles ─> the pool shuts down (the worker exits)
 *                  ─> locks the worker still held are released as abandoned
 *                  ─> join() settles
 *
 * Python's Thread has no `terminate`; weft's cancels the target (its
 * `currentSignal()` aborts) and terminates the worker at once.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { ThreadPoolExecutor } from '../futures/thread-pool.js';
import type { WorkerSlot } from '../futures/worker-pool.js';
import type { Future } from '../core/future.js';
import type { TaskRef } from '../core/tasks.js';
import { InvalidStateError, TimeoutError, describe } from '../core/errors.js';
import { abandonLocksOf } from './_robust.js';
import { deadlineOf, remaining } from './_wait.js';
import tasks from './thread-tasks.js';

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

let counter = 0;

/** A one-worker pool whose worker can be unref'd while busy (daemon threads) and whose exit releases abandoned locks. */
class ThreadExecutor extends ThreadPoolExecutor {
  daemon = false;
  tid: number | undefined;
  protected override _setRef(w: WorkerSlot, ref: boolean): void {
    super._setRef(w, this.daemon ? false : ref);
  }
  protected override workerGone(w: WorkerSlot, info: { exitCode?: number | null; signal?: string | null; cause?: unknown }): void {
    const tid = w.threadId >= 0 ? w.threadId : this.tid;
    super.workerGone(w, info);
    if (tid !== undefined) abandonLocksOf(tid);
  }
}

type State = 'initial' | 'started' | 'stopped';

/** @internal the live Threads this thread started (for `enumerate()`): added by start(), removed when they end. */
export const liveThreads = new Set<Thread<unknown>>();

/**
 * Python's `threading.Thread`: runs `target(...args)` in a worker thread of its
 * own, truly in parallel (no GIL). The target is a task: a {@link TaskRef} from
 * `defineTasks`, or a self-contained inline function (shipped as source).
 *
 * - `join()` resolves to the target's return value, or rejects with its error (remote stack kept).
 * - `terminate()` stops it now: the target's `currentSignal()` aborts and the worker is terminated.
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
  private future: Future<Awaited<R>> | undefined;
  private ended: Promise<{ ok: boolean; value: unknown }> | undefined;
  private joined = false;
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
   * @throws TypeError for a target that is not a function or bad options.
   */
  constructor(target: TaskRef<any[], R> | ((...a: any[]) => R), opts: ThreadOptions = {}) {
    if (typeof target !== 'function') throw new TypeError(`new Thread(target) expects a TaskRef or a function, got ${describe(target)}`);
    if (opts === null || typeof opts !== 'object')
      throw new TypeError(`new Thread(target, opts) expects an options object, got ${describe(opts)}`);
    if (opts.args !== undefined && !Array.isArray(opts.args))
      throw new TypeError(`Thread option args must be an array, got ${describe(opts.args)}`);
    if (opts.name !== undefined && typeof opts.name !== 'string')
      throw new TypeError(`Thread option name must be a string, got ${describe(opts.name)}`);
    if (opts.daemon !== undefined && typeof opts.daemon !== 'boolean')
      throw new TypeError(`Thread option daemon must be a boolean, got ${describe(opts.daemon)}`);
    this.target = target;
    this.args = opts.args ?? [];
    this.name = opts.name ?? `Thread-${++counter}`;
    this.daemon = opts.daemon ?? false;
    this.resourceLimits = opts.resourceLimits;
  }

  /** The worker's `threadId` (as `currentThread().ident` inside it); undefined until it runs. */
  get ident(): number | undefined {
    return this._ident;
  }

  /**
   * Starts the thread. Call it once.
   * @throws InvalidStateError if it was started before.
   */
  start(): void {
    if (this.state !== 'initial') throw new InvalidStateError(`Thread ${this.name} can only be started once`);
    this.state = 'started';
    liveThreads.add(this as Thread<unknown>);
    const pool = new ThreadExecutor({
      maxWorkers: 1,
      minWorkers: 1,
      cancelGrace: 0,
      name: this.name,
      resourceLimits: this.resourceLimits,
    });
    pool.daemon = this.daemon;
    const id = pool.submit(tasks.identify, this.name);
    id.then(
      (tid) => {
        this._ident = tid;
        pool.tid = tid;
      },
      () => {},
    );
    const f = (this.future = pool.submit(this.target as (...a: unknown[]) => R, ...this.args) as Future<Awaited<R>>);
    this.ended = new Promise<{ ok: boolean; value: unknown }>((resolve) => {
      f.addDoneCallback(() => {
        const outcome = f.cancelled()
          ? { ok: false, value: undefined as unknown }
          : f.exception() !== undefined
            ? { ok: false, value: f.exception() }
            : { ok: true, value: f.result() };
        if (f.cancelled()) {
          try {
            f.result();
          } catch (e) {
            outcome.value = e;
          }
        }
        pool
          .shutdown({ wait: true, cancelFutures: true })
          .catch(() => {})
          .then(() => {
            this.state = 'stopped';
            liveThreads.delete(this as Thread<unknown>);
            if (!outcome.ok && !this.joined && !f.cancelled()) Thread.excepthook(outcome.value, this as Thread<unknown>);
            resolve(outcome);
          });
      });
    });
  }

  /**
   * Waits until the thread has ended (its worker has exited) and returns the target's value.
   * @throws the target's error; CancelledError if it was terminated; WorkerCrashedError if
   *   its worker died; TimeoutError if it is still running after `timeout` ms (it goes on running);
   *   InvalidStateError if it was never started.
   */
  async join(opts?: { timeout?: number }): Promise<R> {
    const deadline = deadlineOf('Thread.join()', opts);
    if (this.ended === undefined) throw new InvalidStateError(`Cannot join thread ${this.name} before it is started`);
    this.joined = true;
    let outcome: { ok: boolean; value: unknown };
    if (deadline === Infinity) {
      outcome = await this.ended;
    } else {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, remaining(deadline), undefined);
      });
      const r = await Promise.race([this.ended, timedOut]);
      clearTimeout(timer);
      if (r === undefined) throw new TimeoutError(`Thread.join(): thread ${this.name} still running after ${opts!.timeout} ms`);
      outcome = r;
    }
    if (!outcome.ok) throw outcome.value;
    return outcome.value as R;
  }

  /** True from `start()` until the thread has ended. */
  isAlive(): boolean {
    return this.state === 'started';
  }

  /**
   * Stops the thread now: the target's `currentSignal()` aborts and its worker is
   * terminated; locks it held are released as abandoned. Resolves once the worker has exited.
   * `join()` then rejects with `CancelledError`. Does nothing to a thread that has ended.
   */
  async terminate(): Promise<void> {
    if (this.state === 'initial') {
      this.state = 'stopped';
      return;
    }
    this.joined = true;
    this.future?.cancel(new Error(`Thread ${this.name} was terminated`));
    await this.ended;
  }

  get [Symbol.toStringTag](): string {
    return `Thread ${this.name} ${this.state}`;
  }
}
