/**
 * The message protocol between a parent and its workers (threads and child
 * processes alike; a `Thread` and a `Process` are workers of one task).
 *
 * Messages are small arrays, and tasks travel in flat batches: every task
 * submitted in one tick goes to a worker in one message, and a worker answers
 * for the tasks it finished in one turn of its event loop in one message.
 *
 *   parent -> worker
 *     [INIT, init]                        first message; init: WorkerInit
 *     [RUN, batch]                        batch: [id, flags, target, name, args] * n
 *     [CANCEL, id, reason]                abort that task's signal, or skip it if not started
 *     [STOP]                              exit once idle
 *     [BROKER_REPLY, callId, ok, value]   answer to a BROKER call (brokered.ts)
 *   worker -> parent
 *     [READY, threadId]                   initializer done; tasks may come
 *     [INIT_FAILED, error]                initializer failed: the pool is broken
 *     [DONE, logEnd, busyMs, inline]      replies: first every record of the reply log
 *                                         (reply-log.ts) up to byte `logEnd`, then the
 *                                         flat `inline` replies [id, status, value, ms] * n
 *     [STARTED, id]                       only for tasks that asked (they have a timeout)
 *     [FATAL, id, error]                  about to exit: a task module threw at import
 *     [PROGRESS, kind, count, error?]     child processes only (they share no memory):
 *                                           CLAIM: the child may start tasks up to `count`
 *                                           LAST_WORD: exiting on its own, `count` started
 *     [BROKER, callId, channel, op, args] an operation on a brokered object (multiprocessing)
 *
 * A worker runs one task at a time, in the order they arrive, so replies come
 * back in dispatch order and the parent matches them without a lookup table.
 */

export const INIT = 0,
  RUN = 1,
  CANCEL = 2,
  STOP = 3,
  BROKER_REPLY = 4;
export const READY = 10,
  INIT_FAILED = 11,
  DONE = 12,
  STARTED = 13,
  FATAL = 14,
  PROGRESS = 15,
  BROKER = 16;

/**
 * True for a message a worker sends that the parent must handle before any reply
 * the worker logs after it: every message but a DONE that only announces logged
 * replies (it carries no inline reply). Both ends count these (the reply log's
 * POSTED word), so a parent that reads the log ahead of DONE (futures/worker-pool.ts,
 * the poll) never answers a task before what the worker said while running it
 * (a brokered Event.set, a lock released, an earlier reply sent inline).
 */
export function ordersReplies(msg: readonly unknown[]): boolean {
  return msg[0] !== DONE || (msg[3] as readonly unknown[]).length > 0;
}

/** The kinds of a PROGRESS message (child processes). */
export const CLAIM = 0,
  LAST_WORD = 2; // (1 was CANCEL_SEEN: cancels are answered by the child's control thread now)

/** Task flags (the second field of a task in a RUN batch). */
export const F_TABLE = 0; // target: module URL, name: key of its defineTasks table
export const F_EXPORT = 1; // target: module URL, name: a named export
export const F_INLINE = 2; // target: function source
export const F_KIND = 3; // mask of the three above
export const F_CHUNK = 4; // args = [items]; run fn on each, reply [results, ms]
export const F_SHARED = 8; // args hold shared-object markers to revive
export const F_NOTIFY_START = 16; // reply STARTED when the task starts (it has a timeout)
export const F_BROKERED = 32; // args hold brokered-object markers to revive (multiprocessing)

/** Reply statuses. */
export const OK = 0,
  ERR = 1,
  SKIPPED = 2;

export const TASK_FIELDS = 5;
export const REPLY_FIELDS = 4;

/** What a worker is started with. */
export interface WorkerInit {
  initializer?: { flags: number; target: string; name: string } | undefined;
  initargs?: unknown[];
  /** file URL of tsx's ESM API when the parent runs under tsx (to load TypeScript task modules). */
  tsx?: string | undefined;
  /** The worker's name: `currentThread().name` / `currentProcess().name` inside it. */
  name: string;
  /** Child processes: daemon flag for `currentProcess().daemon`. */
  daemon?: boolean;
  /**
   * Exit after this many tasks (a `Thread` or `Process`: 1). A child process
   * exits with code 0, or prints the error and exits with code 1 when its last
   * task failed, as Python's Process does.
   */
  exitAfter?: number;
}

/**
 * The control block of a worker thread: Int32 words in a SharedArrayBuffer the
 * parent and the worker both see (run-loop.ts and thread-worker.ts).
 *
 *   [STARTED]      tasks claimed so far; FROZEN once the parent stopped it
 *   [RING + k % CANCEL_RING] = k + 1  when the parent cancelled task number k
 * A child process has the same block, shared by its main thread and its
 * control thread, which the parent reaches over a socket (child-control.ts):
 *   parent -> [op u8, seq u32]; child -> [op u8, started i32] (+ [len u32, bytes] for FREEZE)
 */
export const CB_STARTED = 0,
  CB_RING = 1;
export const CANCEL_RING = 1024;
/** Control-socket operations (child processes). */
export const CTL_CANCEL = 1,
  CTL_FREEZE = 2;
/** The child's file descriptor of its control socket. */
export const CTL_FD = 4;
export const CB_WORDS = CB_RING + CANCEL_RING;
export const GATE_FROZEN = -1;

/**
 * The parent's side of a control block (threads, and a child's control thread):
 * marks task `seq` cancelled, then reads how many tasks have started (GATE_FROZEN
 * once frozen). Mark first, read second: with the worker's claim-then-read (the run
 * loop's `take`), a task is seen either cancelled by the worker or started by the
 * parent, never neither.
 */
export function markCancelledIn(cb: Int32Array, seq: number): number {
  Atomics.store(cb, CB_RING + (seq % CANCEL_RING), seq + 1);
  return Atomics.load(cb, CB_STARTED);
}

/** Freezes a control block: no task starts any more. Returns how many had started. */
export function freezeBlock(cb: Int32Array): number {
  return Atomics.exchange(cb, CB_STARTED, GATE_FROZEN);
}
