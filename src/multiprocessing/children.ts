/**
 * The live `Process` objects started in this process (for `activeChildren()`),
 * and what keeps this process alive while its own code waits on a brokered
 * object that a child may still settle.
 *
 * Python's `q.get()` blocks the main thread, so the interpreter stays up while a
 * daemon child may still put the item. In Node, a pending promise keeps nothing
 * alive: with a daemon child (whose IPC channel is unref'd) the program would
 * end with "unsettled top-level await" (code 13). So while at least one wait by
 * this process's own code on a brokered object (Queue.get, Lock.acquire,
 * Event.wait, ...) is pending AND at least one child started here is alive, a
 * ref'd timer holds the event loop open. When the last child ends, the hold is
 * dropped: a wait nothing can settle any more no longer keeps the program up.
 */
import type { Process } from './process.js';

const live = new Set<Process>();
let waits = 0;
let hold: NodeJS.Timeout | undefined;

function noop(): void {}

function update(): void {
  const need = waits > 0 && live.size > 0;
  if (need && hold === undefined) hold = setInterval(noop, 0x7fffffff);
  else if (!need && hold !== undefined) {
    clearInterval(hold);
    hold = undefined;
  }
}

/** @internal process.ts: a child was started. */
export function childStarted(p: Process): void {
  live.add(p);
  update();
}

/** @internal process.ts: a child has ended (exited, killed, or failed to start). */
export function childEnded(p: Process): void {
  if (live.delete(p)) update();
}

/** @internal a wait by this process's own code on a brokered object began. */
export function localWaitStarted(): void {
  if (waits++ === 0) update();
}

/** @internal ... and ended. */
export function localWaitEnded(): void {
  if (--waits === 0) update();
}

/**
 * The `Process` objects started in this process that are still running
 * (Python's `multiprocessing.active_children()`). Finished ones are dropped
 * ("reaped") as a side effect, as in Python.
 *
 * @example
 * for (const p of activeChildren()) p.terminate();
 */
export function activeChildren(): Process[] {
  const out: Process[] = [];
  for (const p of live) {
    if (p.isAlive()) out.push(p);
    else live.delete(p);
  }
  update();
  return out;
}
