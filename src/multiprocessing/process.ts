/**
 * multiprocessing.Process: run one function in a new child process.
 *
 * A Process drives one ChildWorker (futures/child-worker.ts), the same worker
 * a ProcessPoolExecutor uses, as a worker of one task (INIT's `exitAfter: 1`):
 * the child runs the target once and exits with code 0, or prints the error on
 * its stderr and exits with code 1 if the target threw (Python's behaviour).
 * Queues, Pipe ends and the other brokered objects among the arguments are
 * served by its worker handle while the child runs (transport/brokered.ts).
 *
 *   new Process(target, { args }) ─start()─> fork ─[INIT exitAfter 1][RUN target]─> child
 *   child ─[BROKER ...]─> this process serves its Queue/Pipe operations
 *   child exits ─> exitCode (minus the signal number if a signal ended it) ─> join() resolves
 *
 * Lifetime: a started non-daemon Process keeps the parent's event loop alive
 * until it ends (Python joins non-daemon children at exit); a daemon one does
 * not, and is SIGKILLed when the parent exits. No child outlives its parent
 * (futures/child.ts): when the parent dies, its IPC channel closes and the child
 * exits (its exit handlers run); a child stuck in a synchronous loop cannot see
 * that, so a watchdog thread in it SIGKILLs it within about a second. Unlike
 * Python, this holds for non-daemon children too: Python leaves them running as
 * orphans when the parent is killed by a signal or calls os._exit(); weft ends
 * them (there is no parent left to join them or to read their exit code).
 */
import { InvalidStateError, describe } from '../core/errors.js';
import * as opt from '../core/options.js';
import { assertNotImportingTasks } from '../core/runtime.js';
import { TIMED_OUT, within } from '../core/timers.js';
import type { TaskRef } from '../core/tasks.js';
import { encodeArgs } from '../transport/codec.js';
import { describeTask } from '../transport/task-target.js';
import { checkEnv, checkExecArgv, pythonExitCode } from '../futures/child.js';
import { ChildWorker } from '../futures/child-worker.js';
import type { Task, WorkerEnd, WorkerOwner } from '../futures/worker-handle.js';
import { childEnded, childStarted } from './children.js';

/** Options of {@link Process}. */
export interface ProcessOptions {
  /** Arguments of the target (structured-clonable values, Queues, Pipe ends). */
  args?: unknown[];
  /** The name (default `Process-n`); `currentProcess().name` in the child. */
  name?: string;
  /** Daemon children do not keep the parent alive and are killed when it exits (default false). */
  daemon?: boolean;
  /** Environment variables added to (or overriding) the parent's. */
  env?: Record<string, string>;
  /** Extra Node flags, appended to the parent's execArgv (which the child inherits, e.g. tsx). */
  execArgv?: string[];
}

const KEYS = ['args', 'name', 'daemon', 'env', 'execArgv'] as const satisfies readonly (keyof ProcessOptions)[];

let counter = 0;

/**
 * A function running in its own child process: Python's `multiprocessing.Process`.
 *
 * The target is a TaskRef from a task module (`defineTasks`/`tasksFrom`) or a
 * self-contained inline function (shipped as source).
 *
 * @example
 * import tasks from './tasks.js';
 * const p = new Process(tasks.work, { args: ['job-1'], name: 'worker-1' });
 * p.start();
 * const code = await p.join();   // 0, or 1 if work() threw
 *
 * @throws TypeError if the target is neither a TaskRef nor a function, or an option is malformed.
 */
export class Process {
  /** The process name (`currentProcess().name` in the child). */
  readonly name: string;
  #daemon: boolean;
  readonly #task: { flags: number; target: string; name: string };
  readonly #args: unknown[];
  readonly #env: Record<string, string> | undefined;
  readonly #execArgv: string[] | undefined;
  #state: 'initial' | 'started' | 'stopped' = 'initial';
  #worker: ChildWorker | undefined;
  #exitCode: number | null = null;
  #error: unknown;
  #joiners = 0;

  constructor(target: TaskRef<any[], unknown> | ((...args: any[]) => unknown), opts?: ProcessOptions) {
    const where = 'new Process(target, opts)';
    if (typeof target !== 'function') throw new TypeError(`${where} expects a TaskRef or a function, got ${describe(target)}`);
    const o = opt.options(where, opts, KEYS, 'args');
    this.#task = describeTask(target, 'a child process');
    this.#args = opt.array(where, 'args', o.args) ?? [];
    this.#env = checkEnv(where, o.env);
    this.#execArgv = checkExecArgv(where, o.execArgv);
    this.name = opt.str(where, 'name', o.name) ?? `Process-${++counter}`;
    this.#daemon = opt.bool(where, 'daemon', o.daemon, false);
  }

