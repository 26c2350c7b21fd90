/**
 * A child process behind a WorkerHandle: fork, post, halt, terminate.
 *
 * A child has the same control block and reply log as a worker thread, shared
 * between its main thread and its control thread (workers/child-control.ts);
 * the parent reaches them over a socket (fd 4), and the control thread answers
 * even while a task holds the child's main thread:
 *   cancel   mark the task in the control block, answer the started count:
 *            a task not started by then never starts (never a kill for it);
 *   halt     freeze the block (nothing more starts), hand over the replies not
 *            sent yet, then the parent kills the child: only the task that was
 *            running fails, and nothing that did not start is lost.
 *
 * When something outside kills the child (SIGKILL, an OOM killer), nobody can
 * answer. Then claims tell: before it starts a task it has not claimed, the
 * child claims the tasks received so far ([PROGRESS, CLAIM, n]) and starts only
 * once that message has left; 'close' fires only after the parent has read all
 * the child wrote, so no task past its last claim ever started. A child that
 * exits on its own (process.exit in a task, an uncaught error, a task module
 * that threw) says its exact count last ([PROGRESS, LAST_WORD, n]).
 *
 * Retiring sends STOP: the child finishes what it holds and exits by itself
 * (its 'exit' handlers run); one that has not exited RETIRE_GRACE_MS later is
 * killed. Its end is reported once it has exited AND its IPC channel has closed
 * (child.ts `watchChild`), so every message it wrote has been handled first.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Transferable } from '../core/tasks.js';
import { deserializeError } from '../transport/errors.js';
import { CLAIM, CTL_CANCEL, CTL_FREEZE, LAST_WORD, PROGRESS, STOP } from '../transport/protocol.js';
import { childAlive, forkChild, setChildRef, watchChild } from './child.js';
import { WorkerHandle, type Task, type WorkerOwner } from './worker-handle.js';

/** How long a retiring child may take to exit before it is killed (ms). */
const RETIRE_GRACE_MS = 5000;
/** How long a halt waits for the control thread's answer before killing anyway (ms). */
const HALT_WAIT_MS = 2000;
/** After this long without an answer to a cancel, the claims decide (ms). */
const CANCEL_ANSWER_MS = 2000;

/** How a child is started. */
export interface ChildWorkerOptions {
  execArgv?: readonly string[] | undefined;
  env?: Record<string, string> | undefined;
  /** Killed with SIGKILL when this process exits (pool children, daemon Processes). */
  daemon: boolean;
}

