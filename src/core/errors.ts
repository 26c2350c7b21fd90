/**
 * Every error class weft throws, in one place.
 *
 * Argument mistakes are plain `TypeError` / `RangeError`; a class of its own
 * exists only for a condition a caller will want to catch. Every class sets
 * `name`, so errors keep their identity when they cross a thread or process.
 */

/** Options accepted by every weft error constructor (as for `Error`). */
export interface WeftErrorOptions {
  cause?: unknown;
}

function named<T extends Error>(err: T, name: string): T {
  Object.defineProperty(err, 'name', { value: name, enumerable: false, configurable: true, writable: true });
  return err;
}

/** A future or task was cancelled; `await` on it throws this. */
export class CancelledError extends Error {
  constructor(message = 'The operation was cancelled', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'CancelledError');
  }
}

/** A deadline passed (`timeout`, `waitFor`, `wait({ timeout })`, a task's `timeout`). */
export class TimeoutError extends Error {
  constructor(message = 'The operation timed out', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'TimeoutError');
  }
}

/** An operation is not allowed in the object's current state (e.g. `result()` of a pending future). */
export class InvalidStateError extends Error {
  constructor(message: string, options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'InvalidStateError');
  }
}

/**
 * Several errors at once, as thrown by a `TaskGroup` (Python 3.11's ExceptionGroup).
 * Takes its arguments in either order: AggregateError's `(errors, message)` or
 * Python's `(message, errors)`.
 *
 * @example
 * new ExceptionGroup('two failed', [a, b]);   // Python's order
 * new ExceptionGroup([a, b], 'two failed');   // AggregateError's order
 */
export class ExceptionGroup extends AggregateError {
  constructor(errors: Iterable<unknown>, message?: string, options?: WeftErrorOptions);
  constructor(message: string, errors: Iterable<unknown>, options?: WeftErrorOptions);
  constructor(a: Iterable<unknown> | string, b?: string | Iterable<unknown>, options?: WeftErrorOptions) {
    let errors: unknown;
    let message: unknown;
    if (typeof a === 'string') {
      message = a;
      errors = b;
    } else {
      errors = a;
      message = b ?? 'unhandled errors in a TaskGroup';
    }
    if (errors === null || typeof errors !== 'object' || typeof (errors as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`ExceptionGroup expects (message, errors) or (errors, message) with errors an iterable, got ${describe(errors)}`);
    }
    if (typeof message !== 'string') throw new TypeError(`ExceptionGroup expects message as a string, got ${describe(message)}`);
    const list = [...(errors as Iterable<unknown>)];
    const suffix = ` (${list.length} sub-exception${list.length === 1 ? '' : 's'})`;
    // A message that already carries the suffix (a group revived from another thread) keeps one.
    super(list, message.endsWith(suffix) ? message : message + suffix, options);
    named(this, 'ExceptionGroup');
  }
  /** Errors of the group (recursively) for which `predicate` holds, as a new group, or undefined. */
  subgroup(predicate: (err: unknown) => boolean): ExceptionGroup | undefined {
    return this.split(predicate)[0];
  }
  /** Splits into [matching, rest], recursing into nested groups; either side may be undefined. */
  split(predicate: (err: unknown) => boolean): [ExceptionGroup | undefined, ExceptionGroup | undefined] {
    const yes: unknown[] = [];
    const no: unknown[] = [];
    for (const e of this.errors) {
      if (e instanceof ExceptionGroup) {
        const [a, b] = e.split(predicate);
        if (a) yes.push(a);
        if (b) no.push(b);
      } else (predicate(e) ? yes : no).push(e);
    }
    const base = this.message.replace(/ \(\d+ sub-exceptions?\)$/, '');
    return [yes.length ? new ExceptionGroup(yes, base) : undefined, no.length ? new ExceptionGroup(no, base) : undefined];
  }
}

/** The executor can no longer run tasks (its workers failed to start). Pending and later futures reject with it. */
export class BrokenExecutorError extends Error {
  constructor(message = 'The executor is broken: its workers failed to start', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'BrokenExecutorError');
  }
}

/** Details carried by a {@link WorkerCrashedError}. */
export interface WorkerCrashInfo extends WeftErrorOptions {
  exitCode?: number | null;
  signal?: string | null;
  resourceLimits?: boolean;
}

/** The worker thread or process running a task ended before the task did (exit, kill, OOM, crash). */
export class WorkerCrashedError extends Error {
  /** Exit code of the worker, when it exited with one. */
  readonly exitCode: number | null;
  /** Signal that ended the worker process (`'SIGKILL'`, ...), when there was one. */
  readonly signal: string | null;
  constructor(message = 'The worker running this task crashed', info: WorkerCrashInfo = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    named(this, 'WorkerCrashedError');
    this.exitCode = info.exitCode ?? null;
    this.signal = info.signal ?? null;
  }
}

/** `submit` after `shutdown()`. */
export class ExecutorShutdownError extends Error {
  constructor(message = 'Cannot submit: executor is shut down', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'ExecutorShutdownError');
  }
}

/** `submit` while the executor's queue already holds `maxQueue` tasks. */
export class QueueFullError extends Error {
  constructor(message = 'Cannot submit: the executor queue is full', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'QueueFullError');
  }
}

/** A task cannot be run elsewhere as written (an inline function that uses its enclosing scope, a bad TaskRef). */
export class TaskDefinitionError extends Error {
  constructor(message: string, options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'TaskDefinitionError');
  }
}

/** `getNowait()` on an empty queue. */
export class QueueEmpty extends Error {
  constructor(message = 'The queue is empty', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'QueueEmpty');
  }
}

/** `putNowait()` on a full queue. */
export class QueueFull extends Error {
  constructor(message = 'The queue is full', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'QueueFull');
  }
}

/** `put`/`get` on a queue that was shut down. */
export class QueueShutDown extends Error {
  constructor(message = 'The queue is shut down', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'QueueShutDown');
  }
}

/** A `Barrier` was reset or aborted while parties were waiting on it. */
export class BrokenBarrierError extends Error {
  constructor(message = 'The barrier is broken', options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'BrokenBarrierError');
  }
}

/** A value is of the right type but not acceptable (e.g. releasing a BoundedSemaphore too often). */
export class ValueError extends Error {
  constructor(message: string, options?: WeftErrorOptions) {
    super(message, options);
    named(this, 'ValueError');
  }
}

/** Formats a value for an error message: `'4' (string)`, `NaN (number)`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (typeof value === 'function') return `a function${value.name ? ` named ${value.name}` : ''}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  return `${String(value)} (${typeof value})`;
}