  /** Daemon flag; settable until start() (InvalidStateError after). */
  get daemon(): boolean {
    return this.#daemon;
  }
  set daemon(v: boolean) {
    if (this.#state !== 'initial') throw new InvalidStateError('Cannot set daemon: the process has already started');
    this.#daemon = opt.bool('Process.daemon', 'daemon', v, false);
  }

  /** The child's pid once started, else undefined. */
  get pid(): number | undefined {
    return this.#worker?.pid;
  }

  /**
   * The exit code once the child has ended, else null: 0 (the target returned),
   * 1 (it threw), the code it passed to process.exit(), or minus the signal number
   * (-15 after terminate(), -9 after kill()), as in Python.
   */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** True from start() until the child has exited. */
  isAlive(): boolean {
    return this.#state === 'started';
  }

  /**
   * Starts the child process and runs the target in it.
   * @throws InvalidStateError if called twice; TypeError if an argument cannot be sent.
   */
  start(): void {
    if (this.#state !== 'initial') throw new InvalidStateError(`Cannot start ${this.name}: a process can be started only once`);
    assertNotImportingTasks(`Process ${this.name}`);
    const args = [...this.#args];
    const flags = this.#task.flags | encodeArgs(args, [], true);
    const task: Task = { id: 1, flags, target: this.#task.target, name: this.#task.name, args, transfer: undefined, seq: -1 };
    const owner: WorkerOwner<Task> = {
      workerReady: () => {},
      repliesHandled: () => {},
      taskStarted: () => {},
      initFailed: () => {},
      taskAnswered: () => {}, // the child exits by itself after its one task
      workerGone: (_w, end) => this.#ended(end),
    };
    const w = new ChildWorker<Task>(owner, { execArgv: this.#execArgv, env: this.#env, daemon: this.#daemon });
    this.#worker = w;
    this.#state = 'started';
    childStarted(this); // activeChildren(), and what keeps a wait on a brokered object alive (children.ts)
    w.start({ name: this.name, daemon: this.#daemon, exitAfter: 1 });
    const failed = w.send([task]);
    if (failed !== undefined) {
      w.kill();
      throw failed[0]!.error;
    }
    if (this.#daemon) w.keepAlive(false);
  }

  #ended(end: WorkerEnd<Task>): void {
    if (end.exitCode === null && end.signal === null && end.cause !== undefined)
      this.#error = end.cause; // it never started
    else this.#exitCode = pythonExitCode(end.exitCode, end.signal as NodeJS.Signals | null);
    this.#state = 'stopped';
    childEnded(this);
  }

  /**
   * Waits until the child has exited; resolves with its exit code, or null if
   * `timeout` ms passed first (the child goes on, as in Python). `timeout` follows
   * Python: undefined or Infinity waits for good, 0 or less does not wait.
   * @throws InvalidStateError if the process was never started; the spawn error if it could not start.
   */
  async join(opts?: { timeout?: number }): Promise<number | null> {
    const o = opt.options('Process.join(opts)', opts, ['timeout']);
    const ms = opt.timeout('Process.join(opts)', 'timeout', o.timeout);
    if (this.#state === 'initial') throw new InvalidStateError(`Cannot join ${this.name}: it has not been started`);
    const w = this.#worker!;
    if (this.#state === 'started') {
      // Joining keeps this process alive while it waits, even for a daemon child.
      if (this.#joiners++ === 0 && this.#daemon) w.keepAlive(true);
      try {
        if ((await within(w.whenGone(), ms)) === TIMED_OUT) return null;
      } finally {
        if (--this.#joiners === 0 && this.#daemon && this.#state === 'started') w.keepAlive(false);
      }
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#exitCode;
  }

  /** Sends SIGTERM (Python's terminate()); exitCode becomes -15. Does nothing if not running. */
  terminate(): void {
    if (this.#state === 'started') this.#worker!.signal('SIGTERM');
  }

  /** Sends SIGKILL (Python's kill()); exitCode becomes -9. Does nothing if not running. */
  kill(): void {
    if (this.#state === 'started') this.#worker!.signal('SIGKILL');
  }

  /** `<Process name="Process-1" pid=1234 started>`-style description. */
  toString(): string {
    const st = this.#state === 'initial' ? 'initial' : this.#state === 'started' ? 'started' : `stopped exitcode=${this.#exitCode}`;
    return `<Process name=${JSON.stringify(this.name)}${this.pid ? ` pid=${this.pid}` : ''}${this.#daemon ? ' daemon' : ''} ${st}>`;
  }
}
