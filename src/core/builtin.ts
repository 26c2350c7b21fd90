/**
 * Node built-ins loaded on first use, not at import: `import('weft')` should
 * not pay for machinery a program may never use (node:child_process alone
 * costs about 3 ms to load, node:v8 and node:stream 1-2 ms each).
 */
import { createRequire } from 'node:module';

type Loader = (id: string) => unknown;
let load: Loader | undefined;

/** The built-in module `id` (e.g. 'node:child_process'), loaded once, synchronously. */
export function builtin<T>(id: string): T {
  load ??=
    typeof (process as { getBuiltinModule?: Loader }).getBuiltinModule === 'function'
      ? (process as unknown as { getBuiltinModule: Loader }).getBuiltinModule.bind(process)
      : createRequire(import.meta.url);
  return load(id) as T;
}
