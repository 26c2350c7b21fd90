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
  const me = (globalThis as any)[Symbol.for('weft.currentProcess')] as ProcessInfo | undefined;
  return me ? { ...me } : { name: 'MainProcess', pid: process.pid };
}
