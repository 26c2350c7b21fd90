/**
 * The helpers a compiler writes into a module and an inline task's source may
 * call: compiled alone (`new Function`), the source no longer sees them, so the
 * run loop supplies its own. They follow the calling conventions of esbuild
 * (what tsx compiles with): `__name(fn, name)` for keepNames, `__using(stack,
 * value, isAsync)` and `__callDispose(stack, error, hasError)` for `using`
 * declarations. Names a compiler may inject that are not here are reported as
 * such, never as the user's own variable (run-loop.ts).
 */

type DisposeEntry = [isAsync: boolean, dispose?: () => unknown, value?: unknown];

/** `fn.name = name` (esbuild's keepNames). */
function name<F>(fn: F, value: string): F {
  try {
    Object.defineProperty(fn, 'name', { value, configurable: true });
  } catch {
    /* frozen */
  }
  return fn;
}

/** Registers `value` (a `using` / `await using` declaration) on its block's disposal stack. */
function using(stack: DisposeEntry[], value: unknown, isAsync?: boolean): unknown {
  if (value === null || value === undefined) {
    if (isAsync) stack.push([true]);
    return value;
  }
  if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError('Object expected (a `using` declaration)');
  let dispose: unknown = isAsync ? (value as Record<symbol, unknown>)[Symbol.asyncDispose] : undefined;
  if (dispose === undefined) dispose = (value as Record<symbol, unknown>)[Symbol.dispose];
  if (typeof dispose !== 'function') throw new TypeError('Object not disposable (a `using` declaration)');
  stack.push([Boolean(isAsync), dispose as () => unknown, value]);
  return value;
}

/**
 * Disposes a block's stack in reverse order; an error from a disposer is
 * combined with the block's own error into a SuppressedError. Returns a promise
 * once an `await using` entry is reached.
 */
function callDispose(stack: DisposeEntry[], error: unknown, hasError: boolean): Promise<void> | undefined {
  const suppress = (e: unknown) => {
    if (!hasError) {
      error = e;
      hasError = true;
      return;
    }
    const S = (globalThis as { SuppressedError?: new (e: unknown, s: unknown, m: string) => Error }).SuppressedError;
    if (S) error = new S(e, error, 'An error was suppressed during disposal');
    else
      error = Object.assign(new Error('An error was suppressed during disposal'), { name: 'SuppressedError', error: e, suppressed: error });
  };
  const next = (): Promise<void> | undefined => {
    for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
      const [isAsync, dispose, value] = entry;
      try {
        const r = dispose?.call(value);
        if (isAsync) {
          return Promise.resolve(r).then(next, (e) => {
            suppress(e);
            return next();
          });
        }
      } catch (e) {
        suppress(e);
      }
    }
    if (hasError) throw error;
    return undefined;
  };
  return next();
}

/** The helpers, by the names compilers give them. */
export const COMPILER_HELPERS: Readonly<Record<string, unknown>> = {
  __name: name,
  __using: using,
  __callDispose: callDispose,
};

/** True for a name only a compiler writes (`__name`, `__awaiter`, `_ts_decorate`...). */
export function isCompilerHelperName(id: string): boolean {
  return /^(?:__[a-zA-Z]\w*|_ts_\w+|_interop_\w+)$/.test(id);
}
