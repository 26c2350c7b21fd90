import { availableParallelism } from 'node:os';

/** Number of CPUs this process may use (Python's `os.cpu_count()` / `multiprocessing.cpu_count()`). */
export function cpuCount(): number {
  return availableParallelism();
}
