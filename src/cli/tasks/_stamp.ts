/**
 * Where and when a task ran: the data behind the report's timelines.
 *
 * Times are wall-clock milliseconds since the epoch with sub-millisecond
 * precision (`performance.timeOrigin + performance.now()`), so stamps taken in
 * different threads and processes line up on one axis.
 */
import { isMainThread, threadId } from 'node:worker_threads';

/** One task's stamp: the thread and process it ran on, its start and end, and its CPU time (µs) where measurable. */
export interface Stamp {
  threadId: number;
  pid: number;
  /** true when the task ran on a process's main thread (the CLI itself, or a child process of a process pool). */
  mainThread: boolean;
  start: number;
  end: number;
  /** CPU time of the task in microseconds (user + system), measured around the task; only exact where one task runs per process at a time. */
  cpu: number;
}

/** Now, in epoch milliseconds with sub-millisecond precision. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Starts a stamp; call `finish` with the returned state when the task is done. */
export function begin(): { start: number; cpu: NodeJS.CpuUsage } {
  return { start: now(), cpu: process.cpuUsage() };
}

/** Completes a stamp begun with `begin`. */
export function finish(b: { start: number; cpu: NodeJS.CpuUsage }): Stamp {
  const d = process.cpuUsage(b.cpu);
  return { threadId, pid: process.pid, mainThread: isMainThread, start: b.start, end: now(), cpu: d.user + d.system };
}
