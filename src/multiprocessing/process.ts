/**
 * multiprocessing.Process: run one function in a new child process.
 *
 * The child is the same entry script as a ProcessPoolExecutor worker, in
 * 'process' mode: it runs the target once and exits with code 0, or prints
 * the error on its stderr and exits with code 1 if the target threw (Python's
 * behaviour). Queues and Pipe ends among the arguments are served by this
 * object while the child runs (transport/brokered.ts).
 *
 *   new Process(target, { args }) ─start()─> fork ─[INIT process][RUN target]─> child
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
import type { ChildProcess } from 'node:child_process';
import { InvalidStateError, describe } from '../core/errors.js';
import type { TaskRef } from '../core/tasks.js';
import { encodeArgs, explainUnsendable } from '../transport/codec.js';
import { BrokerSession } from '../transport/brokered.js';
import { BROKER, INIT, RUN, type WorkerInit } from '../transport/protocol.js';
import { describeTask } from '../transport/task-target.js';
import { checkEnv, checkExecArgv, childAlive, forkChild, pythonExitCode, setChildRef, watchChild } from '../futures/child.js';
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
  readonly #flags: number;
  readonly #target: string;
  readonly #taskName: string;
  readonly #args: unknown[];
  readonly #env: Record<string, string> | undefined;
  readonly #execArgv: string[] | undefined;
  #state: 'initial' | 'started' | 'stopped' = 'initial';
  #child: ChildProcess | undefined;
  #exitCode: number | null = null;
  #error: unknown;
  #exited: Promise<void> | undefined;
  #joiners = 0;

  constructor(target: TaskRef<any[], unknown> | ((...args: any[]) => unknown), opts: ProcessOptions = {}) {
    if (typeof target !== 'function') throw new TypeError(`Process(target) expects a TaskRef or a function, got ${describe(target)}`);
    if (opts === null || typeof opts !== 'object') throw new TypeError(`Process options must be an object, got ${describe(opts)}`);
    const t = describeTask(target, 'a child process');
    this.#flags = t.flags;
    this.#target = t.target;
    this.#taskName = t.name;
    if (opts.args !== undefined && !Array.isArray(opts.args))
      throw new TypeError(`Process args must be an array, got ${describe(opts.args)}`);
    if (opts.name !== undefined && typeof opts.name !== 'string')
      throw new TypeError(`Process name must be a string, got ${describe(opts.name)}`);
    if (opts.daemon !== undefined && typeof opts.daemon !== 'boolean')
      throw new TypeError(`Process daemon must be a boolean, got ${describe(opts.daemon)}`);
    this.#args = opts.args ? [...opts.args] : [];
    this.#env = checkEnv(opts.env);
    this.#execArgv = checkExecArgv(opts.execArgv);
    this.name = opts.name ?? `Process-${++counter}`;
    this.#daemon = opts.daemon ?? false;
  }

  /** Daemon flag; settable until start() (InvalidStateError after). */
  get daemon(): boolean {
    return this.#daemon;
  }
  set daemon(v: boolean) {
    if (this.#state !== 'initial') throw new InvalidStateError('Cannot set daemon: the process has already started');
    if (typeof v !== 'boolean') throw new TypeError(`daemon must be a boolean, got ${describe(v)}`);
    this.#daemon = v;
  }

  /** The child's pid once started, else undefined. */
  get pid(): number | undefined {
    return this.#child?.pid;
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
    return this.#state === 'started' && childAlive(this.#child);
  }

  /**
   * Starts the child process and runs the target in it.
   * @throws InvalidStateError if called twice; TypeError if an argument cannot be sent.
   */
  start(): void {
    if (this.#state !== 'initial') throw new InvalidStateError(`Cannot start ${this.name}: a process can be started only once`);
    const args = [...this.#args];
    const flags = this.#flags | encodeArgs(args, [], true);
    // Refuse what the IPC channel cannot carry before a child exists (a nested function, ...).
    try {
      structuredClone(args);
    } catch (err) {
      throw explainUnsendable(args, err);
    }
    this.#state = 'started';
    const child = forkChild({ execArgv: this.#execArgv, env: this.#env, name: this.name, daemon: this.#daemon });
    this.#child = child;
    childStarted(this); // activeChildren(), and what keeps a wait on a brokered object alive (children.ts)
    const broker = new BrokerSession((m) => {
      if (child.connected) child.send(m as any);
    });
    child.on('message', (msg: any) => {
      if (msg[0] === BROKER) broker.handle(msg);
    });
    child.once('exit', (code, signal) => {
      this.#exitCode = pythonExitCode(code, signal);
    });
    // Stopped once it has exited and every message it wrote has been served (child.ts).
    this.#exited = watchChild(child, (end) => {
      if (end.spawnFailed) this.#error = end.error;
      else this.#exitCode = pythonExitCode(end.code, end.signal);
      this.#state = 'stopped';
      broker.close();
      childEnded(this);
    });
    if (this.#daemon) this.#ref(false);
    const init: WorkerInit = { initargs: [], name: this.name, mode: 'process' };
    child.send([INIT, init] as any);
    child.send([RUN, [1, flags, this.#target, this.#taskName, args]] as any);
  }

  /**
   * Waits until the child has exited; resolves with its exit code, or null if
   * `timeout` ms passed first (the child goes on, as in Python).
   * @throws InvalidStateError if the process was never started; the spawn error if it could not start.
   */
  async join(opts: { timeout?: number } = {}): Promise<number | null> {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`join(opts) expects an object, got ${describe(opts)}`);
    const timeout = opts.timeout;
    if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
      throw new (typeof timeout === 'number' ? RangeError : TypeError)(`join: timeout must be milliseconds >= 0, got ${describe(timeout)}`);
    }
    if (this.#state === 'initial') throw new InvalidStateError(`Cannot join ${this.name}: it has not been started`);
    if (this.#state === 'started') {
      // Joining keeps this process alive while it waits, even for a daemon child.
      if (this.#joiners++ === 0 && this.#daemon) this.#ref(true);
      let timer: NodeJS.Timeout | undefined;
      try {
        await (timeout === undefined || timeout === Infinity
          ? this.#exited
          : Promise.race([
              this.#exited,
              new Promise<void>((r) => {
                timer = setTimeout(r, timeout);
              }),
            ]));
      } finally {
        if (timer) clearTimeout(timer);
        if (--this.#joiners === 0 && this.#daemon && this.#state === 'started') this.#ref(false);
      }
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#state === 'stopped' ? this.#exitCode : null;
  }

  /** Sends SIGTERM (Python's terminate()); exitCode becomes -15. Does nothing if not running. */
  terminate(): void {
    if (this.isAlive()) this.#child!.kill('SIGTERM');
  }

  /** Sends SIGKILL (Python's kill()); exitCode becomes -9. Does nothing if not running. */
  kill(): void {
    if (this.isAlive()) this.#child!.kill('SIGKILL');
  }

  #ref(on: boolean): void {
    setChildRef(this.#child, on);
  }

  /** `<Process name="Process-1" pid=1234 started>`-style description. */
  toString(): string {
    const st = this.#state === 'initial' ? 'initial' : this.#state === 'started' ? 'started' : `stopped exitcode=${this.#exitCode}`;
    return `<Process name=${JSON.stringify(this.name)}${this.pid ? ` pid=${this.pid}` : ''}${this.#daemon ? ' daemon' : ''} ${st}>`;
  }
}
