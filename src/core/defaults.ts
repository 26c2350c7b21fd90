/**
 * Registry of default executors created on demand (asyncio `toThread`'s thread pool,
 * ...), so `run()` can shut them down when the program's main task ends, as
 * Python's `asyncio.run` does with the loop's default executor.
 */

/** What the registry needs from an executor. */
export interface DefaultExecutor {
  shutdown(opts?: { wait?: boolean; cancelFutures?: boolean }): Promise<void>;
}

const registry = new Set<DefaultExecutor>();

/** Registers an executor to be shut down by {@link shutdownDefaultExecutors}. */
export function registerDefaultExecutor(e: DefaultExecutor): void {
  registry.add(e);
}

/** Forgets an executor (it was shut down some other way). */
export function unregisterDefaultExecutor(e: DefaultExecutor): void {
  registry.delete(e);
}

/** Number of registered default executors. */
export function defaultExecutorCount(): number {
  return registry.size;
}

/**
 * Shuts every registered default executor down (wait for running work, cancel
 * nothing) and empties the registry. Errors are collected, not thrown one by one.
 */
export async function shutdownDefaultExecutors(opts: { wait?: boolean; cancelFutures?: boolean } = { wait: true }): Promise<void> {
  const list = [...registry];
  registry.clear();
  const results = await Promise.allSettled(list.map((e) => e.shutdown(opts)));
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'Several default executors failed to shut down');
}
