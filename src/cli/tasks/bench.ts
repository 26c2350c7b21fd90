/** Tasks of `weft bench`. */
import { defineTasks } from '../../index.js';

function identity<T>(x: T): T {
  return x;
}
function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export default defineTasks(import.meta.url, { identity, fib });
