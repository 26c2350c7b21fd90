/**
 * The task behind `weft map`: calls the user's export on one input line and
 * returns an envelope, so that a failing line fails only itself.
 *
 * Why a wrapper and not the user's function itself: `map` sends many lines in
 * one message (chunks) and a chunk fails as a whole at its first error. The
 * wrapper catches per line, inside the worker, and keeps chunking cheap.
 * `setTarget` runs once per worker as the pool's initializer.
 */
import { defineTasks } from '../../index.js';

/**
 * One input line: its 1-based line number and its parsed JSON value, or (third
 * field) why it could not be parsed: such a line is answered with that error in
 * its place, so `--errors inline` keeps the output aligned.
 */
export type MapItem = [line: number, value: unknown, unparsable?: string];
/** `[line, 1, result]` on success, `[line, 0, error]` on failure. */
export type MapReply = [line: number, ok: 1, value: unknown] | [line: number, ok: 0, error: ErrorInfo];
/** What is kept of an error thrown by the user's function. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

type Fn = (value: unknown) => unknown;
let target: Fn | undefined;

/** Finds the function `name` in module `mod` (a named export, or a key of a defineTasks table). */
export function pick(mod: Record<string, unknown>, name: string): Fn | undefined {
  const direct = mod[name];
  if (typeof direct === 'function') return direct as Fn;
  const table = mod.default;
  if (name !== 'default' && table !== null && typeof table === 'object' && typeof (table as Record<string, unknown>)[name] === 'function') {
    return (table as Record<string, Fn>)[name];
  }
  return undefined;
}

/** Imports the user's module and picks the function to call (the pool's initializer). */
async function setTarget(url: string, name: string): Promise<void> {
  const fn = pick((await import(url)) as Record<string, unknown>, name);
  if (fn === undefined) throw new TypeError(`${url} has no function export named "${name}"`);
  target = fn;
}

/** @internal for the async backend: the function itself, imported on this thread. */
export function setTargetFunction(fn: Fn): void {
  target = fn;
}

function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: `a non-Error value was thrown: ${String(err)}` };
}

/** Calls the target on one line; never throws. */
function callLine(item: MapItem): MapReply | Promise<MapReply> {
  const line = item[0];
  if (item[2] !== undefined) return [line, 0, { name: 'SyntaxError', message: `not valid JSON: ${item[2]}` }];
  try {
    const r = target!(item[1]);
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      return Promise.resolve(r).then(
        (v): MapReply => [line, 1, v],
        (e): MapReply => [line, 0, errorInfo(e)],
      );
    }
    return [line, 1, r];
  } catch (err) {
    return [line, 0, errorInfo(err)];
  }
}

export default defineTasks(import.meta.url, { setTarget, callLine });
