/**
 * The message protocol between a pool and its workers (threads and processes alike).
 *
 * Messages are small arrays, and tasks travel in flat batches: every task
 * submitted in one tick goes to a worker in one message, and a worker replies
 * for all the tasks it finished in one turn of its event loop in one message.
 *
 *   parent -> worker
 *     [INIT, init]                         first message; init: WorkerInit
 *     [RUN, batch]                         batch: [id, flags, target, name, args] * n
 *     [CANCEL, id]                         abort that task's signal, or skip it if not started
 *     [STOP]                               exit when idle
 *     [BROKER_REPLY, callId, ok, value]    answer to a BROKER call (brokered.ts)
 *   worker -> parent
 *     [READY, threadId]                    initializer done; tasks may come
 *     [INIT_FAILED, error]                 initializer failed: the pool is broken
 *     [DONE, batch, busyMs, started]       batch: [id, status, value] * n, in the order the tasks were taken;
 *                                          started: tasks taken so far (child processes use it, see process-pool.ts)
 *     [STARTED, id]                        only for tasks that asked (they have a timeout)
 *     [FATAL, id, error]                   the worker is about to exit (a task module threw at import)
 *     [PROGRESS, started, final, error?]   tasks taken so far: the answer to each CANCEL (processes only),
 *                                          and (final = 1) the last word of a child process that exits on its
 *                                          own (process.exit in a task, an uncaught error: then `error`)
 *     [BROKER, callId, channel, op, args]  an operation on a brokered object (multiprocessing Queue, Pipe)
 *
 * A worker runs one task at a time, in the order they arrive, so replies arrive
 * in dispatch order and the parent matches them without a lookup table.
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

/** Task flags (the second field of a task in a RUN batch). */
export const F_TABLE = 0; // target: module URL, name: key of its defineTasks table
export const F_EXPORT = 1; // target: module URL, name: a named export
export const F_INLINE = 2; // target: function source
export const F_KIND = 3; // mask of the three above
export const F_CHUNK = 4; // args = [items]; run fn on each, reply [results, ms]
export const F_SHARED = 8; // args hold shared-object markers to revive
export const F_NOTIFY_START = 16; // reply STARTED when the task starts (it has a timeout)
export const F_BROKERED = 32; // args hold brokered-object markers to revive (multiprocessing Queue, Pipe)

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
  name?: string;
  /**
   * 'process': the child runs one multiprocessing Process target, then exits
   * (code 0; code 1 after printing the error if the target threw).
   */
  mode?: 'pool' | 'process';
}

/**
 * Env vars a parent sets on a weft child process (child.ts) and the child's entry
 * reads, then removes, to answer `currentProcess()` (process-entry.ts).
 */
export const ENV_NAME = 'WEFT_PROCESS_NAME',
  ENV_DAEMON = 'WEFT_PROCESS_DAEMON';

/** Worker-side gate word indexes (threads only, in a SharedArrayBuffer). */
export const GATE_STARTED = 0;
export const GATE_FROZEN = -1;
