/**
 * Small helpers shared by the executor tests. Every wait is bounded, so a broken
 * implementation makes a test fail with a message, never hang.
 */
import { after } from 'node:test';
import assert from 'node:assert/strict';
import type { Executor } from 'weft/futures';
import { get, set, type Board } from '../fixtures/board.mjs';

/** Rejects with an Error naming `what` if `p` has not settled within `ms`. */
export async function guard<T>(p: PromiseLike<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not settle within ${ms} ms (hang?)`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(p), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; sync: boolean };

/**
 * Calls `start` (e.g. `() => pool.submit(...)`) and awaits what it returns, recording a
 * synchronous throw separately from a rejection.
 */
export async function outcomeOf<T>(start: () => PromiseLike<T>, what: string, ms = 10_000): Promise<Outcome<T>> {
  let p: PromiseLike<T>;
  try {
    p = start();
  } catch (error) {
    return { ok: false, error, sync: true };
  }
  try {
    return { ok: true, value: await guard(p, what, ms) };
  } catch (error) {
    if (error instanceof Error && /did not settle within/.test(error.message)) throw error;
    return { ok: false, error, sync: false };
  }
}

/** Awaits `p` and checks it rejects with an instance of `cls` (and a message matching `re`). Returns the error. */
export async function rejectsWith<E>(p: PromiseLike<unknown>, cls: abstract new (...a: any[]) => E, what: string, re?: RegExp): Promise<E> {
  let value: unknown;
  try {
    value = await guard(p, what);
  } catch (err) {
    if (err instanceof Error && /did not settle within/.test(err.message)) throw err;
    assert.ok(err instanceof cls, `${what}: expected a ${cls.name}, got ${describeErr(err)}`);
    if (re) assert.match((err as Error).message, re, `${what}: message`);
    return err as E;
  }
  assert.fail(`${what}: expected a ${cls.name} rejection, but it resolved to ${String(value)}`);
}

export function describeErr(err: unknown): string {
  if (err instanceof Error) return `${err.constructor?.name}/${err.name}: ${err.message}`;
  return `${typeof err}: ${String(err)}`;
}

/** Polls `pred` every few ms until it is true; fails naming `what` after `ms`. */
export async function until(pred: () => boolean, what: string | (() => string), ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for: ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Releases every gate of a board (counters 0..n-1 at least 1), so stuck gate tasks end. */
export function releaseAll(board: Board, n: number): void {
  for (let i = 0; i < n; i++) if (get(board, i) < 1) set(board, i, 1);
}

/**
 * Shuts an executor down in cleanup: cancel what is queued and wait, bounded; if that
 * hangs, fall back to not waiting. Never throws (cleanup must not mask a test failure).
 */
export async function shutdownQuietly(ex: Executor): Promise<void> {
  try {
    await guard(ex.shutdown({ wait: true, cancelFutures: true }), 'cleanup shutdown', 8_000);
  } catch (err) {
    console.error(`# cleanup: ${describeErr(err)}; shutting down without waiting`);
    try {
      await guard(ex.shutdown({ wait: false, cancelFutures: true }), 'cleanup shutdown (no wait)', 3_000);
    } catch {
      /* reported above */
    }
  }
}

let exitGuardInstalled = false;
/**
 * Tests never hang: once every test of the file is done, give handles 10 s to close,
 * then exit (an unref'd timer fires only if something else keeps the process alive,
 * i.e. an executor that fails to let go of the event loop).
 */
export function installExitGuard(): void {
  if (exitGuardInstalled) return;
  exitGuardInstalled = true;
  after(() => {
    setTimeout(() => {
      console.error('# exit guard: the event loop was still alive 10 s after the last test (an executor keeps the process alive?)');
      process.exit(process.exitCode || 1);
    }, 10_000).unref();
  });
}

/** The live worker handles of a pool (an internal accessor, kept out of the public declarations). */
export function workersOf(pool: object): { threadId: number; state: string }[] {
  return (pool as { _workers(): { threadId: number; state: string }[] })._workers();
}

/** True while a process with this pid exists (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
