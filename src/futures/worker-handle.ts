/**
 * WorkerHandle: one worker (a thread or a child process) as its parent sees it,
 * with ONE named state and its own record of the tasks it holds. Pools,
 * `Thread` and `Process` all drive workers through this class; a thread worker
 * (thread-worker.ts) and a child-process worker (child-worker.ts) only say how
 * to spawn, post, freeze and terminate.
 *
 *                  ready                 retire (idle, maxTasks, shutdown: STOP)
 *   starting ─────────────> ready ───────────────────────> retiring ──exit──> gone
 *      │                      │ \                              │
 *      │                      │  └─ kill (cancelGrace out, ──> killing ─exit─> gone
 *      │                      │      timeout, terminate)         ^
 *      │                      │                                  │
 *      └──────────────────────┴──────── exit / error / killed from outside ──> gone
 *   (retiring -> killing too: a worker asked to stop whose task must be killed)
 *
 * Every transition goes through `to()`; an illegal one throws InvalidStateError.
 * `gone` is reached only when the worker has really ended AND every message it
 * sent has been handled (thread: the 'exit' event, after Node drained its port;
 * child: exit plus the IPC channel closed, child.ts).
 *
 * Which of my tasks had started?
 * ──────────────────────────────
 * Tasks are numbered in the order they were sent (`seq`). On `gone` the handle
 * answers exactly: the backend's started count S (threads: the control block's
 * STARTED word, frozen before a terminate; children: the count in their last
 * word, else their last claim, past which nothing started). Then, for every task
 * not answered yet:
 *   seq < S   it started and did not finish: it fails (WorkerCrashedError);
 *   seq >= S  it never started: it is handed back to run elsewhere.
 * Finished tasks were answered already: a thread writes each reply to the shared
 * reply log the moment the task ends, and the handle reads the rest of the log
 * before it sorts (so only the task that was running can fail); a child sends
 * its replies before each new claim.
 *
 * Races, walked through
 * ─────────────────────
 * - A reply and an exit cross: the reply was written (log, or a message Node
 *   delivers before 'exit'), so it is handled first; the task is answered.
 * - A cancel and a claim cross (threads): the parent marks the task in the
 *   control block, then reads STARTED; the worker claims (CAS), then reads the
 *   mark. Sequentially consistent atomics: either the parent sees the claim
 *   (the task may run: its signal is aborted, and it is killed after
 *   cancelGrace) or the worker sees the mark (it skips the task).
 * - A kill and a claim cross (threads): `freeze` swaps STARTED for FROZEN and
 *   returns the count; a worker whose CAS then fails starts nothing more.
 * - A send fails (a value structured clone refuses): nothing was queued, the
 *   handle's counters are untouched; only that task fails.
 */
import { InvalidStateError, WorkerCrashedError } from '../core/errors.js';
import type { Transferable } from '../core/tasks.js';
import { deserializeError } from '../transport/errors.js';
import { explainUnsendable } from '../transport/codec.js';
import { BrokerSession } from '../transport/brokered.js';
import { ReplyLogReader, decodeRecords } from '../transport/reply-log.js';
import {
  INIT,
  RUN,
  CANCEL,
  STOP,
  READY,
  INIT_FAILED,
  DONE,
  STARTED,
  FATAL,
  BROKER,
  REPLY_FIELDS,
  ordersReplies,
  type WorkerInit,
} from '../transport/protocol.js';

/** The named states of a worker; see the diagram above. */
export type WorkerState = 'starting' | 'ready' | 'retiring' | 'killing' | 'gone';

const NEXT: Record<WorkerState, readonly WorkerState[]> = {
  starting: ['ready', 'retiring', 'killing', 'gone'],
  ready: ['retiring', 'killing', 'gone'],
  retiring: ['killing', 'gone'],
  killing: ['gone'],
  gone: [],
};

/** One task as a worker carries it (pools add their own bookkeeping fields). */
export interface Task {
  readonly id: number;
  readonly flags: number;
  readonly target: string;
  readonly name: string;
  args: unknown[] | undefined;
  readonly transfer: Transferable[] | undefined;
  /** Its number among the tasks sent to its worker (set by `send`). */
  seq: number;
}

