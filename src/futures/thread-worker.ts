/**
 * A worker thread behind a WorkerHandle: spawn, post, freeze, terminate.
 *
 * The thread shares two buffers with its parent: the control block (protocol.ts,
 * CB_*: the started count and the cancel marks, which make claims and cancels
 * exact) and the reply log (reply-log.ts: finished results survive the thread).
 *
 * Its end is reported once Node has emitted 'exit' (after draining the thread's
 * port: every message it sent has been handled) AND its stdout and stderr have
 * been written out, so what a thread printed before it ended reaches the
 * terminal before anyone hears that it ended.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Transferable } from '../core/tasks.js';
import { workerThreadExited } from '../core/runtime.js';
import { newReplyLog } from '../transport/reply-log.js';
import { CB_STARTED, CB_WORDS, GATE_FROZEN, freezeBlock, markCancelledIn } from '../transport/protocol.js';
import { WorkerHandle, type Task, type WorkerOwner } from './worker-handle.js';
import { threadExecArgv } from './exec-argv.js';

const ENTRY = new URL('../workers/thread-entry.js', import.meta.url);

/** How a thread is started. */
export interface ThreadWorkerOptions {
  /** The thread's name (as Node's Worker `name`, seen in inspectors). */
  name: string;
  resourceLimits?: ResourceLimits | undefined;
}

export class ThreadWorker<T extends Task = Task> extends WorkerHandle<T> {
  private worker: Worker | undefined;
  private control: Int32Array | undefined;
  private frozenAt = -1;

  constructor(
    owner: WorkerOwner<T>,
    private readonly opts: ThreadWorkerOptions,
  ) {
    super(owner);
  }

  protected spawn(): void {
    const control = new SharedArrayBuffer(CB_WORDS * 4);
    const replyLog = newReplyLog();
    this.control = new Int32Array(control);
    this.useReplyLog(replyLog);
    const worker = new Worker(ENTRY, {
      workerData: { control, replyLog },
      name: this.opts.name,
      resourceLimits: this.opts.resourceLimits,
      // The parent's flags without those that load tsx (a thread gets TypeScript from
      // the loader, workers/loader.ts) or name the parent's entry (exec-argv.ts).
      execArgv: threadExecArgv(),
    });
    this.worker = worker;
    const tid = (this.threadId = worker.threadId); // (-1 once it has exited)
    worker.on('message', (msg) => this.handleMessage(msg));
    worker.on('error', (err) => {
      this.cause ??= err;
    });
    worker.once('exit', (code) => {
      // Locks the thread still held are released as abandoned (weft/threading).
      workerThreadExited(tid);
      void outputDrained(worker).then(() => this.ended({ exitCode: code, signal: null }));
    });
  }

  protected post(msg: unknown, transfer?: Transferable[]): void {
    this.worker!.postMessage(msg, transfer as any);
  }

  protected terminate(): void {
    void this.worker?.terminate();
  }

  protected setRef(on: boolean): void {
    if (on) this.worker?.ref();
    else this.worker?.unref();
  }

  protected halt(): void {
    this.freeze(); // the reply log is shared: the parent reads what is left once the thread is gone
    this.terminate();
  }

  private freeze(): number {
    if (this.frozenAt >= 0) return this.frozenAt;
    if (this.control === undefined) return (this.frozenAt = 0);
    this.frozenAt = freezeBlock(this.control);
    return this.frozenAt;
  }

  protected startedAtEnd(): number {
    return this.freeze();
  }

  protected markCancelled(task: T): boolean {
    const c = this.control;
    if (c === undefined) return true;
    const started = markCancelledIn(c, task.seq);
    return started !== GATE_FROZEN && started <= task.seq;
  }

  mayHaveStarted(task: T): boolean {
    const c = this.control;
    if (c === undefined) return false;
    const started = Atomics.load(c, CB_STARTED);
    return started === GATE_FROZEN ? task.seq < this.frozenAt : task.seq < started;
  }
}

/** Resolves once the thread's stdout and stderr have ended (everything it printed was written). */
function outputDrained(worker: Worker): Promise<void> {
  const ends = [worker.stdout, worker.stderr].map(
    (s) =>
      new Promise<void>((resolve) => {
        if (s === null || s === undefined || (s as any).readableEnded || (s as any).destroyed) return resolve();
        s.once('end', resolve);
        s.once('close', resolve);
        s.once('error', () => resolve());
      }),
  );
  // Bounded: a stream that never ends must not keep the thread's end from being reported.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, OUTPUT_DRAIN_MS);
    timer.unref();
  });
  return Promise.race([Promise.all(ends), bound]).then(() => clearTimeout(timer));
}

/** How long a thread's end waits for its output to be written out, at most. */
const OUTPUT_DRAIN_MS = 1000;
