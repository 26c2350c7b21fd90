import { getRuntime } from '../core/runtime.js';

/**
 * currentProcess(): who is running this code (Python's `multiprocessing.current_process()`).
 */

/** What {@link currentProcess} returns. */
export interface ProcessInfo {
  /** 'MainProcess' in the program's own process; the Process name or `SpawnPoolWorker-n` / `SpawnProcess-n` in a child. */
  readonly name: string;
  /** The OS process id. */
  readonly pid: number;
  /** True in pool workers and daemon Processes; undefined in the main process. */
  readonly daemon?: boolean;
}

/**
 * The process running this code: its name, pid and whether it is a daemon.
 *
 * @example
 * console.log(currentProcess().name);   // 'MainProcess', or 'Process-1' inside a Process
 */
export function currentProcess(): ProcessInfo {
  const rt = getRuntime();
  if (rt.kind !== 'process') return { name: 'MainProcess', pid: process.pid };
  return { name: rt.name ?? `Process-${process.pid}`, pid: process.pid, daemon: rt.daemon };
}