export class ChildWorker<T extends Task = Task> extends WorkerHandle<T> {
  private child: ChildProcess | undefined;
  private ctl: Socket | undefined;
  private ctlBuf: Buffer = Buffer.alloc(0);
  /** Cancel queries sent and not answered, oldest first: [seq, sent at]. */
  private readonly asked: [number, number][] = [];
  /** Started counts the control thread gave for cancelled tasks, by seq. */
  private readonly cancelAnswers = new Map<number, number>();
  private claimed = 0; // its latest claim
  private final = -1; // started count in its last word, or -1
  private frozenAt = -1; // started count when halted, or -1
  private halting: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;

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
      if (msg[1] === CLAIM) this.claimed = msg[2];
      else if (msg[1] === LAST_WORD) {
        this.final = msg[2];
        if (msg[3] !== undefined) this.cause ??= deserializeError(msg[3]);
      }
    });
    const ctl = child.stdio[4] as Socket | null;
    if (ctl) {
      this.ctl = ctl;
      ctl.on('data', (d: Buffer) => this.onControl(d));
      ctl.on('error', () => {
        /* the child is gone: its end sorts what it held */
      });
    }
    void watchChild(child, (end) => {
      if (this.killTimer) clearTimeout(this.killTimer);
      if (this.halting) clearTimeout(this.halting);
      this.ctl?.destroy();
      this.ended({ exitCode: end.code, signal: end.signal, cause: end.error });
    });
  }

  /** Answers of the control thread: [op u8, started i32] (+ [len u32, bytes] after a freeze). */
  private onControl(d: Buffer): void {
    let buf = this.ctlBuf.length ? Buffer.concat([this.ctlBuf, d]) : d;
    for (;;) {
      if (buf.length < 5) break;
      const op = buf.readUInt8(0);
      const started = buf.readInt32LE(1);
      if (op === CTL_CANCEL) {
        const q = this.asked.shift();
        if (q !== undefined && q[0] >= 0) this.cancelAnswers.set(q[0], started); // (-1: its task was answered meanwhile)
        buf = buf.subarray(5);
        continue;
      }
      if (buf.length < 9) break;
      const len = buf.readUInt32LE(5);
      if (buf.length < 9 + len) break;
      const records = buf.subarray(9, 9 + len);
      buf = buf.subarray(9 + len);
      if (op === CTL_FREEZE) this.frozen(started, records);
    }
    this.ctlBuf = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  protected post(msg: unknown, _transfer?: Transferable[]): void {
    const child = this.child;
    if (child === undefined || !child.connected) return; // gone: its end sorts what it held
    child.send(msg as any);
    if ((msg as unknown[])[0] === STOP && this.killTimer === undefined) {
      this.killTimer = setTimeout(() => this.terminate(), RETIRE_GRACE_MS);
      this.killTimer.unref();
    }
  }

  protected terminate(): void {
    if (childAlive(this.child)) this.child!.kill('SIGKILL');
  }

  /** Freeze through the control thread, take the replies it hands over, then kill. */
  protected halt(): void {
    // Nothing sent, nothing to save (and no control thread yet: it starts with the first task).
    if (this.sentCount === 0 || !childAlive(this.child) || this.ctl === undefined || this.ctl.destroyed) return this.terminate();
    this.setRef(true); // whoever waits for its end keeps this process alive until then
    this.ctl.write(command(CTL_FREEZE, 0));
    this.halting = setTimeout(() => this.terminate(), HALT_WAIT_MS); // the control thread cannot answer: kill anyway
  }

  private frozen(started: number, records: Uint8Array): void {
    if (this.frozenAt < 0) this.frozenAt = started;
    this.replies(records);
    if (this.halting) clearTimeout(this.halting);
    this.halting = undefined;
    this.terminate();
  }

  /** Sends a signal (multiprocessing `Process.terminate()` / `kill()`); false if it is not running. */
  signal(sig: NodeJS.Signals): boolean {
    if (!childAlive(this.child)) return false;
    this.child!.kill(sig);
    return true;
  }

  protected setRef(on: boolean): void {
    setChildRef(this.child, on);
    if (on) this.ctl?.ref();
    else this.ctl?.unref();
  }

  /** Its count when halted, else its own last word, else its last claim (no task past it started). */
  protected startedAtEnd(): number {
    if (this.frozenAt >= 0) return this.frozenAt;
    return this.final >= 0 ? this.final : this.claimed;
  }

  /** Asks the control thread to mark the task; its answer comes later (`mayHaveStarted`). */
  protected markCancelled(task: T): boolean {
    if (this.ctl === undefined || this.ctl.destroyed) return false;
    this.asked.push([task.seq, performance.now()]);
    this.ctl.write(command(CTL_CANCEL, task.seq));
    return false;
  }

  mayHaveStarted(task: T): boolean | undefined {
    const answer = this.cancelAnswers.get(task.seq);
    if (answer !== undefined) return task.seq < answer; // not started then: it is skipped, never run
    if (this.final >= 0) return task.seq < this.final;
    if (task.seq >= this.claimed) return undefined; // not claimed (as far as we know yet)
    // Claimed and not answered yet: wait for the control thread, within reason.
    const q = this.asked.find(([seq]) => seq === task.seq);
    return q !== undefined && performance.now() - q[1] < CANCEL_ANSWER_MS ? undefined : true;
  }

  protected override forget(task: T): void {
    if (this.cancelAnswers.size !== 0) this.cancelAnswers.delete(task.seq);
    // A cancel answer still on its way for this task is no longer wanted: it would stay for good.
    for (const q of this.asked) if (q[0] === task.seq) q[0] = -1;
  }
}

function command(op: number, arg: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt8(op, 0);
  b.writeUInt32LE(arg >>> 0, 1);
  return b;
}
