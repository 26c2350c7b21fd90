// weft task module for bench/threads.bench.ts
import { defineTasks } from 'weft';

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export default defineTasks(import.meta.url, {
  id: (x) => x,
  fib,
});