/** How a worker ended, as its owner hears it. */
export interface WorkerEnd<T extends Task> {
  /** Tasks it had started and not answered: they fail. */
  readonly crashed: T[];
  /** Tasks it never started: they may run elsewhere. */
  readonly unstarted: T[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** What ended it (an error event, a failed spawn, the error a task module threw at import). */
  readonly cause: unknown;
  /** It died before it was ready. */
  readonly beforeReady: boolean;
  /** The parent stopped it (retire or kill); false when it ended on its own or was killed from outside. */
  readonly intentional: boolean;
  /** A task module threw while being imported (the worker exited to be replaced). */
  readonly moduleThrew: boolean;
}

/** What a worker tells whoever drives it. */
export interface WorkerOwner<T extends Task> {
  /** The worker ran its initializer and takes tasks. */
  workerReady(w: WorkerHandle<T>): void;
  /** A task was answered: status OK, ERR (value: a serialized error) or SKIPPED. */
  taskAnswered(w: WorkerHandle<T>, task: T, status: number, value: unknown, ms: number): void;
  /** A batch of replies has been handled (the worker may be idle now). */
  repliesHandled(w: WorkerHandle<T>, busyMs: number): void;
  /** A task that asked (it has a timeout) has started. */
  taskStarted(w: WorkerHandle<T>, task: T): void;
  /** The initializer failed. */
  initFailed(w: WorkerHandle<T>, error: unknown): void;
  /** The worker has ended; every task it held is sorted in `end`. */
  workerGone(w: WorkerHandle<T>, end: WorkerEnd<T>): void;
}

let nextWorkerId = 1;

export abstract class WorkerHandle<T extends Task = Task> {
  /** A number unique in this process. */
  readonly id = nextWorkerId++;
  /** The worker's thread id (threads) or pid (children); -1 until it is known. */
  threadId = -1;
  private _state: WorkerState = 'starting';
  /** Tasks sent and not answered, oldest first (`head` is the first live entry). */
  private inflight: (T | undefined)[] = [];
  private head = 0;
  /** Tasks sent so far (the `seq` of the next one). */
  private sent = 0;
  /** Expected ms of work sent and not answered (the pool's dispatch budget). */
  backlog = 0;
  /** Tasks this worker has answered. */
  answeredCount = 0;
  /** Messages handled that order replies (transport/protocol.ts `ordersReplies`): see `peekReplies`. */
  private ordering = 0;
  private broker: BrokerSession | undefined;
  private log: ReplyLogReader | undefined;
  private fatal: unknown;
  protected cause: unknown;
  private refd = true;
  private spawned = false;
  private wasReady = false;

  private resolveGone!: () => void;
  /** Resolves once the worker has ended (after `ended` ran). */
  private readonly gone = new Promise<void>((r) => {
    this.resolveGone = r;
  });

  constructor(protected readonly owner: WorkerOwner<T>) {}

  /** The current state. */
  get state(): WorkerState {
    return this._state;
  }

  /** Moves to `next`. @throws InvalidStateError for a transition the diagram does not have. */
  private to(next: WorkerState): void {
    if (!NEXT[this._state].includes(next)) {
      throw new InvalidStateError(`A worker cannot go from ${this._state} to ${next}`);
    }
    this._state = next;
  }

  /** Unanswered tasks (an upper bound while out-of-order replies leave holes; exact in order). */
  get load(): number {
    return this.inflight.length - this.head;
  }

  /** Tasks sent to it so far. */
  get sentCount(): number {
    return this.sent;
  }

  /** True while it can take tasks (ready, not asked to stop). */
  get accepting(): boolean {
    return this._state === 'ready';
  }

  // ── what a backend provides ───────────────────────────────────────────────

  /** Starts the worker; messages go to `handleMessage`, its end to `ended`. May throw. */
  protected abstract spawn(): void;
  /** Posts a message; throws DataCloneError for a value structured clone refuses. */
  protected abstract post(msg: unknown, transfer?: Transferable[]): void;
  /** Stops the worker now (nothing it holds is saved: for a worker with no task under way). */
  protected abstract terminate(): void;
  /**
   * Stops it from starting more tasks, saves the replies it has written and not
   * sent (they reach `replies`), then ends it: what `kill()` does.
   */
  protected abstract halt(): void;
  /** Makes the worker keep the process alive, or not. */
  protected abstract setRef(on: boolean): void;
  /** The exact started count, once the worker is gone. */
  protected abstract startedAtEnd(): number;
  /** Marks a task cancelled where the worker checks before starting it; true if it had not started. */
  protected abstract markCancelled(task: T): boolean;
  /** True if the task may have started (undefined: cannot tell yet). */
  abstract mayHaveStarted(task: T): boolean | undefined;
  /** Resolves once the worker has ended (after `ended` ran). */
  whenGone(): Promise<void> {
    return this.gone;
  }

  /** The reply log this worker writes (threads). */
  protected useReplyLog(sab: SharedArrayBuffer): void {
    this.log = new ReplyLogReader(sab);
  }

  // ── driving it ────────────────────────────────────────────────────────────

