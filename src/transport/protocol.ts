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
 *   worker -> parent
 *     [READY, threadId]                    initializer done; tasks may come
 *     [INIT_FAILED, error]                 initializer failed: the pool is broken
 *     [DONE, batch, busyMs]                batch: [id, status, value] * n, in the order the tasks were taken
 *     [STARTED, id]                        only for tasks that asked (they have a timeout)
 *     [FATAL, id, error]                   the worker is about to exit (a task module threw at import)
 *
 * A worker runs one task at a time, in the order they arrive, so replies arrive
 * in dispatch order and the parent matches them without a lookup table.
 */

export const INIT = 0, RUN = 1, CANCEL = 2, STOP = 3;
export const READY = 10, INIT_FAILED = 11, DONE = 12, STARTED = 13, FATAL = 14;

/** Task flags (the second field of a task in a RUN batch). */
export const F_TABLE = 0;        // target: module URL, name: key of its defineTasks table
export const F_EXPORT = 1;       // target: module URL, name: a named export
export const F_INLINE = 2;       // target: function source
export const F_KIND = 3;         // mask of the three above
export const F_CHUNK = 4;        // args = [items]; run fn on each, reply [results, ms]
export const F_SHARED = 8;       // args hold shared-object markers to revive
export const F_NOTIFY_START = 16; // reply STARTED when the task starts (it has a timeout)

/** Reply statuses. */
export const OK = 0, ERR = 1, SKIPPED = 2;

export const TASK_FIELDS = 5;
export const REPLY_FIELDS = 3;

/** What a worker is started with. */
export interface WorkerInit {
  initializer?: { flags: number; target: string; name: string } | undefined;
  initargs?: unknown[];
  /** file URL of tsx's ESM API when the parent runs under tsx (to load TypeScript task modules). */
  tsx?: string | undefined;
  name?: string;
}

/** Worker-side gate word indexes (threads only, in a SharedArrayBuffer). */
export const GATE_STARTED = 0;
export const GATE_FROZEN = -1;
