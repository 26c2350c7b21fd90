/**
 * A child process behind a WorkerHandle: fork, post, freeze, terminate.
 *
 * Children share no memory with the parent, so they say which tasks they
 * started in messages (run-loop.ts):
 *   CLAIM n        before it starts a task it has not claimed, the child claims
 *                  the tasks it has received so far (a run of quick ones, or one
 *                  that may run long alone) and starts only once that message
 *                  has left. 'close' fires only after the parent has read all the
 *                  child wrote, so once it is gone no task past its last claim
 *                  ever started.
 *   CANCEL_SEEN n  the answer to each CANCEL: n tasks had started when the child
 *                  read it; a cancelled task numbered n or more is skipped.
 *   LAST_WORD n    a child that exits on its own (process.exit in a task, an
 *                  uncaught error, a task module that threw) says its exact count.
 * Replies are sent before every claim, so a child killed while it runs a claimed
 * run of quick tasks loses only the replies of that run (at most about a
 * millisecond of work), which then fail with WorkerCrashedError as tasks that
 * may have started.
 *
 * Retiring sends STOP: the child finishes what it holds and exits by itself
 * (its 'exit' handlers run); one that has not exited RETIRE_GRACE_MS later is
 * killed. Its end is reported once it has exited AND its IPC channel has closed
 * (child.ts `watchChild`), so every message it wrote has been handled first.
 */
import type { ChildProcess } from 'node:child_process';
import type { Transferable } from '../core/tasks.js';
import { deserializeError } from '../transport/errors.js';
import { CANCEL, CANCEL_SEEN, CLAIM, LAST_WORD, PROGRESS, STOP } from '../transport/protocol.js';
import { childAlive, forkChild, setChildRef, watchChild } from './child.js';
import { WorkerHandle, type Task, type WorkerOwner } from './worker-handle.js';

/** How long a retiring child may take to exit before it is killed (ms). */
const RETIRE_GRACE_MS = 5000;

/** How a child is started. */
export interface ChildWorkerOptions {
  execArgv?: readonly string[] | undefined;
  env?: Record<string, string> | undefined;
  /** Killed with SIGKILL when this process exits (pool children, daemon Processes). */
  daemon: boolean;
}

export class ChildWorker<T extends Task = Task> extends WorkerHandle<T> {
  private child: ChildProcess | undefined;
  private claimed = 0; // its latest claim
  private seen = 0; // started count in its latest CANCEL_SEEN
  private unansweredCancels = 0;
  private final = -1; // started count in its last word, or -1
  private gone: Promise<void> = Promise.resolve();
  private killTimer: NodeJS.Timeout | undefined;
  /** Exit code and signal, once it has exited. */
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;

  constructor(
    owner: WorkerOwner<T>,
    private readonly opts: ChildWorkerOptions,
  ) {
    super(owner);
  }

  /** The child's pid once spawned. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  protected spawn(): void {
    const child = forkChild({ execArgv: this.opts.execArgv, env: this.opts.env, daemon: this.opts.daemon });
    this.child = child;
    if (child.pid !== undefined) this.threadId = child.pid;
    child.on('message', (msg: any) => {
      if (msg[0] !== PROGRESS) return this.handleMessage(msg);
      switch (msg[1]) {
        case CLAIM:
          this.claimed = msg[2];
          return;
        case CANCEL_SEEN:
          this.seen = msg[2];
          if (this.unansweredCancels > 0) this.unansweredCancels--;
          return;
        case LAST_WORD:
          this.final = msg[2];
          if (msg[3] !== undefined) this.cause ??= deserializeError(msg[3]);
          return;
      }
    });
    this.gone = watchChild(child, (end) => {
      if (this.killTimer) clearTimeout(this.killTimer);
      this.exitCode = end.code;
      this.signalCode = end.signal;
      this.ended({ exitCode: end.code, signal: end.signal, cause: end.error });
    });
  }

  protected post(msg: unknown, _transfer?: Transferable[]): void {
    const child = this.child;
    if (child === undefined || !child.connected) return; // gone: its end sorts what it held
    child.send(msg as any);
    if ((msg as unknown[])[0] === CANCEL) this.unansweredCancels++;
    else if ((msg as unknown[])[0] === STOP && this.killTimer === undefined) {
      this.killTimer = setTimeout(() => this.terminate(), RETIRE_GRACE_MS);
      this.killTimer.unref();
    }
  }

  protected terminate(): void {
    if (childAlive(this.child)) this.child!.kill('SIGKILL');
  }

  /** Sends a signal (multiprocessing `Process.terminate()` / `kill()`); false if it is not running. */
  signal(sig: NodeJS.Signals): boolean {
    if (!childAlive(this.child)) return false;
    this.child!.kill(sig);
    return true;
  }

  protected setRef(on: boolean): void {
    setChildRef(this.child, on);
  }

  /** A child cannot be frozen from outside: its count is known once it is gone. */
  protected freeze(): undefined {
    return undefined;
  }

  /** Its own exact count, else its last claim (no task past it ever started). */
  protected startedAtEnd(): number {
    return this.final >= 0 ? this.final : this.claimed;
  }

  /** Never known at once: the child reads the CANCEL between tasks. */
  protected markCancelled(): boolean {
    return false;
  }

  mayHaveStarted(task: T): boolean | undefined {
    if (this.final >= 0) return task.seq < this.final;
    if (this.unansweredCancels === 0) return task.seq < this.seen; // it read the cancel: skipped if not started by then
    return task.seq < this.claimed ? true : undefined; // a claim may be on its way
  }

  whenGone(): Promise<void> {
    return this.gone;
  }
}