  /**
   * Spawns the worker and sends its first message.
   * @throws whatever spawning throws. The worker then ends on its own, in a
   *   microtask (the caller has handled the error by then: a pool breaks first).
   */
  start(init: WorkerInit): void {
    if (this.spawned || this._state !== 'starting') throw new InvalidStateError(`A worker can be started once (it is ${this._state})`);
    this.spawned = true;
    try {
      this.spawn();
    } catch (err) {
      // Nothing was spawned (no thread could be made, flags refused, fork failed):
      // nothing will ever exit, so end it here, or whoever waits for it waits for good.
      queueMicrotask(() => this.ended({ exitCode: null, signal: null, cause: err }));
      throw err;
    }
    this.post([INIT, init]);
  }

  /**
   * Sends tasks in one message. A task whose arguments cannot be sent is not
   * sent: it comes back in the returned list with its error (only its owner fails).
   */
  send(tasks: T[]): { task: T; error: TypeError }[] | undefined {
    if (this._state !== 'ready' && this._state !== 'starting') {
      throw new InvalidStateError(`Cannot send tasks to a worker that is ${this._state}`);
    }
    const batch: unknown[] = [];
    let transfer: Transferable[] | undefined;
    let seq = this.sent;
    for (const t of tasks) {
      t.seq = seq++;
      batch.push(t.id, t.flags, t.target, t.name, t.args);
      if (t.transfer) (transfer ??= []).push(...t.transfer);
    }
    try {
      this.post([RUN, batch], transfer);
      for (const t of tasks) this.inflight.push(t);
      this.sent = seq;
      this.keepAlive(true);
      return undefined;
    } catch {
      // One argument structured clone refuses: send them one by one so only its owner fails.
      let failed: { task: T; error: TypeError }[] | undefined;
      for (const t of tasks) {
        t.seq = this.sent;
        try {
          this.post([RUN, [t.id, t.flags, t.target, t.name, t.args]], t.transfer);
          this.inflight.push(t);
          this.sent++;
        } catch (e) {
          (failed ??= []).push({ task: t, error: explainUnsendable(t.args ?? [], e) });
        }
      }
      if (this.load > 0) this.keepAlive(true);
      return failed;
    }
  }

  /**
   * Cancels a task it holds. Returns 'skipped' when the task had not started and
   * now never will, 'running' when it may be running (its signal is aborted; the
   * caller decides when to kill).
   */
  cancel(task: T, reason: unknown): 'skipped' | 'running' {
    if (this._state === 'gone') return 'skipped';
    if (this.markCancelled(task)) return 'skipped';
    try {
      this.post([CANCEL, task.id, reasonText(reason)]);
    } catch {
      /* it is going away: its end sorts the task */
    }
    return 'running';
  }

  /** True while the task is still unanswered here. */
  holds(task: T): boolean {
    return this.indexOf(task.id) >= 0;
  }

  /** Asks it to exit once it has answered what it holds (ready/starting -> retiring). */
  retire(): void {
    if (this._state === 'retiring' || this._state === 'killing' || this._state === 'gone') return;
    this.to('retiring');
    this.keepAlive(true); // whoever awaits its exit (shutdown) keeps the process alive until then
    try {
      this.post([STOP]);
    } catch {
      this.terminate();
    }
  }

  /** Terminates it now (a stuck task, a pool that must stop): -> killing. */
  kill(): void {
    if (this._state === 'killing' || this._state === 'gone') return;
    this.to('killing');
    this.halt();
  }

  /** Makes it keep the process alive (busy) or not (idle). */
  keepAlive(on: boolean): void {
    if (this.refd === on || this._state === 'gone') return;
    this.refd = on;
    this.setRef(on);
  }

  // ── hearing from it ───────────────────────────────────────────────────────

  /** @internal every message the worker sends (backends call it). */
  protected handleMessage(msg: any): void {
    if (this._state === 'gone') return;
    if (ordersReplies(msg)) this.ordering++;
    switch (msg[0]) {
      case DONE:
        return this.onDone(msg[1], msg[2] as number, msg[3] as unknown[]);
      case STARTED: {
        const t = this.find(msg[1] as number);
        if (t !== undefined) this.owner.taskStarted(this, t);
        return;
      }
      case READY:
        this.threadId = msg[1] as number;
        if (this._state === 'starting') {
          this.wasReady = true;
          this.to('ready');
          this.owner.workerReady(this);
        }
        return;
      case INIT_FAILED:
        this.owner.initFailed(this, deserializeError(msg[1]));
        return;
      case FATAL:
        this.fatal = deserializeError(msg[2]);
        return;
      case BROKER:
        (this.broker ??= new BrokerSession((m) => this.post(m))).handle(msg);
        return;
    }
  }

