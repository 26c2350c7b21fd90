/**
 * The task module of the cluster example. Every worker node loads it
 * (`weft worker --connection URL ./examples/cluster/tasks.ts`), and the client
 * imports it for its typed refs: the same project on every machine.
 */
import { hostname } from 'node:os';
import { defineTasks } from 'weft';

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** The sum of squares below n: CPU-bound, like Python's cpu_bound example. */
function cpuBound(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i * i;
  return sum;
}

export default defineTasks(import.meta.url, {
  fib,
  cpuBound,
  /** Where a task ran: host and process of its node. */
  where: () => `${hostname()} pid ${process.pid}`,
});
