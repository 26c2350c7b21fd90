// poolifier worker for bench/threads.bench.ts
import { ThreadWorker } from 'poolifier';

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export default new ThreadWorker({ id: (x) => x, fib });
