/**
 * Tasks: code that runs in another thread or process.
 *
 * A task is named by the URL of the module that defines it and an export name,
 * so any worker can import it. `defineTasks` and `tasksFrom` make typed
 * references ({@link TaskRef}) that stay callable locally.
 */
import { TaskDefinitionError, describe } from './errors.js';

const kTaskRef = Symbol.for('weft.taskRef');
const kTaskTable = Symbol.for('weft.taskTable');

/**
 * A reference to a function exported by a task module: callable here with the
 * same signature, and runnable by any executor in another thread or process.
 */
export interface TaskRef<A extends unknown[] = any[], R = unknown> {
  (...args: A): R;
  /** URL of the module that defines the task. */
  readonly module: string;
  /** The task's key in its `defineTasks` table, or its export name (`tasksFrom`). */
  readonly taskName: string;
  /** `'table'` for `defineTasks` refs (looked up in the default export), `'export'` for `tasksFrom` refs. */
  readonly kind: 'table' | 'export';
  readonly [kTaskRef]: true;
}

/** The object `defineTasks` returns: the same keys, each a typed {@link TaskRef}. */
export type TaskTable<T extends Record<string, (...args: any[]) => any>> = {
  readonly [K in keyof T]: TaskRef<Parameters<T[K]>, ReturnType<T[K]>>;
};

/** Refs to the function exports of a module type: `tasksFrom<typeof import('./m.js')>(url)`. */
export type TaskRefsOf<M> = {
  readonly [K in keyof M as M[K] extends (...args: any[]) => any ? K : never]: M[K] extends (...args: infer A) => infer R
    ? TaskRef<A, R>
    : never;
};

function checkModuleUrl(fnName: string, moduleUrl: unknown): string {
  if (typeof moduleUrl !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(moduleUrl)) {
    throw new TypeError(`${fnName}(moduleUrl, ...) expects the module's URL (pass import.meta.url), got ${describe(moduleUrl)}`);
  }
  return moduleUrl;
}

function makeRef(fn: (...args: any[]) => any, module: string, taskName: string, kind: 'table' | 'export'): TaskRef {
  const ref = function (this: unknown, ...args: unknown[]) {
    return fn.apply(this, args);
  } as unknown as TaskRef;
  Object.defineProperties(ref, {
    name: { value: taskName, configurable: true },
    module: { value: module, enumerable: true },
    taskName: { value: taskName, enumerable: true },
    kind: { value: kind, enumerable: true },
    [kTaskRef]: { value: true },
  });
  return ref;
}

/**
 * Declares the tasks of a task module. Export the result as the module's default export.
 *
 * @param moduleUrl `import.meta.url` of the task module.
 * @param fns the task functions, by name.
 * @returns an object with the same keys; each value is a {@link TaskRef}.
 * @throws TypeError if `moduleUrl` is not a URL or a value is not a function.
 *
 * @example
 * export default defineTasks(import.meta.url, { fib, async fetchText(url: string) { ... } });
 */
export function defineTasks<T extends Record<string, (...args: any[]) => any>>(moduleUrl: string, fns: T): TaskTable<T> {
  const url = checkModuleUrl('defineTasks', moduleUrl);
  if (fns === null || typeof fns !== 'object')
    throw new TypeError(`defineTasks(url, fns) expects an object of functions, got ${describe(fns)}`);
  const table: Record<string, TaskRef> = {};
  for (const key of Object.keys(fns)) {
    const fn = fns[key];
    if (typeof fn !== 'function') throw new TypeError(`defineTasks: "${key}" must be a function, got ${describe(fn)}`);
    table[key] = makeRef(fn, url, key, 'table');
  }
  Object.defineProperty(table, kTaskTable, { value: true });
  return Object.freeze(table) as TaskTable<T>;
}

/**
 * Typed refs to the plain named exports of a module that does not use `defineTasks`.
 * Calling a ref locally imports nothing: it throws, since the module is not loaded here;
 * use it with an executor.
 *
 * @example
 * const math = tasksFrom<typeof import('./math.js')>(new URL('./math.js', import.meta.url).href);
 * await pool.submit(math.square, 4);
 */
export function tasksFrom<M>(moduleUrl: string | URL): TaskRefsOf<M> {
  const url = checkModuleUrl('tasksFrom', moduleUrl instanceof URL ? moduleUrl.href : moduleUrl);
  const cache = new Map<string, TaskRef>();
  return new Proxy({} as TaskRefsOf<M>, {
    get(_t, key) {
      if (typeof key !== 'string' || key === 'then') return undefined;
      let ref = cache.get(key);
      if (ref === undefined) {
        ref = makeRef(
          () => {
            throw new TaskDefinitionError(`tasksFrom ref "${key}" of ${url} runs only through an executor (pool.submit(ref, ...args))`);
          },
          url,
          key,
          'export',
        );
        cache.set(key, ref);
      }
      return ref;
    },
  });
}

/** True if `value` is a {@link TaskRef}. */
export function isTaskRef(value: unknown): value is TaskRef {
  return typeof value === 'function' && (value as any)[kTaskRef] === true;
}

/** @internal true for the object `defineTasks` returned (the worker looks tasks up in it). */
export function isTaskTable(value: unknown): value is Record<string, TaskRef> {
  return value !== null && typeof value === 'object' && (value as any)[kTaskTable] === true;
}

/**
 * @internal Finds a task in an imported task module: in its `defineTasks` table
 * (kind 'table'), or among its exports (kind 'export', falling back to the table).
 * @throws TaskDefinitionError naming the module and the task when it is not there.
 */
export function findTask(mod: Record<string, unknown>, kind: 'table' | 'export', name: string, url: string): (...args: any[]) => unknown {
  let fn: unknown;
  if (kind === 'table') {
    if (isTaskTable(mod.default) && name in mod.default) fn = mod.default[name];
    else
      for (const v of Object.values(mod))
        if (isTaskTable(v) && name in v) {
          fn = v[name];
          break;
        }
  } else {
    fn = mod[name];
    if (fn === undefined && isTaskTable(mod.default)) fn = mod.default[name];
  }
  if (typeof fn !== 'function') {
    throw new TaskDefinitionError(
      `Task module ${url} has no task named "${name}"` + (kind === 'table' ? ' in its defineTasks table' : ' among its exports'),
    );
  }
  return fn as (...args: any[]) => unknown;
}

/** A value with a list of objects to move rather than copy; see {@link transfer}. */
export class Transfer<T = unknown> {
  constructor(
    readonly value: T,
    readonly transferList: readonly Transferable[],
  ) {}
}

/** Any object `postMessage` can move to another thread. */
export type Transferable = import('node:worker_threads').Transferable;

/**
 * Marks an argument or a return value to be moved, not copied, to the other side.
 * The objects in `transferList` become unusable here.
 *
 * @example
 * const buf = new Uint8Array(1 << 20);
 * await pool.submit(tasks.checksum, transfer(buf, [buf.buffer]));
 */
export function transfer<T>(value: T, transferList: readonly Transferable[]): T {
  if (!Array.isArray(transferList))
    throw new TypeError(`transfer(value, transferList) expects an array of transferable objects, got ${describe(transferList)}`);
  return new Transfer(value, transferList) as unknown as T;
}
