/**
 * run(): the entry point of an asyncio program (Python's `asyncio.run`).
 *
 *   main as root Task ──> (SIGINT/SIGTERM: cancel main, cleanup runs) ──> main ends
 *     ──> leftover tasks cancelled and awaited ──> default executors shut down
 *     ──> signal listeners removed ──> result / error (or exit 130 / 143 after a signal)
 */
import { shutdownDefaultExecutors } from '../core/defaults.js';
import { CancelledError, InvalidStateError, describe } from '../core/errors.js';
import { bool, options } from '../core/options.js';
import { currentTask } from './current-task.js';
import { Task, tasksNotDone } from './task.js';

/** Options of {@link run}. */
export interface RunOptions {
  /** Default true: SIGINT / SIGTERM cancel `main`; after cleanup the process exits with 130 / 143. */
  handleSignals?: boolean;
}

const RUN_KEYS = ['handleSignals'] as const;
/** True while a run() owns the leftovers (see below). */
let active = false;
const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function settled(f: Task<unknown>): Promise<void> {
  return f.asPromise().then(noop, noop);
}
function noop(): void {}

/**
 * Runs `main` as the root {@link Task} and returns its result. While it runs, SIGINT
 * and SIGTERM cancel it (a second signal exits at once); its cleanup runs, then the
 * process exits with 130 (SIGINT) or 143 (SIGTERM). When `main` ends, tasks it left
 * running are cancelled and awaited, default executors (`toThread`'s pool) are shut
 * down, and the signal listeners are removed.
 *
 * @param main the program.
 * @param opts `handleSignals` (default true).
 * @returns main's result.
 * @throws main's error; CancelledError if main was cancelled (not by a signal);
 *   InvalidStateError if called from inside a task; TypeError if `main` is not a function.
 *
 * @example
 * await run(async () => {
 *   console.log('hello');
 *   await sleep(1000);
 *   console.log('world');
 * });
 */
export async function run<T>(main: () => Promise<T> | T, opts?: RunOptions): Promise<T> {
  if (typeof main !== 'function') throw new TypeError(`run(main) expects an async function, got ${describe(main)}`);
  if (currentTask() !== undefined) throw new InvalidStateError('run() cannot be called from a running task: await the function instead');
  const handleSignals = bool('run(main, opts)', 'handleSignals', options('run(main, opts)', opts, RUN_KEYS).handleSignals, true);
  // The leftovers are the tasks created after main (task ids only grow) and not done
  // when it ends: allTasks()'s registry, so a task collected unfinished is not kept
  // for this. (A second run() started while one is active does not own them: it
  // leaves the leftovers to the first.)
  const owned = !active;
  active = true;
  const root = new Task(main as () => T, { name: 'main' });
  let gotSignal: string | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (gotSignal !== undefined) process.exit(EXIT_CODES[sig] ?? 1);
    gotSignal = sig;
    root.cancel(new CancelledError(`Cancelled by ${sig}`));
  };
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    await settled(root as Task<unknown>);
    // Cancel what main left running, and wait for it (Python's _cancel_all_tasks).
    for (let left = owned ? tasksNotDone(root._id) : []; left.length > 0; left = tasksNotDone(root._id)) {
      for (const t of left) t.cancel();
      await Promise.all(left.map(settled));
    }
    if (owned) await shutdownDefaultExecutors({ wait: true });
  } finally {
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (owned) active = false;
  }
  if (gotSignal !== undefined) process.exit(EXIT_CODES[gotSignal] ?? 1);
  return root.result();
}