  private onDone(log: number | Uint8Array | undefined, busyMs: number, inline: unknown[]): void {
    this.replies(log);
    for (let i = 0; i < inline.length; i += REPLY_FIELDS) {
      this.onReply(inline[i] as number, inline[i + 1] as number, inline[i + 2], inline[i + 3] as number);
    }
    this.compact();
    if (this.load === 0) this.backlog = 0; // no drift from float sums
    this.owner.repliesHandled(this, busyMs);
  }

  /**
   * Replies written to the reply log: up to a position of a thread's log, or the
   * records a child sent (in a DONE message, or handed over when it was halted).
   */
  protected replies(log: number | Uint8Array | undefined): void {
    if (typeof log === 'number') this.log?.readTo(log, this.onReply);
    else if (log !== undefined && log.length > 0) decodeRecords(log, this.onReply);
  }

  /**
   * Reads the replies a thread has written to its reply log so far, ahead of the
   * DONE message that will announce them (which then reads nothing more); true
   * if there were any. The pool polls with it while a single quick task is in flight.
   * Only once every message the worker posted before those replies has been
   * handled (a brokered `Event.set`, an earlier reply sent inline): a task is never
   * answered before what it said while it ran, nor before a task sent before it.
   */
  peekReplies(): boolean {
    const log = this.log;
    if (log === undefined || this._state === 'gone') return false;
    const before = this.answeredCount;
    if (!log.peek(this.ordering, this.onReply) || this.answeredCount === before) return false;
    this.compact();
    return true;
  }

  /** One reply: replies come in dispatch order, so it is the head (any order would still work). */
  private readonly onReply = (id: number, status: number, value: unknown, ms: number): void => {
    const j = this.indexOf(id);
    if (j < 0) return; // not ours (a worker that misbehaves)
    const t = this.inflight[j]!;
    this.inflight[j] = undefined;
    while (this.head < this.inflight.length && this.inflight[this.head] === undefined) this.head++;
    this.answeredCount++;
    this.forget(t);
    this.owner.taskAnswered(this, t, status, value, ms);
  };

  /** A task was answered: a backend drops what it kept about it. */
  protected forget(_task: T): void {}

  private indexOf(id: number): number {
    for (let j = this.head; j < this.inflight.length; j++) if (this.inflight[j]?.id === id) return j;
    return -1;
  }

  private find(id: number): T | undefined {
    const j = this.indexOf(id);
    return j < 0 ? undefined : this.inflight[j];
  }

  private compact(): void {
    if (this.head === this.inflight.length) {
      this.inflight.length = 0;
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 >= this.inflight.length) {
      this.inflight = this.inflight.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * @internal The worker has ended and every message it sent has been handled
   * (backends call it once). Reads the rest of the reply log, sorts the tasks
   * still held, and tells the owner.
   */
  protected ended(info: { exitCode: number | null; signal: string | null; cause?: unknown }): void {
    if (this._state === 'gone') return;
    const beforeReady = !this.wasReady;
    const intentional = this._state === 'retiring' || this._state === 'killing';
    this.to('gone');
    this.broker?.close();
    if (this.log !== undefined) this.log.readTo(this.log.published(), this.onReply);
    const started = this.startedAtEnd();
    const crashed: T[] = [];
    const unstarted: T[] = [];
    for (let j = this.head; j < this.inflight.length; j++) {
      const t = this.inflight[j];
      if (t === undefined) continue;
      // A task whose transferred buffers went with the worker cannot run elsewhere.
      if (t.seq < started || t.transfer !== undefined) crashed.push(t);
      else unstarted.push(t);
    }
    this.inflight = [];
    this.head = 0;
    try {
      this.owner.workerGone(this, {
        crashed,
        unstarted,
        exitCode: info.exitCode,
        signal: info.signal,
        cause: this.fatal ?? info.cause ?? this.cause,
        beforeReady,
        intentional,
        moduleThrew: this.fatal !== undefined,
      });
    } finally {
      this.resolveGone();
    }
  }
}

/** The error a task gets when its worker ended while it ran. */
export function crashError(kind: 'thread' | 'process', end: WorkerEnd<Task>, what = 'this task'): WorkerCrashedError {
  const who = kind === 'process' ? 'child process' : 'worker thread';
  let why: string;
  if (end.moduleThrew) why = `was replaced: ${errMessage(end.cause)}`;
  else if (end.signal) why = `was killed by ${end.signal}`;
  else if (end.cause !== undefined) why = `crashed: ${errMessage(end.cause)}`;
  else why = `exited with code ${end.exitCode ?? 'unknown'}`;
  return new WorkerCrashedError(`The ${who} running ${what} ${why}`, {
    exitCode: end.exitCode,
    signal: end.signal,
    cause: end.cause,
  });
}

export function errMessage(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function reasonText(reason: unknown): string | undefined {
  return reason === undefined ? undefined : reason instanceof Error ? reason.message : String(reason);
}
